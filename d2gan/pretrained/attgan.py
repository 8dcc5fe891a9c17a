"""elvisyjlin/AttGAN-PyTorch (``attgan.py``, ``nn.py``): AttGAN's state dicts -> d2gan.

The released models (``128_shortcut1_inject0_none``, ``128_shortcut1_inject1_none``,
``384_shortcut1_inject1_none_hq``; the README's Google Drive link) hold
``checkpoint/weights.{epoch}.pth``, a ``torch.save`` of ``{'G': ..., 'D': ..., 'optim_G':
..., 'optim_D': ...}`` (the optimizer states are skipped when read):

=========================  ===============================  ==================================
format                     reference network                d2gan network
=========================  ===============================  ==================================
``attgan-generator``       ``Generator`` (``G``)            ``attgan_generator``
``attgan-discriminator``   ``Discriminators`` (``D``)       ``attgan_discriminator``
=========================  ===============================  ==================================

Read off the state dict: the encoder's and decoder's widths and depths, the number of
attributes (the decoder's first input less the encoder's last width), ``shortcut_layers`` and
``inject_layers`` (from the decoder's input widths), the discriminator's width, depth, image
size (its first dense layer reads ``1024 x f x f`` features, ``f = size / 2**n_layers``) and
``fc_dim``. Layers pair in order (``enc_layers.{i}.layers.{0,1}`` -> ``encoder.layers.{i}.{0,1}``,
``dec_layers.{i}.layers.{0,1}`` -> the decoder's transposed convolution and batch norm; D's
``conv.{i}.layers.{0,1}`` -> ``conv.{3i, 3i+1}``, ``fc_*.{0,1}.layers.0`` -> ``fc_*.{0,2}``).

Two settings are the reference's, not read from the weights: its leaky ReLUs are PyTorch's
default ``nn.LeakyReLU()``, slope 0.01 (d2gan's AttGAN uses the paper's 0.2; the converted
networks get ``slope=0.01``), and its released discriminators use ReLU in the dense layers
(``--dis_fc_acti relu``, the training default). The reference runs its networks in eval mode
for testing (batch norm with running statistics), as the converted ones run in predict mode.
The attribute vector the generator is told is ``(2 b - 1) * thres_int`` (``thres_int = 0.5``)
for target attributes ``b`` (``test.py``; an edited attribute at ``test_int``, 1.0, instead).
"""
from .convert import FORMATS
from .state_dict import PretrainedError, required, sub_state

SLOPE = 0.01        # torch.nn.LeakyReLU's default, which the reference uses


def _network(state, name, fmt):
    """Network ``name`` of a whole checkpoint (keys ``G.*``, ``D.*``), else ``state``."""
    if any(key.startswith(('G.', 'D.')) for key in state):
        return sub_state(state, name, f'{fmt} (network {name} of a weights.*.pth checkpoint)')
    return state


def decoder_extras(dec_in, dec_out, skips, n_attrs, fmt, what):
    """``(shortcut_layers, inject_layers)`` of an AttGAN-style decoder, from what its layer
    ``i + 1`` takes beyond layer ``i``'s output: the skip ``skips[i]``, the attributes, both or
    neither (only the first layers have them, as the references build them)."""
    shortcut = inject = 0
    for i in range(len(dec_in) - 1):
        extra = dec_in[i + 1] - dec_out[i]
        skip = skips[i] if i < len(skips) else 0
        parts = {0: (0, 0), n_attrs: (0, 1), skip: (1, 0), skip + n_attrs: (1, 1)}
        if extra not in parts:
            raise PretrainedError(f'{fmt}: {what}{i + 1} takes {extra} channels beyond '
                                  f'{what}{i}: neither a shortcut ({skip}) nor the '
                                  f'attributes ({n_attrs})')
        has_skip, has_attrs = parts[extra]
        shortcut += int(has_skip and shortcut == i)     # the first `shortcut` layers have one
        inject += int(has_attrs and inject == i)
    return shortcut, inject


def _count(state, key_of):
    n = 0
    while key_of(n) in state:
        n += 1
    return n


