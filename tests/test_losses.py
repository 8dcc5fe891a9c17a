"""GAN losses against hand-computed values; the chapter-3 recipes build and take a step."""
import math

import numpy as np
import pytest
import mxnet as mx
from mxnet import nd

import d2gan
from d2gan.losses import LOSSES, GANLoss, get_loss, list_losses

REAL = [2.0, -1.0, 0.5]
FAKE = [0.5, -3.0, 1.0]


def softplus(v):
    return math.log1p(math.exp(v))


# per-example values worked out by hand from each paper's formula
EXPECTED = {
    # D: softplus(-r) + softplus(f);  G: softplus(-f)
    'vanilla': ([softplus(-2) + softplus(0.5), softplus(1) + softplus(-3),
                 softplus(-0.5) + softplus(1)],
                [softplus(-0.5), softplus(3), softplus(-1)]),
    # D: (r - 1)^2 / 2 + f^2 / 2;  G: (f - 1)^2 / 2
    'lsgan': ([0.5 + 0.125, 2.0 + 4.5, 0.125 + 0.5], [0.125, 8.0, 0.0]),
    # D: f - r;  G: -f
    'wgan': ([-1.5, -2.0, 0.5], [-0.5, 3.0, -1.0]),
    # D: max(0, 1 - r) + max(0, 1 + f);  G: -f
    'hinge': ([0.0 + 1.5, 2.0 + 0.0, 0.5 + 2.0], [-0.5, 3.0, -1.0]),
}


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_losses_match_hand_computed_values(name):
    loss = get_loss(name)
    d_expected, g_expected = EXPECTED[name]
    d = loss.d_loss(nd.array(REAL), nd.array(FAKE))
    g = loss.g_loss(nd.array(FAKE))
    assert d.shape == (3,) and g.shape == (3,)
    np.testing.assert_allclose(d.asnumpy(), d_expected, rtol=1e-6)
    np.testing.assert_allclose(g.asnumpy(), g_expected, rtol=1e-6, atol=1e-7)


def test_saturating_vanilla_generator_loss():
    g = get_loss('vanilla', saturating=True).g_loss(nd.array(FAKE)).asnumpy()
    np.testing.assert_allclose(g, [-softplus(0.5), -softplus(-3), -softplus(1)], rtol=1e-6)


def test_lsgan_custom_codes():
    loss = get_loss('lsgan', a=-1.0, b=1.0, c=0.0)
    d = loss.d_loss(nd.array([1.0]), nd.array([1.0])).asscalar()
    assert d == pytest.approx(0.5 * 0 + 0.5 * 4)
    assert loss.g_loss(nd.array([3.0])).asscalar() == pytest.approx(4.5)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_patch_outputs_are_averaged_per_example(name):
    loss = get_loss(name)
    real = nd.array(np.random.default_rng(0).normal(size=(2, 1, 3, 3)))
    fake = nd.array(np.random.default_rng(1).normal(size=(2, 1, 3, 3)))
    d = loss.d_loss(real, fake).asnumpy()
    assert d.shape == (2,)
    for i in range(2):  # a patch loss is the mean of the per-pixel losses
        per_pixel = loss.d_loss(real[i].reshape((-1,)), fake[i].reshape((-1,))).asnumpy()
        assert d[i] == pytest.approx(per_pixel.mean(), rel=1e-5)
    assert loss.g_loss(fake).shape == (2,)


def test_registry_lists_every_loss_and_rejects_unknown_names():
    assert list_losses() == ['hinge', 'lsgan', 'vanilla', 'wgan']
    assert all(isinstance(LOSSES.get(n), GANLoss) for n in list_losses())
    with pytest.raises(KeyError, match='hinge, lsgan, vanilla, wgan'):
        get_loss('wgan-gp')


def test_hinge_ignores_examples_beyond_the_margin():
    loss = get_loss('hinge')
    assert loss.d_loss(nd.array([3.0]), nd.array([-2.0])).asscalar() == 0


@pytest.mark.parametrize('model', ['lsgan', 'wgan', 'wgan-gp', 'hinge-sn'])
def test_chapter3_recipes_build_and_train_one_step(model):
    mx.random.seed(0)
    step = d2gan.build_gan(model, image_size=16, channels=1, latent_dim=8, ngf=4, ndf=4)
    assert step.config['model'] == model
    n_critic = step.n_critic
    X = nd.random.uniform(-1, 1, shape=(2 * n_critic, 1, 16, 16))
    before = {k: v.data().asnumpy().copy() for k, v in step.net_D.collect_params().items()}
    logs = step.train_step(X)
    assert all(np.isfinite(float(v.asscalar())) for v in logs.values())
    assert ('penalty' in logs) == (model == 'wgan-gp')
    moved = [k for k, v in step.net_D.collect_params().items()
             if not np.array_equal(v.data().asnumpy(), before[k])]
    assert moved
    if model == 'wgan':  # weight clipping
        for p in step.net_D.collect_params().values():
            if p.grad_req != 'null':
                assert np.abs(p.data().asnumpy()).max() <= 0.01 + 1e-7
    assert step.sample(2).shape == (2, 1, 16, 16)


def test_wgan_gp_refuses_a_batch_norm_critic():
    with pytest.raises(ValueError, match='batch norm'):
        d2gan.build_gan('wgan-gp', norm='batch')
