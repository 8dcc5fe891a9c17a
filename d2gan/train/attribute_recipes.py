"""Recipes of the attribute-editing chapter: ``'stargan'``, ``'attgan'``, ``'stgan'``.

Defaults are the papers' (128x128 CelebA, reference widths and loss weights); ``attrs`` names
the attributes (their number sets the label size) and is kept in the checkpoint's config, so
``infer`` knows what each label means. The book's CPU runs pass small widths and 32x32 images.
Batches are ``(images, attributes)`` (batch kind ``'attributes'``).
"""
from ..data.celeba_attrs import ATTGAN_ATTRS, STARGAN_ATTRS
from ..models.attgan import AttGANDiscriminator, AttGANGenerator
from ..models.stargan import StarGANDiscriminator, StarGANGenerator
from ..models.stgan import STGANGenerator, stgan_discriminator
from .attgan_step import AttGANStep
from .recipes import RECIPES
from .stargan_step import StarGANStep
from .translation_recipes import BATCH_KINDS

BATCH_KINDS.update(stargan='attributes', attgan='attributes', stgan='attributes')


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


def _named(step, attrs):
    step.names = tuple(attrs)
    return step


@RECIPES.register('stargan')
def stargan(attrs=STARGAN_ATTRS, image_size=128, channels=3, conv_dim=64, repeat_num=6,
            d_conv_dim=64, d_repeat_num=6, lambda_cls=1.0, lambda_rec=10.0, lambda_gp=10.0,
            n_critic=5, target_mode='shuffle', lr=1e-4, lr_D=None, beta1=0.5, beta2=0.999,
            devices=None, hybridize=True):
    """StarGAN (yunjey/stargan defaults): G 64-wide with 6 residual blocks, D 6 levels;
    ``lr`` / ``lr_D`` are the reference's ``g_lr`` / ``d_lr`` (``lr_D=None``: the same)."""
    net_G = StarGANGenerator(len(attrs), conv_dim, repeat_num, channels)
    net_D = StarGANDiscriminator(image_size, len(attrs), d_conv_dim, d_repeat_num, channels)
    return _named(StarGANStep(net_G, net_D, lambda_cls, lambda_rec, lambda_gp, n_critic,
                              target_mode, lr, lr_D, beta1=beta1, beta2=beta2, devices=devices,
                              hybridize=hybridize), attrs)


def _attgan_D(attrs, image_size, channels, dis_dim, dis_fc_dim, dis_layers, max_dim, stgan):
    if stgan:
        return stgan_discriminator(len(attrs), dis_dim, dis_fc_dim, dis_layers, image_size,
                                   max_dim, channels)
    return AttGANDiscriminator(len(attrs), dis_dim, dis_fc_dim, dis_layers, image_size,
                               max_dim, channels)


@RECIPES.register('attgan')
def attgan(attrs=ATTGAN_ATTRS, image_size=128, channels=3, enc_dim=64, dec_dim=64,
           enc_layers=5, dec_layers=5, shortcut_layers=1, inject_layers=1, dis_dim=64,
           dis_fc_dim=1024, dis_layers=5, max_dim=1024, thres_int=0.5, test_int=1.0,
           b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0, lambda_cls_D=1.0,
           lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=2e-4, beta1=0.5, beta2=0.999,
           devices=None, hybridize=True):
    """AttGAN (AttGAN-PyTorch defaults with the paper's shortcut 1 + inject 1 model)."""
    net_G = AttGANGenerator(len(attrs), enc_dim, dec_dim, enc_layers, dec_layers,
                            shortcut_layers, inject_layers, max_dim, channels)
    net_D = _attgan_D(attrs, image_size, channels, dis_dim, dis_fc_dim, dis_layers, max_dim,
                      stgan=False)
    return _named(AttGANStep(net_G, net_D, 'target', thres_int, test_int, b_distribution,
                             lambda_rec, lambda_cls_G, lambda_cls_D, lambda_gp, n_critic,
                             target_mode, lr, beta1=beta1, beta2=beta2, devices=devices,
                             hybridize=hybridize),
                  attrs)


@RECIPES.register('stgan')
def stgan(attrs=ATTGAN_ATTRS, image_size=128, channels=3, enc_dim=64, dec_dim=64,
          enc_layers=5, dec_layers=5, shortcut_layers=4, inject_layers=4, stu_dim=64,
          stu_layers=4, stu_inject_layers=4, stu_kernel_size=3, dis_dim=64, dis_fc_dim=1024,
          dis_layers=5, max_dim=1024, label='diff', thres_int=0.5, test_int=1.0,
          b_distribution='none', lambda_rec=100.0, lambda_cls_G=10.0, lambda_cls_D=1.0,
          lambda_gp=10.0, n_critic=5, target_mode='shuffle', lr=2e-4, beta1=0.5, beta2=0.999,
          init='xavier', devices=None, hybridize=True):
    """STGAN (csmliu/STGAN defaults): difference labels, 4 STUs, shortcut 4, inject 4;
    ``init='xavier'`` is TF-slim's Glorot init of the reference, ``'torch'`` AttGAN's."""
    net_G = STGANGenerator(len(attrs), enc_dim, dec_dim, enc_layers, dec_layers,
                           shortcut_layers, inject_layers, stu_dim, stu_layers,
                           stu_inject_layers, stu_kernel_size, max_dim, channels)
    net_D = _attgan_D(attrs, image_size, channels, dis_dim, dis_fc_dim, dis_layers, max_dim,
                      stgan=True)
    return _named(AttGANStep(net_G, net_D, label, thres_int, test_int, b_distribution,
                             lambda_rec, lambda_cls_G, lambda_cls_D, lambda_gp, n_critic,
                             target_mode, lr, beta1=beta1, beta2=beta2, init=init,
                             devices=devices, hybridize=hybridize), attrs)


def train_editor(model, data, iterations, batch_size=32, n_critic=5, seed=0, callbacks=(),
                 devices=None, checkpoint=None, **overrides):
    """Train the book-sized ``model`` on ``data`` (:class:`~d2gan.data.celeba_attrs.
    AttributeData`) for ``iterations`` generator updates, each after ``n_critic`` critic
    updates on ``batch_size`` images; the same call with the same arguments gives every model
    the same data, order and budget. Returns ``(step, state)``."""
    import mxnet as mx
    from ..data import ArrayBatches
    from .loop import train_gan
    from .recipes import build_gan
    config = book_config(model, data.images.shape[-1], attrs=list(data.names),
                         n_critic=n_critic, **overrides)
    mx.random.seed(seed)
    step = build_gan(model, devices=devices, **config)
    batches = ArrayBatches((data.images, data.attrs), batch_size * n_critic)
    epochs = -(-iterations // len(batches))
    state = train_gan(step, batches, epochs, callbacks=callbacks, seed=seed,
                      max_iterations=iterations, checkpoint=checkpoint)
    return step, state
