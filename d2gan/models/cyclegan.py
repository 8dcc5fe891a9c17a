"""CycleGAN networks (Zhu et al., 2017): the ResNet generator; the discriminator is pix2pix's.

Generator ``resnet_<n>blocks`` (Johnson et al.'s style-transfer network, as CycleGAN uses it)::

    reflect-pad 3, conv 7x7 -> ngf            c7s1-64       (H x W)
    conv 3x3 stride 2 -> 2 ngf                d128          (H/2)
    conv 3x3 stride 2 -> 4 ngf                d256          (H/4)
    n residual blocks at 4 ngf                R256 x n      (H/4)
    convT 3x3 stride 2 -> 2 ngf               u128          (H/2)
    convT 3x3 stride 2 -> ngf                 u64           (H)
    reflect-pad 3, conv 7x7 -> 3, tanh        c7s1-3

Every conv but the last is followed by instance norm (no affine parameters) and ReLU; a
residual block is ``x + [pad 1, conv 3x3, IN, ReLU, pad 1, conv 3x3, IN](x)``. The paper uses
9 blocks for 256x256 images and 6 for 128x128. Reflection padding instead of zeros avoids dark
borders; the image size must be a multiple of 4 (two stride-2 stages). The transposed
convolutions run ``via_conv`` (:mod:`d2gan.nn.conv_transpose`): CycleGAN's objective applies each
generator twice in one graph (``G_B(G_A(a))`` and ``G_B(a)``), which crashes oneDNN's
Deconvolution backward.

Widths, biases and norms follow ``ResnetGenerator`` of junyanz/pytorch-CycleGAN-and-pix2pix
(``models/networks.py``; instance norm without affine parameters, so every conv keeps its
bias), so the trainable parameter counts are equal (11,378,179 for ``resnet_9blocks``,
7,837,699 for ``resnet_6blocks``; ``tests/test_cyclegan_models.py``). The discriminator is the
70x70 PatchGAN of :mod:`d2gan.models.pix2pix` on single images (``in_channels=3``) with
instance norm: :func:`cyclegan_discriminator`.
"""
import mxnet as mx
from mxnet.gluon import nn

from .. import nn as dnn
from ..registry import MODELS
from ..nn.norm import add_layers, conv_bias, norm_layer
from ..nn.padding import ReflectionPad
from .pix2pix import patchgan_discriminator


def _conv_block(seq, cin, cout, kernel, stride=1, padding=0, norm='instance', reflect=0):
    """``[reflect pad] conv - norm - ReLU`` appended to ``seq``."""
    if reflect:
        seq.add(ReflectionPad(reflect))
    seq.add(nn.Conv2D(cout, kernel, stride, padding, use_bias=conv_bias(norm), in_channels=cin))
    add_layers(seq, norm_layer(norm, cout))
    seq.add(nn.Activation('relu'))


class ResnetBlock(nn.HybridBlock):
    """``x + body(x)``, body = pad, conv 3x3, norm, ReLU, [dropout 0.5], pad, conv 3x3, norm."""

    def __init__(self, channels, norm='instance', dropout=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            _conv_block(self.body, channels, channels, 3, norm=norm, reflect=1)
            if dropout:
                self.body.add(nn.Dropout(0.5))
            self.body.add(ReflectionPad(1),
                          nn.Conv2D(channels, 3, use_bias=conv_bias(norm), in_channels=channels))
            add_layers(self.body, norm_layer(norm, channels))

    def hybrid_forward(self, F, x):
        return x + self.body(x)


class ResnetGenerator(nn.HybridBlock):
    """Image ``(N, in_channels, H, W)`` -> image ``(N, out_channels, H, W)`` in [-1, 1].

    Parameters
    ----------
    in_channels, out_channels : int
    ngf : int
        Width of the first stage; the residual blocks run at ``4 ngf`` channels.
    n_blocks : int
        Residual blocks at a quarter of the resolution (9 for 256x256, 6 for 128x128).
    norm : ``'instance'`` (the paper's), ``'batch'`` or ``'none'``
    dropout : bool
        Dropout 0.5 inside every residual block (off in CycleGAN).
    """

    def __init__(self, in_channels=3, out_channels=3, ngf=64, n_blocks=9, norm='instance',
                 dropout=False, **kwargs):
        super().__init__(**kwargs)
        if n_blocks < 0:
            raise ValueError(f'n_blocks must be >= 0, got {n_blocks}')
        self.in_channels, self.out_channels = in_channels, out_channels
        bias = conv_bias(norm)
        with self.name_scope():
            self.model = nn.HybridSequential(prefix='')
            _conv_block(self.model, in_channels, ngf, 7, norm=norm, reflect=3)
            width = ngf
            for _ in range(2):                                  # downsampling
                _conv_block(self.model, width, 2 * width, 3, 2, 1, norm=norm)
                width *= 2
            for _ in range(n_blocks):
                self.model.add(ResnetBlock(width, norm, dropout))
            for _ in range(2):                                  # upsampling
                self.model.add(dnn.Conv2DTranspose(width // 2, 3, 2, 1, output_padding=1,
                                                   use_bias=bias, in_channels=width,
                                                   via_conv=True))
                add_layers(self.model, norm_layer(norm, width // 2))
                self.model.add(nn.Activation('relu'))
                width //= 2
            self.model.add(ReflectionPad(3), dnn.Conv2D(out_channels, 7, in_channels=width),
                           nn.Activation('tanh'))

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray):
            if x.ndim != 4 or x.shape[1] != self.in_channels or x.shape[2] % 4 or x.shape[3] % 4:
                raise ValueError(
                    f'ResnetGenerator expects (N, {self.in_channels}, H, W) with H and W '
                    f'multiples of 4, got {tuple(x.shape)}')
            if min(x.shape[2:]) < 8:
                raise ValueError(f'ResnetGenerator needs images of at least 8x8 (reflection '
                                 f'padding at a quarter of the size), got {tuple(x.shape)}')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        return self.model(x)


def resnet_generator(in_channels=3, out_channels=3, ngf=64, n_blocks=9, norm='instance',
                     dropout=False):
    return ResnetGenerator(in_channels, out_channels, ngf, n_blocks, norm, dropout)


def cyclegan_discriminator(in_channels=3, ndf=64, n_layers=3, norm='instance'):
    """CycleGAN's D: the 70x70 PatchGAN on one image, instance norm (reference ``basic``)."""
    return patchgan_discriminator(in_channels, ndf, n_layers, norm)


@MODELS.register('resnet_generator')
def _resnet(**kwargs):
    return resnet_generator(**kwargs)


@MODELS.register('resnet_9blocks')
def _resnet_9blocks(in_channels=3, out_channels=3, ngf=64, norm='instance', dropout=False):
    """The paper's generator for 256x256 images."""
    return resnet_generator(in_channels, out_channels, ngf, 9, norm, dropout)


@MODELS.register('resnet_6blocks')
def _resnet_6blocks(in_channels=3, out_channels=3, ngf=64, norm='instance', dropout=False):
    """The paper's generator for 128x128 images."""
    return resnet_generator(in_channels, out_channels, ngf, 6, norm, dropout)


@MODELS.register('cyclegan_discriminator')
def _cyclegan_d(**kwargs):
    return cyclegan_discriminator(**kwargs)
