"""StyleGAN2 networks (Karras et al., 2020), as ``training/networks.py`` of
NVlabs/stylegan2-ada-pytorch: a mapping network z -> w (8 layers, learning rate x 0.01), a
*skip* synthesis network of modulated / demodulated convolutions with per-pixel noise, and a
*residual* discriminator with minibatch standard deviation.

Channels at resolution ``res``: ``min(channel_base // res, channel_max)`` (config F: 32768 and
512). Every weight is stored as N(0, 1) and scaled at run time (equalized learning rate); the
activations are leaky ReLU times ``sqrt(2)``, bias added first (``bias_act``).

Modulated convolution runs in the reference's *non-fused* form, the one it trains with: scale
the input channels by the styles, convolve with the shared weight, scale the output channels
by the demodulation coefficients ``1 / sqrt(sum_{i,k} (w_{oik} s_i)^2 + 1e-8)`` (both scalings
through :func:`~d2gan.nn.channel_ops.scale_channels`, given each layer's pixel count: its
fastest route on CPU). The weight
stays a plain parameter, which MXNet's oneDNN backward needs (a per-example computed weight of
a transposed convolution crashes it on CPU). Up-sampling layers convolve with the flipped
weight (``flip_weight=False`` in the reference) after ``upfirdn2d`` (:mod:`d2gan.nn.upfirdn`).
"""
import math

import mxnet as mx
from mxnet import autograd
from mxnet.gluon import nn

from ..nn.channel_ops import pixel_norm, scale_channels
from ..nn.equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, ScaledLeakyReLU
from ..nn.upfirdn import UpFirDn2D, down_padding, up_padding, upsample2d
from ..penalty import (chain_forward, chain_input_grad, critic_layers, register_critic,
                       register_layer)
from ..registry import MODELS
from .shape_check import resolution_log2

SQRT2 = math.sqrt(2)


