"""Command line: ``python -m d2gan train|sample|eval|infer|models``.

Examples::

    python -m d2gan train --model dcgan --dataset mnist-digits --epochs 20 --out runs/dcgan
    python -m d2gan train --model dcgan --out runs/dcgan --resume      # continue a run
    python -m d2gan launch -n 2 -s 1 -- python -m d2gan train --kvstore dist_sync --out runs/d
    python -m d2gan sample --checkpoint runs/dcgan/checkpoint.ckpt --out grid.png
    python -m d2gan eval --checkpoint runs/dcgan/checkpoint.ckpt --metric fid,kid --num 2000
    python -m d2gan train --model pix2pix --dataset synth-facades --image-size 64 --out runs/p2p
    python -m d2gan infer --checkpoint runs/p2p/checkpoint.ckpt --input data/synth-facades/test \
        --paired --out runs/p2p/test
    python -m d2gan train --model spade --image-size 64 --ngf 16 --ndf 16 --batch-size 4 \
        --out runs/spade
    python -m d2gan infer --checkpoint runs/spade/checkpoint.ckpt \
        --input data/synth-facades/val_list.txt --out runs/spade/val     # or a folder of labels
    python -m d2gan train --model cyclegan --image-size 64 --ngf 16 --ndf 32 --batch-size 1 \
        --epochs 3 --out runs/cyclegan   # offline photo<->cartoon; --dataset horse2zebra: paper
    python -m d2gan infer --checkpoint runs/cyclegan/checkpoint.ckpt --direction AtoB \
        --input data/synth-photo2cartoon/testA --target data/synth-photo2cartoon/truth/testA \
        --out runs/cyclegan/testA
    python -m d2gan train --model stgan --attrs Red_Stroke,Thick,Inverted,Framed --epochs 10 \
        --out runs/stgan      # offline digit-attrs; --dataset celeba for the paper's setting
    python -m d2gan infer --checkpoint runs/stgan/checkpoint.ckpt --input data/digit-attrs \
        --attrs Inverted,Framed --out runs/stgan/edits.png    # row 1 originals, 1 row per flip
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np
import mxnet as mx

from . import launch, metrics
from .cli_attributes import infer_attributes, train_attributes
from .cli_resume import given_options, recipe_options, resumed_config
from .cli_semantic import infer_semantic, train_semantic
from .cli_training import run_training
from .cli_unpaired import infer_unpaired, train_unpaired
from .cli_values import ArgumentParser, positive_float, positive_int
from .data import ArrayBatches, DatasetNotFoundError, list_datasets, list_images, load_dataset
from .data import paired
from .data.paired import PIX2PIX_DATASETS, SYNTH_FACADES
from .data.unpaired import CYCLEGAN_DATASETS, SYNTH_PHOTO2CARTOON
from .device import as_device_list
from .gans.translation import translation_metrics
from .metrics import InceptionWeightsNotFoundError
from .plot import save_grid, to_numpy_images
from .registry import batch_kind, build_gan, list_gans, list_models
from .train import CheckpointError, TrainingDivergedError, load_checkpoint, read_meta
from .train.distributed import Parallel

EXAMPLES = __doc__.split('Examples::', 1)[1]


def build_parser():
    parser = ArgumentParser(
        prog='python -m d2gan', formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Train GANs from the d2gan book and sample from their checkpoints.',
        epilog='examples:' + EXAMPLES)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    train = sub.add_parser('train', help='train a GAN; checkpoints after every epoch',
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument('--model', default='dcgan', help='GAN recipe (see `models`)')
    train.add_argument('--dataset', default=None,
                       help='mnist-digits (offline, 5,000 real digits; the default), mnist, '
                            'fashion-mnist, folder; for pix2pix: synth-facades (offline, the '
                            'default), facades, cityscapes, maps, edges2shoes, folder; for '
                            'spade: synth-facades (offline, the default), cityscapes, list '
                            '(--dataroot = a label<TAB>image<TAB>instance list); for cyclegan: '
                            'synth-photo2cartoon (offline, the default), horse2zebra, '
                            'apple2orange, summer2winter, monet2photo, cityscapes, folder '
                            '(--dataroot with trainA/ trainB/ testA/ testB/)')
    train.add_argument('--dataroot', default=None,
                       help='dataset directory (default: data/ or $D2GAN_DATA; required for '
                            'folder)')
    train.add_argument('--image-size', type=positive_int, default=None,
                       help='default 32; 256 for pix2pix (the paper)')
    train.add_argument('--direction', choices=['AtoB', 'BtoA'], default=None,
                       help="pix2pix: translate A->B or B->A (default: the dataset's usual one, "
                            'BtoA = labels->photo for facades)')
    train.add_argument('--epochs', type=positive_int, default=20)
    train.add_argument('--batch-size', type=positive_int, default=None,
                       help='default 64; 1 for pix2pix (the paper)')
    train.add_argument('--lr', type=positive_float, default=None, help="learning rate (recipe's default)")
    train.add_argument('--seed', type=int, default=None, help='base seed (default 0)')
    train.add_argument('--device', default='auto',
                       help='auto, cpu, gpu (all GPUs), cpu:N, gpu:N, or a list: cpu:0,cpu:1')
    train.add_argument('--out', default='runs/gan', help='directory for checkpoint and samples')
    train.add_argument('--resume', action='store_true',
                       help='continue from OUT/checkpoint.ckpt if it exists')
    train.add_argument('--ngf', type=positive_int, default=None,
                       help="spade, cyclegan: generator width (recipe's default: 64)")
    train.add_argument('--ndf', type=positive_int, default=None,
                       help="spade, cyclegan: discriminator width (recipe's default: 64)")
    train.add_argument('--limit', type=positive_int, default=None,
                       help='use only the first N training images')
    train.add_argument('--kvstore', default=None,
                       choices=['local', 'device', 'nccl', 'dist_sync', 'dist_device_sync'],
                       help='gradient aggregation: device/nccl over the --device list, '
                            'dist_sync(_device) over the workers of `launch` (the batch size '
                            'is then the global one); default: one process as before')
    train.add_argument('--amp', action='store_true',
                       help='float16 mixed precision (mxnet.contrib.amp; GPUs only)')
    train.add_argument('--attrs', default=None,
                       help='stargan, attgan, stgan: comma-separated attributes to learn '
                            '(default: all four of digit-attrs, the offline default dataset; '
                            "the paper's for --dataset celeba)")
    train.add_argument('--n-critic', type=positive_int, default=None,
                       help="stargan, attgan, stgan: critic updates per generator update "
                            "(recipe's default: 5)")

    sample = sub.add_parser('sample', help='write an image grid from a checkpoint',
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sample.add_argument('--checkpoint', required=True)
    sample.add_argument('--num', type=positive_int, default=64)
    sample.add_argument('--nrow', type=positive_int, default=8)
    sample.add_argument('--seed', type=int, default=0)
    sample.add_argument('--device', default='auto')
    sample.add_argument('--out', default='samples.png')

    add_eval_parser(sub)
    add_infer_parser(sub)
    add_launch_parser(sub)

    sub.add_parser('models', help='list GAN recipes, networks and datasets')
    return parser


def cmd_train(args):
    args.given = given_options(args)     # before defaults fill in: what --resume must check
    args.seed = 0 if args.seed is None else args.seed

    devices = as_device_list(args.device)
    kind = batch_kind(args.model)  # an unknown name raises with the list of valid ones
    if kind == 'paired':
        return _train_paired(args, devices)
    if kind == 'semantic':
        return train_semantic(args, devices, _checkpoint_path(args))
    if kind == 'unpaired':
        return train_unpaired(args, devices, _checkpoint_path(args))
    if kind == 'attributes':
        return train_attributes(args, devices, _checkpoint_path(args))
    args.dataset = args.dataset or 'mnist-digits'
    args.image_size = args.image_size or 32
    args.batch_size = args.batch_size or 64
    X, y = load_dataset(args.dataset, root=args.dataroot, image_size=args.image_size,
                        limit=args.limit)
    if kind == 'labelled' and y is None:
        raise ValueError(f'{args.model} needs class labels, but dataset {args.dataset!r} has none')
    config = dict(image_size=args.image_size, channels=int(X.shape[1]))
    config.update(recipe_options(args, ('lr', 'ngf', 'ndf', 'n_critic')))
    checkpoint = _checkpoint_path(args)
    if args.resume and os.path.exists(checkpoint):
        config = resumed_config(args, checkpoint)
    mx.random.seed(args.seed)
    par = Parallel(args.kvstore, args.amp, devices)
    step = par.prepare(build_gan(args.model, devices=devices, **config))
    data = par.shard(ArrayBatches((X, y) if kind == 'labelled' else X, args.batch_size))
    print(f'training {args.model} on {args.dataset} ({len(X)} images of '
          f'{tuple(X.shape[1:])}) on {devices} for {args.epochs} epochs; writing to {args.out}',
          flush=True)
    run_training(args, step, data, checkpoint, parallel=par)


def _checkpoint_path(args):
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


def _train_paired(args, devices):
    """pix2pix: paired batches with the paper's jitter; sample grids from the val split."""
    checkpoint = _checkpoint_path(args)
    args.dataset = args.dataset or paired.SYNTH_FACADES
    config = dict(image_size=args.image_size or 256)
    if args.lr is not None:
        config['lr'] = args.lr
    if args.resume and os.path.exists(checkpoint):
        config = resumed_config(args, checkpoint)
    config['direction'] = paired.check_direction(
        args.direction or config.get('direction') or paired.default_direction(args.dataset))
    train = paired.load_paired_dataset(args.dataset, 'train', args.dataroot, config['direction'])
    try:
        val = paired.load_paired_dataset(args.dataset, 'val', args.dataroot,
                                         config['direction'])
    except DatasetNotFoundError:
        val = train
    if args.limit:
        train.files = train.files[:args.limit]
    mx.random.seed(args.seed)
    par = Parallel(args.kvstore, args.amp, devices)
    step = par.prepare(build_gan(args.model, devices=devices, **config))
    size = config['image_size']
    data = par.shard(paired.PairedBatches(train, args.batch_size or 1, size,
                                          cache=len(train) <= 2000))
    k = min(8, len(val))
    step.set_sample_data(*paired.load_pairs(val, size, limit=k))
    print(f'training {args.model} on {args.dataset} ({len(train)} pairs, {config["direction"]}, '
          f'{size}x{size}) on {devices} for {args.epochs} epochs; writing to {args.out}',
          flush=True)
    run_training(args, step, data, checkpoint, 3 * k, k, parallel=par)


