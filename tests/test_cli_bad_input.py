"""Bad input on the command line: one ``error:`` line, exit 2, nothing trained or lost.

Each trial is what a new user types by mistake; none may fall back to a default silently,
print a traceback, or exit 0 after a run that diverged.
"""
import os

import pytest

from d2gan.cli import main

TINY = ['--image-size', '16', '--epochs', '1', '--batch-size', '16', '--limit', '32']


def one_error_line(capsys):
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), lines
    return lines[0]


@pytest.mark.parametrize('argv, says', [
    (['train', '--batch-size', '0'], '--batch-size: must be at least 1, got 0'),
    (['train', '--image-size', '0'], '--image-size: must be at least 1'),
    (['train', '--limit', '0'], '--limit: must be at least 1'),
    (['train', '--limit', '-5'], '--limit: must be at least 1, got -5'),
    (['train', '--epochs', '0'], '--epochs: must be at least 1'),
    (['train', '--lr', '-1'], '--lr: must be a finite number > 0'),
    (['train', '--lr', 'nan'], '--lr: must be a finite number > 0'),
    (['train', '--ngf', '0'], '--ngf: must be at least 1'),
    (['train', '--n-critic', '0'], '--n-critic: must be at least 1'),
    (['sample', '--checkpoint', 'x', '--num', '0'], '--num: must be at least 1'),
    (['sample', '--checkpoint', 'x', '--nrow', '0'], '--nrow: must be at least 1'),
    (['infer', '--checkpoint', 'x', '--input', 'x', '--out', 'x', '--intensity', '0'],
     '--intensity: must be a finite number > 0'),
])
def test_impossible_option_values(tmp_path, capsys, argv, says):
    assert main(argv + ['--out', str(tmp_path / 'run')] if argv[0] == 'train' else argv) == 2
    assert says in one_error_line(capsys)
    assert not (tmp_path / 'run').exists()


@pytest.mark.parametrize('device, says', [
    ('gpu:0', "device 'gpu:0': MXNet sees 0 GPU(s)"),
    ('tpu', "unknown device 'tpu'"),
    ('cpu:0,cpu:0', 'names a device twice'),
])
def test_devices_that_are_not_there(tmp_path, capsys, device, says):
    assert main(['train', '--device', device, '--out', str(tmp_path / 'run')] + TINY) == 2
    assert says in one_error_line(capsys)


def test_nccl_on_the_cpu_build(tmp_path, capsys):
    assert main(['train', '--kvstore', 'nccl', '--out', str(tmp_path / 'run')] + TINY) == 2
    assert "kvstore 'nccl' is not available in this MXNet build" in one_error_line(capsys)


def test_amp_on_cpu(tmp_path, capsys):
    assert main(['train', '--amp', '--out', str(tmp_path / 'run')] + TINY) == 2
    assert 'needs GPU devices' in one_error_line(capsys)


def test_out_that_is_a_file_fails_before_training(tmp_path, capsys):
    (tmp_path / 'taken').write_text('x')
    assert main(['train', '--out', str(tmp_path / 'taken')] + TINY) == 2
    assert 'cannot write the checkpoint' in one_error_line(capsys)


def test_a_diverging_run_exits_2_and_writes_no_checkpoint(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'lsgan', '--lr', '1e10', '--out', out] + TINY) == 2
    assert one_error_line(capsys).startswith('error: training diverged at iteration 1')
    assert not os.path.exists(os.path.join(out, 'checkpoint.ckpt'))


def test_damaged_checkpoint_metadata_names_the_file(tmp_path, capsys):
    import zipfile
    bad = tmp_path / 'bad.ckpt'
    with zipfile.ZipFile(bad, 'w') as zf:
        zf.writestr('meta.json', '{"config": ')
    assert main(['sample', '--checkpoint', str(bad), '--out', str(tmp_path / 'g.png')]) == 2
    line = one_error_line(capsys)
    assert str(bad) in line and 'damaged metadata' in line


def test_a_square_photo_is_not_a_pix2pix_pair(tmp_path):
    import numpy as np
    from d2gan.data import DatasetFormatError, paired
    with pytest.raises(DatasetFormatError, match=r'photo\.jpg: .*wider than tall.*256x256'):
        paired.split_pair(np.zeros((256, 256, 3), np.uint8), 'photo.jpg')
    a, b = paired.split_pair(np.zeros((256, 512, 3), np.uint8))
    assert a.shape == b.shape == (256, 256, 3)


