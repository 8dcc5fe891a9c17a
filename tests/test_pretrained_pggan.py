"""PGGAN network pickles of tkarras/progressive_growing_of_gans load into d2gan's PGGAN networks,
without TensorFlow, and give the reference's outputs at every level of detail.

The fixtures in ``tests/data/pretrained/tkarras/`` were written by
``scripts/make_tf_fixtures.py --pggan`` with TensorFlow and the reference's own ``tfutil.Network``
and ``networks.py``: ``(G, D, Gs)`` pickled as the reference saves its networks, random
weights, and the reference's outputs (generators up-sampled to full size, the critic on
full-size images it down-samples itself). No TensorFlow needed here.
"""
import os
import pickle
import sys
import types

import matplotlib.image
import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from mxnet import autograd
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.plot import make_grid
from d2gan.pretrained import PretrainedError
from d2gan.pretrained.tf_pickle import networks_of

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'tkarras')
CASES = ('pggan_16', 'pggan_8_unfused')
RTOL, ATOL = 1e-4, 1e-5
FORMATS = {'Gs': 'tkarras-pggan-generator', 'G': 'tkarras-pggan-generator-g',
           'D': 'tkarras-pggan-discriminator'}


def pickle_path(case):
    return os.path.join(DATA, f'{case}.pkl')


def arrays(case):
    with np.load(os.path.join(DATA, f'{case}.npz')) as f:
        return {k: f[k] for k in f.files}


def full_size(images, lod):
    """A generator's output at ``lod`` up-sampled (nearest) to full size, as the reference's."""
    f = 2 ** int(np.floor(lod))
    return images.repeat(f, 2).repeat(f, 3)


