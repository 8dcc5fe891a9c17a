"""PGGAN training: the growing schedule, faded reals, Adam resets per level, exact resume
mid-fade, and the command line."""
import os

import numpy as np
import mxnet as mx
import pytest
from mxnet import gluon, nd

import d2gan
from d2gan.cli import main
from d2gan.gans import pggan as pggan_module
from d2gan.gans.pggan import fade_reals, lod_at
from d2gan.train.step import reset_optimizer_state
from step_checks import params_of

# 16x16 (three levels); 8 images per phase: two 4-image minibatches per level and per fade
TINY = dict(image_size=16, channels=1, fmap_base=32, fmap_max=8, mbstd_group_size=2,
            lod_training_kimg=0.008, lod_transition_kimg=0.008)


def digits():
    return d2gan.data.load_mnist_digits(image_size=16)[0][:16]


def test_schedule_is_the_references():
    lods = [lod_at(k * 250, 3, 1, 1) for k in range(30)]     # 1 kimg per phase, 32x32
    assert lods[:4] == [3, 3, 3, 3]                            # 4x4
    assert lods[4:8] == [3, 2.75, 2.5, 2.25]                   # 8x8 fading in
    assert lods[8:12] == [2, 2, 2, 2]
    assert lods[12:16] == [2, 1.75, 1.5, 1.25]
    assert lods[20:24] == [1, 0.75, 0.5, 0.25]
    assert lods[24:] == [0] * 6                                # full resolution, for good
    assert lod_at(0, 3, 1, 1, lod_initial_resolution=8) == 2
    assert lod_at(10 ** 6, 3, 0, 0) == 0
    with pytest.raises(ValueError, match='lod_initial_resolution must be a power of 2'):
        lod_at(0, 3, lod_initial_resolution=6)
    with pytest.raises(ValueError, match='must be >= 0'):
        lod_at(0, 3, -1, 1)


def test_reals_are_faded_like_the_generators_output():
    x = nd.random.uniform(shape=(2, 1, 16, 16))
    quarter = nd.Pooling(nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='avg'),
                         kernel=(2, 2), stride=(2, 2), pool_type='avg')
    np.testing.assert_allclose(fade_reals(x, 2).asnumpy(), quarter.asnumpy(), rtol=1e-6)
    assert fade_reals(x, 0).shape == (2, 1, 16, 16)
    half = fade_reals(x, 1).asnumpy()
    blended = fade_reals(x, 1.25).asnumpy()                   # 8x8 with a quarter of 4x4
    coarse = np.repeat(np.repeat(quarter.asnumpy(), 2, axis=2), 2, axis=3)
    np.testing.assert_allclose(blended, half + (coarse - half) * 0.25, rtol=1e-5, atol=1e-6)


def test_reset_optimizer_state_makes_the_next_update_a_first_one():
    def trainer_for(value):
        p = gluon.Parameter('w', shape=(3,))
        p.initialize(mx.init.Constant(value))
        return p, gluon.Trainer([p], 'adam', {'learning_rate': 0.1, 'beta1': 0.5},
                                update_on_kvstore=False)

    def step_with_gradient(p, trainer, grad):
        with mx.autograd.record():
            loss = (p.data() * grad).sum()          # d loss / d p = grad
        loss.backward()
        trainer.step(1)

    used, used_trainer = trainer_for(1.0)
    for grad in (5.0, -3.0, 2.0):
        step_with_gradient(used, used_trainer, grad)
    reset_optimizer_state(used_trainer)
    start = used.data().asnumpy().copy()
    fresh, fresh_trainer = trainer_for(0.0)
    fresh.set_data(nd.array(start))
    for p, trainer in ((used, used_trainer), (fresh, fresh_trainer)):
        step_with_gradient(p, trainer, 0.7)
    np.testing.assert_allclose(used.data().asnumpy(), fresh.data().asnumpy(), rtol=1e-6)
    assert not np.allclose(used.data().asnumpy(), start)


