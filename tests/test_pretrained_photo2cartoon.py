"""minivision-ai/photo2cartoon weights load into d2gan's Photo2Cartoon generator
(d2gan.pretrained.photo2cartoon), and ``infer --weights`` runs the converted network.

The fixtures in ``tests/data/pretrained/photo2cartoon/`` were written by
``scripts/make_pretrained_fixtures.py --photo2cartoon`` with PyTorch and the reference's
``models/networks.py``: random weights (``rho``, ILN scales and shifts, Soft-AdaLIN's ``w``,
dense biases included; float16 values, stored as float16 to keep the files small), an input and
the reference's three eval-mode outputs in float64. ``generator``: ngf 4 at 32 px;
``generator_light``: ngf 4, light, run at 48 px. No torch needed.

Two tolerances: in float64 the converted network equals the reference to the fixture's float32
rounding (measured: 3e-8 on the image, 9e-7 on heatmaps of size ~20), which pins the map; in
float32 the image differs by up to 1.6e-4, the float32 rounding of four hourglasses that
normalise single-channel 2x2 maps.
"""
import json
import os

import cv2
import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.data import paired
from d2gan.plot import to_numpy_images
from d2gan.pretrained import PretrainedError

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'photo2cartoon')
NAMES = ('generator', 'generator_light')
OUTPUTS = ('output', 'output_cam', 'output_heatmap')
TOLERANCE = {'float64': dict(rtol=1e-6, atol=1e-6), 'float32': dict(rtol=1e-4, atol=5e-4)}


