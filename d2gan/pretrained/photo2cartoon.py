"""minivision-ai/photo2cartoon (``models/networks.py``): the generator's state dict -> d2gan.

The released ``photo2cartoon_weights.pt`` holds ``{'genA2B': state dict, ...}`` as the
reference's training saves its networks (``genA2B``, ``genB2A``, ``disGA``, ...); its
``test.py`` builds ``ResnetGenerator(ngf=32, img_size=256, light=True)`` and loads ``genA2B``.

==================================  ==========================  =============================
format                              reference network           d2gan network (registry name)
==================================  ==========================  =============================
``photo2cartoon-generator``,        ``ResnetGenerator``         ``photo2cartoon_generator``
``photo2cartoon-genA2B``,
``-genB2A``
==================================  ==========================  =============================

The discriminators are U-GAT-IT's: ``ugatit-disGA`` etc. (:mod:`d2gan.pretrained.ugatit`)
convert them from the same file. Read off the state dict: ``ngf`` (the first convolution),
``light`` and, unless light, ``img_size`` (the MLP's first layer takes ``4 ngf`` features, or
``(img_size / 4)^2 4 ngf``); a light generator gets the reference's default ``img_size`` 256,
which it ignores. The reference's never-called 1x1 projections of its conv blocks
(``*.ConvBlock4.2.weight``, :mod:`d2gan.models.photo2cartoon` says why) are read and dropped.

Name map (reference -> d2gan): ``ConvBlock1``, ``HourGlass1/2``, ``DownBlock1/2`` -> ``stem.{1,
4, 5, 7, 11}``; in an hourglass ``HG.{0, 1, 2}`` -> ``body.{0, 1, 2}``, ``Conv1/2/3`` ->
``to_image`` / ``features`` / ``from_image``; in its block ``ConvBlock{k}_1`` / ``_2`` ->
``skips`` / ``downs.{k-1}``, ``ConvBlock5`` -> ``center``, ``ConvBlock6..9`` -> ``ups.0..3``;
a conv block's ``ConvBlock{1,2,3}.3`` -> ``stages.{0,1,2}.3``; ``EncodeBlock{b}`` /
``DecodeBlock{b}`` -> ``encode_blocks`` / ``decode_blocks.{b-1}``; in Soft-AdaLIN
``c_gamma.{0, 2}`` -> ``c_gamma.{0, 1}``, ``s_gamma`` -> ``s_gamma.0``; ``gap_fc`` ->
``cam.gap_weight``, ``cam.gap_bias``; ``FC.{0, 2}`` -> ``fc.{0, 1}``; ``UpBlock1``,
``UpBlock2``, ``HourGlass3/4``, ``ConvBlock2`` -> ``up.{2-3, 7-8, 10, 11, 13}``.
"""
from ..models.photo2cartoon import LEVELS, N_BLOCKS
from .convert import FORMATS, register_part
from .state_dict import PretrainedError, required, sub_state

NETWORK = 'ResnetGenerator (photo2cartoon)'


def _dense(ref, ours):
    return [(f'{ref}.{p}', f'{ours}.{p}') for p in ('weight', 'bias')]


def conv_block_pairs(ref, ours):
    """``(pairs, ignored keys)`` of one conv block."""
    pairs = [(f'{ref}.ConvBlock{k}.3.weight', f'{ours}.stages.{k - 1}.3.weight')
             for k in (1, 2, 3)]
    return pairs, {f'{ref}.ConvBlock4.2.weight'}


def hourglass_pairs(ref, ours, residual=True):
    """``(pairs, ignored keys)`` of one hourglass."""
    blocks = [(f'ConvBlock{i + 1}_1', f'skips.{i}') for i in range(LEVELS)]
    blocks += [(f'ConvBlock{i + 1}_2', f'downs.{i}') for i in range(LEVELS)]
    blocks += [('ConvBlock5', 'center')]
    blocks += [(f'ConvBlock{6 + i}', f'ups.{i}') for i in range(LEVELS)]
    blocks = [(f'{ref}.HG.0.{a}', f'{ours}.body.0.{b}') for a, b in blocks]
    blocks.append((f'{ref}.HG.1', f'{ours}.body.1'))
    pairs, ignored = [(f'{ref}.HG.2.weight', f'{ours}.body.2.weight')], set()
    for a, b in blocks:
        more, skip = conv_block_pairs(a, b)
        pairs += more
        ignored |= skip
    convs = [('Conv1', 'to_image')] + ([('Conv2', 'features'), ('Conv3', 'from_image')]
                                       if residual else [])
    for a, b in convs:
        pairs += _dense(f'{ref}.{a}', f'{ours}.{b}')
    return pairs, ignored