def test_grows_through_every_level_resetting_adam_at_each(monkeypatch):
    resets = []
    monkeypatch.setattr(pggan_module, 'reset_optimizer_state',
                        lambda trainer: resets.append(trainer))
    mx.random.seed(0)
    step = d2gan.build_gan('pggan', **TINY)
    assert step.lod == 2 and step.resolution == 4
    state = d2gan.train_gan(step, d2gan.ArrayBatches(digits(), 4), 3, seed=1)
    lods = [round(float(h['lod']), 4) for h in state.history]   # epoch means of 4 steps
    # per step: 2, 2, 2 (the fade starts), 1.5 | 1, 1, 1, 0.5 | 0, 0, 0, 0
    assert lods == [1.875, 0.875, 0.0]
    # a new level at lods 2 (the start), 1.5 (8x8 fades in), 1, 0.5 (16x16 fades in), 0
    assert len(resets) == 2 * 5
    assert step.resolution == 16 and step.nimg == 48
    logs = state.history[-1]
    assert {'loss_D', 'loss_G', 'gp', 'lod'} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    assert step.sample(4, seed=2).shape == (4, 1, 16, 16)
    np.testing.assert_array_equal(step.sample(4, seed=2, lod=2).asnumpy()[:, :, ::4, ::4],
                                  step.sample(4, seed=2, lod=2).asnumpy()[:, :, 3::4, 3::4])


def test_resume_mid_fade_is_exact(tmp_path):
    data = d2gan.ArrayBatches(digits(), 4)
    mx.random.seed(0)
    full = d2gan.build_gan('pggan', **TINY)
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    mx.random.seed(0)
    part = d2gan.build_gan('pggan', **TINY)
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=3)
    assert part.lod == 1.5                                     # stopped while 8x8 fades in
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    assert expected.keys() == got.keys() and any(k.startswith('Gs.') for k in got)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert resumed.nimg == full.nimg == 32


def test_command_line_trains_samples_and_refuses_truncation(tmp_path, capsys):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'pggan', '--image-size', '16', '--epochs', '1',
                 '--batch-size', '8', '--limit', '16', '--lod-training-kimg', '0.008',
                 '--lod-transition-kimg', '0.004', '--out', out]) == 0
    checkpoint = os.path.join(out, 'checkpoint.ckpt')
    config = d2gan.train.read_meta(checkpoint)['config']
    assert (config['lod_training_kimg'], config['lod_transition_kimg']) == (0.008, 0.004)
    assert main(['train', '--model', 'dcgan', '--lod-training-kimg', '1', '--out', out + '2']) == 2
    assert "--lod-training-kimg does not apply to 'dcgan'" in capsys.readouterr().err
    grid = str(tmp_path / 'grid.png')
    assert main(['sample', '--checkpoint', checkpoint, '--num', '4', '--out', grid]) == 0
    assert os.path.getsize(grid) > 0
    assert main(['sample', '--checkpoint', checkpoint, '--truncation', '0.5', '--out', grid]) == 2
    assert '--truncation applies to style-based generators' in capsys.readouterr().err


def test_a_step_queues_without_waiting_for_the_engine():
    """Nothing in a step waits for the engine (a read-back waits for the operators that make
    the value, a copy from NumPy for every operator already queued): Python can queue the next
    steps while the engine computes, and ``benchmarks/engine_split.py`` can time the two apart
    (it returns None for a step that waited behind its block of matrix products)."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
    import engine_split
    step = d2gan.build_gan('pggan', **TINY)
    X = nd.array(digits()[:4])
    step.train_step(X)
    nd.waitall()
    assert engine_split._engine_ms(mx, step, X, 2, python_s=0.2) is not None
    lod = step.lod                                  # the lod the step trains at, logged
    assert step.train_step(X)['lod'].asnumpy().tolist() == [lod]
