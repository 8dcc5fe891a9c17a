"""``(a + b) * scale`` (``d2gan.nn.scaled_sum``): the C++ operator ``d2gan_scaled_sum`` equals
MXNet's ``elemwise_add`` then ``_mul_scalar`` -- values and both input gradients -- in float32
and float64, imperative and hybridized, with either gradient alone or one array as both inputs;
bad input is refused by name; StarGAN v2's residual blocks and their penalty rule use it."""
import math

import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.nn import native
from d2gan.nn.scaled_sum import scaled_sum

pytestmark = pytest.mark.skipif(not native.available(),
                                reason='the C++ operators are not available here')
SCALE = 1 / math.sqrt(2)


def sum_and_grads(fn, a, b, head, grad_a=True, grad_b=True):
    """``fn(a, b)`` and the gradients of ``a`` and ``b`` (None where not asked) for ``head``."""
    a, b = a.copy(), b.copy()
    if grad_a:
        a.attach_grad()
    if grad_b:
        b.attach_grad()
    with autograd.record():
        y = fn(a, b)
    y.backward(head)
    return (y.asnumpy(), a.grad.asnumpy() if grad_a else None,
            b.grad.asnumpy() if grad_b else None)


def inputs(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [nd.array(rng.normal(size=shape), dtype=dtype) for _ in range(3)]


@pytest.mark.parametrize('dtype,tolerance', [('float32', 1e-6), ('float64', 1e-15)])
@pytest.mark.parametrize('shape', [(1,), (2, 3, 5, 7), (8, 32, 16, 16)])
def test_operator_equals_add_then_scale(shape, dtype, tolerance):
    a, b, head = inputs(shape, dtype)
    ours = sum_and_grads(lambda u, v: nd.d2gan_scaled_sum(u, v, scale=repr(SCALE)), a, b, head)
    mxnet = sum_and_grads(lambda u, v: (u + v) * SCALE, a, b, head)
    for x_ours, x_mx in zip(ours, mxnet):
        assert x_ours.dtype == np.dtype(dtype) and x_ours.shape == x_mx.shape
        assert np.abs(x_ours - x_mx).max() <= tolerance * np.abs(x_mx).max()


@pytest.mark.parametrize('grad_a,grad_b', [(True, False), (False, True)])
def test_one_gradient_alone_hybridized(grad_a, grad_b):
    net = nn.HybridLambda(lambda F, u, v: scaled_sum(F, u, v, 0.5))
    net.hybridize(static_alloc=True, static_shape=True)
    a, b, head = inputs((4, 16, 8, 8), 'float32', seed=1)
    y, da, db = sum_and_grads(net, a, b, head, grad_a, grad_b)
    np.testing.assert_allclose(y, (a.asnumpy() + b.asnumpy()) * 0.5, rtol=1e-6)
    np.testing.assert_allclose(da if grad_a else db, head.asnumpy() * 0.5, rtol=1e-6)


def test_one_array_as_both_inputs():
    a, _, head = inputs((3, 4), 'float64', seed=2)
    a.attach_grad()
    with autograd.record():
        y = scaled_sum(nd, a, a, 3.0)
    y.backward(head)
    np.testing.assert_allclose(y.asnumpy(), 6 * a.asnumpy(), rtol=1e-15)
    np.testing.assert_allclose(a.grad.asnumpy(), 6 * head.asnumpy(), rtol=1e-15)


def test_falls_back_to_add_and_scale_without_the_operators(monkeypatch):
    monkeypatch.setattr(native, 'available', lambda: False)
    sym = scaled_sum(mx.sym, mx.sym.var('a'), mx.sym.var('b'), SCALE)
    assert '_mul_scalar' in sym.tojson() and 'd2gan_scaled_sum' not in sym.tojson()
    np.testing.assert_allclose(scaled_sum(nd, nd.ones(2), nd.ones(2), 2.0).asnumpy(), [4, 4])


def test_bad_input_is_refused_by_name():
    with pytest.raises(mx.base.MXNetError, match='d2gan_scaled_sum: a and b must have the same'):
        nd.d2gan_scaled_sum(nd.ones((2, 3)), nd.ones((3, 2)), scale='1.0').wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='d2gan_scaled_sum: the attribute scale'):
        nd.d2gan_scaled_sum(nd.ones(2), nd.ones(2)).wait_to_read()


def test_stargan_v2_blocks_use_it():
    from d2gan.models.starganv2 import AdainResBlk, ResBlk
    for block, args in [(ResBlk(8, 4, normalize=True, downsample=True), ['x']),
                        (AdainResBlk(8, 4, style_dim=4, upsample=True), ['x', 's'])]:
        block.initialize()
        graph = block(*[mx.sym.var(name) for name in args]).tojson()
        assert 'd2gan_scaled_sum' in graph and '_mul_scalar' not in graph
