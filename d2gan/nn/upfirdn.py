"""``upfirdn2d`` (StyleGAN2): up-sample by zero insertion, pad, filter with a low-pass FIR kernel,
down-sample -- the one resampling operator of StyleGAN2's generator and discriminator.

Nearest up-sampling and 2x2 average pooling alias: a shifted image gives more than a shifted
result. StyleGAN2 resamples through the separable filter ``[1, 3, 3, 1]`` instead. MXNet has no
such operator; here it is made of forward operators only (interleave zeros with ``stack`` and
``reshape``, ``pad``, a depthwise ``Convolution`` with a constant kernel, a strided slice), so its
gradient is MXNet's own and the penalties of :mod:`d2gan.penalty` can be written through it.
Paddings follow ``torch_utils/ops/upfirdn2d.py`` of NVlabs/stylegan2-ada-pytorch: ``pad =
(before, after)`` on both axes, negative values crop.

Two shortcuts compute the same numbers faster (``tests/test_stylegan2_models.py`` compares
them with the definition; ``benchmarks/stylegan2_ops.py`` times them):

* without up-sampling and with a symmetric padding (the discriminator's filters), the
  separable filter runs as a column pass and a row pass, each a depthwise ``Convolution`` with
  its own padding and stride: no ``pad`` operator, and about 2x faster than the 2-D pass;
* up-sampling by ``s`` is done *polyphase*: output pixel ``(s i + a, s j + b)`` only meets the
  filter taps of phase ``(a, b)``, so one ``Convolution`` of the original image with the
  ``s^2`` phase kernels (a quarter of the multiplications at ``s = 2``: none of them by an
  inserted zero), followed by :func:`~d2gan.nn.conv_transpose.interleave_phases`, replaces zero
  insertion, padding and filtering (:func:`polyphase_layout`). Every channel has the same
  filter, so the channels are folded into the batch: a one-channel convolution with ``s^2``
  outputs (a grouped convolution with ``s^2`` outputs per group measured slower than the
  direct route).
"""
import numpy as np
from mxnet.gluon import nn

from .conv_transpose import copy_to_default_layout, interleave_phases


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


