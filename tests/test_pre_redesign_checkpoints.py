"""Checkpoints written before the one-file-per-GAN redesign still load and resume.

``tests/data/pre_redesign/<recipe>.ckpt`` were written by commit d90e5ea (the library before
the redesign) with ``make_checkpoints.py`` next to them: one epoch of two iterations per
recipe. Today's command line must resume each of them (``--resume --epochs 2``: two more
iterations on the recipe's default offline dataset) and then sample or translate from it.
"""
import os
import shutil

import pytest

from d2gan.cli import main
from d2gan.registry import batch_kind, list_gans
from d2gan.train import read_meta

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'pre_redesign')
SIZES = {'images': ['--limit', '16', '--batch-size', '8'],
         'labelled': ['--limit', '16', '--batch-size', '8'],
         'paired': ['--limit', '4', '--batch-size', '2'],
         'unpaired': ['--limit', '4', '--batch-size', '2'],
         'semantic': ['--limit', '4', '--batch-size', '2'],
         'attributes': ['--limit', '16', '--batch-size', '4']}


#: the recipes of commit d90e5ea (later families have no checkpoints from before the redesign)
BEFORE = ['attgan', 'cgan', 'cyclegan', 'dcgan', 'hinge-sn', 'lsgan', 'pix2pix', 'spade',
          'stargan', 'stgan', 'wgan', 'wgan-gp']


def test_every_recipe_of_then_has_an_old_checkpoint():
    assert sorted(f[:-len('.ckpt')] for f in os.listdir(DATA) if f.endswith('.ckpt')) == BEFORE
    assert set(BEFORE) <= set(list_gans())


@pytest.mark.parametrize('model', BEFORE)
def test_an_old_checkpoint_resumes_and_samples(model, tmp_path):
    out = tmp_path / 'run'
    out.mkdir()
    checkpoint = out / 'checkpoint.ckpt'
    shutil.copy(os.path.join(DATA, f'{model}.ckpt'), checkpoint)
    assert read_meta(str(checkpoint))['iteration'] == 2
    kind = batch_kind(model)
    assert main(['train', '--model', model, '--out', str(out), '--resume', '--epochs', '2']
                + SIZES[kind]) == 0
    meta = read_meta(str(checkpoint))
    assert (meta['epoch'], meta['iteration']) == (2, 4)
    if kind in ('images', 'labelled'):
        grid = tmp_path / 'grid.png'
        assert main(['sample', '--checkpoint', str(checkpoint), '--num', '4', '--out',
                     str(grid)]) == 0
        assert grid.stat().st_size > 0
