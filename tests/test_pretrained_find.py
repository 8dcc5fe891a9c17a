"""``find_converted``: the chapters' look-up of converted reference weights in ``data/pretrained``.

The converted files are made from the small reference fixtures of ``tests/data/pretrained/``
(``convert`` + ``save_converted``, as ``python -m d2gan convert`` does). No torch needed.
"""
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.pretrained import PretrainedError

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained')


def fixture(name):
    """``(format, state dict, input, reference output)`` of a junyanz fixture."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        return str(f['format']), state, f['input'], f['output']


def write_converted(folder, name, fixture_name='resnet_instance_2018'):
    """``folder/name.params`` + ``.json`` converted from a fixture; returns its input, output."""
    fmt, state, x, expected = fixture(fixture_name)
    net, config = pretrained.convert(fmt, state)
    pretrained.save_converted(net, config, os.path.join(folder, f'{name}.params'), fmt=fmt)
    return x, expected


def test_a_converted_file_is_found_and_loads(tmp_path):
    x, expected = write_converted(tmp_path, 'horse2zebra')
    net = pretrained.find_converted('horse2zebra', root=tmp_path)
    assert type(net).__name__ == 'ResnetGenerator'
    np.testing.assert_allclose(net(mx.nd.array(x)).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    assert pretrained.find_converted('horse2zebra.params', root=tmp_path) is not None


def test_the_default_folder_is_pretrained_under_the_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv('D2GAN_DATA', str(tmp_path))
    assert pretrained.converted_path('facades_label2photo') == \
        os.path.join(str(tmp_path), 'pretrained', 'facades_label2photo.params')
    assert pretrained.find_converted('facades_label2photo') is None
    x, expected = write_converted(tmp_path / 'pretrained', 'facades_label2photo', 'unet_batch')
    net = pretrained.find_converted('facades_label2photo')
    assert type(net).__name__ == 'UnetGenerator'
    with mx.autograd.predict_mode():
        np.testing.assert_allclose(net(mx.nd.array(x)).asnumpy(), expected, rtol=1e-4,
                                   atol=1e-5)


def test_absent_is_none(tmp_path):
    assert pretrained.find_converted('horse2zebra', root=tmp_path) is None
    assert pretrained.find_converted('horse2zebra', root=tmp_path / 'no such folder') is None
    write_converted(tmp_path, 'zebra2horse')
    assert pretrained.find_converted('horse2zebra', root=tmp_path) is None


def test_params_without_its_json_is_a_clear_error(tmp_path):
    write_converted(tmp_path, 'horse2zebra')
    os.remove(tmp_path / 'horse2zebra.json')
    with pytest.raises(PretrainedError, match=r'horse2zebra\.params has no horse2zebra\.json '
                                              r'beside it.*python -m d2gan convert'):
        pretrained.find_converted('horse2zebra', root=tmp_path)


def test_a_broken_file_is_an_error_not_absent(tmp_path):
    write_converted(tmp_path, 'horse2zebra')
    params = tmp_path / 'horse2zebra.params'
    params.write_bytes(params.read_bytes()[:1000])
    with pytest.raises(PretrainedError, match='does not load as its .json describes'):
        pretrained.find_converted('horse2zebra', root=tmp_path)
    (tmp_path / 'horse2zebra.json').write_text('{not json')
    with pytest.raises(PretrainedError, match='cannot read the network description'):
        pretrained.find_converted('horse2zebra', root=tmp_path)
