"""Proof that d2gan.penalty's gradient penalties have exact gradients (float64 where possible).

The penalty builds the critic's input gradient from forward operators (see d2gan/penalty.py).
Two independent checks on small critics (2 convolutions + LeakyReLU or ReLU + instance or layer
norm + dense head):

(i)  the input gradient equals MXNet's own first-order ``autograd.grad`` (and so does its norm);
(ii) the gradient of the penalty w.r.t. EVERY parameter element equals central finite
     differences (step 1e-5) of the penalty VALUE, where each value is computed from MXNet's
     first-order input gradient -- no second derivative anywhere in the reference.

Float64 needs two stand-ins in the reference (same functions, see ``reference_forward``):
MXNet's InstanceNorm has no float64 kernel (GroupNorm with one group per channel is instance
norm), and its float64 LeakyReLU rounds the negative branch to float32. The norms' ``eps`` is a
float32 inside MXNet's kernels (1e-5 -> 9.99999975e-06); the penalty uses the same number.

Tolerances, and the errors measured (max |a - b| / max |b| over all elements; float64):

=========================  =========  ==================================================
check                      tolerance  measured
=========================  =========  ==================================================
(i) input gradient         1e-12      1.5e-16 instance norm, 3.5e-16 layer norm, 1.2e-16
                                      ReLU, 7.4e-16 with spectral-norm convolutions
(ii) WGAN-GP param grads   1e-7       4.3e-10 instance norm, 6.6e-9 layer norm, 3.1e-11
                                      ReLU (finite-difference truncation and rounding)
(ii) R1 param grads        1e-7       2.9e-10 instance norm
penalty value              1e-9       1e-13 (the 1e-12 under the norm's square root)
(i) float32, Gluon critic  1e-5       8.2e-8 small critic; 1.7e-7 - 2.2e-7 DCGAN critics
float32 vs float64 grads   1e-4       6.1e-7 (DCGAN critic, oneDNN float32 kernels)
=========================  =========  ==================================================
"""
import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

import d2gan
from d2gan.models.dcgan import DCGANDiscriminator
from d2gan.nn import SNConv2D
from d2gan.penalty import (GradientPenalty, R1Penalty, conv2d_input_grad, critic_input_gradient,
                           critic_layers, gradient_norm, interpolate, adding_gradients)


def small_critic(norm='instance', act='leaky', dtype='float64', spectral=False, seed=0):
    """conv(1->2, 4, s2) -> act -> conv(2->3, 3, s2) -> norm -> act -> dense(1) on 8x8 inputs."""
    mx.random.seed(seed)
    conv = SNConv2D if spectral else nn.Conv2D
    make_act = (lambda: nn.LeakyReLU(0.2)) if act == 'leaky' else (lambda: nn.Activation('relu'))
    net = nn.HybridSequential()
    net.add(conv(2, 4, 2, 1, in_channels=1), make_act(), conv(3, 3, 2, 1, in_channels=2))
    if norm == 'instance':
        net.add(nn.InstanceNorm(in_channels=3, scale=True))
    elif norm == 'layer':
        net.add(nn.LayerNorm(axis=1, in_channels=3))
    net.add(make_act(), nn.Dense(1, in_units=12))
    net.initialize(mx.init.Normal(0.5))
    rng = np.random.default_rng(seed)
    for p in net.collect_params().values():  # non-trivial biases, gammas and betas
        if p.name.endswith(('bias', 'beta', 'gamma')):
            p.set_data(rng.normal(1.0 if p.name.endswith('gamma') else 0.0, 0.3, p.shape))
    net.cast(dtype)
    return net


