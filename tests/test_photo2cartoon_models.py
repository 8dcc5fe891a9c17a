"""Photo2Cartoon's generator: the reference's parameter counts, shapes, hybridized equals
imperative, Soft-AdaLIN's mixing, the clipping of ``rho`` and ``w``, clear size errors.

Reference counts: minivision-ai/photo2cartoon ``models/networks.py`` at 6204e27,
``sum(p.numel() for p in ResnetGenerator(**kwargs).parameters() if p.requires_grad)`` run once
with PyTorch 2 (CPU). Of these, the 56 ``ConvBlock4`` 1x1 convolutions (``ngf x ngf`` each,
no bias) are never called -- a backward pass leaves exactly their gradients ``None`` -- and
d2gan does not build them (:mod:`d2gan.models.photo2cartoon`).
"""
import numpy as np
import mxnet as mx
import pytest
from mxnet import nd

import d2gan
from d2gan.models import num_parameters
from d2gan.models.photo2cartoon import SoftAdaLIN, clip_mixing
from d2gan.models.ugatit import AdaILN

REFERENCE = {  # kwargs -> the reference's trainable parameters
    (64, 256, False): 283_661_447,    # ResnetGenerator() defaults
    (64, 256, True): 15_291_527,
    (32, 256, True): 3_831_079,       # the released photo2cartoon_weights.pt (test.py)
}
UNUSED_PROJECTIONS = 56


@pytest.mark.parametrize('ngf, img_size, light', sorted(REFERENCE))
def test_parameter_counts_equal_the_reference_less_its_unused_projections(ngf, img_size, light):
    G = d2gan.get_model('photo2cartoon_generator', ngf=ngf, img_size=img_size, light=light)
    assert num_parameters(G) == REFERENCE[ngf, img_size, light] - UNUSED_PROJECTIONS * ngf ** 2


@pytest.mark.parametrize('light, side', [(False, 32), (True, 32), (True, 48)])
def test_shapes_and_hybridized_equal_imperative(light, side):
    G = d2gan.get_model('photo2cartoon_generator', ngf=4, img_size=32, light=light)
    G.initialize(mx.init.Normal(0.2))
    x = nd.random.uniform(-1, 1, shape=(2, 3, side, side))
    image, cam, heatmap = G(x)
    assert image.shape == x.shape and cam.shape == (2, 2)
    assert heatmap.shape == (2, 1, side // 4, side // 4)
    assert np.abs(image.asnumpy()).max() <= 1
    eager = [o.asnumpy() for o in (image, cam, heatmap)]
    G.hybridize()
    for got, want in zip(G(x), eager):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_soft_adalin_mixes_style_and_content_by_w():
    """``w = 0``: AdaILN with the style's gamma, beta; ``w = 1``: with the content's."""
    layer = SoftAdaLIN(3)
    layer.initialize(mx.init.Normal(0.5))
    x = nd.random.normal(shape=(2, 3, 4, 4))
    content, style = nd.random.normal(shape=(2, 3)), nd.random.normal(shape=(2, 3))
    norm = layer.norm
    for w, (g, b) in ((0, (layer.s_gamma, layer.s_beta)), (1, (layer.c_gamma, layer.c_beta))):
        layer.w_gamma.set_data(nd.full((1, 3), w))
        layer.w_beta.set_data(nd.full((1, 3), w))
        source = style if w == 0 else content
        want = norm(x, g(source), b(source))
        np.testing.assert_allclose(layer(x, content, style).asnumpy(), want.asnumpy(),
                                   rtol=1e-5, atol=1e-6)
    assert isinstance(norm, AdaILN) and norm.unbiased_variance is True


def test_rho_and_w_are_clipped_to_the_unit_interval():
    G = d2gan.get_model('photo2cartoon_generator', ngf=4, img_size=32, light=True)
    G.initialize()
    clipped = [p for name, p in G.collect_params().items()
               if name.endswith(('rho', 'w_gamma', 'w_beta'))]
    assert len(clipped) == 4 * 2 * 3 + 2          # 8 Soft-AdaLIN (rho, w_gamma, w_beta), 2 ILN
    for p in clipped:
        p.set_data(nd.array(np.linspace(-1, 2, int(np.prod(p.shape))).reshape(p.shape)))
    clip_mixing(G)
    for p in clipped:
        assert p.data().min().asscalar() == 0 and p.data().max().asscalar() == 1


def test_bad_sizes_fail_clearly():
    for kwargs in (dict(img_size=40), dict(img_size=16)):
        with pytest.raises(ValueError, match='divisible by 16 and at least 32'):
            d2gan.get_model('photo2cartoon_generator', **kwargs)
    with pytest.raises(ValueError, match='ngf divisible by 4'):
        d2gan.get_model('photo2cartoon_generator', ngf=6)
    light = d2gan.get_model('photo2cartoon_generator', ngf=4, img_size=32, light=True)
    full = d2gan.get_model('photo2cartoon_generator', ngf=4, img_size=32)
    for G in (light, full):
        G.initialize()
    with pytest.raises(ValueError, match='got an image side 40'):
        light(nd.zeros((1, 3, 40, 40)))
    with pytest.raises(ValueError, match='runs at its img_size 32'):
        full(nd.zeros((1, 3, 64, 64)))


@pytest.mark.parametrize('ngf', [8, 32])
def test_hybridized_generator_backward_below_ngf_64(ngf):
    """The conv blocks' concat has parts of ``ngf/2, ngf/4`` channels: without the plain route
    of ``d2gan.nn.concat`` the backward of the hybridized generator dies with SIGFPE (oneDNN,
    AVX-512) at every ``ngf`` below 64, the reference's 32 included. Gradients must also equal
    the imperative ones."""
    from mxnet import autograd
    G = d2gan.get_model('photo2cartoon_generator', ngf=ngf, img_size=32, light=True)
    G.initialize(mx.init.Xavier())
    x = nd.random.uniform(-1, 1, shape=(1, 3, 32, 32))

    def grads():
        with autograd.record():
            image, cam, heatmap = G(x)
            loss = image.sum() + cam.sum() + heatmap.mean()
        loss.backward()
        return {k: p.grad().asnumpy().copy() for k, p in G.collect_params().items()
                if p.grad_req != 'null'}

    eager = grads()
    G.hybridize()
    hybrid = grads()
    flat = lambda gs: np.concatenate([gs[k].ravel() for k in sorted(eager)])
    assert set(hybrid) == set(eager)
    # one tolerance for all: some biases feed an instance norm, so their exact gradient is 0
    # and what float32 leaves of it (cancelled sums of ~1e5) differs between the two graphs
    assert np.linalg.norm(flat(hybrid) - flat(eager)) <= 1e-4 * np.linalg.norm(flat(eager))