def add_infer_parser(sub):
    infer = sub.add_parser(
        'infer', help='translate every image of a folder with a pix2pix checkpoint',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    infer.add_argument('--checkpoint', required=True)
    infer.add_argument('--input', required=True,
                       help='folder of input images (spade: of label maps, or a '
                            '"label<TAB>image<TAB>instance" list file)')
    infer.add_argument('--out', required=True, help='folder for the translated PNGs')
    infer.add_argument('--paired', action='store_true',
                       help='inputs are pix2pix A|B pairs: translate the input side and report '
                            'L1 / PSNR against the other side')
    infer.add_argument('--direction', choices=['AtoB', 'BtoA'], default=None,
                       help="with --paired: which side is the input (default: the checkpoint's);"
                            ' cyclegan: G_A (AtoB, the default) or G_B (BtoA)')
    infer.add_argument('--target', default=None,
                       help='cyclegan: folder of the true translations (same file names): '
                            'report L1 / PSNR against them')
    infer.add_argument('--mode', choices=['eval', 'train'], default='eval',
                       help="eval: dropout off, running BN statistics; train: the paper's "
                            'test-time dropout and per-image statistics')
    infer.add_argument('--instances', default=None,
                       help='spade, with a folder of label maps as --input: folder of instance '
                            'maps with the same names (default: edges of the label maps)')
    infer.add_argument('--attrs', default=None,
                       help='stargan, attgan, stgan: attributes to flip, one grid row each '
                            "(default: all the model's); --input is a folder in CelebA's "
                            'layout (img_align_celeba/ + list_attr_celeba.txt) and --out the '
                            'grid PNG (or a folder for edits.png)')
    infer.add_argument('--split', default='test', choices=['train', 'val', 'test', 'all'],
                       help='stargan, attgan, stgan: which images of --input to edit')
    infer.add_argument('--limit', type=positive_int, default=8,
                       help='stargan, attgan, stgan: edit the first N images of the split')
    infer.add_argument('--intensity', type=positive_float, default=None,
                       help='attgan, stgan: code the flipped attributes as +-INTENSITY instead '
                            'of +-0.5 (the references\' test_int)')
    infer.add_argument('--crop', type=positive_int, default=None,
                       help='stargan, attgan, stgan: centre crop before resizing (default 178 '
                            'for a folder named celeba, else none)')
    infer.add_argument('--batch-size', type=positive_int, default=8)
    infer.add_argument('--device', default='auto')


def cmd_infer(args):
    config = read_meta(args.checkpoint)['config']
    if batch_kind(config.get('model')) == 'semantic':
        return infer_semantic(args, config)
    if batch_kind(config.get('model')) == 'unpaired':
        return infer_unpaired(args, config)
    if batch_kind(config.get('model')) == 'attributes':
        return infer_attributes(args, config)
    if batch_kind(config.get('model')) != 'paired':
        raise ValueError(f'{args.checkpoint} holds a {config.get("model")!r} model; `infer` '
                         'translates images with pix2pix checkpoints (use `sample` for others)')
    step = build_gan(devices=as_device_list(args.device), **config)
    load_checkpoint(args.checkpoint, step)
    size = config['image_size']
    direction = paired.check_direction(args.direction or config.get('direction') or 'AtoB')
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
    fake = step.translate(paired.to_tensor(inputs), args.batch_size, args.mode)
    os.makedirs(args.out, exist_ok=True)
    for path, image in zip(files, to_numpy_images(fake)):
        name = os.path.splitext(os.path.basename(path))[0] + '.png'
        rgb = (image * 255 + 0.5).astype(np.uint8)
        cv2.imwrite(os.path.join(args.out, name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    side = f'{direction}, ' if args.paired else ''
    print(f'translated {len(files)} images ({size}x{size}, {side}mode {args.mode}) into {args.out}')
    if args.paired:
        real, source = paired.to_tensor(targets), paired.to_tensor(inputs)
        m = translation_metrics(fake, real)
        base = translation_metrics(source, real) if source.shape == real.shape \
            else None
        print(f'  vs ground truth: L1 {m["L1"]:.4f}  PSNR {m["PSNR"]:.2f} dB'
              + (f'   (input copied: L1 {base["L1"]:.4f}  PSNR {base["PSNR"]:.2f} dB)'
                 if base else ''))


def cmd_sample(args):
    config = read_meta(args.checkpoint)['config']
    if batch_kind(config.get('model')) in ('paired', 'unpaired', 'semantic', 'attributes'):
        raise ValueError(f'a {config["model"]} checkpoint translates or edits images: use '
                         f'`python -m d2gan infer --checkpoint {args.checkpoint} --input FOLDER '
                         '--out FOLDER`')
    step = build_gan(devices=as_device_list(args.device), **config)
    load_checkpoint(args.checkpoint, step)
    path = save_grid(step.sample(args.num, seed=args.seed), args.out, nrow=args.nrow)
    print(f'wrote {args.num} samples of {config["model"]} to {path}')


def add_eval_parser(sub):
    evaluate = sub.add_parser(
        'eval', help="FID / KID / IS of a checkpoint's generator against real images",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    evaluate.add_argument('--checkpoint', required=True)
    evaluate.add_argument('--metric', default='fid,kid', help='comma-separated: fid, kid, is')
    evaluate.add_argument('--num', type=positive_int, default=2000, help='generated images to evaluate')
    evaluate.add_argument('--extractor', default='digits',
                          help='digits (offline digit classifier) or inception (needs weights)')
    evaluate.add_argument('--inception-weights', default=None,
                          help='Inception-v3 weight file (None: $D2GAN_INCEPTION_WEIGHTS or '
                               '~/.mxnet/models/inceptionv3-a5050dbc.params)')
    evaluate.add_argument('--dataset', default='mnist-digits',
                          help='real images to compare with (any --dataset of `train`)')
    evaluate.add_argument('--split', default='heldout', choices=['heldout', 'train'],
                          help="mnist-digits only: 'heldout' (1,000 digits the digit classifier "
                               "never saw) or 'train' (its 4,000)")
    evaluate.add_argument('--dataroot', default=None)
    evaluate.add_argument('--num-real', type=positive_int, default=None,
                          help='use at most this many real images (None: all)')
    evaluate.add_argument('--batch-size', type=positive_int, default=200)
    evaluate.add_argument('--seed', type=int, default=0)
    evaluate.add_argument('--device', default='auto')
    evaluate.add_argument('--json', default=None, help='also write the numbers to this file')


class EvalProgress:
    """Prints ``features of n/num generated images`` at most every ``every`` seconds."""

    def __init__(self, num, every=5.0):
        self.num, self.every, self.last = num, every, time.time()

    def __call__(self, n):
        if time.time() - self.last >= self.every or n == self.num:
            print(f'  features of {n}/{self.num} generated images', flush=True)
            self.last = time.time()


def cmd_eval(args):
    names = [m.strip().lower() for m in args.metric.split(',') if m.strip()]
    unknown = sorted(set(names) - set(metrics.streaming.METRICS))
    if unknown or not names:
        raise ValueError(f'unknown metric(s) {unknown}; valid: fid, kid, is')
    device = as_device_list(args.device)[0]
    config = read_meta(args.checkpoint)['config']
    kwargs = {'weights': args.inception_weights} if args.inception_weights else {}
    extractor = metrics.get_extractor(args.extractor, device=device, **kwargs)
    if args.dataset == 'mnist-digits':
        real, what = metrics.real_digits(args.split), f'real {args.split} digits'
    else:
        real = load_dataset(args.dataset, root=args.dataroot,
                            image_size=config.get('image_size', 32), limit=args.num_real)[0]
        what = f'real images of {args.dataset}'
    real = real[:args.num_real] if args.num_real else real
    results = metrics.evaluate_checkpoint(args.checkpoint, names, args.num, extractor, real,
                                          device=device, batch_size=args.batch_size,
                                          seed=args.seed, progress=EvalProgress(args.num))
    print(f'{results["num"]} samples of {config.get("model")} ({args.checkpoint}) vs '
          f'{len(real)} {what}, {args.extractor} features:')
    formats = {'fid': '{fid:.2f}', 'kid': '{kid:.5f} ± {kid_std:.5f}',
               'is': '{is:.3f} ± {is_std:.3f}'}
    for name in names:
        print(f'  {name:<4}{formats[name].format(**results)}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(results, checkpoint=args.checkpoint, extractor=args.extractor,
                           reference=what, num_real=len(real)), f, indent=1)


def cmd_models(args):
    print('GAN recipes (--model):', ', '.join(list_gans()))
    print('networks (d2gan.get_model):', ', '.join(list_models()))
    print('datasets (--dataset):', ', '.join(list_datasets()))
    print('paired datasets (pix2pix --dataset):',
          ', '.join([SYNTH_FACADES, 'folder'] + sorted(PIX2PIX_DATASETS)))
    print('unpaired datasets (cyclegan --dataset):',
          ', '.join([SYNTH_PHOTO2CARTOON, 'folder'] + sorted(CYCLEGAN_DATASETS)))


def add_launch_parser(sub):
    launch = sub.add_parser(
        'launch', help='run a command on the workers of a dist_sync job (scheduler, servers, '
                       'workers), locally or over ssh',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description='python -m d2gan launch -n 2 -s 1 -- python -m d2gan train --kvstore '
                    'dist_sync ...  (see d2gan/launch.py)')
    launch.add_argument('-n', '--num-workers', type=positive_int, default=2)
    launch.add_argument('-s', '--num-servers', type=positive_int, default=1)
    launch.add_argument('--hosts', default=None,
                        help='hosts file (one host per line): start the job over ssh '
                             '(None: all processes on this machine, on 127.0.0.1)')
    launch.add_argument('--port', type=int, default=None,
                        help='scheduler port (None: a free one locally, 9091 with --hosts)')
    launch.add_argument('--timeout', type=positive_float, default=None,
                        help='stop the whole job after this many seconds')
    launch.add_argument('--threads', type=positive_int, default=None,
                        help='OMP threads per local worker (None: cores / workers)')
    launch.add_argument('worker_command', nargs=argparse.REMAINDER, metavar='-- COMMAND',
                        help='the command every worker runs')


def cmd_launch(args):
    command = args.worker_command
    command = command[1:] if command[:1] == ['--'] else command
    return launch.launch(command, args.num_workers, args.num_servers, hosts=args.hosts,
                         port=args.port, timeout=args.timeout, threads=args.threads)


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:        # --help, or a bad option (one error line already printed)
        return e.code
    command = {'train': cmd_train, 'sample': cmd_sample, 'eval': cmd_eval,
               'infer': cmd_infer, 'models': cmd_models, 'launch': cmd_launch}[args.command]
    try:
        code = command(args)
    except (KeyError, ValueError, FileExistsError, DatasetNotFoundError, CheckpointError,
            InceptionWeightsNotFoundError, TrainingDivergedError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = (f'; the last checkpoint in {args.out} is kept: run the same command with '
                '--resume to continue' if args.command == 'train' else '')
        print(f'interrupted{hint}', file=sys.stderr)
        return 130
    return code or 0