def reference_forward(net, x):
    """``net(x)`` with Gluon's layers, where float64 needs two stand-ins of equal value.

    MXNet's InstanceNorm has no float64 kernel: GroupNorm with one group per channel is the
    same function. MXNet's float64 LeakyReLU rounds its negative branch to float32 (measured
    4e-8 error, enough to ruin a finite difference): ``maximum(x, alpha x)`` is exact.
    """
    for layer in net._children.values():
        if x.dtype != np.float64:
            x = layer(x)
        elif isinstance(layer, nn.InstanceNorm):
            x = nd.GroupNorm(x, layer.gamma.data(), layer.beta.data(), num_groups=x.shape[1],
                             eps=layer._epsilon)
        elif isinstance(layer, nn.LeakyReLU):
            x = nd.maximum(x, float(np.float32(layer._alpha)) * x)
        else:
            x = layer(x)
    return x


def reference_input_grad(net, x):
    """MXNet's first-order gradient of the per-example score (predict mode: u stays put)."""
    x = x.copy()
    x.attach_grad()
    with autograd.record(train_mode=False):
        out = reference_forward(net, x)
        score = out.reshape((out.shape[0], -1)).mean(axis=1).sum()
    return autograd.grad(score, [x], train_mode=False)[0].asnumpy()


def reference_penalty(penalty, net, x):
    """The penalty value from MXNet's first-order input gradient (numpy float)."""
    g = reference_input_grad(net, x).reshape(x.shape[0], -1)
    if isinstance(penalty, R1Penalty):
        return 0.5 * penalty.gamma * (g ** 2).sum()
    return penalty.weight * ((np.sqrt((g ** 2).sum(axis=1)) - penalty.target) ** 2).sum()


def rel_err(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(np.asarray(b)).max(), 1e-30)


def trainable(net):
    return [p for p in net.collect_params().values() if p.grad_req != 'null']


def penalty_grads(penalty, net, x):
    """Parameter gradients of ``penalty.value`` by back-prop through the forward-built graph."""
    for p in trainable(net):
        p.grad()[:] = 0
    with autograd.record():
        total = penalty.value(net, x)
    total.backward()
    return {p.name: p.grad().asnumpy().copy() for p in trainable(net)}, total.asscalar()


def finite_difference_grads(penalty, net, x, step=1e-5):
    grads = {}
    for p in trainable(net):
        data, fd = p.data(), np.zeros(p.shape)
        for index in np.ndindex(*p.shape):
            old = data[index].asscalar()
            data[index] = old + step
            up = reference_penalty(penalty, net, x)
            data[index] = old - step
            down = reference_penalty(penalty, net, x)
            data[index] = old
            fd[index] = (up - down) / (2 * step)
        grads[p.name] = fd
    return grads


def inputs(n=3, size=8, dtype='float64', seed=1):
    return nd.array(np.random.default_rng(seed).normal(size=(n, 1, size, size)), dtype=dtype)


CASES = [('instance', 'leaky'), ('layer', 'leaky'), ('none', 'relu')]


@pytest.mark.parametrize('norm,act', CASES)
def test_input_gradient_equals_autograd_float64(norm, act):
    net, x = small_critic(norm, act), inputs()
    grad, out = critic_input_gradient(net, x)
    assert rel_err(out.asnumpy().ravel(), reference_forward(net, x).asnumpy().ravel()) < 1e-12
    ref = reference_input_grad(net, x)
    assert rel_err(grad.asnumpy(), ref) < 1e-12
    if norm != 'instance':  # gradient_norm runs the Gluon critic itself: no float64 InstanceNorm
        norms = np.sqrt((ref.reshape(3, -1) ** 2).sum(axis=1))
        # ... and its float64 LeakyReLU is float32-rounded (see reference_forward)
        assert rel_err(gradient_norm(net, x).asnumpy(), norms) < 1e-7


def test_input_gradient_of_gluon_instance_norm_critic_float32():
    net, x = small_critic('instance', 'leaky', dtype='float32'), inputs(dtype='float32')
    net.hybridize()
    grad, out = critic_input_gradient(net, x)
    assert rel_err(out.asnumpy().ravel(), net(x).asnumpy().ravel()) < 1e-5
    assert rel_err(grad.asnumpy(), reference_input_grad(net, x)) < 1e-5


