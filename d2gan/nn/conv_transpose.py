"""``Conv2DTranspose`` that also works for one output channel on CPU (oneDNN bug work-around).

With MXNet 1.9.1's oneDNN backend, the backward pass of a transposed convolution with exactly one
output channel fails ("could not create a primitive descriptor for a reorder primitive"). The error
is raised lazily -- at the next ``asnumpy``/``waitall`` -- and until then the gradients are silently
zero. Every 1-channel (MNIST) generator ends with such a layer.

Feeding the operator a *computed* weight (a 1-channel weight concatenated with zeros, say) crashes
the same backward pass, so the work-around must keep the weight a plain parameter: this layer owns a
weight with two output channels, runs the (healthy) 2-channel transposed convolution and returns the
first channel. The second channel never reaches the output, so its weights get exactly zero
gradient and never move; the numbers of the first channel equal a 1-channel layer computed with
oneDNN switched off (checked in ``tests/test_nn.py``). Cost: one extra output channel, i.e. the
layer's FLOPs double -- about 4 ms vs 30 ms for the oneDNN-off route at DCGAN size.
"""
from mxnet.gluon import nn


class Conv2DTranspose(nn.HybridBlock):
    """Drop-in for ``gluon.nn.Conv2DTranspose``; identical for ``channels > 1``.

    For ``channels == 1`` the weight has shape ``(in_channels, 2, k, k)`` (see module docstring);
    ``effective_weight()`` returns the ``(in_channels, 1, k, k)`` part that produces the output.
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 use_bias=True, in_channels=0, weight_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self._channels = channels
        self._spare = 1 if channels == 1 else 0
        with self.name_scope():
            self.deconv = nn.Conv2DTranspose(
                channels + self._spare, kernel_size, strides=strides, padding=padding,
                output_padding=output_padding, use_bias=use_bias, in_channels=in_channels,
                weight_initializer=weight_initializer, prefix='')

    @property
    def weight(self):
        return self.deconv.weight

    @property
    def bias(self):
        return self.deconv.bias

    def effective_weight(self):
        """The weight slice that actually produces the output channels (an NDArray)."""
        return self.weight.data()[:, :self._channels]

    def hybrid_forward(self, F, x):
        y = self.deconv(x)
        if self._spare:
            y = F.slice_axis(y, axis=1, begin=0, end=self._channels)
        return y

    def __repr__(self):
        return (f'{self.__class__.__name__}({self._channels}, '
                f'spare_channel={bool(self._spare)}, {self.deconv!r})')
