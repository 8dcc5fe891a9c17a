"""Gradient penalties on a critic's input gradient -- WGAN-GP and R1 -- with exact gradients.

* WGAN-GP (Gulrajani et al., 2017): ``lambda * E (||grad_x D(x_hat)||_2 - 1)^2`` on random
  interpolates ``x_hat = eps * x + (1 - eps) * x_fake``, ``eps ~ U[0, 1]`` per example;
* R1 (Mescheder et al., 2018): ``gamma / 2 * E ||grad_x D(x)||^2`` on real images.

**Why this module exists.** Training with such a penalty needs its gradient with respect to the
critic's parameters, i.e. a derivative of a derivative. MXNet 1.9.1 has no second-order
gradients for ``Convolution``, ``LeakyReLU`` or ``Activation`` (apache/mxnet#10002), so
``autograd.grad(..., create_graph=True)`` fails on any real critic.

**Method (exact).** The input gradient ``grad_x D`` is *built from forward operators*, layer by
layer from the output back to the input -- reverse-mode differentiation written out by hand:

==================  =====================================================================
layer               input gradient ``dx`` from the output gradient ``dy``
==================  =====================================================================
Conv2D (W, s, p)    the transposed convolution of ``dy`` with ``W``, written as one ordinary
                    ``Convolution`` with the flipped, transposed sub-kernels of the ``s^2``
                    stride phases, interleaved and cropped in one pass (see
                    :func:`conv2d_input_grad`). ``Deconvolution`` itself cannot be used: on
                    CPU its backward crashes oneDNN for a computed weight and for one output
                    channel; ``Convolution`` works in both cases.
Dense (W)           ``dy W``
LeakyReLU, ReLU     ``dy * m`` with the constant mask ``m = 1 if x > 0 else alpha`` (with the
                    C++ operators ``d2gan_leaky`` / ``d2gan_leaky_mul``: no mask array)
tanh, sigmoid, ...  ``dy * f'(x)`` with ``f'`` written with forward operators
InstanceNorm,       ``(g - mean(g) - x_hat * mean(g * x_hat)) / s`` with ``g = gamma * dy``,
LayerNorm           ``x_hat = (x - mu) / s``, means over the normalised axes (a 4-D instance
                    norm on its rows ``(N C, H W)`` with the C++ row operators: no broadcast
                    whose backward is CPU's slow generic reduction)
SNConv2D, SNDense   as Conv2D / Dense with the normalised weight ``W / sigma(W)``
Equalized conv,     as Conv2D / Dense with the run-time scaled weight (PGGAN, StyleGAN2)
dense
UpFirDn2D           undo the subsampling, the depthwise FIR filter (a one-channel
                    convolution per plane, as above), the padding and the zero insertion
MinibatchStdDev     ``dy`` of the input channels plus, through the group's standard
                    deviation, ``d_g / (G s) * sum(dy_std) / (C H W)`` for every group member
                    (cross-example terms: the batch sum is differentiated, as the references)
AvgPool2D (k, k)    ``dy / k^2`` spread over each window (nearest up-sampling)
residual block,     the input gradients of the branches added, weighted as in the forward
fade-in             pass (StyleGAN2's D; PGGAN's D while a level fades in)
==================  =====================================================================

Every entry is a differentiable forward operator of the input and the parameters (the ReLU
masks are piecewise constant: their derivative is zero wherever it exists), so *ordinary
first-order back-propagation* of the penalty through this graph yields its exact parameter
gradients -- the numbers double back-propagation would give. ``tests/test_penalty.py`` checks
the input gradient against MXNet's own ``autograd.grad`` and every parameter gradient against
central finite differences of the penalty value in float64.

**Cost** of one call: the critic's forward pass, the hand-written backward pass (about one more
backward) and one back-propagation through both (about two backward passes); the construction
runs as one hybridized graph per critic and input shape (:class:`PenaltyGraph`). Measured with
``benchmarks/critic_step.py`` (DCGAN critic, 32x32, batch 64, one CPU thread): the penalty
alone costs 1.3x (ndf=64, layer norm: 316 ms) to 1.7x (ndf=32, no norm: 69 ms) the plain
critic update on 64 real + 64 fake images (246 ms, 40 ms), so a critic update with the penalty
costs 2.3x to 2.7x one without.

**Which critics.** Chains of the layers above, inside ``HybridSequential`` blocks or a critic
class registered with :func:`register_critic` (the model families register their critics:
``DCGANDiscriminator``, ``StarGANDiscriminator``, ``AttGANDiscriminator``,
``StyleGAN2Discriminator``, whose residual block brings its own rule). A critic that scores an
image *for a label*, ``D(x, y)`` (StarGAN v2: one output per domain, the one of ``y`` kept),
takes ``labels=`` in every call; its ``label_head`` says which output is the score. Batch norm
is refused:
it couples the examples whose gradients the penalty treats one by one. A new layer type can be
taught with :func:`register_layer`.
"""
import weakref

