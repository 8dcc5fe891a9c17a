"""The command line for unpaired translation (``--model cyclegan``): train and infer.

Called by :mod:`d2gan.cli` for recipes whose batches are ``'unpaired'`` ``(A, B)``.
"""
import os

import cv2
import numpy as np
import mxnet as mx

from .cli_resume import resumed_config
from .cli_training import run_training
from .data import DatasetNotFoundError, list_images, unpaired
from .device import as_device_list
from .gans.translation import translation_metrics
from .plot import to_numpy_images
from .registry import build_gan
from .train import load_checkpoint


def _epochs_split(epochs):
    """``--epochs N``: the paper's shape, a constant rate for ``ceil(N/2)`` then decay."""
    return dict(n_epochs=epochs - epochs // 2, n_epochs_decay=epochs // 2)


def train_unpaired(args, devices, checkpoint):
    """``train --model cyclegan``: a trainA/trainB folder (synth-photo2cartoon offline)."""
    args.dataset = args.dataset or unpaired.SYNTH_PHOTO2CARTOON
    if args.dataroot and args.dataset == unpaired.SYNTH_PHOTO2CARTOON and os.path.isdir(
            os.path.join(args.dataroot, 'trainA')):
        args.dataset = 'folder'             # --dataroot points at a dataset in the layout
    config = dict(image_size=args.image_size or 256, **_epochs_split(args.epochs))
    for key in ('ngf', 'ndf', 'lr'):
        if getattr(args, key, None) is not None:
            config[key] = getattr(args, key)
    if args.resume and os.path.exists(checkpoint):
        config = resumed_config(args, checkpoint)
        schedule = _epochs_split(args.epochs)   # the schedule follows the --epochs asked now
        if any(config.get(k) != v for k, v in schedule.items()):
            print(f'--resume: the learning-rate schedule now spans --epochs {args.epochs} '
                  f'({schedule["n_epochs"]} constant + {schedule["n_epochs_decay"]} decaying; '
                  f'it was {config.get("n_epochs")} + {config.get("n_epochs_decay")})',
                  flush=True)
            config.update(schedule)
    train = unpaired.load_unpaired_dataset(args.dataset, 'train', args.dataroot)
    try:
        test = unpaired.load_unpaired_dataset(args.dataset, 'test', args.dataroot)
    except DatasetNotFoundError:
        test = train
    if args.limit:
        train.files = {d: f[:args.limit] for d, f in train.files.items()}
    mx.random.seed(args.seed)
    step = build_gan(args.model, devices=devices, **config)
    size = config['image_size']
    data = unpaired.UnpairedBatches(train, args.batch_size or 1, size,
                                    cache=len(train) <= 2000)
    k = min(8, *(len(f) for f in test.files.values()))
    step.set_sample_data(unpaired.load_domain(test.files['A'], size, k),
                         unpaired.load_domain(test.files['B'], size, k))
    counts = ', '.join(f'{len(f)} {d}' for d, f in train.files.items())
    print(f'training {args.model} on {args.dataset} ({counts} images, {size}x{size}) on '
          f'{devices} for {args.epochs} epochs (lr decays over the last '
          f'{config["n_epochs_decay"]}); writing to {args.out}', flush=True)
    run_training(args, step, data, checkpoint, 6 * k, k)


def infer_unpaired(args, config):
    """``infer`` with a CycleGAN checkpoint: ``G_A`` (``--direction AtoB``) or ``G_B``.

    With ``--target`` (a folder of the true translations under the same file names, e.g.
    ``truth/testA`` of synth-photo2cartoon) it reports L1 / PSNR and the copy-the-input
    baseline.
    """
    step = build_gan(devices=as_device_list(args.device), **config)
    load_checkpoint(args.checkpoint, step)
    size, direction = config['image_size'], args.direction or 'AtoB'
    files = list_images(args.input)
    print(f'translating {len(files)} images of {args.input} ...', flush=True)
    source = unpaired.load_domain(files, size)
    fake = step.translate(source, direction, args.batch_size)
    os.makedirs(args.out, exist_ok=True)
    for path, image in zip(files, to_numpy_images(fake)):
        name = os.path.splitext(os.path.basename(path))[0] + '.png'
        rgb = (image * 255 + 0.5).astype(np.uint8)
        cv2.imwrite(os.path.join(args.out, name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    print(f'translated {len(files)} images ({size}x{size}, {direction}) into {args.out}')
    if getattr(args, 'target', None):
        names = [os.path.basename(f) for f in files]
        targets = [os.path.join(args.target, n) for n in names]
        missing = [t for t in targets if not os.path.isfile(t)]
        if missing:
            raise ValueError(f'--target {args.target} lacks {len(missing)} of the input file '
                             f'names, e.g. {missing[0]}')
        real = unpaired.load_domain(targets, size)
        m = translation_metrics(fake, real)
        base = translation_metrics(source, real)
        print(f'  vs ground truth: L1 {m["L1"]:.4f}  PSNR {m["PSNR"]:.2f} dB'
              f'   (input copied: L1 {base["L1"]:.4f}  PSNR {base["PSNR"]:.2f} dB)')
