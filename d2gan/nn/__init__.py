"""Every layer the networks share, every oneDNN work-around (one remedy per bug), weight init.

One idea per file: ``norm`` (batch / instance norms by name), ``concat`` (channel concat and its
oneDNN remedy, label tiling), ``conv_transpose`` and ``narrow_conv`` (oneDNN remedies),
``spectral_norm``, ``equalized`` (equalized learning rate, pixel norm, minibatch stddev),
``upfirdn`` (StyleGAN2's FIR resampling), ``spade`` (SPADE blocks),
``stu`` (STGAN's selective transfer unit), ``padding`` (reflection padding), ``resize`` (bilinear resize, deterministic backward),
``init`` (the papers' weight initialisations), ``pretrained`` (gluon-cv ImageNet networks),
``walk`` (every block of a tree), ``per_example`` (whether a network couples the examples of
a batch).
"""
from .concat import concat_all, concat_channels, tile_labels
from .conv_transpose import Conv2DTranspose
from .equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from .upfirdn import UpFirDn2D, downsample2d, upsample2d
from .init import dcgan_init, init_weights
from .narrow_conv import Conv2D
from .norm import AffineInstanceNorm, InstanceNorm, VectorBatchNorm, norm_layer
from .padding import ReflectionPad
from .per_example import batch_coupled_blocks, scores_each_example
from .resize import resize_bilinear
from .spectral_norm import SNConv2D, SNDense, spectral_sigma
from .spade import SPADE, SPADEResBlock, nearest_downsample
from .stu import SelectiveTransferUnit

__all__ = ['Conv2D', 'Conv2DTranspose', 'dcgan_init', 'init_weights', 'SNConv2D', 'SNDense',
           'spectral_sigma', 'SPADE', 'SPADEResBlock', 'nearest_downsample',
           'SelectiveTransferUnit', 'InstanceNorm', 'AffineInstanceNorm', 'VectorBatchNorm',
           'norm_layer',
           'concat_channels', 'concat_all', 'tile_labels', 'EqualizedConv2D', 'EqualizedDense',
           'MinibatchStdDev', 'PixelNorm', 'UpFirDn2D', 'upsample2d', 'downsample2d',
           'ReflectionPad', 'resize_bilinear', 'batch_coupled_blocks', 'scores_each_example']
