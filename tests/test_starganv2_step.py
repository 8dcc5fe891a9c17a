"""StarGAN v2 training: references drawn from the batch, both D and both G updates, EMA, the
diversity weight's decay, exact resume, sampling and the command line."""
import os

import numpy as np
import mxnet as mx
import pytest

import d2gan
from d2gan.cli import main
from d2gan.gans.starganv2 import reference_indices
from step_checks import params_of

TINY = dict(image_size=16, channels=1, num_domains=3, style_dim=4, latent_dim=4, dim_in=4,
            max_conv_dim=8, hidden_dim=8, ds_iter=4, lambda_ds=2.0)


def digits(n=24):
    X, y = d2gan.data.load_mnist_digits(image_size=16)
    keep = np.flatnonzero(y < 3)[:n]
    return X[keep], y[keep]


def test_references_come_from_the_batch_with_a_second_image_of_their_domain():
    y = np.array([0, 1, 1, 2, 0, 2])
    ref, ref2 = reference_indices(y, np.random.default_rng(0))
    assert sorted(ref) == list(range(6))
    assert all(y[a] == y[b] for a, b in zip(ref, ref2))
    assert all(a != b for a, b in zip(ref, ref2))          # every domain has two images here
    ref, ref2 = reference_indices(np.array([0, 1]), np.random.default_rng(0))
    assert list(ref2) == list(ref)                          # alone in its domain: itself


def test_trains_every_network_and_the_moving_averages():
    mx.random.seed(0)
    step = d2gan.build_gan('starganv2', **TINY)
    before = params_of(step)
    X, y = digits()
    state = d2gan.train_gan(step, d2gan.ArrayBatches((X, y), 8), 1, seed=1)
    logs = state.history[-1]
    assert {'loss_D_latent', 'loss_D_ref', 'loss_G_latent', 'loss_G_ref', 'sty', 'ds', 'cyc',
            'r1', 'lambda_ds'} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    after = params_of(step)
    for net in ('G', 'F', 'E', 'D', 'G_ema', 'F_ema', 'E_ema'):
        assert any(not np.array_equal(before[k], after[k]) for k in before
                   if k.startswith(net + '.')), net
    assert step.iteration == 3 and step.lambda_ds == pytest.approx(2.0 * (1 - 3 / 4))
    step.set_sample_data(X[:4], y[:4])
    assert step.sample(8, seed=0).shape == (2 * 4, 1, 16, 16)       # sources + 3 domains, k=2
    np.testing.assert_array_equal(step.sample(8, seed=0).asnumpy(), step.sample(8).asnumpy())
    assert step.translate(X[:2], 1, reference=X[2:4]).shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match=r'domain labels must be in \[0, 3\).*num_domains=6'):
        step.train_step((X[:4], np.array([0, 1, 5, 2])))


def test_resume_is_exact(tmp_path):
    X, y = digits(16)
    data = d2gan.ArrayBatches((X, y), 8)
    mx.random.seed(0)
    full = d2gan.build_gan('starganv2', **TINY)
    d2gan.train_gan(full, data, 2, seed=3)
    ckpt = str(tmp_path / 'c.ckpt')
    mx.random.seed(0)
    part = d2gan.build_gan('starganv2', **TINY)
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=3)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert resumed.iteration == full.iteration == 4


def test_command_line_trains_on_digit_classes_and_samples(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'starganv2', '--image-size', '16', '--dim-in', '4',
                 '--max-conv-dim', '8', '--epochs', '1', '--batch-size', '8', '--limit', '16',
                 '--out', out]) == 0
    checkpoint = os.path.join(out, 'checkpoint.ckpt')
    config = d2gan.train.read_meta(checkpoint)['config']
    assert config['num_domains'] >= 2 and config['dim_in'] == 4
    grid = str(tmp_path / 'grid.png')
    assert main(['sample', '--checkpoint', checkpoint, '--num', '22', '--out', grid]) == 0
    assert os.path.getsize(grid) > 0


def test_limit_on_labelled_data_spreads_over_the_classes():
    from d2gan.cli.images import spread_over_classes
    y = np.repeat(np.arange(4), 5)                          # sorted by class, as the digits
    keep = spread_over_classes(y, 6)
    assert sorted(y[keep]) == [0, 0, 1, 1, 2, 3] and list(keep) == sorted(keep)


