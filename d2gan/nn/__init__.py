"""Layers and blocks shared by the book's networks."""
from .conv_transpose import Conv2DTranspose
from .init import dcgan_init
from .narrow_conv import Conv2D
from .spectral_norm import SNConv2D, SNDense, spectral_sigma
from .spade import SPADE, SPADEResBlock, nearest_downsample
from .stu import SelectiveTransferUnit

__all__ = ['Conv2D', 'Conv2DTranspose', 'dcgan_init', 'SNConv2D', 'SNDense', 'spectral_sigma',
           'SPADE', 'SPADEResBlock', 'nearest_downsample', 'SelectiveTransferUnit']
