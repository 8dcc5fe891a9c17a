"""The attribute editors at the book's size, trained the same way: ``stargan``, ``attgan``,
``stgan``.

The recipes' defaults are the papers' (128x128 CelebA, reference widths and loss weights);
:data:`BOOK_PRESETS` are the small widths the CPU runs use at 32x32, and :func:`train_editor`
gives every editor the same data, order and budget.
"""
import mxnet as mx

from ..data.batches import ArrayBatches
from ..registry import build_gan
from ..train.loop import train_gan


#: The book's CPU-sized networks (32x32); the recipes' defaults are the papers' (128x128).
BOOK_PRESETS = {
    'stargan': dict(conv_dim=16, repeat_num=3, d_conv_dim=16, d_repeat_num=4),
    'attgan': dict(enc_dim=16, dec_dim=16, enc_layers=3, dec_layers=3, dis_dim=16,
                   dis_fc_dim=64, dis_layers=3),
    'stgan': dict(enc_dim=16, dec_dim=16, enc_layers=3, dec_layers=3, dis_dim=16,
                  dis_fc_dim=64, dis_layers=3, stu_dim=16, stu_layers=2, shortcut_layers=2,
                  inject_layers=2, stu_inject_layers=2),
}


def book_config(model, image_size=32, **overrides):
    """The chapter's small configuration of ``model`` (a dict for ``build_gan``)."""
    return dict(BOOK_PRESETS[model], image_size=image_size, **overrides)


def train_editor(model, data, iterations, batch_size=32, n_critic=5, seed=0, callbacks=(),
                 devices=None, checkpoint=None, **overrides):
    """Train the book-sized ``model`` on ``data`` (:class:`~d2gan.data.celeba_attrs.
    AttributeData`) for ``iterations`` generator updates, each after ``n_critic`` critic
    updates on ``batch_size`` images; the same call with the same arguments gives every model
    the same data, order and budget. ``image_size`` and ``attrs`` come from ``data`` (given
    again, they must agree). Returns ``(step, state)``."""
    size, attrs = data.images.shape[-1], list(data.names)
    if overrides.get('image_size', size) != size:
        raise ValueError(f'train_editor takes image_size from the data ({size}), got '
                         f"image_size={overrides['image_size']!r}: resize the images instead")
    if list(overrides.get('attrs', attrs)) != attrs:
        raise ValueError(f'train_editor takes attrs from the data ({attrs}), got '
                         f"attrs={overrides['attrs']!r}: select the attributes when loading")
    overrides = {k: v for k, v in overrides.items() if k not in ('image_size', 'attrs')}
    config = book_config(model, size, attrs=attrs,
                         n_critic=n_critic, **overrides)
    mx.random.seed(seed)
    step = build_gan(model, devices=devices, **config)
    batches = ArrayBatches((data.images, data.attrs), batch_size * n_critic)
    epochs = -(-iterations // len(batches))
    state = train_gan(step, batches, epochs, callbacks=callbacks, seed=seed,
                      max_iterations=iterations, checkpoint=checkpoint)
    return step, state
