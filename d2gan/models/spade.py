"""SPADE networks (Park et al., 2019): the SPADE generator and the multi-scale discriminator.

Generator ``spade_generator``: no encoder, no noise -- it starts from the semantic map itself,
downsampled (nearest) by ``2 ** num_up`` and passed through a 3x3 convolution to ``16 ngf``
channels; then SPADE residual blocks (:class:`d2gan.nn.SPADEResBlock`) and nearest 2x
upsamplings bring it to full resolution, every block reading the map at its own resolution::

    map/32 -conv-> 16nf -head_0-> up -G_middle_0-> G_middle_1 -up-> up_0 (8nf) -up-> up_1 (4nf)
           -up-> up_2 (2nf) -up-> up_3 (nf) -LeakyReLU-conv3x3-tanh-> image

(``num_upsampling='normal'``: 5 upsamplings; ``'more'`` adds one between the middle blocks,
``'most'`` also a last ``up_4`` block of ``nf/2``). The network is fully convolutional: an
``H x W`` map gives an ``H x W`` image (``H``, ``W`` multiples of ``2 ** num_up``); Cityscapes
at the reference's crop 512 / aspect 2 is ``256 x 512`` with a ``8 x 16`` start.

Discriminator ``spade_discriminator``: ``num_D`` PatchGANs (:class:`NLayerDiscriminator`) on the
concatenated ``(map, image)``, the k-th one on the input average-pooled k times (3x3, stride 2),
each returning *every* intermediate feature map (for the feature-matching loss), the last one
being its patch logits.

Layer widths, biases, norms and spectral norms follow NVlabs/SPADE (``models/networks/
generator.py``, ``architecture.py``, ``normalization.py``, ``discriminator.py``) with its
defaults ``norm_G='spectralspadesyncbatch3x3'``, ``norm_D='spectralinstance'``,
``n_layers_D=4``, ``num_D=2``, so the trainable parameter counts are the same (checked in
``tests/test_spade_models.py``). Synchronised BN is plain BN here (one device per BN).
"""
import mxnet as mx
from mxnet.gluon import nn

from .. import nn as dnn
from ..nn import SNConv2D, SPADEResBlock, nearest_downsample
from ..nn.concat import concat_channels
from ..nn.norm import norm_layer
from ..nn.upsample import upsample_nearest2x
from ..registry import MODELS

NUM_UPSAMPLING = {'normal': 5, 'more': 6, 'most': 7}


