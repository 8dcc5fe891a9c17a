"""clovaai/stargan-v2 (``core/model.py``): StarGAN v2's state dicts -> d2gan.

The released checkpoints hold several networks each: ``100000_nets_ema.ckpt`` (what the
reference samples with) ``{'generator', 'mapping_network', 'style_encoder'}`` and
``100000_nets.ckpt`` also ``'discriminator'`` (``bash download.sh pretrained-network-afhq``).
A format reads its network's plain state dict, or takes it out of such a file by its name:

================================  ===================  ====================================
format                            reference network    d2gan network (registry name)
================================  ===================  ====================================
``starganv2-generator``           ``Generator``        ``starganv2_generator`` (w_hpf=0)
``starganv2-mapping_network``     ``MappingNetwork``   ``starganv2_mapping``
``starganv2-style_encoder``       ``StyleEncoder``     ``starganv2_style_encoder``
``starganv2-discriminator``       ``Discriminator``    ``starganv2_discriminator``
================================  ===================  ====================================

Read off the state dict: the first width (``dim_in``; the reference's ``2**14 // img_size``),
the widest (``max_conv_dim``: the same network whenever the reference's 512 is not reached),
``img_size`` from the number of residual blocks, ``style_dim``, ``latent_dim``, the mapping
network's width (``hidden_dim``) and ``num_domains`` from the heads. The reference's ``ResBlk``
names its layers (``conv1``, ``norm1``, ``conv2``, ``norm2``, ``conv1x1``); d2gan's holds them
in two chains, ``main`` and ``skip`` (:mod:`d2gan.models.starganv2`), whose indices
:func:`resblk_pairs` computes. The ``nn.Sequential`` layers of the mapping network
(``shared.{0, 2, 4, 6}``, parameter-free ReLUs between) are d2gan's ``shared.{0, 1, 2, 3}``.

**Only w_hpf = 0** (the AFHQ models). The CelebA-HQ models (``w_hpf = 1``) add high-pass skip
connections fed by face masks of the reference's landmark network (FAN, ``fan`` in the
checkpoint), which d2gan does not run; their generator holds ``hpf.filter`` and is refused
with that reason. All instance norms use each image's statistics (the reference keeps no
running statistics), so eval and training mode agree.
"""
from .convert import FORMATS
from .state_dict import PretrainedError, required, sub_state

NETWORKS = ('generator', 'mapping_network', 'style_encoder', 'discriminator')


def _count(state, key_of):
    n = 0
    while key_of(n) in state:
        n += 1
    return n


def _weight_bias(ref, ours, norm=False):
    names = (('weight', 'gamma'), ('bias', 'beta')) if norm else (('weight', 'weight'),
                                                                  ('bias', 'bias'))
    return [(f'{ref}.{a}', f'{ours}.{b}') for a, b in names]


def resblk_pairs(ref, ours, normalize, downsample, learned_sc):
    """Pairs of one ``ResBlk``: d2gan's ``main`` chain is [norm1], lrelu, conv1, [avgpool],
    [norm2], lrelu, conv2; ``skip`` is [conv1x1], [avgpool]."""
    chain = ((['norm1'] if normalize else []) + ['lrelu', 'conv1']
             + (['pool'] if downsample else []) + (['norm2'] if normalize else [])
             + ['lrelu', 'conv2'])
    pairs = []
    for index, part in enumerate(chain):
        if part in ('norm1', 'norm2', 'conv1', 'conv2'):
            pairs += _weight_bias(f'{ref}.{part}', f'{ours}.main.{index}', part.startswith('n'))
    if learned_sc:
        pairs.append((f'{ref}.conv1x1.weight', f'{ours}.skip.0.weight'))
    return pairs


def _network_state(state, name, fmt):
    """``state`` itself, or network ``name`` of a checkpoint of several."""
    if any(key.startswith(name + '.') for key in state):
        return sub_state(state, name, fmt)
    held = sorted({key.split('.', 1)[0] for key in state})
    if set(held) <= set(NETWORKS) | {'fan'}:
        raise PretrainedError(f'{fmt}: this checkpoint holds {", ".join(held)}, no {name} '
                              '(the discriminator is in *_nets.ckpt, not *_nets_ema.ckpt)')
    return state


def _plan(model, kwargs, pairs, state):
    return dict(model=model, kwargs=kwargs, pairs=pairs, state=state)


