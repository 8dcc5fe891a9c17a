"""PGGAN networks: parameter counts from the reference's variable shapes, the growing / fade-in
arithmetic, and the equalized-lr, pixel-norm and minibatch-stddev layers against NumPy."""
import math

import numpy as np
import mxnet as mx
import pytest

import d2gan
from d2gan.models.pggan import feature_maps
from d2gan.nn import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm


def reference_counts(resolution, num_channels, fmap_base=8192, fmap_decay=1.0, fmap_max=512,
                     label_size=0, mbstd=True):
    """Trainable variables of ``G_paper`` / ``D_paper`` (tkarras/progressive_growing_of_gans
    ``networks.py``), written from their ``get_weight`` / ``apply_bias`` shapes."""
    nf = feature_maps(fmap_base, fmap_decay, fmap_max)
    log2 = int(math.log2(resolution))
    latent = nf(0)
    g = latent * nf(1) * 16 + nf(1)                         # 4x4/Dense (bias per channel)
    g += 9 * nf(1) * nf(1) + nf(1)                          # 4x4/Conv
    d = 9 * (nf(1) + mbstd) * nf(1) + nf(1)                 # 4x4/Conv after minibatch stddev
    d += nf(1) * 16 * nf(0) + nf(0)                         # 4x4/Dense0
    d += nf(0) * (1 + label_size) + 1 + label_size          # 4x4/Dense1
    for res in range(2, log2 + 1):
        g += nf(res - 1) * num_channels + num_channels      # ToRGB_lod
        d += num_channels * nf(res - 1) + nf(res - 1)       # FromRGB_lod
        if res >= 3:
            g += 9 * nf(res - 2) * nf(res - 1) + nf(res - 1)    # Conv0_up
            g += 9 * nf(res - 1) * nf(res - 1) + nf(res - 1)    # Conv1
            d += 9 * nf(res - 1) * nf(res - 1) + nf(res - 1)    # Conv0
            d += 9 * nf(res - 1) * nf(res - 2) + nf(res - 2)    # Conv1_down
    return g, d


def count(net):
    """Parameters of ``net`` from their declared shapes (nothing is allocated)."""
    return sum(int(np.prod(p.shape)) for p in net.collect_params().values())


@pytest.mark.parametrize('config', [
    dict(resolution=1024, num_channels=3),                                # the paper, CelebA-HQ
    dict(resolution=32, num_channels=1, fmap_base=2048, fmap_max=256),    # the book's digits
])
def test_parameter_counts_equal_the_reference(config):
    g_ref, d_ref = reference_counts(**config)
    assert count(d2gan.get_model('pggan_generator', **config)) == g_ref
    assert count(d2gan.get_model('pggan_discriminator', **config)) == d_ref
    if config['resolution'] == 1024:
        # the paper's Table 2: 23.1 M parameters in each network
        assert round(g_ref / 1e6, 1) == round(d_ref / 1e6, 1) == 23.1


@pytest.fixture(scope='module')
def small():
    mx.random.seed(0)
    kw = dict(resolution=32, num_channels=1, fmap_base=64, fmap_max=16)
    G, D = d2gan.get_model('pggan_generator', **kw), d2gan.get_model('pggan_discriminator', **kw)
    G.initialize()
    D.initialize()
    return G, D


@pytest.mark.parametrize('lod, size', [(3.0, 4), (2.5, 8), (2.0, 8), (0.3, 32), (0.0, 32)])
def test_images_and_scores_at_each_level(small, lod, size):
    G, D = small
    z = mx.nd.random.normal(shape=(8, G.latent_dim))
    images = G(z, lod)
    assert images.shape == (8, 1, size, size)
    assert D(images, lod).shape == (8, 1)
    with pytest.raises(ValueError, match='takes'):
        D(mx.nd.zeros((8, 1, 2 * size, 2 * size)), lod)
    with pytest.raises(ValueError, match='lod must be in'):
        G(z, 3.5)


def test_fade_in_starts_from_the_previous_level(small):
    """Just above a whole lod the new level is (almost) invisible: G is the lower level's image
    up-sampled, and D scores an image as the lower level scores its 2x2 average."""
    G, D = small
    z = mx.nd.random.normal(shape=(4, G.latent_dim))
    low = G(z, 2.0).asnumpy()
    fading = G(z, 2.0 - 1e-6).asnumpy()
    np.testing.assert_allclose(fading, low.repeat(2, axis=2).repeat(2, axis=3), atol=1e-5)
    x = mx.nd.random.uniform(-1, 1, shape=(4, 1, 16, 16))
    small_x = x.reshape((4, 1, 8, 2, 8, 2)).mean(axis=(3, 5))
    np.testing.assert_allclose(D(x, 2.0 - 1e-6).asnumpy(), D(small_x, 2.0).asnumpy(),
                               rtol=1e-4, atol=1e-5)


