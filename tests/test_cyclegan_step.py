"""CycleGANStep: the objective's gradient, the LR schedule, exact resume with pools, sampling."""
import json
import os
import subprocess
import sys

import numpy as np
import mxnet as mx
import pytest
from mxnet import nd

import d2gan
from d2gan.gans.cyclegan import aligned_l1, linear_decay
from step_checks import domains, params_of

SMALL = dict(image_size=16, ngf=4, ndf=4, n_blocks=1, n_layers=2, pool_size=3)


def small(**kw):
    mx.random.seed(kw.pop('seed', 0))
    return d2gan.build_gan('cyclegan', **dict(SMALL, **kw))


def test_recipe_defaults_are_the_papers():
    step = d2gan.build_gan('cyclegan', image_size=256, ngf=8, ndf=8)
    assert (step.lambda_A, step.lambda_B, step.lambda_identity) == (10, 10, 0.5)
    assert step.loss.name == 'lsgan' and step.g_scale == 2
    assert step.pool_A.pool_size == step.pool_B.pool_size == 50
    assert (step.n_epochs, step.n_epochs_decay) == (100, 100)
    assert set(step.networks) == {'G_A', 'G_B', 'D_A', 'D_B'} and set(step.trainers) == {'G', 'D'}
    for trainer in step.trainers.values():
        assert trainer.learning_rate == pytest.approx(2e-4)
        assert trainer._optimizer.beta1 == 0.5
    blocks = lambda s: sum(type(b).__name__ == 'ResnetBlock'  # noqa: E731
                           for b in s.G_A.model._children.values())
    assert blocks(step) == 9
    assert blocks(d2gan.build_gan('cyclegan', image_size=128, ngf=8, ndf=8)) == 6
    assert step.batch_kind == 'unpaired' and step.config['model'] == 'cyclegan'


# The reference gradient: the whole G loss written out in one graph, with oneDNN switched off
# and the transposed convolutions run as MXNet's own Deconvolution (not ``via_conv``), so the
# step's construction is checked against operators it does not use.
REFERENCE = r'''
import json, sys, numpy as np
import d2gan, mxnet as mx
from mxnet import autograd, nd
from d2gan.nn import Conv2DTranspose
cfg, path = json.loads(sys.argv[1]), sys.argv[2]
mx.random.seed(0)
s = d2gan.build_gan('cyclegan', **cfg)
deconvs = [b for g in (s.G_A, s.G_B) for b in g.model._children.values()
           if isinstance(b, Conv2DTranspose)]
assert len(deconvs) == 4 and all(b._via_conv for b in deconvs)
for b in deconvs:
    b._via_conv = None
d = np.load(path)
a, b = nd.array(d['A']), nd.array(d['B'])
l1 = lambda x, y: nd.abs(x - y).reshape((x.shape[0], -1)).mean(axis=1).sum()
with autograd.record():
    fb, fa = s.G_A(a), s.G_B(b)
    loss = (2 * (s.loss.g_loss(s.D_A(fb)).sum() + s.loss.g_loss(s.D_B(fa)).sum())
            + 10 * l1(s.G_B(fb), a) + 10 * l1(s.G_A(fa), b)
            + 5 * l1(s.G_A(b), b) + 5 * l1(s.G_B(a), a))
loss.backward()
np.savez(path, **{k: p.grad().asnumpy() for n in ('G_A', 'G_B')
                  for k, p in s.networks[n]._collect_params_with_prefix().items()
                  for k in [n + '.' + k]})
'''


