"""Reflection padding by the C++ operator ``d2gan_reflect_pad`` (``d2gan.nn.native``) equals
MXNet's ``pad`` (the route it replaced) and numpy's ``np.pad(mode='reflect')``, in values and
gradients: imperative and hybridized, pads up to the side minus one, uneven pads, float64,
accumulated gradients, a network of several pads against the imperative one; clear errors for
pads too large for the image and for arrays that are not 4-D; ``D2GAN_NATIVE=0`` keeps ``pad``."""
import os
import subprocess
import sys

import d2gan  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.nn import native
from graph_checks import assert_hybridized_equals_imperative, run
from d2gan.nn.padding import ReflectionPad, reflect_pad, reflect_pad_mxnet

pytestmark = pytest.mark.skipif(not native.available(),
                                reason='no C++ compiler here: ReflectionPad uses MXNet\'s pad')


def numpy_pad(x, pads):
    """``x`` padded by ``(top, bottom, left, right)`` by reflection, and the 0/1 matrix ``A``
    with ``pad(x).ravel() = A x.ravel()`` per plane: the gradient is ``A^T g``."""
    top, bottom, left, right = pads
    spec = ((0, 0), (0, 0), (top, bottom), (left, right))
    h, w = x.shape[2:]
    index = np.pad(np.arange(h * w).reshape(1, 1, h, w), spec, mode='reflect').ravel()
    placement = np.zeros((index.size, h * w))
    placement[np.arange(index.size), index] = 1
    return np.pad(x, spec, mode='reflect'), placement


def numpy_grad(g, x_shape, placement):
    n, c, h, w = x_shape
    return (g.reshape(n * c, -1) @ placement).reshape(x_shape)


class Pad(nn.HybridBlock):
    def __init__(self, pads, route):
        super().__init__()
        self._pads, self._route = pads, route

    def hybrid_forward(self, F, x):
        if self._route == 'native':
            return F.d2gan_reflect_pad(x, pad=self._pads)
        if self._route == 'library':
            return F.d2gan_reflect_pad(F.identity(x), pad=self._pads)
        top, bottom, left, right = self._pads
        return F.pad(x, mode='reflect', pad_width=(0, 0, 0, 0, top, bottom, left, right))


def data(x_shape, pads, dtype='float32', seed=0):
    rng = np.random.RandomState(seed)
    n, c, h, w = x_shape
    top, bottom, left, right = pads
    out_shape = (n, c, h + top + bottom, w + left + right)
    return nd.array(rng.randn(*x_shape), dtype=dtype), nd.array(rng.randn(*out_shape),
                                                               dtype=dtype)


CASES = [((2, 3, 8, 8), (1, 1, 1, 1)), ((1, 4, 16, 16), (3, 3, 3, 3)),
         ((2, 2, 5, 7), (4, 4, 6, 6)),                 # the largest pads the sides allow
         ((3, 5, 6, 9), (0, 2, 3, 1)), ((1, 1, 2, 2), (1, 1, 1, 1)), ((2, 3, 4, 4), (0, 0, 0, 0))]


