"""Spectral normalisation: sigma(W / sigma) -> 1, the paper's gradient, u in checkpoints."""
import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

import d2gan
from d2gan.models.dcgan import DCGANDiscriminator
from d2gan.nn import SNConv2D, SNDense


def top_singular_value(weight):
    w = weight.asnumpy() if hasattr(weight, 'asnumpy') else weight
    return np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0]


def critic(hybridize=False):
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(SNConv2D(8, 3, 2, 1), nn.LeakyReLU(0.2), SNDense(4))  # deferred shapes on purpose
    net.initialize(mx.init.Normal(0.5))
    if hybridize:
        net.hybridize()
    return net


def train_forwards(net, x, times):
    for _ in range(times):
        with autograd.record():
            net(x)


@pytest.mark.parametrize('hybridize', [False, True])
def test_power_iteration_normalises_the_largest_singular_value(hybridize):
    net, x = critic(hybridize), nd.random.normal(shape=(2, 3, 8, 8))
    train_forwards(net, x, 30)
    for layer in (net[0], net[2]):
        raw = top_singular_value(layer.weight.data())
        assert abs(raw - 1) > 0.1  # the raw weight is far from normalised ...
        assert abs(top_singular_value(layer.normalized_weight()) - 1) < 1e-2  # ... this is not
        assert layer.sigma() == pytest.approx(raw, rel=1e-2)


def test_u_moves_only_in_training_forwards():
    net, x = critic(hybridize=True), nd.random.normal(shape=(2, 3, 8, 8))
    net(x)
    u0 = net[0].u.data().asnumpy().copy()
    net(x)  # predict mode
    with autograd.record(train_mode=False):
        net(x)
    assert np.array_equal(net[0].u.data().asnumpy(), u0)
    train_forwards(net, x, 1)
    assert not np.array_equal(net[0].u.data().asnumpy(), u0)
    assert net[0].u.grad_req == 'null'


