"""``d2gan.nn.conv_transpose.interleave_phases`` -- the C++ operator ``d2gan_interleave_phases``
and the two transposes used without it -- is ``depth_to_space`` bit for bit, forward and
backward, imperative and hybridized (the transposed convolutions ``via_conv`` and the gradient
penalty's conv input-gradient both rely on it)."""
import numpy as np
import pytest

import d2gan  # noqa: F401
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.nn import native
from d2gan.nn.conv_transpose import interleave_by_transposes, interleave_phases, phase_split_kernel

SHAPES = [(2, 2, 3, 5, 4), (16, 2, 32, 8, 8), (1, 3, 2, 4, 7), (3, 2, 1, 6, 6)]


def reference(x, s, c):
    """The definition: output pixel (s i + a, s j + b) of channel c is input channel
    (a s + b) C + c at (i, j)."""
    n, _, r0, r1 = x.shape
    y = x.reshape(n, s, s, c, r0, r1).transpose(0, 3, 4, 1, 5, 2)
    return y.reshape(n, c, s * r0, s * r1)


class Interleave(nn.HybridBlock):
    def __init__(self, s, c, route=interleave_phases):
        super().__init__()
        self.s, self.c, self.route = s, c, route

    def hybrid_forward(self, F, x):
        return self.route(F, x, self.s, self.c)


# the C++ operator where it is available, and the two transposes used without it
ROUTES = [interleave_phases, interleave_by_transposes]


@pytest.mark.parametrize('route', ROUTES, ids=['default', 'transposes'])
@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('n, s, c, r0, r1', SHAPES)
def test_equals_depth_to_space_exactly_forward_and_backward(n, s, c, r0, r1, hybridize, route):
    rng = np.random.RandomState(n * 100 + c)
    x_np = rng.randn(n, s * s * c, r0, r1).astype(np.float32)
    g_np = rng.randn(n, c, s * r0, s * r1).astype(np.float32)
    block = Interleave(s, c, route)
    if hybridize:
        block.hybridize()
    x = nd.array(x_np)
    x.attach_grad()
    with autograd.record():
        y = block(x)
    y.backward(nd.array(g_np))
    np.testing.assert_array_equal(y.asnumpy(), reference(x_np, s, c))
    # the backward of a permutation is the inverse permutation of the output gradient
    expected_grad = np.empty_like(x_np)
    index = reference(np.arange(x_np.size).reshape(x_np.shape), s, c)
    expected_grad.reshape(-1)[index.reshape(-1)] = g_np.reshape(-1)
    np.testing.assert_array_equal(x.grad.asnumpy(), expected_grad)


def test_matches_mxnet_depth_to_space():
    x = nd.random.normal(shape=(4, 2 * 2 * 6, 5, 3))
    np.testing.assert_array_equal(interleave_phases(nd, x, 2, 6).asnumpy(),
                                  nd.depth_to_space(x, 2).asnumpy())


@pytest.mark.skipif(not native.available(), reason='the C++ operators are not available here')
def test_the_operator_is_used_and_refuses_bad_shapes():
    import mxnet as mx
    assert 'd2gan_interleave_phases' in interleave_phases(mx.sym, mx.sym.var('y'), 2, 3).tojson()
    x = nd.array(np.random.RandomState(5).randn(2, 18, 3, 4), dtype='float64')
    np.testing.assert_array_equal(interleave_phases(nd, x, 3, 2).asnumpy(),
                                  reference(x.asnumpy(), 3, 2))
    with pytest.raises(mx.base.MXNetError, match='d2gan_interleave_phases: takes'):
        nd.d2gan_interleave_phases(nd.ones((2, 6, 3, 3)), stride='2').wait_to_read()


def reference_crop(full, top, left, bottom, right):
    """``full`` without ``top`` / ``left`` / ``bottom`` / ``right`` edge rows and columns; a
    negative ``bottom`` or ``right`` appends that many zero rows or columns."""
    n, c, h, w = full.shape
    out = np.zeros((n, c, h - top - bottom, w - left - right), full.dtype)
    rows, cols = min(out.shape[2], h - top), min(out.shape[3], w - left)
    out[:, :, :rows, :cols] = full[:, :, top:top + rows, left:left + cols]
    return out


