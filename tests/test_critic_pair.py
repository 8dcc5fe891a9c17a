"""Scoring real and fake images in one critic call: only for critics that treat every example
on its own, and then the same losses, gradients and updates as two calls."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon, nd

import d2gan
from d2gan.nn import batch_coupled_blocks, scores_each_example
from step_checks import TINY_EDITORS as EDITORS


class _GroupMean(gluon.HybridBlock):
    """A layer of one's own that mixes the examples of a call, and says so."""
    batch_coupled = True

    def hybrid_forward(self, F, x):
        return F.broadcast_sub(x, F.mean(x, axis=0, keepdims=True))


@pytest.mark.parametrize('recipe, config, joint', [
    ('wgan-gp', {}, True),                      # no norm
    ('wgan-gp', {'norm': 'layer'}, True),
    ('dcgan', {}, False),                       # batch norm
    ('lsgan', {}, False),
    ('hinge-sn', {}, False),                    # spectral norm's power iteration per call
    ('stargan', EDITORS['stargan'], True),
    ('attgan', EDITORS['attgan'], True),        # instance norm
    ('stgan', EDITORS['stgan'], True),
])
def test_steps_score_in_one_call_only_critics_without_batch_coupling(recipe, config, joint):
    widths = dict(attrs=['a', 'b']) if recipe in EDITORS else dict(ngf=8, ndf=8)
    step = d2gan.build_gan(recipe, image_size=16, **config, **widths)
    assert step.joint_critic is joint
    assert bool(batch_coupled_blocks(step.net_D)) is not joint


def test_minibatch_stddev_and_own_coupling_layers_are_found():
    D = d2gan.get_model('pggan_discriminator', resolution=16, fmap_base=64, fmap_max=16)
    assert any(isinstance(b, d2gan.nn.MinibatchStdDev) for b in batch_coupled_blocks(D))
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(4), _GroupMean())
    assert not scores_each_example(net) and batch_coupled_blocks(net) == [net[1]]
    plain = gluon.nn.HybridSequential()
    plain.add(gluon.nn.Dense(4), d2gan.nn.InstanceNorm())
    assert scores_each_example(plain)


def _wgan_gp(hybridize):
    mx.random.seed(0)
    return d2gan.build_gan('wgan-gp', image_size=16, ngf=8, ndf=8, hybridize=hybridize)


def _editor(model, hybridize):
    mx.random.seed(0)
    return d2gan.build_gan(model, attrs=['a', 'b'], image_size=16, n_critic=1,
                           hybridize=hybridize, **EDITORS[model])


def _d_update(step, batch):
    mx.random.seed(1)
    if isinstance(batch, tuple):                         # an editor: its logs
        logs = step._d_update(*batch)
    else:                                                # GANStep: (loss_D, {'penalty': ...})
        loss, extra = step._d_update(batch)
        logs = dict(extra, loss_D=loss)
    params = list(step.net_D.collect_params().values())   # names differ between two builds
    grads = [p.grad().asnumpy().copy() for p in params if p.grad_req != 'null']
    weights = [p.data().asnumpy().copy() for p in params]
    return logs, grads, weights


def _assert_same_update(make, batch):
    joint, apart = make(), make()
    assert joint.joint_critic
    apart.joint_critic = False
    a, b = _d_update(joint, batch), _d_update(apart, batch)
    assert a[0].keys() == b[0].keys()
    for key in a[0]:
        assert np.allclose(a[0][key].asnumpy(), b[0][key].asnumpy(), rtol=1e-5, atol=1e-6), key
    assert len(a[1]) == len(b[1]) > 0 and len(a[2]) == len(b[2])
    for i, (g, h) in enumerate(zip(a[1], b[1])):   # D's gradient (loss + penalty), every parameter
        assert np.abs(g - h).max() / (np.abs(h).max() + 1e-12) < 1e-4, i
    # and the weights after the update: Adam's first step is about lr * sign(g), which turns a
    # rounding difference in a gradient near zero into up to a step of difference; a tenth of
    # the learning rate (1e-4 / 2e-4) bounds it
    for i, (w, v) in enumerate(zip(a[2], b[2])):
        assert np.allclose(w, v, rtol=1e-5, atol=1e-5), i


@pytest.mark.parametrize('hybridize', [False, True])
def test_wgan_gp_critic_update_is_the_same_in_one_call(hybridize):
    X = nd.array(np.random.default_rng(0).uniform(-1, 1, (6, 1, 16, 16)).astype('float32'))
    _assert_same_update(lambda: _wgan_gp(hybridize), X)


@pytest.mark.parametrize('model', sorted(EDITORS))
@pytest.mark.parametrize('hybridize', [False, True])
def test_editor_critic_update_is_the_same_in_one_call(model, hybridize):
    rng = np.random.default_rng(0)
    X = nd.array(rng.uniform(-1, 1, (6, 3, 16, 16)).astype('float32'))
    A = nd.array(rng.integers(0, 2, (6, 2)).astype('float32'))
    _assert_same_update(lambda: _editor(model, hybridize), (X, A))


def test_critic_pair_cuts_a_tuple_output_and_its_gradient():
    step = _editor('stargan', hybridize=True)
    rng = np.random.default_rng(1)
    x = nd.array(rng.uniform(-1, 1, (3, 3, 16, 16)).astype('float32'))
    f = nd.array(rng.uniform(-1, 1, (5, 3, 16, 16)).astype('float32'))
    for joint in (True, False):
        step.joint_critic = joint
        x.attach_grad(), f.attach_grad()
        with autograd.record():
            (ra, rc), (fa, fc) = step.critic_pair(x, f)
            total = (ra * 2).sum() + (rc ** 2).sum() - (fa * 3).sum() + fc.sum()
        total.backward()
        got = [ra, rc, fa, fc, x.grad, f.grad]
        if joint:
            first = [a.asnumpy().copy() for a in got]
            assert ra.shape[0] == 3 and fa.shape[0] == 5 and rc.shape == (3, 2)
        else:
            for a, b in zip(first, got):
                assert np.allclose(a, b.asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('hybridize', [False, True])
def test_cyclegan_step_is_the_same_with_both_critics_in_one_call(hybridize):
    rng = np.random.default_rng(0)
    batch = tuple(rng.uniform(-1, 1, (2, 3, 24, 24)).astype('float32') for _ in range(2))

    def run(joint):
        mx.random.seed(0)
        step = d2gan.build_gan('cyclegan', image_size=24, ngf=4, ndf=4, n_blocks=1,
                               hybridize=hybridize)
        assert step.joint_critic                    # instance norm: each example on its own
        step.joint_critic = joint
        mx.random.seed(1)
        logs = step.train_step(batch)
        logs = {k: v.asnumpy() for k, v in logs.items()}
        grads = [p.grad().asnumpy().copy() for name in ('D_A', 'D_B')
                 for p in step.networks[name].collect_params().values() if p.grad_req != 'null']
        return logs, grads

    (logs, grads), (logs_b, grads_b) = run(True), run(False)
    for key in logs:
        assert np.allclose(logs[key], logs_b[key], rtol=1e-5, atol=1e-6), key
    # the critics' gradients; a convolution's bias right before an instance norm has a zero
    # gradient up to rounding, so each is compared on the scale of the largest gradient
    scale = max(np.abs(g).max() for g in grads_b)
    assert len(grads) == len(grads_b) > 0
    for i, (g, h) in enumerate(zip(grads, grads_b)):
        assert np.abs(g - h).max() < 1e-5 * scale + 1e-4 * np.abs(h).max(), i
