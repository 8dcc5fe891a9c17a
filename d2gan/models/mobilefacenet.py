"""MobileFaceNet (Chen et al., 2018), the face-recognition network of Photo2Cartoon's face-ID
loss: minivision-ai/photo2cartoon ``models/mobilefacenet.py`` (from TreB1eN/InsightFace_Pytorch).

A 112x112 face -> a unit-length 512-d embedding; two faces of one person lie close in cosine
distance. Layer by layer, as the reference builds it (``conv``: no bias, then batch norm; PReLU
per channel; ``dw``: depthwise, one group per channel)::

    conv1       conv 3x3 stride 2, 3 -> 64, PReLU                           112 -> 56
    conv2_dw    dw 3x3, 64, PReLU
    conv_23     bottleneck 64 -> 64, expand 128, stride 2                    56 -> 28
    conv_3      4 residual bottlenecks 64, expand 128
    conv_34     bottleneck 64 -> 128, expand 256, stride 2                   28 -> 14
    conv_4      6 residual bottlenecks 128, expand 256
    conv_45     bottleneck 128 -> 128, expand 512, stride 2                  14 -> 7
    conv_5      2 residual bottlenecks 128, expand 256
    conv_6_sep  conv 1x1, 128 -> 512, PReLU
    conv_6_dw   dw 7x7, 512, no PReLU (the "global depthwise conv")           7 -> 1
    linear      dense 512 -> embedding_size, no bias; bn; x / ||x||

A **bottleneck** (the reference's ``Depth_Wise``) is [1x1 conv to the expanded width, PReLU;
dw 3x3 conv, PReLU; 1x1 conv to the output width, no PReLU], plus its input when residual.

At the default ``embedding_size=512``: 1,200,512 trainable parameters and 50 batch norms with
10,176 running means (and variances), the reference's numbers
(``tests/test_faceid.py``). The children carry the reference's attribute names, so a
parameter's Gluon name is its state-dict key up to the suffix (``bn.gamma`` for
``bn.weight``, ``prelu.alpha`` for ``prelu.weight``): :mod:`d2gan.pretrained.mobilefacenet`.

Two MXNet 1.9.1 bugs shape the batch norms (``tests/test_faceid.py`` checks the outputs against
the reference's and the input gradient against finite differences):

* a ``BatchNorm`` run in predict mode *while autograd records* back-propagates the formula of
  batch statistics, not of the running ones it normalised with: wrong input gradients, NaN in
  this network. A frozen extractor that must pass gradients to its input (the face-ID loss) is
  therefore built with ``use_global_stats=True``: each norm is then the fixed affine map of its
  running statistics, in both modes, and they never move;
* oneDNN's batch norm crashes (segmentation fault) on a 2-D ``(N, C)`` input once it has run
  on a convolution's ``(N, C, 1, 1)`` output of the same ``N, C`` -- ``conv_6_dw`` then ``bn``
  here. The last norm is therefore :class:`d2gan.nn.norm.VectorBatchNorm`, which runs on the
  embedding reshaped to ``(N, 512, 1, 1)``: the same computation.
"""
import mxnet as mx
from mxnet.gluon import nn

from ..nn.norm import VectorBatchNorm
from ..registry import MODELS
from .shape_check import check_image_batch

FACE_SIZE = 112   # the input side the network is built for (conv_6_dw's 7x7 covers 112 / 16)


