"""Command line: ``python -m d2gan train|sample|models``.

Examples::

    python -m d2gan train --model dcgan --dataset mnist-digits --epochs 20 --out runs/dcgan
    python -m d2gan train --model dcgan --out runs/dcgan --resume      # continue a run
    python -m d2gan sample --checkpoint runs/dcgan/checkpoint.ckpt --out grid.png
"""
import argparse
import os
import sys

EXAMPLES = __doc__.split('Examples::', 1)[1]


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m d2gan', formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Train GANs from the d2gan book and sample from their checkpoints.',
        epilog='examples:' + EXAMPLES)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    train = sub.add_parser('train', help='train a GAN; checkpoints after every epoch',
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument('--model', default='dcgan', help='GAN recipe (see `models`)')
    train.add_argument('--dataset', default='mnist-digits',
                       help='mnist-digits (offline, 5,000 real digits), mnist, fashion-mnist, '
                            'folder')
    train.add_argument('--dataroot', default=None,
                       help='dataset directory (default: data/ or $D2GAN_DATA; required for '
                            'folder)')
    train.add_argument('--image-size', type=int, default=32)
    train.add_argument('--epochs', type=int, default=20)
    train.add_argument('--batch-size', type=int, default=64)
    train.add_argument('--lr', type=float, default=None, help="learning rate (recipe's default)")
    train.add_argument('--seed', type=int, default=0)
    train.add_argument('--device', default='auto', help="auto, cpu, gpu (all GPUs) or gpu:N")
    train.add_argument('--out', default='runs/gan', help='directory for checkpoint and samples')
    train.add_argument('--resume', action='store_true',
                       help='continue from OUT/checkpoint.ckpt if it exists')
    train.add_argument('--limit', type=int, default=None,
                       help='use only the first N training images')

    sample = sub.add_parser('sample', help='write an image grid from a checkpoint',
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sample.add_argument('--checkpoint', required=True)
    sample.add_argument('--num', type=int, default=64)
    sample.add_argument('--nrow', type=int, default=8)
    sample.add_argument('--seed', type=int, default=0)
    sample.add_argument('--device', default='auto')
    sample.add_argument('--out', default='samples.png')

    sub.add_parser('models', help='list GAN recipes, networks and datasets')
    return parser


def cmd_train(args):
    import d2gan
    from d2gan.data import load_dataset

    devices = d2gan.device.as_device_list(args.device)
    if args.model not in d2gan.train.RECIPES:
        d2gan.train.RECIPES.get(args.model)  # raises with the list of valid names
    X = load_dataset(args.dataset, root=args.dataroot, image_size=args.image_size)[0]
    if args.limit:
        X = X[:args.limit]
    config = dict(image_size=args.image_size, channels=int(X.shape[1]))
    if args.lr is not None:
        config['lr'] = args.lr
    checkpoint = os.path.join(args.out, 'checkpoint.ckpt')
    if args.resume and os.path.exists(checkpoint):
        saved = d2gan.train.read_meta(checkpoint)['config']
        model = saved.pop('model')
        if model != args.model:
            raise ValueError(f'{checkpoint} holds a {model!r} run, not {args.model!r}')
        config = saved
    elif os.path.exists(checkpoint):
        raise FileExistsError(f'{checkpoint} exists: pass --resume to continue it, or choose '
                              'another --out (nothing was overwritten)')
    import mxnet as mx
    mx.random.seed(args.seed)
    step = d2gan.build_gan(args.model, devices=devices, **config)
    data = d2gan.ArrayBatches(X, args.batch_size)
    print(f'training {args.model} on {args.dataset} ({len(X)} images of '
          f'{tuple(X.shape[1:])}) on {devices} for {args.epochs} epochs; writing to {args.out}',
          flush=True)
    callbacks = [d2gan.ProgressPrinter(),
                 d2gan.SampleSaver(os.path.join(args.out, 'samples'))]
    d2gan.train_gan(step, data, args.epochs, callbacks=callbacks, checkpoint=checkpoint,
                    resume=args.resume, seed=args.seed)
    print(f'checkpoint: {checkpoint}')


def cmd_sample(args):
    import d2gan
    config = d2gan.train.read_meta(args.checkpoint)['config']
    step = d2gan.build_gan(devices=d2gan.device.as_device_list(args.device), **config)
    d2gan.load_checkpoint(args.checkpoint, step)
    path = d2gan.save_grid(step.sample(args.num, seed=args.seed), args.out, nrow=args.nrow)
    print(f'wrote {args.num} samples of {config["model"]} to {path}')


def cmd_models(args):
    import d2gan
    from d2gan.data import list_datasets
    print('GAN recipes (--model):', ', '.join(d2gan.list_gans()))
    print('networks (d2gan.get_model):', ', '.join(d2gan.list_models()))
    print('datasets (--dataset):', ', '.join(list_datasets()))


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {'train': cmd_train, 'sample': cmd_sample, 'models': cmd_models}[args.command]
    from d2gan.data import DatasetNotFoundError
    from d2gan.train import CheckpointError
    try:
        command(args)
    except (KeyError, ValueError, FileExistsError, DatasetNotFoundError, CheckpointError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 2
    return 0
