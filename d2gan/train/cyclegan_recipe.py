"""The ``'cyclegan'`` recipe: the paper's networks and hyper-parameters from a plain config."""
from ..models.cyclegan import cyclegan_discriminator, resnet_generator
from ..models.pix2pix import patchgan_output_size
from .cyclegan_step import CycleGANStep
from .recipes import RECIPES


def default_blocks(image_size):
    """Residual blocks of the paper: 9 for 256x256 and larger, 6 below (128x128)."""
    return 9 if image_size >= 256 else 6


@RECIPES.register('cyclegan')
def cyclegan(image_size=256, channels=3, ngf=64, ndf=64, n_blocks=None, n_layers=3,
             norm='instance', lambda_A=10.0, lambda_B=10.0, lambda_identity=0.5, loss='lsgan',
             pool_size=50, pool_seed=0, lr=2e-4, beta1=0.5, n_epochs=100, n_epochs_decay=100,
             devices=None, hybridize=True):
    """The paper's CycleGAN: ``resnet_9blocks`` (256) / ``resnet_6blocks`` (128) generators,
    70x70 PatchGAN discriminators, instance norm, LSGAN, lambda = 10, identity 0.5, pools of
    50, Adam(2e-4, 0.5), 100 epochs at a constant rate then 100 of linear decay.

    ``image_size`` picks the default ``n_blocks`` and is recorded for the CLI; the networks
    themselves take any size that is a multiple of 4.
    """
    if image_size % 4 or patchgan_output_size(image_size, n_layers) < 1:
        smallest = next(s for s in range(4, 1 << 16, 4) if patchgan_output_size(s, n_layers) >= 1)
        raise ValueError(f'CycleGAN needs an image_size that is a multiple of 4 (the generator '
                         f'halves it twice) and at least {smallest} (the {n_layers}-layer '
                         f'PatchGAN), got {image_size}')
    blocks = default_blocks(image_size) if n_blocks is None else n_blocks
    nets = [resnet_generator(channels, channels, ngf, blocks, norm) for _ in range(2)]
    nets += [cyclegan_discriminator(channels, ndf, n_layers, norm) for _ in range(2)]
    return CycleGANStep(*nets, lambda_A=lambda_A, lambda_B=lambda_B,
                        lambda_identity=lambda_identity, loss=loss, lr=lr, beta1=beta1,
                        n_epochs=n_epochs, n_epochs_decay=n_epochs_decay, pool_size=pool_size,
                        pool_seed=pool_seed, devices=devices, hybridize=hybridize)
