"""znxlwm/UGATIT-pytorch weights load into d2gan's U-GAT-IT networks (d2gan.pretrained.ugatit).

The fixtures in ``tests/data/pretrained/ugatit/`` were written by
``scripts/make_pretrained_fixtures.py --ugatit`` with PyTorch and the reference's ``networks.py``:
random weights (``rho``, ILN scales and shifts included; the discriminator's spectral-norm
vectors after three training steps), an input and the reference's three eval-mode outputs; for
the generators also the image of the reference with biased ILN variances (``output_biased``,
d2gan's default ``unbiased_variance=False``). No torch needed.
"""
import json
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import get_model, pretrained
from d2gan.cli.main import main
from d2gan.pretrained import PretrainedError
from d2gan.pretrained.state_dict import flatten

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'ugatit')
NAMES = ('generator', 'generator_light', 'discriminator')
RTOL, ATOL = 1e-4, 1e-5


def fixture(name):
    """``(format, state dict, {other arrays})`` of ``ugatit/<name>.npz``."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        arrays = {k: f[k] for k in f.files if k != 'format' and not k.startswith('state/')}
        return str(f['format']), state, arrays


def outputs(net, a):
    return [y.asnumpy() for y in net(mx.nd.array(a['input']))]


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def test_fixtures_are_small_and_complete():
    for name in NAMES:
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 500 * 1024
        _, state, a = fixture(name)
        assert {'input', 'output', 'output_cam', 'output_heatmap'} <= set(a)
    assert all('output_biased' in fixture(name)[2] for name in ('generator', 'generator_light'))
    assert any(k.endswith('weight_v') for k in fixture('discriminator')[1])


def with_biased_variance(net, config):
    """The same generator and weights with d2gan's default ``unbiased_variance=False``."""
    twin = get_model(config['model'], **dict(config['kwargs'], unbiased_variance=False))
    twin.initialize()
    params = twin._collect_params_with_prefix()
    for name, param in net._collect_params_with_prefix().items():
        params[name].set_data(param.data())
    return twin


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name', ['generator', 'generator_light'])
def test_generator_gives_the_reference_outputs(name, hybridize):
    """The converted generator (``unbiased_variance=True``, ``torch.var``'s n - 1) gives the
    reference's image, CAM logits and heatmap as they are."""
    fmt, state, a = fixture(name)
    net, config = pretrained.convert(fmt, state)
    assert config['kwargs']['unbiased_variance'] is True
    if hybridize:
        net.hybridize()
    image, cam, heatmap = outputs(net, a)
    close(image, a['output'])
    close(cam, a['output_cam'])
    close(heatmap, a['output_heatmap'])


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name', ['generator', 'generator_light'])
def test_biased_variance_gives_the_reference_with_biased_variances(name, hybridize):
    """d2gan's default (TensorFlow's biased variance) with the same weights is the reference
    with its ILN / adaILN patched to biased variances; at this fixture's 4x4 bottleneck
    (n = 16) the two variances move the image visibly apart."""
    fmt, state, a = fixture(name)
    net = with_biased_variance(*pretrained.convert(fmt, state))
    if hybridize:
        net.hybridize()
    image, cam, heatmap = outputs(net, a)
    close(image, a['output_biased'])
    close(cam, a['output_cam'])                 # computed before any ILN
    assert np.abs(a['output'] - a['output_biased']).max() > 1e-3
    assert np.abs(image - a['output']).max() > 1e-3


@pytest.mark.parametrize('hybridize', [False, True])
def test_discriminator_gives_the_reference_eval_mode_outputs(hybridize):
    fmt, state, a = fixture('discriminator')
    net, _ = pretrained.convert(fmt, state)
    if hybridize:
        net.hybridize()
    for _ in range(2):   # predict mode: u is read, not advanced
        patch, cam, heatmap = outputs(net, a)
        close(patch, a['output'])
        close(cam, a['output_cam'])
        close(heatmap, a['output_heatmap'])


def test_copying_weight_u_into_u_would_not_be_eval_mode():
    """d2gan takes a power-iteration step from u even in predict mode; the converted u is
    chosen so that this step returns the reference's v (d2gan.pretrained.spectral)."""
    fmt, state, a = fixture('discriminator')
    net, _ = pretrained.convert(fmt, state)
    params = net._collect_params_with_prefix()
    for i in (1, 4, 7, 10):
        params[f'model.{i}.u'].set_data(mx.nd.array(state[f'model.{i}.weight_u']))
    params['head.1.u'].set_data(mx.nd.array(state['conv.weight_u']))
    patch = outputs(net, a)[0]
    assert np.abs(patch - a['output']).max() > 10 * ATOL
    assert not np.allclose(patch, a['output'], rtol=RTOL, atol=ATOL)


def test_random_spectral_vectors_are_refused():
    """A network saved before training holds random u, v: no d2gan u gives its sigma."""
    fmt, state, _ = fixture('discriminator')
    v = np.random.RandomState(0).randn(*state['model.4.weight_v'].shape)
    for key, value in (('model.4.weight_v', v), ('gap_fc.weight_v', -state['gap_fc.weight_v'])):
        with pytest.raises(PretrainedError, match=key.rsplit('.', 1)[0] + r'\.weight_u / '):
            pretrained.convert(fmt, dict(state, **{key: (value / np.linalg.norm(value))
                                                   .astype(np.float32)}))


