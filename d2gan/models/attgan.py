"""AttGAN networks (He et al., 2019, "AttGAN: facial attribute editing by only changing what you
want"): an encoder-decoder whose decoder is told the attributes.

Encoder ``G_enc``: ``enc_layers`` stride-2 4x4 convolutions (64, 128, ..., capped at
``max_dim`` = 1024), each bias-free + batch norm + LeakyReLU(0.2); it returns every level's
features. Decoder ``G_dec(z, a)``: the attribute vector ``a`` (``n_attrs`` values) is tiled
over the 4x4 bottleneck and concatenated; ``dec_layers - 1`` stride-2 4x4 transposed
convolutions (1024, 512, 256, 128) with batch norm + ReLU, then one to the image with bias and
``tanh`` (the transposed convolutions run ``via_conv``: the decoder is used twice per step,
see :mod:`d2gan.nn.conv_transpose`). After decoder layer ``i < shortcut_layers`` the encoder
features of the same size are concatenated (*shortcut*), after ``i < inject_layers`` the tiled
attributes again (*injection*).

Discriminator: ``n_layers`` stride-2 4x4 convolutions with instance norm (affine) +
LeakyReLU(0.2), then two fully connected heads on the flattened features: ``fc_dim`` -> 1
(adversarial, a WGAN critic) and ``fc_dim`` -> ``n_attrs`` (attribute classifier). STGAN uses the
same critic with TF slim's epsilons and leaky ReLUs in the heads (:mod:`d2gan.models.stgan`).

Widths, kernels and biases follow elvisyjlin/AttGAN-PyTorch ``attgan.py`` + ``nn.py`` (a
convolution followed by a norm has no bias). The leaky ReLUs have slope ``slope`` = 0.2, the
paper's (its TensorFlow code, LynnHo/AttGAN-Tensorflow); AttGAN-PyTorch's ``nn.LeakyReLU()``
has PyTorch's default 0.01, which its converted weights get
(:mod:`d2gan.pretrained.attgan`); at 128x128 with 13 attributes, shortcut_layers 1
and inject_layers 1 (the "shortcut1_inject1" model of the paper's code) the trainable
parameter counts are 43,459,203 (G) and 44,718,990 (D), checked in
``tests/test_attr_models.py``.
"""
from mxnet.gluon import nn

from .. import nn as dnn
from ..nn.concat import concat_all, tile_labels
from ..nn.norm import AffineInstanceNorm
from ..penalty import register_critic
from ..registry import MODELS


def _widths(dim, layers, max_dim):
    return [min(dim * 2 ** i, max_dim) for i in range(layers)]