def channels_at(channel_base=32768, channel_max=512):
    """``{resolution: channels}`` of the reference."""
    return lambda res: min(channel_base // res, channel_max)


def leaky_relu(F, x):
    """Leaky ReLU with ``bias_act``'s slope 0.2 (no gain)."""
    return F.LeakyReLU(x, slope=0.2)


def lrelu(F, x, gain=1.0):
    """``bias_act``'s leaky ReLU: slope 0.2, times ``sqrt(2) * gain``."""
    return leaky_relu(F, x) * (SQRT2 * gain)


class MappingNetwork(nn.HybridBlock):
    """``z (N, z_dim) -> w (N, w_dim)``: normalise z's second moment, then ``num_layers``
    fully connected layers with leaky ReLU, each at ``lr_multiplier`` times the learning
    rate."""

    def __init__(self, z_dim=512, w_dim=512, num_layers=8, lr_multiplier=0.01, **kwargs):
        super().__init__(**kwargs)
        features = [z_dim] + [w_dim] * num_layers
        self.z_dim = z_dim
        with self.name_scope():
            self.layers = nn.HybridSequential()
            for i in range(num_layers):
                self.layers.add(EqualizedDense(features[i + 1], features[i], gain=1,
                                               lr_mult=lr_multiplier))

    def hybrid_forward(self, F, z):
        x = pixel_norm(F, z, self.z_dim, 1e-8, vectors=True)
        for layer in self.layers:
            x = lrelu(F, layer(x))
        return x


class SynthesisLayer(nn.HybridBlock):
    """One 3x3 layer of the synthesis network (``up=2``: after up-sampling). ``(x, w) -> x``.

    ``layer='v2'`` (StyleGAN2): modulate the input channels by the styles, convolve,
    demodulate, add noise and bias, leaky ReLU. ``layer='v1'`` (StyleGAN's AdaIN, for
    comparison in the same generator): convolve (equalized lr), add noise and bias, leaky ReLU,
    instance-normalise every channel, then scale and shift it by the styles ``(1 + s, b)``; the
    normalisation is what leaves the "droplet" artefacts StyleGAN2 removed.
    """

    def __init__(self, in_channels, out_channels, w_dim, resolution, up=1, use_noise=True,
                 layer='v2', **kwargs):
        super().__init__(**kwargs)
        if layer not in ('v1', 'v2'):
            raise ValueError(f"layer must be 'v1' (AdaIN) or 'v2' (modulated conv), "
                             f'got {layer!r}')
        self.out_channels, self.up, self.use_noise = out_channels, up, use_noise
        self.layer = layer
        self.pixels = resolution ** 2                     # of the output; the input's / up^2
        self.weight_gain = 1 / math.sqrt(in_channels * 9)
        with self.name_scope():
            if layer == 'v2':
                self.affine = EqualizedDense(in_channels, w_dim, gain=1, bias_init=1)
            else:                                   # scale around 1 and shift, per channel
                self.affine = EqualizedDense(2 * out_channels, w_dim, gain=1)
            self.weight = self.params.get('weight', shape=(out_channels, in_channels, 3, 3),
                                          init=mx.init.Normal(1.0))
            self.bias = self.params.get('bias', shape=(out_channels,), init='zeros')
            if use_noise:
                self.noise_strength = self.params.get('noise_strength', shape=(1,),
                                                      init='zeros')
            if up > 1:
                self.resample = UpFirDn2D(in_channels, up=up, pad=up_padding(4, up, 1))

    def _conv(self, F, x, weight):
        if self.up > 1:
            return F.Convolution(self.resample(x), F.flip(weight, axis=(2, 3)), kernel=(3, 3),
                                 num_filter=self.out_channels, no_bias=True)
        return F.Convolution(x, weight, kernel=(3, 3), pad=(1, 1),
                             num_filter=self.out_channels, no_bias=True)

    def hybrid_forward(self, F, x, w, weight, bias, noise_strength=None):
        styles = self.affine(w)
        if self.layer == 'v2':                                            # (N, in)
            y = self._conv(F, scale_channels(F, x, styles, self.pixels // self.up ** 2),
                           weight)
            power = F.dot(F.square(styles), F.sum(F.square(weight), axis=(2, 3)),
                          transpose_b=True)
            # lrelu's sqrt(2) folded into the demodulation, noise strength and bias (leaky
            # ReLU is positively homogeneous): no full-size multiplication and its backward
            y = scale_channels(F, y, F.rsqrt(power + 1e-8) * SQRT2, self.pixels)
            strength = None if noise_strength is None else noise_strength * SQRT2
            return leaky_relu(F, self._add_noise_and_bias(F, y, bias * SQRT2, strength))
        y = self._conv(F, x, weight * self.weight_gain)
        y = lrelu(F, self._add_noise_and_bias(F, y, bias, noise_strength))
        centred = F.broadcast_sub(y, F.mean(y, axis=(2, 3), keepdims=True))      # AdaIN
        y = F.broadcast_mul(centred, F.rsqrt(F.mean(F.square(centred), axis=(2, 3),
                                                    keepdims=True) + 1e-8))
        scale, shift = F.split(styles, num_outputs=2, axis=1)
        return F.broadcast_add(scale_channels(F, y, scale + 1, self.pixels),
                               F.reshape(shift, (0, 0, 1, 1)))

    def _add_noise_and_bias(self, F, y, bias, noise_strength):
        """``y + noise * strength + bias``, the noise one ``(N, 1, H, W)`` map per example.
        Both terms come from one 1x1 ``Convolution`` of the noise map (weight: the strength
        for every channel; bias: the bias), added elementwise: the broadcast additions this
        replaces back-propagate through a slow generic reduction on CPU, the convolution's
        bias and weight gradients are oneDNN's."""
        if not self.use_noise:
            return F.broadcast_add(y, F.reshape(bias, (1, -1, 1, 1)))
        noise = F.random.normal_like(F.slice_axis(y, axis=1, begin=0, end=1))
        strength = F.broadcast_to(F.reshape(noise_strength, (1, 1, 1, 1)),
                                  shape=(self.out_channels, 1, 1, 1))
        return y + F.Convolution(noise, strength, bias, kernel=(1, 1),
                                 num_filter=self.out_channels)


class ToRGBLayer(nn.HybridBlock):
    """Modulated 1x1 convolution to image channels, no demodulation, no activation."""

    def __init__(self, in_channels, img_channels, w_dim, resolution=None, **kwargs):
        super().__init__(**kwargs)
        self.img_channels, self.weight_gain = img_channels, 1 / math.sqrt(in_channels)
        self.pixels = resolution ** 2 if resolution else None   # None: any input size
        with self.name_scope():
            self.affine = EqualizedDense(in_channels, w_dim, gain=1, bias_init=1)
            self.weight = self.params.get('weight', shape=(img_channels, in_channels, 1, 1),
                                          init=mx.init.Normal(1.0))
            self.bias = self.params.get('bias', shape=(img_channels,), init='zeros')

    def hybrid_forward(self, F, x, w, weight, bias):
        x = scale_channels(F, x, self.affine(w) * self.weight_gain, self.pixels)
        return F.Convolution(x, weight, bias, kernel=(1, 1), num_filter=self.img_channels)


class SynthesisBlock(nn.HybridBlock):
    """One resolution of the skip generator: (const | up-conv) + conv, and the image so far
    up-sampled plus this block's ToRGB. ``(x, img, ws) -> (x, img)``; ``ws`` holds
    ``num_conv + 1`` latents (the ToRGB one is the next block's first)."""

    def __init__(self, in_channels, out_channels, w_dim, resolution, img_channels, layer='v2',
                 **kwargs):
        super().__init__(**kwargs)
        self.first = in_channels == 0
        self.num_conv = 1 if self.first else 2
        self.out_channels, self.resolution = out_channels, resolution
        with self.name_scope():
            if self.first:
                self.const = self.params.get('const', shape=(out_channels, resolution,
                                                             resolution),
                                             init=mx.init.Normal(1.0))
            else:
                self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2,
                                            layer=layer)
                self.img_up = upsample2d(img_channels)
            self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution,
                                        layer=layer)
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, resolution)

    def hybrid_forward(self, F, *inputs, const=None):
        """``(ws)`` for the first block, ``(x, img, ws)`` for the others."""
        x, img, ws = (None, None) + inputs if self.first else inputs
        w = [F.squeeze(F.slice_axis(ws, axis=1, begin=i, end=i + 1), axis=1)
             for i in range(self.num_conv + 1)]
        if self.first:
            ones = F.reshape(F.ones_like(F.slice_axis(w[0], axis=1, begin=0, end=1)),
                             (-1, 1, 1, 1))
            x = self.conv1(F.broadcast_mul(ones, F.expand_dims(const, axis=0)), w[0])
        else:
            x = self.conv1(self.conv0(x, w[0]), w[1])
        y = self.torgb(x, w[-1])
        return x, (y if self.first else self.img_up(img) + y)


