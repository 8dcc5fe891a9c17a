"""yunjey/stargan (``model.py``): StarGAN's state dicts -> d2gan.

The released StarGAN weights (``200000-G.ckpt``, ``200000-D.ckpt`` of CelebA at 128 and 256,
``bash download.sh pretrained-celeba-128x128``; ``torch.save`` files, read like ``.pth``) are
state dicts of these networks:

=========================  ==============================  ==================================
format                     reference network               d2gan network (registry name)
=========================  ==============================  ==================================
``yunjey-generator``       ``Generator``                   ``stargan_generator``
``yunjey-discriminator``   ``Discriminator``               ``stargan_discriminator``
=========================  ==============================  ==================================

Everything is read from the state dict: ``conv_dim`` from the first convolution, ``c_dim`` as
its input channels less the image channels (those of the last convolution; the reference has
3), ``repeat_num`` by counting residual blocks or strided convolutions, and the
discriminator's ``image_size`` as the kernel of ``conv2`` times ``2 ** repeat_num``. The keys
follow the reference's ``nn.Sequential`` indices, parameter-free layers included:

* generator ``main.``: convs at ``0, 3, 6`` with norms at ``+1``; residual blocks at
  ``9 .. 8 + R`` with ``main.{0, 3}`` convs and ``main.{1, 4}`` norms; transposed convs at
  ``9 + R`` and ``12 + R`` with norms at ``+1``; the last conv at ``15 + R``; no biases;
* discriminator: convs (with bias) at ``main.{0, 2, ..., 2 R - 2}``, then ``conv1`` (the
  patch of real/fake scores, d2gan's ``src``) and ``conv2`` (the attribute logits, ``cls``).

**Instance norm's running statistics are ignored.** The reference builds every norm as
``InstanceNorm2d(affine=True, track_running_stats=True)`` -- so that the PyTorch-0.3 files,
which carry ``running_mean``/``running_var``, load -- but its ``Solver`` never calls
``.eval()``: training, sampling and ``test()`` all run in training mode, where PyTorch's
instance norm uses each image's own statistics. d2gan's ``AffineInstanceNorm`` always does,
so the converted generator gives the outputs of the reference's ``test()``; the reference
put in eval mode would give others (``tests/test_pretrained_stargan.py`` checks both).
"""
from .convert import FORMATS
from .state_dict import PretrainedError, required


def _count(state, key_of):
    n = 0
    while getattr(state.get(key_of(n)), 'ndim', 0) == 4:
        n += 1
    return n


def generator_layout(repeat_num):
    """``[(key prefix, kind)]`` of the reference ``Generator`` in forward order."""
    layout = [(f'main.{i + d}', kind) for i in (0, 3, 6)
              for d, kind in ((0, 'conv'), (1, 'norm'))]
    for b in range(9, 9 + repeat_num):
        layout += [(f'main.{b}.main.{i}', kind)
                   for i, kind in ((0, 'conv'), (1, 'norm'), (3, 'conv'), (4, 'norm'))]
    j = 9 + repeat_num
    return layout + [(f'main.{j}', 'convT'), (f'main.{j + 1}', 'norm'),
                     (f'main.{j + 3}', 'convT'), (f'main.{j + 4}', 'norm'),
                     (f'main.{j + 6}', 'conv')]


@FORMATS.register('yunjey-generator', family='yunjey')
def generator(state, fmt='yunjey-generator'):
    first = required(state, 'main.0.weight', fmt, 'Generator')
    required(state, 'main.1.weight', fmt, 'Generator (an affine instance norm at main.1)')
    repeat = _count(state, lambda b: f'main.{9 + b}.main.0.weight')
    last = required(state, f'main.{15 + repeat}.weight', fmt, 'Generator')
    channels = int(last.shape[0])
    c_dim = int(first.shape[1]) - channels
    if c_dim < 1:
        raise PretrainedError(f'{fmt}: the first convolution takes {first.shape[1]} channels, '
                              f'the last gives {channels}: no label channels left')
    kwargs = dict(c_dim=c_dim, conv_dim=int(first.shape[0]), repeat_num=repeat,
                  channels=channels)
    return dict(model='stargan_generator', kwargs=kwargs, layout=generator_layout(repeat),
                optional=set())


def discriminator_layout(repeat_num):
    """``[(key prefix, kind)]`` of the reference ``Discriminator`` in forward order."""
    return ([(f'main.{2 * i}', 'conv') for i in range(repeat_num)]
            + [('conv1', 'conv'), ('conv2', 'conv')])


@FORMATS.register('yunjey-discriminator', family='yunjey')
def discriminator(state, fmt='yunjey-discriminator'):
    first = required(state, 'main.0.weight', fmt, 'Discriminator')
    cls = required(state, 'conv2.weight', fmt, 'Discriminator')
    repeat = _count(state, lambda i: f'main.{2 * i}.weight')
    kwargs = dict(image_size=int(cls.shape[-1]) * 2 ** repeat, c_dim=int(cls.shape[0]),
                  conv_dim=int(first.shape[0]), repeat_num=repeat,
                  channels=int(first.shape[1]))
    return dict(model='stargan_discriminator', kwargs=kwargs,
                layout=discriminator_layout(repeat), optional=set())


__all__ = ['generator_layout', 'discriminator_layout']