def test_missing_spectral_vector_is_named():
    fmt, state, _ = fixture('discriminator')
    with pytest.raises(PretrainedError, match=r'missing key model\.7\.weight_u'):
        pretrained.convert(fmt, {k: v for k, v in state.items() if k != 'model.7.weight_u'})
    with pytest.raises(PretrainedError, match=r'missing keys \(1\): model\.7\.weight_orig'):
        pretrained.convert(fmt, {k: v for k, v in state.items() if k != 'model.7.weight_orig'})


def test_inferred_configurations():
    kwargs = {name: pretrained.convert(fixture(name)[0], fixture(name)[1])[1]['kwargs']
              for name in NAMES}
    assert kwargs == {
        'generator': dict(in_channels=3, out_channels=3, ngf=4, n_blocks=2, img_size=16,
                          light=False, unbiased_variance=True),
        'generator_light': dict(in_channels=3, out_channels=1, ngf=2, n_blocks=1,
                                img_size=256, light=True, unbiased_variance=True),
        'discriminator': dict(in_channels=3, ndf=4, n_layers=5)}


def test_a_misplaced_array_changes_the_output():
    """Swapping the two AdaILN rhos of a block, or the two CAM classifiers, moves an output:
    the fixture would catch such a map."""
    fmt, state, a = fixture('generator')
    for first, second, index in (('UpBlock1_1.norm1.rho', 'UpBlock1_1.norm2.rho', 0),
                                 ('gap_fc.weight', 'gmp_fc.weight', 1)):
        swapped = dict(state, **{first: state[second], second: state[first]})
        y = outputs(pretrained.convert(fmt, swapped)[0], a)[index]
        assert np.abs(y - outputs(pretrained.convert(fmt, state)[0], a)[index]).max() > 1e-3


def test_bad_keys_and_shapes_are_named():
    fmt, state, _ = fixture('generator')
    del state['UpBlock2.3.rho']
    state['UpBlock1_1.norm1.gamma'] = np.ones(16, dtype=np.float32)   # adaILN has none
    state['gamma.weight'] = np.ones((16, 8), dtype=np.float32)
    with pytest.raises(PretrainedError) as info:
        pretrained.convert(fmt, state)
    message = str(info.value)
    assert 'missing keys (1): UpBlock2.3.rho' in message
    assert 'unexpected keys' in message and 'UpBlock1_1.norm1.gamma' in message
    assert 'gamma.weight (16, 8) for gamma.weight (16, 16)' in message


def test_wrong_network_is_named():
    _, state, _ = fixture('discriminator')
    with pytest.raises(PretrainedError, match="ugatit-generator: key 'DownBlock.1.weight'"):
        pretrained.convert('ugatit-generator', state)
    _, state, _ = fixture('generator')
    with pytest.raises(PretrainedError, match="ugatit-discriminator: key "
                                              "'model.1.weight_orig'"):
        pretrained.convert('ugatit-discriminator', state)


def combined():
    """A ``*_params_latest.pt`` as read: the networks' keys under ``genA2B.``, ``disLA.``."""
    parts = {'genA2B': fixture('generator')[1], 'disLA': fixture('discriminator')[1]}
    return {f'{part}.{k}': v for part, state in parts.items() for k, v in state.items()}


def test_one_network_of_the_combined_file():
    state = combined()
    _, _, a = fixture('generator')
    close(outputs(pretrained.convert('ugatit-genA2B', state)[0], a)[0], a['output'])
    _, _, a = fixture('discriminator')
    close(outputs(pretrained.convert('ugatit-disLA', state)[0], a)[0], a['output'])
    with pytest.raises(PretrainedError, match="no network 'disGB'.*: disLA, genA2B"):
        pretrained.convert('ugatit-disGB', state)


def test_nested_checkpoints_flatten_to_dotted_keys():
    nested = {'genA2B': {'FC.0.weight': np.zeros(2)}, 'disGA': {'conv.weight_u': np.ones(1)}}
    assert sorted(flatten(nested, np.ndarray, 'x.pt')) == ['disGA.conv.weight_u',
                                                          'genA2B.FC.0.weight']
    with pytest.raises(PretrainedError, match=r"x\.pt: entry 'genA2B\.step' is a int"):
        flatten({'genA2B': {'step': 3}}, np.ndarray, 'x.pt')


def test_cli_convert_round_trip(tmp_path, capsys):
    source = tmp_path / 'selfie2anime_params_latest.npz'
    np.savez(source, **combined())
    out = tmp_path / 'selfie2anime_genA2B.params'
    assert main(['convert', '--format', 'ugatit-genA2B', '--input', str(source),
                 '--out', str(out)]) == 0
    assert 'ugatit_generator(in_channels=3' in capsys.readouterr().out
    meta = json.loads((tmp_path / 'selfie2anime_genA2B.json').read_text())
    assert meta['format'] == 'ugatit-genA2B' and meta['kwargs']['unbiased_variance'] is True
    _, _, a = fixture('generator')
    close(outputs(pretrained.load_converted(out), a)[0], a['output'])
