"""``python -m d2gan eval``: FID / KID / IS of a checkpoint's generator against real images."""
import argparse
import json
import time

from .. import metrics
from ..data import load_dataset
from ..device import as_device_list
from ..train import read_meta
from .values import HelpFormatter, positive_int


def add_parser(sub):
    evaluate = sub.add_parser(
        'eval', help="FID / KID / IS of a checkpoint's generator against real images",
        formatter_class=HelpFormatter)
    evaluate.add_argument('--checkpoint', required=True)
    evaluate.add_argument('--metric', default='fid,kid', help='comma-separated: fid, kid, is')
    evaluate.add_argument('--num', type=positive_int, default=2000,
                          help='generated images to evaluate')
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


def run(args):
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
