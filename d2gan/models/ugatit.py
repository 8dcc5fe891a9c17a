"""U-GAT-IT networks (Kim et al., 2020), as ``networks.py`` of znxlwm/UGATIT-pytorch.

Generator (``ResnetGenerator``)::

    reflect-pad 3, conv 7x7 -> ngf, IN, ReLU          (no conv biases anywhere but the CAM's
    2 x [reflect-pad 1, conv 3x3 stride 2, IN, ReLU]     1x1 conv)
    n_blocks residual blocks at 4 ngf (IN)
    CAM: logits of an auxiliary domain classifier on the global average and max pools;
         the features weighted by each classifier's weights, concatenated, 1x1 conv, ReLU
    gamma, beta = MLP(features)  (``light``: of the pooled features; else of all of them)
    n_blocks residual blocks with AdaILN(gamma, beta)
    2 x [nearest up x2, reflect-pad 1, conv 3x3, ILN, ReLU], reflect-pad 3, conv 7x7, tanh

returning ``(image, cam_logits (N, 2), heatmap (N, 1, h, w))``. The discriminator
(``Discriminator``, ``n_layers`` = 7 global, 5 local): reflect-padded 4x4 convolutions with
spectral norm (stride 2, the last stride 1), the same CAM with spectrally normalised classifier
weights and leaky ReLU, a last 4x4 convolution to one channel; it returns ``(patch logits,
cam_logits, heatmap)``.

**AdaILN / ILN** mix instance and layer normalisation with learned ``rho`` per channel (kept in
[0, 1] by :func:`clip_rho` after every update)::

    x_in = (x - mean_hw) / sqrt(var_hw + eps),  x_ln = (x - mean_chw) / sqrt(var_chw + eps)
    AdaILN(x) = (rho x_in + (1 - rho) x_ln) * gamma + beta    (gamma, beta from the MLP)
    ILN(x)    = the same with learned per-channel gamma, beta

``rho`` starts at 0.9 in AdaILN and 0 in ILN. **Where the references differ**: UGATIT-pytorch
at first computed the variances as ``var(var(x, dim=2), dim=3)`` (the variance of the row
variances) and since commit f7a4b59 (2019-08) as ``torch.var`` over the normalised axes, which
is the *unbiased* (n - 1) variance (``n = H W`` for the instance part, ``C H W`` for the layer
part); the official TensorFlow code (taki0112/UGATIT) uses the biased moments. d2gan follows
TensorFlow by default (the biased variance over the normalised axes): it is what the paper's
equations say. ``unbiased_variance=True`` (of the generator, passed to every ILN and AdaILN)
scales the biased variance by ``n / (n - 1)``, computed as ``1 + 1 / (n - 1)`` from the
pixel count (the sum of a row of ones, in the dtype of ``x``: NDArray or Symbol; a float16
``C H W`` that overflows to inf gives the factor 1, within half precision);
the converted UGATIT-pytorch weights (:mod:`d2gan.pretrained.ugatit`) use it and then give the
reference's output. Parameters and their shapes are UGATIT-pytorch's, so the trainable-parameter
counts are equal (``tests/test_ugatit_models.py``).

The classifier weights enter twice, as in the reference: the logits use the (spectrally
normalised, in D) weight, the feature weighting uses the raw weight. For a ``(1, C)`` weight
the spectral norm is the vector's length, so ``W / sigma`` is computed exactly, without power
iteration. Below 96 px the 7-layer global D's feature map is smaller than its last 4x4
convolution: use fewer layers (``n_layers`` >= 3) for small images.
"""
import mxnet as mx
from mxnet.gluon import nn

from ..nn.walk import walk_blocks
from ..nn.cam_fold import cam_fold
from ..nn import native
from ..nn.native import is_symbolic
from ..nn.channel_ops import affine_rows
from ..nn.norm import InstanceNorm, normalize_rows
from ..nn.padding import ReflectionPad
from ..nn.spectral_norm import SNConv2D
from ..nn.upsample import upsample_nearest2x
from ..registry import MODELS


