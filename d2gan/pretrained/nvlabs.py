"""NVlabs/stylegan2-ada-pytorch (``training/networks.py``): StyleGAN2's state dicts -> d2gan.

Why: d2gan's StyleGAN2 (:mod:`d2gan.models.stylegan2`) follows this reference layer by layer;
its released networks (FFHQ, AFHQ, MetFaces, ...) then run in the book, and the fixtures check
the claim number for number (``tests/test_pretrained_stylegan2.py``).

=====================================  ============================  ==========================
format                                 reference network             d2gan network
=====================================  ============================  ==========================
``nvlabs-stylegan2-generator``         ``Generator`` (``G_ema`` of   ``stylegan2_generator``
                                       a pickle)
``nvlabs-stylegan2-generator-g``       ``G`` of a pickle             ``stylegan2_generator``
``nvlabs-stylegan2-discriminator``     ``Discriminator`` (``D``)     ``stylegan2_discriminator``
=====================================  ============================  ==========================

**The released files are pickles** (``ffhq.pkl``) of the reference's classes. d2gan reads them
directly, without torch and without the reference's code
(:mod:`d2gan.pretrained.torch_pickle`; no code from the file is run), and likewise the
TensorFlow pickles of NVlabs/stylegan2 (``stylegan2-ffhq-config-f.pkl``; ``Gs`` is the
``G_ema``; :mod:`d2gan.pretrained.tf_pickle`, names translated by
:mod:`d2gan.pretrained.nvlabs_tf`)::

    python -m d2gan convert --format nvlabs-stylegan2-generator --input ffhq.pkl \
        --out data/pretrained/ffhq.params

A plain state dict of one network converts too (``.npz``, or ``.pth`` with torch), as does a
pickle that ``torch_pickle`` does not read (another class in it), through an ``.npz`` written
where the reference is checked out: ``python scripts/pth_to_npz.py --nvlabs-pkl ffhq.pkl
ffhq_G_ema.npz`` (``--network D``: the critic).

Read off the state dict: the resolution (blocks ``b4 ... bR``), ``z_dim``, ``w_dim``, the
number of mapping layers, ``img_channels``, each block's width, from which ``channel_base``
and ``channel_max`` are solved (any pair giving the same widths builds the same network), and
the minibatch-stddev channel count of D. Keys map one to one (``mapping.fc{i}`` -> ``mapping
.layers.{i}``, ``synthesis.b{res}`` -> ``synthesis.blocks.{j}``, D's ``conv0``/``conv1``/
``skip`` -> the chains ``main.0``/``main.1``/``skip``, ``b4.conv``/``fc``/``out`` -> the
epilogue); ``mapping.w_avg`` is d2gan's ``w_avg`` (truncation). Buffers:

* ``*.resample_filter`` -- checked to be the ``[1, 3, 3, 1]`` filter d2gan builds as constants;
  another filter is refused;
* ``*.noise_const`` -- ignored: the reference's ``noise_mode='const'`` fixed noise image; d2gan
  draws fresh noise every call (``noise_mode='random'``), times the converted
  ``noise_strength``; zero the strengths for ``noise_mode='none'``.

Not in the state dict, hence taken as the reference's defaults: the mapping's learning-rate
multiplier (0.01; only the training speed depends on it), D's minibatch-stddev group size (4;
the pickle's ``D.b4.mbstd.group_size``: 8 for ``paper256``/``paper512``, edit ``kwargs`` of the
written ``.json`` then; d2gan needs a batch that is a multiple of it), ``conv_clamp`` (256 for
networks trained with ``train.py``: activations clamped to +-256, d2gan clamps nothing -- equal
unless an activation is that large) and the float16 of the highest resolutions (d2gan computes
in float32).

Refused, with the reason: conditional networks (``c_dim > 0``: a ``mapping.embed`` in G or
D; d2gan's StyleGAN2 takes no labels), and architectures other than the skip generator and the
residual discriminator (``orig``: a ToRGB / FromRGB in one block only; ``resnet`` G: ``skip``
layers in the synthesis; ``skip`` D: FromRGB in every block).
"""
import numpy as np

from ..nn.upfirdn import setup_filter
from .convert import FORMATS
from .nvlabs_tf import tf_discriminator, tf_generator
from .state_dict import PretrainedError, required, sub_state

LAYER_PARTS = ('weight', 'bias', 'noise_strength', 'affine.weight', 'affine.bias')
TORGB_PARTS = ('weight', 'bias', 'affine.weight', 'affine.bias')


def _resolutions(state, key_of, fmt, network):
    """The block resolutions ``[4, 8, ..., R]`` whose ``key_of(res)`` is in ``state``."""
    found = sorted(res for res in (2 ** i for i in range(2, 14)) if key_of(res) in state)
    if not found:
        required(state, key_of(4), fmt, network)
    expected = [2 ** i for i in range(2, int(np.log2(found[-1])) + 1)]
    if found != expected:
        raise PretrainedError(f'{fmt}: blocks at {found}, expected one per resolution '
                              f'{expected}')
    return found



