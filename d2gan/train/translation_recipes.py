"""Recipes of the conditional chapters: ``'cgan'`` (class labels) and ``'pix2pix'`` (pairs).

``BATCH_KINDS`` tells callers such as the CLI what a recipe's batches hold: ``'labelled'`` =
``(X, y)`` with integer labels, ``'paired'`` = ``(A, B)`` aligned images, ``'unpaired'`` =
``(A, B)`` images of two domains that do not correspond (CycleGAN, registered in
``cyclegan_recipe``), ``'attributes'`` = ``(X, A)`` images with {0, 1} attribute rows
(StarGAN / AttGAN / STGAN, registered in ``attribute_recipes``); recipes not listed take plain
image batches.
"""
from ..data.paired import check_direction
from ..models.cgan import CGANDiscriminator, CGANGenerator
from ..models.pix2pix import (num_downs_for, patchgan_discriminator, pixel_discriminator,
                              unet_generator)
from .cgan_step import CGANStep
from .pix2pix_step import Pix2PixStep
from .recipes import RECIPES

BATCH_KINDS = {'cgan': 'labelled', 'pix2pix': 'paired', 'cyclegan': 'unpaired'}


def batch_kind(model):
    """``'images'``, ``'labelled'``, ``'paired'`` or ``'unpaired'``: what ``model`` trains on."""
    return BATCH_KINDS.get(model, 'images')


@RECIPES.register('cgan')
def cgan(image_size=32, channels=1, num_classes=10, latent_dim=100, ngf=64, ndf=64,
         embed_dim=None, loss='vanilla', lr=2e-4, beta1=0.5, devices=None, hybridize=True):
    """Class-conditional DCGAN: one-hot labels (``embed_dim`` for a learned embedding)."""
    net_G = CGANGenerator(latent_dim, num_classes, channels, image_size, ngf, embed_dim)
    net_D = CGANDiscriminator(num_classes, channels, image_size, ndf, embed_dim)
    return CGANStep(net_G, net_D, loss=loss, lr=lr, beta1=beta1, devices=devices,
                    hybridize=hybridize)


@RECIPES.register('pix2pix')
def pix2pix(image_size=256, in_channels=3, out_channels=3, ngf=64, ndf=64, net_D='patchgan',
            n_layers=3, norm='batch', dropout=True, lambda_l1=100.0, lambda_gan=1.0,
            loss='vanilla', pool_size=50, pool_seed=0, lr=2e-4, beta1=0.5, test_mode='eval',
            direction='AtoB', devices=None, hybridize=True):
    """The paper's Pix2Pix: U-Net with ``log2(image_size)`` downsamplings (``unet_256`` at
    256), 70x70 PatchGAN (``net_D='pixel'`` for 1x1), batch norm, lambda_L1 = 100,
    Adam(2e-4, 0.5); D's fake pairs pass an image pool of 50 (the reference default is 0).

    ``direction`` only records which side of the pairs is the input (``step.direction``), so
    that a checkpoint knows how it was trained (the CLI's ``infer`` reads it)."""
    net_G = unet_generator(in_channels, out_channels, num_downs_for(image_size), ngf, norm,
                           dropout)
    if net_D == 'patchgan':
        D = patchgan_discriminator(in_channels + out_channels, ndf, n_layers, norm)
    elif net_D == 'pixel':
        D = pixel_discriminator(in_channels + out_channels, ndf, norm)
    else:
        raise ValueError(f"net_D must be 'patchgan' or 'pixel', got {net_D!r}")
    step = Pix2PixStep(net_G, D, lambda_l1=lambda_l1, lambda_gan=lambda_gan, loss=loss, lr=lr,
                       beta1=beta1, pool_size=pool_size, pool_seed=pool_seed,
                       test_mode=test_mode, devices=devices, hybridize=hybridize)
    step.direction = check_direction(direction)
    return step
