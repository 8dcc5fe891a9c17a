"""StarGAN v2 networks (Choi et al., 2020), as ``core/model.py`` of clovaai/stargan-v2.

Four networks, for ``D`` domains and style codes of ``style_dim`` numbers:

* generator ``G(x, s)``: an encoder of residual blocks (instance norm, 2x2 average pooling),
  two bottleneck blocks, and a decoder of *AdaIN* residual blocks (nearest up-sampling) whose
  instance norms take their scale and shift from the style ``s``:
  ``AdaIN(h, s) = (1 + gamma(s)) * IN(h) + beta(s)``;
* mapping network ``F(z, y)``: a latent ``z`` through four shared layers, then one head per
  domain; the head of domain ``y`` gives the style;
* style encoder ``E(x, y)``: a residual down-sampling network with one linear head per domain;
* discriminator ``D(x, y)``: the same trunk with one output per domain, the one of ``y`` kept.

Every residual block adds its two branches and divides by ``sqrt(2)`` (unit variance):
``(shortcut(x) + residual(x)) / sqrt(2)``; leaky ReLUs have slope 0.2.

Widths. The first convolution has ``dim_in`` channels, doubled at every down-sampling step up
to ``max_conv_dim``. The reference fixes ``dim_in = 2**14 // img_size`` (64 at 256 px, 512 at
32 px) and the mapping network's width at 512; both are arguments here (``dim_in``,
``hidden_dim``) so that the book can train CPU-sized networks, with the reference's values as
defaults. Argument names otherwise follow the reference (``img_size``, ``style_dim``,
``latent_dim``, ``num_domains``, ``max_conv_dim``, ``w_hpf``).

``w_hpf > 0`` (the CelebA-HQ models) builds the reference's structure -- one more resolution
level, decoder blocks without their shortcut -- but the high-pass skip connections it feeds need
face masks from the reference's pretrained landmark network (FAN), which d2gan does not ship:
``G(x, s, masks)`` (masks as a third argument) is refused.
"""
import math

import numpy as np
from mxnet.gluon import nn

from ..nn.channel_ops import affine_rows
from ..nn.norm import AffineInstanceNorm, normalize_rows
from ..nn.scaled_sum import scaled_sum
from ..nn.upsample import upsample_nearest2x
from ..penalty import (chain_forward, chain_input_grad, critic_layers, register_critic,
                       register_layer)
from ..registry import MODELS

INV_SQRT2 = 1 / math.sqrt(2)    # a residual block's sum times this keeps unit variance


def _first_width(img_size, dim_in):
    if img_size < 16 or img_size & (img_size - 1):
        raise ValueError(f'img_size must be a power of 2 and at least 16, got {img_size}')
    return 2 ** 14 // img_size if dim_in is None else dim_in


