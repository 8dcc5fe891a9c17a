"""The ``'spade'`` recipe: SPADE's networks and hyper-parameters from a plain config.

Its batches are ``'semantic'``: ``(maps, images)`` with one-hot maps (+ instance edges) from
:class:`d2gan.data.SemanticBatches`.
"""
from ..data.cityscapes import label_channels
from ..models.spade import spade_discriminator, spade_generator
from .recipes import RECIPES
from .spade_step import SPADEStep
from .translation_recipes import BATCH_KINDS

BATCH_KINDS['spade'] = 'semantic'


def resolve_vgg(lambda_vgg=None, vgg_weights=None, device=None):
    """``(VGGLoss or None, lambda_vgg)``.

    ``lambda_vgg=None`` (default) means "the paper's 10 if the VGG-19 weights are on disk, else
    no VGG term"; an explicit ``lambda_vgg > 0`` without the weights raises
    :class:`~d2gan.losses_perceptual.VGGWeightsNotFoundError`.
    """
    # imported here: d2gan.losses_perceptual loads d2gan.metrics, which needs d2gan.train
    from ..losses_perceptual import VGGLoss, vgg19_weights_available
    if lambda_vgg is None:
        if not vgg19_weights_available(vgg_weights):
            return None, 0.0
        lambda_vgg = 10.0
    if lambda_vgg <= 0:
        return None, 0.0
    return VGGLoss(vgg_weights, device=device), float(lambda_vgg)


@RECIPES.register('spade')
def spade(image_size=256, num_classes=35, use_instance=True, ngf=64, ndf=64, n_layers=4,
          num_D=2, hidden=128, num_upsampling='normal', norm_G='batch', lambda_feat=10.0,
          lambda_vgg=None, vgg_weights=None, loss='hinge', lr_G=1e-4, lr_D=4e-4, beta1=0.0,
          beta2=0.9, dataset=None, devices=None, hybridize=True):
    """The paper's SPADE: SPADE generator (ngf 64, SPADE hidden 128, batch norm, spectral norm,
    5 upsamplings), two-scale PatchGAN with 4 layers, spectral + instance norm, hinge loss,
    feature matching x10, VGG x10 (when the weights are found, see :func:`resolve_vgg`),
    Adam(1e-4 / 4e-4, beta (0, 0.9)).

    ``num_classes`` (+1 with ``use_instance``) fixes the input channels (Cityscapes: 35);
    ``image_size`` and ``dataset`` are only recorded (for the CLI): the networks are fully
    convolutional. ``step.lambda_vgg`` says whether the VGG term is on.
    """
    channels = label_channels(num_classes, use_instance)
    net_G = spade_generator(channels, ngf, 3, num_upsampling, hidden, norm_G)
    net_D = spade_discriminator(channels + 3, ndf, n_layers, num_D)
    step = SPADEStep(net_G, net_D, lambda_feat=lambda_feat, lambda_vgg=0.0, loss=loss,
                     lr_G=lr_G, lr_D=lr_D, beta1=beta1, beta2=beta2, devices=devices,
                     hybridize=hybridize)
    step.vgg, step.lambda_vgg = resolve_vgg(lambda_vgg, vgg_weights, step.devices[0])
    return step
