"""CGAN: both networks use the label; the step trains through the one loop and resumes exactly."""
import os

import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd

import d2gan
from d2gan.models.cgan import CGANDiscriminator, CGANGenerator


@pytest.mark.parametrize('embed_dim', [None, 6])
def test_shapes_and_label_dependence(embed_dim):
    G = CGANGenerator(latent_dim=8, num_classes=10, channels=1, image_size=16, ngf=8,
                      embed_dim=embed_dim)
    D = CGANDiscriminator(num_classes=10, channels=1, image_size=16, ndf=8, embed_dim=embed_dim)
    for net in (G, D):
        net.initialize(mx.init.Normal(0.5))
    z = mx.nd.random.normal(shape=(4, 8))
    y0 = mx.nd.one_hot(mx.nd.array([0, 1, 2, 3]), 10)
    y1 = mx.nd.one_hot(mx.nd.array([5, 6, 7, 8]), 10)
    with autograd.predict_mode():
        x0, x1 = G(z, y0), G(z, y1)
        assert x0.shape == (4, 1, 16, 16)
        assert np.abs((x0 - x1).asnumpy()).max() > 1e-4      # the label changes the image
        d0, d1 = D(x0, y0), D(x0, y1)
        assert d0.shape == (4,)
        assert np.abs((d0 - d1).asnumpy()).max() > 1e-6      # ... and D's verdict
        G.hybridize()
        D.hybridize()
        np.testing.assert_allclose(G(z, y0).asnumpy(), x0.asnumpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(D(x0, y0).asnumpy(), d0.asnumpy(), rtol=1e-4, atol=1e-5)


def test_embedding_equals_a_lookup_for_one_hot_labels():
    G = CGANGenerator(latent_dim=4, num_classes=5, image_size=16, ngf=8, embed_dim=3)
    G.initialize()
    W = G.embed.weight.data().asnumpy()                      # (embed_dim, num_classes)
    y = mx.nd.one_hot(mx.nd.array([2, 4]), 5)
    np.testing.assert_allclose(G.embed(y).asnumpy(), W[:, [2, 4]].T, rtol=1e-6)


def small_step(**kw):
    mx.random.seed(0)
    return d2gan.build_gan('cgan', image_size=16, channels=1, latent_dim=8, ngf=8, ndf=8, **kw)


def digits(n=64):
    X, y = d2gan.data.load_mnist_digits(16)
    index = np.random.default_rng(0).choice(len(X), n, replace=False)
    return X[index], y[index]


def test_step_trains_and_samples_rows_per_class():
    step = small_step()
    assert d2gan.registry.batch_kind('cgan') == 'labelled'
    X, y = digits()
    state = d2gan.train_gan(step, d2gan.ArrayBatches((X, y), 16), 1)
    assert set(state.history[0]) == {'loss_D', 'loss_G'}
    assert all(np.isfinite(v) for v in state.history[0].values())
    assert step.sample(20, seed=0).shape == (20, 1, 16, 16)
    grid = step.class_grid(per_class=3, seed=0).asnumpy()
    assert grid.shape == (30, 1, 16, 16)
    # same z in every row: column 0 of class 0 and of class 1 differ only through the label
    assert not np.allclose(grid[0], grid[3])
    again = step.class_grid(per_class=3, seed=0).asnumpy()
    np.testing.assert_array_equal(grid, again)
    interp = step.interpolate_labels(1, 7, steps=5, num_z=2, seed=0).asnumpy()
    assert interp.shape == (10, 1, 16, 16)
    np.testing.assert_allclose(interp[0], step.generate(step.noise(2, 8, 0)[:1], [1]).asnumpy()[0],
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r'labels must lie in 0\.\.9'):
        step.sample(2, labels=[0, 10])


def test_learns_to_use_the_label_on_two_classes():
    """D should come to separate a real 0 shown with label 1 from the same 0 with label 0."""
    X, y = d2gan.data.load_mnist_digits(16)
    keep = (y == 0) | (y == 1)
    X, y = X[keep][::4], y[keep][::4]
    step = small_step()
    d2gan.train_gan(step, d2gan.ArrayBatches((X, y), 25), 6, seed=0)
    zeros = mx.nd.array(X[y == 0][:50])
    with autograd.predict_mode():
        right = step.net_D(zeros, step.onehot(np.zeros(len(zeros), int))).mean().asscalar()
        wrong = step.net_D(zeros, step.onehot(np.ones(len(zeros), int))).mean().asscalar()
    assert right > wrong


def params_of(step):
    return {f'{k}.{name}': p.data().asnumpy() for k, net in step.networks.items()
            for name, p in net._collect_params_with_prefix().items()}


def test_resume_is_exact(tmp_path):
    X, y = digits()
    data = d2gan.ArrayBatches((X, y), 16)
    full = small_step()
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    part = small_step()
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=5)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert os.path.exists(ckpt)


def test_command_line_trains_on_labelled_digits(tmp_path, capsys):
    from d2gan.cli import main
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'cgan', '--image-size', '16', '--epochs', '1',
                 '--batch-size', '32', '--limit', '64', '--out', out]) == 0
    grid = str(tmp_path / 'grid.png')
    assert main(['sample', '--checkpoint', os.path.join(out, 'checkpoint.ckpt'), '--num', '20',
                 '--nrow', '2', '--out', grid]) == 0
    assert os.path.getsize(grid) > 0
    assert main(['infer', '--checkpoint', os.path.join(out, 'checkpoint.ckpt'), '--input',
                 str(tmp_path), '--out', str(tmp_path / 'x')]) == 2
    assert 'use `sample`' in capsys.readouterr().err


def test_a_step_queues_without_waiting_for_the_engine():
    """The label check reads the batch's labels on the host, which a loader hands over ready:
    the step waits for no queued operator (a ``min()`` read back waited behind all of them), so
    Python queues ahead of the engine and ``benchmarks/engine_split.py`` can time the two apart
    (it returns None for a step that waited behind its block of matrix products)."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
    import engine_split
    step = small_step()
    X = mx.nd.random.uniform(-1, 1, shape=(4, 1, 16, 16))
    y = mx.nd.array([0, 3, 9, 1])
    step.train_step((X, y))
    mx.nd.waitall()
    assert engine_split._engine_ms(mx, step, (X, y), 2, python_s=0.2) is not None


@pytest.mark.parametrize('bad', [[0, 3, 10, 1], [0, -1, 2, 1]])
def test_a_batch_with_a_label_out_of_range_is_refused(bad):
    step = small_step()
    X = mx.nd.random.uniform(-1, 1, shape=(4, 1, 16, 16))
    for labels in (mx.nd.array(bad), np.array(bad)):
        with pytest.raises(ValueError, match=r'labels must lie in 0\.\.9, got -?\d+\.\.\d+'):
            step.train_step((X, labels))