class SynthesisNetwork(nn.HybridBlock):
    """``ws (N, num_ws, w_dim) -> images (N, img_channels, resolution, resolution)``."""

    def __init__(self, w_dim=512, resolution=1024, img_channels=3, channel_base=32768,
                 channel_max=512, layer='v2', **kwargs):
        super().__init__(**kwargs)
        ch = channels_at(channel_base, channel_max)
        self.resolution, self.img_channels = resolution, img_channels
        self.resolutions = [2 ** i for i in range(2, resolution_log2(resolution) + 1)]
        self.num_ws = 0
        with self.name_scope():
            self.blocks = nn.HybridSequential()
            for res in self.resolutions:
                block = SynthesisBlock(ch(res // 2) if res > 4 else 0, ch(res), w_dim, res,
                                       img_channels, layer)
                self.blocks.add(block)
                self.num_ws += block.num_conv
        self.num_ws += 1                                 # the last block's ToRGB

    def hybrid_forward(self, F, ws):
        return self._run_blocks(F, ws)[1]

    def features(self, ws):
        """Each block's feature maps ``x`` (a list, 4x4 first) for ``ws``: the maps in which
        StyleGAN's AdaIN layers grow their "droplet" peaks (:func:`feature_peak_ratio`)."""
        return self._run_blocks(mx.nd, ws)[0]

    def _run_blocks(self, F, ws):
        """``(each block's x, the image)``: every block gets its slice of ``ws``."""
        x = img = None
        start, maps = 0, []
        for block in self.blocks:
            block_ws = F.slice_axis(ws, axis=1, begin=start, end=start + block.num_conv + 1)
            x, img = block(block_ws) if x is None else block(x, img, block_ws)
            maps.append(x)
            start += block.num_conv
        return maps, img


def feature_peak_ratio(x):
    """Mean over (example, channel) of ``max |x| / mean |x|`` over the pixels of a feature
    map ``(N, C, H, W)``: about 3-4 for Gaussian-like maps, much larger where one spike carries
    the map (StyleGAN's droplet artifact)."""
    a = mx.nd.abs(x).reshape((0, 0, -1))
    return float((a.max(axis=2) / (a.mean(axis=2) + 1e-8)).mean().asscalar())


class StyleGAN2Generator(nn.Block):
    """``z (N, z_dim) -> images``; ``truncation_psi < 1`` pulls w towards the running mean
    ``w_avg`` (updated in training mode with ``w_avg_beta``), as the reference. ``layer='v1'``
    builds every synthesis layer with StyleGAN's AdaIN instead (:class:`SynthesisLayer`)."""

    def __init__(self, resolution=1024, img_channels=3, z_dim=512, w_dim=512,
                 mapping_layers=8, channel_base=32768, channel_max=512, lr_multiplier=0.01,
                 w_avg_beta=0.995, layer='v2', **kwargs):
        super().__init__(**kwargs)
        self.z_dim, self.w_dim, self.w_avg_beta = z_dim, w_dim, w_avg_beta
        with self.name_scope():
            self.synthesis = SynthesisNetwork(w_dim, resolution, img_channels, channel_base,
                                              channel_max, layer)
            self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, lr_multiplier)
            self.w_avg = self.params.get('w_avg', shape=(w_dim,), init='zeros',
                                         grad_req='null', differentiable=False)
        self.num_ws = self.synthesis.num_ws

    def map(self, z, truncation_psi=1.0, truncation_cutoff=None):
        """``z -> ws (N, num_ws, w_dim)``, truncated towards ``w_avg``."""
        w = self.mapping(z)
        if autograd.is_training() and self.w_avg_beta is not None:
            avg = self.w_avg.data(w.context)
            avg[:] = w.detach().mean(axis=0) * (1 - self.w_avg_beta) + avg * self.w_avg_beta
        ws = mx.nd.repeat(w.expand_dims(1), self.num_ws, axis=1)
        if truncation_psi != 1:
            avg = self.w_avg.data(w.context).reshape((1, 1, -1))
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            head = avg + (ws[:, :cut] - avg) * truncation_psi
            ws = head if cut == self.num_ws else mx.nd.concat(head, ws[:, cut:], dim=1)
        return ws

    def forward(self, z, truncation_psi=1.0, truncation_cutoff=None):
        return self.synthesis(self.map(z, truncation_psi, truncation_cutoff))


