"""NVlabs/stylegan2-ada-pytorch weights load into d2gan's StyleGAN2 (d2gan.pretrained.nvlabs).

The fixtures in ``tests/data/pretrained/nvlabs/`` were written by
``scripts/make_pretrained_fixtures.py --nvlabs`` with PyTorch and the reference's
``training/networks.py``: random weights, biases, noise strengths and ``w_avg``; latents ``z``
(``input``) with the mapping's ``ws`` (plain, ``truncation_psi`` 0.7, psi 0.5 with cutoff 2),
the synthesis output with ``noise_mode='none'`` (``output``), the truncated image; one
up-sampling convolution on its own; the discriminator's scores. No torch needed.

d2gan always adds noise (fresh normal noise times ``noise_strength``); with the strengths set
to zero it computes the reference's ``noise_mode='none'``.
"""
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.models.stylegan2 import SynthesisLayer
from d2gan.pretrained import PretrainedError
from stylegan2_fixtures import read_fixture, without_noise

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'nvlabs')
G_FMT, D_FMT = 'nvlabs-stylegan2-generator', 'nvlabs-stylegan2-discriminator'
RTOL, ATOL = 1e-4, 2e-5


def fixture(name):
    """``(state dict, {other arrays})`` of ``nvlabs/<name>.npz``."""
    return read_fixture(os.path.join(DATA, f'{name}.npz'))


def test_fixtures_are_small_and_random():
    for name in ('generator', 'discriminator'):
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 400 * 1024
    state, _ = fixture('generator')
    assert np.all(state['synthesis.b8.conv0.noise_strength'] != 0)
    assert np.abs(state['mapping.w_avg']).max() > 0.1


def test_inferred_configurations():
    assert pretrained.convert(G_FMT, fixture('generator')[0])[1] == dict(
        model='stylegan2_generator', kwargs=dict(resolution=16, img_channels=3, z_dim=24,
                                                 w_dim=16, mapping_layers=2, channel_base=128,
                                                 channel_max=16))
    assert pretrained.convert(D_FMT, fixture('discriminator')[0])[1] == dict(
        model='stylegan2_discriminator', kwargs=dict(resolution=16, img_channels=3,
                                                     channel_base=128, channel_max=16,
                                                     mbstd_group_size=4))


