"""U-GAT-IT's (Ada)ILN by the C++ operator ``d2gan_instance_layer_norm`` (``d2gan.nn.native``)
equals the graph-operator route it replaced (``_instance_layer_mix_moments``) in values and in
the gradients of ``x``, ``rho``, ``scale`` and ``shift``: float64 and float32, biased and
unbiased variances, per-example (AdaILN) and per-channel (ILN) styles, imperative and
hybridized; bad shapes and dtypes are refused with the operator's name and what it needs.
(``tests/test_ugatit_models.py`` also compares both layers with the broadcast definition.)"""
import d2gan  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.models.ugatit import ILN, _instance_layer_mix, _instance_layer_mix_moments
from d2gan.nn import native
from graph_checks import assert_hybridized_equals_imperative

pytestmark = pytest.mark.skipif(not native.available(),
                                reason='the C++ operators are not built here (no compiler, GPU)')
EPS = 1e-5


def inputs(n, c, h, w, per_example, dtype, seed=0):
    """Channels with their own means and spreads (as after a convolution), rho in (0, 1),
    gamma near 1, beta, and an output gradient."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c, h, w)) * rng.uniform(0.2, 3, (n, c, 1, 1)) +
         rng.standard_normal((n, c, 1, 1)))
    rho = rng.uniform(0, 1, (1, c, 1, 1))
    scale = rng.uniform(0.5, 1.5, (n if per_example else 1, c))
    shift = rng.standard_normal(scale.shape)
    dy = rng.standard_normal(x.shape)
    return [nd.array(v, dtype=dtype) for v in (x, rho, scale, shift, dy)]


def values_and_gradients(route, x, rho, scale, shift, dy, unbiased):
    leaves = [v.copy() for v in (x, rho, scale, shift)]
    for v in leaves:
        v.attach_grad()
    with autograd.record():
        y = route(nd, *leaves, x.shape[1], EPS, unbiased)
    y.backward(dy)
    return [y.asnumpy()] + [v.grad.asnumpy() for v in leaves]


@pytest.mark.parametrize('dtype,rtol', [('float64', 1e-9), ('float32', 1e-5)])
@pytest.mark.parametrize('unbiased', [False, True])
@pytest.mark.parametrize('per_example', [False, True])
@pytest.mark.parametrize('shape', [(3, 5, 4, 6), (1, 16, 8, 8), (2, 4, 1, 2)])
def test_values_and_gradients_equal_the_graph_operator_route(shape, per_example, unbiased,
                                                             dtype, rtol):
    data = inputs(*shape, per_example, dtype)
    fused = values_and_gradients(_instance_layer_mix, *data, unbiased)
    graph = values_and_gradients(_instance_layer_mix_moments, *data, unbiased)
    for name, a, b in zip(('y', 'dx', 'drho', 'dscale', 'dshift'), fused, graph):
        assert a.dtype == np.dtype(dtype) and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max(), err_msg=name)
    assert np.abs(fused[2]).max() > 1e-3                      # rho does get a gradient


def test_rho_1_is_instance_norm_and_rho_0_layer_norm():
    x, _, scale, shift, _ = inputs(2, 3, 5, 5, True, 'float64')
    c = x.shape[1]
    for rho, axes in ((1.0, (2, 3)), (0.0, (1, 2, 3))):
        y = _instance_layer_mix(nd, x, nd.full((1, c, 1, 1), rho, dtype='float64'),
                                nd.ones_like(scale), nd.zeros_like(shift), c, EPS)
        v = x.asnumpy()
        expected = (v - v.mean(axis=axes, keepdims=True)) / np.sqrt(
            v.var(axis=axes, keepdims=True) + EPS)
        np.testing.assert_allclose(y.asnumpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('static', [False, True])
def test_hybridized_network_equals_imperative(static):
    """conv, ILN, relu, conv, ILN: the first conv's weight gradient, hybridized (dynamic and
    static graph), equals the imperative one every time."""
    def layers():
        return (nn.Conv2D(6, 3, padding=1, in_channels=3), ILN(6), nn.Activation('relu'),
                nn.Conv2D(4, 3, padding=1, in_channels=6), ILN(4))
    assert_hybridized_equals_imperative(layers, (2, 3, 8, 8), static, rtol=1e-4)


@pytest.mark.parametrize('x_shape,rho_shape,scale_shape,shift_shape,message', [
    ((6, 16), (6,), (6,), (6,), r'x must be \(N, C, H, W\) or \(N, C, H W\), got \(6,16,\)'),
    ((2, 3, 4, 4), (2,), (6,), (6,), r'rho needs one value per channel \(3\), got \(2,\)'),
    ((2, 3, 16), (3,), (4,), (4,), r'one value per channel \(3\) or one per example and '
                                   r'channel \(6\)'),
    ((2, 3, 4, 4), (1, 3, 1, 1), (2, 3), (6,), 'the same shape for both'),
])
def test_bad_shapes_name_what_the_operator_needs(x_shape, rho_shape, scale_shape, shift_shape,
                                                 message):
    with pytest.raises(mx.base.MXNetError, match=message):
        nd.d2gan_instance_layer_norm(nd.ones(x_shape), nd.ones(rho_shape), nd.ones(scale_shape),
                                     nd.ones(shift_shape)).wait_to_read()


def test_any_layout_of_the_per_channel_values():
    """rho, scale and shift as (C,), (1, C) or (1, C, 1, 1), x as (N, C, H, W) or (N, C, H W):
    the same values."""
    x, rho, scale, shift, _ = inputs(2, 3, 4, 5, False, 'float64')
    op = nd.d2gan_instance_layer_norm
    reference = op(x, rho, scale, shift).asnumpy()
    flat = op(x.reshape((2, 3, 20)), rho.reshape((-1,)), scale.reshape((-1,)),
              shift.reshape((-1,))).asnumpy()
    np.testing.assert_array_equal(flat.reshape(reference.shape), reference)


def test_float16_is_refused_by_name():
    ones = [nd.ones(s, dtype='float16') for s in ((1, 2, 4), (2,), (2,), (2,))]
    with pytest.raises(mx.base.MXNetError, match='d2gan_instance_layer_norm: float32 or float64'):
        nd.d2gan_instance_layer_norm(*ones).wait_to_read()


def test_the_generator_graph_uses_the_operator():
    """Every ILN and AdaILN of a U-GAT-IT generator is one operator in its graph."""
    net = d2gan.models.UGATITGenerator(ngf=4, n_blocks=2, img_size=16, light=True)
    graph = net(mx.sym.var('data'))[0].tojson()
    assert graph.count('"d2gan_instance_layer_norm"') == 2 * 2 + 2
