"""Layers and blocks shared by the book's networks."""
from .conv_transpose import Conv2DTranspose
from .init import dcgan_init

__all__ = ['Conv2DTranspose', 'dcgan_init']