class CroppedInterleave(nn.HybridBlock):
    def __init__(self, s, c, crop):
        super().__init__()
        self.s, self.c, self.crop = s, c, crop

    def hybrid_forward(self, F, x):
        return interleave_phases(F, x, self.s, self.c, self.crop)


@pytest.mark.parametrize('operators', [True, False], ids=['C++ operator', 'slice and pad'])
@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('s, crop', [(2, (1, 1, 1, 1)), (2, (1, 0, 0, 2)), (2, (0, 0, -1, -2)),
                                     (3, (2, 1, -1, 1)), (2, (0, 0, 0, 0))])
def test_crop_cuts_the_edges_and_pads_zeros_forward_and_backward(s, crop, hybridize, operators,
                                                                 monkeypatch):
    """The crop after a transposed convolution and the penalty's crop-and-zero-rows, in the
    operator's pass and in the fallback's ``slice`` + ``pad``: values, and the gradient of the
    phases -- the output's gradient where a phase pixel is kept, zero where it is cut."""
    if operators and not native.available():
        pytest.skip('the C++ operators are not available here')
    monkeypatch.setattr(native, 'available', lambda: operators)
    n, c, r0, r1 = 2, 3, 4, 5
    rng = np.random.RandomState(s * 10 + sum(crop))
    x_np = rng.randn(n, s * s * c, r0, r1)
    full = reference(x_np, s, c)
    expected = reference_crop(full, *crop)
    g_np = rng.randn(*expected.shape)
    block = CroppedInterleave(s, c, crop)
    if hybridize:
        block.hybridize()
    x = nd.array(x_np, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = block(x)
    y.backward(nd.array(g_np, dtype='float64'))
    np.testing.assert_array_equal(y.asnumpy(), expected)
    # the gradient of the full grid: g where kept, zero where cut; then un-interleaved
    top, left = crop[:2]
    full_grad = np.zeros_like(full)
    rows, cols = min(g_np.shape[2], full.shape[2] - top), min(g_np.shape[3], full.shape[3] - left)
    full_grad[:, :, top:top + rows, left:left + cols] = g_np[:, :, :rows, :cols]
    index = reference(np.arange(x_np.size).reshape(x_np.shape), s, c)
    expected_grad = np.empty_like(x_np)
    expected_grad.reshape(-1)[index.reshape(-1)] = full_grad.reshape(-1)
    np.testing.assert_array_equal(x.grad.asnumpy(), expected_grad)


@pytest.mark.skipif(not native.available(), reason='the C++ operators are not available here')
def test_the_operators_refuse_a_crop_that_leaves_nothing_and_a_bad_weight():
    import mxnet as mx
    with pytest.raises(mx.base.MXNetError, match='leaves nothing'):
        nd.d2gan_interleave_phases(nd.ones((1, 4, 2, 2)), stride='2', top='2',
                                   bottom='2').wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='top and left must be >= 0'):
        nd.d2gan_interleave_phases(nd.ones((1, 4, 2, 2)), stride='2', left='-1').wait_to_read()
    with pytest.raises(mx.base.MXNetError, match=r'd2gan_phase_split_kernel: takes a weight'):
        nd.d2gan_phase_split_kernel(nd.ones((3, 4, 4)), stride='2').wait_to_read()
    graph = SplitKernel(phase_split_kernel, 3, 5, 4, 4, 2)
    assert 'd2gan_phase_split_kernel' in graph(mx.sym.var('w')).tojson()


def test_works_in_a_hybridized_graph_whatever_the_spatial_size():
    block = Interleave(2, 3)
    block.hybridize()
    for size in (4, 7):
        x = nd.random.normal(shape=(2, 12, size, size + 1))
        np.testing.assert_array_equal(block(x).asnumpy(), reference(x.asnumpy(), 2, 3))


