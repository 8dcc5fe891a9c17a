"""The StyleGAN2 and PGGAN architecture options of ``python -m d2gan train``: they reach the
recipe (and the checkpoint, so ``--resume`` checks them), are refused by other recipes, and a
batch the minibatch-stddev groups do not divide is one ``error:`` line before any training."""
import os

import pytest

import d2gan
from d2gan.cli import main

TINY = ['--image-size', '16', '--epochs', '1', '--batch-size', '8', '--limit', '16']


def one_error_line(capsys):
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), lines
    return lines[0]


def test_stylegan2_options_reach_the_networks_and_the_checkpoint(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'stylegan2', '--mapping-layers', '2', '--channel-max', '8',
                 '--channel-base', '64', '--layer', 'v1', '--pl-weight', '0',
                 '--style-mixing', '0', '--r1-gamma', '0.01', '--mbstd-group-size', '8',
                 '--out', out] + TINY) == 0
    ckpt = os.path.join(out, 'checkpoint.ckpt')
    config = d2gan.train.read_meta(ckpt)['config']
    assert (config['mapping_layers'], config['channel_max'], config['channel_base'],
            config['layer'], config['pl_weight'], config['style_mixing'], config['r1_gamma'],
            config['mbstd_group_size']) == (2, 8, 64, 'v1', 0.0, 0.0, 0.01, 8)
    step = d2gan.metrics.load_step(ckpt)
    assert len(step.net_G.mapping.layers) == 2
    assert step.net_G.synthesis.blocks[-1].conv1.layer == 'v1'
    assert max(b.out_channels for b in step.net_G.synthesis.blocks) == 8
    assert step.net_D.epilogue[0].group_size == 8


def test_stylegan2_trains_on_the_colour_shapes(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'stylegan2', '--dataset', 'colour-shapes',
                 '--mapping-layers', '1', '--channel-max', '8', '--channel-base', '64',
                 '--mbstd-group-size', '8', '--style-mixing', '0.9', '--r1-gamma', '1',
                 '--out', out] + TINY) == 0
    assert 'on colour-shapes (16 images of (3, 16, 16))' in capsys.readouterr().out
    step = d2gan.metrics.load_step(os.path.join(out, 'checkpoint.ckpt'))
    assert step.sample(2, seed=0).shape == (2, 3, 16, 16)


def test_pggan_width_options_reach_the_networks(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'pggan', '--fmap-base', '64', '--fmap-max', '16',
                 '--mbstd-group-size', '2', '--lod-training-kimg', '0.008',
                 '--lod-transition-kimg', '0.008', '--out', out] + TINY) == 0
    config = d2gan.train.read_meta(os.path.join(out, 'checkpoint.ckpt'))['config']
    assert (config['fmap_base'], config['fmap_max'], config['mbstd_group_size']) == (64, 16, 2)


@pytest.mark.parametrize('argv, says', [
    (['--model', 'dcgan', '--mapping-layers', '2'], "--mapping-layers does not apply to 'dcgan'"),
    (['--model', 'pggan', '--pl-weight', '0'], "--pl-weight does not apply to 'pggan'"),
    (['--model', 'stylegan2', '--fmap-max', '8'], "--fmap-max does not apply to 'stylegan2'"),
    (['--model', 'stylegan2', '--style-mixing', '1.5'], '--style-mixing: must be in [0, 1]'),
    (['--model', 'stylegan2', '--mbstd-group-size', '0'], '--mbstd-group-size: must be at least 1'),
    (['--model', 'stylegan2', '--layer', 'v3'], "--layer: invalid choice: 'v3'"),
    (['--model', 'stylegan2', '--mbstd-group-size', '3'],
     'the batch on each device must be a multiple of 3, got 8'),
])
def test_bad_style_options_are_one_error_line(tmp_path, capsys, argv, says):
    out = tmp_path / 'run'
    assert main(['train'] + argv + ['--out', str(out)] + TINY) == 2
    assert says in one_error_line(capsys)
    assert not (out / 'checkpoint.ckpt').exists()
