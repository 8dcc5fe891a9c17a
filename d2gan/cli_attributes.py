"""``train`` and ``infer`` for the attribute editors (StarGAN, AttGAN, STGAN).

``train --model stargan|attgan|stgan --attrs A,B,C``: ``--dataset digit-attrs`` (offline, the
default; the book's small networks at 32x32) or ``celeba`` (``<data root>/celeba``, the papers'
networks at 128x128 after the 178 centre crop), or ``folder`` (``--dataroot`` = any folder in
CelebA's layout). ``infer`` writes the seed's grid: the originals in the first row, then one
row per flipped attribute.
"""
import inspect
import os

import mxnet as mx

from .cli_resume import resumed_config, split_list
from .cli_training import run_training
from .data import ArrayBatches, DatasetNotFoundError, celeba_attrs, digit_attrs
from .device import as_device_list
from .gans.editing import book_config
from .metrics import score_edits
from .plot import save_grid
from .registry import build_gan
from .train import load_checkpoint

def load_attribute_split(dataset, attrs, split, root=None, image_size=32, limit=None):
    """``digit-attrs`` | ``celeba`` | ``folder`` (``root`` = the folder) as AttributeData."""
    if dataset == 'digit-attrs':
        attrs = attrs or digit_attrs.DIGIT_ATTRS
        return digit_attrs.load_digit_attrs(attrs, split, root, image_size, limit)
    if dataset == 'celeba':
        return celeba_attrs.load_celeba_attrs(attrs or celeba_attrs.STARGAN_ATTRS, split, root,
                                              image_size, 178, limit)
    if dataset == 'folder':
        if root is None:
            raise ValueError("--dataset folder needs --dataroot (a folder in CelebA's layout)")
        if not attrs:
            raise ValueError('--dataset folder needs --attrs A,B,...')
        return celeba_attrs.load_attribute_folder(root, attrs, split, image_size, None, limit)
    raise ValueError(f"attribute datasets: digit-attrs, celeba, folder; got {dataset!r}")


def train_attributes(args, devices, checkpoint):
    dataset = args.dataset or 'digit-attrs'
    paper = dataset == 'celeba'
    size = args.image_size or (128 if paper else 32)
    if args.resume and os.path.exists(checkpoint):
        config = resumed_config(args, checkpoint)
    else:
        config = dict(image_size=size) if paper else book_config(args.model, size)
        attrs = split_list(args.attrs)
        if attrs:
            config['attrs'] = attrs
        elif dataset == 'digit-attrs':
            config['attrs'] = list(digit_attrs.DIGIT_ATTRS)
        if args.lr is not None:
            config['lr'] = args.lr
        if args.n_critic is not None:
            config['n_critic'] = args.n_critic
    attrs = config.get('attrs') or (celeba_attrs.STARGAN_ATTRS if args.model == 'stargan'
                                    else celeba_attrs.ATTGAN_ATTRS)
    config['attrs'] = list(attrs)
    train = load_attribute_split(dataset, attrs, 'train', args.dataroot, config['image_size'],
                                 args.limit)
    try:
        test = load_attribute_split(dataset, attrs, 'test', args.dataroot,
                                    config['image_size'], 8)
    except (DatasetNotFoundError, ValueError):
        test = train.subset(range(min(8, len(train))))
    mx.random.seed(args.seed)
    step = build_gan(args.model, devices=devices, **config)
    step.set_sample_data(test.images[:8], test.attrs[:8])
    n_critic = config.get('n_critic', step.n_critic)
    batch = (args.batch_size or 16) * n_critic
    data = ArrayBatches((train.images, train.attrs), batch)
    k = len(test.images[:8])
    print(f'training {args.model} on {dataset} ({len(train)} images, attributes '
          f'{",".join(attrs)}, {config["image_size"]}x{config["image_size"]}) on {devices} for '
          f'{args.epochs} epochs, {n_critic} critic updates of {batch // n_critic} images per '
          f'generator update; writing to {args.out}', flush=True)
    run_training(args, step, data, checkpoint, k * (1 + len(attrs)), k)


def infer_attributes(args, config):
    """Edit the first ``--limit`` images of ``--input`` (a folder in CelebA's layout); write
    the grid (row 0 originals, one row per flipped attribute of ``--attrs``)."""
    step = build_gan(devices=as_device_list(args.device), **config)
    load_checkpoint(args.checkpoint, step)
    names = list(step.names)
    flip = split_list(args.attrs) or names
    unknown = [a for a in flip if a not in names]
    if unknown:
        raise ValueError(f'{unknown} not among the attributes the model was trained on: '
                         + ', '.join(names))
    size = config['image_size']
    folder = args.input
    crop = 178 if args.crop is None and 'celeba' in os.path.basename(
        os.path.normpath(folder)).lower() else args.crop
    data = celeba_attrs.load_attribute_folder(folder, names, args.split, size, crop,
                                              args.limit)
    kwargs = {'intensity': args.intensity} if args.intensity is not None else {}
    if kwargs and 'intensity' not in inspect.signature(step.edit_rows).parameters:
        raise ValueError(f'--intensity applies to attgan and stgan, whose attributes are coded '
                         f'+-intensity; {config["model"]} takes 0/1 target labels')
    rows = step.edit_rows(data.images, data.attrs, [names.index(a) for a in flip],
                          batch_size=args.batch_size, **kwargs)
    out = args.out if args.out.lower().endswith(('.png', '.jpg')) else \
        os.path.join(args.out, 'edits.png')
    save_grid(rows, out, nrow=len(data))
    print(f'wrote {out}: row 1 = {len(data)} original images ({", ".join(data.files)}), rows '
          f'2-{1 + len(flip)} = flipped ' + ', '.join(flip))
    if set(names) <= set(digit_attrs.DIGIT_ATTRS):
        r = score_edits(step, data.images, data.attrs, names, data.labels, identify=False,
                        batch_size=args.batch_size, **kwargs)
        print('  measured from pixels: edit accuracy '
              + ', '.join(f'{n} {r["per_attr"][n]["edit_acc"]:.2f}' for n in names)
              + f'; other attributes kept {r["mean"]["keep_acc"]:.2f}')