def reference_kernel(weight, n_out, n_in, k, s):
    taps = -(-k // s)
    w = np.zeros((n_out, n_in, s * taps, s * taps), weight.dtype)
    w[:, :, :k, :k] = weight.transpose(1, 0, 2, 3)
    w = w.reshape(n_out, n_in, taps, s, taps, s).transpose(3, 5, 0, 1, 2, 4)[..., ::-1, ::-1]
    return w.reshape(s * s * n_out, n_in, taps, taps)


class SplitKernel(nn.HybridBlock):
    def __init__(self, split, *shape):
        super().__init__()
        self._split, self._shape = split, shape

    def hybrid_forward(self, F, w):
        return self._split(F, w, *self._shape)


@pytest.mark.parametrize('route', ['phase_split_kernel', 'split_by_transposes',
                                   'split_by_placement'])
@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('n_in, n_out, k, s', [(3, 5, 4, 2), (8, 1, 3, 2), (2, 4, 5, 3),
                                               (6, 7, 3, 1), (4, 2, 1, 2), (64, 16, 4, 2),
                                               (40, 30, 3, 2)])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_phase_split_kernel_is_the_sub_kernels_flipped(n_in, n_out, k, s, hybridize, route, dtype):
    """The kernel of all output phases, bit for bit as its definition builds it, by both
    constructions (placing the taps with a 0/1 matrix product must copy, not round) and by the
    size-picked one (the last two shapes take the placement), imperatively and in a graph, in
    float32 and float64 (the penalty's finite-difference checks)."""
    from d2gan.nn import conv_transpose
    rng = np.random.RandomState(k)
    weight = rng.randn(n_in, n_out, k, k).astype(dtype)
    expected = reference_kernel(weight, n_out, n_in, k, s)
    x = nd.array(weight, dtype=dtype)
    x.attach_grad()
    block = SplitKernel(getattr(conv_transpose, route), n_in, n_out, k, k, s)
    if hybridize:
        block.hybridize()
    with autograd.record():
        got = block(x)
    head = np.arange(got.size, dtype=dtype).reshape(got.shape)
    got.backward(nd.array(head, dtype=dtype))
    np.testing.assert_array_equal(got.asnumpy(), expected)
    # each weight tap lands in exactly one place, so its gradient is the head at that place
    placed = reference_kernel(np.arange(1, weight.size + 1, dtype=np.float32).reshape(weight.shape),
                              n_out, n_in, k, s).reshape(-1)
    expected_grad = np.zeros(weight.size, dtype)
    expected_grad[placed[placed > 0].astype(int) - 1] = head.reshape(-1)[placed > 0]
    np.testing.assert_array_equal(x.grad.asnumpy().reshape(-1), expected_grad)


def test_placement_needs_a_weight_at_least_as_large_as_the_kernel_it_builds():
    from d2gan.nn.conv_transpose import split_by_placement
    with pytest.raises(ValueError, match='split_by_transposes'):
        split_by_placement(nd, nd.ones((1, 1, 1, 1)), 1, 1, 1, 1, 2)


@pytest.mark.parametrize('operators', [True, False], ids=['C++ operator', 'transposes'])
@pytest.mark.parametrize('then', ['conv', 'bias, leaky ReLU, conv'])
def test_uncropped_transposed_conv_then_conv_trains_hybridized(then, operators, monkeypatch):
    """oneDNN fails the backward of the transposes' interleave when a convolution's data
    gradient reaches it directly (a hybridized graph, no crop in between):
    ``copy_to_default_layout`` prevents it (the C++ operator needs no copy). Kernel 2,
    stride 2, padding 0 is a ``via_conv`` layer with nothing to crop; the hybridized gradients
    equal the imperative ones."""
    from d2gan.nn.conv_transpose import Conv2DTranspose
    if not operators:
        monkeypatch.setattr(native, 'available', lambda: False)
    elif not native.available():
        pytest.skip('the C++ operators are not available here')

    class Net(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.up = Conv2DTranspose(16, 2, strides=2, in_channels=8, via_conv=True,
                                          use_bias=then != 'conv')
                self.conv = nn.Conv2D(16, 3, padding=1, in_channels=16)

        def hybrid_forward(self, F, x):
            y = self.up(x)
            return self.conv(y if then == 'conv' else F.LeakyReLU(y, slope=0.2))

    x = nd.array(np.random.RandomState(0).randn(4, 8, 6, 6).astype(np.float32))
    grads = []
    for hybridize in (False, True):
        net = Net()
        net.initialize()
        for p in net.collect_params().values():
            p.set_data(nd.array(np.random.RandomState(1).randn(*p.shape).astype(np.float32)))
        if hybridize:
            net.hybridize()
        with autograd.record():
            loss = (net(x) ** 2).mean()
        loss.backward()
        grads.append([p.grad().asnumpy() for p in net.collect_params().values()])
    for imperative, hybridized in zip(*grads):
        np.testing.assert_allclose(hybridized, imperative, rtol=1e-5, atol=1e-6)