class AttGANEncoder(nn.HybridBlock):
    """``image -> [features of level 0, ..., level enc_layers - 1]`` (each half the size)."""

    def __init__(self, enc_dim=64, enc_layers=5, max_dim=1024, channels=3, slope=0.2,
                 bn_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.widths = _widths(enc_dim, enc_layers, max_dim)
        with self.name_scope():
            self.layers = nn.HybridSequential(prefix='')
            in_channels = channels
            for width in self.widths:
                block = nn.HybridSequential(prefix='')
                block.add(nn.Conv2D(width, 4, 2, 1, use_bias=False, in_channels=in_channels),
                          nn.BatchNorm(epsilon=bn_epsilon, in_channels=width),
                          nn.LeakyReLU(slope))
                self.layers.add(block)
                in_channels = width

    def hybrid_forward(self, F, x):
        zs = []
        for block in self.layers:
            x = block(x)
            zs.append(x)
        return zs


class AttGANDecoder(nn.HybridBlock):
    """``(a (N, n_attrs), z_first, ..., z_last) -> image``; ``skip_widths[j]`` = channels of
    ``z_j``. Only the levels it uses are passed: ``first = dec_layers - 1 - shortcut_layers``
    (see :meth:`AttGANGenerator.decode`)."""

    def __init__(self, n_attrs, skip_widths, dec_dim=64, dec_layers=5, shortcut_layers=1,
                 inject_layers=1, max_dim=1024, channels=3, bn_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.dec_layers = dec_layers
        self.shortcut_layers = min(shortcut_layers, dec_layers - 1)
        self.inject_layers = min(inject_layers, dec_layers - 1)
        self.first = dec_layers - 1 - self.shortcut_layers
        self._plain = any(w % 16 for w in skip_widths) or n_attrs % 16 != 0
        with self.name_scope():
            self.layers = nn.HybridSequential(prefix='')
            in_channels = skip_widths[-1] + n_attrs
            for i in range(dec_layers):
                block = nn.HybridSequential(prefix='')
                if i < dec_layers - 1:
                    width = min(dec_dim * 2 ** (dec_layers - i - 1), max_dim)
                    block.add(dnn.Conv2DTranspose(width, 4, 2, 1, use_bias=False,
                                                  in_channels=in_channels, via_conv=True),
                              nn.BatchNorm(epsilon=bn_epsilon, in_channels=width),
                              nn.Activation('relu'))
                    in_channels = width
                    if self.shortcut_layers > i:
                        in_channels += skip_widths[dec_layers - 2 - i]
                    if self.inject_layers > i:
                        in_channels += n_attrs
                else:
                    block.add(dnn.Conv2DTranspose(channels, 4, 2, 1, in_channels=in_channels,
                                                  via_conv=True),
                              nn.Activation('tanh'))
                self.layers.add(block)

    def hybrid_forward(self, F, a, *zs):
        z = concat_all(F, [zs[-1], tile_labels(F, a, zs[-1])], self._plain)
        for i, block in enumerate(self.layers):
            z = block(z)
            parts = [z]
            if self.shortcut_layers > i:
                parts.append(zs[self.dec_layers - 2 - i - self.first])
            if self.inject_layers > i:
                parts.append(tile_labels(F, a, z))
            if len(parts) > 1:
                z = concat_all(F, parts, self._plain)
        return z


class AttGANGenerator(nn.HybridBlock):
    """``(image, a) -> image``: ``decoder(a, *transfer(encoder(image), a))``.

    ``a`` is the attribute vector the decoder is told (``(2 b - 1) * thres_int`` for target
    attributes ``b`` in AttGAN). The step calls ``encoder``, :meth:`transfer` and ``decoder``
    separately so that one encoding serves the edit and the reconstruction.

    ``transfer``: optional factory ``transfer(n_attrs, enc_widths) -> block`` of a block that
    rewrites the skip features (``block.rewrite(zs, a) -> zs'``, attribute ``out_widths``); STGAN
    plugs its Selective Transfer Units in here. None: the features pass unchanged (AttGAN).
    """

    def __init__(self, n_attrs=13, enc_dim=64, dec_dim=64, enc_layers=5, dec_layers=5,
                 shortcut_layers=1, inject_layers=1, max_dim=1024, channels=3, transfer=None,
                 slope=0.2, bn_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.n_attrs = n_attrs
        with self.name_scope():
            self.encoder = AttGANEncoder(enc_dim, enc_layers, max_dim, channels, slope,
                                         bn_epsilon)
            widths = self.encoder.widths
            self.stu = None
            if transfer is not None:
                self.stu = transfer(n_attrs, widths)
                widths = self.stu.out_widths
            self.decoder = AttGANDecoder(n_attrs, widths, dec_dim, dec_layers,
                                         shortcut_layers, inject_layers, max_dim, channels,
                                         bn_epsilon)

    def transfer(self, zs, a):
        """The encoder features the decoder receives (unchanged without a transfer block)."""
        return zs if self.stu is None else self.stu.rewrite(zs, a)

    def decode(self, zs, a):
        """``decoder(a, *transfer(zs, a))`` for features ``zs = encoder(image)``."""
        return self.decoder(a, *self.transfer(zs, a)[self.decoder.first:])

    def hybrid_forward(self, F, x, a):
        return self.decode(self.encoder(x), a)


class AttGANDiscriminator(nn.HybridBlock):
    """``image -> (adv (N, 1) critic score, cls (N, n_attrs) attribute logits)``.

    ``affine``: ``True`` (gamma and beta: AttGAN-PyTorch, and TF slim's ``instance_norm`` that
    STGAN uses) or ``'center'`` (beta only). ``fc_act``: ``'relu'`` (AttGAN-PyTorch's training
    default) or ``'lrelu'`` (STGAN). ``in_epsilon``: 1e-5 (PyTorch's), 1e-6 (TF slim's).
    """

    def __init__(self, n_attrs=13, dim=64, fc_dim=1024, n_layers=5, image_size=128,
                 max_dim=1024, channels=3, affine=True, fc_act='relu', slope=0.2,
                 in_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        size = image_size // 2 ** n_layers
        if size < 1 or size * 2 ** n_layers != image_size:
            raise ValueError(f'image_size {image_size} is not a multiple of 2**n_layers '
                             f'({2 ** n_layers})')
        if affine not in (True, 'center'):
            raise ValueError(f"affine must be True or 'center', got {affine!r}")
        widths = _widths(dim, n_layers, max_dim)
        with self.name_scope():
            self.conv = nn.HybridSequential(prefix='')
            in_channels = channels
            for width in widths:
                self.conv.add(nn.Conv2D(width, 4, 2, 1, use_bias=False, in_channels=in_channels),
                              AffineInstanceNorm(epsilon=in_epsilon, in_channels=width,
                                                 scale=affine is True),
                              nn.LeakyReLU(slope))
                in_channels = width
            flat = widths[-1] * size * size
            self.fc_adv = self._head(fc_dim, 1, flat, fc_act, slope)
            self.fc_cls = self._head(fc_dim, n_attrs, flat, fc_act, slope)

    @staticmethod
    def _head(fc_dim, out, flat, fc_act, slope):
        head = nn.HybridSequential(prefix='')
        head.add(nn.Dense(fc_dim, in_units=flat),
                 nn.Activation('relu') if fc_act == 'relu' else nn.LeakyReLU(slope),
                 nn.Dense(out, in_units=fc_dim))
        return head

    def hybrid_forward(self, F, x):
        h = self.conv(x)
        return self.fc_adv(h), self.fc_cls(h)


@register_critic(AttGANDiscriminator)
def _attgan_critic(net):
    return [net.conv, net.fc_adv]  # the gradient penalty follows the adversarial head only


@MODELS.register('attgan_generator')
def attgan_generator(n_attrs=13, enc_dim=64, dec_dim=64, enc_layers=5, dec_layers=5,
                     shortcut_layers=1, inject_layers=1, max_dim=1024, channels=3, slope=0.2):
    return AttGANGenerator(n_attrs, enc_dim, dec_dim, enc_layers, dec_layers, shortcut_layers,
                           inject_layers, max_dim, channels, slope=slope)


@MODELS.register('attgan_discriminator')
def attgan_discriminator(n_attrs=13, dim=64, fc_dim=1024, n_layers=5, image_size=128,
                         max_dim=1024, channels=3, fc_act='relu', slope=0.2):
    return AttGANDiscriminator(n_attrs, dim, fc_dim, n_layers, image_size, max_dim, channels,
                               fc_act=fc_act, slope=slope)


__all__ = ['AttGANEncoder', 'AttGANDecoder', 'AttGANGenerator', 'AttGANDiscriminator']
