"""U-GAT-IT networks: the reference's parameter counts, shapes, CAM, (Ada)ILN and rho clipping.

Reference counts: the layers of znxlwm/UGATIT-pytorch ``networks.py`` counted one by one
(Conv2d ``in * out * k * k`` + bias where it has one, Linear without bias, ``rho`` / ``gamma`` /
``beta`` of ``(1, C, 1, 1)``; spectral norm adds no trainable parameter) at 256 px, ngf = ndf =
64, with the reference's training defaults (``main.py``: 4 residual blocks; global D 7 layers,
local D 5).
"""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.models import num_parameters
from d2gan.models.ugatit import clip_rho

REFERENCE = {'G': 278_959_808, 'G_light': 10_589_888, 'D_global': 53_130_176,
             'D_local': 3_290_560}


def test_parameter_counts_equal_the_reference():
    assert num_parameters(d2gan.get_model('ugatit_generator', n_blocks=4)) == REFERENCE['G']
    assert num_parameters(d2gan.get_model('ugatit_generator', n_blocks=4, light=True)) == \
        REFERENCE['G_light']
    assert num_parameters(d2gan.get_model('ugatit_discriminator', n_layers=7)) == \
        REFERENCE['D_global']
    assert num_parameters(d2gan.get_model('ugatit_discriminator', n_layers=5)) == \
        REFERENCE['D_local']


@pytest.mark.parametrize('light', [False, True])
def test_shapes_and_hybridized_equal_imperative(light):
    G = d2gan.get_model('ugatit_generator', ngf=4, n_blocks=2, img_size=32, light=light)
    D = d2gan.get_model('ugatit_discriminator', ndf=4, n_layers=5)
    for net in (G, D):
        net.initialize(mx.init.Normal(0.2))
    x = nd.random.uniform(-1, 1, shape=(2, 3, 32, 32))
    image, cam, heatmap = G(x)
    assert image.shape == x.shape and cam.shape == (2, 2) and heatmap.shape == (2, 1, 8, 8)
    assert np.abs(image.asnumpy()).max() <= 1
    logits, d_cam, d_heat = D(image)
    assert logits.shape == (2, 1, 2, 2) and d_cam.shape == (2, 2) and d_heat.shape == (2, 1, 3, 3)
    eager = [o.asnumpy() for o in G(x)]
    G.hybridize()
    for got, want in zip(G(x), eager):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_discriminator_cam_logits_use_the_normalised_weight():
    D = d2gan.get_model('ugatit_discriminator', ndf=4, n_layers=3)
    D.initialize(mx.init.Normal(0.5))
    x = nd.random.uniform(-1, 1, shape=(2, 3, 32, 32))
    features = D.model(x)
    _, cam, _ = D(x)
    w = D.cam.gap_weight.data()
    expected = nd.dot(features.mean(axis=(2, 3)), (w / nd.norm(w)).T)
    np.testing.assert_allclose(cam[:, :1].asnumpy(), expected.asnumpy(), rtol=1e-4, atol=1e-6)