import numpy as np
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

from .nn.conv_transpose import interleave_phases, phase_split_kernel
from .nn.upsample import upsample_nearest2x
from .nn import native
from .nn.native import is_symbolic
from .nn.equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, ScaledLeakyReLU
from .nn.spectral_norm import _SpectralNormMixin, _normalize
from .nn.upfirdn import UpFirDn2D, interleave_zeros, pad_or_crop
from .grad_requests import requesting

# --------------------------------------------------------------------------------------------
# Walking the critic: its layers in order.

_CRITICS = {}
_LABEL_HEADS = {}


def register_critic(cls, label_head=None):
    """Decorator: ``fn(net) -> [layers in order]`` tells the penalty how to walk a critic class.

    The layers' composition must equal ``net``'s output up to a reshape (one score or one patch
    of scores per example). A critic called with a label, ``D(x, y)``, that scores example ``n``
    by one of its outputs (StarGAN v2's one output per domain) also gives
    ``label_head(net, F, y, dtype)``: weights of the chain's output (any shape that reshapes to it)
    whose weighted sum per example is that score -- the one-hot code of ``y``.
    """
    if label_head is not None:
        _LABEL_HEADS[cls] = label_head

    def decorator(fn):
        _CRITICS[cls] = fn
        return fn
    return decorator


def label_head_of(net):
    """The ``label_head`` registered for ``net``'s class (a clear error if it takes no label)."""
    for cls in type(net).__mro__:
        if cls in _LABEL_HEADS:
            return _LABEL_HEADS[cls]
    raise TypeError(f'gradient penalty: {type(net).__name__} scores an image without a label; '
                    'call the penalty without labels (or register a label_head for it with '
                    'd2gan.penalty.register_critic)')


def critic_layers(net):
    """The leaf layers of ``net`` in the order its forward pass applies them."""
    for cls in type(net).__mro__:
        if cls in _CRITICS:
            return [leaf for part in _CRITICS[cls](net) for leaf in critic_layers(part)]
    if isinstance(net, (nn.HybridSequential, nn.Sequential)):
        return [leaf for child in net._children.values() for leaf in critic_layers(child)]
    return [net]


# --------------------------------------------------------------------------------------------
# One rule per layer type, written for both NDArrays and Symbols (``g.F``), tracking shapes:
#   forward(g, layer, x, shape) -> (y, y_shape, cache)
#   input_grad(g, layer, cache, dy) -> dx

_RULES = []


def register_layer(layer_type, rule):
    """Teach the penalty a layer type: ``rule`` has ``forward`` and ``input_grad`` (see source).

    ``input_grad`` must be written with forward (first-order differentiable) operators of
    ``g.F`` (``mx.nd`` or ``mx.sym``). Later registrations take precedence, so subclasses can
    be given their own rule.
    """
    _RULES.insert(0, (layer_type, rule))


def _rule_for(layer):
    if isinstance(layer, nn.BatchNorm):
        raise ValueError(
            f'gradient penalty: the critic contains {layer.name} (BatchNorm), which couples the '
            'examples of a batch; build the critic with instance norm, layer norm or no norm '
            "(e.g. DCGANDiscriminator(norm='layer'))")
    for layer_type, rule in _RULES:
        if isinstance(layer, layer_type):
            return rule
    supported = ', '.join(sorted({t.__name__ for t, _ in _RULES}))
    raise TypeError(
        f'gradient penalty: no input-gradient rule for layer {layer.name!r} of type '
        f'{type(layer).__name__}; supported layers: {supported}. Register one with '
        'd2gan.penalty.register_layer, or a critic class with d2gan.penalty.register_critic.')


class _Ops:
    """The operator namespace ``F`` (``nd`` or ``sym``) and how to read a parameter in it."""

    def __init__(self, F, device=None):
        self.F, self.device = F, device

    def param(self, p):
        """``p`` behind ``identity``: the C++ operators write their input gradients whatever the
        request, and :func:`adding_gradients` asks for ``'add'``; ``identity``'s backward
        adds as asked (free in a hybridized graph, where it runs in place)."""
        return self.F.identity(p.var() if is_symbolic(self.F) else p.data(self.device))

    def mul(self, a, b):
        """Product of equal-shaped arrays (``*`` would be the slower ``broadcast_mul``)."""
        return self.F.elemwise_mul(a, b)

    def mean_like(self, x, axes):
        """``mean(x, axes)`` broadcast back to ``x`` (``broadcast_like`` + elementwise operators
        back-propagate 2-3x faster on CPU than ``broadcast_sub`` & co.)."""
        return self.F.broadcast_like(self.F.mean(x, axis=axes, keepdims=True), x)

    def leaky(self, x, slope, gain=1.0):
        """``x * m`` with the constant mask ``m = gain if x > 0 else gain * slope`` (a leaky
        ReLU; ``slope=0``: a ReLU), and what :meth:`masked` needs to multiply by ``m`` again.
        With the C++ operators: ``d2gan_leaky`` and ``d2gan_leaky_mul``, one pass each way
        (``benchmarks/leaky_mul.py``); else ``m`` as an array."""
        slope = float(np.float32(slope))  # MXNet's LeakyReLU holds the slope as a float32
        if native.available():
            attrs = {'slope': repr(slope), 'gain': repr(float(gain))}
            return self.F.d2gan_leaky(x, **attrs), (self.F.BlockGrad(x), attrs)
        mask = self.F.BlockGrad((x > 0) * (1 - slope) + slope)
        mask = mask if gain == 1 else mask * gain
        return self.mul(x, mask), mask

    def masked(self, dy, mask):
        """``dy * m`` for the ``mask`` :meth:`leaky` returned: a constant, its derivative is
        zero wherever it exists."""
        if isinstance(mask, tuple):
            x, attrs = mask
            return self.F.d2gan_leaky_mul(dy, x, **attrs)
        return self.mul(dy, mask)


