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
Conv2D (W, s, p)    ``Convolution(dilate_s(dy), flip(W^T), pad=k-1-p)``: the transposed
                    convolution, written as an ordinary convolution over the stride-dilated
                    ``dy`` with the flipped, transposed weight. (``Deconvolution`` itself
                    cannot be used: on CPU its backward crashes oneDNN for a computed weight
                    and for one output channel; ``Convolution`` works in both cases.)
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


def _const(value, like):
    return nd.array(value, ctx=like.context, dtype=like.dtype)


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


def dilate(dy, stride):
    """Insert ``stride - 1`` zeros after every row and column of ``dy`` (N, C, H, W)."""
    sh, sw = stride
    if (sh, sw) == (1, 1):
        return dy
    n, c, h, w = dy.shape
    with autograd.pause():
        pattern = np.zeros((1, 1, 1, sh, 1, sw), dtype=dy.dtype)
        pattern[..., 0, :, 0] = 1
        pattern = _const(pattern, dy)
    return nd.broadcast_mul(dy.reshape((n, c, h, 1, w, 1)), pattern).reshape((n, c, h * sh, w * sw))


def conv2d_input_grad(dy, weight, stride, pad, in_size):
    """Input gradient of ``Convolution(x, weight, stride, pad)`` as a forward convolution.

    ``dx[u] = sum_a W[a] z[u + p - a]`` with ``z`` the stride-dilated ``dy``: a correlation of
    ``z`` padded by ``k - 1 - p`` with the flipped, transposed weight. Differentiable in both
    ``dy`` and ``weight`` with first-order back-prop.
    """
    k = weight.shape[2:]
    lengths = [n + 2 * p - kk + 1 for n, p, kk in zip(in_size, pad, k)]
    back_pad = [kk - 1 - p for p, kk in zip(pad, k)]
    if min(back_pad) < 0:
        raise NotImplementedError(f'gradient penalty: convolution padding {pad} larger than '
                                  f'kernel {k} minus one is not supported')
    z = dilate(dy, stride)
    z = nd.slice(z, begin=(None, None, 0, 0), end=(None, None, lengths[0], lengths[1]))
    flipped = nd.flip(nd.transpose(weight, (1, 0, 2, 3)), axis=(2, 3))
    return nd.Convolution(z, flipped, kernel=k, pad=tuple(back_pad), num_filter=weight.shape[1],
                          no_bias=True)


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
    with autograd.pause():  # a constant: its derivative is zero wherever it exists
        return (x > 0) * (1 - slope) + slope


class _LeakyReLURule:
    @staticmethod
    def forward(layer, x):
        return nd.LeakyReLU(x, act_type='leaky', slope=layer._alpha), _mask(x, layer._alpha)

    @staticmethod
    def input_grad(layer, mask, dy):
        return dy * mask


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
            return dy * cache * (1 - cache)
        if kind == 'tanh':
            return dy * (1 - cache * cache)
        return dy * cache  # relu mask, softrelu's sigmoid


def _normalize(x, axes, eps):
    mean = nd.mean(x, axis=axes, keepdims=True)
    centred = nd.broadcast_sub(x, mean)
    std = nd.sqrt(nd.mean(centred * centred, axis=axes, keepdims=True) + eps)
    return nd.broadcast_div(centred, std), std


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
    def _gamma(layer, x, axis):
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        return layer.gamma.data(x.context).reshape(shape), \
            layer.beta.data(x.context).reshape(shape)

    @classmethod
    def forward(cls, layer, x):
        axes, axis = cls._axes(layer, x)
        gamma, beta = cls._gamma(layer, x, axis)
        x_hat, std = _normalize(x, axes, layer._epsilon)
        y = nd.broadcast_add(nd.broadcast_mul(x_hat, gamma), beta)
        return y, (x_hat, std, gamma, axes)

    @staticmethod
    def input_grad(layer, cache, dy):
        x_hat, std, gamma, axes = cache
        g = nd.broadcast_mul(dy, gamma)
        mean_g = nd.mean(g, axis=axes, keepdims=True)
        mean_gx = nd.mean(g * x_hat, axis=axes, keepdims=True)
        return nd.broadcast_div(
            nd.broadcast_sub(g, mean_g) - nd.broadcast_mul(x_hat, mean_gx), std)


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
           'conv2d_input_grad', 'dilate']
