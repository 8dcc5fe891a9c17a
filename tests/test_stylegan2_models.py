"""StyleGAN2 networks: parameter counts from the reference's shapes, upfirdn2d and the
non-fused modulated convolution against direct NumPy definitions, truncation, gradients."""
import math

import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd

import d2gan
from d2gan.models.stylegan2 import SynthesisLayer, channels_at
from d2gan.nn.channel_ops import scale_channels
from d2gan.nn.upfirdn import UpFirDn2D, interleave_zeros, pad_or_crop, setup_filter


def reference_counts(resolution, img_channels, z_dim=512, w_dim=512, mapping_layers=8,
                     channel_base=32768, channel_max=512):
    """Trainable parameters of ``Generator`` (skip) and ``Discriminator`` (resnet) of
    NVlabs/stylegan2-ada-pytorch ``training/networks.py``, from their ``Parameter`` shapes."""
    ch = channels_at(channel_base, channel_max)
    log2 = int(math.log2(resolution))
    features = [z_dim] + [w_dim] * mapping_layers
    g = sum(features[i] * features[i + 1] + features[i + 1] for i in range(mapping_layers))

    def layer(cin, cout):                     # SynthesisLayer: affine, weight, noise, bias
        return w_dim * cin + cin + cout * cin * 9 + 1 + cout

    def torgb(cin):
        return w_dim * cin + cin + img_channels * cin + img_channels

    for res in (2 ** i for i in range(2, log2 + 1)):
        if res == 4:
            g += ch(4) * 16 + layer(ch(4), ch(4))                 # const, conv1
        else:
            g += layer(ch(res // 2), ch(res)) + layer(ch(res), ch(res))
        g += torgb(ch(res))
    d = 0
    for res in (2 ** i for i in range(log2, 2, -1)):
        tmp, out = ch(res), ch(res // 2)
        if res == resolution:
            d += img_channels * tmp + tmp                          # fromrgb
        d += tmp * tmp * 9 + tmp + out * tmp * 9 + out + out * tmp  # conv0, conv1, skip
    c = ch(4)
    d += (c + 1) * c * 9 + c + c * 16 * c + c + c + 1               # epilogue
    return g, d


def count(net):
    return sum(int(np.prod(p.shape)) for p in net.collect_params().values()
               if p.grad_req != 'null')


SMALL = dict(resolution=32, img_channels=1, z_dim=32, w_dim=32, mapping_layers=2,
             channel_base=256, channel_max=32)


@pytest.mark.parametrize('config', [
    dict(resolution=1024, img_channels=3),             # config F at 1024 x 1024
    SMALL,
])
def test_parameter_counts_equal_the_reference(config):
    g_ref, d_ref = reference_counts(**config)
    G = d2gan.get_model('stylegan2_generator', **config)
    d_config = {k: v for k, v in config.items()
                if k in ('resolution', 'img_channels', 'channel_base', 'channel_max')}
    D = d2gan.get_model('stylegan2_discriminator', **d_config)
    assert (count(G), count(D)) == (g_ref, d_ref)
    if config['resolution'] == 1024:
        assert G.num_ws == 18
        assert round(g_ref / 1e6, 1) == 30.4 and round(d_ref / 1e6, 1) == 29.0


def _upfirdn_numpy(x, f, up, pad, down, gain):
    n, c, h, w = x.shape
    z = np.zeros((n, c, h * up, w * up))
    z[:, :, ::up, ::up] = x
    z = np.pad(z, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[0], pad[1])))
    k = f[::-1, ::-1] * gain                      # true convolution
    out_h = z.shape[2] - k.shape[0] + 1
    y = np.zeros((n, c, out_h, out_h))
    for i in range(k.shape[0]):
        for j in range(k.shape[1]):
            y += k[i, j] * z[:, :, i:i + out_h, j:j + out_h]
    return y[:, :, ::down, ::down]


@pytest.mark.parametrize('up, down, pad', [(2, 1, (2, 1)), (1, 2, (1, 1)), (2, 1, (3, 2)),
                                           (1, 1, (2, 2))])
def test_upfirdn2d_matches_its_definition(up, down, pad):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    layer = UpFirDn2D(3, up=up, down=down, pad=pad, taps=(1, 2, 3, 1))   # asymmetric taps
    layer.initialize()
    gain = up ** 2
    expected = _upfirdn_numpy(x, setup_filter((1, 2, 3, 1)), up, pad, down, gain)
    np.testing.assert_allclose(layer(mx.nd.array(x)).asnumpy(), expected, rtol=1e-5,
                               atol=1e-5)


def _direct_upfirdn(F, layer, x):
    """The definition's route: zero insertion, ``pad``, depthwise filter, subsampling."""
    x = pad_or_crop(F, interleave_zeros(F, x, layer.up), *layer.pad)
    return F.Convolution(x, layer.kernel.data(), kernel=(layer.size, layer.size),
                         stride=(layer.down, layer.down), num_filter=layer.channels,
                         num_group=layer.channels, no_bias=True)


@pytest.mark.parametrize('taps', [(1, 3, 3, 1), (1, 2, 3, 1), (1, 1)])
@pytest.mark.parametrize('up, down, pad', [(2, 1, (3, 2)), (2, 1, (2, 1)), (2, 1, (4, 3)),
                                           (1, 1, (2, 2)), (1, 2, (1, 1))])
@pytest.mark.parametrize('hybridize', [False, True])
def test_upfirdn2d_shortcuts_equal_the_direct_route(taps, up, down, pad, hybridize):
    """The polyphase up-sampling and the separable filtering give the direct route's values
    and input gradients: equal to float64 rounding where the filter is exact in float32 (its
    taps sum to a power of two, as StyleGAN2's), else to the float32 rounding of the stored
    filter, which the separable passes factor again."""
    layer = UpFirDn2D(3, up=up, down=down, pad=pad, taps=taps)
    layer.initialize()
    layer.cast('float64')
    if up > 1 and taps != (1, 2, 3, 1):
        assert layer.polyphase is not None          # the StyleGAN2 paddings take the shortcut
    if up == 1:
        assert layer.separable                      # and so do the discriminator's filters
    if hybridize:
        layer.hybridize()
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.standard_normal((2, 3, 5, 5)), dtype='float64')
    results = []
    for route in (layer, lambda a: _direct_upfirdn(mx.nd, layer, a)):
        a = x.copy()
        a.attach_grad()
        with autograd.record():
            y = route(a)
        y.backward(mx.nd.array(np.random.default_rng(1).standard_normal(y.shape),
                               dtype='float64'))
        results.append((y.asnumpy(), a.grad.asnumpy()))
    exact = sum(taps) in (2, 4, 8)
    for fast, direct in zip(*results):
        np.testing.assert_allclose(fast, direct, rtol=1e-12 if exact else 1e-5,
                                   atol=1e-12 if exact else 1e-7)