class ConvBlock(nn.HybridBlock):
    """Conv (no bias), batch norm and, unless ``linear``, PReLU: the reference's ``Conv_block``
    (``linear=False``) and ``Linear_block``."""

    def __init__(self, in_c, out_c, kernel=1, stride=1, padding=0, groups=1, linear=False,
                 use_global_stats=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv = nn.Conv2D(out_c, kernel, stride, padding, groups=groups, use_bias=False,
                                  in_channels=in_c)
            self.bn = nn.BatchNorm(in_channels=out_c,    # torch's eps 1e-5, momentum 0.1
                                   use_global_stats=use_global_stats)
            self.prelu = None if linear else nn.PReLU(mx.init.Constant(0.25), in_channels=out_c)

    def hybrid_forward(self, F, x):
        x = self.bn(self.conv(x))
        return x if self.prelu is None else self.prelu(x)


class DepthWise(nn.HybridBlock):
    """The bottleneck ``x -> project(dw(expand(x)))`` (+ ``x`` if ``residual``); ``groups`` is the
    expanded width (the reference's ``Depth_Wise``)."""

    def __init__(self, in_c, out_c, residual=False, kernel=3, stride=2, padding=1, groups=1,
                 use_global_stats=False, **kwargs):
        super().__init__(**kwargs)
        self.residual = residual
        bn = dict(use_global_stats=use_global_stats)
        with self.name_scope():
            self.conv = ConvBlock(in_c, groups, **bn)
            self.conv_dw = ConvBlock(groups, groups, kernel, stride, padding, groups=groups, **bn)
            self.project = ConvBlock(groups, out_c, linear=True, **bn)

    def hybrid_forward(self, F, x):
        y = self.project(self.conv_dw(self.conv(x)))
        return x + y if self.residual else y


class Residual(nn.HybridBlock):
    """``num_block`` residual bottlenecks of width ``c`` in a row."""

    def __init__(self, c, num_block, groups, kernel=3, stride=1, padding=1,
                 use_global_stats=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.model = nn.HybridSequential()
            for _ in range(num_block):
                self.model.add(DepthWise(c, c, True, kernel, stride, padding, groups,
                                         use_global_stats))

    def hybrid_forward(self, F, x):
        return self.model(x)


class MobileFaceNet(nn.HybridBlock):
    """Faces ``(N, 3, 112, 112)`` in [-1, 1] -> unit-length embeddings ``(N, embedding_size)``.

    ``use_global_stats``: every batch norm uses its running statistics, in training too (the
    reference's ``eval()``): how a frozen feature extractor must be built (module docstring).
    """

    def __init__(self, embedding_size=512, use_global_stats=False, **kwargs):
        super().__init__(**kwargs)
        self.embedding_size = embedding_size
        bn = dict(use_global_stats=use_global_stats)
        with self.name_scope():
            self.conv1 = ConvBlock(3, 64, 3, 2, 1, **bn)
            self.conv2_dw = ConvBlock(64, 64, 3, 1, 1, groups=64, **bn)
            self.conv_23 = DepthWise(64, 64, groups=128, **bn)
            self.conv_3 = Residual(64, num_block=4, groups=128, **bn)
            self.conv_34 = DepthWise(64, 128, groups=256, **bn)
            self.conv_4 = Residual(128, num_block=6, groups=256, **bn)
            self.conv_45 = DepthWise(128, 128, groups=512, **bn)
            self.conv_5 = Residual(128, num_block=2, groups=256, **bn)
            self.conv_6_sep = ConvBlock(128, 512, **bn)
            self.conv_6_dw = ConvBlock(512, 512, 7, groups=512, linear=True, **bn)
            self.linear = nn.Dense(embedding_size, use_bias=False, in_units=512)
            self.bn = VectorBatchNorm(in_channels=embedding_size, **bn)

    def forward(self, x, *args):
        check_image_batch(x, 3, FACE_SIZE, 'MobileFaceNet')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        for block in (self.conv1, self.conv2_dw, self.conv_23, self.conv_3, self.conv_34,
                      self.conv_4, self.conv_45, self.conv_5, self.conv_6_sep, self.conv_6_dw):
            x = block(x)
        x = self.bn(self.linear(x))
        return F.broadcast_div(x, F.sqrt(F.sum(F.square(x), axis=1, keepdims=True)))


@MODELS.register('mobilefacenet')
def mobilefacenet(embedding_size=512, use_global_stats=False):
    return MobileFaceNet(embedding_size, use_global_stats)


__all__ = ['MobileFaceNet', 'DepthWise', 'Residual', 'ConvBlock', 'FACE_SIZE', 'mobilefacenet']
