"""StyleGAN2's path length regularization with exact gradients in MXNet 1.x.

The regularizer (Karras et al., 2020) asks that a fixed-size step in W moves the image by a
fixed amount, whatever the direction: with ``y ~ N(0, I) / sqrt(H W)``,

    ``J^T y = grad_ws <G(ws), y>``,  ``a = EMA of ||J^T y||``,  ``L_pl = (||J^T y|| - a)^2``

(``||.||``: the root of the mean over the ``num_ws`` latents of each one's squared norm, as the
reference). Training needs ``L_pl``'s gradient with respect to G's parameters, a derivative of
a derivative, which MXNet 1.9.1 does not have. As for the critic's penalties
(:mod:`d2gan.penalty`), ``J^T y`` is therefore *written with forward operators*: the synthesis
network is run forward keeping what each layer needs, then its vector-Jacobian product is
built layer by layer from ``y`` back to the styles. For one modulated layer, with styles
``s``, weight ``W``, ``u = conv(x * s, W)``, demodulation ``d = (s^2 W2^T + 1e-8)^(-1/2)``
(``W2 = sum_k W^2``) and ``a = u * d + noise + b``, ``out = lrelu(a) sqrt(2)``:

    ``da = dout * mask``, ``du = da * d``, ``dd = sum_hw da * u``,
    ``dx = convT(du, W) * s``, ``ds = sum_hw convT(du, W) * x - s * ((dd d^3) W2)``,
    ``dw = ds A`` (the affine layer's scaled weight).

Every quantity is an ordinary forward operator of the parameters, so first-order
back-propagation of ``L_pl`` through this graph gives its exact parameter gradients
(``tests/test_path_length.py`` checks them against central finite differences in float64).
The same noise must reach the forward pass and the construction: both draw it in the same
order from MXNet's generator.
"""
import math

import numpy as np
from mxnet import nd

from ..nn.channel_ops import scale_channels
from ..penalty import _Ops, chain_forward, chain_input_grad, conv2d_input_grad

SQRT2 = math.sqrt(2)


def _scale(x, s):
    """``x`` ``(N, C, H, W)`` times ``s`` ``(N, C)`` per example and channel: the modulation's
    fast route (:func:`~d2gan.nn.channel_ops.scale_channels`; a broadcast product's backward
    is CPU's slow generic reduction)."""
    return scale_channels(nd, x, s, x.shape[2] * x.shape[3])


def _affine(g, dense, w):
    """``(styles, scaled weight)`` of an equalized dense layer."""
    weight = g.param(dense.weight) * dense.scale
    styles = nd.FullyConnected(w, weight, g.param(dense.bias) * dense.bias_mult,
                               num_hidden=dense.units)
    return styles, weight


def _layer_forward(g, layer, x, w):
    if layer.layer != 'v2':
        raise NotImplementedError("path length regularization is written for layer='v2'")
    s, A = _affine(g, layer.affine, w)
    W = g.param(layer.weight)
    xs = _scale(x, s)
    resample = None
    if layer.up > 1:
        xr, shape, resample = chain_forward(g, [layer.resample], xs, xs.shape)
        Wc, pad, conv_in = nd.flip(W, axis=(2, 3)), 0, xr
    else:
        Wc, pad, conv_in = W, 1, xs
    u = nd.Convolution(conv_in, Wc, kernel=(3, 3), pad=(pad, pad), num_filter=W.shape[0],
                       no_bias=True)
    W2 = nd.sum(nd.square(W), axis=(2, 3))
    d = nd.rsqrt(nd.dot(nd.square(s), W2, transpose_b=True) + 1e-8)
    strength = g.param(layer.noise_strength) if layer.use_noise else None
    a = layer._add_noise_and_bias(nd, _scale(u, d), g.param(layer.bias), strength)
    out, mask = g.leaky(a, 0.2, SQRT2)          # lrelu(a) sqrt(2)
    return out, (x, s, A, W, Wc, W2, d, u, mask, conv_in.shape, pad, resample)


def _layer_vjp(g, layer, cache, dout):
    """``(dx, dw)`` of one modulated layer from its output gradient."""
    x, s, A, W, Wc, W2, d, u, mask, conv_shape, pad, resample = cache
    da = g.masked(dout, mask)
    du = _scale(da, d)
    dd = nd.sum(da * u, axis=(2, 3))
    dconv = conv2d_input_grad(nd, du, Wc, Wc.shape, (1, 1), (pad, pad), conv_shape[2:],
                              du.shape[2:])
    dxs = chain_input_grad(g, resample, dconv) if resample is not None else dconv
    dx = _scale(dxs, s)
    dP = dd * nd.power(d, 3) * -0.5
    ds = nd.sum(dxs * x, axis=(2, 3)) + 2 * s * nd.dot(dP, W2)
    return dx, nd.dot(ds, A)


