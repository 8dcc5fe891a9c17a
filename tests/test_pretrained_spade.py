"""NVlabs/SPADE weights load into d2gan's SPADE networks and give the reference's outputs.

The fixtures in ``tests/data/pretrained/spade/`` were written by
``scripts/make_pretrained_fixtures.py --spade`` with PyTorch and the reference's
``models/networks``: random weights (SPADE's running statistics included; spectral norms
after three training-mode passes, as a trained network's ``u``, ``v``), a one-hot map with
instance edges (and an image, for the discriminator) and the reference's outputs in eval mode,
as its ``test.py`` runs. No torch needed.
"""
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.pretrained import PretrainedError
from pretrained_fixtures import read_format_fixture

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'spade')
RTOL, ATOL = 1e-4, 1e-5


def fixture(name):
    """``(format, state dict, {other arrays})`` of ``spade/<name>.npz``."""
    return read_format_fixture(os.path.join(DATA, f'{name}.npz'))


def test_fixtures_are_small_and_complete():
    for name in ('generator', 'discriminator'):
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 300 * 1024
    _, state, _ = fixture('generator')
    assert any(k.endswith('param_free_norm.running_mean') for k in state)
    assert any(k.endswith('conv_s.weight_v') for k in state)


@pytest.mark.parametrize('hybridize', [False, True])
def test_generator_gives_the_reference_output(hybridize):
    fmt, state, a = fixture('generator')
    net, config = pretrained.convert(fmt, state)
    assert config['kwargs'] == dict(label_channels=4, ngf=1, out_channels=3,
                                    num_upsampling='normal', hidden=128, norm='batch',
                                    spectral=True)
    if hybridize:
        net.hybridize()
    np.testing.assert_allclose(net(mx.nd.array(a['input'])).asnumpy(), a['output'],
                               rtol=RTOL, atol=ATOL)


def test_discriminator_gives_every_reference_feature_map():
    fmt, state, a = fixture('discriminator')
    net, config = pretrained.convert(fmt, state)
    assert config['kwargs']['num_D'] == 2 and config['kwargs']['n_layers'] == 4
    maps = net(mx.nd.array(a['input']))
    assert [tuple(m.shape) for m in maps] == [tuple(s) for s in a['output_shapes']]
    flat = np.concatenate([m.asnumpy().reshape(-1) for m in maps])
    np.testing.assert_allclose(flat, a['output'], rtol=RTOL, atol=ATOL)


def test_running_statistics_matter():
    """The converted batch norms use the file's running statistics (eval mode): without them
    (the generator's defaults, mean 0 and variance 1) the image changes."""
    fmt, state, a = fixture('generator')
    plain = {k: (np.zeros_like(v) if k.endswith('running_mean') else
                 np.ones_like(v) if k.endswith('running_var') else v) for k, v in state.items()}
    y = pretrained.convert(fmt, plain)[0](mx.nd.array(a['input'])).asnumpy()
    assert np.abs(y - a['output']).max() > 1e-2


def test_more_upsampling_is_a_format_of_its_own():
    """``--num_upsampling_layers more`` leaves no trace in the weights: the format says it, and
    the network then takes maps whose sides are multiples of 64."""
    fmt, state, a = fixture('generator')
    net, config = pretrained.convert('spade-generator-more', state)
    assert config['kwargs']['num_upsampling'] == 'more'
    with pytest.raises(ValueError, match='multiples of 64'):
        net(mx.nd.array(a['input']))


def test_a_vae_generator_is_refused():
    fmt, state, _ = fixture('generator')
    vae = dict(state, **{'fc.weight': np.zeros((16 * 4, 256), np.float32)})
    with pytest.raises(PretrainedError, match='VAE generator'):
        pretrained.convert(fmt, vae)


def test_missing_and_misshapen_keys_are_named():
    fmt, state, _ = fixture('generator')
    broken = {k: v for k, v in state.items() if k != 'up_1.norm_1.mlp_gamma.bias'}
    broken['up_2.norm_0.mlp_beta.weight'] = np.zeros((3, 128, 3, 3), np.float32)
    with pytest.raises(PretrainedError) as e:
        pretrained.convert(fmt, broken)
    assert 'up_1.norm_1.mlp_gamma.bias' in str(e.value)
    assert 'up_2.norm_0.mlp_beta.weight (3, 128, 3, 3)' in str(e.value)


def test_cli_convert_and_infer_shape(tmp_path):
    fmt, state, a = fixture('generator')
    source = tmp_path / 'latest_net_G.npz'
    np.savez(source, **state)
    out = tmp_path / 'spade_G.params'
    assert main(['convert', '--format', fmt, '--input', str(source), '--out', str(out)]) == 0
    net = pretrained.load_converted(out)
    np.testing.assert_allclose(net(mx.nd.array(a['input'])).asnumpy(), a['output'],
                               rtol=RTOL, atol=ATOL)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    fmt, state, _ = fixture('generator')
    net, config = pretrained.convert(fmt, state)
    folder = tmp_path_factory.mktemp('spade')
    return pretrained.save_converted(net, config, folder / 'G.params', fmt=fmt)[0]


def label_folder(tmp_path, n=2, size=32):
    """``n`` label maps (classes 0..2, blocks) as 8-bit PNGs; returns the folder and labels."""
    import cv2
    folder = tmp_path / 'labels'
    folder.mkdir()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (n, size // 8, size // 8)).repeat(8, 1).repeat(8, 2)
    for i, label in enumerate(labels):
        cv2.imwrite(str(folder / f'map{i}.png'), label.astype(np.uint8))
    return folder, labels


def test_cli_infer_with_converted_weights(converted, tmp_path, capsys):
    from d2gan.data import cityscapes
    folder, labels = label_folder(tmp_path)
    out = tmp_path / 'out'
    assert main(['infer', '--weights', str(converted), '--input', str(folder), '--image-size',
                 '32', '--out', str(out)]) == 0
    assert 'synthesised 2 images (32x32)' in capsys.readouterr().out
    import matplotlib.image
    written = np.stack([matplotlib.image.imread(str(out / f'map{i}.png'))[..., :3]
                        for i in range(2)])
    maps = cityscapes.semantic_input(labels, 3, labels)    # edges from the label boundaries
    expected = (pretrained.load_converted(converted)(mx.nd.array(maps)).asnumpy() + 1) / 2
    np.testing.assert_allclose(written, expected.transpose(0, 2, 3, 1), atol=1 / 255 + 1e-6)


@pytest.mark.parametrize('argv, message', [
    (['--num-classes', '2'], 'fits neither with the instance-edge channel (3) nor without it'),
    (['--image-size', '48'], 'multiples of 32'),
    (['--direction', 'BtoA'], '--direction does not apply to a converted spade_generator')])
def test_cli_infer_refuses_what_does_not_fit(converted, tmp_path, capsys, argv, message):
    folder, _ = label_folder(tmp_path)
    assert main(['infer', '--weights', str(converted), '--input', str(folder),
                 '--out', str(tmp_path / 'out')] + argv) == 2
    assert message in capsys.readouterr().err
