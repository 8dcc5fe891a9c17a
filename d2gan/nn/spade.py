"""SPADE: spatially-adaptive (de)normalisation (Park et al., 2019) and its residual block.

A normalisation layer first removes each channel's statistics and then re-scales and re-shifts
it. With BatchNorm / InstanceNorm the re-scaling ``gamma, beta`` is one number per channel,
so a layer fed a *uniform* region of the semantic map (a flat "sky" label) outputs zeros after
normalisation, whatever the label was: normalisation washes the semantics out. SPADE predicts
``gamma`` and ``beta`` *per pixel* from the semantic map ``m`` (resized to the layer's
resolution)::

    a   = ReLU(conv3x3(m))                     (hidden = 128 channels)
    out = norm(x) * (1 + conv3x3_gamma(a)) + conv3x3_beta(a)

where ``norm`` is a parameter-free batch (the paper's synchronised BN) or instance norm. The
map re-enters at every layer, so the semantics cannot be washed out.

Resizing. The reference resizes ``m`` with nearest-neighbour interpolation inside every SPADE
layer. Inside a hybridized graph the layer does not know ``x``'s size, so here the *caller*
passes ``m`` already at ``x``'s resolution; :func:`nearest_downsample` (stride slicing) makes
the pyramid and equals PyTorch's ``interpolate(mode='nearest')`` for integer factors.
"""
from mxnet.gluon import nn

from .native import is_symbolic
from .norm import InstanceNorm
from .spectral_norm import SNConv2D

PARAM_FREE_NORMS = ('batch', 'instance')


def nearest_downsample(F, m, factor):
    """``m[:, :, ::factor, ::factor]`` -- nearest-neighbour downsampling by an integer factor.

    PyTorch's ``interpolate(size=(H/f, W/f), mode='nearest')`` reads source pixel ``f * i``,
    which is exactly this slice. Works on NDArrays and Symbols.
    """
    if factor == 1:
        return m
    return F.slice(m, begin=(None, None, None, None), end=(None, None, None, None),
                   step=(1, 1, factor, factor))


def param_free_norm(kind, channels):
    """Normalisation without learnable scale/shift: ``'batch'`` or ``'instance'``."""
    if kind == 'batch':
        return nn.BatchNorm(center=False, scale=False, in_channels=channels)
    if kind == 'instance':
        return InstanceNorm()
    raise ValueError(f'unknown parameter-free norm {kind!r}: use '
                     + ', '.join(repr(n) for n in PARAM_FREE_NORMS))


class SPADE(nn.HybridBlock):
    """``(x, m) -> norm(x) * (1 + gamma(m)) + beta(m)``; ``m`` at ``x``'s resolution.

    Parameters
    ----------
    channels : int
        Channels of ``x`` (and of ``gamma``, ``beta``).
    label_channels : int
        Channels of the semantic map ``m`` (one-hot classes + instance edges).
    hidden : int
        Width of the shared embedding, 128 in the reference ("Yes, hardcoded").
    kernel_size : int
        3 in the reference (``spade...3x3``).
    norm : ``'batch'`` (the reference's, synchronised BN there) or ``'instance'``
    """

    def __init__(self, channels, label_channels, hidden=128, kernel_size=3, norm='batch',
                 **kwargs):
        super().__init__(**kwargs)
        pad = kernel_size // 2
        with self.name_scope():
            self.norm = param_free_norm(norm, channels)
            self.shared = nn.Conv2D(hidden, kernel_size, padding=pad, in_channels=label_channels,
                                    activation='relu')
            self.gamma = nn.Conv2D(channels, kernel_size, padding=pad, in_channels=hidden)
            self.beta = nn.Conv2D(channels, kernel_size, padding=pad, in_channels=hidden)

    def hybrid_forward(self, F, x, m):
        a = self.shared(m)
        return self.norm(x) * self._one_plus_gamma(F, a) + self.beta(a)  # equal shapes

    def _one_plus_gamma(self, F, a):
        """``1 + gamma(a)`` with the 1 added to the convolution's bias (a vector of
        ``channels``) instead of to its output map: one pass over the map less each way."""
        conv = self.gamma
        if is_symbolic(F):
            weight, bias = conv.weight.var(), conv.bias.var()
        else:
            weight, bias = conv.weight.data(a.context), conv.bias.data(a.context)
        return F.Convolution(a, weight, bias + 1, **conv._kwargs)


class SPADEResBlock(nn.HybridBlock):
    """SPADE residual block: ``x -> shortcut(x) + conv(act(SPADE(conv(act(SPADE(x, m))), m)))``.

    ``act`` is LeakyReLU(0.2); the 3x3 convolutions (``fin -> min(fin, fout) -> fout``) are
    spectrally normalised (the reference's ``spectralspadesyncbatch3x3``). When ``fin != fout``
    the shortcut is learned: ``conv1x1(SPADE(x, m))`` without bias, also spectrally normalised.
    """

    def __init__(self, fin, fout, label_channels, hidden=128, norm='batch', spectral=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.learned_shortcut = fin != fout
        middle = min(fin, fout)
        conv = SNConv2D if spectral else nn.Conv2D
        with self.name_scope():
            self.norm_0 = SPADE(fin, label_channels, hidden, norm=norm)
            self.conv_0 = conv(middle, 3, padding=1, in_channels=fin)
            self.norm_1 = SPADE(middle, label_channels, hidden, norm=norm)
            self.conv_1 = conv(fout, 3, padding=1, in_channels=middle)
            if self.learned_shortcut:
                self.norm_s = SPADE(fin, label_channels, hidden, norm=norm)
                self.conv_s = conv(fout, 1, use_bias=False, in_channels=fin)

    def hybrid_forward(self, F, x, m):
        shortcut = self.conv_s(self.norm_s(x, m)) if self.learned_shortcut else x
        dx = self.conv_0(F.LeakyReLU(self.norm_0(x, m), slope=0.2))
        dx = self.conv_1(F.LeakyReLU(self.norm_1(dx, m), slope=0.2))
        return shortcut + dx
