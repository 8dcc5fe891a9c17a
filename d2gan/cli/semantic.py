"""``train`` and ``infer`` for semantic image synthesis (batch kind ``semantic``: SPADE).

Datasets are Cityscapes-style lists (synth-facades offline by default; ``--dataset list`` with
``--dataroot`` = a ``label<TAB>image<TAB>instance`` file). ``infer`` turns a folder of label
maps, or such a list (then with L1 / PSNR against its photos), into photos.
"""
import os

import numpy as np

from ..data import DatasetNotFoundError, cityscapes, list_images
from ..data.paired import SYNTH_FACADES
from .common import TrainData, held_out, load_step, report_vs_truth, write_pngs
from .values import positive_int

KINDS = ('semantic',)
TITLE = 'semantic image synthesis'
RENAMED = {'lr': 'lr_G'}   # --lr is the generator's rate; the discriminator's is 4x (TTUR)


def add_infer_options(group):
    group.add_argument('--instances', default=None,
                       help='with a folder of label maps as --input: folder of instance maps '
                            'with the same names (default: edges of the label maps)')
    group.add_argument('--num-classes', type=positive_int, default=None,
                       help='with --weights: the classes of a converted SPADE generator\'s maps '
                            '(its map channels are these, +1 with the instance-edge channel); '
                            'default: the channels less one (edges, as Cityscapes: 35); '
                            'ADE20K: 151')


def _datasets(dataset, dataroot):
    """``(train, val, num_classes, palette)``; val is the training set when there is none."""
    if dataset == 'list':     # --dataroot is a "label\timage\tinstance" list file
        if not dataroot:
            raise ValueError('--dataset list needs --dataroot <train list file>')
        train, num_classes, palette = cityscapes.load_semantic_dataset('list',
                                                                       list_file=dataroot)
        val_list = os.path.join(os.path.dirname(os.path.abspath(dataroot)), 'val_list.txt')
        val = cityscapes.SemanticListDataset(val_list) if os.path.isfile(val_list) else train
        return train, val, num_classes, palette
    train, num_classes, palette = cityscapes.load_semantic_dataset(dataset, 'train', dataroot)
    val = held_out(lambda: cityscapes.load_semantic_dataset(dataset, 'val', dataroot)[0], train,
                   (DatasetNotFoundError, KeyError))
    return train, val, num_classes, palette


def new_config(args, chosen):
    dataset = args.dataset or SYNTH_FACADES
    num_classes = _datasets(dataset, args.dataroot)[2]
    config = dict(image_size=args.image_size or 256, num_classes=num_classes, dataset=dataset,
                  **chosen)
    if 'lr_G' in config:
        config['lr_D'] = 4 * config['lr_G']
    return config


def load_data(args, config):
    dataset = args.dataset or SYNTH_FACADES
    train, val, _, palette = _datasets(dataset, args.dataroot)
    if args.limit:
        train.examples = train.examples[:args.limit]
    size, num_classes = config['image_size'], config['num_classes']
    use_instance = config.get('use_instance', True)
    k = min(8, len(val))
    maps, images = cityscapes.load_semantic(val, num_classes, size, use_instance, k)
    batches = cityscapes.SemanticBatches(train, num_classes, args.batch_size or 1, size,
                                         use_instance, cache=len(train) <= 2000)
    return TrainData(batches, dataset, f'{len(train)} maps, {num_classes} classes, '
                                       f'{size}x{size}',
                     samples=(maps, images, palette), num_samples=3 * k, nrow=k,
                     about_step=_vgg_note)


def _vgg_note(step):
    return ', with the VGG loss' if step.lambda_vgg else \
        ', without the VGG loss (no VGG-19 weights found)'


def read_input(args, num_classes, size, use_instance):
    """``(names, maps, targets)`` of ``--input``: a list file (``targets`` its photos) or a
    folder of label-map PNGs (class index per pixel; the instance-edge channel from the label
    boundaries, or from ``--instances``; ``targets`` None), resized to ``size`` squares."""
    if os.path.isfile(args.input):
        dataset = cityscapes.SemanticListDataset(args.input)
        names = [ex[0] for ex in dataset.examples]
        maps, targets = cityscapes.load_semantic(dataset, num_classes, size, use_instance)
        return names, maps, targets
    names = list_images(args.input)
    print(f'translating {len(names)} images of {args.input} ...', flush=True)
    labels, instances = [], []
    for path in names:
        label = cityscapes._read_map(path)
        instance = label
        if args.instances:
            instance = cityscapes._read_map(os.path.join(args.instances,
                                                         os.path.basename(path)))
        labels.append(cityscapes._resize_map(label, size))
        instances.append(cityscapes._resize_map(instance, size))
    maps = cityscapes.semantic_input(np.stack(labels), num_classes,
                                     np.stack(instances) if use_instance else None)
    return names, maps, None


def finish(args, fake, names, targets, what):
    """Write the synthesised images and, with a list file's photos, report L1 / PSNR."""
    write_pngs(fake, names, args.out)
    print(f'synthesised {len(names)} images {what} from label maps into {args.out}')
    if targets is not None:
        report_vs_truth(fake, targets)


def infer(args):
    """``--input``: a folder of label-map PNGs or a list file (:func:`read_input`)."""
    if getattr(args, 'num_classes', None):
        raise ValueError('--num-classes applies to --weights; a checkpoint knows its classes')
    step, config = load_step(args)
    size, num_classes = config['image_size'], config['num_classes']
    names, maps, targets = read_input(args, num_classes, size, config.get('use_instance', True))
    fake = step.translate(maps, args.batch_size or 8)
    finish(args, fake, names, targets, f'({size}x{size})')
