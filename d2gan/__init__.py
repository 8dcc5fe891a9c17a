"""d2gan: the support library of the book *Dive into GANs* (MXNet Gluon).

Importing it sets MXNet's CPU thread count and quiets its C++ logging *before* MXNet loads
(see :mod:`d2gan._env`), so import ``d2gan`` before ``mxnet`` for full CPU speed.
"""
from ._env import configure_environment, serial_main_thread

_CONFIGURED_BEFORE_MXNET = configure_environment()

import mxnet  # noqa: E402,F401  (after the environment is configured)

serial_main_thread()          # MXNet's OpenMP runtime is loaded now; see d2gan._env

from . import (data, gans, latent, losses, metrics, models, nn, penalty, plot,  # noqa: E402
               pretrained, train)
from .data import ArrayBatches  # noqa: E402
from .device import num_gpus, split_and_load, try_all_gpus, try_gpu  # noqa: E402
from .losses import get_loss  # noqa: E402
from .plot import Animator, heatmap_overlay, make_grid, save_grid, show_images  # noqa: E402
from .gans import (AttGANStep, CGANStep, CycleGANStep, GANStep, Pix2PixStep,  # noqa: E402
                   SPADEStep, StarGANStep, translation_metrics)
from .registry import build_gan, get_model, list_gans, list_models  # noqa: E402
from .book import glue  # noqa: E402
from .run_size import pick, quick_mode  # noqa: E402
from .timer import Timer  # noqa: E402
from .train import (Callback, CheckpointError, LivePlot, ProgressPrinter,  # noqa: E402
                    SampleSaver, TrainingDivergedError, load_checkpoint, save_checkpoint,
                    train_gan)

# The steps were first published as ``d2gan.train.<Step>``; that path keeps working.
for _name in ('GANStep', 'CGANStep', 'Pix2PixStep', 'CycleGANStep', 'SPADEStep',
              'StarGANStep', 'AttGANStep', 'translation_metrics'):
    setattr(train, _name, getattr(gans, _name))
del _name

__version__ = '0.1.0'

__all__ = ['__version__', 'glue', 'try_gpu', 'try_all_gpus', 'num_gpus', 'split_and_load',
           'get_model', 'list_models', 'build_gan', 'list_gans', 'get_loss', 'GANStep',
           'CGANStep', 'Pix2PixStep', 'CycleGANStep', 'SPADEStep', 'StarGANStep', 'AttGANStep',
           'translation_metrics',
           'train_gan', 'Callback', 'ProgressPrinter', 'LivePlot', 'SampleSaver',
           'save_checkpoint', 'load_checkpoint', 'CheckpointError', 'TrainingDivergedError',
           'ArrayBatches',
           'Animator', 'show_images', 'heatmap_overlay', 'make_grid', 'save_grid', 'Timer', 'pick', 'quick_mode',
           'data', 'gans', 'latent', 'losses', 'metrics', 'models', 'nn', 'penalty', 'plot',
           'train']
