"""tkarras/progressive_growing_of_gans (``networks.py``): PGGAN's networks -> d2gan.

The released networks (``karras2018iclr-celebahq-1024x1024.pkl``, the LSUN ones at 256 px,
Google Drive folder ``networks/tensorflow-version``) and the reference's training snapshots
(``network-snapshot-*.pkl``) are pickles of ``(G, D, Gs)``; d2gan reads them directly, without
TensorFlow (:mod:`d2gan.pretrained.tf_pickle`), or a ``.npz`` of the same keys:

================================  ===========================  ==========================
format                            reference network            d2gan network
================================  ===========================  ==========================
``tkarras-pggan-generator``       ``Gs`` (the moving average   ``pggan_generator``
                                  of G, used for sampling)
``tkarras-pggan-generator-g``     ``G`` (the trained one)      ``pggan_generator``
``tkarras-pggan-discriminator``   ``D``                        ``pggan_discriminator``
================================  ===========================  ==========================

Read off the variables: the resolution (one ``ToRGB_lod*`` / ``FromRGB_lod*`` per level), the
channels, the latent size, each level's width, from which ``fmap_base`` and ``fmap_max`` are
solved, and whether up-/down-sampling is fused (``Conv0_up`` / ``Conv1_down``) or separate
(``Conv0`` / ``Conv1``). The growing state ``lod`` is not a weight here (d2gan's networks take
it as an argument; a released network is fully grown, ``lod = 0``) and is ignored.

Layouts: TensorFlow stores a convolution as ``[k, k, in, out]`` and a dense layer as ``[in,
out]`` (d2gan: ``(out, in, k, k)``, ``(out, in)``). The fused up-sampling convolution
(``upscale2d_conv2d``) stores a *transposed* convolution's ``[k, k, out, in]``, applied to the
sum of its four shifted copies; that is nearest up-sampling followed by the 3x3 convolution
with the kernel flipped in both spatial axes, which is what d2gan computes (see
:mod:`d2gan.models.pggan`). The fused down-sampling one (``conv2d_downscale2d``) is the
convolution followed by 2x2 averaging *before* the leaky ReLU (the unfused one averages after
it: a different function; the converted discriminator gets ``fused_scale`` to match), with the
kernel as stored. Weights are stored unscaled (equalized learning rate) in both.

Refused by name (:data:`d2gan.pretrained.tf_pickle.SUPPORTED`): conditional generators
(``label_size > 0``; d2gan's generator takes no labels -- the discriminator's label outputs
convert), and build settings other than the paper's (no equalized learning rate, no pixel
norm, ReLU, another ``fmap_decay`` or minibatch group size).
"""
import numpy as np

from .convert import FORMATS
from .tf_layout import tf_conv, tf_dense
from .state_dict import PretrainedError, required, sub_state


def fused_up_fit(value):
    """``upscale2d_conv2d``'s ``[k, k, out, in]`` -> the flipped ``(out, in, k, k)`` kernel of
    nearest up-sampling followed by a convolution."""
    return np.transpose(value, (2, 3, 0, 1))[:, :, ::-1, ::-1]


def _levels(state, prefix, fmt, network):
    """Number of levels ``L + 1`` (``prefix_lod0 .. prefix_lodL`` present)."""
    levels = 0
    while f'{prefix}_lod{levels}/weight' in state:
        levels += 1
    if not levels:
        required(state, f'{prefix}_lod0/weight', fmt, network)
    return levels


def fmap_config(widths, fmt):
    """``(fmap_base, fmap_max)`` with ``min(int(base / 2**stage), max) = widths[stage]`` for
    every stage in ``widths`` (``{stage: width}``; ``nf(stage)`` of the reference)."""
    top = max(widths.values())
    for stage in sorted(widths, reverse=True):
        base = widths[stage] * 2 ** stage
        if all(min(int(base / 2.0 ** s), top) == w for s, w in widths.items()):
            return base, top
    raise PretrainedError(f'{fmt}: the widths {widths} per stage are not '
                          'min(fmap_base / 2**stage, fmap_max) for any fmap_base')


def _layer(ref, ours, fit):
    return [(f'{ref}/weight', f'{ours}.weight', fit), (f'{ref}/bias', f'{ours}.bias')]


def _fused_or_not(state, fused, plain, fmt):
    """``(key prefix, fused?)`` of a resampling convolution stored under either name."""
    if f'{fused}/weight' in state:
        return fused, True
    required(state, f'{plain}/weight', fmt, f'networks (neither {fused} nor {plain})')
    return plain, False


