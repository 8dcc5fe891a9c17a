"""Time one critic update with and without the WGAN-GP gradient penalty.

Same critic (the DCGAN discriminator: 32x32, 1 channel, ``--ndf`` 64, ``--norm`` layer,
hybridized), batch of 64 real + 64 fake images, Wasserstein loss, Adam step. The penalty
(:class:`d2gan.penalty.GradientPenalty`) adds a forward pass, a hand-written backward pass and
one back-propagation through both.

    cd /work/main && OMP_NUM_THREADS=2 .venv/bin/python benchmarks/critic_step.py [--iters 20]

Measured on a 2-core machine shared with other jobs (one thread, where wall = CPU time):

=================  ===========  ============  ==========================
critic             without GP   with GP       ratio (penalty alone)
=================  ===========  ============  ==========================
ndf 64, layer      246 ms       564 ms        2.29x (316 ms)
ndf 32, none       40 ms        106 ms        2.67x (69 ms)
=================  ===========  ============  ==========================
"""
import argparse
import os
import time

import numpy as np

import d2gan  # noqa: F401  (before mxnet: thread settings)
import mxnet as mx
from mxnet import autograd, gluon

from d2gan.losses import get_loss
from d2gan.models.dcgan import DCGANDiscriminator
from d2gan.penalty import GradientPenalty


def critic_step(net_D, trainer, loss, real, fake, penalty=None):
    with autograd.record():
        total = loss.d_loss(net_D(real), net_D(fake)).sum()
    total.backward()
    if penalty is not None:
        penalty(net_D, real, fake)
    trainer.step(real.shape[0])
    mx.nd.waitall()


def time_it(fn, iters, warmup=3):
    """Median wall-clock and process CPU milliseconds per call (CPU time is the steadier of the
    two on a shared machine; with one thread it is the work done)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(iters):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1e3 * float(np.median(wall)), 1e3 * float(np.median(cpu))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--norm', default='layer', choices=['layer', 'instance', 'none'])
    parser.add_argument('--ndf', type=int, default=64)
    args = parser.parse_args()

    mx.random.seed(0)
    net_D = DCGANDiscriminator(channels=1, image_size=32, ndf=args.ndf, norm=args.norm)
    d2gan.nn.dcgan_init(net_D)
    net_D.hybridize()
    trainer = gluon.Trainer(net_D.collect_params(), 'adam',
                            {'learning_rate': 1e-4, 'beta1': 0.5, 'beta2': 0.9})
    loss, penalty = get_loss('wgan'), GradientPenalty(10.0)
    shape = (args.batch_size, 1, 32, 32)
    real, fake = mx.nd.random.uniform(-1, 1, shape), mx.nd.random.uniform(-1, 1, shape)

    plain = time_it(lambda: critic_step(net_D, trainer, loss, real, fake), args.iters)
    with_gp = time_it(lambda: critic_step(net_D, trainer, loss, real, fake, penalty), args.iters)
    alone = time_it(lambda: (penalty(net_D, real, fake), mx.nd.waitall()), args.iters)
    threads = os.environ.get('OMP_NUM_THREADS')
    print(f'critic step, batch {args.batch_size}, 32x32, ndf={args.ndf}, norm={args.norm} '
          f'(median of {args.iters}, OMP_NUM_THREADS={threads}):')
    print(f'  {"":18} {"wall ms":>9} {"CPU ms":>9}')
    for name, (wall, cpu) in [('without penalty', plain), ('with WGAN-GP', with_gp),
                              ('penalty alone', alone)]:
        print(f'  {name:18} {wall:9.1f} {cpu:9.1f}')
    print(f'  ratio with/without: {with_gp[0] / plain[0]:.2f}x wall, '
          f'{with_gp[1] / plain[1]:.2f}x CPU')

if __name__ == '__main__':
    main()
