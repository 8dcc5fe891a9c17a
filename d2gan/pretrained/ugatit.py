"""znxlwm/UGATIT-pytorch (``networks.py``): U-GAT-IT's state dicts -> d2gan.

The reference saves one file of six networks (``<dataset>_params_latest.pt``,
``_params_0100000.pt``: ``{'genA2B': state dict, 'genB2A', 'disGA', 'disGB', 'disLA',
'disLB'}``); a format reads either one network's plain state dict or picks it out of that file:

==============================  ======================  =====================================
format                          reference network       d2gan network (registry name)
==============================  ======================  =====================================
``ugatit-generator``,           ``ResnetGenerator``     ``ugatit_generator``
``ugatit-genA2B``, ``-genB2A``
``ugatit-discriminator``,       ``Discriminator``       ``ugatit_discriminator``
``ugatit-disGA``, ``-disGB``,   (G: global, 7 layers;
``-disLA``, ``-disLB``          L: local, 5)
==============================  ======================  =====================================

Read off the state dict: channels, ``ngf`` / ``ndf``, ``n_blocks`` (residual blocks),
``n_layers`` (``model.{1, 4, ...}`` convolutions + 1), ``light`` (the MLP's first layer takes
``4 ngf`` features) and, unless light, ``img_size`` (that layer takes ``(img_size / 4)^2 4 ngf``).
A light generator's weights do not depend on the image size: ``img_size`` is then the
reference's default 256, which the light d2gan network ignores too. d2gan's ``down.N`` and
``up.N`` are the reference's ``DownBlock.N`` and ``UpBlock2.N``; the CAM's classifiers
``gap_fc`` / ``gmp_fc`` are ``cam.gap_weight`` / ``cam.gmp_weight``; ``FC.{0, 2}`` is
``fc.{0, 1}``.

**The discriminator's spectral norm** (``weight_orig``, ``weight_u``, ``weight_v``) becomes
d2gan's (``weight``, ``u``) so that the output is the reference's in eval mode:
:mod:`d2gan.pretrained.spectral`.

**The generator's ILN / AdaILN variance**: since 2019-08-27 (f7a4b59) the reference's ``ILN``
and ``adaILN`` divide by ``sqrt(torch.var(x) + eps)``, the *unbiased* variance (``n - 1``;
``n = H W`` for the instance part, ``C H W`` for the layer part); before that commit, by the
variance of the row variances. d2gan's generator uses the biased variance by default, as the
TensorFlow code and the paper; the converted generator is built with
``unbiased_variance=True`` (in the ``.json`` kwargs, so :func:`~d2gan.pretrained.load_converted`
rebuilds it) and then gives the reference's outputs (``tests/test_pretrained_ugatit.py``).
Without it the instance part differs by the factor ``sqrt((n - 1) / n)``, with ``eps``
neglected: about ``1 - 1 / (2 H W)``, 1.2e-4 at the 64x64 bottleneck of a 256-px generator; no
change of the weights absorbs it, since one MLP's ``gamma`` serves AdaILN layers of different
``rho``. Weights of a checkpoint saved before f7a4b59 convert too, but that reference's
variance of row variances is not rebuilt.
"""
from .convert import FORMATS, register_part
from .spectral import checked_weight, u_from_v
from .state_dict import PretrainedError, required, sub_state


def _count(state, key_of):
    n = 0
    while key_of(n) in state:
        n += 1
    return n


def generator_pairs(n_blocks):
    """``[(reference key, d2gan parameter name)]`` of the ``ResnetGenerator``."""
    pairs = [(f'DownBlock.{i}.weight', f'down.{i}.weight') for i in (1, 5, 9)]
    for i in range(12, 12 + n_blocks):
        pairs += [(f'DownBlock.{i}.conv_block.{j}.weight', f'down.{i}.body.{j}.weight')
                  for j in (1, 5)]
    pairs += [('gap_fc.weight', 'cam.gap_weight'), ('gmp_fc.weight', 'cam.gmp_weight'),
              ('conv1x1.weight', 'cam.conv1x1.weight'), ('conv1x1.bias', 'cam.conv1x1.bias'),
              ('FC.0.weight', 'fc.0.weight'), ('FC.2.weight', 'fc.1.weight'),
              ('gamma.weight', 'gamma.weight'), ('beta.weight', 'beta.weight')]
    for b in range(n_blocks):
        pairs += [(f'UpBlock1_{b + 1}.{p}', f'up_blocks.{b}.{p}')
                  for p in ('conv1.weight', 'norm1.rho', 'conv2.weight', 'norm2.rho')]
    for conv, norm in ((2, 3), (7, 8)):
        pairs += [(f'UpBlock2.{conv}.weight', f'up.{conv}.weight')]
        pairs += [(f'UpBlock2.{norm}.{p}', f'up.{norm}.{p}') for p in ('rho', 'gamma', 'beta')]
    return pairs + [('UpBlock2.11.weight', 'up.11.weight')]


