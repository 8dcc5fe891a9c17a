"""Spectral normalisation (Miyato et al., 2018): use ``W / sigma(W)`` instead of ``W``.

``sigma(W)`` is the largest singular value of the weight reshaped to ``(out_channels, -1)``. For
a dense layer that makes the layer 1-Lipschitz. For a convolution it does *not*: the reshaped
kernel's norm is not the operator norm of the convolution, which can exceed it by up to a factor
of ``ceil(k / s)`` for a ``k x k`` kernel with stride ``s`` (each input pixel falls into
``ceil(k / s)^2`` windows). The paper uses the reshaped norm as a cheap proxy that keeps every
layer's gain in check, not as a bound (chapter 3 of the book works this out). ``sigma`` comes from power iteration with a persistent vector
``u``; each *training* forward advances it by one step

    v = normalize(W^T u),   u <- normalize(W v),   sigma = u^T W v,

and back-propagates through ``sigma`` with ``u`` and ``v`` held constant, as the paper does.
Since ``W`` changes slowly, one step per forward keeps ``u`` on the top singular vector.

``u`` is a :class:`~mxnet.gluon.Parameter` with ``grad_req='null'``: it is saved by
``save_parameters`` (and d2gan checkpoints) and restored with the weights, so a resumed run
continues with the same estimate. To update ``u`` inside a *hybridized* graph, where Python
cannot assign, the power-iteration step is a small custom operator that holds ``u`` as an
auxiliary state -- the mechanism by which ``BatchNorm`` updates its running mean; ``sigma``
and its gradient are ordinary operators (with the C++ operators, the step, ``W / sigma`` and
its gradient are one operator, ``d2gan_spectral_norm``; ``d2gan_power_iteration`` is the step
alone, for :func:`spectral_sigma`). They are :mod:`d2gan.nn.native`'s, told the mode by
:func:`training_mode_flag`;
else a Python ``CustomOp``, whose every call goes through Python and an engine thread
(U-GAT-IT and SPADE trained 15-20 % faster with the C++ step). Outside training (predict mode, or
``autograd.record(train_mode=False)``) ``u`` is read and left alone.
"""
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

from . import native

_EPS = 1e-12


def _normalize(F, x):
    return F.broadcast_div(x, F.norm(x) + _EPS)


class _PowerIteration(mx.operator.CustomOp):
    """Returns the stored ``u``; when training, also advances it by one power-iteration step."""

    def forward(self, is_train, req, in_data, out_data, aux):
        w, u = in_data[0], aux[0]
        self.assign(out_data[0], req[0], u)
        if is_train:
            v = _normalize(nd, nd.dot(w, u, transpose_a=True))
            u[:] = _normalize(nd, nd.dot(w, v))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], 0)


@mx.operator.register('d2gan_power_iteration_python')
class _PowerIterationProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ['weight']

    def list_auxiliary_states(self):
        return ['u']

    def infer_shape(self, in_shape):
        rows = in_shape[0][0]
        return in_shape, [(rows,)], [(rows,)]

    def create_operator(self, ctx, shapes, dtypes):
        return _PowerIteration()


def spectral_sigma(F, weight, u, shape_known=True):
    """``sigma(W)`` by one power-iteration step from ``u`` (which advances when training).

    ``v = normalize(W^T u)``, ``u' = normalize(W v)``, ``sigma = u'^T W v``; ``u'`` and ``v`` are
    constants for back-propagation, so ``d sigma / dW = u' v^T``. Works on NDArrays and Symbols.
    The step is the C++ operator ``d2gan_power_iteration`` where :mod:`~d2gan.nn.native` is
    available, else the Python operator above (the same numbers). ``shape_known=False`` (a
    layer whose input size is deferred while its graph is built) takes the Python operator:
    the library API cannot pass on a shape that is only partly known.
    """
    w = F.reshape(weight, (0, -1))
    if native.available() and shape_known:
        v, u_next = _power_step(F, w, u)
        wv = F.dot(w, v)
    else:
        u = F.Custom(F.BlockGrad(w), u, op_type='d2gan_power_iteration_python')
        v = F.BlockGrad(_normalize(F, F.dot(w, u, transpose_a=True)))
        wv = F.dot(w, v)
        u_next = F.BlockGrad(_normalize(F, wv))
    return F.sum(u_next * wv).reshape((1,))


