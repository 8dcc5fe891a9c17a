"""A generator's update back-propagates into the generator only (``Step.only_updating``): the
critic's weight gradients, which the update would discard, are not computed.

Skipping them must not change what any recipe learns: every recipe trains, from the command line
with one seed, to the parameters it reaches when the update computes every gradient. And the
skip must happen: the critic's gradient buffers are left as they were, the generator's are
written, and once the block is left the critic's next backward pass writes its gradients again.
"""
import contextlib

import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, nd

import d2gan
from d2gan.grad_requests import requesting
from d2gan.train.step import Step
from test_cli_devices import RECIPE_ARGS, assert_equal_parameters, train


@pytest.mark.parametrize('model', sorted(RECIPE_ARGS))
def test_every_recipe_trains_as_when_every_gradient_is_computed(model, tmp_path, monkeypatch):
    skipping = train(model, tmp_path / 'skipping', 'cpu:0')
    monkeypatch.setattr(Step, 'only_updating', lambda self, *names: contextlib.nullcontext())
    computing = train(model, tmp_path / 'computing', 'cpu:0')
    assert_equal_parameters(computing, skipping, model)


def gradients(net):
    return {p.name: p.grad().asnumpy().copy() for p in net.collect_params().values()
            if p.grad_req != 'null'}


@pytest.mark.parametrize('hybridize', [True, False])
def test_generator_update_leaves_the_critics_gradients_alone(hybridize):
    mx.random.seed(0)
    step = d2gan.build_gan('dcgan', image_size=16, channels=1, latent_dim=8, ngf=4, ndf=4,
                           hybridize=hybridize)
    real = nd.random.uniform(-1, 1, shape=(4, 1, 16, 16))
    step.train_step(real)                                 # builds the graphs
    for net, value in ((step.net_G, 5.0), (step.net_D, 7.0)):
        for p in net.collect_params().values():
            if p.grad_req != 'null':
                p.grad()[:] = value
    fresh = [p.data()._fresh_grad for p in step.net_D.collect_params().values()]
    step._g_update(4)
    assert all((g == 7).all() for g in gradients(step.net_D).values())
    assert all(not (g == 5).all() for g in gradients(step.net_G).values())
    assert [p.data()._fresh_grad for p in step.net_D.collect_params().values()] == fresh
    with autograd.record():                               # the critic's own update still writes
        loss = step.net_D(real).sum()
    loss.backward()
    assert all(not (g == 7).all() for g in gradients(step.net_D).values())


def test_requesting_restores_each_parameters_own_request():
    net = mx.gluon.nn.Dense(3, in_units=2)
    net.initialize()
    net.bias.grad_req = 'add'
    x = nd.ones((1, 2))
    x.attach_grad()                                       # something still needs a gradient
    net.weight.grad()[:] = 1
    net.bias.grad()[:] = 1
    with requesting(net.collect_params().values(), 'null'):
        with autograd.record():
            y = net(x).sum()
        y.backward()
    assert (net.weight.grad() == 1).asnumpy().all() and (net.bias.grad() == 1).asnumpy().all()
    with autograd.record():
        y = net(x).sum()
    y.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), np.ones((3, 2)))     # written
    np.testing.assert_allclose(net.bias.grad().asnumpy(), np.full(3, 2.0))       # added
