"""What every ``train`` and ``infer`` command does the same way, written once.

* :func:`train` -- the one training path of all recipes: the config (new or resumed), the
  data, devices / kvstore / AMP through :class:`~d2gan.train.distributed.Parallel`, the step,
  the loop with progress, sample grids and the checkpoint;
* :func:`checkpoint_path` -- ``OUT/checkpoint.ckpt``, never overwritten without ``--resume``;
* :func:`load_step` -- the step a checkpoint describes, with its weights;
* :func:`held_out` -- a held-out split, else the training set;
* :func:`write_pngs` and :func:`report_vs_truth` -- the output of ``infer``.

A batch kind's module (:mod:`d2gan.cli.images`, ``paired``, ``unpaired``, ``semantic``,
``attributes``) says only what differs: its options, its config and its data.
"""
import os
from dataclasses import dataclass
from typing import Any, Callable, Optional

import cv2
import numpy as np
import mxnet as mx

from ..data import DatasetNotFoundError
from ..device import as_device_list
from ..gans.translation import translation_metrics
from ..plot import to_numpy_images
from ..registry import RECIPES, batch_kind, build_gan
from ..train import ProgressPrinter, SampleSaver, load_checkpoint, read_meta, train_gan
from ..train.distributed import Parallel
from .resume import given_options, recipe_options, resumed_config

#: Options that set a recipe argument of the same name (``kind.RENAMED`` maps exceptions).
RECIPE_OPTIONS = ('lr', 'ngf', 'ndf', 'n_critic', 'dim_in', 'max_conv_dim', 'lod_training_kimg',
                  'lod_transition_kimg', 'light', 'face_features', 'faceid_weight',
                  'hidden_dim', 'f_lr', 'lambda_ds', 'ds_iter', 'ema_beta', 'fmap_base',
                  'fmap_max', 'channel_base', 'channel_max', 'mapping_layers', 'layer',
                  'mbstd_group_size', 'r1_gamma', 'pl_weight', 'style_mixing')


@dataclass
class TrainData:
    """What a batch kind's ``load_data`` hands to :func:`train`."""
    batches: Any                     # ``batches(epoch, seed)`` and ``len``: global batches
    dataset: str                     # its name, for the first line of output
    summary: str                     # e.g. ``'5000 images of (1, 32, 32)'``
    samples: Optional[tuple] = None  # arguments of ``step.set_sample_data``
    num_samples: int = 64            # images in each epoch's grid
    nrow: int = 8
    about_step: Optional[Callable] = None   # step -> more of the first line, e.g. the losses


def kind_of(model):
    """The batch kind of recipe ``model``, except ``'domains'`` for a ``labelled`` one whose
    labels are domains it translates between (StarGAN v2; CGAN's are classes it generates):
    the kind ``infer`` dispatches on."""
    kind = batch_kind(model)
    return 'domains' if kind == 'labelled' and 'num_domains' in RECIPES.parameters(model) \
        else kind


def recipes_of(kinds):
    """The recipes whose batch kind (or :func:`kind_of`) is one of ``kinds``."""
    return [name for name in RECIPES.names() if batch_kind(name) in kinds
            or kind_of(name) in kinds]


def refuse_foreign_options(args, owned, kind):
    """A ``ValueError`` for an option given on the command line that ``kind`` does not take
    (``owned``: ``{option: kinds that take it}``), naming the recipes it applies to."""
    for option, kinds in owned.items():
        if option in args.given and kind not in kinds:
            flag = '--' + option.replace('_', '-')
            raise ValueError(f'{flag} does not apply to {args.model!r}; it applies to: '
                             + ', '.join(recipes_of(kinds)))


def checkpoint_path(args):
    """``OUT/checkpoint.ckpt``; refuses to overwrite one without ``--resume``, and says when
    ``--resume`` finds none (the run then starts from scratch)."""
    checkpoint = os.path.join(args.out, 'checkpoint.ckpt')
    if os.path.exists(checkpoint) and not args.resume:
        raise FileExistsError(f'{checkpoint} exists: pass --resume to continue it, or choose '
                              'another --out (nothing was overwritten)')
    if args.resume and not os.path.exists(checkpoint):
        print(f'--resume: there is no checkpoint at {checkpoint} yet, so this run starts from '
              'scratch', flush=True)
    return checkpoint


