"""DCGAN training throughput (images/s): d2gan (MXNet Gluon) vs the same networks in PyTorch.

One training iteration = one D update on a real batch and a fake batch + one G update, the
non-saturating loss, Adam(2e-4, beta1 0.5) -- the same work in both frameworks. PyTorch runs
in a subprocess (so the two OpenMP runtimes never share a process) and is skipped when it is
not installed. Threads: both use all cores.

    python benchmarks/dcgan_throughput.py [--batch-size 64] [--image-size 32] [--ngf 64]
"""
import argparse
import os
import time

from torch_runner import run_torch

TORCH_CODE = r'''
import json, sys, time, torch
from torch import nn
a = json.loads(sys.argv[1])
torch.set_num_threads(a['threads']); torch.manual_seed(0)
n = {16: 2, 32: 3, 64: 4, 128: 5}[a['image_size']]
def G():
    w = a['ngf'] * 2 ** (n - 1)
    layers = [nn.ConvTranspose2d(a['latent'], w, 4, 1, 0, bias=False), nn.BatchNorm2d(w), nn.ReLU(True)]
    for _ in range(n - 1):
        layers += [nn.ConvTranspose2d(w, w // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w // 2), nn.ReLU(True)]
        w //= 2
    return nn.Sequential(*layers, nn.ConvTranspose2d(w, a['channels'], 4, 2, 1, bias=False), nn.Tanh())
def D():
    w = a['ndf']
    layers = [nn.Conv2d(a['channels'], w, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
    for _ in range(n - 1):
        layers += [nn.Conv2d(w, w * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 2), nn.LeakyReLU(0.2, True)]
        w *= 2
    return nn.Sequential(*layers, nn.Conv2d(w, 1, 4, 1, 0, bias=False), nn.Flatten())
g, d = G(), D()
og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
b = a['batch_size']
x = torch.rand(b, a['channels'], a['image_size'], a['image_size']) * 2 - 1
ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)
def it():
    z = torch.randn(b, a['latent'], 1, 1)
    fake = g(z)
    od.zero_grad(); (bce(d(x), ones) + bce(d(fake.detach()), zeros)).backward(); od.step()
    og.zero_grad(); bce(d(fake), ones).backward(); og.step()
for _ in range(a['warmup']): it()
t = time.perf_counter()
for _ in range(a['iters']): it()
print(json.dumps({'images_per_s': a['iters'] * b / (time.perf_counter() - t),
                  'version': torch.__version__}))
'''


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
    payload = dict(threads=os.cpu_count(), image_size=args.image_size,
                   channels=args.channels, ngf=args.ngf, ndf=args.ngf, latent=100,
                   batch_size=args.batch_size, warmup=args.warmup, iters=args.iters)
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
