"""R1 through StyleGAN2's residual discriminator: the input gradient built from forward
operators (FIR down-sampling, equalized-lr layers, residual branches, minibatch stddev with its
cross-example terms) equals MXNet's own, and the penalty's parameter gradients equal central
finite differences, in float64."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.nn.equalized import ScaledLeakyReLU
from d2gan.penalty import R1Penalty, critic_input_gradient
from finite_differences import worst_error


@pytest.fixture
def exact_leaky_relu(monkeypatch):
    """MXNet's float64 LeakyReLU rounds its negative branch to float32; the same function
    written as ``x * mask`` is exact, so the reference is exact too (the slope held as a
    float32, as MXNet's kernel and the penalty hold it)."""
    def forward(self, F, x):
        if self.slope == 1:
            return x * self.gain
        slope = float(np.float32(self.slope))
        return x * ((x > 0) * (1 - slope) + slope) * self.gain
    monkeypatch.setattr(ScaledLeakyReLU, 'hybrid_forward', forward)


def tiny_critic(seed=0):
    mx.random.seed(seed)
    net = d2gan.get_model('stylegan2_discriminator', resolution=8, img_channels=1,
                          channel_base=16, channel_max=4, mbstd_group_size=4)
    net.initialize(mx.init.Normal(0.5))
    net.cast('float64')
    for p in net.collect_params().values():      # random biases and weights, not zeros
        if p.grad_req != 'null':
            p.set_data(nd.array(np.random.default_rng(seed).normal(0, 0.7, p.shape),
                                dtype='float64'))
    return net


def reference_input_grad(net, x):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        out = net(x)
    out.backward(nd.ones_like(out))
    return x.grad.asnumpy()


def reference_r1(net, x, gamma):
    g = reference_input_grad(net, x).reshape(x.shape[0], -1)
    return 0.5 * gamma * (g ** 2).sum()


def test_input_gradient_equals_autograd(exact_leaky_relu):
    net = tiny_critic()
    x = nd.array(np.random.default_rng(1).normal(size=(8, 1, 8, 8)), dtype='float64')
    grad, out = critic_input_gradient(net, x)
    np.testing.assert_allclose(out.asnumpy(), net(x).asnumpy(), rtol=1e-9)
    ref = reference_input_grad(net, x)
    assert np.abs(grad.asnumpy() - ref).max() < 1e-10 * np.abs(ref).max()


def test_r1_parameter_gradients_match_finite_differences(exact_leaky_relu):
    net = tiny_critic(seed=2)
    x = nd.array(np.random.default_rng(3).normal(size=(8, 1, 8, 8)), dtype='float64')
    penalty = R1Penalty(gamma=2.0)
    params = [p for p in net.collect_params().values() if p.grad_req != 'null']
    for p in params:
        p.grad()[:] = 0
    with autograd.record():
        total = penalty.value(net, x)
    total.backward()
    analytic = {p.name: p.grad().asnumpy().copy() for p in params}   # before the reference
    assert abs(total.asscalar() - reference_r1(net, x, 2.0)) < 1e-9 * abs(total.asscalar())
    worst, scale = worst_error(params, lambda: reference_r1(net, x, 2.0), analytic)
    assert scale > 0 and worst < 1e-6 * scale, (worst, scale)