def train(args, kind, owned):
    """``python -m d2gan train`` for a recipe of batch kind module ``kind``.

    ``kind`` provides ``new_config(args, chosen)`` (``chosen``: the recipe arguments set by
    :data:`RECIPE_OPTIONS`), ``load_data(args, config) -> TrainData`` and optionally
    ``RENAMED`` (``{option: recipe argument}``) and ``resumed(args, config)``.
    Every recipe goes through the same ``Parallel``: ``--device``, ``--kvstore`` and ``--amp``
    mean the same for all of them.
    """
    args.given = given_options(args)     # before defaults fill in: what --resume must check
    args.seed = 0 if args.seed is None else args.seed
    refuse_foreign_options(args, owned, batch_kind(args.model))
    devices = as_device_list(args.device)
    renamed = getattr(kind, 'RENAMED', {})
    chosen = recipe_options(args, RECIPE_OPTIONS, renamed)   # refused where it cannot apply
    par = Parallel(args.kvstore, args.amp, devices)         # so are --kvstore and --amp
    checkpoint = checkpoint_path(args)
    if args.resume and os.path.exists(checkpoint):
        config = resumed_config(args, checkpoint, renamed.get('lr', 'lr'))
        if hasattr(kind, 'resumed'):
            config = kind.resumed(args, config)
    else:
        config = kind.new_config(args, chosen)
    data = kind.load_data(args, config)
    mx.random.seed(args.seed)
    step = par.prepare(build_gan(args.model, devices=devices, **config))
    if data.samples is not None:
        step.set_sample_data(*data.samples)
    scale = ''.join([f', kvstore {args.kvstore}' if args.kvstore else '',
                     ', float16 AMP' if args.amp else ''])
    summary = data.summary + (data.about_step(step) if data.about_step else '')
    if par.is_root:
        print(f'training {args.model} on {data.dataset} ({summary}) on {devices}{scale} '
              f'for {args.epochs} epochs; writing to {args.out}', flush=True)
    callbacks = par.root_only([
        ProgressPrinter(),
        SampleSaver(os.path.join(args.out, 'samples'), num_samples=data.num_samples,
                    nrow=data.nrow)])
    state = train_gan(step, par.shard(data.batches), args.epochs, callbacks=callbacks,
                      checkpoint=checkpoint, resume=args.resume, seed=args.seed,
                      write_checkpoint=par.is_root)
    if not par.is_root:
        return
    if state.iterations_this_run == 0 and state.epoch >= args.epochs:
        print(f'--resume: {checkpoint} has already trained {state.epoch} epoch(s), at least '
              f'--epochs {args.epochs}; nothing was trained (give a larger --epochs to continue)')
    else:
        print(f'checkpoint: {checkpoint}')


def load_step(args):
    """``(step, config)`` of ``args.checkpoint``, built on ``args.device``."""
    config = read_meta(args.checkpoint)['config']
    step = build_gan(devices=as_device_list(args.device), **config)
    load_checkpoint(args.checkpoint, step)
    return step, config


def held_out(load, fallback, errors=(DatasetNotFoundError,)):
    """``load()`` (a validation or test split), or ``fallback`` when the dataset has none."""
    try:
        return load()
    except errors:
        return fallback


def write_pngs(images, names, folder):
    """Images in [-1, 1] ``(N, C, H, W)`` as ``folder/<name>.png`` (the names' extensions are
    replaced)."""
    os.makedirs(folder, exist_ok=True)
    for name, image in zip(names, to_numpy_images(images)):
        rgb = (image * 255 + 0.5).astype(np.uint8)
        if rgb.ndim == 3 and rgb.shape[-1] == 3:
            rgb = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        stem = os.path.splitext(os.path.basename(name))[0]
        cv2.imwrite(os.path.join(folder, stem + '.png'), rgb)


def report_vs_truth(fake, real, source=None):
    """Print L1 / PSNR of ``fake`` against ``real``; with ``source`` (the inputs) also the
    baseline of copying the input."""
    m = translation_metrics(fake, real)
    line = f'  vs ground truth: L1 {m["L1"]:.4f}  PSNR {m["PSNR"]:.2f} dB'
    if source is not None and source.shape == real.shape:
        base = translation_metrics(source, real)
        line += f'   (input copied: L1 {base["L1"]:.4f}  PSNR {base["PSNR"]:.2f} dB)'
    print(line)


__all__ = ['TrainData', 'kind_of', 'recipes_of', 'refuse_foreign_options', 'checkpoint_path',
           'train', 'load_step', 'held_out', 'write_pngs', 'report_vs_truth']