def generator(state, fmt='tkarras-pggan-generator', network='Gs'):
    """``G_paper``: a 4x4 block (dense, conv), then per level up + conv + conv; ToRGB each."""
    state = sub_state(state, network, f'{fmt} (network {network} of a (G, D, Gs) pickle)')
    levels = _levels(state, 'ToRGB', fmt, 'G_paper')
    dense = required(state, '4x4/Dense/weight', fmt, 'G_paper')
    channels = int(state['ToRGB_lod0/weight'].shape[-1])
    widths = {}     # the block at 2**(j + 2) px is nf(j + 1) wide
    pairs = [('4x4/Dense/weight', 'blocks.0.body.1.weight', tf_dense),
             ('4x4/Dense/bias', 'blocks.0.body.3.bias')] + _layer('4x4/Conv', 'blocks.0.body.5',
                                                                  tf_conv)
    for j in range(levels):
        widths[j + 1] = int(state[f'ToRGB_lod{levels - 1 - j}/weight'].shape[2])
        pairs += _layer(f'ToRGB_lod{levels - 1 - j}', f'to_rgb.{j}', tf_conv)
        if j:
            res = 2 ** (j + 2)
            ref, fused = _fused_or_not(state, f'{res}x{res}/Conv0_up', f'{res}x{res}/Conv0', fmt)
            pairs += _layer(ref, f'blocks.{j}.body.1', fused_up_fit if fused else tf_conv)
            pairs += _layer(f'{res}x{res}/Conv1', f'blocks.{j}.body.3', tf_conv)
    base, top = fmap_config(widths, fmt)
    kwargs = dict(resolution=2 ** (levels + 1), num_channels=channels, fmap_base=base,
                  fmap_max=top, latent_dim=int(dense.shape[0]))
    return dict(model='pggan_generator', kwargs=kwargs, pairs=pairs, ignored={'lod'},
                state=state)


@FORMATS.register('tkarras-pggan-generator-g', family='tkarras')
def training_generator(state, fmt='tkarras-pggan-generator-g'):
    """The generator being trained (``G``), not its moving average ``Gs``."""
    return generator(state, fmt, network='G')


FORMATS.register('tkarras-pggan-generator', family='tkarras')(generator)


@FORMATS.register('tkarras-pggan-discriminator', family='tkarras')
def discriminator(state, fmt='tkarras-pggan-discriminator'):
    """``D_paper``: FromRGB per level; per level conv + conv + down; the 4x4 block (minibatch
    stddev, conv, dense, dense to ``1 + label_size``)."""
    state = sub_state(state, 'D', f'{fmt} (network D of a (G, D, Gs) pickle)')
    levels = _levels(state, 'FromRGB', fmt, 'D_paper')
    conv = required(state, '4x4/Conv/weight', fmt, 'D_paper')
    out = required(state, '4x4/Dense1/weight', fmt, 'D_paper')
    channels = int(state['FromRGB_lod0/weight'].shape[2])
    widths = {0: int(required(state, '4x4/Dense0/weight', fmt, 'D_paper').shape[1])}
    extra = int(conv.shape[2]) - int(conv.shape[3])
    if extra not in (0, 1):
        raise PretrainedError(f'{fmt}: 4x4/Conv takes {conv.shape[2]} channels for '
                              f'{conv.shape[3]}: not one minibatch-stddev feature or none')
    head = 1 if extra else 0
    pairs = (_layer('4x4/Conv', f'blocks.0.body.{head}', tf_conv)
             + _layer('4x4/Dense0', f'blocks.0.body.{head + 2}', tf_dense)
             + _layer('4x4/Dense1', f'blocks.0.body.{head + 4}', tf_dense))
    fused = True     # (a 4x4 network has no resampling)
    for j in range(levels):
        widths[j + 1] = int(state[f'FromRGB_lod{levels - 1 - j}/weight'].shape[3])
        pairs += _layer(f'FromRGB_lod{levels - 1 - j}', f'from_rgb.{j}.0', tf_conv)
        if j:
            res = 2 ** (j + 2)
            ref, fused = _fused_or_not(state, f'{res}x{res}/Conv1_down', f'{res}x{res}/Conv1',
                                       fmt)
            pairs += _layer(f'{res}x{res}/Conv0', f'blocks.{j}.body.0', tf_conv)
            pairs += _layer(ref, f'blocks.{j}.body.2', tf_conv)
    base, top = fmap_config(widths, fmt)
    kwargs = dict(resolution=2 ** (levels + 1), num_channels=channels, fmap_base=base,
                  fmap_max=top, mbstd_group_size=4 if extra else 0,
                  label_size=int(out.shape[1]) - 1, fused_scale=fused)
    return dict(model='pggan_discriminator', kwargs=kwargs, pairs=pairs, ignored={'lod'},
                state=state)


__all__ = ['fused_up_fit', 'fmap_config']