def test_hybridized_matches_imperative():
    x = nd.random.normal(shape=(2, 3, 8, 8))
    outputs = []
    for hybridize in (False, True):
        net = critic(hybridize)
        # the deferred shapes first, in predict mode: a training forward draws a random number
        # per layer (the mode flag of the C++ step), which would shift the second layer's
        # initialisation in the imperative net only
        net(x)
        train_forwards(net, x, 3)
        outputs.append((net(x).asnumpy(), net[0].u.data().asnumpy()))
    np.testing.assert_allclose(outputs[0][0], outputs[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs[0][1], outputs[1][1], rtol=1e-5, atol=1e-6)


def test_gradient_is_the_papers_with_converged_u():
    """With u, v the top singular vectors:
    d/dW <C, W / sigma> = C / sigma - <C, W> u v^T / sigma^2."""
    mx.random.seed(1)
    layer = SNDense(3, in_units=5, use_bias=False)
    layer.initialize(mx.init.Normal(1.0))
    x = nd.random.normal(shape=(4, 5))
    for _ in range(100):
        with autograd.record():
            layer(x)
    C = nd.random.normal(shape=(4, 3))
    with autograd.record(train_mode=False):
        loss = (layer(x) * C).sum()
    loss.backward()
    W = layer.weight.data().asnumpy()
    G = nd.dot(C, x, transpose_a=True).asnumpy()  # d loss / d W_sn
    u, s, vt = np.linalg.svd(W)
    expected = G / s[0] - (G * W).sum() / s[0] ** 2 * np.outer(u[:, 0], vt[0])
    np.testing.assert_allclose(layer.weight.grad().asnumpy(), expected, rtol=1e-4, atol=1e-5)


def test_u_is_saved_and_restored(tmp_path):
    x = nd.random.normal(shape=(2, 3, 8, 8))
    net = critic(hybridize=True)
    train_forwards(net, x, 5)
    path = str(tmp_path / 'sn.params')
    net.save_parameters(path)
    assert {'0.u', '2.u'} <= set(nd.load(path))
    other = critic()
    other.load_parameters(path)
    np.testing.assert_array_equal(other[0].u.data().asnumpy(), net[0].u.data().asnumpy())
    np.testing.assert_allclose(other(x).asnumpy(), net(x).asnumpy(), rtol=1e-5, atol=1e-6)


def test_dcgan_discriminator_with_spectral_norm_and_its_checkpoint(tmp_path):
    mx.random.seed(0)
    step = d2gan.build_gan('hinge-sn', image_size=16, channels=1, latent_dim=8, ngf=4, ndf=4)
    convs = [b for b in step.net_D.body._children.values() if isinstance(b, nn.Conv2D)]
    assert convs and all(isinstance(c, SNConv2D) for c in convs)
    step.train_step(nd.random.uniform(-1, 1, shape=(4, 1, 16, 16)))
    path = str(tmp_path / 'ckpt')
    d2gan.save_checkpoint(path, step, {'epoch': 1})
    fresh = d2gan.build_gan(**d2gan.train.read_meta(path)['config'])
    d2gan.load_checkpoint(path, fresh)
    for a, b in zip(convs, [c for c in fresh.net_D.body._children.values()
                            if isinstance(c, nn.Conv2D)]):
        np.testing.assert_array_equal(a.u.data().asnumpy(), b.u.data().asnumpy())


def test_discriminator_without_spectral_norm_is_unchanged():
    net = DCGANDiscriminator(channels=1, image_size=16, ndf=4, norm='none')
    assert not any(isinstance(b, SNConv2D) for b in net.body._children.values())


def test_known_and_deferred_shapes_normalise_alike():
    """A layer with known shapes divides by sigma as a 1x1 matrix product; one hybridized
    while its shapes were deferred keeps the elementwise division in its graph: the same
    outputs, ``u`` updates and gradients of ``W`` and ``x``."""
    rng = np.random.default_rng(3)
    x = nd.array(rng.standard_normal((2, 3, 6, 6)), dtype='float64')
    dy = nd.array(rng.standard_normal((2, 4, 3, 3)), dtype='float64')
    weight = nd.array(rng.standard_normal((4, 3, 3, 3)), dtype='float64')
    results = []
    for in_channels in (3, 0):
        layer = SNConv2D(4, 3, 2, 1, in_channels=in_channels)
        layer.initialize()
        if not in_channels:
            layer.hybridize()                     # the graph is built with deferred shapes
        layer.cast('float64')
        layer(x)
        layer.weight.set_data(weight)
        layer.u.set_data(nd.ones((4,), dtype='float64'))
        a = x.copy()
        a.attach_grad()
        with autograd.record():
            y = layer(a)
        y.backward(dy)
        results.append([y.asnumpy(), a.grad.asnumpy(), layer.weight.grad().asnumpy(),
                        layer.u.data().asnumpy()])
    for fast, slow in zip(*results):
        np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)


def known_shape_critic(hybridize):
    """``critic`` with every shape given: its graph uses the C++ step where it is available."""
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(SNConv2D(8, 3, 2, 1, in_channels=3), nn.LeakyReLU(0.2), SNDense(4, in_units=128))
    net.initialize(mx.init.Normal(0.5))
    if hybridize:
        net.hybridize()
    return net


