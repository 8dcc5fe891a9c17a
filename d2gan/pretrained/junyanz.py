"""junyanz/pytorch-CycleGAN-and-pix2pix (``models/networks.py``): its state dicts -> d2gan.

The released pix2pix and CycleGAN weights (``latest_net_G.pth``) are state dicts of these
networks; the formats name the reference's ``--netG`` / ``--netD``:

=========================  ==============================  ==================================
format                     reference network               d2gan network (registry name)
=========================  ==============================  ==================================
``junyanz-unet_256``,      ``UnetGenerator``, 8 / 7 downs  ``unet_generator`` (num_downs)
``junyanz-unet_128``
``junyanz-resnet_9blocks``, ``ResnetGenerator``, 9 / 6      ``resnet_generator`` (n_blocks)
``junyanz-resnet_6blocks``  blocks
``junyanz-basic``          ``NLayerDiscriminator``, 3      ``patchgan_discriminator``
                           layers (70x70 PatchGAN)         (n_layers)
``junyanz-unet``,          the same, any depth             the same
``junyanz-resnet``,
``junyanz-n_layers``
=========================  ==============================  ==================================

Everything else is read from the state dict: channels and width from the first convolution,
the depth from the nesting of the keys, the norm from the parameters (a norm with ``weight``
is batch norm; convolutions with ``bias`` before a norm mean instance norm; neither: ``none``).
The keys follow the reference's ``nn.Sequential`` indices, parameter-free layers included:

* U-Net level ``L`` (``model.model.`` outermost, then ``1.model.``, then ``3.model.`` per
  level): outermost ``[conv 0, inner 1, ReLU, convT 3, tanh]``; middle ``[LReLU, conv 1,
  norm 2, inner 3, ReLU, convT 5, norm 6, dropout]``; innermost ``[LReLU, conv 1, ReLU,
  convT 3, norm 4]``;
* ResNet: ``model.{1, 4, 7}`` convs with norms at ``+1``, blocks ``model.{10..}`` with
  ``conv_block.{1, 5}`` convs (``{1, 6}`` with dropout), then convTs at ``10 + n`` and
  ``13 + n``, the last conv at ``17 + n``;
* PatchGAN: convs at ``model.{0, 2, 5, ...}``, each but the first and the last followed by a
  norm.

Instance norm has no parameters in the reference (``affine=False``); its running statistics,
saved by versions of 2018 (``track_running_stats=True``), are ignored, as the reference's own
loader drops them. With ``norm='none'`` the reference convolutions have no bias where d2gan's
keep one: those biases are zero. Dropout holds no weights; it is set as the papers train
(pix2pix's U-Net: on; CycleGAN's ResNet: as the file shows) and only acts in training. The
reference discriminator of 2018 could end in a sigmoid (``use_sigmoid``); d2gan's gives logits.
"""
from .convert import FORMATS
from .state_dict import PretrainedError, required


def _norm(state, norm_key, conv_key):
    """'batch' / 'instance' / 'none' from one norm slot and the convolution before it."""
    if f'{norm_key}.weight' in state:
        return 'batch'
    return 'instance' if f'{conv_key}.bias' in state else 'none'


def _expect(fmt, name, value, expected):
    if expected is not None and value != expected:
        generic = {'num_downs': 'junyanz-unet', 'n_blocks': 'junyanz-resnet',
                   'n_layers': 'junyanz-n_layers'}[name]
        raise PretrainedError(f'{fmt} has {name}={expected}, but the state dict has '
                              f'{name}={value} (the format {generic} takes any)')


def _plan(model, kwargs, layout, state, norm):
    """What :func:`d2gan.pretrained.convert` needs; with ``norm='none'`` every conv bias is
    optional (zero where the reference has none)."""
    optional = set()
    if norm == 'none':
        optional = {f'{ref}.bias' for ref, kind in layout if kind != 'norm'}
    return dict(model=model, kwargs=kwargs, layout=layout, optional=optional)


# --------------------------------------------------------------------------------------------
# U-Net generator

def unet_layout(num_downs):
    """``[(key prefix, kind)]`` of the reference ``UnetGenerator`` in forward order."""
    prefixes = ['model.model.', 'model.model.1.model.']
    while len(prefixes) < num_downs:
        prefixes.append(prefixes[-1] + '3.model.')

    def level(i):
        p = prefixes[i]
        if i == 0:
            return [(p + '0', 'conv')] + level(1) + [(p + '3', 'convT')]
        if i == num_downs - 1:
            return [(p + '1', 'conv'), (p + '3', 'convT'), (p + '4', 'norm')]
        return ([(p + '1', 'conv'), (p + '2', 'norm')] + level(i + 1)
                + [(p + '5', 'convT'), (p + '6', 'norm')])
    return level(0)


