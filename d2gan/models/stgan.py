"""STGAN networks (Liu et al., 2019): AttGAN + Selective Transfer Units + difference labels.

Two changes to AttGAN (:mod:`d2gan.models.attgan`):

1. **Difference attribute vector.** The generator is told ``a_diff = b - a`` (target minus
   source, each coded ``(2 v - 1) * thres_int``), not the full target ``b``: zero for every
   attribute that stays, so "change nothing" is the zero vector and the network need not
   re-derive from the image which attributes it already has.
2. **STUs on the skip connections** (:class:`d2gan.nn.stu.SelectiveTransferUnit`). The state
   starts as ``[z_last, a_diff]`` at the bottleneck; STU ``i`` (``i = 0 .. stu_layers - 1``,
   coarse to fine) takes the encoder features of the next finer level and the state, returns
   the transferred features (sent to the decoder instead of the raw ones) and the new state,
   which gets ``a_diff`` concatenated again while ``i < stu_inject_layers``.

With so many skip connections (``shortcut_layers = 4``) and injections (``inject_layers =
4``) AttGAN would copy the source too faithfully and edit poorly; the STUs decide what to copy.

Widths, kernels, biases and epsilons follow csmliu/STGAN ``models.py`` (TF slim: a convolution
followed by a norm has no bias; batch norm with scale, epsilon 1e-3; the critic's instance norm
with scale and shift, epsilon 1e-6); its defaults (128x128, 13 attributes, STU dim 64, 4 STU
layers) give 74,998,771 (G) and 44,718,990 (D) trainable parameters, the counts of the
reference's own graph built with TensorFlow (``tests/test_attr_models.py``), and its trained
checkpoints convert (:mod:`d2gan.pretrained.stgan`).
"""
from functools import partial

from mxnet.gluon import nn

from ..nn.concat import concat_all, tile_labels
from ..nn.stu import SelectiveTransferUnit
from ..registry import MODELS
from .attgan import AttGANDiscriminator, AttGANGenerator


class STUStack(nn.HybridBlock):
    """``(a_diff, z_{L-1-n}, ..., z_last) -> (z'_{L-1-n}, ..., z'_{L-2})``: STUs on the
    ``n = n_layers`` levels just above the bottleneck (:attr:`levels`, fine to coarse). It
    reads only those and the bottleneck and returns only those; :meth:`rewrite` applies it to
    all levels. (A hybridized block that returns one of its inputs unchanged fails in MXNet
    1.9's backward, ``storage_type_num_unknown_nodes``.)"""

    def __init__(self, n_attrs, enc_widths, dim=64, n_layers=4, inject_layers=4,
                 kernel_size=3, max_dim=1024, **kwargs):
        super().__init__(**kwargs)
        levels = len(enc_widths)
        if not 0 < n_layers < levels:
            raise ValueError(f'stu_layers must be 1..{levels - 1} for {levels} encoder layers, '
                             f'got {n_layers}')
        self.n_layers, self.inject_layers = n_layers, inject_layers
        self.levels = list(range(levels - 1 - n_layers, levels - 1))
        self.out_widths = list(enc_widths)
        self._plain = n_attrs % 16 != 0 or any(w % 16 for w in enc_widths)
        with self.name_scope():
            self.units = nn.HybridSequential(prefix='')
            state = enc_widths[-1] + n_attrs
            for i in range(n_layers):
                level = levels - 2 - i
                width = min(dim * 2 ** (n_layers - 1 - i), max_dim)
                self.units.add(SelectiveTransferUnit(width, enc_widths[level], state,
                                                     kernel_size))
                self.out_widths[level] = width
                state = width + (n_attrs if inject_layers > i else 0)

    def hybrid_forward(self, F, a, *zs):
        out = []
        state = concat_all(F, [zs[-1], tile_labels(F, a, zs[-1])], self._plain)
        for i, unit in enumerate(self.units):
            feature, state = unit(zs[len(zs) - 2 - i], state)
            out.insert(0, feature)
            if self.inject_layers > i:
                state = concat_all(F, [state, tile_labels(F, a, state)], self._plain)
        return out

    def rewrite(self, zs, a):
        """All encoder levels ``zs`` with the STU levels replaced by their transferred
        features (the block sees only the levels it uses)."""
        rewritten = self(a, *zs[self.levels[0]:])
        rewritten = rewritten if isinstance(rewritten, (list, tuple)) else [rewritten]
        zs = list(zs)
        for level, feature in zip(self.levels, rewritten):
            zs[level] = feature
        return zs


class STGANGenerator(AttGANGenerator):
    """AttGAN's generator with an :class:`STUStack` between encoder and decoder; ``a`` is the
    difference vector ``b - a``. Defaults: the reference's (shortcut 4, inject 4, STU 64 x 4)."""

    def __init__(self, n_attrs=13, enc_dim=64, dec_dim=64, enc_layers=5, dec_layers=5,
                 shortcut_layers=4, inject_layers=4, stu_dim=64, stu_layers=4,
                 stu_inject_layers=4, stu_kernel_size=3, max_dim=1024, channels=3,
                 bn_epsilon=1e-3, **kwargs):
        transfer = partial(_stu_stack, dim=stu_dim, n_layers=stu_layers,
                           inject_layers=stu_inject_layers, kernel_size=stu_kernel_size,
                           max_dim=max_dim)
        super().__init__(n_attrs, enc_dim, dec_dim, enc_layers, dec_layers, shortcut_layers,
                         inject_layers, max_dim, channels, transfer=transfer,
                         bn_epsilon=bn_epsilon, **kwargs)


def _stu_stack(n_attrs, enc_widths, **config):
    return STUStack(n_attrs, enc_widths, prefix='stu_', **config)


def stgan_discriminator(n_attrs=13, dim=64, fc_dim=1024, n_layers=5, image_size=128,
                        max_dim=1024, channels=3):
    """AttGAN's critic as STGAN's code builds it: TF slim's instance norm (scale and shift,
    epsilon 1e-6), LeakyReLU in the dense heads."""
    return AttGANDiscriminator(n_attrs, dim, fc_dim, n_layers, image_size, max_dim, channels,
                               affine=True, fc_act='lrelu', in_epsilon=1e-6)


@MODELS.register('stgan_generator')
def stgan_generator(n_attrs=13, enc_dim=64, dec_dim=64, enc_layers=5, dec_layers=5,
                    shortcut_layers=4, inject_layers=4, stu_dim=64, stu_layers=4,
                    stu_inject_layers=4, stu_kernel_size=3, max_dim=1024, channels=3,
                    bn_epsilon=1e-3):
    return STGANGenerator(n_attrs, enc_dim, dec_dim, enc_layers, dec_layers, shortcut_layers,
                          inject_layers, stu_dim, stu_layers, stu_inject_layers,
                          stu_kernel_size, max_dim, channels, bn_epsilon)


MODELS.register('stgan_discriminator')(stgan_discriminator)

__all__ = ['STUStack', 'STGANGenerator', 'stgan_discriminator']
