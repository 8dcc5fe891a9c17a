"""Equalized learning rate (Karras et al., PGGAN): layers whose weights are stored as N(0, 1)
and scaled by He's constant ``gain / sqrt(fan_in)`` at run time.

Adam divides each update by the gradient's running magnitude, so with an ordinary He
initialisation a layer with a large fan-in learns as fast, in relative terms, as one with a
small fan-in only if their weights have the same scale. Storing ``w ~ N(0, 1)`` and multiplying
by the constant in the forward pass makes every weight's dynamic range the same, hence the same
effective learning rate. ``lr_mult`` (StyleGAN's mapping network: 0.01) slows a layer down the
same way: the stored weight is ``N(0, 1 / lr_mult)``, the run-time scale ``lr_mult * gain /
sqrt(fan_in)``, and the bias is multiplied by ``lr_mult``.

Also here: :class:`PixelNorm` (PGGAN's generator normalises every pixel's feature vector) and
:class:`MinibatchStdDev` (the discriminator's last block sees the spread of its batch).
"""
import math

import mxnet as mx
from mxnet.gluon import nn

from .channel_ops import pixel_norm
from .walk import walk_blocks


class _Equalized(nn.HybridBlock):
    """Shared bookkeeping: the stored weight, the bias and the run-time scales.

    ``out_gain`` multiplies the whole output, weight and bias alike: a following activation's
    gain folded in (``gain * lrelu(t) = lrelu(gain * t)`` for ``gain > 0``), so that no
    full-size multiplication runs after the activation."""

    def __init__(self, weight_shape, fan_in, gain, lr_mult, use_bias, bias_init, out,
                 out_gain=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = lr_mult * gain / math.sqrt(fan_in) * out_gain
        self.lr_mult = lr_mult
        self.bias_mult = lr_mult * out_gain
        with self.name_scope():
            self.weight = self.params.get('weight', shape=weight_shape,
                                          init=mx.init.Normal(1.0 / lr_mult))
            self.bias = self.params.get('bias', shape=(out,), init=mx.init.Constant(
                bias_init / lr_mult)) if use_bias else None


class EqualizedDense(_Equalized):
    """``x (N, in_units) -> (N, units)``; a 4-D input is flattened first (as the references)."""

    def __init__(self, units, in_units, gain=math.sqrt(2), lr_mult=1.0, use_bias=True,
                 bias_init=0.0, out_gain=1.0, **kwargs):
        super().__init__((units, in_units), in_units, gain, lr_mult, use_bias, bias_init,
                         units, out_gain, **kwargs)
        self.units = units

    def hybrid_forward(self, F, x, weight, bias=None):
        return F.FullyConnected(x, weight * self.scale,
                                None if bias is None else bias * self.bias_mult,
                                num_hidden=self.units, no_bias=bias is None, flatten=True)


class EqualizedConv2D(_Equalized):
    """A ``kernel x kernel`` convolution; by default stride 1 with 'same' padding."""

    def __init__(self, channels, in_channels, kernel_size=3, gain=math.sqrt(2), lr_mult=1.0,
                 use_bias=True, bias_init=0.0, stride=1, padding=None, out_gain=1.0,
                 **kwargs):
        if padding is None and kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd for same padding, got {kernel_size}')
        super().__init__((channels, in_channels, kernel_size, kernel_size),
                         in_channels * kernel_size ** 2, gain, lr_mult, use_bias, bias_init,
                         channels, out_gain, **kwargs)
        self.channels, self.kernel_size, self.stride = channels, kernel_size, stride
        self.padding = kernel_size // 2 if padding is None else padding

    def hybrid_forward(self, F, x, weight, bias=None):
        k, s, p = self.kernel_size, self.stride, self.padding
        return F.Convolution(x, weight * self.scale,
                             None if bias is None else bias * self.bias_mult,
                             kernel=(k, k), stride=(s, s), pad=(p, p),
                             num_filter=self.channels, no_bias=bias is None)


class ScaledLeakyReLU(nn.HybridBlock):
    """``gain * leaky_relu(x, slope)``: StyleGAN2's ``bias_act`` activation (slope 0.2,
    gain ``sqrt(2)`` times a block's own gain); ``slope=1`` is a plain scaling, and
    ``gain=1`` multiplies nothing (a gain folded into the layer before: ``out_gain``)."""

    def __init__(self, slope=0.2, gain=math.sqrt(2), **kwargs):
        super().__init__(**kwargs)
        self.slope, self.gain = slope, gain

    def hybrid_forward(self, F, x):
        y = x if self.slope == 1 else F.LeakyReLU(x, slope=self.slope)
        return y if self.gain == 1 else y * self.gain


class PixelNorm(nn.HybridBlock):
    """``x / sqrt(mean over channels of x^2 + eps)`` at every pixel (``vectors``: of every row
    of ``(N, C)``). Given ``channels``, computed by :func:`~d2gan.nn.channel_ops.pixel_norm`
    (2-3x faster with its backward on CPU); otherwise with broadcast operators."""

    def __init__(self, epsilon=1e-8, channels=None, vectors=False, **kwargs):
        super().__init__(**kwargs)
        self.epsilon, self.channels, self.vectors = epsilon, channels, vectors

    def hybrid_forward(self, F, x):
        if self.channels:
            return pixel_norm(F, x, self.channels, self.epsilon, self.vectors)
        return F.broadcast_mul(x, F.rsqrt(F.mean(F.square(x), axis=1, keepdims=True)
                                          + self.epsilon))


class MinibatchStdDev(nn.HybridBlock):
    """Append one feature map: the standard deviation of each feature over a group of
    ``group_size`` examples, averaged over features and pixels (PGGAN's
    ``minibatch_stddev_layer``). Example ``n`` belongs to group ``n % (N / group_size)``, as in
    the reference; the batch must be a multiple of ``group_size``."""

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size, self.epsilon = group_size, epsilon

    def hybrid_forward(self, F, x):
        g = self.group_size
        y = F.reshape(x, shape=(-4, g, -1, -2))                     # (G, M, C, H, W)
        y = F.broadcast_sub(y, F.mean(y, axis=0, keepdims=True))
        y = F.sqrt(F.mean(F.square(y), axis=0) + self.epsilon)     # (M, C, H, W)
        y = F.mean(y, axis=(1, 2, 3), keepdims=True)                # (M, 1, 1, 1)
        y = F.tile(y, reps=(g, 1, 1, 1))                            # (N, 1, 1, 1)
        y = F.broadcast_like(y, F.slice_axis(x, axis=1, begin=0, end=1))
        return F.concat(x, y, dim=1)


def check_minibatch_groups(net, sizes):
    """Raise a ``ValueError`` naming the problem when one of the per-device batch ``sizes``
    is not a multiple of a :class:`MinibatchStdDev` group in ``net`` (MXNet's own error is a
    reshape failure deep in the graph)."""
    groups = {b.group_size for b in walk_blocks(net) if isinstance(b, MinibatchStdDev)}
    for g in groups:
        bad = [k for k in sizes if k % g]
        if bad:
            raise ValueError(f'the minibatch standard deviation takes groups of {g} examples: '
                             f'the batch on each device must be a multiple of {g}, got {bad[0]} '
                             '(change --batch-size or --mbstd-group-size)')


__all__ = ['EqualizedDense', 'EqualizedConv2D', 'ScaledLeakyReLU', 'PixelNorm',
           'MinibatchStdDev', 'check_minibatch_groups']