@FORMATS.register('starganv2-generator', family='starganv2')
def generator(state, fmt='starganv2-generator'):
    state = _network_state(state, 'generator', fmt)
    if 'hpf.filter' in state:
        raise PretrainedError(f'{fmt}: the state dict holds hpf.filter: a w_hpf > 0 generator '
                              '(CelebA-HQ), whose high-pass skips need the reference\'s face '
                              'landmark network (FAN); d2gan converts w_hpf = 0 (AFHQ) only')
    first = required(state, 'from_rgb.weight', fmt, 'Generator')
    blocks = _count(state, lambda i: f'encode.{i}.conv1.weight')
    if blocks < 2:
        raise PretrainedError(f'{fmt}: {blocks} encoder blocks; the reference has at least 2')
    levels = blocks - 2
    pairs = _weight_bias('from_rgb', 'from_rgb')
    for i in range(blocks):
        pairs += resblk_pairs(f'encode.{i}', f'encode.{i}', True, i < levels,
                              f'encode.{i}.conv1x1.weight' in state)
    for i in range(blocks):
        for part in ('conv1', 'conv2', 'norm1.fc', 'norm2.fc'):
            pairs += _weight_bias(f'decode.{i}.{part}', f'decode.{i}.{part}')
        if f'decode.{i}.conv1x1.weight' in state:
            pairs.append((f'decode.{i}.conv1x1.weight', f'decode.{i}.conv1x1.weight'))
    pairs += _weight_bias('to_rgb.0', 'to_rgb.0', norm=True) + _weight_bias('to_rgb.2',
                                                                            'to_rgb.2')
    widest = max(int(required(state, f'encode.{i}.conv2.weight', fmt, 'Generator').shape[0])
                 for i in range(blocks))
    kwargs = dict(img_size=2 ** (levels + 4),
                  style_dim=int(required(state, 'decode.0.norm1.fc.weight', fmt,
                                     'Generator').shape[1]),
                  max_conv_dim=widest, w_hpf=0, dim_in=int(first.shape[0]),
                  in_channels=int(first.shape[1]))
    return _plan('starganv2_generator', kwargs, pairs, state)


@FORMATS.register('starganv2-mapping_network', family='starganv2')
def mapping_network(state, fmt='starganv2-mapping_network'):
    state = _network_state(state, 'mapping_network', fmt)
    first = required(state, 'shared.0.weight', fmt, 'MappingNetwork')
    domains = _count(state, lambda d: f'unshared.{d}.0.weight')
    if domains < 1:
        required(state, 'unshared.0.0.weight', fmt, 'MappingNetwork')
    pairs = []
    for j in range(4):
        pairs += _weight_bias(f'shared.{2 * j}', f'shared.{j}')
        pairs += [pair for d in range(domains)
                  for pair in _weight_bias(f'unshared.{d}.{2 * j}', f'unshared.{d}.{j}')]
    last = required(state, 'unshared.0.6.weight', fmt, 'MappingNetwork')
    kwargs = dict(latent_dim=int(first.shape[1]), style_dim=int(last.shape[0]),
                  num_domains=domains, hidden_dim=int(first.shape[0]))
    return _plan('starganv2_mapping', kwargs, pairs, state)


def _trunk(state, prefix, fmt, network):
    """``(pairs, levels, kwargs)`` of the down-sampling trunk of E and D."""
    first = required(state, f'{prefix}.0.weight', fmt, network)
    levels = _count(state, lambda i: f'{prefix}.{i + 1}.conv1.weight')
    pairs = _weight_bias(f'{prefix}.0', f'{prefix}.0')
    for i in range(1, levels + 1):
        pairs += resblk_pairs(f'{prefix}.{i}', f'{prefix}.{i}', False, True,
                              f'{prefix}.{i}.conv1x1.weight' in state)
    last = required(state, f'{prefix}.{levels + 2}.weight', fmt, network)
    pairs += _weight_bias(f'{prefix}.{levels + 2}', f'{prefix}.{levels + 2}')
    kwargs = dict(img_size=2 ** (levels + 2), max_conv_dim=int(last.shape[0]),
                  dim_in=int(first.shape[0]), in_channels=int(first.shape[1]))
    return pairs, levels, kwargs


@FORMATS.register('starganv2-style_encoder', family='starganv2')
def style_encoder(state, fmt='starganv2-style_encoder'):
    state = _network_state(state, 'style_encoder', fmt)
    pairs, _, kwargs = _trunk(state, 'shared', fmt, 'StyleEncoder')
    head = required(state, 'unshared.0.weight', fmt, 'StyleEncoder')
    domains = _count(state, lambda d: f'unshared.{d}.weight')
    pairs += [pair for d in range(domains)
              for pair in _weight_bias(f'unshared.{d}', f'unshared.{d}')]
    kwargs.update(style_dim=int(head.shape[0]), num_domains=domains)
    return _plan('starganv2_style_encoder', kwargs, pairs, state)


@FORMATS.register('starganv2-discriminator', family='starganv2')
def discriminator(state, fmt='starganv2-discriminator'):
    state = _network_state(state, 'discriminator', fmt)
    pairs, levels, kwargs = _trunk(state, 'main', fmt, 'Discriminator')
    head = required(state, f'main.{levels + 4}.weight', fmt, 'Discriminator')
    pairs += _weight_bias(f'main.{levels + 4}', f'main.{levels + 4}')
    kwargs.update(num_domains=int(head.shape[0]))
    return _plan('starganv2_discriminator', kwargs, pairs, state)


__all__ = ['resblk_pairs', 'NETWORKS']
