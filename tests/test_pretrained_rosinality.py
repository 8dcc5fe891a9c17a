"""rosinality/stylegan2-pytorch checkpoints load into d2gan's StyleGAN2 (pretrained.rosinality).

``tests/data/pretrained/rosinality/checkpoint.npz`` was written by
``scripts/make_pretrained_fixtures.py --rosinality`` with PyTorch, the reference's ``model.py``
(its fused ops stood in for by their CPU math, its 512-channel table narrowed to 16, 16, 8):
a combined checkpoint ``g`` / ``g_ema`` / ``d`` / ``latent_avg`` as the released ``.pt`` files,
``z`` (``input``), the mapping's ``ws``, ``g_ema``'s image with zero noise (``output``) and
truncated (``image_trunc``), D's scores, one up-sampling and one down-sampling convolution.
No torch needed.
"""
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.models.stylegan2 import SynthesisLayer, conv_layer
from d2gan.pretrained import PretrainedError
from d2gan.pretrained.state_dict import sub_state
from stylegan2_fixtures import read_fixture, without_noise

PATH = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'rosinality',
                    'checkpoint.npz')
G_FMT, D_FMT = 'rosinality-stylegan2-generator', 'rosinality-stylegan2-discriminator'
RTOL, ATOL = 1e-4, 2e-5


def fixture():
    """``(flat combined state dict, {other arrays})``."""
    return read_fixture(PATH)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_fixture_is_small_and_random():
    assert os.path.getsize(PATH) < 300 * 1024
    state, _ = fixture()
    assert np.all(state['g_ema.convs.0.noise.weight'] != 0)
    assert np.abs(state['latent_avg']).max() > 0.1
    assert np.abs(state['g.style.1.weight'] - state['g_ema.style.1.weight']).max() > 0.1


def test_inferred_configurations():
    state, _ = fixture()
    assert pretrained.convert(G_FMT, state)[1] == dict(
        model='stylegan2_generator', kwargs=dict(resolution=16, img_channels=3, z_dim=16,
                                                 w_dim=16, mapping_layers=2, channel_base=128,
                                                 channel_max=16))
    assert pretrained.convert(D_FMT, state)[1] == dict(
        model='stylegan2_discriminator', kwargs=dict(resolution=16, img_channels=3,
                                                     channel_base=128, channel_max=16,
                                                     mbstd_group_size=4))


def test_mapping_and_latent_avg():
    state, a = fixture()
    G, _ = pretrained.convert(G_FMT, state)
    close(G.w_avg.data().asnumpy(), state['latent_avg'])
    ws = G.map(mx.nd.array(a['input'])).asnumpy()
    assert ws.shape == (3, 6, 16)                      # rosinality's n_latent = 2 log2(16) - 2
    close(ws, np.repeat(a['ws'][:, None], 6, axis=1))


@pytest.mark.parametrize('hybridize', [False, True])
def test_g_ema_gives_the_reference_image(hybridize):
    state, a = fixture()
    G = without_noise(pretrained.convert(G_FMT, state)[0])
    if hybridize:
        G.synthesis.hybridize()
    z = mx.nd.array(a['input'])
    close(G(z).asnumpy(), a['output'])
    close(G(z, 0.7).asnumpy(), a['image_trunc'])


def test_the_combined_file_gives_g_ema_by_default_and_g_on_request():
    state, a = fixture()
    z = mx.nd.array(a['input'])
    G = without_noise(pretrained.convert('rosinality-stylegan2-generator-g', state)[0])
    close(G.mapping.layers[0].weight.data().asnumpy(), state['g.style.1.weight'])
    assert np.abs(G(z).asnumpy() - a['output']).max() > 1e-2
    plain = sub_state(state, 'g_ema', 'test')            # a state dict of g_ema alone
    G = without_noise(pretrained.convert(G_FMT, plain)[0])
    close(G(z).asnumpy(), a['output'])
    assert np.all(G.w_avg.data().asnumpy() == 0)           # no latent_avg in the file


def test_noise_weights_become_noise_strengths():
    state, a = fixture()
    G = pretrained.convert(G_FMT, state)[0]
    blocks = G.synthesis.blocks
    for layer, key in ((blocks[0].conv1, 'conv1'), (blocks[1].conv0, 'convs.0'),
                       (blocks[1].conv1, 'convs.1'), (blocks[2].conv0, 'convs.2')):
        close(layer.noise_strength.data().asnumpy(), state[f'g_ema.{key}.noise.weight'])
    noisy = G(mx.nd.array(a['input'])).asnumpy()
    assert np.abs(noisy - a['output']).max() > 1e-2


