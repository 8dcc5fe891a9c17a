"""U-GAT-IT training: the four discriminators and the generators' CAM loss train, rho stays in
[0, 1], the small-image discriminators, exact resume, the command line."""
import os

import numpy as np
import mxnet as mx
import pytest

import d2gan
from d2gan.cli import main
from d2gan.gans.ugatit import discriminator_layers
from step_checks import domains, params_of

SMALL = dict(image_size=16, ngf=4, ndf=4, n_blocks=1, light=True)


def test_discriminator_depths_follow_the_image_size():
    assert discriminator_layers(256) == (7, 5) and discriminator_layers(96) == (7, 5)
    assert discriminator_layers(64) == (6, 4) and discriminator_layers(32) == (5, 3)
    assert discriminator_layers(16) == (4, 3)
    with pytest.raises(ValueError, match='at least 16x16'):
        discriminator_layers(4)


def test_trains_every_network_and_keeps_rho_in_the_unit_interval():
    mx.random.seed(0)
    step = d2gan.build_gan('ugatit', **SMALL)
    assert set(step.networks) == {'G_A', 'G_B', 'D_GA', 'D_LA', 'D_GB', 'D_LB'}
    before = params_of(step)
    A, B = domains(4)
    state = d2gan.train_gan(step, d2gan.ArrayBatches((A, B), 2), 2, seed=1)
    logs = state.history[-1]
    assert set(logs) == {'loss_D', 'loss_G_adv', 'cycle', 'identity', 'cam'}
    assert all(np.isfinite(v) for v in logs.values())
    assert state.history[-1]['cam'] < state.history[0]['cam']       # the CAM learns the domains
    after = params_of(step)
    for net in step.networks:
        assert any(not np.array_equal(before[k], after[k]) for k in before
                   if k.startswith(net + '.')), net
    rhos = [v for k, v in after.items() if k.endswith('rho')]
    assert rhos and all(r.min() >= 0 and r.max() <= 1 for r in rhos)
    assert step.translate(A, 'AtoB').shape == A.shape
    step.set_sample_data(A, B)
    assert step.sample(12).shape == (12, 3, 16, 16)


@pytest.mark.parametrize('pool_size', [0, 3])
def test_resume_is_exact(tmp_path, pool_size):
    A, B = domains(6)
    data = d2gan.ArrayBatches((A, B), 2)
    cfg = dict(SMALL, n_epochs=1, n_epochs_decay=1, pool_size=pool_size)
    mx.random.seed(0)
    full = d2gan.build_gan('ugatit', **cfg)
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    mx.random.seed(0)
    part = d2gan.build_gan('ugatit', **cfg)
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=4)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    assert resumed.pool_A.pool_size == pool_size
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    assert len(resumed.pool_A) == len(full.pool_A) == min(pool_size, 6)     # the pool was used
    expected, got = params_of(full), params_of(resumed)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_pool_changes_what_the_discriminators_see():
    """With a pool the D step gets earlier fakes too, so one epoch ends elsewhere."""
    A, B = domains(6)
    data = d2gan.ArrayBatches((A, B), 1)
    ends = []
    for pool_size in (0, 4):
        mx.random.seed(0)
        step = d2gan.build_gan('ugatit', **dict(SMALL, pool_size=pool_size))
        d2gan.train_gan(step, data, 1, seed=3)
        ends.append(params_of(step))
    assert any(not np.allclose(ends[0][k], ends[1][k]) for k in ends[0] if '.D_' in '.' + k)


def test_command_line_trains_and_translates(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'ugatit', '--image-size', '32', '--ngf', '4', '--ndf', '4',
                 '--epochs', '1', '--batch-size', '2', '--limit', '4', '--out', out]) == 0
    assert os.path.isfile(os.path.join(out, 'checkpoint.ckpt'))
