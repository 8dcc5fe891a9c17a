"""Pix2Pix networks: the reference architecture's shapes, parameter counts and receptive field."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd

import d2gan
from d2gan.models import num_parameters
from d2gan.models.pix2pix import (PatchDiscriminator, UnetGenerator, patchgan_discriminator,
                                  patchgan_receptive_field, pixel_discriminator, unet_generator)
from d2gan.nn.norm import InstanceNorm


# -- the reference's parameter counts, from its layer shapes ------------------------------------
# junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py: conv/convT 4x4; a conv followed by
# BatchNorm2d (affine: 2C trainable) has no bias; InstanceNorm2d(affine=False) has no parameters
# and then the conv has a bias. Outermost convT and the first / last D conv always have a bias.

def conv(cin, cout, k=4, bias=True):
    return cin * cout * k * k + (cout if bias else 0)


def ref_unet(cin, cout, num_downs, ngf, norm):
    bn = norm == 'batch'
    nrm = (lambda c: 2 * c) if bn else (lambda c: 0)
    bias = not bn
    # (outer, inner) widths from the innermost level outwards, as UnetGenerator builds them
    levels = [(8 * ngf, 8 * ngf)] * (num_downs - 4) + [(4 * ngf, 8 * ngf), (2 * ngf, 4 * ngf),
                                                        (ngf, 2 * ngf)]
    total = conv(8 * ngf, 8 * ngf, bias=bias) + conv(8 * ngf, 8 * ngf, bias=bias) + nrm(8 * ngf)
    for outer, inner in levels[1:]:
        total += conv(outer, inner, bias=bias) + nrm(inner)            # down: conv + norm
        total += conv(2 * inner, outer, bias=bias) + nrm(outer)        # up: convT + norm
    total += conv(cin, ngf, bias=bias) + conv(2 * ngf, cout)           # outermost
    return total


def ref_patchgan(cin, ndf, n_layers, norm):
    bn = norm == 'batch'
    total, width = conv(cin, ndf), ndf
    for n in range(1, n_layers + 1):
        out = ndf * min(2 ** n, 8)
        total += conv(width, out, bias=not bn) + (2 * out if bn else 0)
        width = out
    return total + conv(width, 1)


def ref_pixel(cin, ndf, norm):
    bn = norm == 'batch'
    return (conv(cin, ndf, 1) + conv(ndf, 2 * ndf, 1, bias=not bn) + (4 * ndf if bn else 0)
            + conv(2 * ndf, 1, 1, bias=not bn))


# The numbers the reference code prints (PyTorch, ``sum(p.numel() for p in net.parameters()
# if p.requires_grad)``), re-derived by the functions above.
REFERENCE_COUNTS = {
    ('unet_256', 'batch'): 54413955, ('unet_256', 'instance'): 54409603,
    ('unet_128', 'batch'): 41828995, ('unet_128', 'instance'): 41825667,
    ('patchgan3', 'batch'): 2768705, ('patchgan3', 'instance'): 2767809,
    ('patchgan1', 'batch'): 139585, ('patchgan1', 'instance'): 139457,
    ('patchgan5', 'batch'): 11159361, ('patchgan5', 'instance'): 11157441,
    ('pixel', 'batch'): 9024, ('pixel', 'instance'): 8897,
}


@pytest.mark.parametrize('norm', ['batch', 'instance'])
def test_arithmetic_reproduces_reference_counts(norm):
    assert ref_unet(3, 3, 8, 64, norm) == REFERENCE_COUNTS['unet_256', norm]
    assert ref_unet(3, 3, 7, 64, norm) == REFERENCE_COUNTS['unet_128', norm]
    for n in (1, 3, 5):
        assert ref_patchgan(6, 64, n, norm) == REFERENCE_COUNTS[f'patchgan{n}', norm]
    assert ref_pixel(6, 64, norm) == REFERENCE_COUNTS['pixel', norm]


@pytest.mark.parametrize('norm', ['batch', 'instance'])
def test_parameter_counts_equal_reference(norm):
    assert num_parameters(d2gan.get_model('unet_256', norm=norm)) == REFERENCE_COUNTS['unet_256', norm]
    assert num_parameters(d2gan.get_model('unet_128', norm=norm)) == REFERENCE_COUNTS['unet_128', norm]
    for n in (1, 3, 5):
        net = d2gan.get_model('patchgan_discriminator', in_channels=6, n_layers=n, norm=norm)
        assert num_parameters(net) == REFERENCE_COUNTS[f'patchgan{n}', norm]
    assert num_parameters(pixel_discriminator(6, 64, norm)) == REFERENCE_COUNTS['pixel', norm]


def test_small_widths_follow_the_same_arithmetic():
    for ngf, downs in ((16, 6), (32, 5)):
        assert num_parameters(unet_generator(3, 2, downs, ngf)) == ref_unet(3, 2, downs, ngf, 'batch')
    assert num_parameters(patchgan_discriminator(4, 16, 2, 'instance')) == ref_patchgan(4, 16, 2,
                                                                                  'instance')


@pytest.mark.parametrize('size,downs', [(256, 8), (128, 7), (64, 6), (32, 5)])
def test_unet_output_shape_and_range(size, downs):
    net = unet_generator(3, 2, downs, ngf=8)
    net.initialize(mx.init.Normal(0.5))
    y = net(mx.nd.random.normal(shape=(1, 3, size, size)))
    assert y.shape == (1, 2, size, size)
    assert -1 <= y.min().asscalar() and y.max().asscalar() <= 1


def test_unet_dropout_sits_in_the_inner_decoder_blocks():
    def dropouts(net):
        found = []
        net.apply(lambda b: found.append(b) if isinstance(b, mx.gluon.nn.Dropout) else None)
        return len(found)
    assert dropouts(unet_generator(num_downs=8, ngf=8)) == 3      # the paper's unet_256
    assert dropouts(unet_generator(num_downs=7, ngf=8)) == 2
    assert dropouts(unet_generator(num_downs=8, ngf=8, dropout=False)) == 0
    net = unet_generator(num_downs=6, ngf=16)
    net.initialize()
    x = mx.nd.random.normal(shape=(2, 3, 64, 64))
    with autograd.predict_mode():
        a, b = net(x), net(x)
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())   # inference: no dropout
    with autograd.train_mode():
        a, b = net(x), net(x)
    assert np.abs(a.asnumpy() - b.asnumpy()).max() > 1e-4     # training: dropout noise


@pytest.mark.parametrize('size,out', [(256, 30), (128, 14), (64, 6)])
def test_patchgan_output_shape(size, out):
    net = patchgan_discriminator(6, ndf=8)
    net.initialize()
    assert net(mx.nd.zeros((2, 6, size, size))).shape == (2, 1, out, out)


def _support(net, size, n_out):
    """Bounding box (height, width) of the input pixels a centre logit depends on.

    The networks are built with ``norm='none'``: MXNet's BatchNorm backward always uses the
    batch-statistics formula, which couples all pixels even in predict mode.
    """
    net.initialize(mx.init.Normal(0.5), force_reinit=True)
    x = mx.nd.random.normal(shape=(1, 6, size, size))
    x.attach_grad()
    with autograd.record(), autograd.predict_mode():
        y = net(x)
        assert y.shape[2] == n_out
        c = y.shape[2] // 2
        picked = y[0, 0, c, c]
    picked.backward()
    rows, cols = np.nonzero(np.abs(x.grad.asnumpy()).sum(axis=(0, 1)))
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize('n_layers,field', [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field_from_gradients(n_layers, field):
    assert patchgan_receptive_field(n_layers) == field
    net = patchgan_discriminator(6, ndf=8, n_layers=n_layers, norm='none')
    n_out = {1: 62, 2: 30, 3: 14}[n_layers]
    assert _support(net, 128, n_out) == (field, field)


def test_pixel_discriminator_sees_one_pixel():
    net = pixel_discriminator(6, ndf=8, norm='none')
    assert _support(net, 16, 16) == (1, 1)


def test_instance_norm_has_no_parameters_and_normalises_each_image():
    norm = InstanceNorm()
    norm.initialize()
    assert not list(norm.collect_params().keys())
    x = mx.nd.random.normal(3, 2, shape=(2, 4, 8, 8))
    y = norm(x).asnumpy()
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(2, 3)), 1, atol=1e-3)


@pytest.mark.parametrize('norm', ['batch', 'instance', 'none'])
def test_hybridized_networks_match_imperative(norm):
    for net, shape in ((unet_generator(3, 3, 5, 8, norm), (2, 3, 32, 32)),
                       (patchgan_discriminator(6, 8, 3, norm), (2, 6, 64, 64)),
                       (pixel_discriminator(6, 8, norm), (2, 6, 16, 16))):
        net.initialize(mx.init.Normal(0.2))
        x = mx.nd.random.normal(shape=shape)
        with autograd.predict_mode():
            eager = net(x).asnumpy()
            net.hybridize()
            np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-4, atol=1e-5)


def test_narrow_unet_backward_works_on_this_cpu():
    """ngf=8 gives concats of 8-channel parts: oneDNN's SIGFPE case on AVX-512 (see module)."""
    net = unet_generator(3, 3, 5, 8)
    net.initialize(mx.init.Normal(0.02))
    net.hybridize()
    x = mx.nd.random.normal(shape=(2, 3, 32, 32))
    x.attach_grad()
    with autograd.record():
        loss = (net(x) - x).abs().mean()
    loss.backward()
    assert np.isfinite(x.grad.asnumpy()).all() and np.abs(x.grad.asnumpy()).sum() > 0