def test_wgan_gp_ablation_penalises_interpolates_with_real_images_of_the_target_domain():
    mx.random.seed(0)
    step = d2gan.build_gan('starganv2', adv_loss='wgan-gp', **TINY)
    assert step.r1 is None and step.gp.weight == 10.0
    calls = []
    penalty = step.gp

    def recording(net, real, fake, labels):
        calls.append((real.asnumpy(), labels.asnumpy()))
        return penalty(net, real, fake, labels=labels)

    step.gp = recording
    X, y = digits(12)
    before = params_of(step)
    logs = step.train_step((X, y))
    assert len(calls) == 2 and 'gp' in logs and 'r1' not in logs
    assert np.isfinite(logs['gp'].asscalar()) and logs['gp'].asscalar() > 0
    for real, labels in calls:                    # each real end is an image of its label
        for image, label in zip(real, labels):
            match = np.flatnonzero(np.all(X == image, axis=(1, 2, 3)))
            assert len(match) and y[match[0]] == int(label)
    after = params_of(step)
    assert any(not np.array_equal(before[k], after[k]) for k in before if k.startswith('D.'))
    with pytest.raises(ValueError, match="adv_loss must be one of non-saturating, wgan-gp"):
        d2gan.build_gan('starganv2', adv_loss='hinge', **TINY)


def test_without_style_codes_the_style_is_the_domain_label():
    mx.random.seed(0)
    step = d2gan.build_gan('starganv2', style_codes=False, **TINY)
    X, y = digits(12)
    state = d2gan.train_gan(step, d2gan.ArrayBatches((X, y), 6), 1, seed=1)
    assert all(h['ds'] == 0 for h in state.history)       # both styles are the same vector
    z1, z2 = np.random.default_rng(0).standard_normal((2, 4, 4)).astype('float32')
    a = step.translate(X[:4], 2, z=z1).asnumpy()
    np.testing.assert_array_equal(a, step.translate(X[:4], 2, z=z2).asnumpy())
    np.testing.assert_array_equal(a, step.translate(X[:4], 2, reference=X[4:8]).asnumpy())
    assert not np.array_equal(a, step.translate(X[:4], 1, z=z1).asnumpy())
    np.testing.assert_array_equal(step.domain_codes(mx.nd.array([2, 0])).asnumpy(),
                                  [[0, 0, 1, 0], [1, 0, 0, 0]])
    with pytest.raises(ValueError, match=r'num_domains \(5\) must be <= style_dim \(4\)'):
        d2gan.build_gan('starganv2', style_codes=False, **dict(TINY, num_domains=5))
    mx.random.seed(0)
    coded = d2gan.build_gan('starganv2', **TINY)                 # the reference: z matters
    assert not np.array_equal(coded.translate(X[:4], 2, z=z1).asnumpy(),
                              coded.translate(X[:4], 2, z=z2).asnumpy())


def test_command_line_sets_the_mapping_width_rates_diversity_schedule_and_ema(tmp_path):
    out = str(tmp_path / 'run')
    assert main(['train', '--model', 'starganv2', '--image-size', '16', '--dim-in', '4',
                 '--max-conv-dim', '8', '--epochs', '1', '--batch-size', '8', '--limit', '16',
                 '--hidden-dim', '8', '--f-lr', '4e-6', '--lambda-ds', '2', '--ds-iter', '0',
                 '--ema-beta', '0.99', '--out', out]) == 0
    config = d2gan.train.read_meta(os.path.join(out, 'checkpoint.ckpt'))['config']
    assert (config['hidden_dim'], config['f_lr'], config['lambda_ds'], config['ds_iter'],
            config['ema_beta']) == (8, 4e-6, 2.0, 0, 0.99)
    assert main(['train', '--model', 'starganv2', '--out', out, '--resume', '--epochs', '2',
                 '--ema-beta', '0.999']) == 2                       # a run keeps its settings
    assert main(['train', '--model', 'dcgan', '--ema-beta', '0.99', '--out', out]) == 2
    assert main(['train', '--model', 'starganv2', '--ema-beta', '1', '--out', out]) == 2