def test_iln_is_instance_norm_at_rho_1_and_layer_norm_at_rho_0():
    from d2gan.models.ugatit import ILN
    layer = ILN(3)
    layer.initialize()
    x = nd.random.normal(shape=(2, 3, 5, 5)) * 3 + 1
    out = layer(x).asnumpy()                                  # rho = 0: layer norm
    flat = x.asnumpy().reshape(2, -1)
    ln = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.reshape(2, -1), ln, rtol=1e-4, atol=1e-5)
    layer.rho.set_data(nd.ones((1, 3, 1, 1)))                 # rho = 1: instance norm
    per = x.asnumpy().reshape(6, -1)
    inorm = (per - per.mean(1, keepdims=True)) / np.sqrt(per.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(layer(x).asnumpy().reshape(6, -1), inorm, rtol=1e-4, atol=1e-5)


def iln_numpy(x, rho, ddof, eps=1e-5):
    """``rho x_in + (1 - rho) x_ln`` in float64 with ``np.var(..., ddof=ddof)``."""
    def normalize(axes):
        return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, ddof=ddof,
                                                                 keepdims=True) + eps)
    return rho * normalize((2, 3)) + (1 - rho) * normalize((1, 2, 3))


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('unbiased, ddof', [(None, 0), (False, 0), (True, 1)])
def test_iln_and_adailn_variance_is_biased_by_default_and_unbiased_on_request(
        unbiased, ddof, hybridize):
    """``unbiased_variance=True`` is ``torch.var``'s ``ddof=1`` (UGATIT-pytorch); the default
    (None: argument left out) is ``ddof=0`` (TensorFlow). A 3x4 map (n = 12, 36) makes the
    two differ by several percent."""
    from d2gan.models.ugatit import AdaILN, ILN
    kwargs = {} if unbiased is None else dict(unbiased_variance=unbiased)
    rng = np.random.RandomState(0)
    x = (rng.randn(2, 3, 3, 4) * 3 + 1).astype(np.float32)
    rho = np.array([0.0, 0.4, 1.0]).reshape(1, 3, 1, 1)
    gamma, beta = rng.rand(2, 3) + 0.5, rng.randn(2, 3)
    iln, ada = ILN(3, **kwargs), AdaILN(3, **kwargs)
    for layer in (iln, ada):
        layer.initialize()
        layer.rho.set_data(nd.array(rho))
        if hybridize:
            layer.hybridize()
    want = iln_numpy(x.astype(np.float64), rho, ddof)
    np.testing.assert_allclose(iln(nd.array(x)).asnumpy(), want, rtol=1e-4, atol=1e-5)
    got = ada(nd.array(x), nd.array(gamma), nd.array(beta)).asnumpy()
    np.testing.assert_allclose(got, want * gamma[:, :, None, None] + beta[:, :, None, None],
                               rtol=1e-4, atol=1e-5)
    other = iln_numpy(x.astype(np.float64), rho, 1 - ddof)
    assert np.abs(want - other).max() > 1e-2


def test_generator_passes_unbiased_variance_to_every_iln():
    """Default biased (the recipe's generator); the option reaches all 2 x 2 AdaILN + 2 ILN."""
    from d2gan.models.ugatit import AdaILN, ILN
    for kwargs, flag in (({}, False), (dict(unbiased_variance=True), True)):
        G = d2gan.get_model('ugatit_generator', ngf=4, n_blocks=2, img_size=16, **kwargs)
        norms = []
        G.apply(lambda block: norms.append(block) if isinstance(block, (AdaILN, ILN)) else None)
        assert len(norms) == 6 and all(n.unbiased_variance is flag for n in norms)


def test_rho_is_clipped_to_the_unit_interval():
    G = d2gan.get_model('ugatit_generator', ngf=4, n_blocks=1, img_size=16, light=True)
    G.initialize()
    rhos = [p for name, p in G.collect_params().items() if name.endswith('rho')]
    assert len(rhos) == 4                                     # 2 AdaILN + 2 ILN
    for p in rhos:
        p.set_data(nd.array(np.linspace(-1, 2, p.shape[1]).reshape(p.shape)))
    clip_rho(G)
    for p in rhos:
        assert p.data().min().asscalar() >= 0 and p.data().max().asscalar() <= 1


def test_too_small_images_for_the_global_discriminator_fail_clearly():
    with pytest.raises(ValueError, match='img_size divisible by 4'):
        d2gan.get_model('ugatit_generator', img_size=30)
    with pytest.raises(ValueError, match='n_layers must be >= 3'):
        d2gan.get_model('ugatit_discriminator', n_layers=2)
    D = d2gan.get_model('ugatit_discriminator', ndf=2, n_layers=7)
    D.initialize()
    assert D.output_size(96) == 1 and D.output_size(95) < 1
    with pytest.raises(ValueError, match='7-layer U-GAT-IT discriminator needs images of at '
                                         'least 96x96'):
        D(nd.zeros((1, 3, 64, 64)))


def test_rho_by_layer_names_every_norm_in_forward_order():
    from d2gan.models.ugatit import rho_by_layer
    net = d2gan.get_model('ugatit_generator', ngf=4, n_blocks=2, img_size=16, light=True)
    net.initialize()
    rho = rho_by_layer(net)
    assert list(rho) == ['block1.norm1', 'block1.norm2', 'block2.norm1', 'block2.norm2',
                         'up1', 'up2']
    assert all(np.allclose(rho[k], 0.9) for k in list(rho)[:4])          # AdaILN starts at 0.9
    assert rho['up1'].shape == (8,) and rho['up2'].shape == (4,) and not rho['up1'].any()
    net.up_blocks[1].norm2.rho.set_data(nd.full((1, 16, 1, 1), 0.25))
    assert np.allclose(rho_by_layer(net)['block2.norm2'], 0.25)


