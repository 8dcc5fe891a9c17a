"""The engine: the step contract, one training loop, callbacks, checkpoints and training at scale.

The GANs it trains live in :mod:`d2gan.gans` (one file per family); ``build_gan`` and
``list_gans`` are re-exported here from :mod:`d2gan.registry` for older callers.
"""
from . import distributed  # noqa: F401  (kvstore, sharding, amp: training at scale)
from .callbacks import Callback, LivePlot, ProgressPrinter, SampleSaver
from .checkpoint import CheckpointError, load_checkpoint, read_meta, save_checkpoint
from .divergence import TrainingDivergedError
from .loop import TrainState, train_gan
from .step import Step
from ..registry import RECIPES, build_gan, list_gans

__all__ = ['train_gan', 'TrainState', 'Step', 'Callback', 'ProgressPrinter', 'LivePlot',
           'SampleSaver', 'save_checkpoint', 'load_checkpoint', 'read_meta', 'CheckpointError',
           'TrainingDivergedError',
           'build_gan', 'list_gans', 'RECIPES']