def generator(state, fmt='ugatit-generator'):
    first = required(state, 'DownBlock.1.weight', fmt, 'ResnetGenerator')
    fc = required(state, 'FC.0.weight', fmt, 'ResnetGenerator')
    last = required(state, 'UpBlock2.11.weight', fmt, 'ResnetGenerator')
    ngf, dim = int(first.shape[0]), 4 * int(first.shape[0])
    n_blocks = _count(state, lambda b: f'DownBlock.{12 + b}.conv_block.1.weight')
    cells = int(fc.shape[1]) // dim
    side = int(round(cells ** 0.5))
    if fc.shape[1] % dim or side * side != cells:
        raise PretrainedError(f'{fmt}: FC.0.weight {tuple(fc.shape)} takes neither 4 ngf = '
                              f'{dim} features (light) nor (img_size / 4)^2 x {dim}')
    light = side == 1
    kwargs = dict(in_channels=int(first.shape[1]), out_channels=int(last.shape[0]), ngf=ngf,
                  n_blocks=n_blocks, img_size=256 if light else 4 * side, light=light,
                  unbiased_variance=True)
    return dict(model='ugatit_generator', kwargs=kwargs, pairs=generator_pairs(n_blocks))


def discriminator_pairs(state, n_layers):
    """``([(reference key, d2gan name, fit)], ignored keys)`` of the ``Discriminator``."""
    pairs, ignored = [], set()
    convs = [(f'model.{1 + 3 * i}', f'model.{1 + 3 * i}') for i in range(n_layers - 1)]
    for ref, ours in convs + [('conv', 'head.1')]:
        shape = getattr(state.get(f'{ref}.weight_orig'), 'shape', ())
        pairs += [(f'{ref}.weight_orig', f'{ours}.weight'),
                  (f'{ref}.weight_v', f'{ours}.u', u_from_v(state, ref, shape))]
        if ref != 'conv':
            pairs.append((f'{ref}.bias', f'{ours}.bias'))
        ignored.add(f'{ref}.weight_u')
    for ref, ours in (('gap_fc', 'cam.gap_weight'), ('gmp_fc', 'cam.gmp_weight')):
        pairs.append((f'{ref}.weight_orig', ours, checked_weight(state, ref)))
        ignored.update({f'{ref}.weight_u', f'{ref}.weight_v'})
    pairs += [('conv1x1.weight', 'cam.conv1x1.weight'), ('conv1x1.bias', 'cam.conv1x1.bias')]
    return pairs, ignored


def discriminator(state, fmt='ugatit-discriminator'):
    first = required(state, 'model.1.weight_orig', fmt, 'Discriminator (spectral norm)')
    required(state, 'conv.weight_orig', fmt, 'Discriminator (spectral norm)')
    n_layers = 1
    while {f'model.{3 * n_layers - 2}.{k}' for k in ('weight_orig', 'weight_v')} & set(state):
        n_layers += 1
    if n_layers < 3:
        raise PretrainedError(f'{fmt}: found {n_layers - 1} convolution at model.1, model.4, '
                              '...; the reference builds at least 2')
    pairs, ignored = discriminator_pairs(state, n_layers)
    kwargs = dict(in_channels=int(first.shape[1]), ndf=int(first.shape[0]), n_layers=n_layers)
    return dict(model='ugatit_discriminator', kwargs=kwargs, pairs=pairs, ignored=ignored)


FORMATS.register('ugatit-generator', family='ugatit')(generator)
FORMATS.register('ugatit-discriminator', family='ugatit')(discriminator)
for _name in ('genA2B', 'genB2A'):
    register_part('ugatit', _name, generator, 'a U-GAT-IT *_params.pt file')
for _name in ('disGA', 'disGB', 'disLA', 'disLB'):
    register_part('ugatit', _name, discriminator, 'a U-GAT-IT *_params.pt file')

__all__ = ['generator_pairs', 'discriminator_pairs']
