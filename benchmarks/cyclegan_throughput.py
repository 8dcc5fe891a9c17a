"""CycleGAN training throughput (images/s): d2gan (MXNet Gluon) vs the same networks in PyTorch.

One iteration = the reference's ``optimize_parameters``: G_A(a), G_B(G_A(a)), G_B(b),
G_A(G_B(b)), the identity passes G_A(b), G_B(a); one Adam step over both generators on
LSGAN + 10 * cycle + 5 * identity; one Adam step over both PatchGAN discriminators.
ResNet generators and 70x70 PatchGANs with instance norm, Adam(2e-4, beta1 0.5), no image pool
in either framework (its cost is negligible). "Images" counts pairs (a, b). PyTorch (a
restatement of junyanz/pytorch-CycleGAN-and-pix2pix's ``ResnetGenerator`` and
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

TORCH_CODE = r'''
import itertools, json, sys, time, torch
from torch import nn
a = json.loads(sys.argv[1])
torch.set_num_threads(a['threads']); torch.manual_seed(0)
IN = nn.InstanceNorm2d
class Block(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), IN(c), nn.ReLU(True),
                               nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), IN(c))
    def forward(s, x): return x + s.body(x)
def resnet(ngf, blocks):
    m = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), IN(ngf), nn.ReLU(True)]
    for k in (1, 2):
        m += [nn.Conv2d(ngf * k, ngf * 2 * k, 3, 2, 1), IN(ngf * 2 * k), nn.ReLU(True)]
    m += [Block(4 * ngf) for _ in range(blocks)]
    for k in (4, 2):
        m += [nn.ConvTranspose2d(ngf * k, ngf * k // 2, 3, 2, 1, output_padding=1),
              IN(ngf * k // 2), nn.ReLU(True)]
    return nn.Sequential(*m, nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh())
def patchgan(ndf, n=3):
    layers, w = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)], ndf
    for k in range(1, n + 1):
        o = ndf * min(2 ** k, 8)
        layers += [nn.Conv2d(w, o, 4, 2 if k < n else 1, 1), IN(o), nn.LeakyReLU(0.2, True)]; w = o
    return nn.Sequential(*layers, nn.Conv2d(w, 1, 4, 1, 1))
ga, gb = resnet(a['ngf'], a['blocks']), resnet(a['ngf'], a['blocks'])
da, db = patchgan(a['ndf']), patchgan(a['ndf'])
og = torch.optim.Adam(itertools.chain(ga.parameters(), gb.parameters()), 2e-4, betas=(0.5, 0.999))
od = torch.optim.Adam(itertools.chain(da.parameters(), db.parameters()), 2e-4, betas=(0.5, 0.999))
mse, l1 = nn.MSELoss(), nn.L1Loss()
b, s = a['batch_size'], a['image_size']
A, B = torch.rand(b, 3, s, s) * 2 - 1, torch.rand(b, 3, s, s) * 2 - 1
def gan(d, x, real):
    p = d(x); return mse(p, torch.ones_like(p) if real else torch.zeros_like(p))
def it():
    fb, fa = ga(A), gb(B)
    ra, rb = gb(fb), ga(fa)
    for p in itertools.chain(da.parameters(), db.parameters()): p.requires_grad_(False)
    og.zero_grad()
    loss = (gan(da, fb, True) + gan(db, fa, True) + 10 * l1(ra, A) + 10 * l1(rb, B)
            + 5 * l1(ga(B), B) + 5 * l1(gb(A), A))
    loss.backward(); og.step()
    for p in itertools.chain(da.parameters(), db.parameters()): p.requires_grad_(True)
    od.zero_grad()
    ((gan(da, B, True) + gan(da, fb.detach(), False)) * 0.5
     + (gan(db, A, True) + gan(db, fa.detach(), False)) * 0.5).backward(); od.step()
for _ in range(a['warmup']): it()
t, c = time.perf_counter(), time.process_time()
for _ in range(a['iters']): it()
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({'images_per_s': a['iters'] * b / wall, 'cpu_s_per_iter': cpu / a['iters'],
                  'version': torch.__version__}))
'''


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
        torch = run_torch(TORCH_CODE, dict(cfg, threads=threads))
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
