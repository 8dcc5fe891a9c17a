"""The fast per-channel operations equal their broadcast formulas, values and gradients."""
import d2gan  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.nn.channel_ops import (affine_rows, affine_rows_batch_dot, pixel_norm,
                                    scale_channels)
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
    hybrid = grads(layer, x.astype('float32'))               # float32: oneDNN's kernels
    for a, b in zip(hybrid, slow):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
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


def broadcast_affine_rows(rows, scale, shift):
    return nd.broadcast_add(nd.broadcast_mul(rows, scale.reshape((-1, 1))), shift.reshape((-1, 1)))


@pytest.mark.parametrize('route', [affine_rows, affine_rows_batch_dot])
@pytest.mark.parametrize('shape', [(6, 20), (64, 256), (1, 7), (3, 1)])
def test_affine_rows_equals_the_broadcast_formula_in_float64(route, shape):
    rng = np.random.default_rng(2)
    arrays = [nd.array(rng.standard_normal(s), dtype='float64')
              for s in (shape, shape[:1], shape[:1])]
    fast = grads(lambda *a: route(nd, *a), *arrays)
    slow = grads(broadcast_affine_rows, *arrays)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('hybridize', [None, 'dynamic', 'static'])
def test_affine_rows_in_a_network_equals_broadcast_operators(hybridize):
    """conv, instance norm, rows times scale plus shift from a Dense layer of a style, relu,
    conv: every parameter's gradient in float32, as StarGAN v2's AdaIN uses it."""
    from d2gan.nn.norm import normalize_rows

    class Styled(nn.HybridBlock):
        def __init__(self, fast):
            super().__init__()
            self.fast = fast
            self.conv1 = nn.Conv2D(4, 3, padding=1, in_channels=3)
            self.fc = nn.Dense(8, in_units=5)
            self.conv2 = nn.Conv2D(2, 3, in_channels=4)

        def hybrid_forward(self, F, x, s):
            h = self.conv1(x)
            rows = normalize_rows(F, F.reshape(h, (-3, -1)), 1e-5)
            style = self.fc(s)
            scale = F.reshape(1 + F.slice_axis(style, axis=1, begin=0, end=4), (-1,))
            shift = F.reshape(F.slice_axis(style, axis=1, begin=4, end=8), (-1,))
            if self.fast:
                y = affine_rows(F, rows, scale, shift)
            else:
                y = F.broadcast_add(F.broadcast_mul(rows, F.reshape(scale, (-1, 1))),
                                    F.reshape(shift, (-1, 1)))
            return self.conv2(F.relu(F.reshape_like(y, h)))

    rng = np.random.default_rng(3)
    x, s = nd.array(rng.standard_normal((2, 3, 8, 8))), nd.array(rng.standard_normal((2, 5)))
    results = []
    for fast in (True, False):
        net = Styled(fast)
        net.initialize(mx.init.Xavier())
        for p in net.collect_params().values():
            p.set_data(nd.array(np.random.default_rng(4).standard_normal(p.shape) * 0.3))
        if hybridize:
            net.hybridize(static_alloc=hybridize == 'static', static_shape=hybridize == 'static')
        with autograd.record():
            loss = (net(x, s) ** 2).mean()
        loss.backward()
        results.append([p.grad().asnumpy() for p in net.collect_params().values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(np.abs(b).max(), 1))


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_one_pair_per_channel_is_shared_by_the_examples(dtype):
    """``scale``, ``shift`` of length C on rows (N C, L): row n C + c takes pair c, and the
    pair's gradient sums over the examples (an affine instance norm's gamma, beta)."""
    from d2gan.nn import native
    if not native.available():
        pytest.skip('the C++ operator is not built here (no compiler)')
    rng = np.random.default_rng(6)
    n, c, length = 3, 4, 10
    arrays = [nd.array(rng.standard_normal(s), dtype=dtype) for s in ((n * c, length), (c,), (c,))]

    def tiled(rows, scale, shift):
        return nd.broadcast_add(nd.broadcast_mul(rows.reshape((n, c, length)),
                                                 scale.reshape((1, c, 1))),
                                shift.reshape((1, c, 1))).reshape((n * c, length))
    fast = grads(lambda *a: nd.d2gan_rows_affine(*a), *arrays)
    slow = grads(tiled, *arrays)
    tol = 1e-12 if dtype == 'float64' else 1e-5
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_affine_rows_refuses_shapes_and_dtypes_that_do_not_match():
    from d2gan.nn import native
    if not native.available():
        pytest.skip('the C++ operator is not built here (no compiler)')
    rows = nd.ones((4, 6))
    with pytest.raises(mx.base.MXNetError, match='one value per row'):
        nd.d2gan_rows_affine(rows, nd.ones((3,)), nd.ones((4,))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='one value per row'):
        nd.d2gan_rows_affine(rows, nd.ones((4,)), nd.ones((4, 1))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='the same length for both'):
        nd.d2gan_rows_affine(rows, nd.ones((4,)), nd.ones((2,))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='2-D array'):
        nd.d2gan_rows_affine(nd.ones((4, 6, 1)), nd.ones((4,)), nd.ones((4,))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="the first input's dtype"):
        nd.d2gan_rows_affine(rows, nd.ones((4,), dtype='float64'), nd.ones((4,))).wait_to_read()


def test_affine_rows_without_gradients_for_scale_and_shift():
    """Only the rows need a gradient: the operator skips what MXNet does not ask for."""
    rng = np.random.default_rng(5)
    rows = nd.array(rng.standard_normal((5, 9)))
    scale, shift = nd.array(rng.standard_normal(5)), nd.array(rng.standard_normal(5))
    rows.attach_grad()
    with autograd.record():
        y = affine_rows(nd, rows, scale, shift)
    y.backward(nd.ones_like(y))
    np.testing.assert_allclose(rows.grad.asnumpy(), np.tile(scale.asnumpy()[:, None], (1, 9)),
                               rtol=1e-6)