@pytest.mark.parametrize('norm', ['layer', 'instance', 'none'])
def test_input_gradient_of_dcgan_critic(norm):
    mx.random.seed(0)
    net = DCGANDiscriminator(channels=1, image_size=16, ndf=4, norm=norm)
    d2gan.nn.dcgan_init(net)
    net.hybridize()
    x = nd.random.uniform(-1, 1, shape=(2, 1, 16, 16))
    grad, out = critic_input_gradient(net, x)
    assert rel_err(out.asnumpy().ravel(), net(x).asnumpy()) < 1e-5
    xr = x.copy()
    xr.attach_grad()
    with autograd.record():
        score = net(xr).sum()
    ref = autograd.grad(score, [xr])[0].asnumpy()
    assert rel_err(grad.asnumpy(), ref) < 1e-5


def test_input_gradient_with_spectral_norm_layers():
    net, x = small_critic('layer', 'leaky', spectral=True), inputs()
    for _ in range(3):  # move u away from its initial value
        with autograd.record():
            net(x)
    assert rel_err(critic_input_gradient(net, x)[0].asnumpy(), reference_input_grad(net, x)) < 1e-12


@pytest.mark.parametrize('norm,act', CASES)
def test_gradient_penalty_parameter_gradients_match_finite_differences(norm, act):
    net, x = small_critic(norm, act), inputs()
    penalty = GradientPenalty(weight=10.0)
    analytic, value = penalty_grads(penalty, net, x)
    assert abs(value - reference_penalty(penalty, net, x)) < 1e-9 * abs(value)
    numeric = finite_difference_grads(penalty, net, x)
    scale = max(np.abs(g).max() for g in numeric.values())
    for name, fd in numeric.items():
        assert np.abs(analytic[name] - fd).max() < 1e-7 * scale, name
    # the output layer's bias cannot change an input gradient: exactly zero
    assert not np.any(analytic[net[len(net) - 1].bias.name])


def test_r1_parameter_gradients_match_finite_differences():
    net, x = small_critic('instance', 'leaky', seed=3), inputs(seed=4)
    penalty = R1Penalty(gamma=5.0)
    analytic, value = penalty_grads(penalty, net, x)
    assert abs(value - reference_penalty(penalty, net, x)) < 1e-9 * abs(value)
    numeric = finite_difference_grads(penalty, net, x)
    scale = max(np.abs(g).max() for g in numeric.values())
    for name, fd in numeric.items():
        assert np.abs(analytic[name] - fd).max() < 1e-7 * scale, name


@pytest.mark.parametrize('norm', ['layer', 'instance'])
def test_call_adds_its_gradients_to_those_already_there(norm):
    """Also where a parameter's gradient comes from one C++ operator alone (the instance norm's
    beta through ``d2gan_rows_affine``): those operators write their gradients whatever the
    request, so the penalty reads every parameter through ``identity``, which adds."""
    net = small_critic(norm, 'leaky')
    real, fake = inputs(seed=5), inputs(seed=6)
    penalty = GradientPenalty()
    mx.random.seed(7)
    points = interpolate(real, fake)
    alone, value = penalty_grads(penalty, net, points)
    before = {}
    for i, p in enumerate(trainable(net)):
        p.grad()[:] = i + 1.0
        before[p.name] = p.grad().asnumpy().copy()
    mx.random.seed(7)
    returned = penalty(net, real, fake)
    assert abs(returned.asscalar() - value) < 1e-12 * value
    for p in trainable(net):
        assert rel_err(p.grad().asnumpy(), before[p.name] + alone[p.name]) < 1e-12, p.name
    assert penalty.last_norms.shape == (3,)


