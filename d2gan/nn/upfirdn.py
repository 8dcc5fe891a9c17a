"""``upfirdn2d`` (StyleGAN2): up-sample by zero insertion, pad, filter with a low-pass FIR kernel,
down-sample -- the one resampling operator of StyleGAN2's generator and discriminator.

Nearest up-sampling and 2x2 average pooling alias: a shifted image gives more than a shifted
result. StyleGAN2 resamples through the separable filter ``[1, 3, 3, 1]`` instead. MXNet has no
such operator; here it is made of forward operators only (interleave zeros with ``stack`` and
``reshape``, ``pad``, a depthwise ``Convolution`` with a constant kernel, a strided slice), so its
gradient is MXNet's own and the penalties of :mod:`d2gan.penalty` can be written through it.
Paddings follow ``torch_utils/ops/upfirdn2d.py`` of NVlabs/stylegan2-ada-pytorch: ``pad =
(before, after)`` on both axes, negative values crop.
"""
import numpy as np
from mxnet.gluon import nn


def setup_filter(taps=(1, 3, 3, 1)):
    """The separable 2-D kernel ``outer(taps, taps)``, normalised to sum 1."""
    f = np.asarray(taps, dtype='float64')
    f = np.outer(f, f)
    return (f / f.sum()).astype('float32')


def up_padding(filter_size=4, up=2, extra=0):
    """``(before, after)`` that keeps ``up * H`` pixels after filtering (``upsample2d``)."""
    return extra + (filter_size + up - 1) // 2, extra + (filter_size - up) // 2


def down_padding(filter_size=4, down=2, extra=0):
    """``(before, after)`` for ``H / down`` pixels after filtering (``downsample2d``)."""
    return extra + (filter_size - down + 1) // 2, extra + (filter_size - down) // 2


def interleave_zeros(F, x, up):
    """``(N, C, H, W) -> (N, C, up*H, up*W)`` with ``x[i, j]`` at ``(up*i, up*j)``, zeros
    elsewhere."""
    if up == 1:
        return x
    zeros = F.zeros_like(x)
    x = F.stack(x, *([zeros] * (up - 1)), axis=4)               # (N, C, H, W, up)
    x = F.reshape(x, shape=(0, 0, 0, -3))                        # (N, C, H, up*W)
    zeros = F.zeros_like(x)
    x = F.stack(x, *([zeros] * (up - 1)), axis=3)               # (N, C, H, up, up*W)
    return F.reshape(x, shape=(0, 0, -3, 0))                     # (N, C, up*H, up*W)


def pad_or_crop(F, x, before, after):
    """Pad (zeros) or crop (negative values) both spatial axes by ``before`` / ``after``."""
    grow_b, grow_a = max(before, 0), max(after, 0)
    if grow_b or grow_a:
        x = F.pad(x, mode='constant', constant_value=0,
                  pad_width=(0, 0, 0, 0, grow_b, grow_a, grow_b, grow_a))
    if before < 0 or after < 0:
        cut_b, cut_a = max(-before, 0), max(-after, 0)
        for axis in (2, 3):
            x = F.slice_axis(x, axis=axis, begin=cut_b, end=-cut_a if cut_a else None)
    return x


class UpFirDn2D(nn.HybridBlock):
    """``x -> down-sample(filter(pad(interleave_zeros(x, up))))`` for ``channels`` channels,
    the filter multiplied by ``gain`` (``up**2`` keeps the mean after zero insertion)."""

    def __init__(self, channels, up=1, down=1, pad=(0, 0), taps=(1, 3, 3, 1), gain=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.channels, self.up, self.down, self.pad = channels, up, down, tuple(pad)
        f = setup_filter(taps) * (up ** 2 if gain is None else gain)
        self.size = f.shape[0]
        # flipped: upfirdn2d convolves, MXNet correlates (the default filter is symmetric)
        kernel = np.tile(f[::-1, ::-1][None, None], (channels, 1, 1, 1))
        self.kernel = self.params.get_constant('kernel', kernel)

    def hybrid_forward(self, F, x, kernel):
        x = interleave_zeros(F, x, self.up)
        x = pad_or_crop(F, x, *self.pad)
        return F.Convolution(x, kernel, kernel=(self.size, self.size),
                             stride=(self.down, self.down), num_filter=self.channels,
                             num_group=self.channels, no_bias=True)


def upsample2d(channels, taps=(1, 3, 3, 1)):
    """``(N, C, H, W) -> (N, C, 2H, 2W)``, StyleGAN2's ``upsample2d``."""
    return UpFirDn2D(channels, up=2, pad=up_padding(len(taps)), taps=taps)


def downsample2d(channels, taps=(1, 3, 3, 1)):
    """``(N, C, H, W) -> (N, C, H/2, W/2)``, StyleGAN2's ``downsample2d``."""
    return UpFirDn2D(channels, down=2, pad=down_padding(len(taps)), taps=taps, gain=1)


__all__ = ['setup_filter', 'up_padding', 'down_padding', 'interleave_zeros', 'pad_or_crop',
           'UpFirDn2D', 'upsample2d', 'downsample2d']
