"""``--kvstore dist_sync`` from the command line for one recipe of every batch kind.

Each job is 1 scheduler, 1 server and 2 workers on 127.0.0.1 (``d2gan launch``), training two
iterations on a global batch that the workers share. Every job must finish and leave rank 0's
checkpoint. For CycleGAN, which draws no noise and no dropout, the weights must also equal a
one-process run on two contexts with the same global batch (a worker's slice of the batch is a
device's). The recipes with noise draw it per worker (``rng_offset``); SPADE's tiny test
generator has many weights whose gradient is ~0 (6% of one layer's differed by Adam's
amplification of the parameter server's other summation order), so for those only that they
train is checked here; ``tests/test_dist_sync.py`` checks the gradient scale and the replicas.
"""
import os
import sys

import pytest

from d2gan.launch import launch
from d2gan.registry import BATCH_KINDS, batch_kind
from d2gan.train import read_meta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli_devices import RECIPE_ARGS, assert_same, parameters, train  # noqa: E402

ONE_PER_KIND = ['dcgan', 'cgan', 'pix2pix', 'cyclegan', 'spade', 'stargan']
DETERMINISTIC = {'cyclegan'}


def test_one_recipe_of_every_batch_kind():
    assert sorted(batch_kind(m) for m in ONE_PER_KIND) == sorted(BATCH_KINDS)


@pytest.mark.parametrize('model', ONE_PER_KIND)
def test_dist_sync_trains_every_batch_kind(model, tmp_path, capfd):
    out = tmp_path / 'dist'
    command = [sys.executable, '-m', 'd2gan', 'train', '--model', model, '--epochs', '1',
               '--seed', '3', '--device', 'cpu', '--kvstore', 'dist_sync', '--out', str(out)]
    code = launch(command + RECIPE_ARGS[model], num_workers=2, num_servers=1, timeout=180)
    printed = capfd.readouterr()
    assert code == 0, printed.err[-3000:]
    checkpoint = str(out / 'checkpoint.ckpt')
    assert read_meta(checkpoint)['iteration'] == 2
    assert printed.out.count('checkpoint: ') == 1          # rank 0 only
    if model in DETERMINISTIC:
        # Running BN statistics are not compared: the one-process checkpoint holds the mean of
        # the two devices' (Gluon averages a parameter's copies on saving), rank 0 its own.
        dist = parameters(checkpoint, str(out))
        assert_same(train(model, tmp_path / 'two', 'cpu:0,cpu:1'), dist, model,
                    skip=('running_mean', 'running_var'))
