"""The command line: train -> checkpoint -> sample, resume, and clear errors for bad input."""
import os
import subprocess
import sys

import pytest

from d2gan.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_help_reads_well():
    out = subprocess.run([sys.executable, '-m', 'd2gan', 'train', '--help'], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert '--model' in out and '--resume' in out and 'mnist-digits' in out


def test_train_sample_and_resume(tmp_path, capsys):
    out = str(tmp_path / 'run')
    args = ['train', '--model', 'dcgan', '--image-size', '16', '--epochs', '1',
            '--batch-size', '32', '--limit', '64', '--out', out]
    assert main(args) == 0
    assert os.path.exists(os.path.join(out, 'checkpoint.ckpt'))
    assert os.path.exists(os.path.join(out, 'samples', 'epoch_001.png'))
    printed = capsys.readouterr().out
    assert 'examples/s' in printed and 'ETA' in printed

    # Training again into the same directory without --resume must not overwrite it.
    before = os.path.getmtime(os.path.join(out, 'checkpoint.ckpt'))
    assert main(args) == 2
    assert 'pass --resume' in capsys.readouterr().err
    assert os.path.getmtime(os.path.join(out, 'checkpoint.ckpt')) == before

    resume = args[:args.index('--epochs') + 1] + ['2'] + args[args.index('--epochs') + 2:]
    assert main(resume + ['--resume']) == 0
    assert os.path.exists(os.path.join(out, 'samples', 'epoch_002.png'))

    grid = str(tmp_path / 'grid.png')
    assert main(['sample', '--checkpoint', os.path.join(out, 'checkpoint.ckpt'),
                 '--num', '16', '--nrow', '4', '--out', grid]) == 0
    assert os.path.getsize(grid) > 0


def test_unknown_model_lists_valid_names(capsys):
    assert main(['train', '--model', 'dcgen', '--out', '/nonexistent']) == 2
    err = capsys.readouterr().err
    assert "unknown GAN model 'dcgen'" in err and 'dcgan' in err


def test_missing_dataset_says_where_and_how(tmp_path, capsys):
    assert main(['train', '--dataset', 'mnist', '--dataroot', str(tmp_path / 'nothing'),
                 '--out', str(tmp_path / 'run')]) == 2
    err = capsys.readouterr().err
    assert 'nothing' in err and 'download' in err.lower()


def test_corrupt_checkpoint_for_sample(tmp_path, capsys):
    bad = tmp_path / 'bad.ckpt'
    bad.write_bytes(b'not a checkpoint')
    assert main(['sample', '--checkpoint', str(bad), '--out', str(tmp_path / 'g.png')]) == 2
    assert 'corrupt' in capsys.readouterr().err
    assert not (tmp_path / 'g.png').exists()


def test_every_batch_kind_has_its_cli_module():
    from d2gan.cli.main import MODULE_OF_KIND
    from d2gan.registry import BATCH_KINDS
    assert sorted(MODULE_OF_KIND) == sorted(BATCH_KINDS)
    for module in set(MODULE_OF_KIND.values()):
        assert callable(module.new_config) and callable(module.load_data), module.__name__
