"""Per-channel operations written with operators whose backward is fast on CPU.

MXNet's broadcast operators back-propagate into their smaller operand with a generic reduction
that is slow on CPU: in U-GAT-IT, PGGAN, StyleGAN2 and SPADE it took 12-25 % of a training
iteration (``benchmarks/profile_step.py``). The same functions through ``batch_dot`` (whose
backward is a batched matrix product), 1x1 convolutions and ``L2Normalization`` are 2-4x
faster forward + backward and equal to float rounding (``tests/test_channel_ops.py``).
:func:`affine_rows` runs the C++ operator ``d2gan_rows_affine`` (:mod:`d2gan.nn.native`) where
it is available.
"""
from . import native


def scale_channels(F, x, scale, pixels=None):
    """``x`` ``(N, C, H, W)`` times ``scale`` ``(N, C)``: every channel of every example by
    its own factor (AdaIN-style styles, StyleGAN2's modulation).

    ``pixels = H * W`` (static in a layer): the scale is expanded to ``(N C, H W)`` by a
    ``FullyConnected`` outer product with a row of ones, then multiplied elementwise; the
    backward of that product is a matrix-vector product. About 1.7x faster forward + backward
    than the ``batch_dot`` route at StyleGAN2's (32, 32, 32, 32), within 15 % of one bare
    elementwise product (``benchmarks/stylegan2_ops.py``). ``pixels=None`` (any spatial size):
    a ``batch_dot`` of ``(N C, 1, 1)`` and ``(N C, 1, H W)``."""
    if pixels is None:
        y = F.batch_dot(F.reshape(scale, (-3, 1, 1)), F.reshape(x, (-3, 1, -1)))
        return F.reshape_like(y, x)
    one = F.ones_like(F.reshape(F.slice_axis(F.reshape(scale, (-1,)), axis=0, begin=0, end=1),
                                (1, 1)))                   # scale's dtype, in any mode
    ones = F.BlockGrad(F.broadcast_to(one, shape=(pixels, 1)))
    expanded = F.FullyConnected(F.reshape(scale, (-3, 1)), ones, num_hidden=pixels,
                                no_bias=True)                               # (N C, H W)
    return x * F.reshape_like(expanded, x)


def affine_rows(F, rows, scale, shift):
    """``rows * scale + shift`` row by row: ``rows`` ``(R, L)`` (``(N C, H W)``), ``scale`` and
    ``shift`` ``(R,)``, one pair per row -- AdaIN's and AdaILN's per-(example, channel) styles applied to the
    normalised rows. The C++ operator ``d2gan_rows_affine`` (one pass forward, one backward)
    where it is available, else a ``batch_dot`` of ``(R, 1, 2)`` ``[scale, shift]`` with
    ``(R, 2, L)`` ``[rows; 1]``. Equal to float rounding (``tests/test_channel_ops.py``).

    The rows must be computed, not a leaf with ``grad_req='add'``: the operators of MXNet's
    library API always *write* their input gradients (:func:`~d2gan.nn.padding.reflect_pad`)."""
    if native.available():
        return F.d2gan_rows_affine(rows, scale, shift)
    return affine_rows_batch_dot(F, rows, scale, shift)


def affine_rows_batch_dot(F, rows, scale, shift):
    """:func:`affine_rows` by one ``batch_dot`` (the fallback; U-GAT-IT's route before the C++
    operator)."""
    coefficients = F.reshape(F.stack(scale, shift, axis=1), (-1, 1, 2))     # (R, 1, 2)
    terms = F.stack(rows, F.ones_like(rows), axis=1)                        # (R, 2, L)
    return F.reshape(F.batch_dot(coefficients, terms), (0, -1))


def pixel_norm(F, x, channels, epsilon=1e-8, vectors=False):
    """``x / sqrt(mean over the channels of x^2 + epsilon)`` at every position of ``x``
    ``(N, C, H, W)`` (``vectors=True``: of every row of ``x`` ``(N, C)``); ``channels`` is
    ``C``.

    Feature maps: the mean of ``x^2`` over the channels is a 1x1 convolution to one channel
    (weights ``1/C``), and ``1/sqrt(. + epsilon)`` goes back to the ``C`` channels by a 1x1
    convolution with weights 1, then multiplies ``x``: oneDNN convolutions, whose backward is a
    matrix product -- forward + backward 1.5-6x faster than ``L2Normalization``'s channel
    mode (``benchmarks/pixel_norm.py``). Rows: ``L2Normalization`` (``sqrt(sum x^2 +
    C epsilon)``) times ``sqrt(C)``."""
    if vectors:
        return F.L2Normalization(x, mode='instance', eps=epsilon * channels) * (channels ** 0.5)
    one = F.slice_axis(F.slice_axis(F.slice_axis(x, axis=0, begin=0, end=1), axis=2, begin=0,
                                    end=1), axis=3, begin=0, end=1)
    ones = F.BlockGrad(F.ones_like(one))                                   # (1, C, 1, 1)
    mean_square = F.Convolution(F.square(x), ones * (1.0 / channels), kernel=(1, 1),
                                num_filter=1, no_bias=True)                # (N, 1, H, W)
    scale = F.Convolution(F.rsqrt(mean_square + epsilon), F.reshape(ones, shape=(-1, 1, 1, 1)),
                          kernel=(1, 1), num_filter=channels, no_bias=True)  # (N, C, H, W)
    return F.elemwise_mul(x, scale)
