"""`python -m d2gan train --model stgan --attrs ...` and `infer` writing the seed's grid."""
import os

import cv2

from d2gan import cli
from d2gan.data import digit_attrs


def test_train_then_infer_writes_rows_per_flipped_attribute(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert cli.main(['train', '--model', 'stgan', '--attrs', 'Red_Stroke,Inverted',
                     '--limit', '16', '--batch-size', '4', '--n-critic', '2', '--epochs', '1',
                     '--out', out]) == 0
    checkpoint = os.path.join(out, 'checkpoint.ckpt')
    assert os.path.exists(checkpoint)
    assert os.path.exists(os.path.join(out, 'samples', 'epoch_001.png'))
    grid = str(tmp_path / 'edits.png')
    folder = digit_attrs.make_digit_attrs(verbose=False)
    assert cli.main(['infer', '--checkpoint', checkpoint, '--input', folder, '--attrs',
                     'Inverted', '--limit', '3', '--out', grid]) == 0
    image = cv2.imread(grid)
    # make_grid: 2 rows (originals, Inverted flipped) x 3 images of 32 px with 2 px padding
    assert image.shape[:2] == (2 * 34 + 2, 3 * 34 + 2)
    printed = capsys.readouterr().out
    assert 'flipped Inverted' in printed and 'edit accuracy' in printed
    assert cli.main(['infer', '--checkpoint', checkpoint, '--input', folder, '--attrs',
                     'Male', '--out', grid]) == 2
    assert 'Male' in capsys.readouterr().err
    # resuming with other attributes used to train the checkpoint's ones silently
    assert cli.main(['train', '--model', 'stgan', '--attrs', 'Inverted', '--resume',
                     '--epochs', '2', '--out', out]) == 2
    err = capsys.readouterr().err
    assert '--attrs Inverted contradicts' in err and 'trained with --attrs Red_Stroke,Inverted' in err


def test_train_rejects_unknown_attribute(tmp_path, capsys):
    assert cli.main(['train', '--model', 'attgan', '--attrs', 'Blond_Hair', '--limit', '8',
                     '--out', str(tmp_path / 'x')]) == 2
    assert 'Blond_Hair' in capsys.readouterr().err


def test_stargan_sample_and_intensity_are_command_line_errors(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert cli.main(['train', '--model', 'stargan', '--attrs', 'Inverted', '--limit', '8',
                     '--batch-size', '4', '--n-critic', '1', '--epochs', '1', '--out', out]) == 0
    checkpoint = os.path.join(out, 'checkpoint.ckpt')
    capsys.readouterr()
    assert cli.main(['sample', '--checkpoint', checkpoint, '--out', str(tmp_path / 'g.png')]) == 2
    err = capsys.readouterr().err
    assert 'use `python -m d2gan infer' in err and 'set_sample_data' not in err
    folder = digit_attrs.make_digit_attrs(verbose=False)
    assert cli.main(['infer', '--checkpoint', checkpoint, '--input', folder, '--intensity', '1',
                     '--limit', '2', '--out', str(tmp_path / 'e.png')]) == 2
    assert '--intensity applies to attgan and stgan' in capsys.readouterr().err