def test_resume_without_a_checkpoint_says_it_starts_fresh(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert main(['train', '--resume', '--out', out] + TINY) == 0
    assert 'there is no checkpoint at' in capsys.readouterr().out
    assert os.path.exists(os.path.join(out, 'checkpoint.ckpt'))


def test_resume_with_fewer_epochs_says_nothing_was_trained(tmp_path, capsys):
    out = str(tmp_path / 'run')
    args = ['train', '--out', out] + TINY
    assert main(args[:args.index('--epochs') + 1] + ['2'] + args[args.index('--epochs') + 2:]) == 0
    before = open(os.path.join(out, 'checkpoint.ckpt'), 'rb').read()
    capsys.readouterr()
    assert main(args + ['--resume']) == 0          # --epochs 1 < the 2 already trained
    assert 'has already trained 2 epoch(s)' in capsys.readouterr().out
    assert open(os.path.join(out, 'checkpoint.ckpt'), 'rb').read() == before


@pytest.mark.parametrize('option, value, says', [
    ('--lr', '1e6', '--lr 1000000.0 contradicts'),
    ('--image-size', '32', '--image-size 32 contradicts'),
    ('--seed', '5', '--seed 5 contradicts'),
    ('--ngf', '16', '--ngf 16 contradicts'),
])
def test_resume_refuses_options_that_contradict_the_checkpoint(tmp_path, capsys, option, value,
                                                                 says):
    out = str(tmp_path / 'run')
    assert main(['train', '--ngf', '8', '--out', out] + TINY) == 0
    ckpt = os.path.join(out, 'checkpoint.ckpt')
    before = open(ckpt, 'rb').read()
    capsys.readouterr()
    assert main(['train', '--out', out, '--resume', option, value] + TINY[2:] if option ==
                '--image-size' else ['train', '--out', out, '--resume', option, value] + TINY) == 2
    line = one_error_line(capsys)
    assert says in line and ckpt in line and 'which was trained with' in line
    assert open(ckpt, 'rb').read() == before


def test_width_options_apply_to_dcgan_and_foreign_options_are_refused(tmp_path, capsys):
    import d2gan
    out = str(tmp_path / 'run')
    assert main(['train', '--ngf', '8', '--ndf', '4', '--out', out] + TINY) == 0
    config = d2gan.train.read_meta(os.path.join(out, 'checkpoint.ckpt'))['config']
    assert (config['ngf'], config['ndf']) == (8, 4)          # used to be dropped for dcgan
    capsys.readouterr()
    assert main(['train', '--n-critic', '5', '--out', str(tmp_path / 'r2')] + TINY) == 2
    assert "--n-critic does not apply to 'dcgan'" in one_error_line(capsys)
    assert main(['train', '--model', 'wgan', '--n-critic', '2', '--out', str(tmp_path / 'r3')]
                + TINY) == 0


@pytest.mark.parametrize('size', ['16', '30'])
def test_cyclegan_image_size_too_small_or_not_a_multiple_of_4(tmp_path, capsys, size):
    assert main(['train', '--model', 'cyclegan', '--image-size', size, '--limit', '2',
                 '--out', str(tmp_path / 'run')]) == 2
    line = one_error_line(capsys)
    assert 'multiple of 4' in line and 'at least 24' in line and f'got {size}' in line


@pytest.mark.parametrize('argv, says', [
    (['--model', 'dcgan', '--direction', 'AtoB'],
     "--direction does not apply to 'dcgan'; it applies to: pix2pix"),
    (['--model', 'dcgan', '--attrs', 'Smile'],
     "--attrs does not apply to 'dcgan'; it applies to: attgan, stargan, stgan"),
    (['--model', 'stargan', '--ngf', '8'], "--ngf does not apply to 'stargan'"),
    (['--model', 'cyclegan', '--n-critic', '2'], "--n-critic does not apply to 'cyclegan'"),
    (['--model', 'spade', '--amp'], 'mixed precision (amp) needs GPU devices'),
    (['--model', 'stgan', '--kvstore', 'nccl'], "kvstore 'nccl' is not available"),
])
def test_an_option_a_recipe_does_not_take_is_refused(tmp_path, capsys, argv, says):
    out = tmp_path / 'run'
    assert main(['train', '--out', str(out), '--epochs', '1'] + argv) == 2
    line = one_error_line(capsys)
    assert says in line, line
    assert not (out / 'checkpoint.ckpt').exists()


def test_infer_options_of_another_batch_kind_are_refused(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'cyclegan', '--image-size', '32', '--ngf', '4', '--ndf',
                 '4', '--limit', '2', '--epochs', '1', '--out', out]) == 0
    ckpt = os.path.join(out, 'checkpoint.ckpt')
    capsys.readouterr()
    for option, owners in [(['--paired'], 'pix2pix'), (['--mode', 'train'], 'pix2pix'),
                           (['--attrs', 'Smile'], 'attgan, stargan, stgan'),
                           (['--instances', out], 'spade')]:
        assert main(['infer', '--checkpoint', ckpt, '--input', out, '--out',
                     str(tmp_path / 'x')] + option) == 2
        line = one_error_line(capsys)
        assert f"{option[0]} does not apply to 'cyclegan'; it applies to: {owners}" in line
    assert not (tmp_path / 'x').exists()
