"""elvisyjlin/AttGAN-PyTorch weights load into d2gan's AttGAN and give the reference's outputs.

The fixtures in ``tests/data/pretrained/attgan/`` were written by
``scripts/make_pretrained_fixtures.py --attgan`` with PyTorch and the reference's ``attgan.py``:
random weights (batch norms' running statistics included), images, attribute vectors and the
reference's outputs in eval mode, as its ``test.py``. No torch needed.
"""
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.pretrained import PretrainedError
from pretrained_fixtures import read_format_fixture

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'attgan')
RTOL, ATOL = 1e-4, 1e-5


def fixture(name):
    """``(format, state dict, {other arrays})`` of ``attgan/<name>.npz``."""
    return read_format_fixture(os.path.join(DATA, f'{name}.npz'))


def test_fixtures_are_small():
    for name in ('generator', 'discriminator'):
        assert os.path.getsize(os.path.join(DATA, f'{name}.npz')) < 200 * 1024


@pytest.mark.parametrize('hybridize', [False, True])
def test_generator_gives_the_reference_output(hybridize):
    fmt, state, a = fixture('generator')
    net, config = pretrained.convert(fmt, state)
    assert config['kwargs'] == dict(n_attrs=13, enc_dim=4, dec_dim=4, enc_layers=3,
                                    dec_layers=3, shortcut_layers=1, inject_layers=1,
                                    max_dim=16, channels=3, slope=0.01)
    if hybridize:
        net.hybridize()
    y = net(mx.nd.array(a['input']), mx.nd.array(a['labels'])).asnumpy()
    np.testing.assert_allclose(y, a['output'], rtol=RTOL, atol=ATOL)


def test_the_slope_is_the_references():
    """With the paper's slope 0.2 (d2gan's default) the same weights compute another image."""
    fmt, state, a = fixture('generator')
    net, config = pretrained.convert(fmt, state)
    other = d2gan.get_model('attgan_generator', **dict(config['kwargs'], slope=0.2))
    other.initialize()
    other(mx.nd.array(a['input']), mx.nd.array(a['labels']))
    for (_, mine), (_, theirs) in zip(sorted(net._collect_params_with_prefix().items()),
                                      sorted(other._collect_params_with_prefix().items())):
        theirs.set_data(mine.data())
    y = other(mx.nd.array(a['input']), mx.nd.array(a['labels'])).asnumpy()
    assert np.abs(y - a['output']).max() > 1e-3


def test_discriminator_gives_the_reference_scores_and_logits():
    fmt, state, a = fixture('discriminator')
    net, config = pretrained.convert(fmt, state)
    assert config['kwargs']['image_size'] == 16 and config['kwargs']['n_attrs'] == 13
    adv, cls = net(mx.nd.array(a['input']))
    np.testing.assert_allclose(adv.asnumpy(), a['output'], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(cls.asnumpy(), a['output_cls'], rtol=RTOL, atol=ATOL)


def test_a_whole_checkpoint_converts_each_network(tmp_path):
    """``weights.199.pth`` holds ``G``, ``D`` and the optimizers' states; read as one flat
    dict (here from .npz), each format picks its network."""
    _, g, a = fixture('generator')
    _, d, _ = fixture('discriminator')
    both = {**{f'G.{k}': v for k, v in g.items()}, **{f'D.{k}': v for k, v in d.items()}}
    net, _ = pretrained.convert('attgan-generator', both)
    y = net(mx.nd.array(a['input']), mx.nd.array(a['labels'])).asnumpy()
    np.testing.assert_allclose(y, a['output'], rtol=RTOL, atol=ATOL)
    assert pretrained.convert('attgan-discriminator', both)[1]['kwargs']['dim'] == 256


def test_a_decoder_that_fits_no_shortcut_is_named():
    fmt, state, _ = fixture('generator')
    broken = dict(state)
    w = broken['dec_layers.1.layers.0.weight']
    broken['dec_layers.1.layers.0.weight'] = np.zeros((w.shape[0] + 5,) + w.shape[1:],
                                                      np.float32)
    with pytest.raises(PretrainedError, match='dec_layers.1 takes .* channels beyond'):
        pretrained.convert(fmt, broken)
