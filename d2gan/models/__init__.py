"""Network families; importing this package registers every one of them in ``MODELS``."""
from . import dcgan, mlp  # noqa: F401
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = ['DCGANGenerator', 'DCGANDiscriminator', 'MLPGenerator', 'MLPDiscriminator']
