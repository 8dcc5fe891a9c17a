"""The command line for semantic image synthesis (``--model spade``): train and infer.

Called by :mod:`d2gan.cli` for recipes whose batches are ``'semantic'`` ``(maps, images)``.
"""
import os

import cv2
import numpy as np
import mxnet as mx

from .cli_resume import resumed_config
from .cli_training import run_training
from .data import DatasetNotFoundError, cityscapes, list_images
from .data.paired import SYNTH_FACADES
from .device import as_device_list
from .gans.translation import translation_metrics
from .plot import to_numpy_images
from .registry import build_gan
from .train import load_checkpoint


def train_semantic(args, devices, checkpoint):
    """``train --model spade``: Cityscapes-style lists (synth-facades offline by default)."""
    args.dataset = args.dataset or SYNTH_FACADES
    if args.dataset == 'list':     # --dataroot is a "label\timage\tinstance" list file
        if not args.dataroot:
            raise ValueError('--dataset list needs --dataroot <train list file>')
        train, num_classes, palette = cityscapes.load_semantic_dataset(
            'list', list_file=args.dataroot)
        val_list = os.path.join(os.path.dirname(os.path.abspath(args.dataroot)), 'val_list.txt')
        val = cityscapes.SemanticListDataset(val_list) if os.path.isfile(val_list) else train
    else:
        train, num_classes, palette = cityscapes.load_semantic_dataset(args.dataset, 'train',
                                                                       args.dataroot)
        try:
            val = cityscapes.load_semantic_dataset(args.dataset, 'val', args.dataroot)[0]
        except (DatasetNotFoundError, KeyError):
            val = train
    config = dict(image_size=args.image_size or 256, num_classes=num_classes,
                  dataset=args.dataset)
    for key in ('ngf', 'ndf'):
        if getattr(args, key, None) is not None:
            config[key] = getattr(args, key)
    if args.lr is not None:
        config['lr_G'], config['lr_D'] = args.lr, 4 * args.lr
    if args.resume and os.path.exists(checkpoint):
        config = resumed_config(args, checkpoint, lr_key='lr_G')
    if args.limit:
        train.examples = train.examples[:args.limit]
    mx.random.seed(args.seed)
    step = build_gan(args.model, devices=devices, **config)
    size = config['image_size']
    use_instance = config.get('use_instance', True)
    data = cityscapes.SemanticBatches(train, config['num_classes'], args.batch_size or 1, size,
                                      use_instance, cache=len(train) <= 2000)
    k = min(8, len(val))
    maps, images = cityscapes.load_semantic(val, config['num_classes'], size, use_instance, k)
    step.set_sample_data(maps, images, palette)
    vgg = 'with' if step.lambda_vgg else 'without (no VGG-19 weights found)'
    print(f'training {args.model} on {args.dataset} ({len(train)} maps, '
          f'{config["num_classes"]} classes, {size}x{size}, '
          f'{vgg} the VGG loss) on {devices} for {args.epochs} epochs; writing to {args.out}',
          flush=True)
    run_training(args, step, data, checkpoint, 3 * k, k)


def infer_semantic(args, config):
    """``infer`` with a SPADE checkpoint: label maps -> photos.

    ``--input`` is a folder of label-map PNGs (class index per pixel; the instance-edge channel
    then comes from the label boundaries, or from ``--instances``, a folder of instance maps
    with the same file names), or a ``label \\t image \\t instance`` list, whose photos are then
    used to report L1 / PSNR.
    """
    step = build_gan(devices=as_device_list(args.device), **config)
    load_checkpoint(args.checkpoint, step)
    size, num_classes = config['image_size'], config['num_classes']
    use_instance = config.get('use_instance', True)
    targets = None
    if os.path.isfile(args.input):
        dataset = cityscapes.SemanticListDataset(args.input)
        names = [os.path.basename(ex[0]) for ex in dataset.examples]
        maps, targets = cityscapes.load_semantic(dataset, num_classes, size, use_instance)
    else:
        files = list_images(args.input)
        print(f'translating {len(files)} images of {args.input} ...', flush=True)
        names = [os.path.basename(f) for f in files]
        labels, instances = [], []
        for path in files:
            label = cityscapes._read_map(path)
            instance = label
            if getattr(args, 'instances', None):
                instance = cityscapes._read_map(os.path.join(args.instances,
                                                             os.path.basename(path)))
            labels.append(cityscapes._resize_map(label, size))
            instances.append(cityscapes._resize_map(instance, size))
        maps = cityscapes.semantic_input(np.stack(labels), num_classes,
                                         np.stack(instances) if use_instance else None)
    fake = step.translate(maps, args.batch_size)
    os.makedirs(args.out, exist_ok=True)
    for name, image in zip(names, to_numpy_images(fake)):
        rgb = (image * 255 + 0.5).astype(np.uint8)
        cv2.imwrite(os.path.join(args.out, os.path.splitext(name)[0] + '.png'),
                    cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    print(f'synthesised {len(names)} images ({size}x{size}) from label maps into {args.out}')
    if targets is not None:
        m = translation_metrics(fake, targets)
        print(f'  vs ground truth: L1 {m["L1"]:.4f}  PSNR {m["PSNR"]:.2f} dB')