def fixture(name):
    """``(format, state dict (float32), {other arrays})`` of ``photo2cartoon/<name>.npz``."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k].astype(np.float32) for k in f.files
                 if k.startswith('state/')}
        arrays = {k: f[k] for k in f.files if k != 'format' and not k.startswith('state/')}
        return str(f['format']), state, arrays


def outputs(net, a, dtype='float32'):
    if dtype != 'float32':
        net.cast(dtype)
    return [y.asnumpy() for y in net(mx.nd.array(a['input'], dtype=dtype))]


def test_fixtures_are_small_and_complete():
    for name in NAMES:
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 300 * 1024
        _, state, a = fixture(name)
        assert set(OUTPUTS) | {'input'} <= set(a)
        assert len(state) == 406 and sum('.ConvBlock4.' in k for k in state) == 56


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name', NAMES)
def test_generator_gives_the_reference_outputs(name, hybridize, dtype):
    fmt, state, a = fixture(name)
    net, config = pretrained.convert(fmt, state)
    assert config['kwargs']['unbiased_variance'] is True
    if hybridize:
        net.hybridize()
    for got, key in zip(outputs(net, a, dtype), OUTPUTS):
        np.testing.assert_allclose(got, a[key], **TOLERANCE[dtype], err_msg=key)


def test_inferred_configurations():
    kwargs = {name: pretrained.convert(*fixture(name)[:2])[1]['kwargs'] for name in NAMES}
    assert kwargs == {
        'generator': dict(ngf=4, img_size=32, light=False, unbiased_variance=True),
        'generator_light': dict(ngf=4, img_size=256, light=True, unbiased_variance=True)}


@pytest.mark.parametrize('first, second, index', [
    ('DecodeBlock1.norm1.w_gamma', 'DecodeBlock1.norm1.w_beta', 0),
    ('DecodeBlock2.norm2.c_gamma.0.weight', 'DecodeBlock2.norm2.s_gamma.weight', 0),
    ('HourGlass1.HG.0.ConvBlock1_1.ConvBlock1.3.weight',
     'HourGlass1.HG.0.ConvBlock1_2.ConvBlock1.3.weight', 0),
    ('HourGlass2.Conv2.weight', 'HourGlass3.Conv2.weight', 0),
    ('gap_fc.bias', 'gmp_fc.bias', 1),
    ('EncodeBlock1.conv_block.1.weight', 'EncodeBlock4.conv_block.1.weight', 2)])
def test_a_misplaced_array_changes_the_output(first, second, index):
    """Swapped arrays (Soft-AdaLIN's weights, the content and style branches, an hourglass's skip
    and pooled branch, two hourglasses, the CAM's biases, the encoder's blocks) move an output
    far beyond the tolerance: the fixture catches such a map. (Not every pair can: the biases of
    an hourglass's two 1x1 convs add up, and swapped they give the same output.)"""
    fmt, state, a = fixture('generator')
    swapped = dict(state, **{first: state[second], second: state[first]})
    y = outputs(pretrained.convert(fmt, swapped)[0], a)[index]
    assert np.abs(y - a[OUTPUTS[index]]).max() > 1e-2


def test_the_unused_projections_are_optional_and_other_keys_are_named():
    fmt, state, a = fixture('generator_light')
    lean = {k: v for k, v in state.items() if '.ConvBlock4.' not in k}
    np.testing.assert_allclose(outputs(pretrained.convert(fmt, lean)[0], a)[0], a['output'],
                               **TOLERANCE['float32'])
    del state['DecodeBlock3.norm2.w_beta']
    state['DecodeBlock1.norm1.rho'] = np.ones((1, 16, 1, 1), dtype=np.float32)
    state['FC.2.bias'] = np.ones(8, dtype=np.float32)
    with pytest.raises(PretrainedError) as info:
        pretrained.convert(fmt, state)
    message = str(info.value)
    assert 'missing keys (1): DecodeBlock3.norm2.w_beta' in message
    assert 'unexpected keys' in message and 'DecodeBlock1.norm1.rho' in message
    assert 'FC.2.bias (8,) for fc.1.bias (16,)' in message


def test_wrong_network_is_named():
    with np.load(os.path.join(DATA, '..', 'ugatit', 'generator.npz')) as f:
        ugatit = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
    with pytest.raises(PretrainedError, match="photo2cartoon-generator: key "
                                              "'ConvBlock1.1.weight' not found"):
        pretrained.convert('photo2cartoon-generator', ugatit)
    _, state, _ = fixture('generator')
    with pytest.raises(PretrainedError, match="key 'FC.0.weight' not found"):
        pretrained.convert('photo2cartoon-generator',
                           {k: v for k, v in state.items() if k != 'FC.0.weight'})


def released():
    """``photo2cartoon_weights.pt`` as read: the generator's keys under ``genA2B.``."""
    return {f'genA2B.{k}': v for k, v in fixture('generator_light')[1].items()}


def test_genA2B_of_the_released_file():
    _, _, a = fixture('generator_light')
    net, _ = pretrained.convert('photo2cartoon-genA2B', released())
    np.testing.assert_allclose(outputs(net, a)[0], a['output'], **TOLERANCE['float32'])
    with pytest.raises(PretrainedError, match="no network 'genB2A'.*: genA2B"):
        pretrained.convert('photo2cartoon-genB2A', released())


def write_photos(folder, n=2, side=32):
    """``n`` random uint8 RGB images as ``folder/i.png``; returns them."""
    images = np.random.default_rng(0).integers(0, 256, (n, side, side, 3), dtype=np.uint8)
    folder.mkdir()
    for i, image in enumerate(images):
        cv2.imwrite(str(folder / f'{i}.png'), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return images


def test_cli_convert_and_infer(tmp_path, capsys):
    """``convert --format photo2cartoon-genA2B``, then ``infer --weights`` writes the
    network's images (the first of its three outputs) at the requested size."""
    source = tmp_path / 'photo2cartoon_weights.npz'
    np.savez(source, **released())
    params = tmp_path / 'photo2cartoon.params'
    assert main(['convert', '--format', 'photo2cartoon-genA2B', '--input', str(source),
                 '--out', str(params)]) == 0
    assert 'photo2cartoon_generator(ngf=4' in capsys.readouterr().out
    meta = json.loads((tmp_path / 'photo2cartoon.json').read_text())
    assert meta['format'] == 'photo2cartoon-genA2B' and meta['kwargs']['light'] is True
    images = write_photos(tmp_path / 'photos')
    out = tmp_path / 'cartoons'
    assert main(['infer', '--weights', str(params), '--input', str(tmp_path / 'photos'),
                 '--out', str(out), '--image-size', '32']) == 0
    assert 'translated 2 images (32x32, mode eval)' in capsys.readouterr().out
    net = pretrained.load_converted(params)
    with mx.autograd.predict_mode():
        y = net(mx.nd.array(paired.to_tensor(list(images))))[0]
    expected = (to_numpy_images(y) * 255 + 0.5).astype(np.uint8)
    for i in range(2):
        got = cv2.cvtColor(cv2.imread(str(out / f'{i}.png')), cv2.COLOR_BGR2RGB)
        assert np.abs(got.astype(int) - expected[i]).max() <= 1


def test_infer_runs_a_full_generator_only_at_its_size(tmp_path, capsys):
    fmt, state, _ = fixture('generator')
    params = tmp_path / 'full.params'
    pretrained.save_converted(*pretrained.convert(fmt, state), params, fmt=fmt)
    write_photos(tmp_path / 'photos')
    assert main(['infer', '--weights', str(params), '--input', str(tmp_path / 'photos'),
                 '--out', str(tmp_path / 'out'), '--image-size', '64']) == 2
    assert 'full (non-light) Photo2Cartoon generator trained at 32x32' in capsys.readouterr().err