class ResBlk(nn.HybridBlock):
    """``(shortcut(x) + residual(x)) / sqrt(2)``: residual = [IN], lrelu, conv 3x3, [avgpool],
    [IN], lrelu, conv 3x3; shortcut = [conv 1x1 without bias when the width changes],
    [avgpool]. The two branches are ``main`` and ``skip`` (chains of plain layers)."""

    def __init__(self, dim_in, dim_out, normalize=False, downsample=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.main = nn.HybridSequential()
            if normalize:
                self.main.add(AffineInstanceNorm(scale=True, in_channels=dim_in))
            self.main.add(nn.LeakyReLU(0.2), nn.Conv2D(dim_in, 3, padding=1, in_channels=dim_in))
            if downsample:
                self.main.add(nn.AvgPool2D(2))
            if normalize:
                self.main.add(AffineInstanceNorm(scale=True, in_channels=dim_in))
            self.main.add(nn.LeakyReLU(0.2), nn.Conv2D(dim_out, 3, padding=1, in_channels=dim_in))
            self.skip = nn.HybridSequential()
            if dim_in != dim_out:
                self.skip.add(nn.Conv2D(dim_out, 1, use_bias=False, in_channels=dim_in))
            if downsample:
                self.skip.add(nn.AvgPool2D(2))

    def hybrid_forward(self, F, x):
        return scaled_sum(F, self.skip(x), self.main(x), INV_SQRT2)


class AdaIN(nn.HybridBlock):
    """``(1 + gamma) * IN(x) + beta`` with ``[gamma, beta] = fc(s)`` (one Dense layer): the
    rows ``(N C, H W)`` of ``x`` normalised, then each row times its ``1 + gamma`` plus its
    ``beta`` (:func:`~d2gan.nn.channel_ops.affine_rows`, not broadcast operators, whose backward
    into ``gamma`` and ``beta`` is a slow generic reduction on CPU)."""

    def __init__(self, style_dim, num_features, **kwargs):
        super().__init__(**kwargs)
        self.num_features = num_features
        with self.name_scope():
            self.fc = nn.Dense(2 * num_features, in_units=style_dim)

    def hybrid_forward(self, F, x, s):
        h = self.fc(s)
        gamma = F.slice_axis(h, axis=1, begin=0, end=self.num_features)
        beta = F.slice_axis(h, axis=1, begin=self.num_features, end=2 * self.num_features)
        rows = normalize_rows(F, F.reshape(x, (-3, -1)), 1e-5)             # (N C, H W)
        return F.reshape_like(affine_rows(F, rows, F.reshape(1 + gamma, (-1,)),
                                          F.reshape(beta, (-1,))), x)


class AdainResBlk(nn.HybridBlock):
    """residual = AdaIN, lrelu, [up x2], conv 3x3, AdaIN, lrelu, conv 3x3; with ``w_hpf = 0``
    the output is ``(residual + shortcut) / sqrt(2)``, shortcut = [up x2], [conv 1x1]."""

    def __init__(self, dim_in, dim_out, style_dim=64, w_hpf=0, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.w_hpf, self.upsample = w_hpf, upsample
        self.learned_sc = dim_in != dim_out
        with self.name_scope():
            self.norm1 = AdaIN(style_dim, dim_in)
            self.conv1 = nn.Conv2D(dim_out, 3, padding=1, in_channels=dim_in)
            self.norm2 = AdaIN(style_dim, dim_out)
            self.conv2 = nn.Conv2D(dim_out, 3, padding=1, in_channels=dim_out)
            if self.learned_sc:
                self.conv1x1 = nn.Conv2D(dim_out, 1, use_bias=False, in_channels=dim_in)

    def _up(self, F, x):
        return upsample_nearest2x(F, x) if self.upsample else x

    def hybrid_forward(self, F, x, s):
        h = F.LeakyReLU(self.norm1(x, s), slope=0.2)
        h = self.conv1(self._up(F, h))
        h = self.conv2(F.LeakyReLU(self.norm2(h, s), slope=0.2))
        if self.w_hpf:
            return h
        shortcut = self._up(F, x)
        if self.learned_sc:
            shortcut = self.conv1x1(shortcut)
        return scaled_sum(F, h, shortcut, INV_SQRT2)


class StarGANv2Generator(nn.HybridBlock):
    """``G(x (N, 3, S, S), s (N, style_dim)) -> (N, 3, S, S)`` (linear output, as the
    reference)."""

    def __init__(self, img_size=256, style_dim=64, max_conv_dim=512, w_hpf=1, dim_in=None,
                 in_channels=3, **kwargs):
        super().__init__(**kwargs)
        dim_in = first = _first_width(img_size, dim_in)
        self.img_size, self.in_channels = img_size, in_channels
        repeat_num = int(np.log2(img_size)) - 4 + (1 if w_hpf > 0 else 0)
        encode, decode = [], []
        dim_out = dim_in
        with self.name_scope():
            self.from_rgb = nn.Conv2D(dim_in, 3, padding=1, in_channels=in_channels)
            for _ in range(repeat_num):
                dim_out = min(dim_in * 2, max_conv_dim)
                encode.append(ResBlk(dim_in, dim_out, normalize=True, downsample=True))
                decode.insert(0, AdainResBlk(dim_out, dim_in, style_dim, w_hpf, upsample=True))
                dim_in = dim_out
            for _ in range(2):                                          # bottleneck
                encode.append(ResBlk(dim_out, dim_out, normalize=True))
                decode.insert(0, AdainResBlk(dim_out, dim_out, style_dim, w_hpf))
            self.encode = nn.HybridSequential()
            self.encode.add(*encode)
            self.decode = nn.HybridSequential()
            self.decode.add(*decode)
            self.to_rgb = nn.HybridSequential()
            self.to_rgb.add(AffineInstanceNorm(scale=True, in_channels=first), nn.LeakyReLU(0.2),
                            nn.Conv2D(in_channels, 1, in_channels=first))

    def forward(self, x, s, masks=None):
        if masks is not None:
            raise NotImplementedError('StarGAN v2 masks (w_hpf > 0) come from the reference\'s '
                                      'pretrained face-landmark network (FAN), which d2gan does '
                                      'not ship; call G(x, s) without masks (a third argument)')
        return super().forward(x, s)

    def hybrid_forward(self, F, x, s):
        x = self.encode(self.from_rgb(x))
        for block in self.decode._children.values():
            x = block(x, s)
        return self.to_rgb(x)


def _pick_domain(F, out, y, num_domains):
    """``out (N, num_domains, ...)`` -> ``out[n, y[n]]``, as a one-hot product (hybridizable;
    every head is computed and the others get zero gradient, as the reference's indexing)."""
    mask = F.expand_dims(F.one_hot(y, num_domains), axis=2)           # (N, D, 1)
    return F.sum(F.broadcast_mul(out, mask), axis=1)


class StarGANv2Mapping(nn.HybridBlock):
    """``F(z (N, latent_dim), y (N,)) -> s (N, style_dim)``: 4 shared Dense+ReLU layers of
    ``hidden_dim``, then per domain 3 Dense+ReLU and a Dense to ``style_dim``."""

    def __init__(self, latent_dim=16, style_dim=64, num_domains=2, hidden_dim=512, **kwargs):
        super().__init__(**kwargs)
        self.num_domains, self.latent_dim, self.style_dim = num_domains, latent_dim, style_dim
        with self.name_scope():
            self.shared = nn.HybridSequential()
            self.shared.add(nn.Dense(hidden_dim, activation='relu', in_units=latent_dim))
            for _ in range(3):
                self.shared.add(nn.Dense(hidden_dim, activation='relu', in_units=hidden_dim))
            self.unshared = nn.HybridSequential()
            for _ in range(num_domains):
                head = nn.HybridSequential()
                for _ in range(3):
                    head.add(nn.Dense(hidden_dim, activation='relu', in_units=hidden_dim))
                head.add(nn.Dense(style_dim, in_units=hidden_dim))
                self.unshared.add(head)

    def hybrid_forward(self, F, z, y):
        h = self.shared(z)
        out = F.stack(*[head(h) for head in self.unshared._children.values()], axis=1)
        return _pick_domain(F, out, y, self.num_domains)


def _down_trunk(seq, img_size, dim_in, max_conv_dim, in_channels):
    """conv 3x3, ``log2(img_size) - 2`` down-sampling ResBlks, lrelu, conv 4x4 (valid), lrelu:
    the shared trunk of the style encoder and the discriminator. Returns the last width."""
    seq.add(nn.Conv2D(dim_in, 3, padding=1, in_channels=in_channels))
    dim_out = dim_in
    for _ in range(int(np.log2(img_size)) - 2):
        dim_out = min(dim_in * 2, max_conv_dim)
        seq.add(ResBlk(dim_in, dim_out, downsample=True))
        dim_in = dim_out
    seq.add(nn.LeakyReLU(0.2), nn.Conv2D(dim_out, 4, in_channels=dim_out), nn.LeakyReLU(0.2))
    return dim_out


class StarGANv2StyleEncoder(nn.HybridBlock):
    """``E(x (N, 3, S, S), y (N,)) -> s (N, style_dim)``."""

    def __init__(self, img_size=256, style_dim=64, num_domains=2, max_conv_dim=512,
                 dim_in=None, in_channels=3, **kwargs):
        super().__init__(**kwargs)
        self.num_domains = num_domains
        with self.name_scope():
            self.shared = nn.HybridSequential()
            width = _down_trunk(self.shared, img_size, _first_width(img_size, dim_in),
                                max_conv_dim, in_channels)
            self.unshared = nn.HybridSequential()
            for _ in range(num_domains):
                self.unshared.add(nn.Dense(style_dim, in_units=width))

    def hybrid_forward(self, F, x, y):
        h = F.flatten(self.shared(x))
        out = F.stack(*[head(h) for head in self.unshared._children.values()], axis=1)
        return _pick_domain(F, out, y, self.num_domains)


class StarGANv2Discriminator(nn.HybridBlock):
    """``D(x (N, 3, S, S), y (N,)) -> (N,)``: one logit per domain, the one of ``y`` kept
    (``D.main(x)`` gives all of them, ``(N, num_domains, 1, 1)``)."""

    def __init__(self, img_size=256, num_domains=2, max_conv_dim=512, dim_in=None,
                 in_channels=3, **kwargs):
        super().__init__(**kwargs)
        self.num_domains = num_domains
        with self.name_scope():
            self.main = nn.HybridSequential()
            width = _down_trunk(self.main, img_size, _first_width(img_size, dim_in),
                                max_conv_dim, in_channels)
            self.main.add(nn.Conv2D(num_domains, 1, in_channels=width))

    def hybrid_forward(self, F, x, y):
        out = F.reshape(self.main(x), (0, -1))                         # (N, num_domains)
        return F.pick(out, y, axis=1)


class _ScaledResidualRule:
    """Input gradient of :class:`ResBlk` for :mod:`d2gan.penalty`: both branches' input
    gradients of ``dy``, added and divided by ``sqrt(2)`` (an input gradient is linear in
    ``dy``), one :func:`~d2gan.nn.scaled_sum.scaled_sum` as in the forward."""

    @staticmethod
    def forward(g, block, x, shape):
        y_main, out, main_steps = chain_forward(g, critic_layers(block.main), x, shape)
        y_skip, _, skip_steps = chain_forward(g, critic_layers(block.skip), x, shape)
        return scaled_sum(g.F, y_main, y_skip, INV_SQRT2), out, (main_steps, skip_steps)

    @staticmethod
    def input_grad(g, block, cache, dy):
        main_steps, skip_steps = cache
        return scaled_sum(g.F, chain_input_grad(g, main_steps, dy),
                          chain_input_grad(g, skip_steps, dy), INV_SQRT2)


register_layer(ResBlk, _ScaledResidualRule)


def _domain_head(net, F, y, dtype):
    """R1 differentiates ``D(x, y)``: the output of each example's own domain."""
    return F.one_hot(y, net.num_domains, dtype=dtype)


register_critic(StarGANv2Discriminator, label_head=_domain_head)(lambda net: [net.main])


@MODELS.register('starganv2_generator')
def starganv2_generator(img_size=256, style_dim=64, max_conv_dim=512, w_hpf=1, dim_in=None,
                        in_channels=3):
    return StarGANv2Generator(img_size, style_dim, max_conv_dim, w_hpf, dim_in, in_channels)


@MODELS.register('starganv2_mapping')
def starganv2_mapping(latent_dim=16, style_dim=64, num_domains=2, hidden_dim=512):
    return StarGANv2Mapping(latent_dim, style_dim, num_domains, hidden_dim)


@MODELS.register('starganv2_style_encoder')
def starganv2_style_encoder(img_size=256, style_dim=64, num_domains=2, max_conv_dim=512,
                            dim_in=None, in_channels=3):
    return StarGANv2StyleEncoder(img_size, style_dim, num_domains, max_conv_dim, dim_in, in_channels)


@MODELS.register('starganv2_discriminator')
def starganv2_discriminator(img_size=256, num_domains=2, max_conv_dim=512, dim_in=None,
                            in_channels=3):
    return StarGANv2Discriminator(img_size, num_domains, max_conv_dim, dim_in, in_channels)


__all__ = ['ResBlk', 'AdaIN', 'AdainResBlk', 'StarGANv2Generator', 'StarGANv2Mapping',
           'StarGANv2StyleEncoder', 'StarGANv2Discriminator', 'starganv2_generator', 'starganv2_mapping',
           'starganv2_style_encoder', 'starganv2_discriminator']
