"""csmliu/STGAN (``models.py``, TensorFlow + slim): STGAN's checkpoints -> d2gan.

The released model (the README's Google Drive / Baidu link; ``output/128/checkpoints/``) is a
TensorFlow checkpoint, ``model.ckpt-N.index`` + ``.data-*``, read without TensorFlow
(:mod:`d2gan.pretrained.tf_checkpoint`; pass either file or the prefix). It holds the generator
(scopes ``Genc``, ``Gstu``, ``Gdec``), the critic ``D``, and training state (Adam's slots,
``beta*_power``), which the formats skip:

==========================  ===================================  ============================
format                      reference network                    d2gan network
==========================  ===================================  ============================
``stgan-generator``         ``Genc`` + ``Gstu`` + ``Gdec``       ``stgan_generator``
``stgan-discriminator``     ``D``                                ``stgan_discriminator``
==========================  ===================================  ============================

Read off the variables: the encoder's and decoder's depths and widths, the STUs' number, width
and kernel, the number of attributes, and which layers get a shortcut or an injection (from
the input widths of the next layers); for the critic its widths, depth, ``fc_dim``, image size
and attributes. Layouts: slim stores a convolution as ``[k, k, in, out]`` (d2gan ``(out, in,
k, k)``), a transposed one as ``[k, k, out, in]`` (d2gan ``(in, out, k, k)``; no flip: both
are the gradient of the same forward convolution), a dense layer as ``[in, out]``. The critic
flattens NHWC features, d2gan NCHW: the first dense layers' rows are reordered accordingly.
Naming: slim numbers repeated layers ``Conv``, ``Conv_1``, ...; in ``Gstu`` each STU makes one
``Conv2d_transpose_j`` and three convolutions (reset, update, information gates, in that order).

The converted networks compute the reference's inference (``test.py``: batch norm with moving
statistics, epsilon 1e-3; the critic's instance norm with scale and shift, epsilon 1e-6;
d2gan's STGAN uses these settings for training too). The generator is told the *difference*
attribute vector ``(b - a) * 2 * thres_int`` (0.5), as the reference.
"""
import numpy as np

from .attgan import decoder_extras
from .convert import FORMATS
from .tf_layout import tf_conv, tf_dense
from .state_dict import PretrainedError, required


def nhwc_tf_dense(channels):
    """A dense layer reading NHWC-flattened ``channels``-deep features, for NCHW flattening."""
    def fit(value):
        cells = value.shape[0] // channels
        side = int(round(cells ** 0.5))
        nchw = value.reshape(side, side, channels, -1).transpose(2, 0, 1, 3)
        return tf_dense(nchw.reshape(value.shape))
    return fit


def _named(index):
    return lambda stem: stem if index == 0 else f'{stem}_{index}'


def _weights(state):
    """The network variables only: no optimizer slots, no step counters."""
    return {k: v for k, v in state.items() if not k.rsplit('/', 1)[-1].startswith('Adam')
            and not k.startswith(('beta1_power', 'beta2_power', 'global_step'))}


def _count(state, key_of):
    n = 0
    while key_of(n) in state:
        n += 1
    return n


def _bn(ref, ours):
    return [(f'{ref}/BatchNorm/{a}', f'{ours}.{b}') for a, b in (
        ('gamma', 'gamma'), ('beta', 'beta'), ('moving_mean', 'running_mean'),
        ('moving_variance', 'running_var'))]


