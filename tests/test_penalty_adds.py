"""Every book critic: calling its penalty after the loss's backward pass leaves exactly the sum
of both gradients (``d2gan.penalty.adding_gradients`` marks the gradients ``'add'``; C++
operators that feed on a parameter would overwrite them if the penalty read the parameter
without ``identity``)."""
import numpy as np
import pytest

import d2gan
import mxnet as mx
from mxnet import autograd, nd

ATTRS = ['Red_Stroke', 'Inverted']
TINY = {
    'wgan-gp': dict(image_size=16, channels=1, latent_dim=8, ngf=4, ndf=4),
    'stargan': dict(attrs=ATTRS, image_size=16, conv_dim=8, repeat_num=1, d_conv_dim=8,
                    d_repeat_num=3),
    'attgan': dict(attrs=ATTRS, image_size=16, enc_dim=8, dec_dim=8, enc_layers=3,
                   dec_layers=3, dis_dim=8, dis_fc_dim=16, dis_layers=3),
    'stgan': dict(attrs=ATTRS, image_size=16, enc_dim=8, dec_dim=8, enc_layers=3,
                  dec_layers=3, dis_dim=8, dis_fc_dim=16, dis_layers=3, stu_dim=8, stu_layers=2),
    'pggan': dict(image_size=16, channels=1, fmap_base=32, fmap_max=8, mbstd_group_size=2),
    'stylegan2': dict(image_size=16, channels=1, z_dim=8, w_dim=8, mapping_layers=2,
                      channel_base=64, channel_max=8),
    'starganv2': dict(image_size=16, channels=1, num_domains=3, style_dim=4, latent_dim=4,
                      dim_in=4, max_conv_dim=8, hidden_dim=8),
}


def critic_and_penalty(model, step):
    """``(critic, penalty, labels)`` as the model's step uses them."""
    if model == 'pggan':
        penalty, critic = step._penalty(0.0)
        return critic, penalty, None
    if model == 'stylegan2':
        return step.net_D, step.r1, None
    if model == 'starganv2':
        return step.D, step.r1, nd.array([0, 2, 1, 0], dtype='int32')
    return step.net_D, step.penalty, None


def trainable(net):
    return [p for p in net.collect_params().values() if p.grad_req != 'null']


def loss_backward(critic, x, labels):
    with autograd.record():
        out = critic(x) if labels is None else critic(x, labels)
        out = out[0] if isinstance(out, (tuple, list)) else out
        (out * out).sum().backward()


@pytest.mark.parametrize('model', sorted(TINY))
def test_penalty_adds_to_the_loss_gradients_of_every_book_critic(model):
    mx.random.seed(0)
    step = d2gan.build_gan(model, **TINY[model])
    critic, penalty, labels = critic_and_penalty(model, step)
    channels = 1 if 'channels' in TINY[model] else 3
    rng = np.random.default_rng(1)
    real, fake = (nd.array(rng.uniform(-1, 1, (4, channels, 16, 16)).astype('float32'))
                  for _ in range(2))
    params = trainable(critic)
    if model == 'starganv2':
        loss_backward(critic, real, labels)           # the first call builds the graph
    mx.random.seed(3)
    penalty(critic, real, fake, labels=labels)        # the penalty alone, on zero gradients
    for p in params:
        p.grad()[:] = 0
    mx.random.seed(3)
    penalty(critic, real, fake, labels=labels)
    alone = {p.name: p.grad().asnumpy().copy() for p in params}
    loss_backward(critic, real, labels)               # the loss alone
    loss = {p.name: p.grad().asnumpy().copy() for p in params}
    mx.random.seed(3)
    penalty(critic, real, fake, labels=labels)        # both, as the steps run them
    reached = 0
    for p in params:
        expected = loss[p.name] + alone[p.name]
        scale = max(np.abs(expected).max(), 1e-12)
        assert np.abs(p.grad().asnumpy() - expected).max() <= 1e-5 * scale, p.name
        reached += bool(np.abs(loss[p.name]).max() and np.abs(alone[p.name]).max())
    assert reached >= 2       # both terms reach the critic's parameters


def test_one_penalty_adds_into_each_critic_it_is_called_with():
    """The penalty keeps each critic's parameter list: called with two critics in turn, it
    adds into the one it is called with, as a fresh penalty does."""
    from d2gan.penalty import GradientPenalty
    from mxnet import gluon

    def critic(width, seed):
        mx.random.seed(seed)
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Conv2D(width, 3, strides=2, in_channels=1), gluon.nn.LeakyReLU(0.2),
                gluon.nn.Dense(1))
        net.initialize(mx.init.Normal(0.5))
        net(nd.zeros((1, 1, 8, 8)))
        return net

    rng = np.random.default_rng(0)
    real, fake = (nd.array(rng.uniform(-1, 1, (4, 1, 8, 8)).astype('float32')) for _ in range(2))
    shared = GradientPenalty()
    net_A, net_B = critic(4, 0), critic(6, 1)
    for net in (net_A, net_B, net_A):
        for p in trainable(net):
            p.grad()[:] = 1.0
        mx.random.seed(7)
        shared(net, real, fake)
        got = [p.grad().asnumpy() for p in trainable(net)]
        for p in trainable(net):
            p.grad()[:] = 1.0
        mx.random.seed(7)
        GradientPenalty()(net, real, fake)
        for a, p in zip(got, trainable(net)):
            np.testing.assert_array_equal(a, p.grad().asnumpy())
        assert max(np.abs(a - 1).max() for a in got) > 1e-4
