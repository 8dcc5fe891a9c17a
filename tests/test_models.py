"""Every registered network builds, runs, hybridizes to the same numbers and checks its input."""
import numpy as np
import mxnet as mx
import pytest

import d2gan

SMALL = {
    'dcgan_generator': (dict(latent_dim=16, channels=1, image_size=32, ngf=8), (4, 16),
                        (4, 1, 32, 32)),
    'dcgan_discriminator': (dict(channels=3, image_size=64, ndf=8), (4, 3, 64, 64), (4,)),
    'mlp_generator': (dict(latent_dim=2, out_dim=2), (4, 2), (4, 2)),
    'mlp_discriminator': (dict(), (4, 2), (4,)),
}


def test_every_registered_model_is_covered():
    assert set(d2gan.list_models()) >= set(SMALL)


@pytest.mark.parametrize('name', sorted(SMALL))
def test_forward_shape_and_hybridize(name):
    kwargs, in_shape, out_shape = SMALL[name]
    net = d2gan.get_model(name, **kwargs)
    net.initialize(mx.init.Normal(0.02))
    x = mx.nd.random.normal(shape=in_shape)
    with mx.autograd.predict_mode():
        eager = net(x)
        assert eager.shape == out_shape
        net.hybridize()
        np.testing.assert_allclose(net(x).asnumpy(), eager.asnumpy(), rtol=1e-4, atol=1e-5)


def test_generator_output_range_is_tanh():
    net = d2gan.get_model('dcgan_generator', latent_dim=16, channels=3, image_size=16)
    net.initialize(mx.init.Normal(1.0))
    y = net(mx.nd.random.normal(shape=(2, 16))).asnumpy()
    assert y.min() >= -1 and y.max() <= 1


def test_dcgan_64_matches_paper_parameter_count():
    """ngf = ndf = 64 at 64x64, 3 channels: the DCGAN paper's networks (PyTorch example counts)."""
    g = d2gan.get_model('dcgan_generator', latent_dim=100, channels=3, image_size=64)
    d = d2gan.get_model('dcgan_discriminator', channels=3, image_size=64)
    g.initialize()
    d.initialize()
    count = lambda net: sum(p.data().size for p in net.collect_params().values()
                            if p.grad_req != 'null')
    assert count(g) == 3576704
    assert count(d) == 2765568


def test_unknown_model_name_lists_valid_names():
    with pytest.raises(KeyError, match='valid names are: .*dcgan_generator'):
        d2gan.get_model('dcgan_genrator')
    with pytest.raises(KeyError, match="unknown GAN model 'cyclegann'.*dcgan"):
        d2gan.build_gan('cyclegann')


def test_wrong_image_size_is_a_clear_error():
    d = d2gan.get_model('dcgan_discriminator', channels=1, image_size=32, ndf=8)
    d.initialize()
    with pytest.raises(ValueError, match=r'expects images of shape \(N, 1, 32, 32\).*28, 28'):
        d(mx.nd.zeros((2, 1, 28, 28)))
    d.hybridize()
    with pytest.raises(ValueError, match='expects images'):
        d(mx.nd.zeros((2, 3, 32, 32)))


def test_unsupported_image_size():
    with pytest.raises(ValueError, match='power-of-two image_size'):
        d2gan.get_model('dcgan_generator', image_size=28)


def test_num_parameters_counts_trainable_only_and_refuses_unknown_shapes():
    from mxnet.gluon import nn
    from d2gan.models import num_parameters
    net = nn.HybridSequential()
    net.add(nn.Dense(4, in_units=3), nn.BatchNorm(in_channels=4))
    assert num_parameters(net) == 3 * 4 + 4 + 2 * 4   # BN running stats are not trainable
    with pytest.raises(ValueError, match='unknown shape'):
        num_parameters(nn.Dense(4))