class SPADEGenerator(nn.HybridBlock):
    """Semantic map ``(N, label_channels, H, W)`` -> image ``(N, out_channels, H, W)`` in [-1, 1].

    Parameters
    ----------
    label_channels : int
        Channels of the input map: classes (one-hot) + 1 instance-edge channel if used.
    ngf : int
        Base width; the blocks are ``16, 16, 16, 8, 4, 2, 1 x ngf`` wide.
    num_upsampling : ``'normal'`` (5), ``'more'`` (6) or ``'most'`` (7 upsamplings)
    hidden : int
        SPADE embedding width (128 in the reference).
    norm : parameter-free norm inside SPADE, ``'batch'`` (reference) or ``'instance'``
    spectral : bool
        Spectral norm on the residual blocks' convolutions (reference: yes).
    """

    def __init__(self, label_channels, ngf=64, out_channels=3, num_upsampling='normal',
                 hidden=128, norm='batch', spectral=True, **kwargs):
        super().__init__(**kwargs)
        if num_upsampling not in NUM_UPSAMPLING:
            raise ValueError(f'num_upsampling must be one of {sorted(NUM_UPSAMPLING)}, '
                             f'got {num_upsampling!r}')
        self.label_channels, self.num_up = label_channels, NUM_UPSAMPLING[num_upsampling]
        self.num_upsampling = num_upsampling
        nf = ngf

        def block(fin, fout):
            return SPADEResBlock(fin, fout, label_channels, hidden, norm, spectral)

        with self.name_scope():
            self.fc = nn.Conv2D(16 * nf, 3, padding=1, in_channels=label_channels)
            self.head_0 = block(16 * nf, 16 * nf)
            self.G_middle_0 = block(16 * nf, 16 * nf)
            self.G_middle_1 = block(16 * nf, 16 * nf)
            self.up_0 = block(16 * nf, 8 * nf)
            self.up_1 = block(8 * nf, 4 * nf)
            self.up_2 = block(4 * nf, 2 * nf)
            self.up_3 = block(2 * nf, nf)
            final = nf
            if num_upsampling == 'most':
                self.up_4 = block(nf, nf // 2)
                final = nf // 2
            self.conv_img = dnn.Conv2D(out_channels, 3, padding=1, in_channels=final)

    def forward(self, m, *args):
        if isinstance(m, mx.nd.NDArray):
            k = 2 ** self.num_up
            if (m.ndim != 4 or m.shape[1] != self.label_channels or m.shape[2] % k
                    or m.shape[3] % k):
                raise ValueError(
                    f'SPADEGenerator({self.num_upsampling!r}) expects maps (N, '
                    f'{self.label_channels}, H, W) with H and W multiples of {k}, '
                    f'got {tuple(m.shape)}')
        return super().forward(m, *args)

    def hybrid_forward(self, F, m):
        n = self.num_up

        def seg(level):  # the map at 1 / 2**level of the full resolution
            return nearest_downsample(F, m, 2 ** level)

        def up(x):
            return upsample_nearest2x(F, x)

        x = self.fc(seg(n))
        x = self.head_0(x, seg(n))
        x = up(x)
        x = self.G_middle_0(x, seg(n - 1))
        level = n - 1
        if n >= 6:
            x, level = up(x), level - 1
        x = self.G_middle_1(x, seg(level))
        for name in ('up_0', 'up_1', 'up_2', 'up_3') + (('up_4',) if n == 7 else ()):
            x, level = up(x), level - 1
            x = getattr(self, name)(x, seg(level))
        return F.Activation(self.conv_img(F.LeakyReLU(x, slope=0.2)), act_type='tanh')


class NLayerDiscriminator(nn.HybridBlock):
    """SPADE's PatchGAN: ``(N, C, H, W)`` -> the outputs of its ``n_layers + 1`` stages.

    Stage 0: 4x4 stride-2 conv (bias) + LeakyReLU(0.2); stages 1..n-1: 4x4 conv (stride 2, the
    last stride 1; widths doubling up to 512) with spectral norm and parameter-free instance
    norm, no bias, + LeakyReLU(0.2); the last stage: 4x4 conv to one channel (the patch
    logits). Padding 2, as the reference (``ceil((4 - 1) / 2)``).
    """

    def __init__(self, in_channels, ndf=64, n_layers=4, norm='instance', spectral=True,
                 **kwargs):
        super().__init__(**kwargs)
        if n_layers < 1:
            raise ValueError(f'n_layers must be >= 1, got {n_layers}')
        self.in_channels = in_channels
        conv = SNConv2D if spectral else nn.Conv2D
        with self.name_scope():
            self.stages = nn.HybridSequential(prefix='')
            first = nn.HybridSequential(prefix='')
            first.add(nn.Conv2D(ndf, 4, 2, 2, in_channels=in_channels), nn.LeakyReLU(0.2))
            self.stages.add(first)
            width = ndf
            for n in range(1, n_layers):
                out = min(width * 2, 512)
                stride = 1 if n == n_layers - 1 else 2
                stage = nn.HybridSequential(prefix='')
                stage.add(conv(out, 4, stride, 2, use_bias=norm == 'none', in_channels=width))
                layer = norm_layer(norm, out)
                if layer is not None:
                    stage.add(layer)
                stage.add(nn.LeakyReLU(0.2))
                self.stages.add(stage)
                width = out
            self.stages.add(nn.Conv2D(1, 4, 1, 2, in_channels=width))

    def hybrid_forward(self, F, x):
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


def avg_pool_inside(F, x):
    """3x3 / stride-2 average pooling over the pixels inside the image only (PyTorch's
    ``count_include_pad=False``), as the ratio of two zero-padded averages: MXNet's oneDNN
    kernel for the exclude-padding variant prints a message on every training run."""
    def pool(t):
        return F.Pooling(t, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
                         count_include_pad=True)
    return F.broadcast_div(pool(x), pool(F.ones_like(F.slice_axis(x, axis=1, begin=0, end=1))))


class MultiscaleDiscriminator(nn.HybridBlock):
    """``num_D`` :class:`NLayerDiscriminator` at scales 1, 1/2, 1/4, ...

    Returns a flat list of ``num_D * (n_layers + 1)`` feature maps, discriminator by
    discriminator; :meth:`split` regroups it into ``[[features of D_0], [features of D_1], ...]``
    whose last entries are the patch logits. Scale ``k + 1`` is scale ``k`` average-pooled
    (3x3, stride 2, padding 1, padding excluded from the average), as the reference.
    """

    def __init__(self, in_channels, ndf=64, n_layers=4, num_D=2, norm='instance',
                 spectral=True, **kwargs):
        super().__init__(**kwargs)
        self.in_channels, self.num_D, self.n_layers = in_channels, num_D, n_layers
        with self.name_scope():
            self.nets = nn.HybridSequential(prefix='')
            for _ in range(num_D):
                self.nets.add(NLayerDiscriminator(in_channels, ndf, n_layers, norm, spectral))

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray) and (x.ndim != 4 or x.shape[1] != self.in_channels):
            raise ValueError(f'MultiscaleDiscriminator expects (N, {self.in_channels}, H, W) '
                             f'= concat(map, image), got {tuple(x.shape)}')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        outputs = []
        for k, net in enumerate(self.nets):
            if k:
                x = avg_pool_inside(F, x)
            outputs.extend(net(x))
        return outputs

    def split(self, outputs):
        """The flat output list -> one list of ``n_layers + 1`` feature maps per scale."""
        k = self.n_layers + 1
        return [list(outputs[i * k:(i + 1) * k]) for i in range(self.num_D)]

    def judge(self, m, image):
        """``D(concat(m, image))``, regrouped per scale (:meth:`split`)."""
        plain = (m.shape[1] % 16 != 0) if hasattr(m, 'shape') else True
        return self.split(self(concat_channels(mx.nd, m, image, plain)))


def spade_generator(label_channels=36, ngf=64, out_channels=3, num_upsampling='normal',
                    hidden=128, norm='batch', spectral=True):
    return SPADEGenerator(label_channels, ngf, out_channels, num_upsampling, hidden, norm,
                          spectral)


def spade_discriminator(in_channels=39, ndf=64, n_layers=4, num_D=2, norm='instance',
                        spectral=True):
    """``in_channels`` = map channels + image channels (Cityscapes: 35 + 1 + 3 = 39)."""
    return MultiscaleDiscriminator(in_channels, ndf, n_layers, num_D, norm, spectral)


@MODELS.register('spade_generator')
def _spade_generator(**kwargs):
    return spade_generator(**kwargs)


@MODELS.register('spade_discriminator')
def _spade_discriminator(**kwargs):
    return spade_discriminator(**kwargs)
