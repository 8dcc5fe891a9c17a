"""rosinality/stylegan2-pytorch (``model.py``): StyleGAN2's checkpoints -> d2gan.

Why: the most used PyTorch StyleGAN2 port ships the official networks converted from the
TensorFlow release (``stylegan2-ffhq-config-f.pt``, ...); it computes what NVlabs' networks
compute, so it loads into d2gan's :mod:`d2gan.models.stylegan2` parameter for parameter
(``tests/test_pretrained_rosinality.py`` checks mapping, images and scores number for number).

===========================================  ==============  ===========================
format                                       network         d2gan network
===========================================  ==============  ===========================
``rosinality-stylegan2-generator``           ``g_ema``       ``stylegan2_generator``
``rosinality-stylegan2-generator-g``         ``g`` (no EMA)  ``stylegan2_generator``
``rosinality-stylegan2-discriminator``       ``d``           ``stylegan2_discriminator``
===========================================  ==============  ===========================

**Files.** A released ``.pt`` is ``{'g_ema': state, 'latent_avg': tensor}`` (plus ``'g'`` and
``'d'`` when converted with ``--gen --disc``); it reads as one flat dict (``g_ema.style.1
.weight``, ...) and each format takes its network out of it. A plain state dict of one network
(``style.1.weight``, ...) is accepted as well. ``latent_avg`` becomes d2gan's ``w_avg`` (the
point ``truncation_psi`` pulls towards, as ``truncation_latent`` in ``generate.py``); a file
without it leaves ``w_avg`` zero -- rosinality then averages ``g_ema.mean_latent(4096)``;
d2gan's ``G.w_avg.set_data(G.mapping(z).mean(axis=0))`` for many ``z`` does the same.
``train.py``'s own checkpoints also hold optimizer states and ``args``: write their ``g_ema``
/ ``d`` state dicts as ``.npz`` first (``scripts/pth_to_npz.py``).

Read off the state dict: the resolution (number of ``convs``: two per resolution above 4, or
D's ``ResBlock`` count), ``style_dim`` (d2gan's ``z_dim`` = ``w_dim``), ``n_mlp`` (``style.1``
... ``style.n``; ``style.0`` is the parameter-free PixelNorm), the width at each resolution --
rosinality's table ``512`` up to 32 px, then ``16384 * channel_multiplier / res`` -- solved
for ``channel_base`` / ``channel_max`` (config F: 32768 and 512); widths of no such pair are
refused with them listed. Keys map one to one:

=================================================  =============================================
rosinality                                         d2gan
=================================================  =============================================
``style.{i}.weight / bias`` (lr_mul 0.01)          ``mapping.layers.{i-1}`` (lr_multiplier 0.01)
``input.input`` (1, C, 4, 4)                       ``synthesis.blocks.0.const`` (C, 4, 4)
``conv1``, ``to_rgb1``                             ``synthesis.blocks.0.conv1``, ``.torgb``
``convs.{2j}``, ``convs.{2j+1}``, ``to_rgbs.{j}``  ``synthesis.blocks.{j+1}.conv0``, ``.conv1``,
                                                   ``.torgb``
``*.conv.weight`` (1, O, I, k, k)                  ``*.weight`` (O, I, k, k)
``*.conv.modulation.weight / bias``                ``*.affine.weight / bias``
``*.noise.weight``                                 ``*.noise_strength``
``*.activate.bias``; ``to_rgb*.bias`` (1, 3, 1, 1) ``*.bias``; ``*.torgb.bias`` (3,)
D ``convs.0.0.weight``, ``convs.0.1.bias``         ``blocks.0.fromrgb.0.weight / bias``
D ``convs.{i}.conv1`` / ``conv2`` / ``skip``       ``blocks.{i-1}.main.0`` / ``main.1`` / ``skip``
D ``final_conv``, ``final_linear.0`` / ``.1``      ``epilogue.1.0``, ``epilogue.2`` / ``.4``
=================================================  =============================================

The computations agree: rosinality's up-sampling convolution (transposed convolution of
stride 2, then a blur padded ``(1, 1)`` with the filter times 4) is d2gan's ``upfirdn2d``
then a convolution with the flipped weight: both are the full convolution of the zero-
stuffed input with weight and filter, read at the same offset. Its ``Blur`` then stride-2
convolution is d2gan's padded filter then stride (the 1x1 skip: filter, then every second
pixel). Modulation scales the weight by ``1 / sqrt(fan_in)`` before demodulating, which
cancels except inside the ``+ 1e-8`` (relative ``1e-8``). ``NoiseInjection`` adds ``weight *
N(0, 1)`` before bias and activation, as d2gan adds ``noise_strength * N(0, 1)``; zero the
strengths for rosinality's zero noise. Buffers: ``*.kernel`` -- checked to be the ``[1, 3, 3,
1]`` filter (times 4 where it up-samples), another is refused; ``noises.noise_*`` (the fixed
noise of ``randomize_noise=False``) -- ignored, d2gan draws fresh noise.

Not in the file, taken as rosinality's defaults: minibatch-stddev group 4 (rosinality uses
``min(batch, 4)``; d2gan needs a batch that is a multiple of 4) with one feature (checked:
``final_conv`` takes one channel more than it gives).
"""
import numpy as np