def test_equalized_layers_scale_their_weights_at_run_time():
    mx.random.seed(1)
    conv = EqualizedConv2D(4, 3, 3)
    dense = EqualizedDense(5, 6, lr_mult=0.01)
    conv.initialize()
    dense.initialize()
    x = mx.nd.random.normal(shape=(2, 3, 5, 5))
    w = conv.weight.data() * math.sqrt(2) / math.sqrt(27)
    expected = mx.nd.Convolution(x, w, conv.bias.data(), kernel=(3, 3), pad=(1, 1),
                                 num_filter=4)
    np.testing.assert_allclose(conv(x).asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)
    assert abs(float(conv.weight.data().asnumpy().std()) - 1) < 0.2      # stored as N(0, 1)
    assert abs(float(dense.weight.data().asnumpy().std()) - 100) < 30    # N(0, 1 / lr_mult)
    v = mx.nd.random.normal(shape=(3, 6))
    out = dense(v).asnumpy()
    ref = v.asnumpy() @ (dense.weight.data().asnumpy() * 0.01 * math.sqrt(2 / 6)).T
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_pixel_norm_and_minibatch_stddev_match_numpy():
    x = np.random.default_rng(0).standard_normal((8, 3, 4, 4)).astype('float32')
    pn = PixelNorm()(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(pn, x / np.sqrt((x ** 2).mean(1, keepdims=True) + 1e-8),
                               rtol=1e-5)
    out = MinibatchStdDev(4)(mx.nd.array(x)).asnumpy()
    groups = x.reshape(4, 2, 3, 4, 4)                       # example n is in group n % 2
    std = np.sqrt(groups.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(out[:, :3], x)
    for n in range(8):
        np.testing.assert_allclose(out[n, 3], np.full((4, 4), std[n % 2]), rtol=1e-5)


@pytest.mark.parametrize('lod, fused_scale', [(1.0, True), (1.4, True), (1.4, False)])
def test_wgan_gp_through_the_growing_critic_is_exact(lod, fused_scale, monkeypatch):
    """At a whole and at a fading level, pooling before or after the activation: the penalty's
    input gradient equals autograd's and its parameter gradients equal central finite
    differences (float64)."""
    from mxnet import autograd
    from d2gan.nn.equalized import ScaledLeakyReLU
    from d2gan.penalty import GradientPenalty, critic_input_gradient
    from finite_differences import worst_error

    def exact(self, F, x):      # MXNet's float64 LeakyReLU rounds its negative branch
        slope = float(np.float32(self.slope))
        return x * ((x > 0) * (1 - slope) + slope) * self.gain
    monkeypatch.setattr(ScaledLeakyReLU, 'hybrid_forward', exact)
    mx.random.seed(0)
    D = d2gan.get_model('pggan_discriminator', resolution=16, num_channels=1, fmap_base=8,
                        fmap_max=4, fused_scale=fused_scale)
    D.initialize(mx.init.Normal(0.5))
    D.cast('float64')
    critic = D.at_lod(lod)
    size = 2 ** (2 + critic.top)
    x = mx.nd.array(np.random.default_rng(1).normal(size=(4, 1, size, size)), dtype='float64')

    def reference_grad():
        y = x.copy()
        y.attach_grad()
        with autograd.record():
            out = D(y, lod)
        out.backward(mx.nd.ones_like(out))
        return y.grad.asnumpy()

    grad, _ = critic_input_gradient(critic, x)
    ref = reference_grad()
    assert np.abs(grad.asnumpy() - ref).max() < 1e-9 * np.abs(ref).max()

    penalty = GradientPenalty(weight=1.0, target=0.0)      # ||grad||^2 summed: smooth
    params = [p for p in critic.collect_params().values() if p.grad_req != 'null']
    for p in params:
        p.grad()[:] = 0
    with autograd.record():
        total = penalty.value(critic, x)
    total.backward()
    analytic = {p.name: p.grad().asnumpy().copy() for p in params}

    def value():
        return float((reference_grad() ** 2).sum())
    assert abs(total.asscalar() - value()) < 1e-9 * abs(total.asscalar())
    worst, scale = worst_error(params, value, analytic)
    assert scale > 0 and worst < 1e-6 * scale, (worst, scale)
