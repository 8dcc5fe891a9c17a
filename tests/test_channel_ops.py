"""The fast per-channel operations equal their broadcast formulas, values and gradients."""
import d2gan  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.nn.channel_ops import pixel_norm, scale_channels
from d2gan.nn.equalized import PixelNorm


def grads(f, *arrays):
    arrays = [a.copy() for a in arrays]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        y = f(*arrays)
    y.backward(nd.array(np.random.default_rng(1).standard_normal(y.shape), dtype=y.dtype))
    return [y.asnumpy()] + [a.grad.asnumpy() for a in arrays]


def broadcast_pixel_norm(x):
    return nd.broadcast_mul(x, nd.rsqrt(nd.mean(nd.square(x), axis=1, keepdims=True) + 1e-8))


@pytest.mark.parametrize('shape', [(3, 5, 4, 6), (4, 7)])
def test_pixel_norm_equals_the_broadcast_formula(shape):
    x = nd.array(np.random.default_rng(0).standard_normal(shape), dtype='float64')
    fast = grads(lambda a: pixel_norm(nd, a, shape[1], vectors=len(shape) == 2), x)
    slow = grads(broadcast_pixel_norm, x)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    layer = PixelNorm(channels=shape[1], vectors=len(shape) == 2)
    layer.hybridize()
    np.testing.assert_allclose(layer(x.astype('float32')).asnumpy(), slow[0], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(PixelNorm()(x).asnumpy(), slow[0], rtol=1e-12)


@pytest.mark.parametrize('pixels', [None, 30])
def test_scale_channels_equals_broadcast_multiplication_in_a_hybridized_graph(pixels):
    """Both routes (``batch_dot``; the outer product when the pixel count is given) equal the
    broadcast product, values and both gradients, in float64 and in a hybridized graph."""
    rng = np.random.default_rng(2)
    x = nd.array(rng.standard_normal((3, 4, 5, 6)), dtype='float64')
    s = nd.array(rng.standard_normal((3, 4)), dtype='float64')
    fast = grads(lambda a, b: scale_channels(nd, a, b, pixels), x, s)
    slow = grads(lambda a, b: nd.broadcast_mul(a, b.reshape((0, 0, 1, 1))), x, s)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)

    class Scale(nn.HybridBlock):
        def hybrid_forward(self, F, a, b):
            return scale_channels(F, a, b, pixels)
    net = Scale()
    net.hybridize()
    for n in (3, 1):                       # the batch size may change between calls
        out = net(x[:n].astype('float32'), s[:n].astype('float32')).asnumpy()
        np.testing.assert_allclose(out, slow[0][:n], rtol=1e-5, atol=1e-6)
    mx.nd.waitall()


def test_scale_channels_with_a_wrong_pixel_count_fails():
    with pytest.raises(mx.base.MXNetError):
        scale_channels(nd, nd.ones((2, 3, 4, 4)), nd.ones((2, 3)), pixels=15).asnumpy()
