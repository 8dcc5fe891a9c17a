"""PGGAN networks (Karras et al., 2018), as ``G_paper`` / ``D_paper`` of
tkarras/progressive_growing_of_gans ``networks.py``.

Feature maps per resolution ``2**res``: ``nf(res - 1)`` with
``nf(stage) = min(int(fmap_base / 2**(stage * fmap_decay)), fmap_max)`` (512 up to 64x64, then
halving to 16 at 1024 for the paper's ``fmap_base = 8192``). Every layer has an equalized
learning rate (:mod:`d2gan.nn.equalized`); the generator normalises every pixel's features
(pixel norm) after each leaky ReLU, the discriminator appends the minibatch standard deviation
before its last convolution.

Growing. Both networks take a *level of detail* ``lod`` next to their input, as the reference:
``lod = log2(resolution) - log2(current resolution)`` with a fraction while a new level fades
in. The generator returns images at the current resolution ``2**(log2(resolution) -
floor(lod))``; at a fractional ``lod`` the new top level's image is blended with the previous
level's, up-sampled (nearest), by ``t = lod - floor(lod)`` (``t = 1``: only the old level). The
discriminator takes images at that resolution and blends the same way after its top block. The
reference keeps every tensor at full resolution and up-/down-samples around the blocks; computing
at the current resolution gives the same numbers (nearest up-sampling and 2x2 averaging commute
with the blocks that are skipped) for far less work on a CPU.

Fused resampling (``fused_scale``, on in the reference and its released networks). The
reference fuses up-sampling into a transposed convolution (and down-sampling into a strided one)
with a *computed* 4-tap weight. The generator's is the same function as nearest up-sampling
followed by the 3x3 convolution (its kernel flipped), which is what runs here, because MXNet's
oneDNN backward of a transposed convolution with a computed weight fails on CPU. The
discriminator's is the 3x3 convolution followed by 2x2 average pooling -- *before* the leaky
ReLU, where the unfused reference (``fused_scale=False``) pools after it; the two are different
functions, and ``PGGANDiscriminator(fused_scale=...)`` computes either. The parameters are the
same (tests/test_pggan_models.py counts them against the reference's shapes), and the
reference's own networks give the same outputs (tests/test_pretrained_pggan.py).
"""
import math

import mxnet as mx
from mxnet.gluon import nn

from ..nn.equalized import (EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm,
                            ScaledLeakyReLU)
from ..penalty import (chain_forward, chain_input_grad, critic_layers, register_critic,
                       register_layer)
from ..nn.upsample import upsample_nearest2x
from ..registry import MODELS
from .shape_check import resolution_log2


def feature_maps(fmap_base=8192, fmap_decay=1.0, fmap_max=512):
    """``nf(stage)`` of the reference."""
    return lambda stage: min(int(fmap_base / (2.0 ** (stage * fmap_decay))), fmap_max)


def split_lod(lod, max_lod):
    """``(level, t)``: the top level (0 = 4x4) and the fade of the level below it."""
    if not 0 <= lod <= max_lod:
        raise ValueError(f'lod must be in [0, {max_lod}], got {lod}')
    whole = math.floor(lod)
    top = max_lod - whole
    return top, lod - whole


class _Act(nn.HybridBlock):
    """Leaky ReLU (0.2), then pixel norm where the generator uses it."""

    def __init__(self, pixel_norm, channels, **kwargs):
        super().__init__(**kwargs)
        self.norm = PixelNorm(channels=channels) if pixel_norm else None

    def hybrid_forward(self, F, x):
        x = F.LeakyReLU(x, slope=0.2)
        return self.norm(x) if self.norm is not None else x


def _leaky():
    """The discriminator's leaky ReLU (0.2), a layer the gradient penalties know."""
    return ScaledLeakyReLU(0.2, 1.0)


