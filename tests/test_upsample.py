"""Nearest up-sampling by 2 (``d2gan.nn.upsample``): the C++ operator ``d2gan_upsample2x``
equals MXNet's ``UpSampling`` -- values exactly, input gradients to float rounding -- in
float32 and float64, imperative and hybridized, times a scale, its backward is deterministic,
and the decoders and the penalty's average-pool rule use it."""
import numpy as np
import pytest
import mxnet as mx
from mxnet import nd
from mxnet.gluon import nn

from d2gan.nn import native
from d2gan.nn.upsample import upsample_nearest2x
from graph_checks import run

pytestmark = pytest.mark.skipif(not native.available(),
                                reason='the C++ operators are not available here')


@pytest.mark.parametrize('dtype,tolerance', [('float32', 1e-6), ('float64', 1e-15)])
@pytest.mark.parametrize('shape', [(1, 1, 1, 1), (2, 3, 5, 7), (8, 32, 16, 16)])
def test_operator_equals_mxnet_upsampling(shape, dtype, tolerance):
    rng = np.random.default_rng(0)
    x = nd.array(rng.normal(size=shape), dtype=dtype)
    head = nd.array(rng.normal(size=shape[:2] + (2 * shape[2], 2 * shape[3])), dtype=dtype)
    y_ours, g_ours = run(lambda v: nd.d2gan_upsample2x(v), x, head)
    y_mx, g_mx = run(lambda v: nd.UpSampling(v, scale=2, sample_type='nearest'), x, head)
    assert y_ours.dtype == np.dtype(dtype) and y_ours.shape == y_mx.shape
    assert np.array_equal(y_ours, y_mx)
    assert np.abs(g_ours - g_mx).max() <= tolerance * np.abs(g_mx).max()


def test_hybridized_block_and_deterministic_backward():
    net = nn.HybridLambda(upsample_nearest2x)
    net.hybridize(static_alloc=True, static_shape=True)
    rng = np.random.default_rng(1)
    x = nd.array(rng.normal(size=(4, 16, 8, 8)))
    head = nd.array(rng.normal(size=(4, 16, 16, 16)))
    grads = [run(net, x, head)[1] for _ in range(5)]
    expected = head.asnumpy().reshape(4, 16, 8, 2, 8, 2).sum(axis=(3, 5))
    for g in grads:
        assert np.array_equal(g, grads[0])
        assert np.abs(g - expected).max() < 1e-5


def test_falls_back_to_upsampling_without_the_operators(monkeypatch):
    monkeypatch.setattr(native, 'available', lambda: False)
    x = nd.array(np.arange(4.0).reshape(1, 1, 2, 2))
    sym = upsample_nearest2x(mx.sym, mx.sym.var('x'))
    assert 'UpSampling' in sym.tojson()
    np.testing.assert_array_equal(upsample_nearest2x(nd, x).asnumpy(),
                                  np.kron(x.asnumpy(), np.ones((1, 1, 2, 2))))


def test_a_feature_map_is_required():
    with pytest.raises(mx.base.MXNetError, match='d2gan_upsample2x: up-samples'):
        nd.d2gan_upsample2x(nd.ones((2, 3, 4))).wait_to_read()


def test_the_decoders_use_it():
    from d2gan.models.starganv2 import AdainResBlk
    block = AdainResBlk(8, 4, style_dim=4, upsample=True)
    block.initialize()
    block.hybridize()
    out = block(nd.ones((1, 8, 4, 4)), nd.ones((1, 4)))
    assert out.shape == (1, 4, 8, 8)
    sym = block(mx.sym.var('x'), mx.sym.var('s'))
    assert 'd2gan_upsample2x' in sym.tojson() and 'UpSampling' not in sym.tojson()


def test_scale():
    rng = np.random.default_rng(2)
    x = nd.array(rng.normal(size=(2, 3, 4, 5)))
    head = nd.array(rng.normal(size=(2, 3, 8, 10)))
    y, g = run(lambda v: upsample_nearest2x(nd, v, 0.25), x, head)
    y_mx, g_mx = run(lambda v: nd.UpSampling(v, scale=2, sample_type='nearest') * 0.25, x, head)
    assert np.array_equal(y, y_mx)
    assert np.abs(g - g_mx).max() <= 1e-6 * np.abs(g_mx).max()
