"""Conditional GAN (Mirza & Osindero, 2014) on DCGAN networks: both G and D see the class label.

The label enters as a vector ``y`` of length ``num_classes``: a one-hot vector for a class, or
any mixture of them (interpolating between classes). ``embed_dim=None`` uses it as it is
(one-hot concatenation); an integer first maps it through a learned ``num_classes x embed_dim``
matrix, which is exactly an embedding lookup for one-hot ``y``.

* ``G(z, y)``: ``concat(z, y)`` is the latent vector of a DCGAN generator;
* ``D(x, y)``: ``y`` is broadcast to constant ``H x W`` maps and stacked onto the image's
  channels, so already the first convolution can check the image against its label.
"""
from mxnet.gluon import nn

from ..registry import MODELS
from .dcgan import DCGANDiscriminator, DCGANGenerator


def _embedding(num_classes, embed_dim):
    if embed_dim is None:
        return None, num_classes
    return nn.Dense(embed_dim, use_bias=False, in_units=num_classes, prefix='embed_'), embed_dim


class CGANGenerator(nn.HybridBlock):
    """``(z (N, latent_dim), y (N, num_classes)) -> image (N, channels, S, S)`` in [-1, 1]."""

    def __init__(self, latent_dim=100, num_classes=10, channels=1, image_size=32, ngf=64,
                 embed_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.channels, self.image_size = channels, image_size
        with self.name_scope():
            self.embed, label_dim = _embedding(num_classes, embed_dim)
            self.body = DCGANGenerator(latent_dim + label_dim, channels, image_size, ngf)

    def hybrid_forward(self, F, z, y):
        if self.embed is not None:
            y = self.embed(y)
        return self.body(F.concat(F.reshape(z, (0, -1)), y, dim=1))


class CGANDiscriminator(nn.HybridBlock):
    """``(image (N, channels, S, S), y (N, num_classes)) -> one logit per image (N,)``."""

    def __init__(self, num_classes=10, channels=1, image_size=32, ndf=64, embed_dim=None,
                 norm='batch', **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.channels, self.image_size = num_classes, channels, image_size
        with self.name_scope():
            self.embed, label_dim = _embedding(num_classes, embed_dim)
            self.body = DCGANDiscriminator(channels + label_dim, image_size, ndf, norm)

    def hybrid_forward(self, F, x, y):
        if self.embed is not None:
            y = self.embed(y)
        maps = F.broadcast_like(F.reshape(y, (0, 0, 1, 1)), x, lhs_axes=(2, 3),
                                rhs_axes=(2, 3))
        return self.body(F.concat(x, maps, dim=1))


@MODELS.register('cgan_generator')
def cgan_generator(**kwargs):
    return CGANGenerator(**kwargs)


@MODELS.register('cgan_discriminator')
def cgan_discriminator(**kwargs):
    return CGANDiscriminator(**kwargs)
