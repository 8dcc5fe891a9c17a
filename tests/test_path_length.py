"""Path length regularization built from forward operators: ``J^T y`` equals MXNet's own
first-order gradient, and the regularizer's parameter gradients equal central finite
differences (float64), through modulation, demodulation, noise, FIR up-sampling and the skip
generator's ToRGB sums."""
import math

import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.gans.path_length import path_lengths, synthesis_vjp
from d2gan.models import stylegan2
from finite_differences import worst_error


@pytest.fixture
def exact_leaky_relu(monkeypatch):
    """MXNet's float64 LeakyReLU rounds its negative branch to float32; ``x * mask`` (slope
    held as a float32, as MXNet's kernel holds it) is the same function, exactly."""
    def leaky_relu(F, x):
        slope = float(np.float32(0.2))
        return x * ((x > 0) * (1 - slope) + slope)

    def lrelu(F, x, gain=1.0):
        return leaky_relu(F, x) * (math.sqrt(2) * gain)
    monkeypatch.setattr(stylegan2, 'leaky_relu', leaky_relu)
    monkeypatch.setattr(stylegan2, 'lrelu', lrelu)


def tiny_synthesis(seed=0):
    mx.random.seed(seed)
    G = d2gan.get_model('stylegan2_generator', resolution=8, img_channels=2, z_dim=4, w_dim=3,
                        mapping_layers=1, channel_base=8, channel_max=2)
    G.initialize()
    G.cast('float64')
    rng = np.random.default_rng(seed)
    for p in G.synthesis.collect_params().values():
        if p.grad_req != 'null':
            p.set_data(nd.array(rng.normal(0, 0.6, p.shape), dtype='float64'))
    return G.synthesis


def inputs(synthesis, seed=1):
    rng = np.random.default_rng(seed)
    ws = nd.array(rng.normal(size=(2, synthesis.num_ws, 3)), dtype='float64')
    y = nd.array(rng.normal(size=(2, 2, 8, 8)) / 8, dtype='float64')
    return ws, y


def reference_vjp(synthesis, ws, y, noise_seed):
    ws = ws.copy()
    ws.attach_grad()
    mx.random.seed(noise_seed)
    with autograd.record():
        img = synthesis(ws)
    img.backward(y)
    return img.asnumpy(), ws.grad.asnumpy()


def test_vjp_equals_autograd(exact_leaky_relu):
    synthesis = tiny_synthesis()
    ws, y = inputs(synthesis)
    img_ref, grad_ref = reference_vjp(synthesis, ws, y, noise_seed=5)
    mx.random.seed(5)
    img, grad = synthesis_vjp(synthesis, ws, y)
    np.testing.assert_allclose(img.asnumpy(), img_ref, rtol=1e-10, atol=1e-12)
    assert np.abs(grad.asnumpy() - grad_ref).max() < 1e-10 * np.abs(grad_ref).max()


def test_parameter_gradients_match_finite_differences(exact_leaky_relu):
    synthesis = tiny_synthesis(seed=2)
    ws, y = inputs(synthesis, seed=3)
    target = 0.7                                    # a fixed running mean

    def reference():
        g = reference_vjp(synthesis, ws, y, noise_seed=9)[1]
        lengths = np.sqrt((g ** 2).sum(axis=2).mean(axis=1))
        return float(((lengths - target) ** 2).sum())

    params = [p for p in synthesis.collect_params().values() if p.grad_req != 'null']
    for p in params:
        p.grad()[:] = 0
    mx.random.seed(9)
    with autograd.record():
        total = nd.sum(nd.square(path_lengths(synthesis, ws, y) - target))
    total.backward()
    analytic = {p.name: p.grad().asnumpy().copy() for p in params}
    assert abs(total.asscalar() - reference()) < 1e-9 * abs(total.asscalar())
    worst, scale = worst_error(params, reference, analytic, step=1e-6)
    assert scale > 0 and worst < 1e-6 * scale, (worst, scale)
