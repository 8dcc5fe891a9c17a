"""SPADE networks: the reference's parameter counts and shapes; what SPADE normalisation does."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.models import num_parameters
from d2gan.models.spade import (MultiscaleDiscriminator, SPADEGenerator, spade_discriminator,
                                spade_generator)
from d2gan.nn import SPADE, SPADEResBlock, nearest_downsample


# The numbers NVlabs/SPADE's networks have, obtained by rebuilding models/networks/{generator,
# architecture,normalization,discriminator}.py in PyTorch 2 (SynchronizedBatchNorm2d(affine=False)
# -> BatchNorm2d(affine=False), torch.nn.utils.spectral_norm) in a one-off script and printing
# ``sum(p.numel() for p in net.parameters() if p.requires_grad)``. Configuration: Cityscapes,
# label_nc 35 + 1 instance-edge channel (no dontcare label), crop 512, aspect ratio 2 (256x512),
# ngf = ndf = 64, no VAE, num_upsampling_layers 'normal', norm_G 'spectralspadesyncbatch3x3',
# norm_D 'spectralinstance', n_layers_D 4, num_D 2.
REFERENCE = {
    ('G', 36, 64): 93_048_003,     # Cityscapes, ngf 64
    ('D', 39, 64): 5_601_410,      # 36 map channels + 3 image channels, ndf 64
    ('G', 8, 16): 10_668_531,      # synthetic facades: 7 classes + edge, ngf 16
    ('D', 11, 16): 353_826,
}


def test_parameter_counts_equal_the_reference():
    assert num_parameters(spade_generator(36, 64)) == REFERENCE[('G', 36, 64)]
    assert num_parameters(spade_discriminator(39, 64)) == REFERENCE[('D', 39, 64)]
    assert num_parameters(spade_generator(8, 16)) == REFERENCE[('G', 8, 16)]
    assert num_parameters(spade_discriminator(11, 16)) == REFERENCE[('D', 11, 16)]
    # without spectral norm the weights are the same; SN only adds the non-trainable u vectors
    assert num_parameters(spade_generator(8, 16, spectral=False)) == REFERENCE[('G', 8, 16)]


def test_registered_and_fully_convolutional():
    assert {'spade_generator', 'spade_discriminator'} <= set(d2gan.list_models())
    G = d2gan.get_model('spade_generator', label_channels=8, ngf=4, hidden=8)
    G.initialize()
    for shape in ((2, 8, 32, 32), (1, 8, 32, 64)):     # square and Cityscapes' 1:2
        y = G(nd.random.uniform(shape=shape))
        assert y.shape == (shape[0], 3) + shape[2:]
        assert float(y.abs().max().asscalar()) <= 1
    with pytest.raises(ValueError, match='multiples of 32'):
        G(nd.zeros((1, 8, 48, 48)))
    with pytest.raises(ValueError, match='num_upsampling'):
        SPADEGenerator(8, num_upsampling='many')
    most = SPADEGenerator(8, ngf=4, hidden=8, num_upsampling='most')
    most.initialize()
    assert most(nd.zeros((1, 8, 128, 128))).shape == (1, 3, 128, 128)


def test_hybridized_equals_imperative():
    G = spade_generator(8, 4, hidden=8)
    D = spade_discriminator(11, 4)
    for net in (G, D):
        net.initialize(mx.init.Xavier())
    m = nd.random.uniform(shape=(2, 8, 32, 32))
    x = nd.random.uniform(-1, 1, shape=(2, 11, 32, 32))
    with autograd.predict_mode():
        before = [G(m)] + D(x)
        G.hybridize()
        D.hybridize()
        after = [G(m)] + D(x)
    for a, b in zip(before, after):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-4, atol=1e-5)


def test_multiscale_discriminator_feature_shapes_match_the_reference():
    # shapes the PyTorch reference prints for a 256x512 input (kernel 4, padding 2, the last
    # inner conv stride 1; the second scale average-pools 3x3 / 2 without counting padding)
    D = MultiscaleDiscriminator(11, ndf=4, n_layers=4, num_D=2)
    D.initialize()
    out = D.split(D(nd.zeros((1, 11, 256, 512))))
    assert [[o.shape[1:] for o in scale] for scale in out] == [
        [(4, 129, 257), (8, 65, 129), (16, 33, 65), (32, 34, 66), (1, 35, 67)],
        [(4, 65, 129), (8, 33, 65), (16, 17, 33), (32, 18, 34), (1, 19, 35)]]
    judged = D.judge(nd.zeros((1, 8, 32, 32)), nd.zeros((1, 3, 32, 32)))
    assert len(judged) == 2 and judged[0][-1].shape[1] == 1
    with pytest.raises(ValueError, match='concat'):
        D(nd.zeros((1, 3, 32, 32)))


def test_average_pooling_excludes_the_padding():
    from d2gan.models.spade import avg_pool_inside
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 10)).astype(np.float32)
    got = avg_pool_inside(nd, nd.array(x)).asnumpy()
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.nan)
    expected = np.stack([np.stack([np.nanmean(padded[:, :, i:i + 3, j:j + 3], axis=(2, 3))
                                   for j in range(0, 10, 2)], -1) for i in range(0, 7, 2)], -2)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_nearest_downsample_is_pytorch_nearest():
    x = np.arange(2 * 3 * 8 * 16, dtype=np.float32).reshape(2, 3, 8, 16)
    for f in (1, 2, 4, 8):
        # PyTorch's interpolate(mode='nearest') to (H/f, W/f) reads source pixel floor(i * f)
        expected = x[:, :, (np.arange(8 // f) * f)][:, :, :, (np.arange(16 // f) * f)]
        np.testing.assert_array_equal(nearest_downsample(nd, nd.array(x), f).asnumpy(),
                                      expected)


def test_spade_puts_back_what_normalisation_washes_out():
    # A flat feature map over a two-class layout: batch norm maps it to 0 everywhere, so a
    # per-channel affine layer outputs one constant -- the layout is lost. SPADE's output
    # differs between the two regions.
    m = np.zeros((2, 2, 8, 8), np.float32)
    m[:, 0, :, :4] = 1
    m[:, 1, :, 4:] = 1
    x = nd.ones((2, 4, 8, 8)) * 3
    spade = SPADE(4, 2, hidden=8)
    spade.initialize(mx.init.Normal(0.5))
    bn = mx.gluon.nn.BatchNorm(in_channels=4)
    bn.initialize(mx.init.Normal(0.5))
    with autograd.train_mode():
        flat = bn(x).asnumpy()
        out = spade(x, nd.array(m)).asnumpy()
    assert np.ptp(flat) < 1e-5
    left, right = out[:, :, 2:6, 1:2], out[:, :, 2:6, 6:7]   # interiors of the two regions
    assert np.abs(left - right).max() > 1e-2
    np.testing.assert_allclose(left, np.broadcast_to(left[:, :, :1], left.shape), atol=1e-6)
    assert num_parameters(spade) == (2 * 9 * 8 + 8) + 2 * (8 * 9 * 4 + 4)   # shared + gamma + beta


def test_res_block_shortcut_and_instance_norm():
    block = SPADEResBlock(8, 4, label_channels=3, hidden=8)
    assert block.learned_shortcut
    same = SPADEResBlock(4, 4, label_channels=3, hidden=8, norm='instance')
    assert not same.learned_shortcut and not hasattr(same, 'conv_s')
    for b in (block, same):
        b.initialize()
    y = block(nd.ones((1, 8, 8, 8)), nd.ones((1, 3, 8, 8)))
    assert same(y, nd.ones((1, 3, 8, 8))).shape == (1, 4, 8, 8)
    with pytest.raises(ValueError, match='parameter-free norm'):
        SPADE(4, 3, norm='group')


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('norm', ['batch', 'instance'])
def test_spade_equals_its_formula_in_values_and_gradients(norm, hybridize):
    """``norm(x) * (1 + gamma(a)) + beta(a)`` computed by the block's own layers, one by one:
    the block (the 1 inside the gamma convolution's bias) gives the same output and the same
    gradients for x, m and every parameter."""
    mx.random.seed(0)
    spade = SPADE(6, 3, hidden=8, norm=norm)
    spade.initialize(mx.init.Normal(0.3))
    rng = np.random.RandomState(0)
    x, m = (nd.array(rng.randn(*shape)) for shape in ((2, 6, 8, 8), (2, 3, 8, 8)))
    head = nd.array(rng.randn(2, 6, 8, 8))
    params = [p for p in spade.collect_params().values() if p.grad_req != 'null']

    def run(fn):
        for v in (x, m):
            v.attach_grad()
        with autograd.record():
            y = fn()
        y.backward(head)
        return [y.asnumpy(), x.grad.asnumpy(), m.grad.asnumpy()] + \
            [p.grad().asnumpy().copy() for p in params]

    def formula():
        a = spade.shared(m)
        return spade.norm(x) * (1 + spade.gamma(a)) + spade.beta(a)

    expected = run(formula)
    if hybridize:
        spade.hybridize()
    got = run(lambda: spade(x, m))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())
