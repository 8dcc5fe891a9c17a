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
                    stride phases, interleaved by ``depth_to_space`` (see
                    :func:`conv2d_input_grad`). ``Deconvolution`` itself cannot be used: on
                    CPU its backward crashes oneDNN for a computed weight and for one output
                    channel; ``Convolution`` works in both cases.
Dense (W)           ``dy W``
LeakyReLU, ReLU     ``dy * m`` with the constant mask ``m = 1 if x > 0 else alpha``
tanh, sigmoid, ...  ``dy * f'(x)`` with ``f'`` written with forward operators
InstanceNorm,       ``(g - mean(g) - x_hat * mean(g * x_hat)) / s`` with ``g = gamma * dy``,
LayerNorm           ``x_hat = (x - mu) / s``, means over the normalised axes
SNConv2D, SNDense   as Conv2D / Dense with the normalised weight ``W / sigma(W)``
==================  =====================================================================

Every entry is a differentiable forward operator of the input and the parameters (the ReLU
masks are piecewise constant: their derivative is zero wherever it exists), so *ordinary
first-order back-propagation* of the penalty through this graph yields its exact parameter
gradients -- the numbers double back-propagation would give. ``tests/test_penalty.py`` checks
the input gradient against MXNet's own ``autograd.grad`` and every parameter gradient against
central finite differences of the penalty value in float64.

**Cost** of one call: the critic's forward pass, the hand-written backward pass (about one more
backward) and one back-propagation through both (about two backward passes) -- roughly 2-3x
the cost of the plain D-loss forward/backward on the same batch; ``benchmarks/critic_step.py``
measures it (see its docstring for the numbers).

**Which critics.** Chains of the layers above, inside ``HybridSequential`` blocks or a critic
class registered with :func:`register_critic` (``DCGANDiscriminator`` is). Batch norm is refused:
it couples the examples whose gradients the penalty treats one by one. A new layer type can be
taught with :func:`register_layer`.
"""
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn

from .models.dcgan import DCGANDiscriminator
from .nn.spectral_norm import _SpectralNormMixin

# --------------------------------------------------------------------------------------------
# Walking the critic: its layers in order.

_CRITICS = {}


def register_critic(cls):
    """Decorator: ``fn(net) -> [layers in order]`` tells the penalty how to walk a critic class.

    The layers' composition must equal ``net``'s output up to a reshape (one score or one patch
    of scores per example).
    """
    def decorator(fn):
        _CRITICS[cls] = fn
        return fn
    return decorator


@register_critic(DCGANDiscriminator)
def _dcgan_layers(net):
    return [net.body]  # the trailing reshape to (N,) does not change the per-example score


def critic_layers(net):
    """The leaf layers of ``net`` in the order its forward pass applies them."""
    for cls in type(net).__mro__:
        if cls in _CRITICS:
            return [leaf for part in _CRITICS[cls](net) for leaf in critic_layers(part)]
    if isinstance(net, (nn.HybridSequential, nn.Sequential)):
        return [leaf for child in net._children.values() for leaf in critic_layers(child)]
    return [net]


# --------------------------------------------------------------------------------------------
# One rule per layer type: forward(layer, x) -> (y, cache); input_grad(layer, cache, dy) -> dx.

_RULES = []


def register_layer(layer_type, rule):
    """Teach the penalty a layer type: ``rule`` has ``forward`` and ``input_grad`` (see source).

    ``input_grad`` must be written with forward (first-order differentiable) operators.
    Later registrations take precedence, so subclasses can be given their own rule.
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


def _weight(layer, ctx):
    if isinstance(layer, _SpectralNormMixin):
        return layer.normalized_weight(ctx)
    return layer.weight.data(ctx)


def _bias(layer, ctx):
    return None if layer.bias is None else layer.bias.data(ctx)


def _act_forward(layer, y):
    if layer.act is None:
        return y, None
    return _ActivationRule.forward(layer.act, y)


def _act_input_grad(layer, cache, dy):
    return dy if layer.act is None else _ActivationRule.input_grad(layer.act, cache, dy)


