"""d2gan.nn layers (oneDNN work-arounds, narrow conv, instance norm) against plain references."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, nd

from d2gan.nn import Conv2DTranspose, dcgan_init

REFERENCE = r'''
import json, sys, numpy as np, mxnet as mx
from mxnet import autograd, nd
d = np.load(sys.argv[1])
x = nd.array(d['x']); x.attach_grad()
w = nd.array(d['w']); w.attach_grad()
b = nd.array(d['b']); b.attach_grad()
with autograd.record():
    y = nd.Deconvolution(x, w, b, kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=1,
                         no_bias=False)
    loss = (y * nd.array(d['dy'])).sum()
loss.backward()
np.savez(sys.argv[2], y=y.asnumpy(), dx=x.grad.asnumpy(), dw=w.grad.asnumpy(),
         db=b.grad.asnumpy())
'''


def test_one_channel_transposed_conv_matches_onednn_free_reference(tmp_path):
    rng = np.random.default_rng(0)
    layer = Conv2DTranspose(1, 4, 2, 1, in_channels=16)
    layer.initialize(mx.init.Normal(0.1))
    layer.bias.set_data(nd.array([0.3, -0.2]))
    x = nd.array(rng.standard_normal((8, 16, 7, 7)).astype('float32'))
    dy = rng.standard_normal((8, 1, 14, 14)).astype('float32')
    x.attach_grad()
    with autograd.record():
        y = layer(x)
        loss = (y * nd.array(dy)).sum()
    loss.backward()
    got = dict(y=y.asnumpy(), dx=x.grad.asnumpy(), dw=layer.weight.grad().asnumpy(),
               db=layer.bias.grad().asnumpy())

    inputs = tmp_path / 'in.npz'
    np.savez(inputs, x=x.asnumpy(), dy=dy, w=layer.effective_weight().asnumpy(),
             b=layer.bias.data().asnumpy()[:1])
    env = dict(os.environ, MXNET_MKLDNN_ENABLED='0')
    subprocess.run([sys.executable, '-c', REFERENCE, str(inputs), str(tmp_path / 'ref.npz')],
                   check=True, env=env, capture_output=True)
    ref = np.load(tmp_path / 'ref.npz')

    assert y.shape == (8, 1, 14, 14)
    for key, got_key in [('y', 'y'), ('dx', 'dx')]:
        np.testing.assert_allclose(got[got_key], ref[key], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got['dw'][:, :1], ref['dw'], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got['db'][:1], ref['db'], rtol=1e-4, atol=1e-4)
    # The spare channel never reaches the output: exactly zero gradient, so it never moves.
    assert np.all(got['dw'][:, 1:] == 0) and got['db'][1] == 0
    assert np.abs(ref['dw']).sum() > 0


def test_multi_channel_transposed_conv_is_plain_gluon():
    layer = Conv2DTranspose(3, 4, 2, 1, in_channels=8)
    assert layer.weight.shape == (8, 3, 4, 4)
    layer.initialize()
    assert layer(nd.ones((2, 8, 5, 5))).shape == (2, 3, 10, 10)


def test_one_channel_layer_hybridizes():
    layer = Conv2DTranspose(1, 4, 2, 1, in_channels=4)
    layer.initialize()
    x = nd.random.normal(shape=(2, 4, 3, 3))
    eager = layer(x).asnumpy()
    layer.hybridize()
    np.testing.assert_allclose(layer(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)


def test_dcgan_init_statistics():
    from mxnet.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(64, 4, in_channels=32), nn.BatchNorm(in_channels=64))
    dcgan_init(net)
    w = net[0].weight.data().asnumpy()
    gamma = net[1].gamma.data().asnumpy()
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
    assert abs(gamma.mean() - 1) < 0.01 and 0.005 < gamma.std() < 0.05
    assert np.all(net[0].bias.data().asnumpy() == 0)
    assert np.all(net[1].running_var.data().asnumpy() == 1)


def _conv_outputs(net, x, head, after=None):
    """Output, input gradient and parameter gradients of ``after(net(x))`` for ``head``."""
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = net(x)
        if after is not None:
            y = after(y)
    y.backward(head)
    grads = [p.grad().asnumpy().copy() for p in net.collect_params().values()
             if p.grad_req != 'null']
    return [y.asnumpy(), x.grad.asnumpy()] + grads


def test_narrow_conv_equals_plain_conv_with_same_parameters():
    from mxnet.gluon import nn
    from d2gan.nn import Conv2D
    for use_bias in (True, False):
        plain = nn.Conv2D(3, 7, padding=3, use_bias=use_bias, in_channels=5)
        narrow = Conv2D(3, 7, padding=3, use_bias=use_bias, in_channels=5, activation='tanh')
        plain.initialize(mx.init.Normal(0.1))
        narrow.initialize()
        assert [p.shape for p in narrow.collect_params().values()] == \
            [p.shape for p in plain.collect_params().values()]
        for p, q in zip(plain.collect_params().values(), narrow.collect_params().values()):
            q.set_data(p.data())
        x = nd.random.normal(shape=(2, 5, 12, 12))
        head = nd.random.normal(shape=(2, 3, 12, 12))
        for hybrid in (False, True):
            if hybrid:
                plain.hybridize()
                narrow.hybridize()
            ref = _conv_outputs(plain, x, head, after=nd.tanh)
            got = _conv_outputs(narrow, x, head)
            assert got[0].shape == (2, 3, 12, 12)
            for r, g in zip(ref, got):
                np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4)


def test_narrow_conv_is_plain_for_wide_layers():
    from d2gan.nn import Conv2D
    wide = Conv2D(8, 3, in_channels=4)
    wide.initialize()
    assert wide._extra == 0 and wide(nd.ones((1, 4, 5, 5))).shape == (1, 8, 3, 3)


def test_affine_instance_norm_equals_gluon_instance_norm():
    from mxnet.gluon import nn
    from d2gan.nn.norm import AffineInstanceNorm
    ref, fast = nn.InstanceNorm(in_channels=6, scale=True), AffineInstanceNorm(in_channels=6,
                                                                              scale=True)
    assert list(fast.collect_params().keys())[0].endswith('gamma')
    for net in (ref, fast):
        net.initialize()
        net.gamma.set_data(nd.arange(1, 7) / 3)
        net.beta.set_data(nd.arange(6) - 2)
    x = nd.random.normal(shape=(3, 6, 7, 5)) * 4 + 1
    head = nd.random.normal(shape=x.shape)
    for hybrid in (False, True):
        if hybrid:
            ref.hybridize()
            fast.hybridize()
        for r, g in zip(_conv_outputs(ref, x, head), _conv_outputs(fast, x, head)):
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('cin,cout,k,s,p,op', [(16, 8, 4, 2, 1, 0), (4, 1, 4, 2, 1, 0),
                                               (6, 5, 3, 2, 1, 0), (6, 5, 3, 2, 1, 1),
                                               (3, 2, 3, 1, 1, 0)])
def test_transposed_conv_via_conv_equals_deconvolution_and_survives_reuse(cin, cout, k, s, p,
                                                                          op):
    ref = Conv2DTranspose(cout, k, s, p, output_padding=op, in_channels=cin)
    via = Conv2DTranspose(cout, k, s, p, output_padding=op, in_channels=cin, via_conv=True)
    ref.initialize(mx.init.Normal(0.5))
    via.initialize()
    via.weight.set_data(ref.weight.data())
    via.bias.set_data(nd.random.normal(shape=via.bias.shape))
    ref.bias.set_data(via.bias.data())
    x = nd.random.normal(shape=(2, cin, 5, 5))
    out_size = (5 - 1) * s - 2 * p + k + op
    head = nd.random.normal(shape=(2, cout, out_size, out_size))
    for hybrid in (False, True):
        if hybrid:
            ref.hybridize()
            via.hybridize()
        expected, got = _conv_outputs(ref, x, head), _conv_outputs(via, x, head)
        assert got[0].shape == (2, cout, out_size, out_size)
        for r, g in zip(expected, got):       # output, input and parameter gradients
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4)
    # the weight used twice in one graph: oneDNN's Deconvolution backward would crash here
    with autograd.record():
        y = via(x)
        loss = (y * y).sum() + via(x * 2).sum()
    loss.backward()
    assert np.isfinite(via.weight.grad().asnumpy()).all()


def test_via_conv_refuses_output_padding_it_cannot_crop():
    with pytest.raises(NotImplementedError, match='output_padding <= .* = 0, got 1'):
        Conv2DTranspose(4, 4, 2, 0, output_padding=1, in_channels=4, via_conv=True)