def test_call_leaves_write_requests_and_the_trainers_stale_check_as_they_were():
    """The penalty adds by marking the gradients ``'add'`` for its own backward pass only: a
    later backward pass writes again, a parameter it does not reach keeps its gradient, the
    trainer still knows which gradients were written since its last step, and an error inside
    restores the requests too."""
    net = small_critic('layer', 'leaky', dtype='float32')
    unused = nn.Dense(1, in_units=4)          # trained by the loss below, not by the penalty
    unused.initialize()
    both = [*trainable(net), *trainable(unused)]
    real, fake = inputs(seed=5, dtype='float32'), inputs(seed=6, dtype='float32')
    trainer = mx.gluon.Trainer(dict(enumerate(both)), 'sgd', {'learning_rate': 0.0})
    with autograd.record():
        loss = net(real).sum() + unused(nd.ones((2, 4))).sum()
    loss.backward()
    after_loss = {p.name: p.grad().asnumpy().copy() for p in both}
    GradientPenalty()(net, real, fake)
    assert np.array_equal(unused.weight.grad().asnumpy(), after_loss[unused.weight.name])
    trainer.step(1)                           # raises on a gradient it thinks is stale
    with autograd.record():
        loss = net(real).sum() + unused(nd.ones((2, 4))).sum()
    loss.backward()                           # 'write' again: the same gradients as before
    for p in both:
        assert rel_err(p.grad().asnumpy(), after_loss[p.name]) < 1e-6, p.name
    with pytest.raises(RuntimeError, match='inside'):
        with adding_gradients(net, mx.cpu()):
            raise RuntimeError('an error inside')
    with autograd.record():
        loss = net(real).sum() + unused(nd.ones((2, 4))).sum()
    loss.backward()
    for p in both:
        assert rel_err(p.grad().asnumpy(), after_loss[p.name]) < 1e-6, p.name


def test_interpolates_lie_between_real_and_fake():
    real, fake = nd.ones((4, 1, 2, 2)), -nd.ones((4, 1, 2, 2))
    x = interpolate(real, fake).asnumpy()
    assert x.min() >= -1 and x.max() <= 1
    assert np.allclose(x, x[:, :1, :1, :1])  # one eps per example
    assert len(np.unique(x[:, 0, 0, 0])) == 4


def test_r1_ignores_fake_and_gradient_norm_leaves_parameters_alone():
    net, x = small_critic('none', 'leaky'), inputs()
    for p in trainable(net):
        p.grad()[:] = 0
    norms = gradient_norm(net, x).asnumpy()
    assert norms.shape == (3,) and np.all(norms > 0)
    assert all(not np.any(p.grad().asnumpy()) for p in trainable(net))
    r1 = R1Penalty(gamma=2.0)
    value = r1(net, x, None).asscalar()
    assert abs(value - (norms ** 2).sum()) < 1e-9 * value


def test_batch_norm_and_unknown_layers_are_refused_with_clear_errors():
    net = DCGANDiscriminator(channels=1, image_size=16, ndf=4, norm='batch')
    d2gan.nn.dcgan_init(net)
    with pytest.raises(ValueError, match='BatchNorm'):
        critic_input_gradient(net, nd.zeros((2, 1, 16, 16)))
    odd = nn.HybridSequential()
    odd.add(nn.Conv2D(2, 3, in_channels=1), nn.MaxPool2D())
    odd.initialize()
    with pytest.raises(TypeError, match='MaxPool2D.*supported layers'):
        critic_input_gradient(odd, nd.zeros((1, 1, 8, 8)))


def test_dcgan_critic_is_walked_through_its_body():
    net = DCGANDiscriminator(channels=1, image_size=16, ndf=4, norm='layer')
    kinds = [type(layer).__name__ for layer in critic_layers(net)]
    assert kinds == ['Conv2D', 'LeakyReLU', 'Conv2D', 'LayerNorm', 'LeakyReLU', 'Conv2D']