def _instance_layer_mix(F, x, rho, scale, shift, channels, eps, unbiased=False):
    """``(rho x_in + (1 - rho) x_ln) * scale + shift``; ``rho`` ``(1, C, 1, 1)``, ``scale`` and
    ``shift`` ``(N, C)`` or ``(1, C)``; ``unbiased``: both variances times ``n / (n - 1)``.

    One C++ operator, ``d2gan_instance_layer_norm`` (:mod:`d2gan.nn.native`), where it is
    available: its forward and backward are a few passes over ``x`` (about forty small graph
    operators per layer before, whose per-operator cost dominated U-GAT-IT's small layers);
    else :func:`_instance_layer_mix_moments`. Equal to float rounding
    (``tests/test_ugatit_models.py``, ``tests/test_instance_layer_norm.py``)."""
    if native.available():
        return F.d2gan_instance_layer_norm(x, rho, scale, shift, eps=float(eps),
                                           unbiased=int(bool(unbiased)))
    return _instance_layer_mix_moments(F, x, rho, scale, shift, channels, eps, unbiased)


def _instance_layer_mix_moments(F, x, rho, scale, shift, channels, eps, unbiased=False):
    """:func:`_instance_layer_mix` by graph operators (the fallback, and the route the tests
    compare the C++ operator with).

    Both normalisations are affine in ``x`` per (example, channel), so the whole layer is one
    per-(example, channel) affine map of ``x_in``:
    ``x_ln = (x_in s_nc + m_nc - m_n) / s_n`` (``m``, ``s``: the instance and the layer means and
    standard deviations) gives ``out = x_in A + B`` with ``A`` and ``B`` ``(N, C)`` computed from
    the instance moments (the layer moments are their averages over the channels). ``x_in`` is
    :func:`~d2gan.nn.norm.normalize_rows` of ``x`` viewed as ``(N C, H W)``, the moments are
    two matrix-vector products with a row of ones, and :func:`~d2gan.nn.channel_ops.affine_rows`
    applies ``A``, ``B`` to the rows. This replaces the definition's broadcast operators,
    whose backward is a slow generic reduction on CPU (about half of a U-GAT-IT iteration,
    ``benchmarks/profile_step.py``); a second ``LayerNorm`` for the layer part (on the rows of
    ``(N, C H W)``) measured slower than these moments. The variances are ``E[x^2] - E[x]^2``:
    equal to the definition to float rounding (``tests/test_ugatit_models.py`` compares values
    and gradients in float64)."""
    rows = F.reshape(x, (-3, -1))                                        # (N C, H W)
    x_in = normalize_rows(F, rows, eps)
    ones = F.BlockGrad(F.ones_like(F.slice_axis(rows, axis=0, begin=0, end=1)))  # (1, H W)
    n = F.sum(ones)                                                      # H W, shape (1,)

    def per_channel_mean(values):                                        # -> (N, C)
        return F.reshape(F.broadcast_div(F.dot(values, ones, transpose_b=True), n),
                         (-1, channels))
    mean = per_channel_mean(rows)
    var = F.relu(per_channel_mean(F.square(rows)) - F.square(mean))
    layer_mean = F.mean(mean, axis=1, keepdims=True)                     # (N, 1)
    layer_var = F.relu(F.mean(var + F.square(mean), axis=1, keepdims=True) -
                       F.square(layer_mean))
    std_in = F.sqrt(var + eps)                          # what x_in was divided by
    if unbiased:                                        # k = n / (n - 1) = 1 + 1 / (n - 1)
        div_in = F.sqrt(F.broadcast_mul(var, 1 + 1 / (n - 1)) + eps)
        div_ln = F.sqrt(F.broadcast_mul(layer_var, 1 + 1 / (n * channels - 1)) + eps)
    else:
        div_in, div_ln = std_in, F.sqrt(layer_var + eps)
    rho = F.reshape(rho, (1, -1))                                        # (1, C)
    a, b = F.broadcast_mul(scale, rho), F.broadcast_mul(scale, 1 - rho)
    slope = F.broadcast_mul(b, F.broadcast_div(std_in, div_ln))
    slope = F.broadcast_add(slope, F.broadcast_mul(a, std_in / div_in) if unbiased else a)
    offset = F.broadcast_add(F.broadcast_mul(b, F.broadcast_div(F.broadcast_sub(mean, layer_mean),
                                                               div_ln)), shift)
    return F.reshape_like(affine_rows(F, x_in, F.reshape(slope, (-1,)), F.reshape(offset, (-1,))),
                          x)


class AdaILN(nn.HybridBlock):
    """``(rho x_in + (1 - rho) x_ln) * gamma + beta``, ``gamma``/``beta`` ``(N, C)`` given;
    ``unbiased_variance``: ``torch.var``'s ``n - 1`` variance (UGATIT-pytorch) instead of the
    biased one (TensorFlow)."""

    def __init__(self, num_features, eps=1e-5, unbiased_variance=False, **kwargs):
        super().__init__(**kwargs)
        self.eps, self.unbiased_variance = eps, unbiased_variance
        self.num_features = num_features
        self.rho = self.params.get('rho', shape=(1, num_features, 1, 1),
                                   init=mx.init.Constant(0.9))

    def hybrid_forward(self, F, x, gamma, beta, rho):
        return _instance_layer_mix(F, x, rho, gamma, beta, self.num_features, self.eps,
                                   self.unbiased_variance)