def _weight(g, layer):
    w = g.param(layer.weight)
    if not isinstance(layer, _SpectralNormMixin):
        return w
    # W / sigma(W) from the stored u, without advancing it (same numbers as the layer's forward)
    F = g.F
    matrix = F.reshape(w, shape=(0, -1))
    v = F.BlockGrad(_normalize(F, F.dot(matrix, g.param(layer.u), transpose_a=True)))
    wv = F.dot(matrix, v)
    sigma = F.sum(F.BlockGrad(_normalize(F, wv)) * wv)
    return F.broadcast_div(w, F.reshape(sigma, shape=(1,) * len(layer.weight.shape)))


def _linear(g, layer, op, x, **kwargs):
    """Convolution / FullyConnected with the layer's (possibly normalised) weight and bias."""
    w = _weight(g, layer)
    if layer.bias is None:
        return getattr(g.F, op)(x, w, no_bias=True, **kwargs), w
    return getattr(g.F, op)(x, w, g.param(layer.bias), no_bias=False, **kwargs), w


def _act_forward(g, layer, y, shape):
    if layer.act is None:
        return y, None
    return _ActivationRule.forward(g, layer.act, y, shape)[::2]


def _act_input_grad(g, layer, cache, dy):
    return dy if layer.act is None else _ActivationRule.input_grad(g, layer.act, cache, dy)