def test_generator_gradient_equals_a_deconvolution_reference(tmp_path):
    A, B = domains(2)
    path = str(tmp_path / 'ref.npz')
    np.savez(path, A=A, B=B)
    cfg = dict(SMALL, hybridize=False)
    env = dict(os.environ, MXNET_MKLDNN_ENABLED='0')
    subprocess.run([sys.executable, '-c', REFERENCE, json.dumps(cfg), path], check=True,
                   env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    expected = dict(np.load(path))
    step = small(hybridize=False)
    step.generator_backward([nd.array(A)], [nd.array(B)])
    got = {f'{n}.{k}': p.grad().asnumpy() for n in ('G_A', 'G_B')
           for k, p in step.networks[n]._collect_params_with_prefix().items()}
    assert set(got) == set(expected)
    # relative to the largest gradient: biases before instance norm have a true gradient of 0
    scale = max(np.abs(g).max() for g in expected.values())
    for key in got:
        assert np.abs(got[key] - expected[key]).max() < 1e-3 * scale, key
    assert np.abs(expected['G_A.model.1.weight']).max() > 0.01 * scale


def test_linear_decay_is_the_references_rule():
    factors = [linear_decay(e, 3, 4) for e in range(7)]
    np.testing.assert_allclose(factors, [1, 1, 1, 0.8, 0.6, 0.4, 0.2])
    with pytest.raises(ValueError, match='n_epochs'):
        linear_decay(0, -1, 2)
    with pytest.raises(ValueError, match='epoch 8 is past the end .*3 constant \+ 4 decaying'):
        linear_decay(7, 3, 4)          # the ramp continued would be a negative rate
    step = small(n_epochs=1, n_epochs_decay=3, lr=1e-3)
    step.begin_epoch(2)
    assert step.trainers['G'].learning_rate == pytest.approx(5e-4)
    assert step.trainers['D'].learning_rate == pytest.approx(5e-4)


def test_losses_are_logged_and_cycle_drops():
    A, B = domains(8)
    step = small(lr=2e-3)
    state = d2gan.train_gan(step, d2gan.ArrayBatches((A, B), 4), 6, seed=0)
    assert set(state.history[0]) == {'loss_D_A', 'loss_D_B', 'loss_G_A', 'loss_G_B', 'cycle_A',
                                     'cycle_B', 'idt_A', 'idt_B'}
    assert state.history[-1]['cycle_A'] < state.history[0]['cycle_A']
    no_idt = small(lambda_identity=0)
    logs = no_idt.train_step((A[:2], B[:2]))
    assert 'idt_A' not in logs


@pytest.mark.parametrize('stop_at', [4])
def test_resume_is_exact_including_pools_and_schedule(tmp_path, stop_at):
    A, B = domains(6)
    data = d2gan.ArrayBatches((A, B), 2)          # 3 iterations per epoch; pools fill in 2
    cfg = dict(n_epochs=1, n_epochs_decay=1)
    full = small(**cfg)
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    d2gan.train_gan(small(**cfg), data, 2, seed=3, checkpoint=ckpt, max_iterations=stop_at)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for pool in ('pool_A', 'pool_B'):
        a, b = getattr(full, pool).state_dict(), getattr(resumed, pool).state_dict()
        np.testing.assert_array_equal(a['images'], b['images'])
        assert str(a['rng']) == str(b['rng'])
    assert resumed.trainers['G'].learning_rate == pytest.approx(1e-4)   # decay epoch 2 of 2


def test_sample_grid_translate_cycle_and_evaluate():
    A, B = domains(5)
    step = small()
    with pytest.raises(ValueError, match='set_sample_data'):
        step.sample(12)
    step.set_sample_data(A, B)
    grid = step.sample(12, seed=1).asnumpy()
    assert grid.shape == (12, 3, 16, 16) and step.sample_nrow(12) == 2
    rows = grid.reshape(6, 2, 3, 16, 16)
    rng = np.random.default_rng(1)
    ia = rng.choice(5, 2, replace=False)
    ib = rng.choice(5, 2, replace=False)
    np.testing.assert_array_equal(rows[0], A[ia])
    np.testing.assert_array_equal(rows[3], B[ib])
    fake, rec = step.cycle(A[ia])
    np.testing.assert_allclose(rows[1], fake.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rows[2], step.translate(fake, 'BtoA').asnumpy(), rtol=1e-5,
                               atol=1e-6)
    m = step.evaluate(A, A, 'AtoB')
    assert set(m) == {'L1', 'PSNR', 'sharpness', 'L1_aligned'}
    with pytest.raises(ValueError, match="'AtoB' or 'BtoA'"):
        step.translate(A, 'A2C')


def test_unequal_batches_are_a_clear_error():
    with pytest.raises(ValueError, match='as many images'):
        small().train_step((np.zeros((2, 3, 16, 16), 'f'), np.zeros((3, 3, 16, 16), 'f')))


def test_aligned_l1_ignores_what_instance_norm_cannot_see():
    rng = np.random.default_rng(0)
    real = rng.uniform(-0.8, 0.8, (3, 3, 8, 8)).astype(np.float32)
    shifted = 0.5 * real + np.float32(0.2) * np.arange(3, dtype=np.float32).reshape(1, 3, 1, 1)
    assert aligned_l1(shifted, real) < 1e-6 < translation_l1(shifted, real)
    noisy = real + rng.normal(0, 0.1, real.shape).astype(np.float32)
    assert aligned_l1(noisy, real) == pytest.approx(translation_l1(noisy, real), rel=0.2)
    with pytest.raises(ValueError, match='shapes differ'):
        aligned_l1(real, real[:1])


def translation_l1(fake, real):
    return d2gan.translation_metrics(fake, real)['L1']