def divide_by_sigma(F, weight, u, shape):
    """``W / sigma(W)`` for a weight of known ``shape``, ``sigma`` by one power-iteration step
    from ``u``: the C++ operator ``d2gan_spectral_norm`` where :mod:`~d2gan.nn.native` is
    available (the step, ``sigma`` and ``W / sigma`` in three passes over ``W``; backward
    ``G / sigma - (sum(G W) / sigma^2) u v^T`` in two; the weight in its own shape, so no
    reshape copies it), else :func:`divide_by_sigma_mxnet`. Both timed by
    ``benchmarks/spectral_norm_weight.py``; equal to float rounding
    (``tests/test_spectral_norm.py``)."""
    if not native.available():
        return divide_by_sigma_mxnet(F, weight, u, shape)
    return F.d2gan_spectral_norm(weight, training_mode_flag(F, u), u)[0]


def divide_by_sigma_mxnet(F, weight, u, shape):
    """:func:`divide_by_sigma` with MXNet's operators: ``W`` times ``1 / sigma`` as the product
    of the ``(K, 1)`` column ``W`` and a ``1 x 1`` matrix, so that both gradients are matrix
    products (the division's gradient of ``sigma`` is a slow generic reduction on CPU)."""
    sigma = spectral_sigma(F, weight, u)
    scaled = F.FullyConnected(F.reshape(weight, (-1, 1)), F.reshape(1 / sigma, (1, 1)),
                              num_hidden=1, no_bias=True)
    return F.reshape(scaled, shape)


def _power_step(F, w, u):
    """``v`` and ``u'`` of one step of the C++ power iteration for the 2-D weight ``w``,
    constants for back-propagation."""
    v, u_next = F.d2gan_power_iteration(F.BlockGrad(w), training_mode_flag(F, u), u)
    return F.BlockGrad(v), F.BlockGrad(u_next)


def training_mode_flag(F, like):
    """A ``(1,)`` array of ``like``'s dtype that is exactly 1 outside training and 0 or 2 in
    training: ``Dropout`` (p = 0.5) of a one -- a stateless MXNet operator that sees the mode a
    graph runs in, which the library API does not tell its operators. Draws one random number
    per call in training."""
    one = F.ones_like(F.slice_axis(like, axis=0, begin=0, end=1))
    return F.BlockGrad(F.Dropout(one, p=0.5))


class _SpectralNormMixin:
    """Adds the ``u`` parameter and the normalised weight to a Gluon layer with ``weight``."""

    def _add_u(self, channels):
        self.u = self.params.get('u', shape=(channels,), init=mx.init.Normal(1.0),
                                 grad_req='null', differentiable=False)

    def _normalized(self, F, weight, u):
        if 0 not in self.weight.shape:
            return divide_by_sigma(F, weight, u, self.weight.shape)
        # shape still deferred: an elementwise division (not broadcast_div), which lets shape
        # inference flow back from the convolution to ``weight``
        sigma = spectral_sigma(F, weight, u, shape_known=False)
        sigma = F.broadcast_add(F.zeros_like(weight),
                                F.reshape(sigma, (1,) * len(self.weight.shape)))
        return weight / sigma

    def normalized_weight(self, ctx=None):
        """``W / sigma(W)`` from the current ``u`` without advancing it (an NDArray).

        Recorded by autograd when called inside ``autograd.record()``, so it can be
        differentiated (the gradient penalty of :mod:`d2gan.penalty` uses it).
        """
        ctx = ctx or self.weight.list_ctx()[0]
        with autograd.predict_mode():
            return self._normalized(nd, self.weight.data(ctx), self.u.data(ctx))

    def sigma(self, ctx=None):
        """The current estimate of the largest singular value of the raw weight (a float)."""
        ctx = ctx or self.weight.list_ctx()[0]
        with autograd.pause(), autograd.predict_mode():
            return float(spectral_sigma(nd, self.weight.data(ctx), self.u.data(ctx)).asscalar())


class SNConv2D(_SpectralNormMixin, nn.Conv2D):
    """``gluon.nn.Conv2D`` with a spectrally normalised weight (same arguments).

    Extra parameter ``u`` of shape ``(channels,)``; see the module docstring.
    """

    def __init__(self, channels, kernel_size, *args, **kwargs):
        super().__init__(channels, kernel_size, *args, **kwargs)
        self._add_u(channels)

    def hybrid_forward(self, F, x, weight, u, bias=None):
        return super().hybrid_forward(F, x, self._normalized(F, weight, u), bias)


class SNDense(_SpectralNormMixin, nn.Dense):
    """``gluon.nn.Dense`` with a spectrally normalised weight (same arguments).

    Extra parameter ``u`` of shape ``(units,)``; see the module docstring.
    """

    def __init__(self, units, *args, **kwargs):
        super().__init__(units, *args, **kwargs)
        self._add_u(units)

    def hybrid_forward(self, F, x, weight, u, bias=None):
        return super().hybrid_forward(F, x, self._normalized(F, weight, u), bias)
