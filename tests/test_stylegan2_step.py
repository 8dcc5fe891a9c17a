"""The StyleGAN2 recipe trains (lazy R1 and path length included), resumes exactly, and runs
from the command line."""
import os

import numpy as np
import mxnet as mx
import pytest
from mxnet import nd

import d2gan
from d2gan.cli import main
from step_checks import params_of

TINY = dict(image_size=16, channels=1, z_dim=8, w_dim=8, mapping_layers=2, channel_base=64,
            channel_max=8)


def digits():
    return d2gan.data.load_mnist_digits(image_size=16)[0][:64]


def test_trains_with_both_lazy_regularizers_and_ema():
    step = d2gan.build_gan('stylegan2', **TINY)
    step.r1_interval, step.pl_interval = 2, 2
    before = params_of(step)
    state = d2gan.train_gan(step, d2gan.ArrayBatches(digits(), 16), 1, seed=1)
    logs = state.history[-1]
    assert {'loss_G', 'loss_D', 'r1', 'path_length'} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    after = params_of(step)
    moved = {k for k in before if not np.array_equal(before[k], after[k])}
    assert any(k.startswith('G.') for k in moved) and any(k.startswith('D.') for k in moved)
    assert any(k.startswith('G_ema.') for k in moved)              # EMA follows G ...
    key = next(k for k in moved if k.startswith('G.') and 'weight' in k)
    ema = after['G_ema.' + key[2:]]
    assert not np.array_equal(ema, after[key])                    # ... but lags behind it
    assert step.sample(4, seed=3).shape == (4, 1, 16, 16)
    np.testing.assert_array_equal(step.sample(4, seed=3).asnumpy(),
                                  step.sample(4, seed=3).asnumpy())


def test_ema_half_life_ramps_up_with_the_images_seen():
    step = d2gan.build_gan('stylegan2', **TINY)           # ema_nimg 10,000, ema_rampup 0.05
    step.images_seen = 1000                               # half-life 50 images
    assert step.ema_beta(50) == pytest.approx(0.5)
    step.images_seen = 10 ** 6                            # past the ramp: half-life 10,000
    assert step.ema_beta(100) == pytest.approx(0.5 ** 0.01)
    step.ema_rampup = None
    step.images_seen = 1000
    assert step.ema_beta(100) == pytest.approx(0.5 ** 0.01)
    assert d2gan.build_gan('stylegan2', **TINY).ema_beta(16) == 0.0     # copies G at first


def test_resume_is_exact(tmp_path):
    data = d2gan.ArrayBatches(digits(), 16)
    mx.random.seed(0)
    full = d2gan.build_gan('stylegan2', **TINY)
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    mx.random.seed(0)
    part = d2gan.build_gan('stylegan2', **TINY)
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=5)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert resumed.iteration == full.iteration == 8


def test_command_line_trains_and_samples(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'stylegan2', '--image-size', '16', '--epochs', '1',
                 '--batch-size', '8', '--limit', '16', '--out', out]) == 0
    grid = str(tmp_path / 'grid.png')
    assert main(['sample', '--checkpoint', os.path.join(out, 'checkpoint.ckpt'), '--num', '4',
                 '--out', grid]) == 0
    assert os.path.getsize(grid) > 0
    truncated = str(tmp_path / 'truncated.png')
    assert main(['sample', '--checkpoint', os.path.join(out, 'checkpoint.ckpt'), '--num', '4',
                 '--truncation', '0', '--out', truncated]) == 0
    assert open(truncated, 'rb').read() != open(grid, 'rb').read()   # psi 0: w = w_avg


def test_v1_layers_need_path_length_off():
    with pytest.raises(ValueError, match='pl_weight=0'):
        d2gan.build_gan('stylegan2', layer='v1', **TINY)
    assert d2gan.build_gan('stylegan2', layer='v1', pl_weight=0, **TINY).path_length is None


def test_style_mixing_grid_takes_coarse_and_fine_styles_from_rows_and_columns():
    from d2gan.gans.stylegan2 import style_mixing
    step = d2gan.build_gan('stylegan2', **TINY)
    G = step.G_ema
    z_rows, z_cols = step.noise(2, 8, seed=1), step.noise(3, 8, seed=2)
    grid = style_mixing(G, z_rows, z_cols, cut=2, seed=5).asnumpy()
    assert grid.shape == (6, 1, 16, 16)
    # image (i, j) is the synthesis of [w(z_rows[i]) x 2, w(z_cols[j]) x rest] with seed 5 noise
    ws = nd.concat(G.map(z_rows[1:2])[:, :2], G.map(z_cols[2:3])[:, 2:], dim=1)
    mx.random.seed(5)
    with mx.autograd.predict_mode():
        expected = G.synthesis(ws).asnumpy()
    np.testing.assert_allclose(grid[5:6], expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(grid[3], grid[5])                  # other fine styles: another image
    with pytest.raises(ValueError, match='cut must be between 1 and'):
        style_mixing(G, z_rows, z_cols, cut=G.num_ws)