from ..nn.upfirdn import setup_filter
from .convert import FORMATS
from .nvlabs import channel_config, check_one_stddev_feature
from .state_dict import PretrainedError, required, sub_state

NETWORKS = ('g', 'g_ema', 'd')


def _network(state, name, fmt):
    """``(state of network name, latent_avg or None)`` of a combined file or a plain state."""
    if any(key.split('.', 1)[0] in NETWORKS for key in state):
        what = f'{fmt} (network {name!r} of a rosinality checkpoint)'
        return sub_state(state, name, what), state.get('latent_avg')
    return state, state.get('latent_avg')


def check_kernels(state, fmt, up_keys):
    """Every ``*.kernel`` buffer must be the ``[1, 3, 3, 1]`` filter (times 4 in ``up_keys``)."""
    keys = [key for key in state if key.endswith('.kernel')]
    for key in keys:
        ours = setup_filter() * (4 if key in up_keys else 1)
        value = np.asarray(state[key], dtype=np.float32)
        if value.shape != ours.shape or not np.allclose(value, ours, atol=1e-6):
            raise PretrainedError(f'{fmt}: {key} is not the [1, 3, 3, 1] low-pass filter '
                                  f"{'times 4 ' if key in up_keys else ''}d2gan resamples "
                                  f'with (shape {value.shape})')
    return keys


def _fitted(state):
    """The modulated weights without their leading 1, ToRGB biases and the const flat."""
    def fit(key, value):
        value = np.asarray(value)
        if key.endswith('.conv.weight') and value.ndim == 5 and value.shape[0] == 1:
            return value[0]
        if (key.startswith('to_rgb') and key.endswith('.bias') and value.ndim == 4) or \
                (key == 'input.input' and value.ndim == 4 and value.shape[0] == 1):
            return value.reshape(value.shape[1:] if key == 'input.input' else (-1,))
        return value
    return {key: fit(key, value) for key, value in state.items()}


def _styled(ref, ours):
    return [(f'{ref}.conv.weight', f'{ours}.weight'),
            (f'{ref}.conv.modulation.weight', f'{ours}.affine.weight'),
            (f'{ref}.conv.modulation.bias', f'{ours}.affine.bias'),
            (f'{ref}.noise.weight', f'{ours}.noise_strength'),
            (f'{ref}.activate.bias', f'{ours}.bias')]


def _to_rgb(ref, ours):
    return [(f'{ref}.conv.weight', f'{ours}.weight'), (f'{ref}.bias', f'{ours}.bias'),
            (f'{ref}.conv.modulation.weight', f'{ours}.affine.weight'),
            (f'{ref}.conv.modulation.bias', f'{ours}.affine.bias')]


