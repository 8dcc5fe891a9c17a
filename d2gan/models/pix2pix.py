"""Pix2Pix networks (Isola et al., 2017): a U-Net generator and PatchGAN / pixel discriminators.

Generator ``unet_<S>``: an encoder-decoder with ``num_downs = log2(S)`` stride-2 4x4 convolutions
(``S x S`` down to ``1 x 1``) and mirrored 4x4 transposed convolutions; every decoder stage is
concatenated with the encoder stage of the same resolution (the skip connections that let the
low-level structure of the input -- edges, layout -- bypass the bottleneck). Encoder stages are
``LeakyReLU(0.2) - Conv - Norm`` (no norm on the first and the innermost), decoder stages
``ReLU - ConvT - Norm`` (``tanh`` at the output), with dropout 0.5 in the ``num_downs - 5``
innermost decoder stages of width ``8 ngf`` (three for ``unet_256``: the paper's "noise").

Discriminator ``patchgan``: ``n_layers`` stride-2 4x4 convolutions, one stride-1 4x4 convolution
and a stride-1 4x4 convolution to one channel. Every output logit sees a 70x70 patch of the
input at ``n_layers = 3`` (:func:`patchgan_receptive_field`), so D judges the realism of local
texture and leaves low frequencies to the L1 term. ``pixel`` is the 1x1 variant (PixelGAN).

Layer widths, biases and norms follow junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py``
(``UnetGenerator``, ``NLayerDiscriminator``, ``PixelDiscriminator``), so the trainable parameter
counts are the same (checked in ``tests/test_pix2pix_models.py``): a convolution followed by batch
norm has no bias; with ``norm='instance'`` (no affine parameters, as the reference) it has one.
One deliberate difference: with ``norm='none'`` these convolutions keep their bias (the
reference drops it, leaving those layers without any offset).
"""
import math

import mxnet as mx
from mxnet.gluon import nn

from .. import nn as dnn
from ..nn.concat import concat_channels
from ..nn.norm import add_layers, check_norm, conv_bias, norm_layer
from ..registry import MODELS


class UnetSkipBlock(nn.HybridBlock):
    """One U-Net level: ``x -> [x, up(inner(down(x)))]`` (concatenated on channels).

    ``outermost`` returns ``up(...)`` only (no skip, ``tanh`` output); ``innermost`` has no
    ``inner`` block and no norm after its convolution (a 1x1 map cannot be normalised).
    """

    def __init__(self, outer_channels, inner_channels, in_channels=None, inner=None,
                 outermost=False, innermost=False, norm='batch', dropout=False, **kwargs):
        super().__init__(**kwargs)
        self.outermost = outermost
        in_channels = outer_channels if in_channels is None else in_channels
        self._plain_concat = outer_channels % 16 != 0
        bias = conv_bias(norm)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            if not outermost:
                self.body.add(nn.LeakyReLU(0.2))
            self.body.add(nn.Conv2D(inner_channels, 4, 2, 1, use_bias=bias,
                                    in_channels=in_channels))
            if not (outermost or innermost):
                add_layers(self.body, norm_layer(norm, inner_channels))
            if inner is not None:
                self.body.add(inner)
            up_in = inner_channels if innermost else 2 * inner_channels
            self.body.add(nn.Activation('relu'),
                          dnn.Conv2DTranspose(outer_channels, 4, 2, 1,
                                              use_bias=True if outermost else bias,
                                              in_channels=up_in))
            if outermost:
                self.body.add(nn.Activation('tanh'))
            else:
                add_layers(self.body, norm_layer(norm, outer_channels))
                if dropout:
                    self.body.add(nn.Dropout(0.5))

    def hybrid_forward(self, F, x):
        if self.outermost:
            return self.body(x)
        return concat_channels(F, x, self.body(x), self._plain_concat)


class UnetGenerator(nn.HybridBlock):
    """Image ``(N, in_channels, H, W)`` -> image ``(N, out_channels, H, W)`` in [-1, 1].

    ``H`` and ``W`` must be multiples of ``2 ** num_downs``; ``num_downs = log2(S)`` takes an
    ``S x S`` image down to ``1 x 1`` (8 for 256, 7 for 128).

    Parameters
    ----------
    in_channels, out_channels : int
    num_downs : int, >= 5
    ngf : int
        Width of the outermost encoder stage; the widths are ``ngf, 2ngf, 4ngf, 8ngf, 8ngf...``.
    norm : ``'batch'`` (the paper's), ``'instance'`` or ``'none'``
    dropout : bool
        Dropout 0.5 in the ``num_downs - 5`` innermost ``8 ngf`` decoder stages.
    """

    def __init__(self, in_channels=3, out_channels=3, num_downs=8, ngf=64, norm='batch',
                 dropout=True, **kwargs):
        super().__init__(**kwargs)
        if num_downs < 5:
            raise ValueError(f'a U-Net needs num_downs >= 5 (32x32 images or larger), '
                             f'got {num_downs}')
        check_norm(norm)
        self.in_channels, self.out_channels, self.num_downs = in_channels, out_channels, num_downs
        with self.name_scope():
            block = UnetSkipBlock(ngf * 8, ngf * 8, innermost=True, norm=norm)
            for _ in range(num_downs - 5):
                block = UnetSkipBlock(ngf * 8, ngf * 8, inner=block, norm=norm, dropout=dropout)
            block = UnetSkipBlock(ngf * 4, ngf * 8, inner=block, norm=norm)
            block = UnetSkipBlock(ngf * 2, ngf * 4, inner=block, norm=norm)
            block = UnetSkipBlock(ngf, ngf * 2, inner=block, norm=norm)
            self.model = UnetSkipBlock(out_channels, ngf, in_channels=in_channels, inner=block,
                                       outermost=True, norm=norm)

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray):
            m = 2 ** self.num_downs
            if x.ndim != 4 or x.shape[1] != self.in_channels or x.shape[2] % m or x.shape[3] % m:
                raise ValueError(
                    f'UnetGenerator(num_downs={self.num_downs}) expects (N, {self.in_channels}, '
                    f'H, W) with H and W multiples of {m}, got {tuple(x.shape)}')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        return self.model(x)