def unet(state, fmt='junyanz-unet', num_downs=None):
    first = required(state, 'model.model.0.weight', fmt, 'UnetGenerator')
    last = required(state, 'model.model.3.weight', fmt, 'UnetGenerator')
    prefix, depth = 'model.model.1.model.', 2
    required(state, prefix + '1.weight', fmt, 'UnetGenerator')
    while prefix + '3.model.1.weight' in state:
        prefix, depth = prefix + '3.model.', depth + 1
    _expect(fmt, 'num_downs', depth, num_downs)
    if depth < 5:
        raise PretrainedError(f'{fmt}: the state dict has a U-Net of {depth} levels; '
                              'the reference builds at least 5')
    norm = _norm(state, 'model.model.1.model.2', 'model.model.1.model.1')
    kwargs = dict(in_channels=int(first.shape[1]), out_channels=int(last.shape[1]),
                  num_downs=depth, ngf=int(first.shape[0]), norm=norm, dropout=True)
    return _plan('unet_generator', kwargs, unet_layout(depth), state, norm)


# --------------------------------------------------------------------------------------------
# ResNet generator

def resnet_layout(n_blocks, dropout):
    """``[(key prefix, kind)]`` of the reference ``ResnetGenerator`` in forward order."""
    layout = [(f'model.{i + d}', kind) for i in (1, 4, 7)
              for d, kind in ((0, 'conv'), (1, 'norm'))]
    second = 6 if dropout else 5
    for i in range(10, 10 + n_blocks):
        p = f'model.{i}.conv_block.'
        layout += [(p + '1', 'conv'), (p + '2', 'norm'),
                   (p + str(second), 'conv'), (p + str(second + 1), 'norm')]
    j = 10 + n_blocks
    layout += [(f'model.{j}', 'convT'), (f'model.{j + 1}', 'norm'),
               (f'model.{j + 3}', 'convT'), (f'model.{j + 4}', 'norm'),
               (f'model.{j + 7}', 'conv')]
    return layout


def resnet(state, fmt='junyanz-resnet', n_blocks=None):
    first = required(state, 'model.1.weight', fmt, 'ResnetGenerator')
    blocks = 0
    while f'model.{10 + blocks}.conv_block.1.weight' in state:
        blocks += 1
    _expect(fmt, 'n_blocks', blocks, n_blocks)
    last = required(state, f'model.{17 + blocks}.weight', fmt, 'ResnetGenerator')
    dropout = blocks > 0 and getattr(state.get('model.10.conv_block.6.weight'), 'ndim', 0) == 4
    norm = _norm(state, 'model.2', 'model.1')
    kwargs = dict(in_channels=int(first.shape[1]), out_channels=int(last.shape[0]),
                  ngf=int(first.shape[0]), n_blocks=blocks, norm=norm, dropout=dropout)
    return _plan('resnet_generator', kwargs, resnet_layout(blocks, dropout), state, norm)


# --------------------------------------------------------------------------------------------
# PatchGAN discriminator

def patchgan_layout(n_layers):
    """``[(key prefix, kind)]`` of the reference ``NLayerDiscriminator`` in forward order."""
    layout = [('model.0', 'conv')]
    for n in range(n_layers):
        layout += [(f'model.{2 + 3 * n}', 'conv'), (f'model.{3 + 3 * n}', 'norm')]
    return layout + [(f'model.{2 + 3 * n_layers}', 'conv')]


def patchgan(state, fmt='junyanz-n_layers', n_layers=None):
    first = required(state, 'model.0.weight', fmt, 'NLayerDiscriminator')
    convs = 0
    while getattr(state.get(f'model.{2 + 3 * convs}.weight'), 'ndim', 0) == 4:
        convs += 1
    if convs < 2:
        raise PretrainedError(f'{fmt}: found {convs + 1} convolutions at model.0, model.2, '
                              'model.5, ...: not a state dict of the reference\'s '
                              'NLayerDiscriminator (it has at least 3)')
    _expect(fmt, 'n_layers', convs - 1, n_layers)
    norm = _norm(state, 'model.3', 'model.2')
    kwargs = dict(in_channels=int(first.shape[1]), ndf=int(first.shape[0]),
                  n_layers=convs - 1, norm=norm)
    return _plan('patchgan_discriminator', kwargs, patchgan_layout(convs - 1), state, norm)


def _register(name, family, **fixed):
    @FORMATS.register(name, family='junyanz')
    def plan(state):
        return family(state, name, **fixed)
    return plan


for _name, _family, _fixed in [
        ('junyanz-unet', unet, {}), ('junyanz-unet_256', unet, dict(num_downs=8)),
        ('junyanz-unet_128', unet, dict(num_downs=7)), ('junyanz-resnet', resnet, {}),
        ('junyanz-resnet_9blocks', resnet, dict(n_blocks=9)),
        ('junyanz-resnet_6blocks', resnet, dict(n_blocks=6)),
        ('junyanz-n_layers', patchgan, {}), ('junyanz-basic', patchgan, dict(n_layers=3))]:
    _register(_name, _family, **_fixed)

__all__ = ['unet_layout', 'resnet_layout', 'patchgan_layout']
