"""``train`` and ``infer`` for unpaired translation (batch kind ``unpaired``: CycleGAN, U-GAT-IT).

``--epochs N`` keeps the paper's schedule shape: a constant rate for ``ceil(N/2)`` epochs, then
a linear decay to zero, also after ``--resume`` with a new ``--epochs``. ``infer --target`` (a
folder of the true translations under the same names, e.g. ``truth/testA`` of the offline
synth-photo2cartoon) reports L1 / PSNR and the copy-the-input baseline.
"""
import os

from ..data import list_images, unpaired
from .common import TrainData, held_out, load_step, report_vs_truth, write_pngs

KINDS = ('unpaired',)
TITLE = 'unpaired translation'


def add_infer_options(group):
    group.add_argument('--target', default=None,
                       help='folder of the true translations (same file names): report '
                            'L1 / PSNR against them')


def _epochs_split(epochs):
    """``--epochs N``: the paper's shape, a constant rate for ``ceil(N/2)`` then decay."""
    return dict(n_epochs=epochs - epochs // 2, n_epochs_decay=epochs // 2)


def new_config(args, chosen):
    return dict(image_size=args.image_size or 256, **_epochs_split(args.epochs), **chosen)


def resumed(args, config):
    """The schedule follows the ``--epochs`` asked now."""
    schedule = _epochs_split(args.epochs)
    if any(config.get(k) != v for k, v in schedule.items()):
        print(f'--resume: the learning-rate schedule now spans --epochs {args.epochs} '
              f'({schedule["n_epochs"]} constant + {schedule["n_epochs_decay"]} decaying; '
              f'it was {config.get("n_epochs")} + {config.get("n_epochs_decay")})', flush=True)
        config.update(schedule)
    return config


def load_data(args, config):
    dataset = args.dataset or unpaired.SYNTH_PHOTO2CARTOON
    if args.dataroot and dataset == unpaired.SYNTH_PHOTO2CARTOON and os.path.isdir(
            os.path.join(args.dataroot, 'trainA')):
        dataset = 'folder'             # --dataroot points at a dataset in the layout
    train = unpaired.load_unpaired_dataset(dataset, 'train', args.dataroot)
    test = held_out(lambda: unpaired.load_unpaired_dataset(dataset, 'test', args.dataroot),
                    train)
    if args.limit:
        train.files = {d: f[:args.limit] for d, f in train.files.items()}
    size = config['image_size']
    k = min(8, *(len(f) for f in test.files.values()))
    batches = unpaired.UnpairedBatches(train, args.batch_size or 1, size,
                                       cache=len(train) <= 2000)
    counts = ', '.join(f'{len(f)} {d}' for d, f in train.files.items())
    return TrainData(batches, dataset, f'{counts} images, {size}x{size}, lr decays over the '
                                       f'last {config["n_epochs_decay"]} epochs',
                     samples=(unpaired.load_domain(test.files['A'], size, k),
                              unpaired.load_domain(test.files['B'], size, k)),
                     num_samples=6 * k, nrow=k)


def infer(args):
    """``G_A`` (``--direction AtoB``, the default) or ``G_B`` on every image of ``--input``."""
    step, config = load_step(args)
    size, direction = config['image_size'], args.direction or 'AtoB'
    files = list_images(args.input)
    print(f'translating {len(files)} images of {args.input} ...', flush=True)
    source = unpaired.load_domain(files, size)
    fake = step.translate(source, direction, args.batch_size or 8)
    write_pngs(fake, files, args.out)
    print(f'translated {len(files)} images ({size}x{size}, {direction}) into {args.out}')
    if args.target:
        targets = [os.path.join(args.target, os.path.basename(f)) for f in files]
        missing = [t for t in targets if not os.path.isfile(t)]
        if missing:
            raise ValueError(f'--target {args.target} lacks {len(missing)} of the input file '
                             f'names, e.g. {missing[0]}')
        report_vs_truth(fake, unpaired.load_domain(targets, size), source)