class PatchDiscriminator(nn.HybridBlock):
    """PatchGAN: image ``(N, in_channels, H, W)`` -> a map of logits ``(N, 1, H', W')``.

    Each logit classifies one ``patchgan_receptive_field(n_layers)``-sized patch (70x70 at
    ``n_layers = 3``); a 256x256 input gives a 30x30 map. For pix2pix the input is the pair
    ``concat(A, B)``; CycleGAN uses it on single images.
    """

    def __init__(self, in_channels=6, ndf=64, n_layers=3, norm='batch', **kwargs):
        super().__init__(**kwargs)
        if n_layers < 1:
            raise ValueError(f'n_layers must be >= 1, got {n_layers}')
        bias = conv_bias(norm)
        self.in_channels, self.n_layers = in_channels, n_layers
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            self.body.add(nn.Conv2D(ndf, 4, 2, 1, in_channels=in_channels), nn.LeakyReLU(0.2))
            width = ndf
            for n in range(1, n_layers + 1):
                out = ndf * min(2 ** n, 8)
                stride = 2 if n < n_layers else 1
                self.body.add(nn.Conv2D(out, 4, stride, 1, use_bias=bias, in_channels=width))
                add_layers(self.body, norm_layer(norm, out), nn.LeakyReLU(0.2))
                width = out
            self.body.add(nn.Conv2D(1, 4, 1, 1, in_channels=width))

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray) and (x.ndim != 4 or x.shape[1] != self.in_channels):
            raise ValueError(f'PatchDiscriminator expects (N, {self.in_channels}, H, W), '
                             f'got {tuple(x.shape)}')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        return self.body(x)


class PixelDiscriminator(nn.HybridBlock):
    """1x1 PixelGAN: judges every pixel's colour on its own, ``(N, C, H, W) -> (N, 1, H, W)``."""

    def __init__(self, in_channels=6, ndf=64, norm='batch', **kwargs):
        super().__init__(**kwargs)
        bias = conv_bias(norm)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            self.body.add(nn.Conv2D(ndf, 1, in_channels=in_channels), nn.LeakyReLU(0.2),
                          nn.Conv2D(ndf * 2, 1, use_bias=bias, in_channels=ndf))
            add_layers(self.body, norm_layer(norm, ndf * 2), nn.LeakyReLU(0.2),
                 nn.Conv2D(1, 1, use_bias=bias, in_channels=ndf * 2))

    def hybrid_forward(self, F, x):
        return self.body(x)


def patchgan_receptive_field(n_layers=3):
    """Side of the input patch one PatchGAN logit sees: 16, 34, 70, 142 for 1..4 layers.

    Walking back from one output pixel: each stride-1 4x4 conv adds 3, each stride-2 4x4 conv
    maps ``r -> 2 (r - 1) + 4``.
    """
    r = 1 + 3 + 3
    for _ in range(n_layers):
        r = 2 * (r - 1) + 4
    return r


def patchgan_output_size(image_size, n_layers=3):
    """Side of the logit map for an ``image_size`` input (30 for 256 at ``n_layers = 3``);
    below 1 the image is too small for the discriminator."""
    size = image_size
    for _ in range(n_layers):
        size = (size - 2) // 2 + 1          # 4x4, stride 2, padding 1
    return size - 2                         # two 4x4 stride-1 convs with padding 1


def num_downs_for(image_size):
    """``log2(image_size)``: the U-Net depth that reaches a 1x1 bottleneck."""
    k = math.log2(image_size) if image_size > 0 else 0
    if k != int(k) or image_size < 32:
        raise ValueError(f'the U-Net needs a power-of-two image_size >= 32, got {image_size}')
    return int(k)


def unet_generator(in_channels=3, out_channels=3, num_downs=8, ngf=64, norm='batch',
                   dropout=True):
    return UnetGenerator(in_channels, out_channels, num_downs, ngf, norm, dropout)


def patchgan_discriminator(in_channels=6, ndf=64, n_layers=3, norm='batch'):
    """PatchGAN with ``n_layers`` stride-2 stages (``'basic'`` = 3 = 70x70 patches)."""
    return PatchDiscriminator(in_channels, ndf, n_layers, norm)


def pixel_discriminator(in_channels=6, ndf=64, norm='batch'):
    return PixelDiscriminator(in_channels, ndf, norm)


@MODELS.register('unet_generator')
def _unet(**kwargs):
    return unet_generator(**kwargs)


@MODELS.register('unet_256')
def _unet_256(in_channels=3, out_channels=3, ngf=64, norm='batch', dropout=True):
    """The paper's generator for 256x256 images (8 downsamplings)."""
    return unet_generator(in_channels, out_channels, 8, ngf, norm, dropout)


@MODELS.register('unet_128')
def _unet_128(in_channels=3, out_channels=3, ngf=64, norm='batch', dropout=True):
    """The reference's generator for 128x128 images (7 downsamplings)."""
    return unet_generator(in_channels, out_channels, 7, ngf, norm, dropout)


@MODELS.register('patchgan_discriminator')
def _patchgan(**kwargs):
    return patchgan_discriminator(**kwargs)


@MODELS.register('pixel_discriminator')
def _pixel(**kwargs):
    return pixel_discriminator(**kwargs)