class ILN(nn.HybridBlock):
    """``(rho x_in + (1 - rho) x_ln) * gamma + beta`` with learned ``gamma``, ``beta``;
    ``unbiased_variance`` as :class:`AdaILN`'s."""

    def __init__(self, num_features, eps=1e-5, unbiased_variance=False, **kwargs):
        super().__init__(**kwargs)
        self.eps, self.unbiased_variance = eps, unbiased_variance
        self.num_features = num_features
        shape = (1, num_features, 1, 1)
        self.rho = self.params.get('rho', shape=shape, init='zeros')
        self.gamma = self.params.get('gamma', shape=shape, init='ones')
        self.beta = self.params.get('beta', shape=shape, init='zeros')

    def hybrid_forward(self, F, x, rho, gamma, beta):
        return _instance_layer_mix(F, x, rho, F.reshape(gamma, (1, -1)),
                                   F.reshape(beta, (1, -1)), self.num_features, self.eps,
                                   self.unbiased_variance)


class CAM(nn.HybridBlock):
    """Class activation map attention: ``x -> (features, cam_logits (N, 2), heatmap)``.

    Two one-output classifiers (no bias) on the global average and max pools of ``x``; ``x``
    times each classifier's weight, concatenated, 1x1 conv (with bias), activation; the heatmap
    is the channel sum. ``spectral_norm``: the logits use ``w / ||w||`` (D's classifiers);
    ``use_bias``: the classifiers have a bias (``gap_bias``, ``gmp_bias``; Photo2Cartoon's
    generator), which enters the logits only.

    The weighting, concatenation and 1x1 convolution are linear in ``x``: they run as one 1x1
    convolution of ``x`` with the weight ``W_gap diag(w_gap) + W_gmp diag(w_gmp)`` (``W_gap``,
    ``W_gmp``: the halves of ``conv1x1``'s weight), the same function and gradients without two
    full-size broadcast products and a concatenation; the folded weight is built by
    :func:`d2gan.nn.cam_fold.cam_fold` (one C++ pass each way)."""

    def __init__(self, channels, spectral_norm=False, slope=0.0, use_bias=False, **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm, self.slope = spectral_norm, slope
        self.channels = channels
        with self.name_scope():
            self.gap_weight = self.params.get('gap_weight', shape=(1, channels))
            self.gmp_weight = self.params.get('gmp_weight', shape=(1, channels))
            if use_bias:
                self.gap_bias = self.params.get('gap_bias', shape=(1,), init='zeros')
                self.gmp_bias = self.params.get('gmp_bias', shape=(1,), init='zeros')
            self.conv1x1 = nn.Conv2D(channels, 1, in_channels=2 * channels)

    def _logit(self, F, pooled, weight, bias):
        if self.spectral_norm:
            weight = F.broadcast_div(weight, F.sqrt(F.sum(F.square(weight)) + 1e-12))
        if bias is None:
            return F.FullyConnected(pooled, weight, num_hidden=1, no_bias=True)
        return F.FullyConnected(pooled, weight, bias, num_hidden=1)

    def _weighted_conv(self, F, x, gap_weight, gmp_weight):
        """``conv1x1(concat(x * w_gap, x * w_gmp))`` as one convolution (class docstring)."""
        symbolic = is_symbolic(F)
        conv = self.conv1x1
        weight = conv.weight.var() if symbolic else conv.weight.data(x.context)
        bias = conv.bias.var() if symbolic else conv.bias.data(x.context)
        folded = cam_fold(F, weight, gap_weight, gmp_weight)
        return F.Convolution(x, folded, bias, kernel=(1, 1), num_filter=self.channels)

    def hybrid_forward(self, F, x, gap_weight, gmp_weight, gap_bias=None, gmp_bias=None):
        logits = F.concat(self._logit(F, F.mean(x, axis=(2, 3)), gap_weight, gap_bias),
                          self._logit(F, F.max(x, axis=(2, 3)), gmp_weight, gmp_bias), dim=1)
        h = self._weighted_conv(F, x, gap_weight, gmp_weight)
        h = F.LeakyReLU(h, slope=self.slope) if self.slope else F.Activation(h, act_type='relu')
        return h, logits, F.sum(h, axis=1, keepdims=True)


class ResnetBlock(nn.HybridBlock):
    """``x + [pad, conv 3x3, IN, ReLU, pad, conv 3x3, IN](x)`` (no biases)."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(ReflectionPad(1), nn.Conv2D(dim, 3, use_bias=False, in_channels=dim),
                          InstanceNorm(), nn.Activation('relu'),
                          ReflectionPad(1), nn.Conv2D(dim, 3, use_bias=False, in_channels=dim),
                          InstanceNorm())

    def hybrid_forward(self, F, x):
        return x + self.body(x)


class ResnetAdaILNBlock(nn.HybridBlock):
    """``x + [pad, conv, AdaILN, ReLU, pad, conv, AdaILN](x)`` with the MLP's gamma, beta."""

    def __init__(self, dim, unbiased_variance=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.pad = ReflectionPad(1)
            self.conv1 = nn.Conv2D(dim, 3, use_bias=False, in_channels=dim)
            self.norm1 = AdaILN(dim, unbiased_variance=unbiased_variance)
            self.conv2 = nn.Conv2D(dim, 3, use_bias=False, in_channels=dim)
            self.norm2 = AdaILN(dim, unbiased_variance=unbiased_variance)

    def hybrid_forward(self, F, x, gamma, beta):
        out = F.Activation(self.norm1(self.conv1(self.pad(x)), gamma, beta), act_type='relu')
        return x + self.norm2(self.conv2(self.pad(out)), gamma, beta)


class UGATITGenerator(nn.HybridBlock):
    """``x (N, C, S, S) -> (image, cam_logits (N, 2), heatmap (N, 1, S/4, S/4))``.

    ``unbiased_variance``: every ILN / AdaILN divides by the unbiased (``n - 1``) variance, as
    UGATIT-pytorch's ``torch.var`` (what its converted weights need); the default ``False`` is
    the biased variance of the TensorFlow code and the paper (see the module docstring)."""

    def __init__(self, in_channels=3, out_channels=3, ngf=64, n_blocks=6, img_size=256,
                 light=False, unbiased_variance=False, **kwargs):
        super().__init__(**kwargs)
        if n_blocks < 0 or img_size % 4:
            raise ValueError(f'U-GAT-IT needs n_blocks >= 0 and an img_size divisible by 4, got '
                             f'{n_blocks}, {img_size}')
        self.img_size, self.light, self.in_channels = img_size, light, in_channels
        dim = ngf * 4
        with self.name_scope():
            self.down = nn.HybridSequential()
            self.down.add(ReflectionPad(3),
                          nn.Conv2D(ngf, 7, use_bias=False, in_channels=in_channels),
                          InstanceNorm(), nn.Activation('relu'))
            for mult in (1, 2):
                self.down.add(ReflectionPad(1),
                              nn.Conv2D(ngf * mult * 2, 3, 2, use_bias=False,
                                        in_channels=ngf * mult),
                              InstanceNorm(), nn.Activation('relu'))
            for _ in range(n_blocks):
                self.down.add(ResnetBlock(dim))
            self.cam = CAM(dim)
            fc_in = dim if light else (img_size // 4) ** 2 * dim
            self.fc = nn.HybridSequential()
            self.fc.add(nn.Dense(dim, activation='relu', use_bias=False, in_units=fc_in),
                        nn.Dense(dim, activation='relu', use_bias=False, in_units=dim))
            self.gamma = nn.Dense(dim, use_bias=False, in_units=dim)
            self.beta = nn.Dense(dim, use_bias=False, in_units=dim)
            self.up_blocks = nn.HybridSequential()
            for _ in range(n_blocks):
                self.up_blocks.add(ResnetAdaILNBlock(dim, unbiased_variance))
            self.up = nn.HybridSequential()
            for mult in (4, 2):
                self.up.add(nn.HybridLambda(upsample_nearest2x),
                            ReflectionPad(1),
                            nn.Conv2D(ngf * mult // 2, 3, use_bias=False, in_channels=ngf * mult),
                            ILN(ngf * mult // 2, unbiased_variance=unbiased_variance),
                            nn.Activation('relu'))
            self.up.add(ReflectionPad(3),
                        nn.Conv2D(out_channels, 7, use_bias=False, in_channels=ngf),
                        nn.Activation('tanh'))

    def hybrid_forward(self, F, x):
        x, cam_logits, heatmap = self.cam(self.down(x))
        h = F.mean(x, axis=(2, 3)) if self.light else F.flatten(x)
        h = self.fc(h)
        gamma, beta = self.gamma(h), self.beta(h)
        for block in self.up_blocks._children.values():
            x = block(x, gamma, beta)
        return self.up(x), cam_logits, heatmap


def discriminator_output_size(n_layers, size):
    """Side of an ``n_layers`` discriminator's patch logits for ``size x size`` images."""
    for _ in range(n_layers - 2):
        size = (size + 2 - 4) // 2 + 1                     # reflect-pad 1, 4x4 stride 2
    return size - 2                                          # two reflect-pad 1, 4x4 stride 1


class UGATITDiscriminator(nn.HybridBlock):
    """``x -> (patch logits (N, 1, h, w), cam_logits (N, 2), heatmap)``; ``n_layers`` 7 is
    the global discriminator, 5 the local one."""

    def __init__(self, in_channels=3, ndf=64, n_layers=5, **kwargs):
        super().__init__(**kwargs)
        if n_layers < 3:
            raise ValueError(f'n_layers must be >= 3, got {n_layers}')
        self.n_layers = n_layers
        with self.name_scope():
            self.model = nn.HybridSequential()
            self.model.add(ReflectionPad(1), SNConv2D(ndf, 4, 2, in_channels=in_channels),
                           nn.LeakyReLU(0.2))
            width = ndf
            for _ in range(1, n_layers - 2):
                self.model.add(ReflectionPad(1), SNConv2D(width * 2, 4, 2, in_channels=width),
                               nn.LeakyReLU(0.2))
                width *= 2
            self.model.add(ReflectionPad(1), SNConv2D(width * 2, 4, 1, in_channels=width),
                           nn.LeakyReLU(0.2))
            width *= 2
            self.cam = CAM(width, spectral_norm=True, slope=0.2)
            self.head = nn.HybridSequential()
            self.head.add(ReflectionPad(1), SNConv2D(1, 4, 1, use_bias=False, in_channels=width))

    def output_size(self, size):
        """Side of the patch logits for ``size x size`` images (< 1: too small)."""
        return discriminator_output_size(self.n_layers, size)

    def forward(self, x, *args):
        if isinstance(x, mx.nd.NDArray) and self.output_size(min(x.shape[2:])) < 1:
            smallest = next(s for s in range(4, 1 << 16) if self.output_size(s) >= 1)
            raise ValueError(f'a {self.n_layers}-layer U-GAT-IT discriminator needs images of '
                             f'at least {smallest}x{smallest}, got {tuple(x.shape)}; use fewer '
                             'layers for small images')
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        h, cam_logits, heatmap = self.cam(self.model(x))
        return self.head(h), cam_logits, heatmap


def clip_rho(net, low=0.0, high=1.0):
    """Clip every ``rho`` of ``net``'s (Ada)ILN layers to ``[low, high]``, after each update
    (the reference's ``RhoClipper``)."""
    for name, param in net.collect_params().items():
        if name.endswith('rho'):
            for data in param.list_data():
                data[:] = data.clip(low, high)


def rho_by_layer(generator):
    """``{layer: rho (C,)}`` of a U-GAT-IT (or Photo2Cartoon) generator, in forward order:
    how much of each layer's normalisation is instance norm (1) rather than layer norm (0),
    per channel. Layers are named by their place: ``'block2.norm1'`` (the AdaILN residual
    blocks), ``'up1'`` (the ILN up-sampling layers)."""
    import numpy as np
    norms = [block for block in walk_blocks(generator) if isinstance(block, (AdaILN, ILN))]
    names, ada, up = [], 0, 0
    for block in norms:
        if isinstance(block, AdaILN):
            names.append(f'block{ada // 2 + 1}.norm{ada % 2 + 1}')
            ada += 1
        else:
            up += 1
            names.append(f'up{up}')
    return {name: block.rho.data().asnumpy().reshape(-1).astype(np.float64)
            for name, block in zip(names, norms)}


@MODELS.register('ugatit_generator')
def ugatit_generator(in_channels=3, out_channels=3, ngf=64, n_blocks=6, img_size=256,
                     light=False, unbiased_variance=False):
    return UGATITGenerator(in_channels, out_channels, ngf, n_blocks, img_size, light,
                           unbiased_variance)


@MODELS.register('ugatit_discriminator')
def ugatit_discriminator(in_channels=3, ndf=64, n_layers=5):
    return UGATITDiscriminator(in_channels, ndf, n_layers)


__all__ = ['AdaILN', 'ILN', 'CAM', 'UGATITGenerator', 'UGATITDiscriminator', 'clip_rho',
           'rho_by_layer',
           'discriminator_output_size',
           'ugatit_generator', 'ugatit_discriminator']
