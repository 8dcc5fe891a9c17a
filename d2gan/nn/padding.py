"""Reflection padding (CycleGAN's ResNet generator, U-GAT-IT's generator and discriminators)."""
from mxnet.gluon import nn

from . import native


class ReflectionPad(nn.HybridBlock):
    """Pad height and width by ``padding`` pixels, mirroring the image (no edge repeated).
    Reflection instead of zeros keeps a convolution from seeing a dark border."""

    def __init__(self, padding, **kwargs):
        super().__init__(**kwargs)
        self._padding = padding

    def hybrid_forward(self, F, x):
        return reflect_pad(F, x, self._padding)


def reflect_pad(F, x, padding):
    """``x`` (N, C, H, W) padded by ``padding`` pixels on each side of H and W by reflection:
    the C++ operator ``d2gan_reflect_pad`` (:mod:`d2gan.nn.native`; its backward runs one plane
    per thread, MXNet's ``Pad`` backward on one thread) where it is available, else MXNet's
    ``pad``. Equal in values and gradients (``tests/test_reflect_pad.py``).

    The operators of MXNet's library API always *write* their input gradient, also where the
    input's ``grad_req`` is ``'add'``; ``identity`` in front (free in a hybridized graph, where
    it runs in place) adds as asked."""
    if native.available():
        return F.d2gan_reflect_pad(F.identity(x), pad=(padding,) * 4)
    return reflect_pad_mxnet(F, x, padding)


def reflect_pad_mxnet(F, x, padding):
    """:func:`reflect_pad` by MXNet's ``pad`` (the fallback, and the tests' reference)."""
    return F.pad(x, mode='reflect', pad_width=(0, 0, 0, 0) + (padding,) * 4)


__all__ = ['ReflectionPad', 'reflect_pad', 'reflect_pad_mxnet']
