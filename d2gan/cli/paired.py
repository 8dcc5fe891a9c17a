"""``train`` and ``infer`` for paired translation (batch kind ``paired``: Pix2Pix).

Training batches carry the paper's jitter; the sample grids show input, output and target of
the validation split (the training set when there is none). ``infer`` translates a folder of
images, or of A|B pairs with ``--paired`` and then reports L1 / PSNR against the other side.
"""
from ..data import list_images, paired
from .common import TrainData, held_out, load_step, report_vs_truth, write_pngs

KINDS = ('paired',)
TITLE = 'paired translation'


def add_train_options(group):
    group.add_argument('--direction', choices=['AtoB', 'BtoA'], default=None,
                       help="translate A->B or B->A (default: the dataset's usual one, "
                            'BtoA = labels->photo for facades)')


def add_infer_options(group):
    group.add_argument('--paired', action='store_true', default=None,
                       help='inputs are A|B pairs: translate the input side and report '
                            'L1 / PSNR against the other side')
    group.add_argument('--mode', choices=['eval', 'train'], default=None,
                       help="eval (the default): dropout off, running BN statistics; train: "
                            "the paper's test-time dropout and per-image statistics")


def new_config(args, chosen):
    return dict(image_size=args.image_size or 256, **chosen)


def load_data(args, config):
    dataset = args.dataset or paired.SYNTH_FACADES
    config['direction'] = paired.check_direction(
        args.direction or config.get('direction') or paired.default_direction(dataset))
    train = paired.load_paired_dataset(dataset, 'train', args.dataroot, config['direction'])
    val = held_out(lambda: paired.load_paired_dataset(dataset, 'val', args.dataroot,
                                                      config['direction']), train)
    if args.limit:
        train.files = train.files[:args.limit]
    size = config['image_size']
    k = min(8, len(val))
    batches = paired.PairedBatches(train, args.batch_size or 1, size, cache=len(train) <= 2000)
    return TrainData(batches, dataset,
                     f'{len(train)} pairs, {config["direction"]}, {size}x{size}',
                     samples=paired.load_pairs(val, size, limit=k), num_samples=3 * k, nrow=k)


def infer(args):
    step, config = load_step(args)
    size = config['image_size']
    direction = paired.check_direction(args.direction or config.get('direction') or 'AtoB')
    mode = args.mode or 'eval'
    files = list_images(args.input)
    print(f'translating {len(files)} images of {args.input} ...', flush=True)
    inputs, targets = [], []
    for path in files:
        image = paired._decode(path)
        if args.paired:
            a, b = paired.split_pair(image, path)
            image, target = (a, b) if direction == 'AtoB' else (b, a)
            targets.append(paired._resize(target, size))
        inputs.append(paired._resize(image, size))
    source = paired.to_tensor(inputs)
    fake = step.translate(source, args.batch_size or 8, mode)
    write_pngs(fake, files, args.out)
    side = f'{direction}, ' if args.paired else ''
    print(f'translated {len(files)} images ({size}x{size}, {side}mode {mode}) into {args.out}')
    if args.paired:
        report_vs_truth(fake, paired.to_tensor(targets), source)
