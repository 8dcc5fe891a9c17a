"""Photo2Cartoon training: the recipe's weights, every network trains, rho and Soft-AdaLIN's w
stay in [0, 1], the face-ID term is refused, exact resume, the command line."""
import os

import numpy as np
import mxnet as mx
import pytest

import d2gan
from d2gan.cli import main
from step_checks import domains, params_of

SMALL = dict(image_size=32, ngf=4, ndf=4)


def test_recipe_defaults_are_the_reference_training():
    step = d2gan.build_gan('photo2cartoon', **SMALL)
    assert (step.adv_weight, step.cycle_weight, step.identity_weight, step.cam_weight) == \
        (1.0, 50.0, 10.0, 1000.0)
    assert step.G_A.light and type(step.G_A).__name__ == 'Photo2CartoonGenerator'
    assert [step.discriminators[k].n_layers for k in ('D_GA', 'D_LA')] == [5, 3]   # at 32 px
    with pytest.raises(ValueError, match='face-ID loss needs MobileFaceNet weights'):
        d2gan.build_gan('photo2cartoon', faceid_weight=1.0, **SMALL)


def test_trains_every_network_and_clips_rho_and_w():
    mx.random.seed(0)
    step = d2gan.build_gan('photo2cartoon', **SMALL)
    w = step.G_A.decode_blocks[0].norm1.w_gamma
    w.set_data(mx.nd.full(w.shape, 5.0))                 # outside [0, 1]: clipped after a step
    before = params_of(step)
    A, B = domains(4, size=32)
    state = d2gan.train_gan(step, d2gan.ArrayBatches((A, B), 2), 1, seed=1)
    assert state.iteration == 2
    logs = state.history[-1]
    assert set(logs) == {'loss_D', 'loss_G_adv', 'cycle', 'identity', 'cam'}
    assert all(np.isfinite(v) for v in logs.values())
    after = params_of(step)
    for net in step.networks:
        assert any(not np.array_equal(before[k], after[k]) for k in before
                   if k.startswith(net + '.')), net
    clipped = [v for k, v in after.items() if k.endswith(('rho', 'w_gamma', 'w_beta'))]
    assert clipped and all(v.min() >= 0 and v.max() <= 1 for v in clipped)
    assert w.data().asnumpy().max() == 1
    assert step.translate(A, 'AtoB').shape == A.shape


def test_resume_is_exact(tmp_path):
    A, B = domains(4, size=32)
    data = d2gan.ArrayBatches((A, B), 2)
    cfg = dict(SMALL, n_epochs=1, n_epochs_decay=1)
    mx.random.seed(0)
    full = d2gan.build_gan('photo2cartoon', **cfg)
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    mx.random.seed(0)
    part = d2gan.build_gan('photo2cartoon', **cfg)
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=2)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_command_line_trains(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'photo2cartoon', '--image-size', '32', '--ngf', '4',
                 '--ndf', '4', '--epochs', '1', '--batch-size', '2', '--limit', '2',
                 '--out', out]) == 0
    assert os.path.isfile(os.path.join(out, 'checkpoint.ckpt'))