def at_lod(images, lod):
    """Full-size images averaged down to the size the critic takes at ``lod``."""
    f = 2 ** int(np.floor(lod))
    n, c, h, w = images.shape
    return images.reshape(n, c, h // f, f, w // f, f).mean(axis=(3, 5))


def test_fixtures_are_small_and_complete():
    for case in CASES:
        for suffix in ('pkl', 'npz'):
            assert os.path.getsize(os.path.join(DATA, f'{case}.{suffix}')) < 200 * 1024
        nets = networks_of(pickle_path(case))
        assert [net.state['name'] for net in nets] == ['G', 'D', 'Gs']
        assert [net.state['build_func_name'] for net in nets] == ['G_paper', 'D_paper', 'G_paper']


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('network', ['Gs', 'G'])
@pytest.mark.parametrize('hybridize', [False, True])
def test_generators_give_the_reference_output_at_every_lod(case, network, hybridize):
    state, a = pretrained.read_state_dict(pickle_path(case)), arrays(case)
    net, config = pretrained.convert(FORMATS[network], state)
    assert config['model'] == 'pggan_generator'
    if hybridize:
        net.hybridize()
    for i, lod in enumerate(a['lods']):
        y = net(mx.nd.array(a['latents']), float(lod)).asnumpy()
        np.testing.assert_allclose(full_size(y, lod), a[f'{network}_lod{i}'], rtol=RTOL,
                                   atol=ATOL, err_msg=f'{case} {network} at lod {lod}')


@pytest.mark.parametrize('case', CASES)
def test_discriminator_gives_the_reference_scores_at_every_lod(case):
    state, a = pretrained.read_state_dict(pickle_path(case)), arrays(case)
    net, config = pretrained.convert(FORMATS['D'], state)
    assert config['kwargs']['fused_scale'] == (case == 'pggan_16')
    for i, lod in enumerate(a['lods']):
        y = net(mx.nd.array(at_lod(a['images'], lod)), float(lod)).asnumpy()
        np.testing.assert_allclose(y, a[f'D_lod{i}'], rtol=RTOL, atol=ATOL,
                                   err_msg=f'{case} D at lod {lod}')


def test_fused_and_unfused_discriminators_differ():
    """The fused reference pools before the leaky ReLU, the unfused one after: converting the
    fused weights into the other order gives other scores (the flag is not cosmetic)."""
    state, a = pretrained.read_state_dict(pickle_path('pggan_16')), arrays('pggan_16')
    net, config = pretrained.convert(FORMATS['D'], state)
    other = d2gan.get_model('pggan_discriminator', **dict(config['kwargs'], fused_scale=False))
    other.initialize()
    for (_, mine), (_, theirs) in zip(sorted(net._collect_params_with_prefix().items()),
                                      sorted(other._collect_params_with_prefix().items())):
        theirs.set_data(mine.data())
    x = mx.nd.array(a['images'])
    assert np.abs(net(x, 0.0).asnumpy() - other(x, 0.0).asnumpy()).max() > 1e-3


def test_the_generator_and_its_average_are_different_networks():
    state, a = pretrained.read_state_dict(pickle_path('pggan_16')), arrays('pggan_16')
    assert np.abs(a['G_lod0'] - a['Gs_lod0']).max() > 0.1
    g = pretrained.convert(FORMATS['G'], state)[0](mx.nd.array(a['latents']), 0.0).asnumpy()
    assert np.abs(g - a['Gs_lod0']).max() > 0.1


def fake_tfutil(monkeypatch):
    """A stand-in module ``tfutil`` whose ``Network`` pickles a given state, as the
    reference's ``Network.__getstate__`` does."""
    module = types.ModuleType('tfutil')

    class Network:
        def __init__(self, state):
            self.state = state

        def __getstate__(self):
            return self.state

    Network.__module__, Network.__qualname__ = 'tfutil', 'Network'
    module.Network = Network
    monkeypatch.setitem(sys.modules, 'tfutil', module)
    return Network


def test_a_network_built_otherwise_is_refused_by_name(tmp_path, monkeypatch):
    Network = fake_tfutil(monkeypatch)
    nets = [net.state for net in networks_of(pickle_path('pggan_16'))]
    nets[1] = dict(nets[1], static_kwargs=dict(nets[1]['static_kwargs'], use_wscale=False))
    path = tmp_path / 'no_wscale.pkl'
    path.write_bytes(pickle.dumps(tuple(Network(s) for s in nets)))
    with pytest.raises(PretrainedError, match=r"'D' \(D_paper\) is built with use_wscale=False"):
        pretrained.read_state_dict(path)
    nets[1] = dict(nets[1], build_func_name='D_stylegan')
    path.write_bytes(pickle.dumps(tuple(Network(s) for s in nets)))
    with pytest.raises(PretrainedError, match="built by 'D_stylegan'"):
        pretrained.read_state_dict(path)


def test_a_conditional_generator_is_refused(tmp_path, monkeypatch):
    Network = fake_tfutil(monkeypatch)
    nets = [net.state for net in networks_of(pickle_path('pggan_16'))]
    nets[0] = dict(nets[0], static_kwargs=dict(nets[0]['static_kwargs'], label_size=10))
    path = tmp_path / 'conditional.pkl'
    path.write_bytes(pickle.dumps(tuple(Network(s) for s in nets)))
    with pytest.raises(PretrainedError, match='label_size=10'):
        pretrained.read_state_dict(path)


def test_a_pickle_runs_no_code(tmp_path):
    """A global other than the network class and NumPy's arrays is refused before it is
    called: ``os.system('touch ...')`` never runs."""
    marker = tmp_path / 'ran'
    command = f'touch {marker}'.encode()
    path = tmp_path / 'evil.pkl'
    path.write_bytes(b'\x80\x02cos\nsystem\nX' + len(command).to_bytes(4, 'little') + command
                     + b'\x85R.')
    with pytest.raises(PretrainedError, match='os.system'):
        pretrained.read_state_dict(path)
    assert not marker.exists()


def test_a_truncated_pickle_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / 'half.pkl'
    with open(pickle_path('pggan_16'), 'rb') as f:
        path.write_bytes(f.read()[:5000])
    with pytest.raises(PretrainedError, match='half.pkl is not a readable network pickle'):
        pretrained.read_state_dict(path)


def test_the_wrong_network_is_named(tmp_path):
    state = pretrained.read_state_dict(pickle_path('pggan_16'))
    only_d = {k: v for k, v in state.items() if k.startswith('D.')}
    with pytest.raises(PretrainedError, match="no network 'Gs'"):
        pretrained.convert(FORMATS['Gs'], only_d)


def test_cli_convert_then_sample(tmp_path, capsys):
    out = tmp_path / 'pggan.params'
    assert main(['convert', '--format', FORMATS['Gs'], '--input', pickle_path('pggan_16'),
                 '--out', str(out)]) == 0
    grid = tmp_path / 'grid.png'
    assert main(['sample', '--weights', str(out), '--num', '4', '--nrow', '2', '--seed', '3',
                 '--out', str(grid)]) == 0
    net = pretrained.load_converted(out)
    z = np.random.default_rng(3).standard_normal((4, 16)).astype('float32')
    with autograd.predict_mode():
        expected = make_grid(net(mx.nd.array(z)), nrow=2)
    written = matplotlib.image.imread(str(grid))[..., :3]
    np.testing.assert_allclose(written, expected, atol=1 / 255 + 1e-6)
    assert main(['sample', '--weights', str(out), '--truncation', '0.7',
                 '--out', str(grid)]) == 2
    assert 'has no truncation' in capsys.readouterr().err
