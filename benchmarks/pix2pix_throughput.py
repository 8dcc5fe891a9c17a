"""Pix2Pix training throughput (images/s): d2gan (MXNet Gluon) vs the same networks in PyTorch.

One iteration = G(a) once; a D update on the real pair and the (detached) fake pair; a G update
with the non-saturating cGAN loss + 100 * L1 -- the reference's ``optimize_parameters``, with no
image pool (its pix2pix default) and batch norm, Adam(2e-4, beta1 0.5) in both frameworks.
PyTorch (the twin in ``torch_twins_dcgan.py``: junyanz/pytorch-CycleGAN-and-pix2pix's
``UnetGenerator`` and ``NLayerDiscriminator``) runs in a subprocess so that the two OpenMP
runtimes never share a process, and is skipped when it is not installed. Threads:
``OMP_NUM_THREADS`` (default: all cores) for both.

    python benchmarks/pix2pix_throughput.py              # paper (256, batch 1) and chapter size
    python benchmarks/pix2pix_throughput.py --image-size 128 --batch-size 4 --ngf 32 --iters 5
"""
import argparse
import os
import time

from torch_runner import run_torch

HERE = os.path.dirname(os.path.abspath(__file__))
# the PyTorch twin (torch_twins_dcgan.py), run by run_torch in its own interpreter
TORCH_CODE = (f'import sys; sys.path.insert(0, {HERE!r}); import torch_twins_dcgan; '
              'torch_twins_dcgan.main(sys.argv[1:])')


def d2gan_throughput(cfg):
    import d2gan
    import mxnet as mx
    mx.random.seed(0)
    step = d2gan.build_gan('pix2pix', image_size=cfg['image_size'], ngf=cfg['ngf'],
                           ndf=cfg['ngf'], pool_size=0)
    s, b = cfg['image_size'], cfg['batch_size']
    A = mx.nd.random.uniform(-1, 1, shape=(b, 3, s, s))
    B = mx.nd.random.uniform(-1, 1, shape=(b, 3, s, s))
    for _ in range(cfg['warmup']):
        step.train_step((A, B))
    mx.nd.waitall()
    t = time.perf_counter()
    for _ in range(cfg['iters']):
        step.train_step((A, B))
    mx.nd.waitall()
    return cfg['iters'] * b / (time.perf_counter() - t)


def torch_throughput(cfg, threads):
    config = dict(image_size=cfg['image_size'], ngf=cfg['ngf'], ndf=cfg['ngf'], pool_size=0)
    return run_torch(TORCH_CODE, dict(model='pix2pix', config=config, batch=cfg['batch_size'],
                                      iters=cfg['iters'], warmup=cfg['warmup'],
                                      threads=threads))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--image-size', type=int, default=None,
                   help='one setting only (default: 256/batch 1/ngf 64 and 64/batch 4/ngf 32)')
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--ngf', type=int, default=64)
    p.add_argument('--iters', type=int, default=None, help='timed iterations')
    p.add_argument('--warmup', type=int, default=2)
    args = p.parse_args()
    if args.image_size:
        settings = [('custom', dict(image_size=args.image_size, batch_size=args.batch_size,
                                    ngf=args.ngf, iters=args.iters or 5))]
    else:
        settings = [('paper: unet_256 + 70x70 PatchGAN, batch 1',
                     dict(image_size=256, batch_size=1, ngf=64, iters=args.iters or 3)),
                    ('chapter default: 64x64, ngf=ndf=32, batch 4',
                     dict(image_size=64, batch_size=4, ngf=32, iters=args.iters or 10))]
    threads = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count())
    print(f'{threads} CPU threads; images/s of full pix2pix training iterations')
    for title, cfg in settings:
        cfg['warmup'] = args.warmup
        rows = [('d2gan (hybridized)', d2gan_throughput(cfg))]
        torch = torch_throughput(cfg, threads)
        if torch is not None:
            rows.append((f'PyTorch {torch["version"]} eager', torch['images_per_s']))
        print(f'{title} ({cfg["iters"]} iterations):')
        for name, value in rows:
            print(f'  {name:>26}: {value:8.2f} images/s')
        if torch is None:
            print('  PyTorch is not installed: skipped (pip install torch to compare)')
        else:
            print(f'  {"d2gan / PyTorch":>26}: {rows[0][1] / rows[1][1]:8.2f}x')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