@FORMATS.register('stgan-generator', family='stgan')
def generator(state, fmt='stgan-generator'):
    state = _weights(state)
    required(state, 'Genc/Conv/weights', fmt, 'Genc')
    enc = _count(state, lambda i: f'Genc/{_named(i)("Conv")}/weights')
    dec = _count(state, lambda i: f'Gdec/{_named(i)("Conv2d_transpose")}/weights')
    stus = _count(state, lambda i: f'Gstu/{_named(i)("Conv2d_transpose")}/weights')
    enc_w = [int(state[f'Genc/{_named(i)("Conv")}/weights'].shape[3]) for i in range(enc)]
    dec_shapes = [state[f'Gdec/{_named(i)("Conv2d_transpose")}/weights'].shape
                  for i in range(dec)]
    dec_out, dec_in = [int(s[2]) for s in dec_shapes], [int(s[3]) for s in dec_shapes]
    n_attrs = dec_in[0] - enc_w[-1]
    if n_attrs < 1 or dec < 2 or not 0 < stus < enc:
        raise PretrainedError(f'{fmt}: {enc} encoder, {dec} decoder layers and {stus} STUs '
                              f'with {n_attrs} attributes: not an STGAN generator')
    up = [state[f'Gstu/{_named(j)("Conv2d_transpose")}/weights'].shape for j in range(stus)]
    stu_out, stu_in = [int(s[2]) for s in up], [int(s[3]) for s in up]
    kernel = int(state['Gstu/Conv/weights'].shape[0])
    _, stu_inject = decoder_extras(stu_in, stu_out, [], n_attrs, fmt, 'STU ')
    if stu_inject == stus - 1:      # the last STU's injection reaches no layer: the default
        stu_inject = stus
    skips = list(enc_w)                      # what the decoder's shortcuts carry, level by level
    for j in range(stus):
        skips[enc - 2 - j] = stu_out[j]
    shortcut, inject = decoder_extras(dec_in, dec_out,
                                      [skips[dec - 2 - i] for i in range(dec - 1)], n_attrs,
                                      fmt, 'decoder layer ')
    pairs = []
    for i in range(enc):
        ref, ours = f'Genc/{_named(i)("Conv")}', f'encoder.layers.{i}'
        pairs += [(f'{ref}/weights', f'{ours}.0.weight', tf_conv)] + _bn(ref, f'{ours}.1')
    for j in range(stus):
        ref, ours = f'Gstu/{_named(j)("Conv2d_transpose")}', f'stu.units.{j}'
        pairs += [(f'{ref}/weights', f'{ours}.up.deconv.weight', tf_conv),
                  (f'{ref}/biases', f'{ours}.up.deconv.bias')]
        for k, gate in enumerate(('reset', 'update', 'info')):
            conv = f'Gstu/{_named(3 * j + k)("Conv")}'
            pairs += [(f'{conv}/weights', f'{ours}.{gate}.weight', tf_conv),
                      (f'{conv}/biases', f'{ours}.{gate}.bias')]
    for i in range(dec):
        ref, ours = f'Gdec/{_named(i)("Conv2d_transpose")}', f'decoder.layers.{i}'
        pairs.append((f'{ref}/weights', f'{ours}.0.deconv.weight', tf_conv))
        pairs += _bn(ref, f'{ours}.1') if i < dec - 1 else [(f'{ref}/biases',
                                                              f'{ours}.0.deconv.bias')]
    kwargs = dict(n_attrs=n_attrs, enc_dim=enc_w[0], dec_dim=dec_out[-2] // 2,
                  enc_layers=enc, dec_layers=dec, shortcut_layers=shortcut,
                  inject_layers=inject, stu_dim=stu_out[-1], stu_layers=stus,
                  stu_inject_layers=stu_inject,
                  stu_kernel_size=kernel, max_dim=max(enc_w + dec_out),
                  channels=int(dec_out[-1]))
    ignored = {k for k in state if k.startswith('D/')}
    return dict(model='stgan_generator', kwargs=kwargs, pairs=pairs, ignored=ignored,
                state=state)


@FORMATS.register('stgan-discriminator', family='stgan')
def discriminator(state, fmt='stgan-discriminator'):
    state = _weights(state)
    required(state, 'D/Conv/weights', fmt, 'D')
    n_layers = _count(state, lambda i: f'D/{_named(i)("Conv")}/weights')
    widths = [int(state[f'D/{_named(i)("Conv")}/weights'].shape[3]) for i in range(n_layers)]
    heads = [f'D/{_named(i)("flatten_fully_connected")}/fully_connected' for i in range(4)]
    fc = required(state, f'{heads[0]}/weights', fmt, 'D')
    cls = required(state, f'{heads[3]}/weights', fmt, 'D')
    side = int(round((fc.shape[0] // widths[-1]) ** 0.5))
    if side * side * widths[-1] != fc.shape[0]:
        raise PretrainedError(f'{fmt}: the first dense layer reads {fc.shape[0]} features, not '
                              f'f x f x {widths[-1]}')
    pairs = []
    for i in range(n_layers):
        ref = f'D/{_named(i)("Conv")}'
        pairs += [(f'{ref}/weights', f'conv.{3 * i}.weight', tf_conv),
                  (f'{ref}/InstanceNorm/gamma', f'conv.{3 * i + 1}.gamma'),
                  (f'{ref}/InstanceNorm/beta', f'conv.{3 * i + 1}.beta')]
    for (first, second), head in zip(((heads[0], heads[1]), (heads[2], heads[3])),
                                     ('fc_adv', 'fc_cls')):
        pairs += [(f'{first}/weights', f'{head}.0.weight', nhwc_tf_dense(widths[-1])),
                  (f'{first}/biases', f'{head}.0.bias'),
                  (f'{second}/weights', f'{head}.2.weight', tf_dense),
                  (f'{second}/biases', f'{head}.2.bias')]
    kwargs = dict(n_attrs=int(cls.shape[1]), dim=widths[0], fc_dim=int(fc.shape[1]),
                  n_layers=n_layers, image_size=side * 2 ** n_layers, max_dim=max(widths),
                  channels=int(state['D/Conv/weights'].shape[2]))
    ignored = {k for k in state if k.startswith(('Genc/', 'Gstu/', 'Gdec/'))}
    return dict(model='stgan_discriminator', kwargs=kwargs, pairs=pairs, ignored=ignored,
                state=state)


__all__ = ['nhwc_dense_fit']