class _Bias(nn.HybridBlock):
    """A per-channel bias (the 4x4 dense layer of G adds it after the reshape)."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.bias = self.params.get('bias', shape=(channels,), init='zeros')

    def hybrid_forward(self, F, x, bias):
        return F.broadcast_add(x, F.reshape(bias, (1, -1, 1, 1)))


class _GBlock(nn.HybridBlock):
    """4x4: pixel norm of z, dense to 4x4 maps, conv. Higher: up x2 (nearest), conv, conv."""

    def __init__(self, res, nf, latent_dim, normalize_latents, use_pixelnorm, **kwargs):
        super().__init__(**kwargs)
        self.first = res == 2
        out = nf(res - 1)
        with self.name_scope():
            self.body = nn.HybridSequential()
            if self.first:
                if normalize_latents:
                    self.body.add(PixelNorm(channels=latent_dim, vectors=True))
                self.body.add(EqualizedDense(out * 16, latent_dim, gain=math.sqrt(2) / 4,
                                             use_bias=False),
                              nn.HybridLambda(lambda F, x: F.reshape(x, (0, -1, 4, 4))),
                              _Bias(out), _Act(use_pixelnorm, out),
                              EqualizedConv2D(out, out, 3), _Act(use_pixelnorm, out))
            else:
                self.body.add(nn.HybridLambda(upsample_nearest2x),
                              EqualizedConv2D(out, nf(res - 2), 3), _Act(use_pixelnorm, out),
                              EqualizedConv2D(out, out, 3), _Act(use_pixelnorm, out))

    def hybrid_forward(self, F, x):
        return self.body(x)


class PGGANGenerator(nn.Block):
    """``(z (N, latent_dim), lod) -> images (N, num_channels, S, S)`` in about [-1, 1],
    ``S = 2**(log2(resolution) - floor(lod))`` (linear output, as the reference)."""

    def __init__(self, resolution=1024, num_channels=3, fmap_base=8192, fmap_decay=1.0,
                 fmap_max=512, latent_dim=None, normalize_latents=True, use_pixelnorm=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.resolution_log2 = resolution_log2(resolution)
        nf = feature_maps(fmap_base, fmap_decay, fmap_max)
        self.latent_dim = latent_dim or nf(0)
        self.max_lod = self.resolution_log2 - 2
        with self.name_scope():
            self.blocks = nn.HybridSequential()
            self.to_rgb = nn.HybridSequential()
            for res in range(2, self.resolution_log2 + 1):
                self.blocks.add(_GBlock(res, nf, self.latent_dim, normalize_latents,
                                        use_pixelnorm))
                self.to_rgb.add(EqualizedConv2D(num_channels, nf(res - 1), 1, gain=1))

    def forward(self, z, lod=0.0):
        top, t = split_lod(lod, self.max_lod)
        x = z
        for level in range(top + 1):
            previous = x
            x = self.blocks[level](x)
        image = self.to_rgb[top](x)
        if t > 0:
            old = mx.nd.UpSampling(self.to_rgb[top - 1](previous), scale=2, sample_type='nearest')
            image = image + (old - image) * t
        return image


class _DBlock(nn.HybridBlock):
    """Higher than 4x4: conv, conv, 2x2 average pool (before the second leaky ReLU if
    ``fused_scale``, after it if not). 4x4: minibatch stddev, conv, dense, dense to
    ``1 + label_size`` outputs."""

    def __init__(self, res, nf, mbstd_group_size, label_size, fused_scale=True, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            if res >= 3:
                self.body.add(EqualizedConv2D(nf(res - 1), nf(res - 1), 3), _leaky(),
                              EqualizedConv2D(nf(res - 2), nf(res - 1), 3))
                down = [nn.AvgPool2D(2), _leaky()]
                self.body.add(*(down if fused_scale else down[::-1]))
            else:
                extra = 1 if mbstd_group_size > 1 else 0
                if extra:
                    self.body.add(MinibatchStdDev(mbstd_group_size))
                self.body.add(EqualizedConv2D(nf(1), nf(1) + extra, 3), _leaky(),
                              EqualizedDense(nf(0), nf(1) * 16), _leaky(),
                              EqualizedDense(1 + label_size, nf(0), gain=1))

    def hybrid_forward(self, F, x):
        return self.body(x)


class PGGANDiscriminator(nn.Block):
    """``(images (N, C, S, S), lod) -> scores (N, 1 + label_size)``, ``S`` as the generator's
    output at the same ``lod``. ``fused_scale``: pool before the leaky ReLU, as the reference's
    default (module docstring)."""

    def __init__(self, resolution=1024, num_channels=3, fmap_base=8192, fmap_decay=1.0,
                 fmap_max=512, mbstd_group_size=4, label_size=0, fused_scale=True, **kwargs):
        super().__init__(**kwargs)
        self.resolution_log2 = resolution_log2(resolution)
        nf = feature_maps(fmap_base, fmap_decay, fmap_max)
        self.max_lod = self.resolution_log2 - 2
        with self.name_scope():
            self.from_rgb = nn.HybridSequential()
            self.blocks = nn.HybridSequential()
            for res in range(2, self.resolution_log2 + 1):
                rgb = nn.HybridSequential()
                rgb.add(EqualizedConv2D(nf(res - 1), num_channels, 1), _leaky())
                self.from_rgb.add(rgb)
                self.blocks.add(_DBlock(res, nf, mbstd_group_size, label_size, fused_scale))

    def at_lod(self, lod):
        """This critic as a one-input block at ``lod`` (for the gradient penalties)."""
        return CriticAtLevel(self, lod)

    def forward(self, images, lod=0.0):
        top, t = split_lod(lod, self.max_lod)
        size = 2 ** (top + 2)
        if images.shape[-1] != size or images.shape[-2] != size:
            raise ValueError(f'at lod {lod} the discriminator takes {size}x{size} images, got '
                             f'{tuple(images.shape)}')
        x = self.blocks[top](self.from_rgb[top](images))
        if t > 0:
            small = mx.nd.Pooling(images, kernel=(2, 2), stride=(2, 2), pool_type='avg')
            old = self.from_rgb[top - 1](small)
            x = x + (old - x) * t
        for level in range(top - 1, -1, -1):
            x = self.blocks[level](x)
        return x


class CriticAtLevel(nn.Block):
    """``x -> D(x, lod)`` at a fixed ``lod``: the function a gradient penalty differentiates
    (``WGAN-GP`` in PGGAN). ``penalty(D.at_lod(lod), real, fake)``."""

    def __init__(self, net, lod, **kwargs):
        super().__init__(**kwargs)
        self.net, self.lod = net, lod
        self.top, self.t = split_lod(lod, net.max_lod)

    def forward(self, x):
        return self.net(x, self.lod)


class FadeIn(nn.Block):
    """The top of the discriminator while a level fades in: ``(1 - t) * block(fromrgb(x)) +
    t * fromrgb_below(avgpool(x))`` (a leaf for :mod:`d2gan.penalty`, with its own rule)."""

    def __init__(self, net, top, t, **kwargs):
        super().__init__(**kwargs)
        self.t = t
        self.new = nn.Sequential()
        self.new.add(net.from_rgb[top], net.blocks[top])
        self.old = nn.Sequential()
        self.old.add(nn.AvgPool2D(2), net.from_rgb[top - 1])


class _FadeInRule:
    @staticmethod
    def forward(g, layer, x, shape):
        y_new, out, new_steps = chain_forward(g, critic_layers(layer.new), x, shape)
        y_old, _, old_steps = chain_forward(g, critic_layers(layer.old), x, shape)
        return y_new + (y_old - y_new) * layer.t, out, (new_steps, old_steps)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        new_steps, old_steps = cache
        return (chain_input_grad(g, new_steps, dy * (1 - layer.t))
                + chain_input_grad(g, old_steps, dy * layer.t))


register_layer(FadeIn, _FadeInRule)
register_critic(_DBlock)(lambda block: [block.body])


@register_critic(CriticAtLevel)
def _critic_at_level(view):
    net, top, t = view.net, view.top, view.t
    head = [FadeIn(net, top, t)] if t > 0 else [net.from_rgb[top], net.blocks[top]]
    return head + [net.blocks[level] for level in range(top - 1, -1, -1)]


@MODELS.register('pggan_generator')
def pggan_generator(**kwargs):
    return PGGANGenerator(**kwargs)


@MODELS.register('pggan_discriminator')
def pggan_discriminator(**kwargs):
    return PGGANDiscriminator(**kwargs)


__all__ = ['PGGANGenerator', 'PGGANDiscriminator', 'CriticAtLevel', 'feature_maps', 'split_lod',
           'pggan_generator', 'pggan_discriminator']