def test_wrong_input_is_a_clear_error():
    net = UnetGenerator(3, 3, num_downs=6, ngf=8)
    net.initialize()
    with pytest.raises(ValueError, match='multiples of 64'):
        net(mx.nd.zeros((1, 3, 48, 48)))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        net(mx.nd.zeros((1, 1, 64, 64)))
    with pytest.raises(ValueError, match='num_downs >= 5'):
        UnetGenerator(num_downs=4)
    with pytest.raises(ValueError, match="unknown norm 'group'"):
        PatchDiscriminator(norm='group')
    d = patchgan_discriminator(6, 8)
    d.initialize()
    with pytest.raises(ValueError, match=r'expects \(N, 6, H, W\)'):
        d(mx.nd.zeros((1, 3, 64, 64)))


def test_registered_names():
    names = d2gan.list_models()
    for name in ('unet_256', 'unet_128', 'unet_generator', 'patchgan_discriminator',
                 'pixel_discriminator', 'cgan_generator', 'cgan_discriminator'):
        assert name in names


def test_patchgan_output_size_matches_the_network():
    from d2gan.models.pix2pix import patchgan_output_size
    assert patchgan_output_size(256) == 30 and patchgan_output_size(16) == 0
    D = d2gan.get_model('patchgan_discriminator', in_channels=3, ndf=4)
    D.initialize()
    assert D(mx.nd.zeros((1, 3, 64, 64))).shape[-1] == patchgan_output_size(64) == 6
