"""NVlabs/SPADE (``models/networks``): SPADE's state dicts -> d2gan.

The released models (``checkpoints.tar.gz`` from the reference's README: COCO-Stuff, ADE20K,
Cityscapes) hold ``latest_net_G.pth``, the generator's state dict (``torch.save``, read as
``.pth``); training runs also save ``latest_net_D.pth``:

==============================  ==============================  ============================
format                          reference network               d2gan network
==============================  ==============================  ============================
``spade-generator``             ``SPADEGenerator`` (no VAE)     ``spade_generator``
``spade-generator-more``        the same, trained with          ``spade_generator``
                                ``--num_upsampling_layers more``
``spade-discriminator``         ``MultiscaleDiscriminator``     ``spade_discriminator``
==============================  ==============================  ============================

Read off the state dict: ``ngf`` (``fc`` gives ``16 ngf`` channels), the map's channels
(``fc``'s input: classes, plus one for "don't care" and one for instance edges where the model
used them), the image channels, SPADE's hidden width (128 in the reference), ``'most'``
up-sampling (an ``up_4`` block), whether the residual blocks' convolutions are spectrally
normalised (``weight_orig``) and SPADE's parameter-free norm (batch norm's running statistics,
or none: instance norm); for the discriminator ``ndf``, its input channels, ``n_layers_D`` and
``num_D``. **Not** in the weights: ``more`` up-sampling (an extra up-sampling between the two
middle blocks has no parameters) -- the reference's option file says it (``opt.txt`` of the
checkpoint); convert with ``spade-generator-more`` then.

Keys: ``fc``, ``conv_img`` and the blocks' names are d2gan's; in a block, SPADE's
``mlp_shared.0`` / ``mlp_gamma`` / ``mlp_beta`` are ``shared`` / ``gamma`` / ``beta``, its
``param_free_norm`` (synchronised batch norm without affine parameters; one device here, the
same function) is ``norm``, whose unit scale and zero shift d2gan stores as parameters; the
discriminator's ``discriminator_{i}.model{n}`` is ``nets.{i}.stages.{n}``. Spectral norms
convert as U-GAT-IT's (:mod:`d2gan.pretrained.spectral`): the reference in eval mode (its
``test.py``) divides by ``u^T W v`` of the stored vectors, which d2gan reproduces.

Refused, with the reason: the VAE generator (``--use_vae``: ``fc`` is a dense layer from the
style code; d2gan's SPADE has no encoder), SPADE kernels other than 3x3, discriminator norms
other than the reference's ``spectralinstance``.
"""
import numpy as np

from .convert import FORMATS
from .spectral import u_from_v
from .state_dict import PretrainedError, required

MIDDLE_AND_UP = ('head_0', 'G_middle_0', 'G_middle_1', 'up_0', 'up_1', 'up_2', 'up_3', 'up_4')


def _conv(state, ref, ours, spectral, bias=True):
    """Pairs of one convolution, plain or spectrally normalised (and the keys to ignore)."""
    if not spectral:
        return [(f'{ref}.weight', f'{ours}.weight')] + (
            [(f'{ref}.bias', f'{ours}.bias')] if bias else []), set()
    shape = getattr(state.get(f'{ref}.weight_orig'), 'shape', ())
    pairs = [(f'{ref}.weight_orig', f'{ours}.weight'),
             (f'{ref}.weight_v', f'{ours}.u', u_from_v(state, ref, shape))]
    return pairs + ([(f'{ref}.bias', f'{ours}.bias')] if bias else []), {f'{ref}.weight_u'}


def _spade(state, ref, ours, batch, fmt):
    """Pairs of one SPADE layer; its parameter-free batch norm's unit scale, zero shift added
    to ``state`` under keys of their own."""
    pairs = [(f'{ref}.mlp_shared.0.{p}', f'{ours}.shared.{p}') for p in ('weight', 'bias')]
    pairs += [(f'{ref}.mlp_{n}.{p}', f'{ours}.{n}.{p}') for n in ('gamma', 'beta')
              for p in ('weight', 'bias')]
    ignored = set()
    if batch:
        stats = f'{ref}.param_free_norm'
        mean = required(state, f'{stats}.running_mean', fmt, 'SPADEGenerator')
        state[f'{stats}.(scale)'] = np.ones_like(mean)
        state[f'{stats}.(shift)'] = np.zeros_like(mean)
        pairs += [(f'{stats}.running_mean', f'{ours}.norm.running_mean'),
                  (f'{stats}.running_var', f'{ours}.norm.running_var'),
                  (f'{stats}.(scale)', f'{ours}.norm.gamma'),
                  (f'{stats}.(shift)', f'{ours}.norm.beta')]
        ignored.add(f'{stats}.num_batches_tracked')
    return pairs, ignored