def conv2d_input_grad(dy, weight, stride, pad, in_size):
    """Input gradient of ``Convolution(x, weight, stride, pad)`` written as a forward convolution.

    With stride ``s``, input position ``u = s q + r - p`` only meets the kernel taps
    ``a = s m + r``: ``dx[s q + r - p] = sum_m W[s m + r] dy[q - m]``. So each of the ``s^2``
    phases ``r`` is a stride-1 convolution of ``dy`` with a flipped sub-kernel; one
    ``Convolution`` computes all phases (stacked as channels) and ``depth_to_space``
    interleaves them -- a transposed convolution with no multiplications by inserted zeros.
    Differentiable in ``dy`` and ``weight`` by first-order back-prop.
    """
    s = stride[0]
    if stride[1] != s:
        raise NotImplementedError(f'gradient penalty: unequal strides {stride} are not supported')
    out_c, in_c, kh, kw = weight.shape
    taps = -(-max(kh, kw) // s)  # sub-kernel size K = ceil(k / s)
    w = nd.transpose(weight, (1, 0, 2, 3))  # (C, O, k, k)
    if s * taps != kh or s * taps != kw:  # zero taps at the end so that k = s K
        w = nd.pad(w.reshape((1, in_c * out_c, kh, kw)), mode='constant',
                   pad_width=(0, 0, 0, 0, 0, s * taps - kh, 0, s * taps - kw))
    w = w.reshape((in_c, out_c, taps, s, taps, s)).transpose((3, 5, 0, 1, 2, 4))
    w = nd.flip(w, axis=(4, 5)).reshape((s * s * in_c, out_c, taps, taps))
    y = nd.Convolution(dy, w, kernel=(taps, taps), pad=(taps - 1, taps - 1),
                       num_filter=s * s * in_c, no_bias=True)
    rows = [-(-(p + n) // s) for p, n in zip(pad, in_size)]
    y = nd.slice(y, begin=(None, None, 0, 0), end=(None, None, rows[0], rows[1]))
    if s > 1:
        y = nd.depth_to_space(y, s)
    short = [max(p + n - m, 0) for p, n, m in zip(pad, in_size, y.shape[2:])]
    if any(short):  # input rows no window reaches have zero gradient
        y = nd.pad(y, mode='constant', pad_width=(0, 0, 0, 0, 0, short[0], 0, short[1]))
    return nd.slice(y, begin=(None, None, pad[0], pad[1]),
                    end=(None, None, pad[0] + in_size[0], pad[1] + in_size[1]))


class _Conv2DRule:
    @staticmethod
    def forward(layer, x):
        kw = layer._kwargs
        if kw.get('layout', 'NCHW') != 'NCHW' or tuple(kw['dilate']) != (1, 1) \
                or kw['num_group'] != 1:
            raise NotImplementedError(
                f'gradient penalty: {layer.name} needs layout NCHW, dilate 1 and 1 group')
        w, b = _weight(layer, x.context), _bias(layer, x.context)
        args = (x, w) if b is None else (x, w, b)
        y = nd.Convolution(*args, kernel=kw['kernel'], stride=kw['stride'], pad=kw['pad'],
                           num_filter=kw['num_filter'], no_bias=b is None)
        y, act = _act_forward(layer, y)
        return y, (w, x.shape[2:], act)

    @staticmethod
    def input_grad(layer, cache, dy):
        w, in_size, act = cache
        dy = _act_input_grad(layer, act, dy)
        kw = layer._kwargs
        return conv2d_input_grad(dy, w, kw['stride'], kw['pad'], in_size)


class _DenseRule:
    @staticmethod
    def forward(layer, x):
        w, b = _weight(layer, x.context), _bias(layer, x.context)
        args = (x, w) if b is None else (x, w, b)
        y = nd.FullyConnected(*args, num_hidden=layer._units, flatten=layer._flatten,
                              no_bias=b is None)
        y, act = _act_forward(layer, y)
        return y, (w, x.shape, act)

    @staticmethod
    def input_grad(layer, cache, dy):
        w, in_shape, act = cache
        dy = _act_input_grad(layer, act, dy)
        dx = nd.dot(dy, w)
        return dx.reshape(in_shape) if layer._flatten else dx


def _mask(x, slope):
    slope = float(np.float32(slope))  # MXNet's LeakyReLU holds the slope as a float32
    with autograd.pause():  # a constant: its derivative is zero wherever it exists
        return (x > 0) * (1 - slope) + slope


class _LeakyReLURule:
    @staticmethod
    def forward(layer, x):
        # x * mask equals MXNet's LeakyReLU in float32, and unlike its kernel (whose negative
        # branch is rounded to float32) it is exact in float64.
        mask = _mask(x, layer._alpha)
        return _mul(x, mask), mask

    @staticmethod
    def input_grad(layer, mask, dy):
        return _mul(dy, mask)


class _ActivationRule:
    """relu, sigmoid, tanh, softrelu; the derivative of the smooth ones stays differentiable."""

    @staticmethod
    def forward(layer, x):
        kind = layer._act_type
        y = nd.Activation(x, act_type=kind)
        if kind == 'relu':
            return y, _mask(x, 0.0)
        if kind in ('sigmoid', 'tanh'):
            return y, y
        if kind == 'softrelu':
            return y, nd.sigmoid(x)
        raise NotImplementedError(f'gradient penalty: activation {kind!r} is not supported')

    @staticmethod
    def input_grad(layer, cache, dy):
        kind = layer._act_type
        if kind == 'sigmoid':
            return _mul(dy, _mul(cache, 1 - cache))
        if kind == 'tanh':
            return _mul(dy, 1 - _mul(cache, cache))
        return _mul(dy, cache)  # relu mask, softrelu's sigmoid


def _mul(a, b):
    """Product of equal-shaped arrays (``*`` would use the slower ``broadcast_mul``)."""
    return nd.elemwise_mul(a, b)


def _mean_like(x, axes):
    """``mean(x, axes)`` broadcast back to ``x``'s shape (``broadcast_like`` and elementwise
    operators back-propagate 2-3x faster on CPU than ``broadcast_sub`` & co.)."""
    return nd.broadcast_like(nd.mean(x, axis=axes, keepdims=True), x)


class _NormRule:
    """Instance norm (per example and channel over H, W) and layer norm (over ``axis``)."""

    @staticmethod
    def _axes(layer, x):
        axis = layer._axis % x.ndim
        if isinstance(layer, nn.InstanceNorm):
            if axis != 1:
                raise NotImplementedError('gradient penalty: InstanceNorm needs axis=1')
            return tuple(range(2, x.ndim)), 1
        return (axis,), axis

    @staticmethod
    def _affine(param, x, axis):
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        return nd.broadcast_like(param.data(x.context).reshape(shape), x)

    @classmethod
    def forward(cls, layer, x):
        axes, axis = cls._axes(layer, x)
        # MXNet's kernels hold eps as a float32 (1e-5 -> 9.99999975e-06); so do we, to match.
        eps = float(np.float32(layer._epsilon))
        centred = nd.elemwise_sub(x, _mean_like(x, axes))
        inv_std = nd.broadcast_like(
            1 / nd.sqrt(nd.mean(_mul(centred, centred), axis=axes, keepdims=True) + eps), x)
        x_hat = _mul(centred, inv_std)
        gamma = cls._affine(layer.gamma, x, axis)
        y = nd.elemwise_add(_mul(x_hat, gamma), cls._affine(layer.beta, x, axis))
        return y, (x_hat, inv_std, gamma, axes)

    @staticmethod
    def input_grad(layer, cache, dy):
        x_hat, inv_std, gamma, axes = cache
        g = _mul(dy, gamma)
        centred = nd.elemwise_sub(g, _mean_like(g, axes))
        return _mul(nd.elemwise_sub(centred, _mul(x_hat, _mean_like(_mul(g, x_hat), axes))),
                    inv_std)


class _FlattenRule:
    @staticmethod
    def forward(layer, x):
        return x.reshape((x.shape[0], -1)), x.shape

    @staticmethod
    def input_grad(layer, shape, dy):
        return dy.reshape(shape)


for _type, _rule in [(nn.Conv2D, _Conv2DRule), (nn.Dense, _DenseRule),
                     (nn.LeakyReLU, _LeakyReLURule), (nn.Activation, _ActivationRule),
                     (nn.InstanceNorm, _NormRule), (nn.LayerNorm, _NormRule),
                     (nn.Flatten, _FlattenRule)]:
    register_layer(_type, _rule)


# --------------------------------------------------------------------------------------------
# The input gradient and the penalties.

def critic_input_gradient(net_D, x):
    """``grad_x D(x)`` of the per-example score, built from forward operators.

    The score of an example is ``D``'s output averaged over its elements (one logit, or the mean
    of a patch), as :mod:`d2gan.losses` uses it. Called inside ``autograd.record()`` the result is
    differentiable with respect to ``net_D``'s parameters (and ``x``) by ordinary back-prop.

    Returns ``(grad, out)``: the gradient (shape of ``x``) and ``D``'s raw output.
    """
    steps, h = [], x
    for layer in critic_layers(net_D):
        rule = _rule_for(layer)
        h, cache = rule.forward(layer, h)
        steps.append((layer, rule, cache))
    with autograd.pause():
        grad = nd.full(h.shape, 1.0 / (h.size // h.shape[0]), ctx=h.context, dtype=h.dtype)
    for layer, rule, cache in reversed(steps):
        grad = rule.input_grad(layer, cache, grad)
    return grad, h


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
    return _norms(grad)


def interpolate(real, fake):
    """``eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per example (MXNet's RNG)."""
    with autograd.pause():
        shape = (real.shape[0],) + (1,) * (real.ndim - 1)
        eps = nd.random.uniform(shape=shape, ctx=real.context, dtype=real.dtype)
        return nd.broadcast_mul(eps, real) + nd.broadcast_mul(1 - eps, fake.detach())


def _norms(grad):
    return nd.sqrt(nd.sum(grad.reshape((grad.shape[0], -1)) ** 2, axis=1) + 1e-12)


class InputGradientPenalty:
    """A penalty on ``grad_x D`` at some points; subclasses choose the points and the term.

    ``penalty(net_D, real, fake)`` (the contract of :class:`d2gan.GANStep`) returns the penalty
    summed over the batch (an NDArray scalar, weight included) and *adds* its exact parameter
    gradients into ``net_D``'s ``.grad()`` arrays, on top of the D loss's gradients already there.
    ``last_norms`` keeps ``||grad_x D||`` per example of the latest call, for monitoring.
    """

    def points(self, real, fake):
        raise NotImplementedError

    def terms(self, grad):
        """Per-example penalty (weight included), shape ``(N,)``."""
        raise NotImplementedError

    def value(self, net_D, x):
        """The penalty at the points ``x``, summed over the batch (differentiable if recorded)."""
        grad, _ = critic_input_gradient(net_D, x)
        with autograd.pause():
            self.last_norms = _norms(grad.detach())
        return self.terms(grad).sum()

    def __call__(self, net_D, real, fake=None):
        x = self.points(real, fake)
        ctx = x.context
        params = [p for p in net_D.collect_params().values() if p.grad_req != 'null']
        saved = [p.grad(ctx).copy() for p in params]
        for p in params:  # parameters the penalty does not reach must keep exactly `saved`
            p.grad(ctx)[:] = 0
        with autograd.record():
            total = self.value(net_D, x)
        total.backward()
        for p, grad in zip(params, saved):
            p.grad(ctx)[:] += grad
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

    def terms(self, grad):
        return self.weight * (_norms(grad) - self.target) ** 2

    def __repr__(self):
        return f'GradientPenalty(weight={self.weight}, target={self.target})'


class R1Penalty(InputGradientPenalty):
    """R1: ``gamma / 2 * sum_i ||grad_x D(x_i)||^2`` on real images (``fake`` is ignored)."""

    def __init__(self, gamma=10.0):
        self.gamma = gamma

    def points(self, real, fake):
        return real

    def terms(self, grad):
        return 0.5 * self.gamma * nd.sum(grad.reshape((grad.shape[0], -1)) ** 2, axis=1)

    def __repr__(self):
        return f'R1Penalty(gamma={self.gamma})'


__all__ = ['GradientPenalty', 'R1Penalty', 'InputGradientPenalty', 'critic_input_gradient',
           'gradient_norm', 'interpolate', 'critic_layers', 'register_critic', 'register_layer',
           'conv2d_input_grad']
