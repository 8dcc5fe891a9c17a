"""d2gan: the support library of the book *Dive into GANs* (MXNet Gluon).

Importing it sets MXNet's CPU thread count and quiets its C++ logging *before* MXNet loads
(see :mod:`d2gan._env`), so import ``d2gan`` before ``mxnet`` for full CPU speed.
"""
from ._env import configure_environment

_CONFIGURED_BEFORE_MXNET = configure_environment()

import mxnet  # noqa: E402,F401  (after the environment is configured)

from . import data, latent, losses, models, nn, penalty, plot, train  # noqa: E402
from . import metrics  # noqa: E402  (after train: its callback subclasses train.Callback)
from .data import ArrayBatches  # noqa: E402
from .device import num_gpus, split_and_load, try_all_gpus, try_gpu  # noqa: E402
from .losses import get_loss  # noqa: E402
from .plot import Animator, make_grid, save_grid, show_images  # noqa: E402
from .registry import get_model, list_models  # noqa: E402
from .train import (Callback, CheckpointError, GANStep, LivePlot, ProgressPrinter,  # noqa: E402
                    SampleSaver, TrainingDivergedError, build_gan, list_gans,
                    load_checkpoint, save_checkpoint, train_gan)
from .timer import Timer  # noqa: E402
from .config import pick, quick_mode  # noqa: E402

__version__ = '0.1.0'

__all__ = ['__version__', 'try_gpu', 'try_all_gpus', 'num_gpus', 'split_and_load',
           'get_model', 'list_models', 'build_gan', 'list_gans', 'get_loss', 'GANStep',
           'train_gan', 'Callback', 'ProgressPrinter', 'LivePlot', 'SampleSaver',
           'save_checkpoint', 'load_checkpoint', 'CheckpointError', 'TrainingDivergedError',
           'ArrayBatches', 'Animator', 'show_images', 'make_grid', 'save_grid', 'Timer', 'pick',
           'quick_mode',
           'data', 'latent', 'losses', 'metrics', 'models', 'nn', 'penalty', 'plot', 'train']
