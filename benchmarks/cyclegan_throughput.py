"""CycleGAN training throughput (images/s): d2gan (MXNet Gluon) vs the same networks in PyTorch.

One iteration = the reference's ``optimize_parameters``: G_A(a), G_B(G_A(a)), G_B(b),
G_A(G_B(b)), the identity passes G_A(b), G_B(a); one Adam step over both generators on
LSGAN + 10 * cycle + 5 * identity; one Adam step over both PatchGAN discriminators.
ResNet generators and 70x70 PatchGANs with instance norm, Adam(2e-4, beta1 0.5), no image pool
in either framework (its cost is negligible). "Images" counts pairs (a, b). PyTorch (the twin
in ``torch_twins_dcgan.py``: junyanz/pytorch-CycleGAN-and-pix2pix's ``ResnetGenerator`` and
``NLayerDiscriminator``) runs in a subprocess so that the two OpenMP runtimes never share a
process, and is skipped when it is not installed. Threads: ``OMP_NUM_THREADS`` (default: all
cores) for both. Besides wall time, the CPU time per iteration is printed: on a shared machine
it, divided by the thread count, estimates the wall time on idle cores.

    python benchmarks/cyclegan_throughput.py       # paper (256, resnet_9blocks, batch 1) + chapter
    python benchmarks/cyclegan_throughput.py --image-size 128 --blocks 6 --iters 3
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
    step = d2gan.build_gan('cyclegan', image_size=cfg['image_size'], ngf=cfg['ngf'],
                           ndf=cfg['ndf'], n_blocks=cfg['blocks'], pool_size=0)
    s, b = cfg['image_size'], cfg['batch_size']
    A = mx.nd.random.uniform(-1, 1, shape=(b, 3, s, s))
    B = mx.nd.random.uniform(-1, 1, shape=(b, 3, s, s))
    for _ in range(cfg['warmup']):
        step.train_step((A, B))
    mx.nd.waitall()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(cfg['iters']):
        step.train_step((A, B))
    mx.nd.waitall()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {'images_per_s': cfg['iters'] * b / wall, 'cpu_s_per_iter': cpu / cfg['iters']}


def torch_throughput(cfg, threads):
    config = dict(image_size=cfg['image_size'], ngf=cfg['ngf'], ndf=cfg['ndf'],
                  n_blocks=cfg['blocks'], pool_size=0)
    return run_torch(TORCH_CODE, dict(model='cyclegan', config=config, batch=cfg['batch_size'],
                                      iters=cfg['iters'], warmup=cfg['warmup'],
                                      threads=threads))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--image-size', type=int, default=None,
                   help='one setting only (default: the paper\'s and the chapter\'s)')
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--ngf', type=int, default=64)
    p.add_argument('--ndf', type=int, default=64)
    p.add_argument('--blocks', type=int, default=9)
    p.add_argument('--iters', type=int, default=None, help='timed iterations')
    p.add_argument('--warmup', type=int, default=2)
    args = p.parse_args()
    if args.image_size:
        settings = [('custom', dict(image_size=args.image_size, batch_size=args.batch_size,
                                    ngf=args.ngf, ndf=args.ndf, blocks=args.blocks,
                                    iters=args.iters or 3))]
    else:
        settings = [('paper: resnet_9blocks + 70x70 PatchGAN, 256x256, batch 1',
                     dict(image_size=256, batch_size=1, ngf=64, ndf=64, blocks=9,
                          iters=args.iters or 3)),
                    ('chapter default: 64x64, resnet_6blocks, ngf 16, ndf 32, batch 1',
                     dict(image_size=64, batch_size=1, ngf=16, ndf=32, blocks=6,
                          iters=args.iters or 20))]
    threads = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count())
    print(f'{threads} CPU threads; image pairs/s of full CycleGAN training iterations '
          f'(CPU s per iteration)')
    for title, cfg in settings:
        cfg['warmup'] = args.warmup
        rows = [('d2gan (hybridized)', d2gan_throughput(cfg))]
        torch = torch_throughput(cfg, threads)
        if torch is not None:
            rows.append((f'PyTorch {torch["version"]} eager', torch))
        print(f'{title} ({cfg["iters"]} iterations):')
        for name, r in rows:
            print(f'  {name:>26}: {r["images_per_s"]:8.2f} pairs/s  '
                  f'({r["cpu_s_per_iter"]:.2f} CPU s/iter)')
        if torch is None:
            print('  PyTorch is not installed: skipped (pip install torch to compare)')
        else:
            ours = rows[0][1]
            print(f'  {"d2gan / PyTorch":>26}: {ours["images_per_s"] / torch["images_per_s"]:8.2f}x'
                  f'  (by CPU time: {torch["cpu_s_per_iter"] / ours["cpu_s_per_iter"]:.2f}x)')


if __name__ == '__main__':
    import d2gan  # noqa: F401  (thread defaults before mxnet loads)
    main()
