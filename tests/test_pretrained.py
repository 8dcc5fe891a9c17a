"""Reference weights load into d2gan's networks and give the reference's outputs.

The fixtures in ``tests/data/pretrained/`` were written by ``scripts/make_pretrained_fixtures.py``
with PyTorch and junyanz/pytorch-CycleGAN-and-pix2pix's ``models/networks.py``: random weights
(norm statistics included), an input and the reference's eval-mode output. No torch needed.
"""
import glob
import json
import os
import sys

import numpy as np
import pytest

import d2gan
import mxnet as mx
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.pretrained import PretrainedError

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained')
FIXTURES = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(DATA, '*.npz')))
RTOL, ATOL = 1e-4, 1e-5


def fixture(name):
    """``(format, state dict, input, reference output)`` of one fixture."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        return str(f['format']), state, f['input'], f['output']


def run(net, x):
    return net(mx.nd.array(x)).asnumpy()


def write_npz(path, state):
    np.savez(path, **state)
    return str(path)


def test_fixtures_cover_the_three_networks():
    formats = {fixture(name)[0] for name in FIXTURES}
    assert len(FIXTURES) >= 7
    assert {'junyanz-unet', 'junyanz-resnet', 'junyanz-n_layers'} <= formats
    for name in FIXTURES:
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 1024 ** 2


@pytest.mark.parametrize('name', FIXTURES)
def test_converted_network_gives_the_reference_output(name):
    fmt, state, x, expected = fixture(name)
    net, config = pretrained.convert(fmt, state)
    np.testing.assert_allclose(run(net, x), expected, rtol=RTOL, atol=ATOL)
    net.hybridize()
    np.testing.assert_allclose(run(net, x), expected, rtol=RTOL, atol=ATOL)


def test_inferred_configurations():
    expected = {
        'unet_batch': ('unet_generator', dict(num_downs=6, ngf=4, norm='batch')),
        'unet_instance_gray': ('unet_generator', dict(in_channels=1, out_channels=1,
                                                      num_downs=5, norm='instance')),
        'resnet_instance_2018': ('resnet_generator', dict(n_blocks=6, norm='instance',
                                                          dropout=False)),
        'resnet_batch_dropout': ('resnet_generator', dict(n_blocks=2, norm='batch',
                                                          out_channels=1, dropout=True)),
        'patchgan_basic_batch': ('patchgan_discriminator', dict(in_channels=6, n_layers=3,
                                                                norm='batch')),
        'patchgan_none': ('patchgan_discriminator', dict(n_layers=1, norm='none')),
    }
    for name, (model, kwargs) in expected.items():
        fmt, state, _, _ = fixture(name)
        _, config = pretrained.convert(fmt, state)
        assert config['model'] == model
        assert {k: config['kwargs'][k] for k in kwargs} == kwargs, name


def test_a_misplaced_array_changes_the_output():
    """The fixtures are strong enough to catch a wrong map: swapping two same-shaped arrays
    (a batch norm's mean and variance; the two convolutions of a residual block) moves the
    output. (A bias before an instance norm cannot be seen in any output -- the norm
    subtracts it again -- so for those only the key names are checked.)"""
    fmt, state, x, expected = fixture('unet_batch')
    key = 'model.model.1.model.2'
    swapped = dict(state, **{f'{key}.running_mean': state[f'{key}.running_var'],
                             f'{key}.running_var': state[f'{key}.running_mean']})
    assert np.abs(run(pretrained.convert(fmt, swapped)[0], x) - expected).max() > 1e-3
    fmt, state, x, expected = fixture('resnet_instance_2018')
    first, second = 'model.10.conv_block.1.weight', 'model.10.conv_block.5.weight'
    swapped = dict(state, **{first: state[second], second: state[first]})
    assert np.abs(run(pretrained.convert(fmt, swapped)[0], x) - expected).max() > 1e-3


def test_instance_norm_statistics_of_old_files_are_ignored():
    fmt, state, x, expected = fixture('resnet_instance_2018')
    stats = [k for k in state if k.endswith('running_mean')]
    assert stats and all(k.replace('running_mean', 'weight') not in state for k in stats)
    without = {k: v for k, v in state.items() if 'running_' not in k and 'num_batches' not in k}
    np.testing.assert_allclose(run(pretrained.convert(fmt, without)[0], x), expected,
                               rtol=RTOL, atol=ATOL)


def test_missing_key_is_named():
    fmt, state, _, _ = fixture('unet_batch')
    del state['model.model.1.model.2.running_var']
    with pytest.raises(PretrainedError, match=r'missing keys \(1\): '
                                              r'model\.model\.1\.model\.2\.running_var'):
        pretrained.convert(fmt, state)


def test_unexpected_key_is_named():
    fmt, state, _, _ = fixture('patchgan_instance')
    state['model.1.weight'] = np.ones(4, dtype=np.float32)   # the LeakyReLU has none
    with pytest.raises(PretrainedError, match=r'unexpected keys.*\(1\): model\.1\.weight'):
        pretrained.convert(fmt, state)


def test_wrong_shape_is_named():
    fmt, state, _, _ = fixture('resnet_batch_dropout')
    state['model.4.weight'] = np.zeros((8, 4, 5, 5), dtype=np.float32)
    with pytest.raises(PretrainedError, match=r'wrong shapes \(1\): model\.4\.weight '
                                              r'\(8, 4, 5, 5\) for model\.4\.weight '
                                              r'\(8, 4, 3, 3\)'):
        pretrained.convert(fmt, state)


def test_every_problem_is_listed_at_once():
    fmt, state, _, _ = fixture('patchgan_basic_batch')
    del state['model.0.bias']
    state['model.99.weight'] = np.zeros(1, dtype=np.float32)
    state['model.2.weight'] = state['model.2.weight'][:2]
    with pytest.raises(PretrainedError) as info:
        pretrained.convert(fmt, state)
    message = str(info.value)
    for part in ('missing keys (1): model.0.bias', 'model.99.weight', 'model.2.weight (2, 4'):
        assert part in message


def test_wrong_family_or_depth_is_named():
    _, state, _, _ = fixture('resnet_instance_2018')
    with pytest.raises(PretrainedError, match="'model.model.0.weight' not found"):
        pretrained.convert('junyanz-unet', state)
    with pytest.raises(PretrainedError, match='n_blocks=9, but the state dict has n_blocks=6'):
        pretrained.convert('junyanz-resnet_9blocks', state)
    _, state, _, _ = fixture('unet_batch')
    with pytest.raises(PretrainedError, match='num_downs=8, but the state dict has '
                                              'num_downs=6'):
        pretrained.convert('junyanz-unet_256', state)
    with pytest.raises(KeyError, match='valid names are: attgan-discriminator, .*junyanz-basic'):
        pretrained.convert('junyanz-pixel', state)


def test_npz_reader_round_trip_and_module_prefix(tmp_path):
    _, state, _, _ = fixture('patchgan_none')
    back = pretrained.read_state_dict(write_npz(tmp_path / 'd.npz', state))
    assert set(back) == set(state)
    assert all(np.array_equal(back[k], state[k]) for k in state)
    prefixed = {f'module.{k}': v for k, v in state.items()}   # saved from DataParallel
    assert set(pretrained.read_state_dict(write_npz(tmp_path / 'm.npz', prefixed))) == set(state)


def test_truncated_or_foreign_files_are_named(tmp_path):
    _, state, _, _ = fixture('unet_batch')
    whole = open(write_npz(tmp_path / 'whole.npz', state), 'rb').read()
    cut = tmp_path / 'cut.npz'
    cut.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(PretrainedError, match=r'cut\.npz is not a readable \.npz file '
                                              r'\(truncated'):
        pretrained.read_state_dict(cut)
    with pytest.raises(PretrainedError, match='no such file'):
        pretrained.read_state_dict(tmp_path / 'absent.npz')
    with pytest.raises(PretrainedError, match="unknown weight file type '.h5'"):
        pretrained.read_state_dict(tmp_path / 'x.h5')


def test_nested_checkpoints_flatten_and_skip_optimizer_states():
    """AttGAN's ``weights.*.pth``: ``{'G': ..., 'D': ..., 'optim_G': ..., 'optim_D': ...}``;
    the networks flatten to dotted keys, the optimizers' states are not weights."""
    from d2gan.pretrained.state_dict import flatten
    w = np.ones(2, np.float32)
    checkpoint = {'G': {'enc.weight': w}, 'D': {'conv': {'weight': w}},
                  'optim_G': {'state': {0: {'exp_avg': w}}, 'param_groups': [{'lr': 2e-4}]}}
    assert sorted(flatten(checkpoint, np.ndarray, 'x.pth')) == ['D.conv.weight', 'G.enc.weight']
    with pytest.raises(PretrainedError, match="entry 'G.lr' is a float"):
        flatten({'G': {'lr': 2e-4}}, np.ndarray, 'x.pth')


def test_pth_without_torch_says_how_to_proceed(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch', None)   # `import torch` raises ImportError
    path = tmp_path / 'latest_net_G.pth'
    path.write_bytes(b'not read')
    with pytest.raises(PretrainedError, match=r'needs torch \(pip install torch\) or convert '
                                              r'the file to \.npz with scripts/pth_to_npz\.py'):
        pretrained.read_state_dict(path)


def test_pth_with_torch(tmp_path):
    torch = pytest.importorskip('torch')
    fmt, state, x, expected = fixture('unet_instance_gray')
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, tmp_path / 'g.pth')
    net = pretrained.load_pretrained(tmp_path / 'g.pth', fmt)
    np.testing.assert_allclose(run(net, x), expected, rtol=RTOL, atol=ATOL)


def test_cli_convert_round_trip(tmp_path, capsys):
    fmt, state, x, expected = fixture('unet_batch')
    source = write_npz(tmp_path / 'latest_net_G.npz', state)
    out = tmp_path / 'converted' / 'G.params'
    assert main(['convert', '--format', fmt, '--input', source, '--out', str(out)]) == 0
    assert 'unet_generator(' in capsys.readouterr().out
    meta = json.loads((tmp_path / 'converted' / 'G.json').read_text())
    assert meta['format'] == fmt and meta['model'] == 'unet_generator'
    net = d2gan.get_model(meta['model'], **meta['kwargs'])
    net.load_parameters(str(out))
    np.testing.assert_allclose(run(net, x), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(run(pretrained.load_converted(out), x), expected,
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('case', ['truncated', 'pth', 'misfit', 'suffix'])
def test_cli_convert_errors(tmp_path, capsys, monkeypatch, case):
    fmt, state, _, _ = fixture('patchgan_instance')
    source, out = write_npz(tmp_path / 'd.npz', state), str(tmp_path / 'D.params')
    if case == 'truncated':
        data = open(source, 'rb').read()
        open(source, 'wb').write(data[:100])
    elif case == 'pth':
        monkeypatch.setitem(sys.modules, 'torch', None)
        source = str(tmp_path / 'd.pth')
        open(source, 'wb').write(b'x')
    elif case == 'misfit':
        fmt = 'junyanz-basic'
    else:
        out = str(tmp_path / 'D.bin')
    assert main(['convert', '--format', fmt, '--input', source, '--out', out]) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ')
    assert {'truncated': 'truncated', 'pth': 'needs torch', 'misfit': 'n_layers=3',
            'suffix': '.params'}[case] in err
    assert not os.path.exists(out)


def test_pth_to_npz_writes_nested_checkpoints_with_the_keys_d2gan_reads(tmp_path):
    """scripts/pth_to_npz.py (run where torch is) flattens a checkpoint of several networks
    as read_state_dict does; a non-tensor entry is an error naming it."""
    torch = pytest.importorskip('torch')
    import subprocess
    script = os.path.join(os.path.dirname(__file__), os.pardir, 'scripts', 'pth_to_npz.py')
    nested = {'genA2B': {'a.weight': torch.ones(2, 3)}, 'disGA': {'b.bias': torch.zeros(4)}}
    torch.save(nested, tmp_path / 'n.pt')
    subprocess.run([sys.executable, script, str(tmp_path / 'n.pt'), str(tmp_path / 'n.npz')],
                   check=True)
    assert (sorted(pretrained.read_state_dict(tmp_path / 'n.npz'))
            == sorted(pretrained.read_state_dict(tmp_path / 'n.pt'))
            == ['disGA.b.bias', 'genA2B.a.weight'])
    torch.save({'genA2B': {'a.weight': torch.ones(1)}, 'iter': 5}, tmp_path / 'bad.pt')
    done = subprocess.run([sys.executable, script, str(tmp_path / 'bad.pt'),
                           str(tmp_path / 'bad.npz')], capture_output=True, text=True)
    assert done.returncode == 2 and "entry 'iter' is a int, not a tensor" in done.stderr
