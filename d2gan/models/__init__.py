"""Network families; importing this package registers every one of them in ``MODELS``."""
from . import dcgan, mlp  # noqa: F401
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator
from . import cgan, pix2pix  # noqa: F401,E402
from .cgan import CGANDiscriminator, CGANGenerator  # noqa: F401
from .pix2pix import (PatchDiscriminator, PixelDiscriminator, UnetGenerator,  # noqa: F401
                      patchgan_discriminator)

__all__ = ['DCGANGenerator', 'DCGANDiscriminator', 'MLPGenerator', 'MLPDiscriminator']
