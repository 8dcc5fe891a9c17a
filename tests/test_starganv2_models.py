"""StarGAN v2 networks: trainable-parameter counts of the reference, shapes, the domain pick.

Reference counts: the layers of clovaai/stargan-v2 ``core/model.py`` counted one by one
(Conv2d ``in * out * k * k`` + bias, Linear ``in * out + out``, affine InstanceNorm ``2 C``,
the 1x1 shortcut convolutions without bias), at the AFHQ configuration (256 px, style 64,
latent 16, 3 domains, ``w_hpf = 0``) and CelebA-HQ's (2 domains, ``w_hpf = 1``). They agree
with the sizes the paper reports (G 33.9 M, E and D 20.9 M).
"""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.models import num_parameters

AFHQ = {'G': 33_892_995, 'F': 3_259_072, 'E': 20_949_760, 'D': 20_852_803}
CELEBA_HQ_G = 43_467_395
SMALL = dict(img_size=32, dim_in=8, max_conv_dim=32)


def test_parameter_counts_equal_the_reference_at_afhq():
    assert num_parameters(d2gan.get_model('starganv2_generator', w_hpf=0)) == AFHQ['G']
    assert num_parameters(d2gan.get_model('starganv2_mapping', latent_dim=16, style_dim=64,
                                          num_domains=3)) == AFHQ['F']
    assert num_parameters(d2gan.get_model('starganv2_style_encoder', num_domains=3)) == AFHQ['E']
    assert num_parameters(d2gan.get_model('starganv2_discriminator', num_domains=3)) == AFHQ['D']
    assert num_parameters(d2gan.get_model('starganv2_generator', w_hpf=1)) == CELEBA_HQ_G


def small_nets():
    nets = {'G': d2gan.get_model('starganv2_generator', style_dim=8, w_hpf=0, **SMALL),
            'F': d2gan.get_model('starganv2_mapping', latent_dim=4, style_dim=8, num_domains=3,
                                 hidden_dim=16),
            'E': d2gan.get_model('starganv2_style_encoder', style_dim=8, num_domains=3, **SMALL),
            'D': d2gan.get_model('starganv2_discriminator', num_domains=3, **SMALL)}
    for net in nets.values():
        net.initialize(mx.init.Xavier())
    return nets


def outputs(nets, x, z, y):
    s = nets['F'](z, y)
    return {'F': s, 'G': nets['G'](x, s), 'E': nets['E'](x, y), 'D': nets['D'](x, y)}


def test_shapes_and_hybridized_equal_imperative():
    nets = small_nets()
    x = nd.random.uniform(-1, 1, shape=(2, 3, 32, 32))
    z, y = nd.random.normal(shape=(2, 4)), nd.array([0, 2])
    eager = outputs(nets, x, z, y)
    assert eager['G'].shape == (2, 3, 32, 32) and eager['F'].shape == (2, 8)
    assert eager['E'].shape == (2, 8) and eager['D'].shape == (2,)
    for net in nets.values():
        net.hybridize()
    for key, value in outputs(nets, x, z, y).items():
        np.testing.assert_allclose(value.asnumpy(), eager[key].asnumpy(), rtol=1e-4, atol=1e-5)


def test_the_domain_label_picks_one_output_and_one_head():
    nets = small_nets()
    x = nd.random.uniform(-1, 1, shape=(3, 3, 32, 32))
    y = nd.array([2, 0, 1])
    every = nets['D'].main(x).reshape((3, 3)).asnumpy()
    np.testing.assert_allclose(nets['D'](x, y).asnumpy(), every[[0, 1, 2], [2, 0, 1]], rtol=1e-5)
    z = nd.random.normal(shape=(2, 4))
    with autograd.record():
        s = nets['F'](z, nd.array([1, 1]))
    s.backward()
    heads = list(nets['F'].unshared._children.values())
    grads = [sum(float(np.abs(p.grad().asnumpy()).sum()) for p in head.collect_params().values())
             for head in heads]
    assert grads[1] > 0 and grads[0] == 0 and grads[2] == 0


def test_bad_sizes_and_masks_are_refused():
    with pytest.raises(ValueError, match='power of 2 and at least 16'):
        d2gan.get_model('starganv2_discriminator', img_size=48)
    nets = small_nets()
    with pytest.raises(NotImplementedError, match='FAN'):
        nets['G'](nd.zeros((1, 3, 32, 32)), nd.zeros((1, 8)), [nd.zeros((1, 1, 32, 32))])


@pytest.fixture
def exact_leaky_relu(monkeypatch):
    """MXNet's float64 LeakyReLU rounds its negative branch to float32; ``x * mask`` is exact
    (slope held as a float32, as MXNet's kernel and the penalty hold it)."""
    def forward(self, F, x):
        slope = float(np.float32(self._alpha))
        return x * ((x > 0) * (1 - slope) + slope)
    monkeypatch.setattr(mx.gluon.nn.LeakyReLU, 'hybrid_forward', forward)


def tiny_critic(seed=0):
    mx.random.seed(seed)
    net = d2gan.get_model('starganv2_discriminator', img_size=16, num_domains=3, dim_in=2,
                          max_conv_dim=4)
    net.initialize()
    net.cast('float64')
    rng = np.random.default_rng(seed)
    for p in net.collect_params().values():
        p.set_data(nd.array(rng.normal(0, 0.7, p.shape), dtype='float64'))
    return net


def reference_r1(net, x, y, gamma):
    """``gamma / 2 * sum ||grad_x D(x, y)||^2`` by MXNet's own first-order autograd."""
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        score = net(x, y).sum()
    score.backward()
    return 0.5 * gamma * float((x.grad.asnumpy() ** 2).sum()), x.grad.asnumpy()


def test_r1_with_the_domain_label_is_exact(exact_leaky_relu):
    from d2gan.penalty import R1Penalty, critic_input_gradient
    from finite_differences import worst_error
    net = tiny_critic()
    x = nd.array(np.random.default_rng(1).normal(size=(4, 3, 16, 16)), dtype='float64')
    y = nd.array([0, 2, 1, 2], dtype='float64')
    grad, _ = critic_input_gradient(net, x, labels=y)
    _, ref = reference_r1(net, x, y, 1.0)
    assert np.abs(grad.asnumpy() - ref).max() < 1e-10 * np.abs(ref).max()
    penalty = R1Penalty(gamma=1.0)
    params = [p for p in net.collect_params().values() if p.grad_req != 'null']
    for p in params:
        p.grad()[:] = 0
    with autograd.record():
        total = penalty.value(net, x, y)
    total.backward()
    analytic = {p.name: p.grad().asnumpy().copy() for p in params}
    value = lambda: reference_r1(net, x, y, 1.0)[0]  # noqa: E731
    assert abs(total.asscalar() - value()) < 1e-9 * abs(total.asscalar())
    worst, scale = worst_error(params, value, analytic)
    assert scale > 0 and worst < 1e-6 * scale, (worst, scale)
    with pytest.raises(TypeError, match='scores an image without a label'):
        critic_input_gradient(d2gan.get_model('dcgan_discriminator', image_size=16), x, labels=y)
