"""U-GAT-IT's CAM weighting folded into its 1x1 convolution (``d2gan.nn.cam_fold``): the C++
operator ``d2gan_cam_fold`` equals MXNet's slices and broadcast products -- values and the
gradients of the weight and of both classifier weights -- in float32 and float64, imperative and
hybridized, with the weight's request ``'add'``; bad shapes are refused by name; and the CAM
block, with the operator and with the fallback route, equals its definition
``conv1x1(concat(x * w_gap, x * w_gmp))`` with every gradient."""
from unittest import mock

import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

from d2gan.models.ugatit import CAM
from d2gan.nn import native
from d2gan.nn.cam_fold import cam_fold, cam_fold_mxnet

needs_native = pytest.mark.skipif(not native.available(),
                                  reason='the C++ operators are not available here')


def arrays(o, c, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [nd.array(rng.normal(size=shape), dtype=dtype)
            for shape in ((o, 2 * c, 1, 1), (1, c), (1, c), (o, c, 1, 1))]


def fold_and_grads(fn, weight, gap, gmp, head):
    weight, gap, gmp = weight.copy(), gap.copy(), gmp.copy()
    for a in (weight, gap, gmp):
        a.attach_grad()
    with autograd.record():
        y = fn(weight, gap, gmp)
    y.backward(head)
    return [y.asnumpy()] + [a.grad.asnumpy() for a in (weight, gap, gmp)]


@needs_native
@pytest.mark.parametrize('dtype,tolerance', [('float32', 1e-6), ('float64', 1e-14)])
@pytest.mark.parametrize('o,c', [(1, 1), (3, 5), (64, 32), (300, 257)])
@pytest.mark.parametrize('hybridize', [False, True])
def test_operator_equals_mxnets_route(o, c, dtype, tolerance, hybridize):
    weight, gap, gmp, head = arrays(o, c, dtype)
    results = []
    for fold in (cam_fold, cam_fold_mxnet):
        net = nn.HybridLambda(lambda F, w, a, b, fold=fold: fold(F, w, a, b))
        if hybridize:
            net.hybridize(static_alloc=True, static_shape=True)
        results.append(fold_and_grads(net, weight, gap, gmp, head))
    for ours, theirs in zip(*results):
        assert ours.dtype == np.dtype(dtype) and ours.shape == theirs.shape
        assert np.abs(ours - theirs).max() <= tolerance * max(np.abs(theirs).max(), 1)


@needs_native
def test_values_by_the_formula():
    weight, gap, gmp, _ = arrays(4, 3, 'float64', seed=1)
    w, a, b = weight.asnumpy()[:, :, 0, 0], gap.asnumpy()[0], gmp.asnumpy()[0]
    want = w[:, :3] * a + w[:, 3:] * b
    got = nd.d2gan_cam_fold(weight, nd.concat(gap, gmp, dim=1)).asnumpy()[:, :, 0, 0]
    np.testing.assert_allclose(got, want, rtol=1e-15)


@needs_native
def test_a_weight_with_request_add_accumulates():
    weight, gap, gmp, head = arrays(8, 4, 'float64', seed=2)
    weight.attach_grad(grad_req='add')
    weight.grad[:] = 1.0
    with autograd.record():
        y = cam_fold(nd, weight, gap, gmp)
    y.backward(head)
    once = fold_and_grads(lambda w, a, b: cam_fold(nd, w, a, b), weight, gap, gmp, head)[1]
    np.testing.assert_allclose(weight.grad.asnumpy(), once + 1.0, rtol=1e-14)


@needs_native
@pytest.mark.parametrize('shapes,message', [
    (((4, 6, 1, 1), (1, 4)), r'scales must be \(1, 6\)'),
    (((4, 5, 1, 1), (1, 5)), r'weight must be \(O, 2C, 1, 1\)'),
    (((4, 6, 3, 3), (1, 6)), r'weight must be \(O, 2C, 1, 1\)'),
])
def test_bad_shapes_are_refused_by_name(shapes, message):
    weight, scales = (nd.ones(s) for s in shapes)
    with pytest.raises(mx.MXNetError, match='d2gan_cam_fold: .*' + message):
        nd.d2gan_cam_fold(weight, scales).wait_to_read()


@pytest.mark.parametrize('route', [pytest.param('operator', marks=needs_native), 'fallback'])
@pytest.mark.parametrize('spectral_norm', [False, True])
def test_cam_equals_its_definition_with_every_gradient(spectral_norm, route):
    """The folded CAM vs ``conv1x1(concat(x * w_gap, x * w_gmp))``, float64, hybridized."""
    with mock.patch('d2gan.nn.cam_fold.native.available', return_value=route == 'operator'):
        check_cam_against_its_definition(spectral_norm)


def check_cam_against_its_definition(spectral_norm):
    c = 6
    cam = CAM(c, spectral_norm=spectral_norm, slope=0.2 if spectral_norm else 0.0)
    cam.initialize(mx.init.Normal(0.5))
    cam.cast('float64')
    cam.hybridize(static_alloc=True, static_shape=True)
    rng = np.random.default_rng(3)
    x = nd.array(rng.normal(size=(2, c, 5, 5)), dtype='float64')
    heads = [nd.array(rng.normal(size=s), dtype='float64')
             for s in ((2, c, 5, 5), (2, 2), (2, 1, 5, 5))]
    params = [cam.gap_weight, cam.gmp_weight, cam.conv1x1.weight, cam.conv1x1.bias]

    def run(forward):
        x_ = x.copy()
        x_.attach_grad()
        with autograd.record():
            outs = forward(x_)
        autograd.backward(list(outs), heads)
        return [o.asnumpy() for o in outs] + [x_.grad.asnumpy()] + \
            [p.grad().asnumpy().copy() for p in params]

    def definition(x_):
        gap, gmp = cam.gap_weight.data(), cam.gmp_weight.data()
        h, logits, _ = cam(x_)            # the logits are not folded: the block's own
        weighted = nd.concat(nd.broadcast_mul(x_, gap.reshape((1, -1, 1, 1))),
                             nd.broadcast_mul(x_, gmp.reshape((1, -1, 1, 1))), dim=1)
        h = nd.Convolution(weighted, cam.conv1x1.weight.data(), cam.conv1x1.bias.data(),
                           kernel=(1, 1), num_filter=c)
        h = nd.LeakyReLU(h, slope=0.2) if spectral_norm else nd.relu(h)
        return h, logits, h.sum(axis=1, keepdims=True)

    folded, reference = run(cam), run(definition)
    for got, want in zip(folded, reference):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
