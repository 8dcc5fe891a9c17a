"""Instance normalisation's rows by the C++ operator ``d2gan_rows_norm`` (``d2gan.nn.native``)
equal the ``LayerNorm`` route it replaced and the formula, in values and gradients, in every way
the models run it: imperative and hybridized, training and predict mode, a forward recorded in
predict mode, two forwards before one backward, accumulated gradients, a new batch size, float64;
the operator is built where a compiler is, and ``D2GAN_NATIVE=0`` keeps the ``LayerNorm`` route."""
import os
import shutil
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
from d2gan.nn.norm import (InstanceNorm, normalize_instances, normalize_rows,
                           normalize_rows_layernorm)

EPS = 1e-5


def layer_norm_route(F, x):
    """The previous implementation: MXNet's fused LayerNorm on the rows (N C, H W)."""
    return F.reshape_like(normalize_rows_layernorm(F, F.reshape(x, (-3, -1)), EPS), x)


def formula(x, g):
    """Instance norm and its input gradient for the output gradient ``g``, in numpy."""
    axes = (2, 3)
    centred = x - x.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt((centred ** 2).mean(axis=axes, keepdims=True) + EPS)
    y = centred * inv_std
    dx = inv_std * (g - g.mean(axis=axes, keepdims=True) -
                    y * (g * y).mean(axis=axes, keepdims=True))
    return y, dx


class Wrapped(nn.HybridBlock):
    def __init__(self, fn):
        super().__init__()
        self._fn = fn

    def hybrid_forward(self, F, x):
        return self._fn(F, x)


def data(shape, dtype='float32', seed=0):
    rng = np.random.RandomState(seed)
    # channels with different means and scales, as after a convolution
    x = rng.randn(*shape) * rng.uniform(0.1, 3, shape[:2] + (1, 1)) + rng.randn(*shape[:2], 1, 1)
    return nd.array(x, dtype=dtype), nd.array(rng.randn(*shape), dtype=dtype)


@pytest.mark.parametrize('shape', [(4, 8, 16, 16), (2, 3, 5, 7), (1, 16, 1, 1), (3, 32, 4, 4)])
@pytest.mark.parametrize('hybridize', [None, 'dynamic', 'static'])
def test_values_and_gradients_equal_the_layer_norm_route(shape, hybridize):
    x, g = data(shape)
    new, old = InstanceNorm(), Wrapped(layer_norm_route)
    if hybridize:
        static = hybridize == 'static'
        for net in (new, old):
            net.hybridize(static_alloc=static, static_shape=static)
    y_new, dx_new = run(new, x, g)
    y_old, dx_old = run(old, x, g)
    np.testing.assert_allclose(y_new, y_old, atol=1e-5)
    np.testing.assert_allclose(dx_new, dx_old, atol=1e-5 * max(np.abs(dx_old).max(), 1))
    y_ref, dx_ref = formula(x.asnumpy().astype(np.float64), g.asnumpy().astype(np.float64))
    np.testing.assert_allclose(y_new, y_ref, atol=1e-5)


@pytest.mark.parametrize('hybridize', [False, True])
def test_float64_equals_the_formula(hybridize):
    x, g = data((3, 4, 6, 5), dtype='float64')
    net = InstanceNorm()
    if hybridize:
        net.hybridize()
    y, dx = run(net, x, g)
    y_ref, dx_ref = formula(x.asnumpy(), g.asnumpy())
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-11)
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-10)


def test_predict_mode_uses_the_rows_own_statistics():
    net = InstanceNorm()
    net.hybridize(static_alloc=True)
    x, g = data((4, 8, 8, 8))
    run(net, x * 10 + 5, g)   # a training step on other data must leave nothing behind
    y_pred = net(x).asnumpy()
    y_ref, _ = formula(x.asnumpy().astype(np.float64), g.asnumpy())
    np.testing.assert_allclose(y_pred, y_ref, atol=1e-5)


def test_backward_of_a_forward_recorded_in_predict_mode():
    """The exact gradient penalty's check records with ``train_mode=False``."""
    x, g = data((2, 4, 8, 8))
    net = InstanceNorm()
    net.hybridize()
    x1 = x.copy()
    x1.attach_grad()
    with autograd.record(train_mode=False):
        y = net(x1)
    grad = autograd.grad(y, [x1], head_grads=g, train_mode=False)[0]
    _, dx_ref = formula(x.asnumpy().astype(np.float64), g.asnumpy().astype(np.float64))
    np.testing.assert_allclose(grad.asnumpy(), dx_ref, atol=1e-4 * np.abs(dx_ref).max())


