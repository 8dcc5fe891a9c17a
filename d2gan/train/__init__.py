"""One training loop, the GAN steps it drives, callbacks and checkpoints."""
from .callbacks import Callback, LivePlot, ProgressPrinter, SampleSaver
from .checkpoint import CheckpointError, load_checkpoint, read_meta, save_checkpoint
from .gan_step import GANStep
from .loop import TrainState, train_gan
from .recipes import RECIPES, build_gan, list_gans
from .step import Step

__all__ = ['train_gan', 'TrainState', 'Step', 'GANStep', 'Callback', 'ProgressPrinter',
           'LivePlot', 'SampleSaver', 'save_checkpoint', 'load_checkpoint', 'read_meta',
           'CheckpointError', 'build_gan', 'list_gans', 'RECIPES']
