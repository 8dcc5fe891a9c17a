"""Pix2Pix training throughput (images/s): d2gan (MXNet Gluon) vs the same networks in PyTorch.

One iteration = G(a) once; a D update on the real pair and the (detached) fake pair; a G update
with the non-saturating cGAN loss + 100 * L1 -- the reference's ``optimize_parameters``, with no
image pool (its pix2pix default) and batch norm, Adam(2e-4, beta1 0.5) in both frameworks.
PyTorch (a restatement of junyanz/pytorch-CycleGAN-and-pix2pix's ``UnetGenerator`` and
``NLayerDiscriminator``) runs in a subprocess so that the two OpenMP runtimes never share a
process, and is skipped when it is not installed. Threads: ``OMP_NUM_THREADS`` (default: all
cores) for both.

    python benchmarks/pix2pix_throughput.py              # paper (256, batch 1) and chapter size
    python benchmarks/pix2pix_throughput.py --image-size 128 --batch-size 4 --ngf 32 --iters 5
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
BN = nn.BatchNorm2d
class Skip(nn.Module):
    def __init__(s, outer, inner, cin=None, sub=None, outermost=False, innermost=False, drop=False):
        super().__init__(); s.outermost = outermost; cin = cin or outer
        down = nn.Conv2d(cin, inner, 4, 2, 1, bias=False)
        if outermost:
            layers = [down, sub, nn.ReLU(True), nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1), nn.Tanh()]
        elif innermost:
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False), BN(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down, BN(inner), sub, nn.ReLU(True),
                      nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1, bias=False), BN(outer)]
            layers += [nn.Dropout(0.5)] if drop else []
        s.model = nn.Sequential(*layers)
    def forward(s, x):
        return s.model(x) if s.outermost else torch.cat([x, s.model(x)], 1)
def unet(downs, ngf):
    b = Skip(8 * ngf, 8 * ngf, innermost=True)
    for _ in range(downs - 5): b = Skip(8 * ngf, 8 * ngf, sub=b, drop=True)
    b = Skip(4 * ngf, 8 * ngf, sub=b); b = Skip(2 * ngf, 4 * ngf, sub=b); b = Skip(ngf, 2 * ngf, sub=b)
    return Skip(3, ngf, cin=3, sub=b, outermost=True)
def patchgan(ndf, n=3):
    layers, w = [nn.Conv2d(6, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)], ndf
    for k in range(1, n + 1):
        o = ndf * min(2 ** k, 8)
        layers += [nn.Conv2d(w, o, 4, 2 if k < n else 1, 1, bias=False), BN(o), nn.LeakyReLU(0.2, True)]; w = o
    return nn.Sequential(*layers, nn.Conv2d(w, 1, 4, 1, 1))
s = a['image_size']; g, d = unet(s.bit_length() - 1, a['ngf']), patchgan(a['ngf'])
og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
b = a['batch_size']
A, B = torch.rand(b, 3, s, s) * 2 - 1, torch.rand(b, 3, s, s) * 2 - 1
def it():
    fake = g(A)
    od.zero_grad()
    pf, pr = d(torch.cat([A, fake.detach()], 1)), d(torch.cat([A, B], 1))
    (0.5 * (bce(pf, torch.zeros_like(pf)) + bce(pr, torch.ones_like(pr)))).backward(); od.step()
    for p in d.parameters(): p.requires_grad_(False)
    og.zero_grad(); pf = d(torch.cat([A, fake], 1))
    (bce(pf, torch.ones_like(pf)) + 100 * l1(fake, B)).backward(); og.step()
    for p in d.parameters(): p.requires_grad_(True)
for _ in range(a['warmup']): it()
t = time.perf_counter()
for _ in range(a['iters']): it()
print(json.dumps({'images_per_s': a['iters'] * b / (time.perf_counter() - t),
                  'version': torch.__version__}))
'''


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
    return run_torch(TORCH_CODE, dict(cfg, threads=threads))

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