def test_mapping_and_truncation_give_the_reference_ws():
    state, a = fixture('generator')
    G, _ = pretrained.convert(G_FMT, state)
    np.testing.assert_allclose(G.w_avg.data().asnumpy(), state['mapping.w_avg'])
    z = mx.nd.array(a['input'])
    np.testing.assert_allclose(G.map(z).asnumpy(), a['ws'], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(G.map(z, truncation_psi=0.7).asnumpy(), a['ws_trunc'],
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(G.map(z, 0.5, truncation_cutoff=2).asnumpy(), a['ws_cut'],
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('hybridize', [False, True])
def test_synthesis_gives_the_reference_image(hybridize):
    state, a = fixture('generator')
    G = without_noise(pretrained.convert(G_FMT, state)[0])
    if hybridize:
        G.synthesis.hybridize()
    np.testing.assert_allclose(G.synthesis(mx.nd.array(a['ws'])).asnumpy(), a['output'],
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(G(mx.nd.array(a['input']), 0.7).asnumpy(),
                               a['image_trunc'], rtol=RTOL, atol=ATOL)


def test_converted_noise_strengths_add_noise():
    state, a = fixture('generator')
    G = pretrained.convert(G_FMT, state)[0]
    strength = G.synthesis.blocks[1].conv0.noise_strength.data().asnumpy()
    np.testing.assert_allclose(strength, [state['synthesis.b8.conv0.noise_strength']])
    noisy = G.synthesis(mx.nd.array(a['ws'])).asnumpy()
    assert np.abs(noisy - a['output']).max() > 1e-2


def test_upsampling_convolution_is_the_references():
    """d2gan's ``upfirdn2d`` then correlation with the flipped weight equals the reference's
    ``conv2d_resample(up=2, flip_weight=False)`` (a true convolution); unflipped it would not."""
    _, a = fixture('generator')
    layer = SynthesisLayer(5, 6, 16, 8, up=2)
    layer.initialize()
    x, w = mx.nd.array(a['up_x']), mx.nd.array(a['up_w'])
    np.testing.assert_allclose(layer._conv(mx.nd, x, w).asnumpy(), a['up_y'], rtol=RTOL,
                               atol=ATOL)
    unflipped = layer._conv(mx.nd, x, w.flip(axis=(2, 3))).asnumpy()
    assert np.abs(unflipped - a['up_y']).max() > 1e-2


@pytest.mark.parametrize('hybridize', [False, True])
def test_discriminator_gives_the_reference_score(hybridize):
    state, a = fixture('discriminator')
    D, _ = pretrained.convert(D_FMT, state)
    if hybridize:
        D.hybridize()
    np.testing.assert_allclose(D(mx.nd.array(a['input'])).asnumpy(), a['output'], rtol=RTOL,
                               atol=ATOL)


def test_missing_unexpected_and_wrong_shape_keys_are_named():
    state, _ = fixture('generator')
    state = dict(state)
    del state['synthesis.b16.torgb.affine.bias']
    state['synthesis.b8.conv1.extra'] = np.zeros(3, np.float32)
    state['synthesis.b8.conv1.bias'] = np.zeros(7, np.float32)
    with pytest.raises(PretrainedError) as e:
        pretrained.convert(G_FMT, state)
    message = str(e.value)
    for text in ('missing keys (1): synthesis.b16.torgb.affine.bias',
                 'unexpected keys', 'synthesis.b8.conv1.extra',
                 'synthesis.b8.conv1.bias (7,) for synthesis.blocks.1.conv1.bias (16,)'):
        assert text in message


def test_a_foreign_filter_is_refused():
    state, _ = fixture('discriminator')
    state = dict(state, **{'b8.conv1.resample_filter': np.full((4, 4), 1 / 16, np.float32)})
    with pytest.raises(PretrainedError, match='b8.conv1.resample_filter is not the'):
        pretrained.convert(D_FMT, state)


def test_conditional_networks_are_refused():
    state, _ = fixture('generator')
    labelled = dict(state, **{'mapping.embed.weight': np.zeros((16, 10), np.float32),
                              'mapping.embed.bias': np.zeros(16, np.float32)})
    with pytest.raises(PretrainedError, match='conditional network.*mapping.embed'):
        pretrained.convert(G_FMT, labelled)
    state, _ = fixture('discriminator')
    labelled = dict(state, **{'mapping.embed.weight': np.zeros((16, 10), np.float32),
                              'b4.out.weight': np.zeros((16, 16), np.float32)})
    with pytest.raises(PretrainedError, match='conditional network.*mapping.embed'):
        pretrained.convert(D_FMT, labelled)


def test_other_architectures_are_refused():
    state, _ = fixture('generator')
    orig = {k: v for k, v in state.items() if not k.startswith('synthesis.b8.torgb.')}
    with pytest.raises(PretrainedError, match="'orig' synthesis"):
        pretrained.convert(G_FMT, orig)
    resnet = dict(state, **{'synthesis.b8.skip.weight': np.zeros((16, 16, 1, 1), np.float32)})
    with pytest.raises(PretrainedError, match="'resnet' synthesis"):
        pretrained.convert(G_FMT, resnet)
    state, _ = fixture('discriminator')
    orig = {k: v for k, v in state.items() if not k.startswith('b8.skip.')}
    with pytest.raises(PretrainedError, match="'orig' discriminator"):
        pretrained.convert(D_FMT, orig)


def test_a_generator_state_is_not_a_discriminator():
    with pytest.raises(PretrainedError, match="key 'b4.out.weight' not found"):
        pretrained.convert(D_FMT, fixture('generator')[0])


def test_a_pickle_of_other_classes_is_refused_with_the_way_to_convert_it(tmp_path):
    """A pickle naming a class neither pickle reader knows (here the reference's
    ``training.networks.Generator`` itself) is not unpickled: it would run that class's code."""
    path = tmp_path / 'ffhq.pkl'
    path.write_bytes(b'\x80\x02ctraining.networks\nGenerator\n)R.')
    with pytest.raises(PretrainedError, match='training.networks.Generator') as e:
        pretrained.read_state_dict(path)
    assert 'pth_to_npz.py --nvlabs-pkl' in str(e.value)


def test_converted_files_round_trip(tmp_path):
    state, a = fixture('generator')
    net, config = pretrained.convert(G_FMT, state)
    params, _ = pretrained.save_converted(net, config, tmp_path / 'G.params', fmt=G_FMT)
    loaded = without_noise(pretrained.load_converted(params))
    np.testing.assert_allclose(loaded.synthesis(mx.nd.array(a['ws'])).asnumpy(), a['output'],
                               rtol=RTOL, atol=ATOL)


PICKLE = os.path.join(DATA, 'snapshot.pkl')


def test_a_network_pickle_reads_without_torch_or_the_reference():
    """``snapshot.pkl`` is the reference's own pickle of ``dict(G, D, G_ema, ...)`` (written by
    ``make_pretrained_fixtures.py --nvlabs-pickle``); read here with neither torch nor the
    reference's code, its arrays are the state dicts, key for key and bit for bit."""
    state = pretrained.read_state_dict(PICKLE)
    assert {key.split('.', 1)[0] for key in state} == {'G', 'D', 'G_ema'}
    for network, name in (('G_ema', 'generator'), ('D', 'discriminator')):
        reference, _ = fixture(name)
        assert {k[len(network) + 1:] for k in state if k.startswith(network + '.')} \
            == set(reference)
        for key, value in reference.items():
            np.testing.assert_array_equal(state[f'{network}.{key}'], value)


def test_a_network_pickle_converts_to_the_reference_outputs():
    state = pretrained.read_state_dict(PICKLE)
    _, a = fixture('generator')
    G = without_noise(pretrained.convert(G_FMT, state)[0])
    np.testing.assert_allclose(G.synthesis(mx.nd.array(a['ws'])).asnumpy(), a['output'],
                               rtol=RTOL, atol=ATOL)
    trained = without_noise(pretrained.convert('nvlabs-stylegan2-generator-g', state)[0])
    assert np.abs(trained.synthesis(mx.nd.array(a['ws'])).asnumpy() - a['output']).max() > 0.1
    _, d = fixture('discriminator')
    D = pretrained.convert(D_FMT, state)[0]
    np.testing.assert_allclose(D(mx.nd.array(d['input'])).asnumpy(), d['output'], rtol=RTOL,
                               atol=ATOL)


def test_a_pickle_runs_none_of_the_source_it_stores(tmp_path, monkeypatch):
    """A persistent object's ``module_src`` (which the reference executes on unpickling) is
    kept as data: a pickle whose source would write a file writes none."""
    import pickle
    import sys
    import types
    marker = tmp_path / 'ran'
    module = types.ModuleType('torch_utils.persistence')

    def _reconstruct_persistent_obj(meta):
        raise AssertionError('not called when writing')
    _reconstruct_persistent_obj.__module__ = 'torch_utils.persistence'
    _reconstruct_persistent_obj.__qualname__ = '_reconstruct_persistent_obj'
    module._reconstruct_persistent_obj = _reconstruct_persistent_obj
    monkeypatch.setitem(sys.modules, 'torch_utils', types.ModuleType('torch_utils'))
    monkeypatch.setitem(sys.modules, 'torch_utils.persistence', module)

    class Net:
        def __reduce__(self):
            meta = dict(type='class', version=4, class_name='training.networks.Generator',
                        module_src=f'open({str(marker)!r}, "w").write("x")',
                        state={'_parameters': {}, '_buffers': {}, '_modules': {}})
            return _reconstruct_persistent_obj, (meta,)
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps(dict(G_ema=Net())))
    with pytest.raises(PretrainedError, match='holds none of the networks'):
        pretrained.read_state_dict(path)      # an empty network: no arrays
    assert not marker.exists()


def test_a_truncated_network_pickle_is_named(tmp_path):
    path = tmp_path / 'ffhq.pkl'
    with open(PICKLE, 'rb') as f:
        path.write_bytes(f.read()[:100000])
    with pytest.raises(PretrainedError, match='ffhq.pkl is not a readable network pickle'):
        pretrained.read_state_dict(path)


TF_PICKLE = os.path.join(os.path.dirname(DATA), 'nvlabs_tf', 'stylegan2_16.pkl')


def tf_arrays():
    with np.load(TF_PICKLE.replace('.pkl', '.npz')) as f:
        return {k: f[k] for k in f.files}


def test_a_tensorflow_stylegan2_pickle_converts_to_the_reference_outputs():
    """NVlabs/stylegan2's own ``(G, D, Gs)`` pickle (``make_tf_fixtures.py --stylegan2``),
    read without TensorFlow: ``Gs`` gives the reference's images, plain and truncated."""
    state, a = pretrained.read_state_dict(TF_PICKLE), tf_arrays()
    G, config = pretrained.convert(G_FMT, state)
    assert config['kwargs'] == dict(resolution=16, img_channels=3, z_dim=24, w_dim=16,
                                    mapping_layers=2, channel_base=128, channel_max=16)
    strength = G.synthesis.blocks[1].conv0.noise_strength.data().asnumpy()
    np.testing.assert_array_equal(strength, state['Gs.synthesis/8x8/Conv0_up/noise_strength'])
    G = without_noise(G)
    z = mx.nd.array(a['latents'])
    np.testing.assert_allclose(G(z).asnumpy(), a['images'], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(G(z, 0.7).asnumpy(), a['images_trunc'], rtol=RTOL, atol=ATOL)
    trained = without_noise(pretrained.convert('nvlabs-stylegan2-generator-g', state)[0])
    assert np.abs(trained(z).asnumpy() - a['images']).max() > 0.1
    D = pretrained.convert(D_FMT, state)[0]
    np.testing.assert_allclose(D(mx.nd.array(a['d_input'])).asnumpy(), a['d_output'],
                               rtol=RTOL, atol=ATOL)


def test_a_tensorflow_variable_without_a_place_is_named():
    state = dict(pretrained.read_state_dict(TF_PICKLE))
    state['Gs.mapping/LabelEmbed/weight'] = np.zeros((10, 16), np.float32)
    with pytest.raises(PretrainedError, match='no place for: mapping/LabelEmbed/weight'):
        pretrained.convert(G_FMT, state)
