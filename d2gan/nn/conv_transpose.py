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

A second oneDNN bug: the backward pass of a transposed convolution whose weight is used *twice*
in one recorded graph (a generator applied to its own output, StarGAN's ``G(G(x, c), c')``, or
a decoder run for an edit and a reconstruction, AttGAN) crashes the process. ``via_conv=True``
computes the same transposed convolution as one ordinary ``Convolution`` with the
phase-rearranged, flipped weight followed by an interleave of the ``s^2`` stride phases (the
construction of :func:`d2gan.penalty.conv2d_input_grad`) -- same parameter, same numbers and
gradients (``tests/test_nn.py``), no crash. It is the library's one remedy for that bug: StarGAN,
AttGAN/STGAN and CycleGAN's ResNet generator (``G_B(G_A(a))`` and ``G_A(b)`` in one graph) all
use it.

A third one, met by that remedy: in a hybridized graph, when the phase interleave's output
reaches a convolution with nothing that copies it in between, the backward of the interleave's
transposes fails on the convolution's data gradient (oneDNN's blocked layout);
:func:`copy_to_default_layout` is the remedy (``tests/test_interleave_phases.py``).
"""
from mxnet import nd
from mxnet.gluon import nn

from . import native
from .native import is_symbolic


class Conv2DTranspose(nn.HybridBlock):
    """Drop-in for ``gluon.nn.Conv2DTranspose``; identical for ``channels > 1``.

    For ``channels == 1`` the weight has shape ``(in_channels, 2, k, k)`` (see module docstring);
    ``effective_weight()`` returns the ``(in_channels, 1, k, k)`` part that produces the output.
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 use_bias=True, in_channels=0, weight_initializer=None, via_conv=False,
                 **kwargs):
        super().__init__(**kwargs)
        self._channels = channels
        self._spare = 1 if channels == 1 else 0
        self._via_conv = None
        if via_conv:
            self._via_conv = _phase_geometry(channels + self._spare, in_channels, kernel_size,
                                             strides, padding, output_padding)
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
        if self._via_conv is None:
            y = self.deconv(x)
        else:
            y = _transposed_via_conv(F, x, self.deconv, self._via_conv)
        if self._spare:
            y = F.slice_axis(y, axis=1, begin=0, end=self._channels)
        return y

    def __repr__(self):
        return (f'{self.__class__.__name__}({self._channels}, '
                f'spare_channel={bool(self._spare)}, {self.deconv!r})')


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _phase_geometry(channels, in_channels, kernel_size, strides, padding, output_padding):
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(strides), _pair(padding)
    if not in_channels:
        raise ValueError('Conv2DTranspose(via_conv=True) needs in_channels')
    oh, ow = _pair(output_padding)
    if kh != kw or sh != sw or ph != pw or oh != ow:
        raise NotImplementedError('via_conv=True supports square kernels and equal strides, '
                                  'paddings and output paddings')
    taps = -(-kh // sh)  # sub-kernel size: the kernel is zero-padded to s * taps
    # The interleaved phases hold s (H + taps - 1) rows: crop p at the start and the rest
    # at the end, keeping output_padding extra rows (computed, as Deconvolution computes them).
    crop_end = sh * taps - kh + ph - oh
    if crop_end < 0:
        raise NotImplementedError(f'via_conv=True needs output_padding <= stride * '
                                  f'ceil(kernel / stride) - kernel + padding = {crop_end + oh}, '
                                  f'got {oh}')
    return dict(k=kh, s=sh, p=ph, taps=taps, cin=in_channels, cout=channels, crop_end=crop_end)


# (in, out) channel pairs from which placing the taps by a matrix product beats the transposes:
# below, its dozen small index operators cost more than it saves (measured crossover between
# 512 and 2048 pairs, ``benchmarks/phase_split_kernel.py``)
PLACEMENT_MIN_PAIRS = 1024


def phase_split_kernel(F, weight, n_in, n_out, kh, kw, s):
    """The kernel of one stride-1 ``Convolution`` that computes all ``s^2`` output phases of a
    stride-``s`` transposed convolution with ``weight`` ``(n_in, n_out, kh, kw)``.

    Output phase ``r`` only meets the taps ``s m + r``, so each phase is a stride-1 convolution
    with a flipped sub-kernel of ``K = ceil(k / s)`` taps (zero taps appended so that
    ``k = s K``). Returns ``(s^2 n_out, n_in, K, K)``, phases outermost; padding the input by
    ``K - 1`` and interleaving the phases gives the full transposed convolution. Shared by
    ``via_conv=True`` here and by the gradient penalty's conv input-gradient
    (:func:`d2gan.penalty.conv2d_input_grad`).

    Three constructions of the same numbers (bit for bit, forward and backward:
    ``tests/test_interleave_phases.py``): the C++ operator ``d2gan_phase_split_kernel``
    (:mod:`d2gan.nn.native`; one pass each way) where it is available; else, by the weight's
    size, transposes, padding and a flip (:func:`split_by_transposes`) for small weights, and
    from ``PLACEMENT_MIN_PAIRS`` channel pairs on one matrix product and one transpose
    (:func:`split_by_placement`), 2-3x faster on the large weights of StarGAN's and AttGAN's
    discriminators (``benchmarks/phase_split_kernel.py`` times all three).
    """
    if native.available():
        return F.d2gan_phase_split_kernel(weight, stride=str(int(s)))
    split = split_by_placement if n_in * n_out >= PLACEMENT_MIN_PAIRS else split_by_transposes
    return split(F, weight, n_in, n_out, kh, kw, s)


def split_by_transposes(F, weight, n_in, n_out, kh, kw, s):
    """:func:`phase_split_kernel` as a transpose of the in/out axes, zero taps by padding, two
    transposes of the tap axes (of 3 axes each, which oneDNN reorders; one 6-axis transpose runs
    in a generic loop) and a flip: five passes over the weight, each a few operators."""
    taps = -(-max(kh, kw) // s)
    w = F.transpose(weight, axes=(1, 0, 2, 3))  # (n_out, n_in, kh, kw)
    if s * taps != kh or s * taps != kw:
        w = F.pad(F.reshape(w, shape=(1, n_out * n_in, kh, kw)), mode='constant',
                  pad_width=(0, 0, 0, 0, 0, s * taps - kh, 0, s * taps - kw))
    # (n_out n_in, K, s, K, s) -> (s, s, n_out n_in, K, K): the column phase before the column
    # taps, then both phases outermost
    w = F.transpose(F.reshape(w, shape=(n_out * n_in * taps * s, taps, s)), axes=(0, 2, 1))
    w = F.transpose(F.reshape(w, shape=(n_out * n_in * taps, s * s, taps)), axes=(1, 0, 2))
    w = F.reshape(w, shape=(s, s, n_out, n_in, taps, taps))
    return F.reshape(F.flip(w, axis=(4, 5)), shape=(s * s * n_out, n_in, taps, taps))


def split_by_placement(F, weight, n_in, n_out, kh, kw, s):
    """:func:`phase_split_kernel` in two passes: the ``kh kw`` taps of every ``(in, out)`` pair
    go to their places in ``(phase, K, K)`` -- phases, sub-kernels, flips and zero taps at once
    -- as a product with the 0/1 matrix :func:`tap_placement` (a product with one 1 per row
    copies exactly), then one transpose puts the phases first and swaps ``in`` and ``out``."""
    taps = -(-max(kh, kw) // s)
    placed = s * s * taps * taps
    if n_in * n_out * kh * kw < placed:
        raise ValueError(f'split_by_placement needs a weight of at least {placed} elements, got '
                         f'{n_in * n_out * kh * kw}: use split_by_transposes')
    rows = F.reshape(weight, shape=(-1, kh * kw))
    w = F.FullyConnected(rows, tap_placement(F, weight, kh, kw, s), no_bias=True,
                         num_hidden=placed)                         # (n_in n_out, s^2 K^2)
    w = F.transpose(F.reshape(w, shape=(n_in, n_out, s * s, taps * taps)), axes=(2, 1, 0, 3))
    return F.reshape(w, shape=(s * s * n_out, n_in, taps, taps))


def tap_placement(F, weight, kh, kw, s):
    """``(s^2 K^2, kh kw)`` 0/1 matrix in ``weight``'s dtype (no gradient): column ``p kw + q``
    -- weight tap ``(p, q) = (s m + a, s n + b)`` -- holds its 1 in row
    ``((a s + b) K + K - 1 - m) K + K - 1 - n``: phase ``(a, b)``, flipped sub-kernel tap; rows
    that no tap reaches (the appended zero taps) stay zero. Built from ``arange_like`` on
    ``weight`` (which has at least ``s^2 K^2`` elements), so that it has the weight's dtype and
    is part of a hybridized graph too."""
    taps = -(-max(kh, kw) // s)
    flat = F.reshape(weight, shape=(-1,))

    def arange(n):
        """0 .. n - 1 in the weight's dtype."""
        return F.contrib.arange_like(F.slice_axis(flat, axis=0, begin=0, end=n), axis=0)

    def split(x, base):
        """(x // base, x % base) of exact small integers held as floats."""
        high = F.floor(x / base)
        return high, x - high * base

    p, q = split(arange(kh * kw), kw)
    m, a = split(p, s)
    n, b = split(q, s)
    row = ((a * s + b) * taps + (taps - 1 - m)) * taps + (taps - 1 - n)
    placed = F.broadcast_equal(F.reshape(arange(s * s * taps * taps), shape=(-1, 1)),
                               F.reshape(row, shape=(1, -1)))
    return F.BlockGrad(placed)


def interleave_phases(F, y, s, channels, crop=(0, 0, 0, 0)):
    """``(N, s*s*C, R0, R1)`` with the ``s^2`` phases outermost in the channels (row phase,
    then column phase) -> ``(N, C, s R0, s R1)``: output pixel ``(s i + a, s j + b)`` of
    channel ``c`` is input channel ``(a s + b) C + c`` at ``(i, j)`` (``depth_to_space``).

    ``crop = (top, left, bottom, right)``: rows and columns cut from the interleaved grid's
    edges; a negative ``bottom`` or ``right`` appends zero rows or columns instead (the crop
    after a transposed convolution; the penalty's crop and unreached input rows). The operator
    does it in the same pass; the fallback with a ``slice`` and a ``pad``.

    The C++ operator ``d2gan_interleave_phases`` (:mod:`d2gan.nn.native`) where it is
    available: one pass each way. Else two transposes of at most 4 axes, which MXNet hands to
    oneDNN's multi-threaded reorder, instead of one 6-axis transpose, which it runs in a
    generic loop. All three give the same values (a permutation, bit for bit, forward and
    backward: ``tests/test_interleave_phases.py``); the operator is the fastest
    (``benchmarks/interleave_phases.py``). Imperatively every ``reshape`` is a copy, so there
    the known shape is used and there are as few as possible; in a graph only ``s`` and ``C``
    are known and the reshapes are free.
    """
    top, left, bottom, right = (int(v) for v in crop)
    if native.available():
        if not any(crop):
            return F.d2gan_interleave_phases(y, stride=str(int(s)))
        return F.d2gan_interleave_phases(y, stride=str(int(s)), top=str(top), left=str(left),
                                         bottom=str(bottom), right=str(right))
    y = interleave_by_transposes(F, y, s, channels)
    if top or left or bottom > 0 or right > 0:
        y = F.slice(y, begin=(None, None, top, left),
                    end=(None, None, -bottom if bottom > 0 else None,
                         -right if right > 0 else None))
    if bottom < 0 or right < 0:
        y = F.pad(y, mode='constant', pad_width=(0, 0, 0, 0, 0, max(-bottom, 0), 0,
                                                 max(-right, 0)))
    return y


def interleave_by_transposes(F, y, s, channels):
    """:func:`interleave_phases` without the C++ operator: two transposes."""
    if isinstance(y, nd.NDArray):
        n, _, r0, r1 = y.shape
        y = F.transpose(F.reshape(y, shape=(n * s, s, -1)), axes=(0, 2, 1))  # (N s, C R0 R1, s)
        y = F.transpose(F.reshape(y, shape=(n, s, channels * r0, r1 * s)), axes=(0, 2, 1, 3))
        return F.reshape(y, shape=(n, channels, s * r0, s * r1))
    like = F.reshape(y, shape=(0, -4, s * s, -1, -2))            # (N, s*s, C, R0, R1)
    y = F.reshape(F.reshape(y, shape=(0, -4, s, -1, -2)), shape=(-3, s, -1))  # (N s, s, C R0 R1)
    y = F.transpose(y, axes=(0, 2, 1))                           # (N s, C R0 R1, s)
    y = F.reshape_like(y, like, lhs_begin=1, lhs_end=2, rhs_begin=2, rhs_end=5)
    y = F.reshape(y, shape=(-4, -1, s, -3, -3))                  # (N, s, C R0, R1 s)
    y = F.transpose(y, axes=(0, 2, 1, 3))                        # (N, C R0, s, R1 s)
    y = F.reshape(y, shape=(0, -4, channels, -1, -2))            # (N, C, R0, s, R1 s)
    return F.reshape(y, shape=(0, 0, -3, 0))                     # (N, C, s R0, s R1)


def copy_to_default_layout(F, y):
    """``y`` itself, copied in a graph (a full-range ``slice``), so that its gradient reaches the
    operators before it in MXNet's default layout.

    oneDNN bug work-around: in a hybridized graph, when the output of
    :func:`interleave_phases` meets a convolution (directly, or after elementwise operators
    such as a bias or a leaky ReLU), the convolution's data gradient arrives in oneDNN's
    blocked layout and the backward of the interleave's transposes fails ("could not create a
    primitive descriptor for a reorder primitive"). A ``slice`` in between hands it over in
    the default layout. Imperatively (no failure there), and where the interleave is the C++
    operator (whose backward takes any layout), it returns ``y``."""
    if isinstance(y, nd.NDArray) or native.available():
        return y
    return F.slice_axis(y, axis=2, begin=0, end=None)


def _transposed_via_conv(F, x, deconv, g):
    """``Deconvolution(x, W)`` as ``Convolution`` + phase interleave (see module docstring)."""
    k, s, p, taps, cin, cout = g['k'], g['s'], g['p'], g['taps'], g['cin'], g['cout']
    weight = (deconv.weight.var() if is_symbolic(F) else
              deconv.weight.data(x.context))
    w = phase_split_kernel(F, weight, cin, cout, k, k, s)
    # the bias joins every phase inside the convolution (phases outermost: the bias repeated
    # s^2 times), so oneDNN adds it and sums its gradient instead of a broadcast and a generic
    # reduction after the interleave
    bias = None
    if deconv.bias is not None:
        bias = deconv.bias.var() if is_symbolic(F) else deconv.bias.data(x.context)
        if s > 1:
            bias = F.tile(bias, reps=(s * s,))
    y = F.Convolution(x, w, bias, kernel=(taps, taps), pad=(taps - 1, taps - 1),
                      num_filter=s * s * cout, no_bias=bias is None)
    crop = (p, p, g['crop_end'], g['crop_end'])
    if s > 1:  # (N, s*s*Cout, R, C) -> (N, Cout, s R - p - end, s C - p - end)
        y = interleave_phases(F, y, s, cout, crop)
        if not any(crop):
            y = copy_to_default_layout(F, y)    # no crop to do it (see that function)
    elif any(crop):
        end = -g['crop_end'] if g['crop_end'] else None
        y = F.slice(y, begin=(None, None, p, p), end=(None, None, end, end))
    return y