def generator(state, fmt='spade-generator', num_upsampling='normal'):
    fc = required(state, 'fc.weight', fmt, 'SPADEGenerator')
    if np.ndim(fc) != 4:
        raise PretrainedError(f'{fmt}: fc.weight has shape {tuple(np.shape(fc))}: a VAE '
                              'generator (--use_vae, fc a dense layer from the style code); '
                              "d2gan's SPADE generator starts from the map and has no encoder")
    last = required(state, 'conv_img.weight', fmt, 'SPADEGenerator')
    hidden = required(state, 'head_0.norm_0.mlp_shared.0.weight', fmt, 'SPADEGenerator')
    if hidden.shape[2:] != (3, 3):
        raise PretrainedError(f'{fmt}: SPADE kernels of {hidden.shape[2]}x{hidden.shape[3]}; '
                              "d2gan's SPADE uses the reference's default 3x3")
    spectral = 'head_0.conv_0.weight_orig' in state
    batch = 'head_0.norm_0.param_free_norm.running_mean' in state
    state = dict(state)
    if 'up_4.conv_0.weight_orig' in state or 'up_4.conv_0.weight' in state:
        num_upsampling = 'most'
    pairs, ignored = [('fc.weight', 'fc.weight'), ('fc.bias', 'fc.bias'),
                      ('conv_img.weight', 'conv_img.weight'),
                      ('conv_img.bias', 'conv_img.bias')], set()
    for block in MIDDLE_AND_UP[:8 if num_upsampling == 'most' else 7]:
        names = ['0', '1'] + (['s'] if f'{block}.norm_s.mlp_shared.0.weight' in state else [])
        for n in names:
            more, skip = _spade(state, f'{block}.norm_{n}', f'{block}.norm_{n}', batch, fmt)
            pairs += more
            ignored |= skip
            more, skip = _conv(state, f'{block}.conv_{n}', f'{block}.conv_{n}', spectral,
                               bias=n != 's')
            pairs += more
            ignored |= skip
    kwargs = dict(label_channels=int(fc.shape[1]), ngf=int(fc.shape[0]) // 16,
                  out_channels=int(last.shape[0]), num_upsampling=num_upsampling,
                  hidden=int(hidden.shape[0]), norm='batch' if batch else 'instance',
                  spectral=spectral)
    return dict(model='spade_generator', kwargs=kwargs, pairs=pairs, ignored=ignored,
                state=state)


FORMATS.register('spade-generator', family='spade')(generator)


@FORMATS.register('spade-generator-more', family='spade')
def generator_more(state, fmt='spade-generator-more'):
    """A generator trained with ``--num_upsampling_layers more`` (not visible in weights)."""
    return generator(state, fmt, num_upsampling='more')


@FORMATS.register('spade-discriminator', family='spade')
def discriminator(state, fmt='spade-discriminator'):
    first = required(state, 'discriminator_0.model0.0.weight', fmt, 'MultiscaleDiscriminator')
    num_D = 0
    while f'discriminator_{num_D}.model0.0.weight' in state:
        num_D += 1
    n_layers = 1
    while any(k.startswith(f'discriminator_0.model{n_layers + 1}.') for k in state):
        n_layers += 1
    for n in range(1, n_layers):
        if f'discriminator_0.model{n}.0.0.weight_orig' not in state:
            raise PretrainedError(f'{fmt}: discriminator_0.model{n} is not a spectrally '
                                  'normalised convolution followed by a parameter-free norm: '
                                  "d2gan converts the reference's default norm_D "
                                  'spectralinstance')
    pairs, ignored = [], set()
    for i in range(num_D):
        ref, ours = f'discriminator_{i}', f'nets.{i}.stages'
        pairs += [(f'{ref}.model0.0.{p}', f'{ours}.0.0.{p}') for p in ('weight', 'bias')]
        for n in range(1, n_layers):
            more, skip = _conv(state, f'{ref}.model{n}.0.0', f'{ours}.{n}.0', True, bias=False)
            pairs += more
            ignored |= skip
        pairs += [(f'{ref}.model{n_layers}.0.{p}', f'{ours}.{n_layers}.{p}')
                  for p in ('weight', 'bias')]
    kwargs = dict(in_channels=int(first.shape[1]), ndf=int(first.shape[0]), n_layers=n_layers,
                  num_D=num_D, norm='instance', spectral=True)
    return dict(model='spade_discriminator', kwargs=kwargs, pairs=pairs, ignored=ignored)


__all__ = ['MIDDLE_AND_UP']