@FORMATS.register('attgan-generator', family='attgan')
def generator(state, fmt='attgan-generator'):
    state = _network(state, 'G', fmt)
    required(state, 'enc_layers.0.layers.0.weight', fmt, 'Generator')
    enc = _count(state, lambda i: f'enc_layers.{i}.layers.0.weight')
    dec = _count(state, lambda i: f'dec_layers.{i}.layers.0.weight')
    enc_widths = [int(state[f'enc_layers.{i}.layers.0.weight'].shape[0]) for i in range(enc)]
    dec_in = [int(state[f'dec_layers.{i}.layers.0.weight'].shape[0]) for i in range(dec)]
    dec_out = [int(state[f'dec_layers.{i}.layers.0.weight'].shape[1]) for i in range(dec)]
    n_attrs = dec_in[0] - enc_widths[-1]
    if n_attrs < 1 or dec < 2:
        raise PretrainedError(f'{fmt}: the decoder takes {dec_in[0]} channels, the encoder '
                              f'gives {enc_widths[-1]}: no attribute channels')
    skips = [enc_widths[dec - 2 - i] if dec - 2 - i < enc else 0 for i in range(dec - 1)]
    shortcut, inject = decoder_extras(dec_in, dec_out, skips, n_attrs, fmt, 'dec_layers.')
    layout = []
    for i in range(enc):
        layout += [(f'enc_layers.{i}.layers.0', 'conv'), (f'enc_layers.{i}.layers.1', 'norm')]
    for i in range(dec - 1):
        layout += [(f'dec_layers.{i}.layers.0', 'convT'), (f'dec_layers.{i}.layers.1', 'norm')]
    layout.append((f'dec_layers.{dec - 1}.layers.0', 'convT'))
    enc_dim, dec_dim = enc_widths[0], dec_out[-2] // 2
    kwargs = dict(n_attrs=n_attrs, enc_dim=enc_dim, dec_dim=dec_dim, enc_layers=enc,
                  dec_layers=dec, shortcut_layers=shortcut, inject_layers=inject,
                  max_dim=max(enc_widths + dec_out), channels=int(dec_out[-1]), slope=SLOPE)
    return dict(model='attgan_generator', kwargs=kwargs, layout=layout, state=state,
                optional=set())


@FORMATS.register('attgan-discriminator', family='attgan')
def discriminator(state, fmt='attgan-discriminator'):
    state = _network(state, 'D', fmt)
    required(state, 'conv.0.layers.0.weight', fmt, 'Discriminators')
    fc = required(state, 'fc_adv.0.layers.0.weight', fmt, 'Discriminators')
    cls = required(state, 'fc_cls.1.layers.0.weight', fmt, 'Discriminators')
    n_layers = _count(state, lambda i: f'conv.{i}.layers.0.weight')
    widths = [int(state[f'conv.{i}.layers.0.weight'].shape[0]) for i in range(n_layers)]
    cells = int(fc.shape[1]) // widths[-1]
    side = int(round(cells ** 0.5))
    if side * side * widths[-1] != fc.shape[1]:
        raise PretrainedError(f'{fmt}: fc_adv reads {fc.shape[1]} features, not '
                              f'{widths[-1]} x f x f')
    pairs = []
    for i in range(n_layers):
        pairs += [(f'conv.{i}.layers.0.weight', f'conv.{3 * i}.weight'),
                  (f'conv.{i}.layers.1.weight', f'conv.{3 * i + 1}.gamma'),
                  (f'conv.{i}.layers.1.bias', f'conv.{3 * i + 1}.beta')]
    for head in ('fc_adv', 'fc_cls'):
        pairs += [(f'{head}.{j}.layers.0.{p}', f'{head}.{2 * j}.{p}') for j in (0, 1)
                  for p in ('weight', 'bias')]
    kwargs = dict(n_attrs=int(cls.shape[0]), dim=widths[0], fc_dim=int(fc.shape[0]),
                  n_layers=n_layers, image_size=side * 2 ** n_layers, max_dim=max(widths),
                  channels=int(state['conv.0.layers.0.weight'].shape[1]), fc_act='relu',
                  slope=SLOPE)
    return dict(model='attgan_discriminator', kwargs=kwargs, pairs=pairs, state=state)


__all__ = ['SLOPE', 'decoder_extras']
