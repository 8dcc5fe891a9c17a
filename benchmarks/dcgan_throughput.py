"""DCGAN training throughput (images/s): d2gan (MXNet Gluon) vs the same networks in PyTorch.

One training iteration = d2gan's ``GANStep.train_step``: one D update on a real batch and a
fake batch, then one G update on fresh noise, the non-saturating loss, Adam(2e-4, beta1 0.5)
-- the same work in both frameworks. PyTorch (the twin in ``torch_twins_dcgan.py``) runs in a
subprocess (so the two OpenMP runtimes never share a process) and is skipped when it is not
installed. Threads: both use all cores.

    python benchmarks/dcgan_throughput.py [--batch-size 64] [--image-size 32] [--ngf 64]
"""
import argparse
import os
import time

from torch_runner import run_torch

HERE = os.path.dirname(os.path.abspath(__file__))
# the PyTorch twin (torch_twins_dcgan.py), run by run_torch in its own interpreter
TORCH_CODE = (f'import sys; sys.path.insert(0, {HERE!r}); import torch_twins_dcgan; '
              'torch_twins_dcgan.main(sys.argv[1:])')


def d2gan_throughput(args, hybrid_kwargs):
    import d2gan
    import mxnet as mx
    mx.random.seed(0)
    step = d2gan.build_gan('dcgan', image_size=args.image_size, channels=args.channels,
                           ngf=args.ngf, ndf=args.ngf, hybridize=False)
    if hybrid_kwargs is not None:
        step.hybridize(**hybrid_kwargs)
    x = mx.nd.random.uniform(-1, 1, shape=(args.batch_size, args.channels, args.image_size,
                                           args.image_size))
    for _ in range(args.warmup):
        step.train_step(x)
    mx.nd.waitall()
    t = time.perf_counter()
    for _ in range(args.iters):
        step.train_step(x)
    mx.nd.waitall()
    return args.iters * args.batch_size / (time.perf_counter() - t)


def torch_throughput(args):
    config = dict(image_size=args.image_size, channels=args.channels, ngf=args.ngf,
                  ndf=args.ngf)
    payload = dict(model='dcgan', config=config, batch=args.batch_size,
                   threads=os.cpu_count(), warmup=args.warmup, iters=args.iters)
    return run_torch(TORCH_CODE, payload)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--image-size', type=int, default=32)
    p.add_argument('--channels', type=int, default=1)
    p.add_argument('--ngf', type=int, default=64)
    p.add_argument('--iters', type=int, default=30)
    p.add_argument('--warmup', type=int, default=5)
    args = p.parse_args()
    print(f'DCGAN {args.image_size}x{args.image_size}x{args.channels}, ngf=ndf={args.ngf}, '
          f'batch {args.batch_size}, {os.cpu_count()} CPU threads, {args.iters} iterations')
    rows = [('d2gan imperative', d2gan_throughput(args, None)),
            ('d2gan hybridize()', d2gan_throughput(args, {})),
            ('d2gan hybridize(static)', d2gan_throughput(
                args, dict(static_alloc=True, static_shape=True)))]
    torch = torch_throughput(args)
    if torch is None:
        print('PyTorch is not installed: skipped (pip install torch to compare)')
    else:
        rows.append((f'PyTorch {torch["version"]} eager', torch['images_per_s']))
    best = max(v for name, v in rows if name.startswith('d2gan'))
    for name, value in rows:
        print(f'{name:>28}: {value:8.1f} images/s')
    if torch is not None:
        print(f'{"best d2gan / PyTorch":>28}: {best / torch["images_per_s"]:8.2f}x')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
