"""Reflection padding (CycleGAN's ResNet generator, U-GAT-IT's generator and discriminators)."""
from mxnet.gluon import nn


class ReflectionPad(nn.HybridBlock):
    """Pad height and width by ``padding`` pixels, mirroring the image (no edge repeated).
    Reflection instead of zeros keeps a convolution from seeing a dark border."""

    def __init__(self, padding, **kwargs):
        super().__init__(**kwargs)
        self._pad = (0, 0, 0, 0, padding, padding, padding, padding)

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._pad)


__all__ = ['ReflectionPad']