@pytest.mark.parametrize('hybridize', [False, True])
def test_u_moves_only_in_training_forwards_with_known_shapes(hybridize):
    net, x = known_shape_critic(hybridize), nd.random.normal(shape=(2, 3, 8, 8))
    u0 = net[0].u.data().asnumpy().copy()
    net(x)
    with autograd.record(train_mode=False):
        net(x)
    assert np.array_equal(net[0].u.data().asnumpy(), u0)
    train_forwards(net, x, 1)
    u1 = net[0].u.data().asnumpy()
    assert not np.array_equal(u1, u0)
    # the stored u is the step from u0: normalize(W normalize(W^T u0))
    w = net[0].weight.data().asnumpy().reshape(8, -1).astype(np.float64)
    v = w.T @ u0
    v /= np.linalg.norm(v)
    expected = w @ v
    np.testing.assert_allclose(u1, expected / np.linalg.norm(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_cpp_step_equals_the_python_step(monkeypatch, dtype):
    """The C++ operator and the Python one (the fallback): the same outputs, u and gradients
    after a few training steps, hybridized."""
    from d2gan.nn import native
    if not native.available():
        pytest.skip('no C++ operators on this machine')
    x = nd.random.normal(shape=(2, 3, 8, 8), dtype=dtype)
    results = []
    for use_cpp in (True, False):
        monkeypatch.setattr(native, 'available', lambda use_cpp=use_cpp: use_cpp)
        net = known_shape_critic(hybridize=True)
        net.cast(dtype)
        for _ in range(3):
            with autograd.record():
                loss = net(x).sum()
            loss.backward()
        results.append([net(x).asnumpy(), net[0].u.data().asnumpy(), net[2].u.data().asnumpy(),
                        net[0].weight.grad().asnumpy(), net[2].weight.grad().asnumpy()])
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == 'float32' else dict(rtol=1e-12, atol=1e-13)
    for cpp, python in zip(*results):
        np.testing.assert_allclose(cpp, python, **tol)


def test_training_mode_flag_is_one_only_outside_training():
    from d2gan.nn.spectral_norm import training_mode_flag
    u = nd.ones((5,))
    assert training_mode_flag(nd, u).asscalar() == 1
    with autograd.record(train_mode=False):
        assert training_mode_flag(nd, u).asscalar() == 1
    with autograd.train_mode():
        assert {training_mode_flag(nd, u).asscalar() for _ in range(20)} <= {0.0, 2.0}


def test_cpp_step_names_bad_shapes():
    from d2gan.nn import native
    if not native.available():
        pytest.skip('no C++ operators on this machine')
    flag = nd.ones((1,))
    with pytest.raises(mx.base.MXNetError, match='u needs one value per row'):
        nd.d2gan_power_iteration(nd.ones((4, 6)), flag, nd.ones((5,))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='non-empty 2-D array'):
        nd.d2gan_power_iteration(nd.ones((4, 6, 2)), flag, nd.ones((4,))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='float32 or float64'):
        nd.d2gan_power_iteration(nd.ones((4, 6), dtype='float16'), flag.astype('float16'),
                                 nd.ones((4,), dtype='float16')).wait_to_read()


def test_spectral_norm_op_is_w_over_sigma_with_the_papers_gradient():
    """``d2gan_spectral_norm(W, mode, u)``: one power-iteration step from ``u`` (stored in
    training only), ``W / sigma`` with ``sigma = u'^T W v`` in ``W``'s own shape, and the
    gradient ``G / sigma - <G, W> u' v^T / sigma^2`` for W, zero for the mode and ``u``; a layer
    with known shapes uses it; bad shapes are named."""
    from d2gan.nn import native
    from d2gan.nn.spectral_norm import training_mode_flag
    if not native.available():
        pytest.skip('no C++ operators on this machine')
    rng = np.random.default_rng(7)
    W, u0, G = (rng.standard_normal(shape) for shape in [(5, 3, 2, 2), (5,), (5, 3, 2, 2)])
    matrix = W.reshape(5, -1)
    v = matrix.T @ u0
    v /= np.linalg.norm(v) + 1e-12
    u_next = matrix @ v
    u_next /= np.linalg.norm(u_next) + 1e-12
    sigma = u_next @ matrix @ v
    expected = G / sigma - (G * W).sum() / sigma ** 2 * np.outer(u_next, v).reshape(W.shape)
    for train, stored in [(True, u_next), (False, u0)]:
        w, u = nd.array(W, dtype='float64'), nd.array(u0, dtype='float64')
        w.attach_grad()
        with autograd.record(train_mode=train):
            outs = nd.d2gan_spectral_norm(w, training_mode_flag(nd, u), u)
        outs[0].backward(nd.array(G, dtype='float64'))
        np.testing.assert_allclose(outs[0].asnumpy(), W / sigma, rtol=1e-13)
        np.testing.assert_allclose(outs[3].asnumpy(), [sigma], rtol=1e-13)
        np.testing.assert_allclose(w.grad.asnumpy(), expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(u.asnumpy(), stored, rtol=1e-13)
    layer = SNConv2D(4, 3, in_channels=2)
    layer.initialize()
    graph = layer(mx.sym.var('x')).tojson()
    assert 'd2gan_spectral_norm' in graph and 'd2gan_power_iteration' not in graph
    flag = nd.ones((1,))
    with pytest.raises(mx.base.MXNetError, match='d2gan_spectral_norm: u needs one value per'):
        nd.d2gan_spectral_norm(nd.ones((3, 4)), flag, nd.ones(4))[0].wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='at least two dimensions'):
        nd.d2gan_spectral_norm(nd.ones((3,)), flag, nd.ones(3))[0].wait_to_read()