@pytest.mark.parametrize('x_shape, pads', CASES)
@pytest.mark.parametrize('hybridize', [None, 'dynamic', 'static'])
def test_values_and_gradients_equal_mxnet_pad_and_numpy(x_shape, pads, hybridize):
    x, g = data(x_shape, pads)
    new, old = Pad(pads, 'native'), Pad(pads, 'mxnet')
    if hybridize:
        static = hybridize == 'static'
        for net in (new, old):
            net.hybridize(static_alloc=static, static_shape=static)
    y_new, dx_new = run(new, x, g)
    y_old, dx_old = run(old, x, g)
    y_ref, placement = numpy_pad(x.asnumpy(), pads)
    dx_ref = numpy_grad(g.asnumpy().astype(np.float64), x_shape, placement)
    np.testing.assert_array_equal(y_new, y_ref)             # a copy: exact
    np.testing.assert_array_equal(y_new, y_old)
    np.testing.assert_allclose(dx_new, dx_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx_new, dx_old, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('hybridize', [False, True])
def test_float64(hybridize):
    pads = (2, 1, 1, 2)
    x, g = data((2, 3, 5, 6), pads, dtype='float64')
    net = Pad(pads, 'native')
    if hybridize:
        net.hybridize()
    y, dx = run(net, x, g)
    y_ref, placement = numpy_pad(x.asnumpy(), pads)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(dx, numpy_grad(g.asnumpy(), x.shape, placement), rtol=0,
                               atol=1e-14)


def test_reflection_pad_block_takes_the_operator_and_equals_pad():
    block = ReflectionPad(3)
    block.hybridize()
    assert 'd2gan_reflect_pad' in reflect_pad(mx.sym, mx.sym.var('x'), 3).tojson()
    x, g = data((2, 4, 10, 12), (3, 3, 3, 3))
    y_new, dx_new = run(block, x, g)
    y_old, dx_old = run(Pad((3, 3, 3, 3), 'mxnet'), x, g)
    np.testing.assert_array_equal(y_new, y_old)
    np.testing.assert_allclose(dx_new, dx_old, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(reflect_pad_mxnet(nd, x, 3).asnumpy(), y_old)


@pytest.mark.parametrize('hybridize', [False, True])
def test_gradients_accumulate_with_grad_req_add(hybridize):
    """The operator alone overwrites (the library API has no ``req``): the library's route
    puts ``identity`` in front of it."""
    pads = (1, 1, 1, 1)
    x, g = data((2, 3, 4, 4), pads)
    x = x.copy()
    x.attach_grad(grad_req='add')
    net = Pad(pads, 'library')
    if hybridize:
        net.hybridize()
    for _ in range(2):
        with autograd.record():
            y = net(x)
        y.backward(g)
    _, placement = numpy_pad(x.asnumpy(), pads)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * numpy_grad(g.asnumpy(), x.shape, placement),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('static', [False, True])
def test_hybridized_network_equals_imperative(static):
    """pad, conv, relu, pad, conv, relu, pad, conv: the first conv's weight gradient, hybridized,
    equals the imperative one, every time."""
    def layers():
        return (ReflectionPad(3), nn.Conv2D(8, 7, in_channels=3), nn.Activation('relu'),
                ReflectionPad(1), nn.Conv2D(8, 3, in_channels=8), nn.Activation('relu'),
                ReflectionPad(1), nn.Conv2D(1, 3, in_channels=8))
    assert_hybridized_equals_imperative(layers, (2, 3, 16, 16), static, rtol=1e-5)


@pytest.mark.parametrize('hybridize', [False, True])
def test_residual_input_gradient_sums_both_paths(hybridize):
    """``x + conv(pad(x))``: the input's gradient is the sum of the skip's and the pad's."""
    def input_grad(route):
        class Residual(nn.HybridBlock):
            def __init__(self):
                super().__init__()
                self.pad = Pad((1, 1, 1, 1), route)
                self.conv = nn.Conv2D(3, 3, in_channels=3)

            def hybrid_forward(self, F, x):
                return x + self.conv(self.pad(x))
        net = Residual()
        net.initialize()
        rng = np.random.RandomState(5)
        net.conv.weight.set_data(nd.array(rng.randn(3, 3, 3, 3) * 0.3))
        if hybridize:
            net.hybridize()
        x, g = data((2, 3, 8, 8), (0, 0, 0, 0), seed=6)
        return run(net, x, g)[1]
    np.testing.assert_allclose(input_grad('library'), input_grad('mxnet'), rtol=1e-5, atol=1e-5)


def test_pads_as_large_as_the_side_are_refused():
    with pytest.raises(mx.base.MXNetError, match='smaller than the side they pad'):
        nd.d2gan_reflect_pad(nd.ones((1, 1, 3, 8)), pad=(3, 3, 1, 1)).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='smaller than the side they pad'):
        nd.d2gan_reflect_pad(nd.ones((1, 1, 8, 2)), pad=(1, 1, 0, 2)).wait_to_read()


def test_only_4d_arrays_and_four_pads_are_accepted():
    with pytest.raises(mx.base.MXNetError, match='pads \\(N, C, H, W\\) arrays'):
        nd.d2gan_reflect_pad(nd.ones((2, 8, 8)), pad=(1, 1, 1, 1)).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='four non-negative integers'):
        nd.d2gan_reflect_pad(nd.ones((1, 1, 8, 8)), pad=(1, 1)).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='four non-negative integers'):
        nd.d2gan_reflect_pad(nd.ones((1, 1, 8, 8)), pad=(1, -1, 1, 1)).wait_to_read()


def test_native_0_keeps_mxnet_pad():
    code = ('import d2gan, mxnet as mx; from d2gan.nn import native, padding; '
            'graph = padding.reflect_pad(mx.sym, mx.sym.var("x"), 1).tojson(); '
            'print(native.available(), graph.count("\\"Pad\\""))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=dict(os.environ, D2GAN_NATIVE='0'), check=True).stdout.split()
    assert out[-2:] == ['False', '1']
