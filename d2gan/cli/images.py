"""``train`` and ``sample`` for GANs that generate images from noise: batch kinds ``images``
(DCGAN, LSGAN, WGAN, WGAN-GP, hinge + SN, PGGAN, StyleGAN2) and ``labelled`` (``(X, y)`` batches:
CGAN's classes, StarGAN v2's domains)."""
import inspect

import numpy as np

from ..data import ArrayBatches, load_dataset
from ..plot import save_grid
from ..registry import RECIPES, batch_kind
from .common import TrainData, load_step

KINDS = ('images', 'labelled')
TITLE = 'noise -> image GANs'
DEFAULT_DATASET = 'mnist-digits'


def add_train_options(group):
    """None beyond the shared ones (``--ngf``, ``--ndf``, ``--n-critic``, ``--lr`` reach the
    recipes that take them)."""


def new_config(args, chosen):
    return dict(image_size=args.image_size or 32, **chosen)


def spread_over_classes(y, limit):
    """Indices of ``limit`` examples taken in turn from every class (in order within a class):
    ``--limit`` on labelled data, whose shipped digits are sorted by class, so that a few
    images still cover the classes."""
    within = np.zeros(len(y), np.int64)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        within[members] = np.arange(len(members))
    return np.sort(np.lexsort((y, within))[:limit])


def load_data(args, config):
    dataset = args.dataset or DEFAULT_DATASET
    labelled = batch_kind(args.model) == 'labelled'
    X, y = load_dataset(dataset, root=args.dataroot, image_size=config['image_size'],
                        limit=None if labelled else args.limit)
    if labelled and y is None:
        raise ValueError(f'{args.model} needs class labels, but dataset {dataset!r} has none')
    if labelled and args.limit:
        keep = spread_over_classes(y, args.limit)
        X, y = X[keep], y[keep]
    channels = config.setdefault('channels', int(X.shape[1]))
    if channels != X.shape[1]:
        raise ValueError(f'the checkpoint was trained on {channels}-channel images, dataset '
                         f'{dataset!r} has {X.shape[1]} channels')
    translates = 'num_domains' in RECIPES.parameters(args.model)   # StarGAN v2: labels are domains
    if translates:
        config.setdefault('num_domains', int(y.max()) + 1)
        if len(np.unique(y)) < 2:
            raise ValueError(f'{args.model} translates between domains, but the training '
                             f'images of {dataset!r} hold one class only')
    batches = ArrayBatches((X, y) if labelled else X, args.batch_size or 64)
    return TrainData(batches, dataset, f'{len(X)} images of {tuple(X.shape[1:])}',
                     samples=(X[:16], y[:16]) if translates else None)


def sample(args):
    """``python -m d2gan sample``: a grid of ``--num`` images from a checkpoint's generator."""
    step, config = load_step(args)
    options = {}
    if getattr(args, 'truncation', None) is not None:
        if 'truncation_psi' not in inspect.signature(step.sample).parameters:
            raise ValueError(f'--truncation applies to style-based generators (stylegan2); '
                             f'{config["model"]} has no mapping network to truncate')
        options['truncation_psi'] = args.truncation
    path = save_grid(step.sample(args.num, seed=args.seed, **options), args.out, nrow=args.nrow)
    print(f'wrote {args.num} samples of {config["model"]} to {path}')