def polyphase_layout(size, up, before, after):
    """Where the taps of a ``(size, size)`` kernel go when up-sampling by ``up`` (zero
    insertion), padding by ``(before, after)`` and correlating is done *polyphase*: as one
    stride-1 correlation of the original image, padded by ``pad`` on every side, with ``up``
    phase kernels per axis.

    Along one axis, output ``o = up i + r`` sums ``kernel[k] * x[i + (r + k - before) / up]``
    over the taps ``k = before - r (mod up)``. Returns ``(pad, length, phases)`` with
    ``phases[r] = (first tap, number of taps, position in the phase kernel)``, or ``None`` when
    the phases differ in length or would need unequal padding (the direct route then)."""
    extra = before + after - size + 1                  # output length is up * H + extra
    if up < 2 or extra % up:
        return None
    phases = []
    for r in range(up):
        first = (before - r) % up
        phases.append((first, len(range(first, size, up)), (r + first - before) // up))
    start = min(offset for _, _, offset in phases)
    length = max(offset + count for _, count, offset in phases) - start
    pad = -start
    if pad < 0 or extra // up - pad + length - 1 != pad:
        return None
    return pad, length, [(first, count, offset - start) for first, count, offset in phases]


def polyphase_kernels(F, kernel, up, layout):
    """One channel's filter ``kernel`` ``(1, 1, K, K)`` -> its ``(up^2, 1, L, L)`` phase kernels
    (row phase outermost), gathered with slices and pads so that the layer keeps one constant,
    the definition's filter."""
    _, length, phases = layout
    out = []
    for first_r, count_r, at_r in phases:
        for first_c, count_c, at_c in phases:
            taps = F.slice(kernel, begin=(None, None, first_r, first_c),
                           end=(None, None, None, None), step=(None, None, up, up))
            out.append(F.pad(taps, mode='constant', constant_value=0, pad_width=(
                0, 0, 0, 0, at_r, length - at_r - count_r, at_c, length - at_c - count_c)))
    return F.concat(*out, dim=0)


class UpFirDn2D(nn.HybridBlock):
    """``x -> down-sample(filter(pad(interleave_zeros(x, up))))`` for ``channels`` channels,
    the filter multiplied by ``gain`` (``up**2`` keeps the mean after zero insertion).
    Computed polyphase when up-sampling, as two 1-D passes when not up-sampling and the
    padding is symmetric (module docstring); ``kernel`` keeps the definition's filter."""

    def __init__(self, channels, up=1, down=1, pad=(0, 0), taps=(1, 3, 3, 1), gain=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.channels, self.up, self.down, self.pad = channels, up, down, tuple(pad)
        f = setup_filter(taps) * (up ** 2 if gain is None else gain)
        self.size = f.shape[0]
        # flipped: upfirdn2d convolves, MXNet correlates (the default filter is symmetric)
        kernel = np.tile(f[::-1, ::-1][None, None], (channels, 1, 1, 1))
        self.kernel = self.params.get_constant('kernel', kernel)
        self.polyphase = polyphase_layout(self.size, up, *self.pad) if down == 1 else None
        self.separable = up == 1 and self.pad[0] == self.pad[1] >= 0

    def hybrid_forward(self, F, x, kernel):
        if self.polyphase is not None:
            return self._upsample_polyphase(F, x, kernel)
        if self.separable:
            return self._filter_separable(F, x, kernel)
        x = pad_or_crop(F, interleave_zeros(F, x, self.up), *self.pad)
        return F.Convolution(x, kernel, kernel=(self.size, self.size),
                             stride=(self.down, self.down), num_filter=self.channels,
                             num_group=self.channels, no_bias=True)

    def _filter_separable(self, F, x, kernel):
        """The filter is ``outer(u, v) / sum``: a column pass and a row pass, each a depthwise
        ``Convolution`` with its own padding and stride (oneDNN runs the two 1-D passes about
        2x faster than the one 4x4 pass, whose backward is slow)."""
        c, k, p, s = self.channels, self.size, self.pad[0], self.down
        column = F.broadcast_div(F.sum(kernel, axis=3, keepdims=True),
                                 F.sum(kernel, axis=(2, 3), keepdims=True))     # (C, 1, K, 1)
        row = F.sum(kernel, axis=2, keepdims=True)                             # (C, 1, 1, K)
        x = F.Convolution(x, column, kernel=(k, 1), pad=(p, 0), stride=(s, 1), num_filter=c,
                          num_group=c, no_bias=True)
        return F.Convolution(x, row, kernel=(1, k), pad=(0, p), stride=(1, s), num_filter=c,
                             num_group=c, no_bias=True)

    def _upsample_polyphase(self, F, x, kernel):
        """Every (example, channel) plane as an example of one channel (all channels share the
        filter): one convolution with the ``up^2`` phase kernels, then the interleave."""
        up, c = self.up, self.channels
        pad, length, _ = self.polyphase
        phases = polyphase_kernels(F, F.slice_axis(kernel, axis=0, begin=0, end=1), up,
                                   self.polyphase)
        planes = F.expand_dims(F.reshape(x, shape=(-3, -2)), axis=1)       # (N C, 1, H, W)
        y = F.Convolution(planes, phases, kernel=(length, length), pad=(pad, pad),
                          num_filter=up * up, no_bias=True)                 # (N C, up^2, ..)
        y = interleave_phases(F, y, up, 1)                               # (N C, 1, up H, up W)
        return copy_to_default_layout(F, F.reshape(y, shape=(-4, -1, c, -3, 0)))


def upsample2d(channels, taps=(1, 3, 3, 1)):
    """``(N, C, H, W) -> (N, C, 2H, 2W)``, StyleGAN2's ``upsample2d``."""
    return UpFirDn2D(channels, up=2, pad=up_padding(len(taps)), taps=taps)


def downsample2d(channels, taps=(1, 3, 3, 1)):
    """``(N, C, H, W) -> (N, C, H/2, W/2)``, StyleGAN2's ``downsample2d``."""
    return UpFirDn2D(channels, down=2, pad=down_padding(len(taps)), taps=taps, gain=1)


__all__ = ['setup_filter', 'up_padding', 'down_padding', 'interleave_zeros', 'pad_or_crop',
           'polyphase_layout', 'polyphase_kernels', 'UpFirDn2D', 'upsample2d', 'downsample2d']
