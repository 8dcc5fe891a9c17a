"""Write one small checkpoint per recipe with the library as it was before the one-file-per-GAN
redesign (commit d90e5ea), for ``tests/test_pre_redesign_checkpoints.py``.

    git worktree add /tmp/old d90e5ea
    PYTHONPATH=/tmp/old python tests/data/pre_redesign/make_checkpoints.py tests/data/pre_redesign

Each recipe trains one epoch of two iterations on random data of its batch kind, at the sizes
of ``tests/test_cli_devices.py``; the configs are the ones that commit's CLI would have written.
"""
import os
import sys

import numpy as np
import mxnet as mx

import d2gan
from d2gan.train.attribute_recipes import book_config

rng = np.random.default_rng(0)
SMALL = dict(image_size=16, channels=1, ngf=4, ndf=4)
EDITOR = dict(attrs=['Inverted', 'Framed'], n_critic=2)


def images(n, c, s):
    return rng.uniform(-1, 1, (n, c, s, s)).astype('float32')


RUNS = {
    'dcgan': (SMALL, lambda: images(16, 1, 16), 8),
    'lsgan': (SMALL, lambda: images(16, 1, 16), 8),
    'hinge-sn': (SMALL, lambda: images(16, 1, 16), 8),
    'wgan': (dict(SMALL, n_critic=2), lambda: images(16, 1, 16), 8),
    'wgan-gp': (dict(SMALL, n_critic=2), lambda: images(16, 1, 16), 8),
    'cgan': (SMALL, lambda: (images(16, 1, 16), rng.integers(0, 10, 16).astype('int32')), 8),
    'pix2pix': (dict(image_size=32, ngf=4, ndf=4, direction='BtoA', pool_size=2),
                lambda: (images(4, 3, 32), images(4, 3, 32)), 2),
    'cyclegan': (dict(image_size=32, ngf=4, ndf=4, n_epochs=1, n_epochs_decay=0, pool_size=2),
                 lambda: (images(4, 3, 32), images(4, 3, 32)), 2),
    'spade': (dict(image_size=32, num_classes=7, dataset='synth-facades', ngf=2, ndf=4,
                   hidden=8),
              lambda: (np.eye(8, dtype='float32')[rng.integers(0, 8, (4, 32, 32))]
                       .transpose(0, 3, 1, 2).copy(), images(4, 3, 32)), 2),
}
NARROW = {'stargan': dict(conv_dim=4, d_conv_dim=4),
          'attgan': dict(enc_dim=4, dec_dim=4, dis_dim=4, dis_fc_dim=8),
          'stgan': dict(enc_dim=4, dec_dim=4, dis_dim=4, dis_fc_dim=8, stu_dim=4)}
for model in ('stargan', 'attgan', 'stgan'):
    RUNS[model] = (dict(book_config(model, 32, **NARROW[model]), **EDITOR),
                   lambda: (images(16, 3, 32), rng.integers(0, 2, (16, 2)).astype('float32')),
                   8)


def main(folder):
    for model, (config, data, batch) in RUNS.items():
        mx.random.seed(0)
        step = d2gan.build_gan(model, **config)
        path = os.path.join(folder, f'{model}.ckpt')
        if os.path.exists(path):
            os.remove(path)
        d2gan.train_gan(step, d2gan.ArrayBatches(data(), batch), 1, checkpoint=path)
        print(model, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main(sys.argv[1])