def conv2d_input_grad(F, dy, weight, weight_shape, stride, pad, in_size, dy_size):
    """Input gradient of ``Convolution(x, weight, stride, pad)`` written as a forward convolution.

    With stride ``s``, input position ``u = s q + r - p`` only meets the kernel taps
    ``a = s m + r``: ``dx[s q + r - p] = sum_m W[s m + r] dy[q - m]``. So each of the ``s^2``
    phases ``r`` is a stride-1 convolution of ``dy`` with a flipped sub-kernel; one
    ``Convolution`` computes all phases (stacked as channels) and a reshape-transpose
    interleaves them -- a transposed convolution with no multiplications by inserted zeros.
    Differentiable in ``dy`` and ``weight`` by first-order back-prop; ``F`` is ``nd`` or ``sym``,
    so the shapes (weight ``(O, C, kh, kw)``, input and ``dy`` spatial sizes) are passed in.
    """
    s = stride[0]
    if stride[1] != s:
        raise NotImplementedError(f'gradient penalty: unequal strides {stride} are not supported')
    out_c, in_c, kh, kw = weight_shape
    taps = -(-max(kh, kw) // s)  # sub-kernel size K = ceil(k / s)
    # the transposed convolution maps out_c -> in_c channels with the same weight
    w = phase_split_kernel(F, weight, out_c, in_c, kh, kw, s)
    y = F.Convolution(dy, w, kernel=(taps, taps), pad=(taps - 1, taps - 1),
                      num_filter=s * s * in_c, no_bias=True)
    # the interleaved phases cover s (dy + K - 1) rows; input row u is row u + pad of them, and
    # input rows past them (no window reaches them) have zero gradient: a negative cut
    grid = [s * (m + taps - 1) for m in dy_size]
    crop = (pad[0], pad[1], grid[0] - pad[0] - in_size[0], grid[1] - pad[1] - in_size[1])
    if s > 1:  # interleave the phases (what depth_to_space does, faster on CPU) and crop
        return interleave_phases(F, y, s, in_c, crop)
    if any(crop):
        y = F.slice(y, begin=(None, None, pad[0], pad[1]),
                    end=(None, None, pad[0] + in_size[0], pad[1] + in_size[1]))
    return y


class _Conv2DRule:
    @staticmethod
    def forward(g, layer, x, shape):
        kw = layer._kwargs
        if kw.get('layout', 'NCHW') != 'NCHW' or tuple(kw['dilate']) != (1, 1) \
                or kw['num_group'] != 1 or len(shape) != 4:
            raise NotImplementedError(
                f'gradient penalty: {layer.name} needs layout NCHW, dilate 1 and 1 group')
        y, w = _linear(g, layer, 'Convolution', x, kernel=kw['kernel'], stride=kw['stride'],
                       pad=kw['pad'], num_filter=kw['num_filter'])
        out = shape[:1] + (kw['num_filter'],) + tuple(
            (n + 2 * p - k) // s + 1
            for n, p, k, s in zip(shape[2:], kw['pad'], kw['kernel'], kw['stride']))
        y, act = _act_forward(g, layer, y, out)
        return y, out, (w, shape, out, act)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        w, shape, out, act = cache
        dy = _act_input_grad(g, layer, act, dy)
        kw = layer._kwargs
        weight_shape = (kw['num_filter'], shape[1]) + tuple(kw['kernel'])
        return conv2d_input_grad(g.F, dy, w, weight_shape, kw['stride'], kw['pad'], shape[2:],
                                 out[2:])


class _DenseRule:
    @staticmethod
    def forward(g, layer, x, shape):
        y, w = _linear(g, layer, 'FullyConnected', x, num_hidden=layer._units,
                       flatten=layer._flatten)
        out = (shape[0], layer._units) if layer._flatten else shape[:-1] + (layer._units,)
        y, act = _act_forward(g, layer, y, out)
        return y, out, (w, shape, act)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        w, shape, act = cache
        dx = g.F.dot(_act_input_grad(g, layer, act, dy), w)
        return g.F.reshape(dx, shape=shape) if layer._flatten else dx


class _LeakyReLURule:
    @staticmethod
    def forward(g, layer, x, shape):
        # x * mask equals MXNet's LeakyReLU in float32, and unlike its kernel (whose negative
        # branch is rounded to float32) it is exact in float64.
        y, mask = g.leaky(x, layer._alpha)
        return y, shape, mask

    @staticmethod
    def input_grad(g, layer, mask, dy):
        return g.masked(dy, mask)


class _ActivationRule:
    """relu, sigmoid, tanh, softrelu; the derivative of the smooth ones stays differentiable."""

    @staticmethod
    def forward(g, layer, x, shape):
        kind = layer._act_type
        y = g.F.Activation(x, act_type=kind)
        if kind == 'relu':
            return y, shape, g.leaky(x, 0.0)[1]
        if kind in ('sigmoid', 'tanh'):
            return y, shape, y
        if kind == 'softrelu':
            return y, shape, g.F.sigmoid(x)
        raise NotImplementedError(f'gradient penalty: activation {kind!r} is not supported')

    @staticmethod
    def input_grad(g, layer, cache, dy):
        kind = layer._act_type
        if kind == 'sigmoid':
            return g.mul(dy, g.mul(cache, 1 - cache))
        if kind == 'tanh':
            return g.mul(dy, 1 - g.mul(cache, cache))
        if kind == 'relu':
            return g.masked(dy, cache)
        return g.mul(dy, cache)  # softrelu's sigmoid


class _NormRule:
    """Instance norm (per example and channel over H, W) and layer norm (over ``axis``).

    A 4-D instance norm runs on the rows ``(N C, H W)`` where the C++ operators are available
    (:func:`_rows_forward`); otherwise, and for layer norm, with broadcast operators."""

    @staticmethod
    def _axes(layer, ndim):
        axis = layer._axis % ndim
        if isinstance(layer, nn.InstanceNorm):
            if axis != 1:
                raise NotImplementedError('gradient penalty: InstanceNorm needs axis=1')
            return tuple(range(2, ndim)), 1
        return (axis,), axis

    @staticmethod
    def _affine(g, param, x, shape, axis):
        view = [1] * len(shape)
        view[axis] = shape[axis]
        return g.F.broadcast_like(g.F.reshape(g.param(param), shape=tuple(view)), x)

    @classmethod
    def forward(cls, g, layer, x, shape):
        axes, axis = cls._axes(layer, len(shape))
        # MXNet's kernels hold eps as a float32 (1e-5 -> 9.99999975e-06); so do we, to match.
        eps = float(np.float32(layer._epsilon))
        if isinstance(layer, nn.InstanceNorm) and len(shape) == 4 and native.available():
            return _rows_forward(g, layer, x, shape, eps)
        F = g.F
        centred = F.elemwise_sub(x, g.mean_like(x, axes))
        variance = F.mean(g.mul(centred, centred), axis=axes, keepdims=True)
        inv_std = F.broadcast_like(1 / F.sqrt(variance + eps), x)
        x_hat = g.mul(centred, inv_std)
        gamma = cls._affine(g, layer.gamma, x, shape, axis)
        y = F.elemwise_add(g.mul(x_hat, gamma), cls._affine(g, layer.beta, x, shape, axis))
        return y, shape, (x_hat, inv_std, gamma, axes)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        if isinstance(cache, _Rows):
            return _rows_input_grad(g, cache, dy)
        x_hat, inv_std, gamma, axes = cache
        F = g.F
        dy = g.mul(dy, gamma)
        centred = F.elemwise_sub(dy, g.mean_like(dy, axes))
        return g.mul(F.elemwise_sub(centred, g.mul(x_hat, g.mean_like(g.mul(dy, x_hat), axes))),
                     inv_std)


class _Rows:
    """What the rows route of an instance norm keeps for its input gradient."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def _rows_forward(g, layer, x, shape, eps):
    """Instance norm of ``x`` ``(N, C, H, W)`` on its rows ``(N C, H W)`` with the channel's
    scale and shift: one operator each way, ``d2gan_rows_norm_affine`` (as
    :class:`d2gan.nn.AffineInstanceNorm`). The broadcast route computes the same function, but
    its ``broadcast_like`` back-propagates through a slow generic reduction on CPU."""
    F = g.F
    n, c, h, w = shape
    rows = F.reshape(x, shape=(n * c, h * w))
    gamma = g.param(layer.gamma)                                            # (C,): rows n C + c
    y = F.d2gan_rows_norm_affine(rows, gamma, g.param(layer.beta), eps=eps)
    return F.reshape(y, shape=shape), shape, _Rows(rows=rows, gamma=gamma, eps=eps, shape=shape)


def _rows_input_grad(g, r, dy):
    """``dx = inv_std (d - mean(d) - x_hat mean(d x_hat))`` with ``d = gamma dy``, row by row:
    ``d2gan_rows_norm_grad``, whose backward is this formula's derivative in ``x``, ``dy`` and
    ``gamma`` (:func:`_rows_forward`)."""
    F = g.F
    n, c, h, w = r.shape
    dx = F.d2gan_rows_norm_grad(r.rows, F.reshape(dy, shape=(n * c, h * w)), r.gamma, eps=r.eps)
    return F.reshape(dx, shape=r.shape)


class _FlattenRule:
    @staticmethod
    def forward(g, layer, x, shape):
        return g.F.flatten(x), (shape[0], int(np.prod(shape[1:]))), shape

    @staticmethod
    def input_grad(g, layer, shape, dy):
        return g.F.reshape(dy, shape=shape)


class _EqualizedConvRule:
    """Equalized-lr convolution: the stored weight times its run-time scale."""

    @staticmethod
    def forward(g, layer, x, shape):
        F = g.F
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        w = g.param(layer.weight) * layer.scale
        if layer.bias is None:
            y = F.Convolution(x, w, kernel=(k, k), stride=(s, s), pad=(p, p),
                              num_filter=layer.channels, no_bias=True)
        else:
            y = F.Convolution(x, w, g.param(layer.bias) * layer.bias_mult, kernel=(k, k),
                              stride=(s, s), pad=(p, p), num_filter=layer.channels)
        out = shape[:1] + (layer.channels,) + tuple((n + 2 * p - k) // s + 1 for n in shape[2:])
        return y, out, (w, shape, out)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        w, shape, out = cache
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        return conv2d_input_grad(g.F, dy, w, (layer.channels, shape[1], k, k), (s, s), (p, p),
                                 shape[2:], out[2:])


class _EqualizedDenseRule:
    @staticmethod
    def forward(g, layer, x, shape):
        w = g.param(layer.weight) * layer.scale
        if layer.bias is None:
            y = g.F.FullyConnected(x, w, num_hidden=layer.units, no_bias=True, flatten=True)
        else:
            y = g.F.FullyConnected(x, w, g.param(layer.bias) * layer.bias_mult,
                                   num_hidden=layer.units, flatten=True)
        return y, (shape[0], layer.units), (w, shape)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        w, shape = cache
        return g.F.reshape(g.F.dot(dy, w), shape=shape)


class _ScaledLeakyReLURule:
    @staticmethod
    def forward(g, layer, x, shape):
        if layer.slope == 1:
            return (x if layer.gain == 1 else x * layer.gain), shape, None
        y, mask = g.leaky(x, layer.slope, layer.gain)
        return y, shape, mask

    @staticmethod
    def input_grad(g, layer, mask, dy):
        if mask is None:
            return dy if layer.gain == 1 else dy * layer.gain
        return g.masked(dy, mask)


class _UpFirDnRule:
    """Zero insertion, pad / crop, depthwise FIR filter, subsampling. The depthwise filter's
    input gradient is that of a one-channel convolution of every (example, channel) plane."""

    @staticmethod
    def forward(g, layer, x, shape):
        F = g.F
        n, c, h, w = shape
        up, (before, after) = layer.up, layer.pad
        y = pad_or_crop(F, interleave_zeros(F, x, up), before, after)
        padded = tuple(up * m + before + after for m in (h, w))
        kernel = g.param(layer.kernel)
        y = F.Convolution(y, kernel, kernel=(layer.size, layer.size),
                          stride=(layer.down, layer.down), num_filter=c, num_group=c,
                          no_bias=True)
        out = (n, c) + tuple((m - layer.size) // layer.down + 1 for m in padded)
        return y, out, (kernel, shape, padded, out)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        F = g.F
        kernel, (n, c, h, w), padded, out = cache
        planes = F.expand_dims(F.reshape(dy, shape=(-3, -2)), axis=1)      # (N*C, 1, h, w)
        one = F.slice_axis(kernel, axis=0, begin=0, end=1)                   # (1, 1, k, k)
        dx = conv2d_input_grad(F, planes, one, (1, 1, layer.size, layer.size),
                               (layer.down, layer.down), (0, 0), padded, out[2:])
        dx = F.reshape(dx, shape=(n, c) + padded)
        before, after = layer.pad
        dx = pad_or_crop(F, dx, -before, -after)                            # undo the padding
        if layer.up > 1:                                                    # the inserted zeros
            dx = F.slice(dx, begin=(None, None, 0, 0), end=(None, None, None, None),
                         step=(None, None, layer.up, layer.up))
        return dx


class _AvgPoolRule:
    """2x2 (``k x k``, stride ``k``, no padding) average pooling: ``dy`` spread over each window."""

    @staticmethod
    def forward(g, layer, x, shape):
        kw = layer._kwargs
        k, s = tuple(kw['kernel']), tuple(kw['stride'])
        if k[0] != k[1] or s != k or tuple(kw['pad']) != (0, 0) or len(shape) != 4:
            raise NotImplementedError('gradient penalty: average pooling needs a square '
                                      'kernel, stride = kernel and no padding')
        y = g.F.Pooling(x, kernel=k, stride=s, pool_type='avg')
        return y, shape[:2] + tuple(n // k[0] for n in shape[2:]), (k[0], shape)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        k, shape = cache
        dx = (upsample_nearest2x(g.F, dy, 0.25) if k == 2 else
              g.F.UpSampling(dy, scale=k, sample_type='nearest') * (1.0 / (k * k)))
        if shape[2] % k or shape[3] % k:   # rows and columns no window reaches: zero
            dx = g.F.pad(dx, mode='constant',
                         pad_width=(0, 0, 0, 0, 0, shape[2] % k, 0, shape[3] % k))
        return dx


class _MinibatchStdDevRule:
    """``[x, std]``: the std feature of group ``m`` depends on every member's input, so its
    gradient has cross-example terms -- the references differentiate the batch sum, as here."""

    @staticmethod
    def forward(g, layer, x, shape):
        F = g.F
        n, c, h, w = shape
        k = layer.group_size
        y = F.reshape(x, shape=(k, n // k, c, h, w))
        d = F.broadcast_sub(y, F.mean(y, axis=0, keepdims=True))
        std = F.sqrt(F.mean(F.square(d), axis=0) + layer.epsilon)          # (M, C, H, W)
        feature = F.mean(std, axis=(1, 2, 3), keepdims=True)                # (M, 1, 1, 1)
        feature = F.broadcast_like(F.tile(feature, reps=(k, 1, 1, 1)),
                                   F.slice_axis(x, axis=1, begin=0, end=1))
        return F.concat(x, feature, dim=1), (n, c + 1, h, w), (d, std, shape)

    @staticmethod
    def input_grad(g, layer, cache, dy):
        F = g.F
        d, std, (n, c, h, w) = cache
        k = layer.group_size
        dfeature = F.reshape(F.slice_axis(dy, axis=1, begin=c, end=c + 1),
                             shape=(k, n // k, 1, h, w))
        dfeature = F.sum(dfeature, axis=(0, 2, 3, 4), keepdims=True)        # (1, M, 1, 1, 1)
        through = F.broadcast_mul(F.broadcast_div(d, F.expand_dims(std, axis=0)), dfeature)
        through = F.reshape(through, shape=(n, c, h, w)) * (1.0 / (k * c * h * w))
        return F.slice_axis(dy, axis=1, begin=0, end=c) + through


for _type, _rule in [(nn.Conv2D, _Conv2DRule), (nn.Dense, _DenseRule),
                     (nn.LeakyReLU, _LeakyReLURule), (nn.Activation, _ActivationRule),
                     (nn.InstanceNorm, _NormRule), (nn.LayerNorm, _NormRule),
                     (nn.Flatten, _FlattenRule), (EqualizedConv2D, _EqualizedConvRule),
                     (EqualizedDense, _EqualizedDenseRule),
                     (ScaledLeakyReLU, _ScaledLeakyReLURule), (UpFirDn2D, _UpFirDnRule),
                     (MinibatchStdDev, _MinibatchStdDevRule), (nn.AvgPool2D, _AvgPoolRule)]:
    register_layer(_type, _rule)


# --------------------------------------------------------------------------------------------
# The input gradient, as NDArrays or inside one hybridized graph.

def chain_forward(g, layers, x, shape):
    """Run a chain of layers through their rules: ``(y, shape, steps)``; a composite layer's
    rule (a residual block) calls it for each branch."""
    steps = []
    for layer in layers:
        rule = _rule_for(layer)
        x, shape, cache = rule.forward(g, layer, x, shape)
        steps.append((layer, rule, cache))
    return x, shape, steps


def chain_input_grad(g, steps, dy):
    """The input gradient of a chain run by :func:`chain_forward`, from its output's ``dy``."""
    for layer, rule, cache in reversed(steps):
        dy = rule.input_grad(g, layer, cache, dy)
    return dy


def _input_grad(g, layers, x, shape, head=None):
    """``head``: weights of the chain's output for a labelled critic; else every output element
    weighs ``1 / elements per example`` (the score is the mean)."""
    h, shape, steps = chain_forward(g, layers, x, shape)
    if head is None:
        per_example = int(np.prod(shape[1:]))
        grad = g.F.BlockGrad(g.F.ones_like(h)) * (1.0 / per_example)
    else:
        grad = g.F.BlockGrad(g.F.reshape_like(head, h))
    return chain_input_grad(g, steps, grad), h


def critic_input_gradient(net_D, x, labels=None):
    """``grad_x D(x)`` of the per-example score, built from forward operators (NDArrays).

    The score of an example is ``D``'s output averaged over its elements (one logit, or the mean
    of a patch), as :mod:`d2gan.losses` uses it; with ``labels``, the output of each example's
    label (``D(x, y)``, a critic registered with a ``label_head``). Called inside
    ``autograd.record()`` the result is differentiable with respect to ``net_D``'s parameters
    (and ``x``) by ordinary back-prop. The penalties run the same construction as one hybridized
    graph (:class:`PenaltyGraph`).

    Returns ``(grad, out)``: the gradient (shape of ``x``) and the chain's raw output.
    """
    head = None if labels is None else label_head_of(net_D)(net_D, nd, labels,
                                                            np.dtype(x.dtype).name)
    return _input_grad(_Ops(nd, x.context), critic_layers(net_D), x, x.shape, head)


def _squared_norms(F, grad):
    return F.sum(F.square(F.reshape(grad, shape=(0, -1))), axis=1)


class PenaltyGraph(nn.HybridBlock):
    """``x -> (terms, norms)`` for one critic and one input shape, hybridized into one graph.

    ``terms(F, grad)`` gives the per-example penalty, ``norms`` is ``||grad_x D(x)||`` per
    example. The critic's parameters are *shared* (the same ``Parameter`` objects), so
    back-propagating ``terms`` writes into ``net_D``'s gradients. Running the few hundred small
    operators of the construction as one cached graph removes their per-operator overhead.
    """

    def __init__(self, net_D, terms, shape, dtype='float32', **kwargs):
        super().__init__(**kwargs)
        self._critic = weakref.ref(net_D)  # not a child: hybridizing here must not touch it
        self._terms, self._shape, self._dtype = terms, tuple(shape), dtype
        for layer in critic_layers(net_D):  # shared: bound by name in the cached graph (only
            self.params.update(layer.collect_params())  # the walked layers: a second head unused)

    def hybrid_forward(self, F, x, labels=None):
        g = _Ops(F, None if is_symbolic(F) else x.context)
        critic = self._critic()
        head = None if labels is None else label_head_of(critic)(critic, F, labels,
                                                                 self._dtype)
        grad, _ = _input_grad(g, critic_layers(critic), x, self._shape, head)
        norms = F.sqrt(_squared_norms(F, grad) + 1e-12)
        return self._terms(F, grad, norms), F.BlockGrad(norms)


def gradient_norm(net_D, x):
    """``||grad_x D(x)||_2`` per example, shape ``(N,)``, for monitoring (e.g. plotted in training).

    Uses MXNet's own first-order ``autograd.grad`` (works for any critic), writes no parameter
    gradients and runs the critic in predict mode, so spectral-norm vectors do not move.
    """
    x = x.copy()
    x.attach_grad()
    with autograd.record(train_mode=False):
        out = net_D(x)
        score = out.reshape((out.shape[0], -1)).mean(axis=1).sum()
    grad = autograd.grad(score, [x], train_mode=False)[0]
    return nd.sqrt(_squared_norms(nd, grad) + 1e-12)


def interpolate(real, fake):
    """``eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per example (MXNet's RNG)."""
    with autograd.pause():
        shape = (real.shape[0],) + (1,) * (real.ndim - 1)
        eps = nd.random.uniform(shape=shape, ctx=real.context, dtype=real.dtype)
        return nd.broadcast_mul(eps, real) + nd.broadcast_mul(1 - eps, fake.detach())


def adding_gradients(net, ctx, params=None):
    """Back-propagation inside the block *adds* into ``net``'s gradients on ``ctx``
    (``params``: ``net``'s parameters, where the caller keeps them; else they are collected).

    The parameters' arrays are marked with the request ``'add'``
    (:func:`d2gan.grad_requests.requesting`: the same gradient buffers, so nothing is copied or
    zeroed; a parameter the backward pass does not reach keeps its gradient exactly) and marked
    back with their own request on exit. Saving, zeroing and re-adding every gradient instead
    costs three small operators per parameter. The C++ operators write their gradients whatever
    the request, so the penalty's graph reads every parameter through ``identity``
    (:meth:`_Ops.param`; ``tests/test_penalty_adds.py``).
    """
    return requesting(net.collect_params().values() if params is None else params, 'add', ctx)


class InputGradientPenalty:
    """A penalty on ``grad_x D`` at some points; subclasses choose the points and the term.

    ``penalty(net_D, real, fake, labels=None)`` (the contract of :class:`d2gan.GANStep`;
    ``labels`` for a critic called as ``D(x, y)``) returns the penalty summed over the batch
    (an NDArray scalar, weight included) and *adds* its exact parameter
    gradients into ``net_D``'s ``.grad()`` arrays, on top of the D loss's gradients already there.
    ``last_norms`` keeps ``||grad_x D||`` per example of the latest call, for monitoring.
    """

    hybridize = True  # False: run the same construction operator by operator (for debugging)

    def points(self, real, fake):
        raise NotImplementedError

    def terms(self, F, grad, norms):
        """Per-example penalty (weight included), shape ``(N,)``; ``F`` is ``nd`` or ``sym``."""
        raise NotImplementedError

    def _graph(self, net_D, x, labelled=False):
        graphs = self.__dict__.setdefault('_graphs', {})
        key = (id(net_D), x.shape, np.dtype(x.dtype).name, labelled)
        if key not in graphs or graphs[key][0] is not net_D:
            graph = PenaltyGraph(net_D, self.terms, x.shape, np.dtype(x.dtype).name)
            if self.hybridize:
                graph.hybridize()
            graphs[key] = (net_D, graph)
        return graphs[key][1]

    def value(self, net_D, x, labels=None):
        """The penalty at the points ``x``, summed over the batch (differentiable if recorded);
        ``labels``: the label of each example for a critic called as ``D(x, y)``."""
        graph = self._graph(net_D, x, labels is not None)
        terms, self.last_norms = graph(x) if labels is None else graph(x, labels)
        return terms.sum()

    def _params(self, net_D):
        """``net_D``'s parameters, collected once per critic (walking the blocks is Python
        time on every update)."""
        known = self.__dict__.setdefault('_critic_params', {})
        if id(net_D) not in known or known[id(net_D)][0] is not net_D:
            known[id(net_D)] = (net_D, list(net_D.collect_params().values()))
        return known[id(net_D)][1]

    def __call__(self, net_D, real, fake=None, labels=None):
        x = self.points(real, fake)
        with adding_gradients(net_D, x.context, self._params(net_D)):
            with autograd.record():
                total = self.value(net_D, x, labels)
            total.backward()
        return total.detach()


class GradientPenalty(InputGradientPenalty):
    """WGAN-GP: ``weight * sum_i (||grad_x D(x_hat_i)||_2 - target)^2`` on interpolates.

    ``x_hat = eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per example; ``weight``
    is the paper's lambda = 10. See the module docstring for the exact method and its cost.
    """

    def __init__(self, weight=10.0, target=1.0):
        self.weight, self.target = weight, target

    def points(self, real, fake):
        if fake is None:
            raise ValueError('GradientPenalty needs fake images to interpolate with')
        return interpolate(real, fake)

    def terms(self, F, grad, norms):
        return self.weight * F.square(norms - self.target)

    def __repr__(self):
        return f'GradientPenalty(weight={self.weight}, target={self.target})'


class R1Penalty(InputGradientPenalty):
    """R1: ``gamma / 2 * sum_i ||grad_x D(x_i)||^2`` on real images (``fake`` is ignored)."""

    def __init__(self, gamma=10.0):
        self.gamma = gamma

    def points(self, real, fake):
        return real

    def terms(self, F, grad, norms):
        return 0.5 * self.gamma * _squared_norms(F, grad)

    def __repr__(self):
        return f'R1Penalty(gamma={self.gamma})'


__all__ = ['GradientPenalty', 'R1Penalty', 'InputGradientPenalty', 'PenaltyGraph',
           'critic_input_gradient', 'gradient_norm', 'interpolate', 'critic_layers',
           'register_critic', 'register_layer', 'conv2d_input_grad', 'chain_forward',
           'chain_input_grad', 'label_head_of']
