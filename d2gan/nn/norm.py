"""The normalisation layers the image-to-image networks share, chosen by name.

``norm_layer(norm, channels)`` gives ``'batch'`` (Gluon's BatchNorm), ``'instance'`` (no
parameters, PyTorch's ``affine=False``) or ``'none'``; :class:`AffineInstanceNorm` is Gluon's
``nn.InstanceNorm`` with the same parameters, computed faster on CPU. Both instance norms
normalise the rows ``(N C, H W)`` (:func:`normalize_instances`): by the C++ operator of
:mod:`d2gan.nn.native` where it is available, else by MXNet's fused ``LayerNorm``.
"""
from mxnet.gluon import nn

from . import native

NORMS = ('batch', 'instance', 'none')


class InstanceNorm(nn.HybridBlock):
    """Instance normalisation *without* learnable scale/shift (PyTorch ``affine=False``).

    Each channel of each image is normalised by its own spatial mean and (biased) variance.
    Gluon's ``nn.InstanceNorm`` always owns gamma/beta; this block has no parameters at all.
    Computed on the rows of ``x`` viewed as ``(N C, H W)`` (:func:`normalize_rows`).
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self._epsilon = epsilon

    def hybrid_forward(self, F, x):
        return normalize_instances(F, x, self._epsilon)


def normalize_instances(F, x, epsilon):
    """Each channel of each image of ``x`` (N, C, H, W) to zero mean and unit variance: the rows
    of ``x`` viewed as ``(N C, H W)`` by :func:`normalize_rows`."""
    return F.reshape_like(normalize_rows(F, F.reshape(x, (-3, -1)), epsilon), x)


def normalize_rows(F, rows, epsilon):
    """Every row of the 2-D ``rows`` to zero mean and unit (biased) variance: the C++ operator
    ``d2gan_rows_norm`` (:mod:`d2gan.nn.native`; forward + backward 2.2-3.3x faster than the
    ``LayerNorm`` route at the book's shapes, ``benchmarks/instance_norm.py``) where it is
    available, else :func:`normalize_rows_layernorm`. Equal to 1e-6
    (``tests/test_rows_norm.py``)."""
    if native.available():
        return F.d2gan_rows_norm(rows, eps=float(epsilon))
    return normalize_rows_layernorm(F, rows, epsilon)


def normalize_rows_layernorm(F, rows, epsilon):
    """:func:`normalize_rows` through MXNet's fused ``LayerNorm`` with unit scale and zero
    shift (the fallback, and the reference the tests compare with)."""
    ones = F.BlockGrad(F.ones_like(F.slice_axis(rows, axis=0, begin=0, end=1)))
    ones = F.reshape(ones, (-1,))
    return F.LayerNorm(rows, ones, ones * 0, axis=-1, eps=epsilon)


class AffineInstanceNorm(nn.InstanceNorm):
    """Gluon's ``nn.InstanceNorm`` (the same ``gamma``/``beta`` parameters, names and options),
    computed faster on CPU: the rows ``(N C, H W)`` normalised and scaled and shifted per
    channel by one C++ operator, ``d2gan_rows_norm_affine`` (:mod:`.native`), where it is
    available, else :func:`normalize_instances` and the scale and shift as a depthwise 1x1
    convolution (oneDNN; its backward is ~15x faster than that of broadcast operators); values
    and gradients agree with Gluon's ``InstanceNorm`` to 1e-4 (``tests/test_nn.py``).
    Needs ``in_channels``. Used by StarGAN, StarGAN v2 and the AttGAN/STGAN discriminator."""

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False, in_channels=0, **kwargs):
        if axis != 1 or not in_channels:
            raise ValueError('AffineInstanceNorm needs axis=1 and in_channels > 0')
        super().__init__(axis, epsilon, center, scale, in_channels=in_channels, **kwargs)
        self._channels = in_channels

    def hybrid_forward(self, F, x, gamma, beta):
        if native.available():              # gamma[c], beta[c] for the rows n C + c
            rows = F.d2gan_rows_norm_affine(F.reshape(x, (-3, -1)), gamma, beta,
                                            eps=float(self._epsilon))
            return F.reshape_like(rows, x)
        y = normalize_instances(F, x, self._epsilon)
        return F.Convolution(y, F.reshape(gamma, (-1, 1, 1, 1)), beta, kernel=(1, 1),
                             num_filter=self._channels, num_group=self._channels)


def check_norm(norm):
    if norm not in NORMS:
        raise ValueError(f'unknown norm {norm!r}: use ' + ', '.join(repr(n) for n in NORMS))
    return norm


def norm_layer(norm, channels):
    """``'batch'``: BatchNorm (momentum 0.9 = PyTorch's 0.1); ``'instance'``; ``'none'``: None."""
    if check_norm(norm) == 'batch':
        return nn.BatchNorm(in_channels=channels)
    if norm == 'instance':
        return InstanceNorm()
    return None


def conv_bias(norm):
    """Convolutions followed by batch norm need no bias (its beta is one)."""
    return check_norm(norm) != 'batch'


def add_layers(seq, *layers):
    """``seq.add`` every layer that is not ``None`` (``norm_layer('none', c)`` is ``None``)."""
    for layer in layers:
        if layer is not None:
            seq.add(layer)


class VectorBatchNorm(nn.BatchNorm):
    """Gluon's ``BatchNorm`` (same parameters and options) for ``(N, C)`` features, computed on
    their ``(N, C, 1, 1)`` view. oneDNN's batch norm in MXNet 1.9.1 crashes (segmentation fault)
    on a 2-D input once it has run on a convolution's ``(N, C, 1, 1)`` output of the same
    ``N, C`` (MobileFaceNet's last norm, after its depthwise 7x7 conv); the 4-D view is the
    same computation (``tests/test_faceid.py``)."""

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        y = super().hybrid_forward(F, F.reshape(x, shape=(0, 0, 1, 1)), gamma, beta,
                                   running_mean, running_var)
        return F.flatten(y)