def test_upsampling_convolution_is_the_references():
    """rosinality's transposed convolution + blur equals d2gan's upfirdn2d + flipped weight."""
    _, a = fixture()
    layer = SynthesisLayer(5, 6, 4, 8, up=2)
    layer.initialize()
    x, w = mx.nd.array(a['up_x']), mx.nd.array(a['up_w'])
    close(layer._conv(mx.nd, x, w).asnumpy(), a['up_y'])
    unflipped = layer._conv(mx.nd, x, w.flip(axis=(2, 3))).asnumpy()
    assert np.abs(unflipped - a['up_y']).max() > 1e-2


def test_downsampling_convolution_is_the_references():
    """rosinality's Blur (pad 2, 2) then stride-2 convolution equals d2gan's ``conv_layer``."""
    _, a = fixture()
    layer = conv_layer(5, 6, 3, down=2, use_bias=False, activation=False)
    layer.initialize()
    layer[1].weight.set_data(mx.nd.array(a['down_w']))
    y = layer(mx.nd.array(a['down_x'])).asnumpy() * np.sqrt(5 * 9)   # undo 1 / sqrt(fan_in)
    close(y, a['down_y'])


@pytest.mark.parametrize('hybridize', [False, True])
def test_discriminator_gives_the_reference_score(hybridize):
    state, a = fixture()
    D, _ = pretrained.convert(D_FMT, state)
    if hybridize:
        D.hybridize()
    close(D(mx.nd.array(a['d_input'])).asnumpy(), a['d_output'])


def test_missing_unexpected_and_wrong_shape_keys_are_named():
    state, _ = fixture()
    state = dict(state)
    del state['g_ema.to_rgbs.1.conv.modulation.bias']
    state['g_ema.convs.1.extra'] = np.zeros(3, np.float32)
    state['g_ema.convs.1.activate.bias'] = np.zeros(7, np.float32)
    with pytest.raises(PretrainedError) as e:
        pretrained.convert(G_FMT, state)
    message = str(e.value)
    for text in ('missing keys (1): to_rgbs.1.conv.modulation.bias', 'unexpected keys',
                 'convs.1.extra',
                 'convs.1.activate.bias (7,) for synthesis.blocks.1.conv1.bias (16,)'):
        assert text in message


def test_a_foreign_blur_kernel_is_refused():
    state, _ = fixture()
    up = dict(state, **{'g_ema.convs.0.conv.blur.kernel': np.full((4, 4), 1 / 16, np.float32)})
    with pytest.raises(PretrainedError, match='convs.0.conv.blur.kernel is not the .* times 4'):
        pretrained.convert(G_FMT, up)
    down = dict(state, **{'d.convs.1.skip.0.kernel': state['d.convs.1.skip.0.kernel'] * 4})
    with pytest.raises(PretrainedError, match='convs.1.skip.0.kernel is not the'):
        pretrained.convert(D_FMT, down)


def test_widths_d2gan_cannot_express_are_refused():
    state, _ = fixture()
    D = sub_state(state, 'd', 'test')
    D['convs.2.conv1.0.weight'] = np.zeros((4, 16, 3, 3), np.float32)   # 8 -> 4 at 8 px
    with pytest.raises(PretrainedError, match='widths .* are not min\\(channel_base'):
        pretrained.convert(D_FMT, D)


def test_missing_networks_and_foreign_states_are_named():
    state, _ = fixture()
    released = {k: v for k, v in state.items() if k.startswith(('g_ema.', 'latent_avg'))}
    with pytest.raises(PretrainedError, match="no network 'd'.*g_ema, latent_avg"):
        pretrained.convert(D_FMT, released)
    with pytest.raises(PretrainedError, match="key 'final_conv.0.weight' not found"):
        pretrained.convert(D_FMT, {k: v for k, v in sub_state(state, 'd', 't').items()
                                   if not k.startswith('final_conv')})
    nvlabs_like = {'mapping.fc0.weight': np.zeros((16, 16), np.float32)}
    with pytest.raises(PretrainedError, match="key 'style.1.weight' not found"):
        pretrained.convert(G_FMT, nvlabs_like)


def test_converted_files_round_trip(tmp_path):
    state, a = fixture()
    net, config = pretrained.convert(G_FMT, state)
    params, _ = pretrained.save_converted(net, config, tmp_path / 'G.params', fmt=G_FMT)
    loaded = without_noise(pretrained.load_converted(params))
    close(loaded(mx.nd.array(a['input']), 0.7).asnumpy(), a['image_trunc'])
