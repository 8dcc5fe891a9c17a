"""clovaai/stargan-v2 weights load into d2gan's StarGAN v2 networks (d2gan.pretrained.starganv2).

The fixtures in ``tests/data/pretrained/starganv2/`` were written by
``scripts/make_pretrained_fixtures.py --starganv2`` with PyTorch and the reference's
``core/model.py``: random weights (instance-norm scales and shifts included), inputs (images or
latents; domains ``labels`` covering every domain; the generator's ``style`` codes) and the
reference's output. No torch needed.
"""
import json
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.pretrained import PretrainedError

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'starganv2')
NAMES = ('generator', 'mapping_network', 'style_encoder', 'discriminator')
RTOL, ATOL = 1e-4, 1e-5


def fixture(name):
    """``(format, state dict, {other arrays})`` of ``starganv2/<name>.npz``."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        arrays = {k: f[k] for k in f.files if k != 'format' and not k.startswith('state/')}
        return str(f['format']), state, arrays


def run(net, a):
    second = a['style'] if 'style' in a else a['labels']
    return net(mx.nd.array(a['input']), mx.nd.array(second)).asnumpy()


def test_fixtures_are_small_and_cover_every_domain():
    for name in NAMES:
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 500 * 1024
    assert sorted(fixture('discriminator')[2]['labels']) == [0, 1, 2]
    assert 'style' in fixture('generator')[2]


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name', NAMES)
def test_converted_network_gives_the_reference_output(name, hybridize):
    fmt, state, a = fixture(name)
    net, _ = pretrained.convert(fmt, state)
    if hybridize:
        net.hybridize()
    np.testing.assert_allclose(run(net, a), a['output'], rtol=RTOL, atol=ATOL)


def test_inferred_configurations():
    configs = {name: pretrained.convert(fixture(name)[0], fixture(name)[1])[1] for name in NAMES}
    assert configs == {
        'generator': dict(model='starganv2_generator', kwargs=dict(
            img_size=32, style_dim=4, max_conv_dim=16, w_hpf=0, dim_in=8, in_channels=3)),
        'mapping_network': dict(model='starganv2_mapping', kwargs=dict(
            latent_dim=4, style_dim=4, num_domains=3, hidden_dim=512)),
        'style_encoder': dict(model='starganv2_style_encoder', kwargs=dict(
            img_size=16, max_conv_dim=16, dim_in=8, in_channels=3, style_dim=4, num_domains=3)),
        'discriminator': dict(model='starganv2_discriminator', kwargs=dict(
            img_size=16, max_conv_dim=16, dim_in=8, in_channels=3, num_domains=3))}


@pytest.mark.parametrize('name, first, second', [
    ('generator', 'encode.0.norm1.weight', 'encode.0.norm1.bias'),
    ('generator', 'decode.0.norm1.fc.weight', 'decode.0.norm2.fc.weight'),
    ('mapping_network', 'unshared.1.2.weight', 'unshared.1.4.weight'),
    ('style_encoder', 'unshared.0.weight', 'unshared.1.weight'),
    ('discriminator', 'main.2.conv1.weight', 'main.2.conv2.weight')])
def test_a_misplaced_array_changes_the_output(name, first, second):
    """Swapped arrays of equal shape move the output: the fixtures would catch such a map."""
    fmt, state, a = fixture(name)
    swapped = dict(state, **{first: state[second], second: state[first]})
    assert np.abs(run(pretrained.convert(fmt, swapped)[0], a) - a['output']).max() > 1e-3


def test_bad_keys_and_shapes_are_named():
    fmt, state, _ = fixture('generator')
    del state['encode.1.norm2.bias']
    state['encode.1.norm1.running_mean'] = np.zeros(16, dtype=np.float32)
    state['decode.2.conv1x1.weight'] = np.zeros((8, 16, 3, 3), dtype=np.float32)
    with pytest.raises(PretrainedError) as info:
        pretrained.convert(fmt, state)
    message = str(info.value)
    assert 'missing keys (1): encode.1.norm2.bias' in message
    assert 'unexpected keys' in message and 'encode.1.norm1.running_mean' in message
    assert 'decode.2.conv1x1.weight (8, 16, 3, 3) for decode.2.conv1x1.weight (8, 16, 1, 1)' \
        in message


def test_high_pass_generator_is_refused_with_its_reason():
    fmt, state, _ = fixture('generator')
    state['hpf.filter'] = np.ones((3, 3), dtype=np.float32)
    with pytest.raises(PretrainedError, match=r'hpf\.filter: a w_hpf > 0 generator .*FAN'):
        pretrained.convert(fmt, state)


def nets_ema():
    """``100000_nets_ema.ckpt`` as read: three networks' keys under their names (and FAN's)."""
    flat = {'fan.conv1.weight': np.zeros(1, dtype=np.float32)}
    for name in NAMES[:3]:
        flat.update({f'{name}.{k}': v for k, v in fixture(name)[1].items()})
    return flat


def test_networks_of_the_released_checkpoint():
    state = nets_ema()
    for name in NAMES[:3]:
        fmt, _, a = fixture(name)
        np.testing.assert_allclose(run(pretrained.convert(fmt, state)[0], a), a['output'],
                                   rtol=RTOL, atol=ATOL)
    with pytest.raises(PretrainedError, match='holds fan, generator, mapping_network, '
                                              'style_encoder, no discriminator'):
        pretrained.convert('starganv2-discriminator', state)


def test_wrong_network_is_named():
    _, state, _ = fixture('discriminator')
    with pytest.raises(PretrainedError, match="starganv2-style_encoder: key 'shared.0.weight'"):
        pretrained.convert('starganv2-style_encoder', state)


def test_cli_convert_round_trip(tmp_path, capsys):
    source = tmp_path / '100000_nets_ema.npz'
    np.savez(source, **nets_ema())
    out = tmp_path / 'afhq_G.params'
    assert main(['convert', '--format', 'starganv2-generator', '--input', str(source),
                 '--out', str(out)]) == 0
    assert 'starganv2_generator(img_size=32' in capsys.readouterr().out
    assert json.loads((tmp_path / 'afhq_G.json').read_text())['format'] == 'starganv2-generator'
    _, _, a = fixture('generator')
    np.testing.assert_allclose(run(pretrained.load_converted(out), a), a['output'],
                               rtol=RTOL, atol=ATOL)