class DiscriminatorBlock(nn.HybridBlock):
    """Residual block: (FromRGB on the first), conv, conv down, plus a 1x1 down-sampled skip,
    both branches scaled by ``sqrt(1/2)``. ``main`` and ``skip`` are chains of leaf layers, so
    the gradient penalties can walk them (:mod:`d2gan.penalty`)."""

    def __init__(self, in_channels, tmp_channels, out_channels, img_channels, **kwargs):
        super().__init__(**kwargs)
        self.first = in_channels == 0
        half = math.sqrt(0.5)
        with self.name_scope():
            self.fromrgb = conv_layer(img_channels, tmp_channels, 1) if self.first else None
            self.main = nn.HybridSequential()
            self.main.add(conv_layer(tmp_channels, tmp_channels, 3),
                          conv_layer(tmp_channels, out_channels, 3, down=2, gain=half))
            self.skip = conv_layer(tmp_channels, out_channels, 1, down=2, use_bias=False,
                                   activation=False, gain=half)

    def hybrid_forward(self, F, x):
        if self.first:
            x = self.fromrgb(x)
        return self.skip(x) + self.main(x)


def conv_layer(in_channels, out_channels, kernel, down=1, use_bias=True, activation=True,
               gain=1.0):
    """``Conv2dLayer`` as a chain: [FIR filter (down-sampling)], convolution with weight /
    sqrt(fan_in), [bias], leaky ReLU x sqrt(2) (or linear), times ``gain``. A 3x3 layer filters
    with its padding folded in and then strides; a 1x1 layer filters and subsamples first (the
    reference's fast paths)."""
    chain = nn.HybridSequential()
    stride, pad = 1, kernel // 2
    if down > 1:
        chain.add(UpFirDn2D(in_channels, down=1 if kernel > 1 else down,
                            pad=down_padding(4, down, kernel // 2), gain=1))
        stride, pad = (down if kernel > 1 else 1), 0
    # the activation's gain is folded into the convolution (``out_gain``): no full-size
    # multiplication after it
    chain.add(EqualizedConv2D(out_channels, in_channels, kernel, gain=1, use_bias=use_bias,
                              stride=stride, padding=pad,
                              out_gain=(SQRT2 if activation else 1) * gain),
              ScaledLeakyReLU(0.2 if activation else 1.0, 1.0))
    return chain


class StyleGAN2Discriminator(nn.HybridBlock):
    """``images (N, C, R, R) -> scores (N, 1)``: residual blocks down to 4x4, then minibatch
    stddev, conv, fully connected, output (``DiscriminatorEpilogue``)."""

    def __init__(self, resolution=1024, img_channels=3, channel_base=32768, channel_max=512,
                 mbstd_group_size=4, **kwargs):
        super().__init__(**kwargs)
        ch = channels_at(channel_base, channel_max)
        log2 = resolution_log2(resolution)
        with self.name_scope():
            self.blocks = nn.HybridSequential()
            for res in [2 ** i for i in range(log2, 2, -1)]:
                self.blocks.add(DiscriminatorBlock(ch(res) if res < resolution else 0, ch(res),
                                                   ch(res // 2), img_channels))
            c = ch(4)
            self.epilogue = nn.HybridSequential()
            self.epilogue.add(MinibatchStdDev(mbstd_group_size), conv_layer(c + 1, c, 3),
                              EqualizedDense(c, c * 16, gain=1, out_gain=SQRT2),
                              ScaledLeakyReLU(0.2, 1.0),
                              EqualizedDense(1, c, gain=1))

    def hybrid_forward(self, F, x):
        return self.epilogue(self.blocks(x))


class _ResidualRule:
    """Input gradient of a residual block for :mod:`d2gan.penalty`: the two branches' input
    gradients add up (after FromRGB, walked as a chain)."""

    @staticmethod
    def forward(g, block, x, shape):
        head = critic_layers(block.fromrgb) if block.first else []
        x, shape, head_steps = chain_forward(g, head, x, shape)
        y_main, out, main_steps = chain_forward(g, critic_layers(block.main), x, shape)
        y_skip, _, skip_steps = chain_forward(g, critic_layers(block.skip), x, shape)
        return y_main + y_skip, out, (head_steps, main_steps, skip_steps)

    @staticmethod
    def input_grad(g, block, cache, dy):
        head_steps, main_steps, skip_steps = cache
        dx = chain_input_grad(g, main_steps, dy) + chain_input_grad(g, skip_steps, dy)
        return chain_input_grad(g, head_steps, dx)


register_layer(DiscriminatorBlock, _ResidualRule)


@register_critic(StyleGAN2Discriminator)
def _stylegan2_critic(net):
    return [net.blocks, net.epilogue]


@MODELS.register('stylegan2_generator')
def stylegan2_generator(**kwargs):
    return StyleGAN2Generator(**kwargs)


@MODELS.register('stylegan2_discriminator')
def stylegan2_discriminator(**kwargs):
    return StyleGAN2Discriminator(**kwargs)


__all__ = ['MappingNetwork', 'SynthesisNetwork', 'StyleGAN2Generator',
           'StyleGAN2Discriminator', 'channels_at', 'stylegan2_generator',
           'stylegan2_discriminator', 'feature_peak_ratio']