def check_one_stddev_feature(weight, key, fmt):
    """The last 3x3 convolution of a StyleGAN2 discriminator takes one channel more than it
    gives: the minibatch-stddev feature. d2gan appends exactly one."""
    extra = int(weight.shape[1]) - int(weight.shape[0])
    if extra != 1:
        raise PretrainedError(f'{fmt}: {key} takes {weight.shape[1]} channels for '
                              f'{weight.shape[0]}: {extra} minibatch-stddev features; d2gan '
                              'appends one')

def channel_config(widths, fmt):
    """``(channel_base, channel_max)`` giving ``min(base // res, max) = widths[res]``."""
    top = max(widths.values())
    for res in sorted(widths, reverse=True):
        base = widths[res] * res
        if all(min(base // r, top) == w for r, w in widths.items()):
            return base, top
    raise PretrainedError(f'{fmt}: the widths {dict(sorted(widths.items()))} are not '
                          'min(channel_base // resolution, channel_max) for any channel_base')


def check_filters(state, fmt):
    """Every ``*.resample_filter`` buffer must be d2gan's ``[1, 3, 3, 1]`` filter."""
    ours = setup_filter()
    keys = [key for key in state if key.endswith('.resample_filter')]
    for key in keys:
        value = np.asarray(state[key], dtype=np.float32)
        if value.shape != ours.shape or not np.allclose(value, ours, atol=1e-6):
            raise PretrainedError(f'{fmt}: {key} is not the [1, 3, 3, 1] low-pass filter d2gan '
                                  f'resamples with (shape {value.shape})')
    return keys


def _refuse_conditional(fmt, why):
    raise PretrainedError(f'{fmt}: a conditional network ({why}, c_dim > 0); d2gan\'s StyleGAN2 '
                          'takes no class labels: convert an unconditional one (c_dim = 0)')


TF_NAMES = {'G_ema': 'Gs', 'G': 'G', 'D': 'D'}    # the TensorFlow pickles' network names


def _network(state, name, fmt):
    """The state dict of network ``name`` (``G_ema``, ``G``, ``D``) when ``state`` is a whole
    network pickle -- stylegan2-ada-pytorch's (keys ``G_ema.*``, ...:
    :mod:`d2gan.pretrained.torch_pickle`) or NVlabs/stylegan2's TensorFlow one (``Gs.*``, ...,
    with TF variable names: :mod:`d2gan.pretrained.tf_pickle`, translated by
    :mod:`d2gan.pretrained.nvlabs_tf`) -- else ``state``."""
    if not any(key.startswith(('G.', 'D.', 'G_ema.', 'Gs.')) for key in state):
        return state
    if not any('/' in key for key in state):
        return sub_state(state, name, f'{fmt} (network {name} of a stylegan2-ada-pytorch .pkl)')
    tf_name = TF_NAMES[name]
    sub = sub_state(state, tf_name, f'{fmt} (network {tf_name} of a StyleGAN2 TensorFlow .pkl)')
    return (tf_discriminator if name == 'D' else tf_generator)(sub, fmt)


@FORMATS.register('nvlabs-stylegan2-generator', family='nvlabs')
def generator(state, fmt='nvlabs-stylegan2-generator', network='G_ema'):
    state = _network(state, network, fmt)
    if 'mapping.embed.weight' in state:
        _refuse_conditional(fmt, 'it holds mapping.embed, the label embedding')
    first = required(state, 'mapping.fc0.weight', fmt, 'Generator')
    layers = 0
    while f'mapping.fc{layers}.weight' in state:
        layers += 1
    w_dim = int(required(state, f'mapping.fc{layers - 1}.weight', fmt, 'Generator').shape[0])
    if first.shape[0] != w_dim:
        raise PretrainedError(f'{fmt}: mapping layers {first.shape[0]} wide, w_dim {w_dim}; '
                              'd2gan\'s mapping network is w_dim wide (layer_features=None)')
    res = _resolutions(state, lambda r: f'synthesis.b{r}.conv1.weight', fmt, 'Generator')
    if any(f'synthesis.b{r}.skip.weight' in state for r in res):
        raise PretrainedError(f"{fmt}: a 'resnet' synthesis network (it holds synthesis.b*.skip"
                              "); d2gan's generator is the 'skip' architecture")
    if any(f'synthesis.b{r}.torgb.weight' not in state for r in res):
        raise PretrainedError(f"{fmt}: an 'orig' synthesis network (ToRGB in the last block "
                              "only); d2gan's generator is the 'skip' architecture")
    widths = {r: int(state[f'synthesis.b{r}.conv1.weight'].shape[0]) for r in res}
    base, top = channel_config(widths, fmt)
    pairs = [(f'mapping.fc{i}.{p}', f'mapping.layers.{i}.{p}') for i in range(layers)
             for p in ('weight', 'bias')] + [('mapping.w_avg', 'w_avg')]
    for j, r in enumerate(res):
        ref, ours = f'synthesis.b{r}', f'synthesis.blocks.{j}'
        if j == 0:
            pairs.append((f'{ref}.const', f'{ours}.const'))
        for layer in ('conv1',) if j == 0 else ('conv0', 'conv1'):
            pairs += [(f'{ref}.{layer}.{p}', f'{ours}.{layer}.{p}') for p in LAYER_PARTS]
        pairs += [(f'{ref}.torgb.{p}', f'{ours}.torgb.{p}') for p in TORGB_PARTS]
    ignored = check_filters(state, fmt) + [k for k in state if k.endswith('.noise_const')]
    state = {k: (np.reshape(v, (1,)) if k.endswith('.noise_strength') and np.ndim(v) == 0
                 else v) for k, v in state.items()}            # a 0-d parameter in torch
    kwargs = dict(resolution=res[-1], img_channels=int(state[f'synthesis.b{res[-1]}.torgb'
                                                             '.weight'].shape[0]),
                  z_dim=int(first.shape[1]), w_dim=w_dim, mapping_layers=layers,
                  channel_base=base, channel_max=top)
    return dict(model='stylegan2_generator', kwargs=kwargs, pairs=pairs,
                ignored=ignored, state=state)


@FORMATS.register('nvlabs-stylegan2-generator-g', family='nvlabs')
def training_generator(state, fmt='nvlabs-stylegan2-generator-g'):
    """From a whole pickle: the generator being trained (``G``), not its average ``G_ema``."""
    return generator(state, fmt, network='G')


@FORMATS.register('nvlabs-stylegan2-discriminator', family='nvlabs')
def discriminator(state, fmt='nvlabs-stylegan2-discriminator'):
    state = _network(state, 'D', fmt)
    if 'mapping.embed.weight' in state:
        _refuse_conditional(fmt, 'it holds mapping.embed, the label embedding')
    out = required(state, 'b4.out.weight', fmt, 'Discriminator')
    if out.shape[0] != 1:
        _refuse_conditional(fmt, f'b4.out gives {out.shape[0]} projections, not one score')
    res = _resolutions(state, lambda r: f'b{r}.conv0.weight' if r > 4 else 'b4.conv.weight',
                       fmt, 'Discriminator')[::-1]
    top_res = res[0]
    if top_res == 4:
        raise PretrainedError(f'{fmt}: no blocks above 4x4 (keys b8.conv0.weight, ...)')
    blocks = res[:-1]
    if 'b4.fromrgb.weight' in state or any(f'b{r}.fromrgb.weight' in state for r in blocks[1:]):
        raise PretrainedError(f"{fmt}: a 'skip' discriminator (FromRGB in every block); "
                              "d2gan's discriminator is the 'resnet' architecture")
    if any(f'b{r}.skip.weight' not in state for r in blocks):
        raise PretrainedError(f"{fmt}: an 'orig' discriminator (no b*.skip layers); d2gan's "
                              "discriminator is the 'resnet' architecture")
    conv = required(state, 'b4.conv.weight', fmt, 'Discriminator')
    widths = {r: int(state[f'b{r}.conv0.weight'].shape[0]) for r in blocks}
    widths[4] = int(conv.shape[0])
    check_one_stddev_feature(conv, 'b4.conv', fmt)
    base, top = channel_config(widths, fmt)
    pairs = [(f'b{top_res}.fromrgb.{p}', f'blocks.0.fromrgb.0.{p}') for p in ('weight', 'bias')]
    for i, r in enumerate(blocks):
        pairs += [(f'b{r}.conv0.{p}', f'blocks.{i}.main.0.0.{p}') for p in ('weight', 'bias')]
        pairs += [(f'b{r}.conv1.{p}', f'blocks.{i}.main.1.1.{p}') for p in ('weight', 'bias')]
        pairs.append((f'b{r}.skip.weight', f'blocks.{i}.skip.1.weight'))
    for ref, ours in (('conv', '1.0'), ('fc', '2'), ('out', '4')):
        pairs += [(f'b4.{ref}.{p}', f'epilogue.{ours}.{p}') for p in ('weight', 'bias')]
    kwargs = dict(resolution=top_res, img_channels=int(required(
        state, f'b{top_res}.fromrgb.weight', fmt, 'Discriminator').shape[1]),
                  channel_base=base, channel_max=top, mbstd_group_size=4)
    return dict(model='stylegan2_discriminator', kwargs=kwargs, pairs=pairs,
                ignored=check_filters(state, fmt), state=state)


__all__ = ['channel_config', 'check_filters']
