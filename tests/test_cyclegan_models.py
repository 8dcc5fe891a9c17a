"""CycleGAN networks: the reference ResnetGenerator's parameter counts, shapes and padding."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd

import d2gan
from d2gan.models import num_parameters
from d2gan.models.cyclegan import ReflectionPad, ResnetGenerator, resnet_generator
from d2gan.models.pix2pix import PatchDiscriminator


def conv(cin, cout, k):
    return cin * cout * k * k + cout      # instance norm (affine=False): every conv has a bias


def ref_resnet(ngf, n_blocks, c=3):
    """junyanz/pytorch-CycleGAN-and-pix2pix ``ResnetGenerator``, layer by layer."""
    return (conv(c, ngf, 7) + conv(ngf, 2 * ngf, 3) + conv(2 * ngf, 4 * ngf, 3)
            + n_blocks * 2 * conv(4 * ngf, 4 * ngf, 3)
            + conv(4 * ngf, 2 * ngf, 3) + conv(2 * ngf, ngf, 3) + conv(ngf, c, 7))


# PyTorch's count of the reference networks, ``sum(p.numel() for p in net.parameters())``
# (checked against a PyTorch build of the same layers): resnet_9blocks, resnet_6blocks, and
# the 70x70 PatchGAN on 3 channels with instance norm.
REFERENCE_COUNTS = {'resnet_9blocks': 11378179, 'resnet_6blocks': 7837699,
                    'patchgan_instance_3': 2764737}


def test_arithmetic_reproduces_reference_counts():
    assert ref_resnet(64, 9) == REFERENCE_COUNTS['resnet_9blocks']
    assert ref_resnet(64, 6) == REFERENCE_COUNTS['resnet_6blocks']


@pytest.mark.parametrize('name, blocks', [('resnet_9blocks', 9), ('resnet_6blocks', 6)])
def test_registered_generators_have_the_reference_counts(name, blocks):
    net = d2gan.get_model(name)
    assert isinstance(net, ResnetGenerator)
    assert num_parameters(net) == REFERENCE_COUNTS[name] == ref_resnet(64, blocks)
    assert num_parameters(resnet_generator(ngf=16, n_blocks=blocks)) == ref_resnet(16, blocks)


def test_discriminator_is_pix2pix_patchgan_with_instance_norm():
    net = d2gan.get_model('cyclegan_discriminator')
    assert isinstance(net, PatchDiscriminator)
    assert num_parameters(net) == REFERENCE_COUNTS['patchgan_instance_3']


def test_shapes_at_the_papers_size_and_others():
    net = resnet_generator(ngf=8, n_blocks=9)
    net.initialize()
    y = net(mx.nd.random.uniform(-1, 1, (1, 3, 256, 256)))
    assert y.shape == (1, 3, 256, 256) and float(y.abs().max().asscalar()) <= 1
    assert net(mx.nd.zeros((2, 3, 32, 48))).shape == (2, 3, 32, 48)
    D = d2gan.get_model('cyclegan_discriminator', ndf=8)
    D.initialize()
    assert D(mx.nd.zeros((1, 3, 256, 256))).shape == (1, 1, 30, 30)


def test_bad_input_shapes_are_named():
    net = resnet_generator(ngf=4, n_blocks=1)
    net.initialize()
    with pytest.raises(ValueError, match='multiples of 4'):
        net(mx.nd.zeros((1, 3, 30, 32)))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        net(mx.nd.zeros((1, 1, 32, 32)))


def test_reflection_pad_mirrors_like_numpy():
    x = np.arange(2 * 3 * 5 * 6, dtype=np.float32).reshape(2, 3, 5, 6)
    y = ReflectionPad(2)(mx.nd.array(x)).asnumpy()
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), 'reflect'))


def test_hybridized_matches_imperative_with_gradients():
    net = resnet_generator(ngf=8, n_blocks=2)
    net.initialize(mx.init.Normal(0.2))
    x = mx.nd.random.uniform(-1, 1, (2, 3, 16, 16))
    outs = []
    for hybrid in (False, True):
        if hybrid:
            net.hybridize()
        x.attach_grad()
        with autograd.record():
            y = net(x)
        y.backward()
        outs.append((y.asnumpy(), x.grad.asnumpy().copy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
