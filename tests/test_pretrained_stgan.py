"""csmliu/STGAN's TensorFlow checkpoints load into d2gan's STGAN, without TensorFlow, and give
the reference's outputs (d2gan.pretrained.stgan, d2gan.pretrained.tf_checkpoint).

The fixture in ``tests/data/pretrained/stgan/`` was written by
``scripts/make_tf_fixtures.py --stgan`` with TensorFlow running the reference's ``models.py``:
``Saver.save`` of random variables (moving statistics, norm scales and an Adam optimizer's slots
included), images, difference label vectors and the reference's outputs in inference mode.
"""
import os
import shutil

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from mxnet import autograd
from d2gan import pretrained
from d2gan.pretrained import PretrainedError
from d2gan.pretrained.tf_checkpoint import read_tf_checkpoint

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'stgan')
PREFIX = os.path.join(DATA, 'stgan')
RTOL, ATOL = 1e-4, 1e-5


def arrays():
    with np.load(PREFIX + '.npz') as f:
        return {k: f[k] for k in f.files}


def test_fixture_is_small_and_a_training_checkpoint():
    assert sum(os.path.getsize(os.path.join(DATA, f)) for f in os.listdir(DATA)) < 500 * 1024
    state = read_tf_checkpoint(PREFIX)
    assert 'Genc/Conv/weights/Adam' in state and 'beta1_power' in state
    assert state['Genc/Conv/weights'].shape == (4, 4, 3, 4)


@pytest.mark.parametrize('name', ['stgan', 'stgan.index', 'stgan.data-00000-of-00001'])
def test_any_file_of_the_checkpoint_or_its_prefix_reads(name):
    state = pretrained.read_state_dict(os.path.join(DATA, name))
    assert len(state) == 154 and state['D/Conv/InstanceNorm/gamma'].dtype == np.float32


@pytest.mark.parametrize('hybridize', [False, True])
def test_generator_gives_the_reference_output(hybridize):
    a = arrays()
    net, config = pretrained.convert('stgan-generator', pretrained.read_state_dict(PREFIX))
    assert config['kwargs'] == dict(n_attrs=13, enc_dim=4, dec_dim=4, enc_layers=3,
                                    dec_layers=3, shortcut_layers=2, inject_layers=2, stu_dim=4,
                                    stu_layers=2, stu_inject_layers=2, stu_kernel_size=3,
                                    max_dim=16, channels=3)
    if hybridize:
        net.hybridize()
    with autograd.predict_mode():
        y = net(mx.nd.array(a['input']), mx.nd.array(a['labels'])).asnumpy()
    np.testing.assert_allclose(y, a['output'], rtol=RTOL, atol=ATOL)


def test_discriminator_gives_the_reference_score_and_logits():
    a = arrays()
    net, _ = pretrained.convert('stgan-discriminator', pretrained.read_state_dict(PREFIX))
    adv, cls = net(mx.nd.array(a['input']))
    np.testing.assert_allclose(adv.asnumpy(), a['d_output'], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(cls.asnumpy(), a['d_output_cls'], rtol=RTOL, atol=ATOL)


def test_the_critics_instance_norm_scale_matters():
    """TF slim's instance norm has a scale (STGAN's critic learns one): with it reset to 1 the
    scores change -- the parameter an earlier transliteration left out."""
    state = dict(pretrained.read_state_dict(PREFIX))
    for key in [k for k in state if k.endswith('InstanceNorm/gamma')]:
        state[key] = np.ones_like(state[key])
    adv, _ = pretrained.convert('stgan-discriminator', state)[0](mx.nd.array(arrays()['input']))
    assert np.abs(adv.asnumpy() - arrays()['d_output']).max() > 1e-3


def copy_checkpoint(tmp_path):
    for suffix in ('.index', '.data-00000-of-00001'):
        shutil.copy(PREFIX + suffix, tmp_path / f'ckpt{suffix}')
    return tmp_path / 'ckpt'


def test_a_truncated_data_file_is_named(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    data = tmp_path / 'ckpt.data-00000-of-00001'
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises(PretrainedError, match='needs .* bytes at .* of its data file'):
        pretrained.read_state_dict(prefix)


def test_a_truncated_index_or_missing_data_is_named(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    index = tmp_path / 'ckpt.index'
    whole = index.read_bytes()
    index.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(PretrainedError, match='not a TensorFlow checkpoint index'):
        pretrained.read_state_dict(index)
    index.write_bytes(whole)
    (tmp_path / 'ckpt.data-00000-of-00001').unlink()
    with pytest.raises(PretrainedError, match='missing data file'):
        pretrained.read_state_dict(prefix)


def test_a_critic_checkpoint_is_not_a_generator():
    state = {k: v for k, v in pretrained.read_state_dict(PREFIX).items() if k.startswith('D/')}
    with pytest.raises(PretrainedError, match="key 'Genc/Conv/weights' not found"):
        pretrained.convert('stgan-generator', state)