def _torgb_forward(g, torgb, x, w):
    s, A = _affine(g, torgb.affine, w)
    s = s * torgb.weight_gain
    W = g.param(torgb.weight)
    y = nd.Convolution(_scale(x, s), W, g.param(torgb.bias),
                       kernel=(1, 1), num_filter=W.shape[0])
    return y, (x, s, A, W)


def _torgb_vjp(torgb, cache, dy):
    x, s, A, W = cache
    dxs = conv2d_input_grad(nd, dy, W, W.shape, (1, 1), (0, 0), x.shape[2:], dy.shape[2:])
    ds = nd.sum(dxs * x, axis=(2, 3)) * torgb.weight_gain
    return _scale(dxs, s), nd.dot(ds, A)


def synthesis_vjp(synthesis, ws, y):
    """``(images, J^T y)``: the synthesis network's output for ``ws`` ``(N, num_ws, w_dim)``
    and the gradient of ``sum(images * y)`` with respect to ``ws``, built from forward
    operators (differentiable in the parameters by first-order back-prop)."""
    g = _Ops(nd, ws.context)
    x = img = None
    steps, start = [], 0
    for block in synthesis.blocks:
        w = [ws[:, start + i] for i in range(block.num_conv + 1)]
        if block.first:
            const = g.param(block.const)
            x = nd.broadcast_mul(nd.ones((ws.shape[0], 1, 1, 1), ctx=ws.context,
                                         dtype=ws.dtype), const.expand_dims(0))
            layers = [block.conv1]
        else:
            layers = [block.conv0, block.conv1]
        caches = []
        for layer, wi in zip(layers, w):
            x, cache = _layer_forward(g, layer, x, wi)
            caches.append(cache)
        rgb, rgb_cache = _torgb_forward(g, block.torgb, x, w[-1])
        up = None
        if not block.first:
            upped, _, up = chain_forward(g, [block.img_up], img, img.shape)
            rgb = upped + rgb
        img = rgb
        steps.append((block, start, layers, caches, rgb_cache, up))
        start += block.num_conv
    dws = [None] * synthesis.num_ws
    dimg, dx = y, None
    for block, start, layers, caches, rgb_cache, up in reversed(steps):
        dx_rgb, dw_rgb = _torgb_vjp(block.torgb, rgb_cache, dimg)
        dx = dx_rgb if dx is None else dx + dx_rgb
        _add(dws, start + len(layers), dw_rgb)
        for i in range(len(layers) - 1, -1, -1):
            dx, dw = _layer_vjp(g, layers[i], caches[i], dx)
            _add(dws, start + i, dw)
        if up is not None:
            dimg = chain_input_grad(g, up, dimg)
    return img, nd.stack(*dws, axis=1)


def _add(grads, index, value):
    grads[index] = value if grads[index] is None else grads[index] + value


def path_lengths(synthesis, ws, y):
    """``||J^T y||`` per example: ``sqrt(mean over latents of the squared norm)``."""
    _, dws = synthesis_vjp(synthesis, ws, y)
    return nd.sqrt(nd.mean(nd.sum(nd.square(dws), axis=2), axis=1))


class PathLengthPenalty:
    """``weight * mean((||J^T y|| - a)^2)`` with ``a`` the running mean of the lengths
    (``decay`` 0.01 per call), ``y ~ N(0, 1) / sqrt(H W)`` fresh each call (the reference's
    ``pl_weight`` 2 and ``pl_decay`` 0.01). Call inside ``autograd.record()``."""

    def __init__(self, weight=2.0, decay=0.01):
        self.weight, self.decay, self.mean = weight, decay, 0.0

    def __call__(self, synthesis, ws, image_shape):
        h, w = image_shape[-2:]
        y = nd.random.normal(shape=image_shape, ctx=ws.context, dtype=ws.dtype)
        y = y / math.sqrt(h * w)
        lengths = path_lengths(synthesis, ws, y)
        batch_mean = float(lengths.mean().asscalar())
        self.mean += (batch_mean - self.mean) * self.decay
        return self.weight * nd.mean(nd.square(lengths - self.mean)), lengths.detach()

    def state_dict(self):
        return {'pl_mean': np.array(self.mean)}

    def load_state_dict(self, state):
        self.mean = float(state['pl_mean'])


__all__ = ['synthesis_vjp', 'path_lengths', 'PathLengthPenalty']
