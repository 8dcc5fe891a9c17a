"""Named GAN recipes: a step with its networks, built from a plain config dict.

``build_gan('dcgan', image_size=32, channels=1)`` returns a ready-to-train step whose ``config``
records every argument, so a checkpoint can rebuild the same networks
(``build_gan(**read_meta(path)['config'])``). The CLI's ``--model`` names a recipe.
"""
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..registry import Registry
from .gan_step import GANStep

RECIPES = Registry('GAN model')


def build_gan(model, devices=None, **config):
    """Build the step of recipe ``model``; unknown names raise ``KeyError`` listing valid ones."""
    step = RECIPES.get(model, devices=devices, **config)
    step.config = dict(config, model=model)
    return step


def list_gans():
    return RECIPES.names()


@RECIPES.register('dcgan')
def dcgan(image_size=32, channels=1, latent_dim=100, ngf=64, ndf=64, lr=2e-4, beta1=0.5,
          devices=None, hybridize=True):
    """DCGAN with the paper's optimiser: Adam(lr 2e-4, beta1 0.5), non-saturating loss."""
    net_G = DCGANGenerator(latent_dim, channels, image_size, ngf)
    net_D = DCGANDiscriminator(channels, image_size, ndf)
    return GANStep(net_G, net_D, loss='vanilla', lr=lr, beta1=beta1, devices=devices,
                   hybridize=hybridize)