def broadcast_iln(F, x, rho, gamma, beta, unbiased, eps=1e-5):
    """The definition in broadcast operators (the library's form before it was fused):
    ``(rho x_in + (1 - rho) x_ln) * gamma + beta``."""
    def normalize(axes):
        centred = F.broadcast_sub(x, F.mean(x, axis=axes, keepdims=True))
        var = F.mean(F.square(centred), axis=axes, keepdims=True)
        if unbiased:
            n = np.prod([x.shape[a] for a in axes])
            var = var * (n / (n - 1))
        return F.broadcast_mul(centred, F.rsqrt(var + eps))
    mixed = F.broadcast_add(F.broadcast_mul(rho, normalize((2, 3))),
                            F.broadcast_mul(1 - rho, normalize((1, 2, 3))))
    return F.broadcast_add(F.broadcast_mul(mixed, gamma.reshape((0, 0, 1, 1))),
                           beta.reshape((0, 0, 1, 1)))


@pytest.mark.parametrize('unbiased', [False, True])
@pytest.mark.parametrize('kind', ['ILN', 'AdaILN'])
def test_fused_iln_equals_the_broadcast_definition_with_gradients(kind, unbiased):
    """Values and the gradients of ``x``, ``rho``, ``gamma`` and ``beta`` equal the broadcast
    formula in float64, imperatively and hybridized (batch 3, then 1)."""
    from d2gan.models import ugatit
    rng = np.random.default_rng(4)
    x = nd.array(rng.standard_normal((3, 4, 5, 6)) * 2 + 0.5, dtype='float64')
    rho = nd.array(rng.uniform(0, 1, (1, 4, 1, 1)), dtype='float64')
    gamma = nd.array(rng.uniform(0.5, 1.5, (3, 4)), dtype='float64')
    beta = nd.array(rng.standard_normal((3, 4)), dtype='float64')
    dy = nd.array(rng.standard_normal(x.shape), dtype='float64')
    layer = getattr(ugatit, kind)(4, unbiased_variance=unbiased)
    layer.initialize()
    layer.cast('float64')
    layer.rho.set_data(rho)
    if kind == 'ILN':
        layer.gamma.set_data(gamma[:1].reshape((1, 4, 1, 1)))
        layer.beta.set_data(beta[:1].reshape((1, 4, 1, 1)))
        gamma, beta = nd.tile(gamma[:1], (3, 1)), nd.tile(beta[:1], (3, 1))

    def library(a, g, b):
        return layer(a) if kind == 'ILN' else layer(a, g, b)

    def reference(a, g, b):
        return broadcast_iln(nd, a, layer.rho.data(), g, b, unbiased)

    results = []
    for route in (library, reference):
        layer.collect_params().zero_grad()
        inputs = [v.copy() for v in (x, gamma, beta)]
        for v in inputs:
            v.attach_grad()
        with autograd.record():
            y = route(*inputs)
        y.backward(dy)
        grads = [v.grad.asnumpy() for v in inputs]
        if kind == 'ILN':         # the per-channel parameters get the example-summed grads
            grads[1:] = [layer.gamma.grad().asnumpy().reshape(1, 4),
                         layer.beta.grad().asnumpy().reshape(1, 4)] if route is library else \
                [g.sum(axis=0, keepdims=True) for g in grads[1:]]
        results.append([y.asnumpy(), layer.rho.grad().asnumpy(), *grads])
    for fused, definition in zip(*results):
        np.testing.assert_allclose(fused, definition, rtol=1e-9, atol=1e-10)
    assert np.abs(results[0][1]).max() > 1e-3                # rho does get a gradient
    layer.hybridize()
    for n in (3, 1):                       # the batch size may change between calls
        np.testing.assert_allclose(library(x[:n], gamma[:n], beta[:n]).asnumpy(),
                                   results[1][0][:n], rtol=1e-9, atol=1e-10)