def test_float32_parameter_gradients_match_float64_on_dcgan_critic():
    """The float32 path (oneDNN kernels, hybridized critic) agrees with the float64 one that
    the finite differences above validate (measured max rel. error 6.1e-7)."""
    mx.random.seed(0)
    net = DCGANDiscriminator(channels=1, image_size=16, ndf=4, norm='layer')
    d2gan.nn.dcgan_init(net)
    for p in net.collect_params().values():  # weights large enough for a non-trivial penalty
        if p.name.endswith('weight'):
            p.set_data(p.data() * 10)
    net.hybridize()
    x = nd.random.uniform(-1, 1, shape=(4, 1, 16, 16))
    net(x)
    penalty = GradientPenalty()
    grads32, value32 = penalty_grads(penalty, net, x)
    net.cast('float64')
    grads64, value64 = penalty_grads(penalty, net, x.astype('float64'))
    assert abs(value32 - value64) < 1e-5 * value64
    scale = max(np.abs(g).max() for g in grads64.values())
    for name, g64 in grads64.items():
        assert np.abs(grads32[name] - g64).max() < 1e-4 * scale, name


def test_training_a_critic_with_the_penalty_reaches_the_analytic_optimum():
    """Real and fake clouds 4 apart: a critic of slope g along the line scores 4 g - 10 (g - 1)^2
    at best, so WGAN-GP training must settle at g = 1 + 4 / (2 * 10) = 1.2 (not at 1)."""
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(32, in_units=2), nn.LeakyReLU(0.2), nn.Dense(32), nn.LeakyReLU(0.2),
            nn.Dense(1))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = mx.gluon.Trainer(net.collect_params(), 'adam',
                               {'learning_rate': 2e-3, 'beta1': 0.5, 'beta2': 0.9})
    real = nd.random.normal(scale=0.2, shape=(128, 2)) + nd.array([[2, 0]])
    fake = nd.random.normal(scale=0.2, shape=(128, 2)) - nd.array([[2, 0]])
    penalty, loss = GradientPenalty(10.0), d2gan.get_loss('wgan')
    for _ in range(200):
        with autograd.record():
            total = loss.d_loss(net(real), net(fake)).sum()
        total.backward()
        penalty(net, real, fake)
        trainer.step(128)
    norms = gradient_norm(net, interpolate(real, fake)).asnumpy()
    assert abs(norms.mean() - 1.2) < 0.05
    assert abs((net(real) - net(fake)).mean().asscalar() - 4 * 1.2) < 0.3


@pytest.mark.parametrize('penalty', [GradientPenalty(10.0), R1Penalty(3.0)])
def test_hybridized_graph_equals_operator_by_operator_construction(penalty):
    net, x = small_critic('layer', 'leaky', spectral=True), inputs()
    penalty.hybridize = False
    grads_imperative, value_imperative = penalty_grads(penalty, net, x)
    norms_imperative = penalty.last_norms.asnumpy()
    penalty.hybridize = True
    grads_graph, value_graph = penalty_grads(penalty, net, x)
    assert abs(value_graph - value_imperative) < 1e-12 * value_imperative
    assert rel_err(penalty.last_norms.asnumpy(), norms_imperative) < 1e-12
    assert rel_err(critic_input_gradient(net, x)[0].asnumpy(), reference_input_grad(net, x)) < 1e-12
    for name, g in grads_imperative.items():
        assert rel_err(grads_graph[name], g) < 1e-12, name


@pytest.mark.parametrize('channels,kernel,stride,pad,size', [
    ((1, 4), 4, 2, 1, 8), ((3, 5), 3, 1, 1, 7), ((2, 3), 4, 1, 0, 6), ((2, 3), 3, 2, 1, 7),
    ((2, 3), 4, 2, 1, 9), ((2, 3), 5, 2, 2, 9), ((2, 3), 3, 3, 0, 10), ((2, 2), 2, 2, 0, 8)])