def generator(state, fmt='rosinality-stylegan2-generator', network='g_ema'):
    state, latent_avg = _network(state, network, fmt)
    first = required(state, 'style.1.weight', fmt, 'Generator')
    n_mlp = 1
    while f'style.{n_mlp + 1}.weight' in state:
        n_mlp += 1
    style_dim = int(first.shape[0])
    required(state, 'conv1.conv.weight', fmt, 'Generator')
    levels = 0
    while f'convs.{2 * levels}.conv.weight' in state:
        levels += 1
    resolution = 4 * 2 ** levels
    widths = {4: int(np.shape(state['conv1.conv.weight'])[1])}
    for j in range(levels):
        widths[8 * 2 ** j] = int(np.shape(required(state, f'convs.{2 * j + 1}.conv.weight', fmt,
                                               'Generator'))[1])
    base, top = channel_config(widths, fmt)
    pairs = [(f'style.{i}.{p}', f'mapping.layers.{i - 1}.{p}') for i in range(1, n_mlp + 1)
             for p in ('weight', 'bias')]
    pairs += [('latent_avg', 'w_avg'), ('input.input', 'synthesis.blocks.0.const')]
    pairs += _styled('conv1', 'synthesis.blocks.0.conv1')
    pairs += _to_rgb('to_rgb1', 'synthesis.blocks.0.torgb')
    for j in range(levels):
        ours = f'synthesis.blocks.{j + 1}'
        pairs += _styled(f'convs.{2 * j}', f'{ours}.conv0')
        pairs += _styled(f'convs.{2 * j + 1}', f'{ours}.conv1')
        pairs += _to_rgb(f'to_rgbs.{j}', f'{ours}.torgb')
    up = {f'convs.{2 * j}.conv.blur.kernel' for j in range(levels)}
    up |= {f'to_rgbs.{j}.upsample.kernel' for j in range(levels)}
    ignored = check_kernels(state, fmt, up) + [k for k in state if k.startswith('noises.')]
    state = _fitted(state)
    if latent_avg is not None:
        state['latent_avg'] = np.reshape(latent_avg, (-1,))
    img_channels = int(np.shape(state['to_rgb1.conv.weight'])[0])
    kwargs = dict(resolution=resolution, img_channels=img_channels, z_dim=style_dim,
                  w_dim=style_dim, mapping_layers=n_mlp, channel_base=base, channel_max=top)
    return dict(model='stylegan2_generator', kwargs=kwargs, pairs=pairs, ignored=ignored,
                optional=('latent_avg',), state=state)


FORMATS.register('rosinality-stylegan2-generator', family='rosinality')(generator)


@FORMATS.register('rosinality-stylegan2-generator-g', family='rosinality')
def training_generator(state, fmt='rosinality-stylegan2-generator-g'):
    """The generator being trained (``'g'``), not its moving average ``'g_ema'``."""
    return generator(state, fmt, network='g')


@FORMATS.register('rosinality-stylegan2-discriminator', family='rosinality')
def discriminator(state, fmt='rosinality-stylegan2-discriminator'):
    state, _ = _network(state, 'd', fmt)
    fromrgb = required(state, 'convs.0.0.weight', fmt, 'Discriminator')
    final = required(state, 'final_conv.0.weight', fmt, 'Discriminator')
    blocks = 0
    while f'convs.{blocks + 1}.conv1.0.weight' in state:
        blocks += 1
    if blocks == 0:
        raise PretrainedError(f'{fmt}: no ResBlocks (keys convs.1.conv1.0.weight, ...)')
    resolution = 4 * 2 ** blocks
    widths = {resolution // 2 ** (i - 1): int(np.shape(state[f'convs.{i}.conv1.0.weight'])[0])
              for i in range(1, blocks + 1)}
    widths[4] = int(final.shape[0])
    check_one_stddev_feature(final, 'final_conv', fmt)
    base, top = channel_config(widths, fmt)
    pairs = [('convs.0.0.weight', 'blocks.0.fromrgb.0.weight'),
             ('convs.0.1.bias', 'blocks.0.fromrgb.0.bias')]
    for i in range(1, blocks + 1):
        ref, ours = f'convs.{i}', f'blocks.{i - 1}'
        pairs += [(f'{ref}.conv1.0.weight', f'{ours}.main.0.0.weight'),
                  (f'{ref}.conv1.1.bias', f'{ours}.main.0.0.bias'),
                  (f'{ref}.conv2.1.weight', f'{ours}.main.1.1.weight'),
                  (f'{ref}.conv2.2.bias', f'{ours}.main.1.1.bias'),
                  (f'{ref}.skip.1.weight', f'{ours}.skip.1.weight')]
    pairs += [('final_conv.0.weight', 'epilogue.1.0.weight'),
              ('final_conv.1.bias', 'epilogue.1.0.bias')]
    for ref, ours in (('0', '2'), ('1', '4')):
        pairs += [(f'final_linear.{ref}.{p}', f'epilogue.{ours}.{p}') for p in ('weight', 'bias')]
    kwargs = dict(resolution=resolution, img_channels=int(fromrgb.shape[1]), channel_base=base,
                  channel_max=top, mbstd_group_size=4)
    return dict(model='stylegan2_discriminator', kwargs=kwargs, pairs=pairs,
                ignored=check_kernels(state, fmt, set()), state=state)


__all__ = ['check_kernels']
