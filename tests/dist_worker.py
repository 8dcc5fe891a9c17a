"""One worker of the dist_sync tests, started by ``d2gan.launch`` (``python dist_worker.py OUT``).

It trains a tiny *deterministic* Pix2Pix (instance norm, no dropout, no image pool: the same
batch gives the same gradient on any split of it) on its shard of the global batches, and one
SGD step of a linear model whose update is proportional to the gradient (Adam's is not, so it
would hide a wrong gradient scale); then saves its weights to ``OUT/rank<r>.npz``.
"""
import os
import sys

import numpy as np

import d2gan
import mxnet as mx
from mxnet import autograd, gluon

GLOBAL_BATCH, ITERATIONS, LR_SGD = 8, 4, 0.1


def tiny_pairs():
    rng = np.random.default_rng(0)
    A = np.tanh(rng.standard_normal((16, 3, 32, 32))).astype('float32')
    B = np.tanh(A[:, ::-1] + 0.3 * rng.standard_normal(A.shape)).astype('float32')
    return A, B


def tiny_pix2pix(devices=None):
    mx.random.seed(0)
    return d2gan.build_gan('pix2pix', image_size=32, ngf=8, ndf=8, n_layers=2, norm='instance',
                           dropout=False, pool_size=0, devices=devices)


def trainable(step):
    return {f'{k}.{name}': p.data().asnumpy() for k, net in step.networks.items()
            for name, p in net._collect_params_with_prefix().items() if p.grad_req != 'null'}


def assert_same_training(ref, other, steps, lr=2e-4):
    """``other`` (trainable weights) was trained like ``ref``, up to the order of float sums.

    Adam moves every weight by about ``lr`` per step whatever the gradient's size, so a
    rounding-level difference in a near-zero gradient can flip a step: ``|diff| <= 2 lr steps``.
    On average the runs must differ by far less than the training moved the weights (measured:
    1e-4 to 2e-2 of it over several seeds; training on half the batch instead gives > 1).
    """
    init = trainable(tiny_pix2pix())
    assert set(ref) == set(other)
    for key in ref:
        assert np.abs(ref[key] - other[key]).max() <= 2 * lr * steps, key
    flat = lambda d: np.concatenate([d[k].ravel() for k in sorted(ref)])  # noqa: E731
    moved = np.abs(flat(ref) - flat(init)).mean()
    assert np.abs(flat(ref) - flat(other)).mean() < 0.1 * moved


def sgd_inputs():
    return np.arange(12, dtype='float32').reshape(4, 3) / 10


class _SGDHolder:
    """The smallest thing :func:`distribute` accepts: a ``trainers`` dict."""

    def __init__(self):
        self.net = gluon.nn.Dense(1, in_units=3, use_bias=False)
        self.net.initialize(mx.init.Constant(0.5))
        self.trainers = {'sgd': gluon.Trainer(self.net.collect_params(), 'sgd',
                                              {'learning_rate': LR_SGD})}


def main(out):
    par = d2gan.train.distributed.Parallel('dist_sync')
    step = par.prepare(tiny_pix2pix())
    data = par.shard(d2gan.ArrayBatches(tiny_pairs(), GLOBAL_BATCH))
    d2gan.train_gan(step, data, num_epochs=10, max_iterations=ITERATIONS, seed=3)
    holder = d2gan.train.distributed.distribute(_SGDHolder(), par.kv)
    x = mx.nd.array(sgd_inputs()[par.rank * 2:(par.rank + 1) * 2])   # this worker's 2 rows
    with autograd.record():
        loss = holder.net(x).sum()
    loss.backward()
    holder.trainers['sgd'].step(x.shape[0])
    np.savez(os.path.join(out, f'rank{par.rank}.npz'), sgd=holder.net.weight.data().asnumpy(),
             **trainable(step))
    print(f'worker rank {par.rank} of {par.num_workers}: done', flush=True)


if __name__ == '__main__':
    main(sys.argv[1])
