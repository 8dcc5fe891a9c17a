"""``train`` and ``sample`` for GANs that generate images from noise: batch kinds ``images``
(DCGAN, LSGAN, WGAN, WGAN-GP, hinge + SN) and ``labelled`` (CGAN: ``(X, y)`` batches)."""
from ..data import ArrayBatches, load_dataset
from ..plot import save_grid
from ..registry import batch_kind
from .common import TrainData, load_step

KINDS = ('images', 'labelled')
TITLE = 'noise -> image GANs'
DEFAULT_DATASET = 'mnist-digits'


def add_train_options(group):
    """None beyond the shared ones (``--ngf``, ``--ndf``, ``--n-critic``, ``--lr`` reach the
    recipes that take them)."""


def new_config(args, chosen):
    return dict(image_size=args.image_size or 32, **chosen)


def load_data(args, config):
    dataset = args.dataset or DEFAULT_DATASET
    X, y = load_dataset(dataset, root=args.dataroot, image_size=config['image_size'],
                        limit=args.limit)
    labelled = batch_kind(args.model) == 'labelled'
    if labelled and y is None:
        raise ValueError(f'{args.model} needs class labels, but dataset {dataset!r} has none')
    channels = config.setdefault('channels', int(X.shape[1]))
    if channels != X.shape[1]:
        raise ValueError(f'the checkpoint was trained on {channels}-channel images, dataset '
                         f'{dataset!r} has {X.shape[1]} channels')
    batches = ArrayBatches((X, y) if labelled else X, args.batch_size or 64)
    return TrainData(batches, dataset, f'{len(X)} images of {tuple(X.shape[1:])}')


def sample(args):
    """``python -m d2gan sample``: a grid of ``--num`` images from a checkpoint's generator."""
    step, config = load_step(args)
    path = save_grid(step.sample(args.num, seed=args.seed), args.out, nrow=args.nrow)
    print(f'wrote {args.num} samples of {config["model"]} to {path}')