def test_conv2d_input_grad_is_the_transposed_convolution(channels, kernel, stride, pad, size):
    """Odd sizes, kernels not divisible by the stride, rows no window reaches (10, k 3, s 3)."""
    rng = np.random.default_rng(0)
    (c, o), k = channels, kernel
    x = nd.array(rng.normal(size=(2, c, size, size)), dtype='float64')
    w = nd.array(rng.normal(size=(o, c, k, k)), dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = nd.Convolution(x, w, kernel=(k, k), stride=(stride,) * 2, pad=(pad,) * 2,
                           num_filter=o, no_bias=True)
    dy = nd.array(rng.normal(size=y.shape), dtype='float64')
    y.backward(dy)
    dx = conv2d_input_grad(nd, dy, w, w.shape, (stride,) * 2, (pad,) * 2, (size,) * 2,
                           y.shape[2:])
    assert rel_err(dx.asnumpy(), x.grad.asnumpy()) < 1e-13


@pytest.mark.parametrize('act', ['leaky', 'relu'])
@pytest.mark.parametrize('dtype,tolerance', [('float64', 1e-12), ('float32', 1e-5)])
def test_leaky_operators_equal_the_mask_route(monkeypatch, act, dtype, tolerance):
    """With the C++ operators, a (leaky) ReLU in the penalty is ``d2gan_leaky`` forward and
    ``d2gan_leaky_mul`` for its input gradient; value, input gradient and parameter gradients
    equal the mask-array route's (the one taken without them)."""
    import d2gan.penalty as penalty_module
    if not penalty_module.native.available():
        pytest.skip('the C++ operators are not available here')
    net, x = small_critic('layer', act, dtype=dtype, seed=3), inputs(dtype=dtype, seed=4)
    ops = []
    masked = penalty_module._Ops.masked
    monkeypatch.setattr(penalty_module._Ops, 'masked',
                        lambda self, dy, m: ops.append(type(m)) or masked(self, dy, m))
    by_native, value_native = penalty_grads(GradientPenalty(10.0), net, x)
    grad_native = critic_input_gradient(net, x)[0].asnumpy()
    assert ops and all(kind is tuple for kind in ops), 'the C++ operators were not used'
    monkeypatch.setattr(penalty_module.native, 'available', lambda: False)
    ops.clear()
    by_masks, value_masks = penalty_grads(GradientPenalty(10.0), net, x)
    assert ops and tuple not in ops
    assert abs(value_native - value_masks) < tolerance * abs(value_masks)
    assert rel_err(grad_native, critic_input_gradient(net, x)[0].asnumpy()) < tolerance
    scale = max(np.abs(g).max() for g in by_masks.values())
    for name, g in by_masks.items():
        assert np.abs(by_native[name] - g).max() < tolerance * scale, name


@pytest.mark.parametrize('dtype,tolerance', [('float64', 1e-12), ('float32', 1e-5)])
def test_instance_norm_rows_route_equals_the_broadcast_route(monkeypatch, dtype, tolerance):
    """A 4-D instance norm in the penalty runs on rows with the C++ operators where they are
    available; its value, input gradient and parameter gradients equal the broadcast route's
    (the one taken without them, and for layer norm)."""
    import d2gan.penalty as penalty_module
    if not penalty_module.native.available():
        pytest.skip('the C++ operators are not available here')
    net, x = small_critic('instance', 'leaky', dtype=dtype, seed=8), inputs(dtype=dtype, seed=9)
    calls = []
    rows_forward = penalty_module._rows_forward
    monkeypatch.setattr(penalty_module, '_rows_forward',
                        lambda *a: calls.append(1) or rows_forward(*a))
    by_rows, value_rows = penalty_grads(GradientPenalty(10.0), net, x)
    grad_rows = critic_input_gradient(net, x)[0].asnumpy()
    assert calls, 'the rows route was not taken'
    monkeypatch.setattr(penalty_module.native, 'available', lambda: False)
    calls.clear()
    by_broadcast, value_broadcast = penalty_grads(GradientPenalty(10.0), net, x)
    assert not calls
    assert abs(value_rows - value_broadcast) < tolerance * abs(value_broadcast)
    assert rel_err(grad_rows, critic_input_gradient(net, x)[0].asnumpy()) < tolerance
    scale = max(np.abs(g).max() for g in by_broadcast.values())   # conv1's bias: zero exactly
    for name, g in by_broadcast.items():
        assert np.abs(by_rows[name] - g).max() < tolerance * scale, name
