"""StarGAN networks (Choi et al., 2018): one generator for every attribute combination.

Generator ``G(x, c)``: the target label vector ``c`` (``c_dim`` entries in {0, 1}) is copied
to every pixel and concatenated to the image, then 7x7 stem (64) -> two stride-2 4x4
convolutions (128, 256) -> ``repeat_num`` residual blocks -> two stride-2 4x4 transposed
convolutions -> 7x7 convolution to the image, ``tanh``. Every convolution is bias-free and
followed by instance norm *with* affine scale and shift (Gluon's ``nn.InstanceNorm(scale=True)``;
its default has no scale; computed faster by ``AffineInstanceNorm``) and ReLU.

Discriminator: ``repeat_num`` stride-2 4x4 convolutions with LeakyReLU(0.01) (64, 128, ...,
no norm), then two heads on the same features: ``D_src``, a 3x3 convolution to one channel
(a PatchGAN map, 2x2 at 128), and ``D_cls``, a convolution as large as the map that gives
``c_dim`` attribute logits.

Widths, kernels and biases follow yunjey/stargan ``model.py``; the trainable parameter counts
at its defaults (128x128, conv_dim 64, c_dim 5, repeat_num 6) are the reference's 8,430,528
(G) and 44,762,048 (D), checked in ``tests/test_attr_models.py``.
"""
from mxnet.gluon import nn

from .. import nn as dnn
from ..nn.concat import concat_all, tile_labels
from ..nn.norm import AffineInstanceNorm
from ..penalty import register_critic
from ..registry import MODELS


def _conv_in_relu(seq, channels, kernel, stride, pad, in_channels, transpose=False):
    if transpose:  # via_conv: G(G(x, c), c') uses the weight twice (d2gan.nn.conv_transpose)
        conv = dnn.Conv2DTranspose(channels, kernel, stride, pad, use_bias=False,
                                   in_channels=in_channels, via_conv=True)
    else:
        conv = nn.Conv2D(channels, kernel, stride, pad, use_bias=False, in_channels=in_channels)
    seq.add(conv,
            AffineInstanceNorm(in_channels=channels, scale=True), nn.Activation('relu'))


class ResidualBlock(nn.HybridBlock):
    """``x + IN(conv3x3(ReLU(IN(conv3x3(x)))))``, bias-free convolutions."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            _conv_in_relu(self.body, channels, 3, 1, 1, channels)
            self.body.add(nn.Conv2D(channels, 3, 1, 1, use_bias=False, in_channels=channels),
                          AffineInstanceNorm(in_channels=channels, scale=True))

    def hybrid_forward(self, F, x):
        return x + self.body(x)


class StarGANGenerator(nn.HybridBlock):
    """``(image (N, C, H, W), labels (N, c_dim)) -> image`` in [-1, 1]; H, W multiples of 4."""

    def __init__(self, c_dim=5, conv_dim=64, repeat_num=6, channels=3, **kwargs):
        super().__init__(**kwargs)
        self.c_dim, self.channels = c_dim, channels
        self._plain = (channels % 16 != 0) or (c_dim % 16 != 0)
        with self.name_scope():
            self.main = nn.HybridSequential(prefix='')
            _conv_in_relu(self.main, conv_dim, 7, 1, 3, channels + c_dim)
            width = conv_dim
            for _ in range(2):
                _conv_in_relu(self.main, width * 2, 4, 2, 1, width)
                width *= 2
            for _ in range(repeat_num):
                self.main.add(ResidualBlock(width))
            for _ in range(2):
                _conv_in_relu(self.main, width // 2, 4, 2, 1, width, transpose=True)
                width //= 2
            self.main.add(dnn.Conv2D(channels, 7, 1, 3, use_bias=False, in_channels=width),
                          nn.Activation('tanh'))

    def hybrid_forward(self, F, x, c):
        return self.main(concat_all(F, [x, tile_labels(F, c, x)], self._plain))


class StarGANDiscriminator(nn.HybridBlock):
    """``image -> (src (N, 1, h, w) patch scores, cls (N, c_dim) attribute logits)``.

    ``image_size`` must equal ``2 ** repeat_num * k`` for an integer ``k`` (the size of the
    last feature map and of the classification kernel).
    """

    def __init__(self, image_size=128, c_dim=5, conv_dim=64, repeat_num=6, channels=3,
                 **kwargs):
        super().__init__(**kwargs)
        kernel = image_size // 2 ** repeat_num
        if kernel < 1 or kernel * 2 ** repeat_num != image_size:
            raise ValueError(f'image_size {image_size} is not 2**repeat_num ({2 ** repeat_num}) '
                             'times an integer')
        self.c_dim = c_dim
        with self.name_scope():
            self.main = nn.HybridSequential(prefix='')
            width, in_channels = conv_dim, channels
            for _ in range(repeat_num):
                self.main.add(nn.Conv2D(width, 4, 2, 1, in_channels=in_channels),
                              nn.LeakyReLU(0.01))
                in_channels, width = width, width * 2
            self.src = nn.Conv2D(1, 3, 1, 1, use_bias=False, in_channels=in_channels)
            self.cls = nn.Conv2D(c_dim, kernel, use_bias=False, in_channels=in_channels)

    def hybrid_forward(self, F, x):
        h = self.main(x)
        return self.src(h), F.reshape(self.cls(h), shape=(0, -1))


@register_critic(StarGANDiscriminator)
def _stargan_critic(net):
    return [net.main, net.src]  # the gradient penalty follows the adversarial head only


@MODELS.register('stargan_generator')
def stargan_generator(c_dim=5, conv_dim=64, repeat_num=6, channels=3):
    return StarGANGenerator(c_dim, conv_dim, repeat_num, channels)


@MODELS.register('stargan_discriminator')
def stargan_discriminator(image_size=128, c_dim=5, conv_dim=64, repeat_num=6, channels=3):
    return StarGANDiscriminator(image_size, c_dim, conv_dim, repeat_num, channels)


__all__ = ['StarGANGenerator', 'StarGANDiscriminator', 'ResidualBlock']
