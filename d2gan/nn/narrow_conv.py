"""``Conv2D`` whose few output channels are computed as eight (a oneDNN speed work-around).

MXNet 1.9.1's oneDNN convolution picks a slow kernel when a layer has fewer than 8 output
channels: the last 7x7 convolution of the CycleGAN ResNet generator (16 -> 3 channels, 64x64,
batch 4, forward + backward, one thread) takes 39 ms as written and 14 ms with 8 output channels
-- PyTorch takes 26 ms. Every image generator ends with such a layer (RGB out).

This layer keeps the parameters of a plain ``gluon.nn.Conv2D`` (same shapes and names, so
parameter counts and checkpoints are unchanged), pads the weight and bias *inside the graph*
with zero filters up to ``pad_to`` output channels, runs that convolution and returns the first
``channels`` outputs. The padded filters are constants: they receive no gradient and nothing
about the result changes but the speed (``tests/test_nn.py`` compares outputs and gradients).
"""
from mxnet.gluon import nn


class Conv2D(nn.Conv2D):
    """Drop-in for ``gluon.nn.Conv2D``; differs only for ``channels < pad_to`` (see above)."""

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 use_bias=True, in_channels=0, pad_to=8, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         use_bias=use_bias, in_channels=in_channels, **kwargs)
        if groups != 1:
            pad_to = 0                      # grouped filters cannot simply be padded
        self._extra = max(0, pad_to - channels)

    def hybrid_forward(self, F, x, weight, bias=None):
        if not self._extra:
            return super().hybrid_forward(F, x, weight, bias)
        zeros = F.BlockGrad(F.zeros_like(F.slice_axis(weight, axis=0, begin=0, end=1)))
        weight = F.concat(weight, F.repeat(zeros, repeats=self._extra, axis=0), dim=0)
        kwargs = dict(self._kwargs, num_filter=self._channels + self._extra)
        if bias is not None:
            zero = F.BlockGrad(F.zeros_like(F.slice_axis(bias, axis=0, begin=0, end=1)))
            bias = F.concat(bias, F.repeat(zero, repeats=self._extra, axis=0), dim=0)
            out = F.Convolution(x, weight, bias, name='fwd', **kwargs)
        else:
            out = F.Convolution(x, weight, name='fwd', **kwargs)
        out = F.slice_axis(out, axis=1, begin=0, end=self._channels)
        return self.act(out) if self.act is not None else out