def soft_adalin_pairs(ref, ours):
    pairs = [(f'{ref}.{p}', f'{ours}.{p}') for p in ('w_gamma', 'w_beta', 'norm.rho')]
    for name in ('c_gamma', 'c_beta'):
        pairs += _dense(f'{ref}.{name}.0', f'{ours}.{name}.0')
        pairs += _dense(f'{ref}.{name}.2', f'{ours}.{name}.1')
    for name in ('s_gamma', 's_beta'):
        pairs += _dense(f'{ref}.{name}', f'{ours}.{name}.0')
    return pairs


def generator_pairs():
    """``(pairs, ignored keys)``: ``[(reference key, d2gan parameter name)]`` of the
    ``ResnetGenerator``, and its unused projections' keys."""
    pairs, ignored = [], set()
    for ref, ours, residual in (('HourGlass1', 'stem.4', True), ('HourGlass2', 'stem.5', True),
                                ('HourGlass3', 'up.10', True), ('HourGlass4', 'up.11', False)):
        more, skip = hourglass_pairs(ref, ours, residual)
        pairs += more
        ignored |= skip
    pairs += [('ConvBlock1.1.weight', 'stem.1.weight'), ('DownBlock1.1.weight', 'stem.7.weight'),
              ('DownBlock2.1.weight', 'stem.11.weight'), ('ConvBlock2.1.weight', 'up.13.weight')]
    for b in range(N_BLOCKS):
        pairs += [(f'EncodeBlock{b + 1}.conv_block.{j}.weight',
                   f'encode_blocks.{b}.body.{j}.weight') for j in (1, 5)]
        ref, ours = f'DecodeBlock{b + 1}', f'decode_blocks.{b}'
        pairs += [(f'{ref}.conv{j}.weight', f'{ours}.conv{j}.weight') for j in (1, 2)]
        for j in (1, 2):
            pairs += soft_adalin_pairs(f'{ref}.norm{j}', f'{ours}.norm{j}')
    for name in ('gap', 'gmp'):
        pairs += [(f'{name}_fc.weight', f'cam.{name}_weight'),
                  (f'{name}_fc.bias', f'cam.{name}_bias')]
    pairs += _dense('conv1x1', 'cam.conv1x1') + _dense('FC.0', 'fc.0') + _dense('FC.2', 'fc.1')
    for ref, (conv, norm) in (('UpBlock1', (2, 3)), ('UpBlock2', (7, 8))):
        pairs.append((f'{ref}.2.weight', f'up.{conv}.weight'))
        pairs += [(f'{ref}.3.{p}', f'up.{norm}.{p}') for p in ('rho', 'gamma', 'beta')]
    return pairs, ignored


def generator(state, fmt='photo2cartoon-generator'):
    first = required(state, 'ConvBlock1.1.weight', fmt, NETWORK)
    fc = required(state, 'FC.0.weight', fmt, NETWORK)
    ngf, dim = int(first.shape[0]), 4 * int(first.shape[0])
    cells = int(fc.shape[1]) // dim
    side = int(round(cells ** 0.5))
    if fc.shape[1] % dim or side * side != cells:
        raise PretrainedError(f'{fmt}: FC.0.weight {tuple(fc.shape)} takes neither 4 ngf = '
                              f'{dim} features (light) nor (img_size / 4)^2 x {dim}')
    light = side == 1
    pairs, ignored = generator_pairs()
    kwargs = dict(ngf=ngf, img_size=256 if light else 4 * side, light=light,
                  unbiased_variance=True)
    return dict(model='photo2cartoon_generator', kwargs=kwargs, pairs=pairs, ignored=ignored)


FORMATS.register('photo2cartoon-generator', family='photo2cartoon')(generator)
for _name in ('genA2B', 'genB2A'):
    register_part('photo2cartoon', _name, generator, 'photo2cartoon_weights.pt')

__all__ = ['generator_pairs']
