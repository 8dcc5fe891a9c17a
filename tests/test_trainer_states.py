"""Optimizer states follow their parameters across processes: MXNet numbers a trainer's
parameters by sorted global name, and the counters in those names differ between runs."""
import numpy as np
import pytest

import d2gan  # noqa: F401  (sets the OpenMP settings before MXNet loads)
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn

from d2gan.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


class TwoNetStep:
    """Two same-shaped networks ``a`` and ``b`` under one Adam trainer, named by ``prefixes``."""

    def __init__(self, prefixes, units=3):
        self.devices = [mx.cpu()]
        self.config = {}
        self.networks = {}
        for key, prefix in zip('ab', prefixes):
            net = nn.Dense(units, in_units=4, prefix=prefix)
            net.initialize(mx.init.Constant(0.5 if key == 'a' else -0.5))
            self.networks[key] = net
        params = gluon.ParameterDict()
        for net in self.networks.values():
            params.update(net.collect_params())
        self.trainers = {'opt': gluon.Trainer(params, 'adam', {'learning_rate': 0.1},
                                              update_on_kvstore=False)}

    def update(self):
        x = mx.nd.ones((2, 4))
        with autograd.record():          # very different gradients for a and b
            loss = self.networks['a'](x).sum() * 100 + self.networks['b'](x).sum() * 0.01
        loss.backward()
        self.trainers['opt'].step(1)

    def weights(self):
        return {k: net.weight.data().asnumpy() for k, net in self.networks.items()}


def test_sorted_names_really_reorder_the_trainer():
    step = TwoNetStep(['net9_', 'net10_'])
    assert step.trainers['opt']._params[0].name.startswith('net10_')   # b before a


def test_states_load_onto_the_same_parameters_whatever_their_names(tmp_path):
    saved, resumed = TwoNetStep(['net1_', 'net2_']), TwoNetStep(['net9_', 'net10_'])
    saved.update()
    path = save_checkpoint(str(tmp_path / 'c.ckpt'), saved, {})
    load_checkpoint(path, resumed)
    for net in saved.networks.values():                  # same starting point
        resumed_net = resumed.networks['a' if net.prefix == 'net1_' else 'b']
        resumed_net.weight.set_data(net.weight.data())
        resumed_net.bias.set_data(net.bias.data())
    saved.update()
    resumed.update()
    for key, value in saved.weights().items():
        np.testing.assert_allclose(resumed.weights()[key], value, rtol=1e-6, err_msg=key)


def test_states_for_other_parameters_are_refused_by_name(tmp_path):
    saved = TwoNetStep(['net1_', 'net2_'])
    saved.update()
    path = save_checkpoint(str(tmp_path / 'c.ckpt'), saved, {})
    other = TwoNetStep(['net1_', 'net2_'])
    other.networks['b'] = nn.Dense(3, in_units=4, prefix='other_')
    other.networks['b'].initialize()
    with pytest.raises(CheckpointError, match="trainer 'opt'.*missing"):
        load_checkpoint(path, other)