def two_forward_weight_grad(norm, static):
    """The conv weight's gradient of ``sum(net(a) ga) + sum(net(b) gb)`` recorded in one graph,
    ``net`` = a 3x3 convolution (fixed weights) followed by ``norm``."""
    a, ga = data((2, 4, 8, 8), seed=1)
    b, gb = data((2, 4, 8, 8), seed=2)
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1, in_channels=4), norm)
    net.initialize()
    net[0].weight.set_data(nd.array(np.random.RandomState(3).randn(4, 4, 3, 3) * 0.3))
    net.hybridize(static_alloc=static, static_shape=static)
    with autograd.record():
        loss = (net(a) * ga).sum() + (net(b) * gb).sum()
    loss.backward()
    return net[0].weight.grad().asnumpy()


@pytest.mark.parametrize('static', [False, True])
def test_two_forwards_then_one_backward(static):
    """``D(real)`` and ``D(fake)`` in one record: each call keeps its own record."""
    new = two_forward_weight_grad(InstanceNorm(), static)
    old = two_forward_weight_grad(Wrapped(layer_norm_route), static)
    np.testing.assert_allclose(new, old, rtol=1e-4, atol=1e-4 * np.abs(old).max())


def test_gradients_accumulate_with_grad_req_add():
    x, g = data((2, 3, 4, 4))
    x = x.copy()
    x.attach_grad(grad_req='add')
    net = InstanceNorm()
    net.hybridize()
    for _ in range(2):
        with autograd.record():
            y = net(x)
        y.backward(g)
    _, dx_ref = formula(x.asnumpy().astype(np.float64), g.asnumpy().astype(np.float64))
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * dx_ref, atol=2e-4 * np.abs(dx_ref).max())


def test_a_hybridized_block_takes_a_new_batch_size():
    net = InstanceNorm()
    net.hybridize(static_alloc=True, static_shape=True)
    for shape in ((8, 4, 6, 6), (3, 4, 6, 6)):
        x, g = data(shape)
        y, dx = run(net, x, g)
        y_ref, dx_ref = formula(x.asnumpy().astype(np.float64), g.asnumpy().astype(np.float64))
        np.testing.assert_allclose(y, y_ref, atol=1e-5)
        np.testing.assert_allclose(dx, dx_ref, atol=1e-4 * np.abs(dx_ref).max())


def test_only_2d_rows_are_accepted():
    with pytest.raises(mx.base.MXNetError, match='normalises the rows of a 2-D array'):
        normalize_rows(nd, nd.ones((2, 3, 4)), EPS).wait_to_read()
    y = normalize_instances(nd, nd.ones((2, 3, 4, 4)), EPS)    # constant rows -> 0
    assert np.abs(y.asnumpy()).max() == 0


@pytest.mark.parametrize('static', [False, True])
def test_hybridized_network_of_two_norms_equals_imperative(static):
    """conv, norm, relu, conv, norm, relu, conv: the first conv's weight gradient, hybridized,
    equals the imperative one, every time (a Python ``CustomOp`` doing the same got wrong,
    run-to-run different gradients here in MXNet's threaded engine; this checks the C++ one)."""
    def layers():
        return (nn.Conv2D(8, 3, padding=1, in_channels=3), InstanceNorm(), nn.Activation('relu'),
                nn.Conv2D(8, 3, padding=1, in_channels=8), InstanceNorm(), nn.Activation('relu'),
                nn.Conv2D(1, 3, in_channels=8))
    assert_hybridized_equals_imperative(layers, (4, 3, 16, 16), static, rtol=1e-4)


def test_the_operator_is_built_and_used_where_a_compiler_is():
    """On this project's machines (g++, no GPU) the C++ route is the one the layers take."""
    has_compiler = bool(shutil.which('g++') or shutil.which('c++'))
    assert native.available() == (has_compiler and mx.context.num_gpus() == 0)
    if native.available():
        assert 'd2gan_rows_norm' in nd.__dict__ or hasattr(nd, 'd2gan_rows_norm')
        sym = normalize_rows(mx.sym, mx.sym.var('rows'), EPS)
        assert 'd2gan_rows_norm' in sym.tojson()


def test_a_build_writes_a_loadable_library(tmp_path):
    if not (shutil.which('g++') or shutil.which('c++')):
        with pytest.raises(RuntimeError, match='no C\\+\\+ compiler'):
            native.build(str(tmp_path / 'lib.so'))
        return
    path = tmp_path / 'lib.so'
    native.build(str(path))
    assert path.stat().st_size > 0 and list(tmp_path.iterdir()) == [path]   # no temporary left


def test_native_0_keeps_the_layer_norm_route():
    code = ('import d2gan, mxnet as mx; from d2gan.nn import native, norm; '
            'graph = norm.normalize_rows(mx.sym, mx.sym.var("r"), 1e-5).tojson(); '
            'print(native.available(), graph.count("LayerNorm"))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=dict(os.environ, D2GAN_NATIVE='0'), check=True).stdout.split()
    assert out[-2:] == ['False', '1']
