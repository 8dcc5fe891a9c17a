"""One training loop, the GAN steps it drives, callbacks and checkpoints."""
from .callbacks import Callback, LivePlot, ProgressPrinter, SampleSaver
from .checkpoint import CheckpointError, load_checkpoint, read_meta, save_checkpoint
from .divergence import TrainingDivergedError
from .gan_step import GANStep
from .loop import TrainState, train_gan
from .recipes import RECIPES, build_gan, list_gans
from . import loss_recipes  # noqa: F401,E402  (registers lsgan, wgan, wgan-gp, hinge-sn)
from . import translation_recipes  # noqa: F401,E402  (registers cgan, pix2pix)
from . import cyclegan_recipe  # noqa: F401,E402  (registers cyclegan)
from .cyclegan_step import CycleGANStep  # noqa: F401,E402
from . import spade_recipe  # noqa: F401,E402  (registers spade)
from .spade_step import SPADEStep  # noqa: F401,E402
from .cgan_step import CGANStep  # noqa: F401,E402
from .pix2pix_step import Pix2PixStep, translation_metrics  # noqa: F401,E402
from .step import Step
from . import distributed  # noqa: F401,E402  (kvstore, sharding, amp: training at scale)
from . import attribute_recipes  # noqa: F401,E402  (registers stargan, attgan, stgan)
from .attgan_step import AttGANStep  # noqa: F401,E402
from .stargan_step import StarGANStep  # noqa: F401,E402

__all__ = ['train_gan', 'TrainState', 'Step', 'GANStep', 'Callback', 'ProgressPrinter',
           'LivePlot', 'SampleSaver', 'save_checkpoint', 'load_checkpoint', 'read_meta',
           'CheckpointError', 'TrainingDivergedError', 'build_gan', 'list_gans', 'RECIPES']
