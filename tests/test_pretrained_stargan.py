"""yunjey/stargan weights load into d2gan's StarGAN networks and give the reference's outputs.

The fixtures in ``tests/data/pretrained/yunjey/`` were written by
``scripts/make_pretrained_fixtures.py --stargan`` with PyTorch and yunjey/stargan's
``model.py``: random weights (instance-norm scales, shifts and running statistics included),
inputs, labels and the reference's outputs. No torch needed.
"""
import json
import os
import sys

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.pretrained import PretrainedError

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained')
RTOL, ATOL = 1e-4, 1e-5


def fixture(name):
    """``(format, state dict, {other arrays})`` of ``yunjey/<name>.npz``."""
    with np.load(os.path.join(DATA, 'yunjey', f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        arrays = {k: f[k] for k in f.files if k != 'format' and not k.startswith('state/')}
        return str(f['format']), state, arrays


def generate(net, a):
    return net(mx.nd.array(a['input']), mx.nd.array(a['labels'])).asnumpy()


def test_fixtures_are_small_and_complete():
    for name in ('generator', 'discriminator'):
        assert os.path.getsize(os.path.join(DATA, 'yunjey', f'{name}.npz')) < 500 * 1024
    _, state, a = fixture('generator')
    assert {'input', 'labels', 'output', 'output_eval'} <= set(a)
    assert any(k.endswith('running_mean') for k in state)


@pytest.mark.parametrize('hybridize', [False, True])
def test_generator_gives_the_reference_output(hybridize):
    fmt, state, a = fixture('generator')
    net, _ = pretrained.convert(fmt, state)
    if hybridize:
        net.hybridize()
    np.testing.assert_allclose(generate(net, a), a['output'], rtol=RTOL, atol=ATOL)


def test_generator_is_the_references_test_mode_not_eval_mode():
    """The reference's ``Solver.test`` runs in training mode (per-image statistics); its
    networks in eval mode (running statistics) compute something else, far from d2gan's."""
    fmt, state, a = fixture('generator')
    y = generate(pretrained.convert(fmt, state)[0], a)
    assert np.abs(y - a['output_eval']).max() > 0.1
    without = {k: v for k, v in state.items() if 'running_' not in k and 'num_batches' not in k}
    assert len(without) < len(state)
    np.testing.assert_allclose(generate(pretrained.convert(fmt, without)[0], a), a['output'],
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('hybridize', [False, True])
def test_discriminator_gives_both_reference_outputs(hybridize):
    fmt, state, a = fixture('discriminator')
    net, _ = pretrained.convert(fmt, state)
    if hybridize:
        net.hybridize()
    src, cls = net(mx.nd.array(a['input']))
    np.testing.assert_allclose(src.asnumpy(), a['output'], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(cls.asnumpy(), a['output_cls'], rtol=RTOL, atol=ATOL)


def test_inferred_configurations():
    _, state, _ = fixture('generator')
    assert pretrained.convert('yunjey-generator', state)[1] == dict(
        model='stargan_generator', kwargs=dict(c_dim=3, conv_dim=4, repeat_num=2, channels=3))
    _, state, _ = fixture('discriminator')
    assert pretrained.convert('yunjey-discriminator', state)[1] == dict(
        model='stargan_discriminator',
        kwargs=dict(image_size=16, c_dim=3, conv_dim=4, repeat_num=3, channels=3))


def test_a_misplaced_array_changes_the_output():
    """Swapping a norm's scale and shift, or the two convolutions of a residual block,
    moves the output: the fixture would catch such a map."""
    fmt, state, a = fixture('generator')
    norm, conv = 'main.9.main.1', 'main.10.main.'
    for first, second in ((f'{norm}.weight', f'{norm}.bias'),
                          (f'{conv}0.weight', f'{conv}3.weight')):
        swapped = dict(state, **{first: state[second], second: state[first]})
        y = generate(pretrained.convert(fmt, swapped)[0], a)
        assert np.abs(y - a['output']).max() > 1e-3, first


def test_missing_affine_parameter_is_named():
    fmt, state, _ = fixture('generator')
    del state['main.9.main.4.bias']
    with pytest.raises(PretrainedError, match=r'missing keys \(1\): main\.9\.main\.4\.bias'):
        pretrained.convert(fmt, state)


def test_unexpected_key_and_wrong_shape_are_named():
    fmt, state, _ = fixture('discriminator')
    state['main.1.weight'] = np.ones(4, dtype=np.float32)      # the LeakyReLU has none
    state['conv1.weight'] = np.zeros((1, 16, 4, 4), dtype=np.float32)
    with pytest.raises(PretrainedError) as info:
        pretrained.convert(fmt, state)
    message = str(info.value)
    assert 'unexpected keys' in message and 'main.1.weight' in message
    assert 'conv1.weight (1, 16, 4, 4) for src.weight (1, 16, 3, 3)' in message


def test_wrong_network_is_named():
    _, state, _ = fixture('discriminator')
    with pytest.raises(PretrainedError, match="yunjey-generator: key 'main.1.weight' not "
                                              'found'):
        pretrained.convert('yunjey-generator', state)
    _, state, _ = fixture('generator')
    with pytest.raises(PretrainedError, match="yunjey-discriminator: key 'conv2.weight' not "
                                              'found'):
        pretrained.convert('yunjey-discriminator', state)


def test_cli_convert_round_trip(tmp_path, capsys):
    fmt, state, a = fixture('generator')
    source = tmp_path / '200000-G.npz'
    np.savez(source, **state)
    out = tmp_path / 'stargan_G.params'
    assert main(['convert', '--format', fmt, '--input', str(source), '--out', str(out)]) == 0
    assert 'stargan_generator(c_dim=3' in capsys.readouterr().out
    assert json.loads((tmp_path / 'stargan_G.json').read_text())['format'] == fmt
    np.testing.assert_allclose(generate(pretrained.load_converted(out), a), a['output'],
                               rtol=RTOL, atol=ATOL)


def test_released_ckpt_files_read_as_torch_state_dicts(tmp_path, monkeypatch):
    """yunjey/stargan releases ``200000-G.ckpt`` (``torch.save`` of a state dict)."""
    path = tmp_path / '200000-G.ckpt'
    path.write_bytes(b'not read')
    monkeypatch.setitem(sys.modules, 'torch', None)   # `import torch` raises ImportError
    with pytest.raises(PretrainedError, match=r'200000-G\.ckpt needs torch'):
        pretrained.read_state_dict(path)
