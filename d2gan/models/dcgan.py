"""DCGAN (Radford et al., 2016): all-convolutional generator and discriminator.

Architecture rules of the paper, all kept here:

* no pooling: the discriminator downsamples with stride-2 convolutions, the generator upsamples
  with stride-2 transposed convolutions;
* batch norm in both networks, except the generator's output and the discriminator's input layer;
* ReLU in the generator (tanh at the output), LeakyReLU(0.2) in the discriminator;
* no fully connected hidden layers.

For an ``image_size`` of 2**k the generator maps ``z: (N, latent_dim, 1, 1)`` to 4x4 with one
transposed conv and doubles the size k-2 times; the discriminator mirrors it. At 64x64 with
``ngf = ndf = 64`` this is exactly the paper's network.
"""
import math

from mxnet.gluon import nn

from .. import nn as dnn
from ..penalty import register_critic
from ..registry import MODELS
from .shape_check import check_image_batch


def _num_doublings(image_size):
    k = math.log2(image_size) if image_size > 0 else 0
    if image_size < 16 or k != int(k):
        raise ValueError(f'DCGAN needs a power-of-two image_size >= 16, got {image_size}')
    return int(k) - 2


def _norm(kind, channels):
    if kind == 'batch':
        return nn.BatchNorm(in_channels=channels)
    if kind == 'instance':
        return nn.InstanceNorm(in_channels=channels, scale=True)
    if kind == 'layer':
        return nn.LayerNorm(axis=1, in_channels=channels)
    if kind == 'none':
        return None
    raise ValueError(f"unknown norm {kind!r}: use 'batch', 'instance', 'layer' or 'none'")


class DCGANGenerator(nn.HybridBlock):
    """z ``(N, latent_dim)`` or ``(N, latent_dim, 1, 1)`` -> image ``(N, channels, S, S)`` in [-1, 1]."""

    def __init__(self, latent_dim=100, channels=3, image_size=64, ngf=64, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.channels, self.image_size = latent_dim, channels, image_size
        n = _num_doublings(image_size)
        with self.name_scope():
            self.body = nn.HybridSequential()
            width = ngf * 2 ** (n - 1)
            self.body.add(nn.Conv2DTranspose(width, 4, 1, 0, use_bias=False,
                                             in_channels=latent_dim),
                          nn.BatchNorm(in_channels=width), nn.Activation('relu'))
            for _ in range(n - 1):
                self.body.add(nn.Conv2DTranspose(width // 2, 4, 2, 1, use_bias=False,
                                                 in_channels=width),
                              nn.BatchNorm(in_channels=width // 2), nn.Activation('relu'))
                width //= 2
            self.body.add(dnn.Conv2DTranspose(channels, 4, 2, 1, use_bias=False,
                                              in_channels=width),
                          nn.Activation('tanh'))

    def hybrid_forward(self, F, z):
        return self.body(F.reshape(z, (0, -1, 1, 1)))


class DCGANDiscriminator(nn.HybridBlock):
    """image ``(N, channels, S, S)`` -> one logit per image, shape ``(N,)``.

    ``norm='batch'`` is the paper's; a WGAN-GP critic needs ``'layer'``, ``'instance'`` or
    ``'none'`` because batch norm couples the examples the penalty treats one by one.
    ``spectral_norm=True`` makes every convolution a :class:`d2gan.nn.SNConv2D` (SN-GAN).
    """

    def __init__(self, channels=3, image_size=64, ndf=64, norm='batch', spectral_norm=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.channels, self.image_size = channels, image_size
        n = _num_doublings(image_size)
        with self.name_scope():
            self.body = nn.HybridSequential()
            bias = norm == 'none'  # the reference DCGAN has no conv biases next to batch norm
            conv = dnn.SNConv2D if spectral_norm else nn.Conv2D
            self.body.add(conv(ndf, 4, 2, 1, use_bias=bias, in_channels=channels),
                          nn.LeakyReLU(0.2))
            width = ndf
            for _ in range(n - 1):
                self.body.add(conv(width * 2, 4, 2, 1, use_bias=bias, in_channels=width))
                layer = _norm(norm, width * 2)
                if layer is not None:
                    self.body.add(layer)
                self.body.add(nn.LeakyReLU(0.2))
                width *= 2
            self.body.add(conv(1, 4, 1, 0, use_bias=bias, in_channels=width))

    def forward(self, x, *args):
        check_image_batch(x, self.channels, self.image_size, type(self).__name__)
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        return F.reshape(self.body(x), (-1,))


@register_critic(DCGANDiscriminator)
def _dcgan_critic(net):
    return [net.body]  # the trailing reshape to (N,) does not change the per-example score


@MODELS.register('dcgan_generator')
def dcgan_generator(**kwargs):
    return DCGANGenerator(**kwargs)


@MODELS.register('dcgan_discriminator')
def dcgan_discriminator(**kwargs):
    return DCGANDiscriminator(**kwargs)
