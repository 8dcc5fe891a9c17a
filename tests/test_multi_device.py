"""Data parallelism in one process: 2 CPU contexts train like 1 on the same global batch;
batch norm keeps per-device statistics; the scale-out helpers (kvstore choice, sharding,
per-worker noise, amp on CPU) fail or work as documented."""
import os
import sys

import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, gluon

import d2gan
from d2gan.train import distributed
from d2gan.train.loop import iteration_seed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dist_worker  # noqa: E402  (the tiny deterministic Pix2Pix shared with test_dist_sync)

TWO = [mx.cpu(0), mx.cpu(1)]


@pytest.mark.parametrize('kvstore', [None, 'local', 'device'])
def test_two_contexts_train_like_one_on_the_same_global_batch(kvstore):
    data = d2gan.ArrayBatches(dist_worker.tiny_pairs(), 8)
    runs = []
    for devices in ([mx.cpu(0)], TWO):
        step = dist_worker.tiny_pix2pix(devices)
        if kvstore:
            distributed.distribute(step, kvstore)
        state = d2gan.train_gan(step, data, num_epochs=2, seed=1)
        runs.append((dist_worker.trainable(step), state.history))
    (one, h1), (two, h2) = runs
    for a, b in zip(h1, h2):
        for key in a:
            assert a[key] == pytest.approx(b[key], rel=1e-5), key
    # Instance norm and no dropout: each example's loss and gradient do not depend on how the
    # batch is split; only the order of the sums does.
    dist_worker.assert_same_training(one, two, steps=4)

def test_batch_norm_statistics_are_per_device():
    mx.random.seed(0)
    step = d2gan.build_gan('dcgan', image_size=16, channels=1, latent_dim=8, ngf=8, ndf=8,
                           devices=TWO)
    rng = np.random.default_rng(0)
    X = np.concatenate([np.full((8, 1, 16, 16), -0.8), np.full((8, 1, 16, 16), 0.8)])
    X = (X + 0.05 * rng.standard_normal(X.shape)).astype('float32')
    d2gan.train_gan(step, d2gan.ArrayBatches(X, 16, shuffle=False), num_epochs=2)
    for name, p in step.net_D.collect_params().items():
        on0, on1 = (d.asnumpy() for d in p.list_data())
        if p.grad_req != 'null':     # weights: one replica per device, kept identical
            np.testing.assert_array_equal(on0, on1, err_msg=name)
        elif name.endswith('running_mean'):
            # device 0 saw the dark half of every batch, device 1 the bright half
            assert not np.allclose(on0, on1), name


def test_sgd_update_uses_the_mean_gradient_of_the_global_batch():
    holder = dist_worker._SGDHolder()
    holder.net.collect_params().reset_ctx(TWO)
    distributed.distribute(holder, 'device')
    x = mx.nd.array(dist_worker.sgd_inputs())
    parts = d2gan.split_and_load(x, TWO)
    with autograd.record():
        losses = [holder.net(p).sum() for p in parts]
    autograd.backward(losses)
    holder.trainers['sgd'].step(x.shape[0])
    expected = 0.5 - dist_worker.LR_SGD * dist_worker.sgd_inputs().mean(0, keepdims=True)
    for w in holder.net.weight.list_data():
        np.testing.assert_allclose(w.asnumpy(), expected, rtol=1e-6)
    assert holder.rank == 0 and holder.num_workers == 1


def test_sharded_batches_partition_every_global_batch():
    X = np.arange(24, dtype='float32').reshape(12, 2)
    y = np.arange(12)
    data = d2gan.ArrayBatches((X, y), 4)
    full = [b for b in data.batches(1, seed=5)]
    shards = [list(distributed.ShardedBatches(data, r, 2).batches(1, seed=5)) for r in (0, 1)]
    assert len(shards[0]) == len(full) == 3
    for i, (bx, by) in enumerate(full):
        union = np.concatenate([shards[r][i][0].asnumpy() for r in (0, 1)])
        np.testing.assert_array_equal(union, bx.asnumpy())
        np.testing.assert_array_equal(shards[1][i][1].asnumpy(), by.asnumpy()[2:])
    with pytest.raises(ValueError, match='multiple of 3'):
        next(distributed.ShardedBatches(data, 0, 3).batches())
    with pytest.raises(ValueError, match='rank 2'):
        distributed.ShardedBatches(data, 2, 2)


def test_each_worker_draws_its_own_noise():
    assert iteration_seed(7, 3) == iteration_seed(7, 3, 0)
    assert iteration_seed(7, 3, 1) != iteration_seed(7, 3, 0)


def test_kvstore_and_amp_errors_name_the_problem(monkeypatch):
    monkeypatch.delenv('DMLC_ROLE', raising=False)
    with pytest.raises(ValueError, match='d2gan launch'):
        distributed.create_kvstore('dist_sync')
    with pytest.raises(ValueError, match='unknown kvstore'):
        distributed.create_kvstore('dist_async')
    with pytest.raises(ValueError, match='needs GPU'):
        distributed.enable_amp([mx.cpu()])
    step = d2gan.build_gan('dcgan', image_size=16, latent_dim=8, ngf=8, ndf=8)
    d2gan.train_gan(step, d2gan.ArrayBatches(np.zeros((4, 1, 16, 16), 'float32'), 4), 1)
    with pytest.raises(RuntimeError, match='before training'):
        distributed.distribute(step, 'local')


def test_parallel_without_flags_changes_nothing():
    par = distributed.Parallel()
    step = d2gan.build_gan('dcgan', image_size=16, latent_dim=8, ngf=8, ndf=8)
    trainers = dict(step.trainers)
    assert par.prepare(step) is step and step.trainers == trainers
    data = d2gan.ArrayBatches(np.zeros((4, 1, 16, 16), 'float32'), 4)
    assert par.shard(data) is data and par.is_root
    assert par.root_only([1, 2]) == [1, 2]

