"""``update_ema``: the fused in-place average equals its formula on every device."""
import d2gan  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from d2gan.train.ema import update_ema


def dense_stack(layers, devices):
    net = gluon.nn.HybridSequential()
    for _ in range(layers):
        net.add(gluon.nn.Dense(3, in_units=3))
    net.add(gluon.nn.BatchNorm(in_channels=3))           # running statistics: buffers
    net.initialize(mx.init.Normal(1.0), ctx=devices)
    return net


def values(net):
    return {name: [a.asnumpy() for a in p.list_data()]
            for name, p in net._collect_params_with_prefix().items()}


@pytest.mark.parametrize('layers', [2, 70])          # 70 layers: more than one fused group
def test_update_ema_equals_the_formula_and_copies_buffers(layers):
    devices = [mx.cpu(0), mx.cpu(1)]
    ema, net = dense_stack(layers, devices), dense_stack(layers, devices)
    for p in net.collect_params().values():
        if p.grad_req == 'null':
            p.set_data(p.data() + 5)
    before, source = values(ema), values(net)
    update_ema(ema, net, 0.9)
    after = values(ema)
    moved = 0
    for name, p in net._collect_params_with_prefix().items():
        for old, new, theirs in zip(before[name], after[name], source[name]):
            expected = theirs if p.grad_req == 'null' else theirs + 0.9 * (old - theirs)
            np.testing.assert_allclose(new, expected, rtol=1e-6, atol=1e-6)
            moved += p.grad_req != 'null' and not np.allclose(new, theirs)
    assert moved == 2 * layers          # every random weight moved, on both devices
    update_ema(ema, net, 0.0)
    for name, arrays in values(ema).items():
        for mine, theirs in zip(arrays, source[name]):
            np.testing.assert_array_equal(mine, theirs)


def test_update_ema_names_a_missing_parameter():
    with pytest.raises(KeyError, match='no counterpart'):
        update_ema(dense_stack(3, [mx.cpu()]), dense_stack(2, [mx.cpu()]), 0.5)