def test_noise_bias_and_gain_equal_the_broadcast_formula():
    """A synthesis layer adds ``noise * strength + bias`` through one 1x1 convolution and
    folds the activation's sqrt(2) into the demodulation, strength and bias; the output and
    every gradient equal the direct formula with the same noise (to 1e-6: MXNet's float64
    ``LeakyReLU`` rounds its negative side like float32, and it now sees scaled inputs)."""
    layer = SynthesisLayer(4, 5, 6, 8)
    layer.initialize()
    layer.cast('float64')
    rng = np.random.default_rng(0)
    layer.bias.set_data(mx.nd.array(rng.standard_normal(5), dtype='float64'))
    layer.noise_strength.set_data(mx.nd.array([0.7], dtype='float64'))
    x = mx.nd.array(rng.standard_normal((3, 4, 8, 8)), dtype='float64')
    w = mx.nd.array(rng.standard_normal((3, 6)), dtype='float64')
    dy = mx.nd.array(rng.standard_normal((3, 5, 8, 8)), dtype='float64')

    def broadcast_formula(F, a, ws):
        y = layer._conv(F, scale_channels(F, a, layer.affine(ws)), layer.weight.data())
        power = F.dot(F.square(layer.affine(ws)), F.sum(F.square(layer.weight.data()),
                                                       axis=(2, 3)), transpose_b=True)
        y = scale_channels(F, y, F.rsqrt(power + 1e-8))
        noise = F.random.normal_like(F.slice_axis(y, axis=1, begin=0, end=1))
        y = F.broadcast_add(y, F.broadcast_mul(noise, layer.noise_strength.data()
                                               .reshape((1, 1, 1, 1))))
        y = F.broadcast_add(y, layer.bias.data().reshape((1, -1, 1, 1)))
        return F.LeakyReLU(y, slope=0.2) * math.sqrt(2)

    results = []
    for route in (layer, lambda a, ws: broadcast_formula(mx.nd, a, ws)):
        for p in layer.collect_params().values():
            p.zero_grad()
        a = x.copy()
        a.attach_grad()
        mx.random.seed(3)
        with autograd.record():
            y = route(a, w)
        y.backward(dy)
        results.append([y.asnumpy(), a.grad.asnumpy(), layer.bias.grad().asnumpy(),
                        layer.noise_strength.grad().asnumpy(), layer.weight.grad().asnumpy()])
    assert abs(results[0][3]).max() > 0                     # the strength does get a gradient
    for fast, formula in zip(*results):
        np.testing.assert_allclose(fast, formula, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('up', [1, 2])
def test_modulated_convolution_equals_the_per_example_weight(up):
    """Non-fused (scale, convolve, demodulate) == convolving with each example's own
    ``w' = w * s / ||w * s||`` (the paper's definition; noise off)."""
    mx.random.seed(0)
    layer = SynthesisLayer(4, 5, 6, 8 if up == 2 else 4, up=up, use_noise=False)
    layer.initialize()
    x = mx.nd.random.normal(shape=(2, 4, 4, 4))
    w = mx.nd.random.normal(shape=(2, 6))
    out = layer(x, w).asnumpy()
    styles = layer.affine(w).asnumpy().astype('float64')
    weight = layer.weight.data().asnumpy().astype('float64')
    bias = layer.bias.data().asnumpy()
    for n in range(2):
        wn = weight * styles[n][None, :, None, None]
        wn = wn / np.sqrt((wn ** 2).sum(axis=(1, 2, 3), keepdims=True) + 1e-8)
        xn = x[n:n + 1].asnumpy().astype('float64')
        if up == 2:
            xn = _upfirdn_numpy(xn, setup_filter(), 2, (3, 2), 1, 4)
            wn = wn[:, :, ::-1, ::-1]
            pad = 0
        else:
            pad = 1
        y = mx.nd.Convolution(mx.nd.array(xn, dtype='float64'),
                              mx.nd.array(wn.copy(), dtype='float64'), kernel=(3, 3),
                              pad=(pad, pad), num_filter=5, no_bias=True).asnumpy()
        y = y + bias[None, :, None, None]
        y = np.where(y > 0, y, 0.2 * y) * math.sqrt(2)
        np.testing.assert_allclose(out[n], y[0], rtol=1e-4, atol=1e-4)


@pytest.fixture(scope='module')
def small():
    mx.random.seed(0)
    G = d2gan.get_model('stylegan2_generator', **SMALL)
    D = d2gan.get_model('stylegan2_discriminator', resolution=32, img_channels=1,
                        channel_base=256, channel_max=32)
    G.initialize()
    D.initialize()
    G.hybridize()
    D.hybridize()
    return G, D


def test_generator_and_discriminator_train_hybridized(small):
    G, D = small
    z = mx.nd.random.normal(shape=(8, 32))
    with autograd.record():
        images = G(z)
        score = D(images)
        loss = mx.nd.Activation(-score, act_type='softrelu').mean()
    loss.backward()
    assert images.shape == (8, 1, 32, 32) and score.shape == (8, 1)
    for net in (G, D):
        for name, p in net.collect_params().items():
            if p.grad_req != 'null' and not name.endswith('noise_strength'):
                assert float(p.grad().abs().sum().asscalar()) > 0, name


def test_truncation_pulls_every_w_to_the_average(small):
    G, _ = small
    z = mx.nd.random.normal(shape=(4, 32))
    with autograd.train_mode():
        G.map(z)                                   # training mode: w_avg moves
    avg = G.w_avg.data().asnumpy()
    assert np.abs(avg).sum() > 0
    ws = G.map(z, truncation_psi=0.0).asnumpy()
    assert ws.shape == (4, G.num_ws, 32)
    np.testing.assert_allclose(ws, np.broadcast_to(avg, ws.shape), rtol=1e-6)
    half = G.map(z, truncation_psi=0.5, truncation_cutoff=3).asnumpy()
    full = G.map(z).asnumpy()
    np.testing.assert_allclose(half[:, 3:], full[:, 3:])
    np.testing.assert_allclose(half[:, :3], avg + 0.5 * (full[:, :3] - avg), rtol=1e-5,
                               atol=1e-6)


def test_v1_layer_is_adain_on_instance_normalised_features():
    mx.random.seed(2)
    layer = SynthesisLayer(3, 4, 5, 4, use_noise=False, layer='v1')
    layer.initialize()
    x = mx.nd.random.normal(shape=(2, 3, 4, 4))
    w = mx.nd.random.normal(shape=(2, 5))
    out = layer(x, w).asnumpy()
    weight = layer.weight.data().asnumpy() / math.sqrt(27)
    y = mx.nd.Convolution(x, mx.nd.array(weight), layer.bias.data(), kernel=(3, 3), pad=(1, 1),
                          num_filter=4).asnumpy()
    y = np.where(y > 0, y, 0.2 * y) * math.sqrt(2)
    y = (y - y.mean(axis=(2, 3), keepdims=True)) / np.sqrt(y.var(axis=(2, 3), keepdims=True)
                                                             + 1e-8)
    styles = layer.affine(w).asnumpy()
    expected = y * (1 + styles[:, :4, None, None]) + styles[:, 4:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    G = d2gan.get_model('stylegan2_generator', layer='v1', **SMALL)
    G.initialize()
    assert G(mx.nd.random.normal(shape=(2, 32))).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="'v1'"):
        SynthesisLayer(3, 4, 5, 4, layer='v3')
