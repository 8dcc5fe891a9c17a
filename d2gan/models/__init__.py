"""Network families; importing this package registers every one of them in ``MODELS``."""
from . import dcgan, mlp  # noqa: F401
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator
from .shape_check import num_parameters
from . import cgan, pix2pix  # noqa: F401,E402
from .cgan import CGANDiscriminator, CGANGenerator  # noqa: F401
from .pix2pix import (PatchDiscriminator, PixelDiscriminator, UnetGenerator,  # noqa: F401
                      patchgan_discriminator)
from . import cyclegan  # noqa: F401,E402
from .cyclegan import ResnetGenerator  # noqa: F401,E402

__all__ = ['num_parameters', 'DCGANGenerator', 'DCGANDiscriminator', 'MLPGenerator',
           'MLPDiscriminator']
from . import spade  # noqa: F401,E402
from .spade import MultiscaleDiscriminator, NLayerDiscriminator, SPADEGenerator  # noqa: F401,E402
from . import stargan, attgan, stgan  # noqa: F401,E402  (attribute editing)
from .stargan import StarGANDiscriminator, StarGANGenerator  # noqa: F401,E402
from .attgan import AttGANDiscriminator, AttGANGenerator  # noqa: F401,E402
from .stgan import STGANGenerator, stgan_discriminator  # noqa: F401,E402
from . import pggan  # noqa: F401,E402  (progressive growing)
from .pggan import PGGANDiscriminator, PGGANGenerator  # noqa: F401,E402
from . import stylegan2  # noqa: F401,E402  (style-based generator)
from .stylegan2 import StyleGAN2Discriminator, StyleGAN2Generator  # noqa: F401,E402
from . import starganv2  # noqa: F401,E402  (diverse multi-domain translation)
from .starganv2 import (StarGANv2Discriminator, StarGANv2Generator,  # noqa: F401,E402
                        StarGANv2Mapping, StarGANv2StyleEncoder)
from . import ugatit  # noqa: F401,E402  (attention-guided translation)
from .ugatit import UGATITDiscriminator, UGATITGenerator  # noqa: F401,E402
from . import photo2cartoon  # noqa: F401,E402  (U-GAT-IT with hourglasses, Soft-AdaLIN)
from .photo2cartoon import Photo2CartoonGenerator  # noqa: F401,E402
from . import mobilefacenet  # noqa: F401,E402  (Photo2Cartoon's face-ID features)
from .mobilefacenet import MobileFaceNet  # noqa: F401,E402
