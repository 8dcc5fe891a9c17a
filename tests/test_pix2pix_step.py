"""Pix2PixStep: objective, pool, exact resume (pool included), sampling and metrics."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan import translation_metrics


def pairs(n=8, size=32, seed=0):
    """B is a fixed function of A (a colour swap), so the L1 term has something to learn."""
    rng = np.random.default_rng(seed)
    A = np.tanh(rng.standard_normal((n, 3, size, size))).astype('float32')
    return A, A[:, ::-1].copy()


def small(**kw):
    mx.random.seed(kw.pop('seed', 0))
    cfg = dict(image_size=32, ngf=16, ndf=16, pool_size=4)
    cfg.update(kw)
    return d2gan.build_gan('pix2pix', **cfg)


def params_of(step):
    return {f'{k}.{name}': p.data().asnumpy() for k, net in step.networks.items()
            for name, p in net._collect_params_with_prefix().items()}


def test_recipe_defaults_are_the_papers():
    step = d2gan.build_gan('pix2pix', image_size=32, ngf=16, ndf=16)
    assert step.lambda_l1 == 100 and step.lambda_gan == 1 and step.pool.pool_size == 50
    assert step.loss.name == 'vanilla' and step.batch_kind == 'paired'
    for trainer in step.trainers.values():
        assert trainer.learning_rate == pytest.approx(2e-4)
        assert trainer._optimizer.beta1 == 0.5
    assert step.config['model'] == 'pix2pix'


def test_one_g_forward_gives_the_gradient_of_a_recomputed_one():
    """Reusing G(a) across the D update equals recomputing it (dropout off, no pool)."""
    A, B = (nd.array(x) for x in pairs(4))
    step = small(dropout=False, pool_size=0, hybridize=False)
    ref = small(dropout=False, pool_size=0, hybridize=False)
    step.train_step((A, B))
    # reference: D update, then the G loss on a freshly computed G(a)
    G, D = ref.net_G, ref.net_D
    with autograd.train_mode():
        fake = G(A)
    with autograd.record():
        loss_D = 0.5 * ref.loss.d_loss(D(nd.concat(A, B, dim=1)),
                                       D(nd.concat(A, fake, dim=1))).sum()
    loss_D.backward()
    ref.trainers['D'].step(4)
    with autograd.record():
        f = G(A)
        total = (100 * nd.abs(f - B).reshape((4, -1)).mean(axis=1).sum()
                 + ref.loss.g_loss(D(nd.concat(A, f, dim=1))).sum())
    total.backward()
    ref.trainers['G'].step(4)
    # the same grads would give the same Adam update; BN running stats differ (2 G forwards)
    got, expected = params_of(step), params_of(ref)
    for key in expected:
        if 'running' not in key:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, atol=1e-6,
                                       err_msg=key)


def test_l1_drops_and_losses_are_logged():
    A, B = pairs(8)
    step = small()
    data = d2gan.ArrayBatches((A, B), 4)
    state = d2gan.train_gan(step, data, 6, seed=0)
    first, last = state.history[0], state.history[-1]
    assert set(first) == {'loss_D', 'loss_G_GAN', 'L1'}
    assert last['L1'] < first['L1']
    assert len(step.pool) == 4


def test_l1_only_ablation_never_touches_d():
    A, B = pairs(8)
    step = small(lambda_gan=0)
    before = {k: v for k, v in params_of(step).items() if k.startswith('D.')}
    state = d2gan.train_gan(step, d2gan.ArrayBatches((A, B), 4), 2, seed=0)
    assert set(state.history[0]) == {'L1'}
    after = params_of(step)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)


@pytest.mark.parametrize('stop_at', [3, 4])
def test_resume_is_exact_including_the_pool(tmp_path, stop_at):
    A, B = pairs(8)
    data = d2gan.ArrayBatches((A, B), 2)   # 4 iterations per epoch, the pool fills in 2
    full = small()
    d2gan.train_gan(full, data, 2, seed=5)
    ckpt = str(tmp_path / 'p.ckpt')
    d2gan.train_gan(small(), data, 2, seed=5, checkpoint=ckpt, max_iterations=stop_at)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=5, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    a, b = full.pool.state_dict(), resumed.pool.state_dict()
    np.testing.assert_array_equal(a['images'], b['images'])
    assert str(a['rng']) == str(b['rng'])


def test_sample_grid_translate_modes_and_metrics():
    A, B = pairs(6)
    step = small(pool_size=0)
    with pytest.raises(ValueError, match='set_sample_data'):
        step.sample(9)
    step.set_sample_data(A, B)
    grid = step.sample(9, seed=1).asnumpy()
    assert grid.shape == (9, 3, 32, 32) and step.sample_nrow(9) == 3
    rows = grid.reshape(3, 3, 3, 32, 32)
    index = np.random.default_rng(1).choice(6, 3, replace=False)
    np.testing.assert_array_equal(rows[0], A[index])
    np.testing.assert_array_equal(rows[2], B[index])
    np.testing.assert_allclose(rows[1], step.translate(A[index]).asnumpy(), rtol=1e-5,
                               atol=1e-6)
    # test-time 'train' mode (paper): dropout + batch statistics, running stats untouched
    stats = {k: v for k, v in params_of(step).items() if 'running' in k}
    out = step.translate(A, batch_size=1, mode='train')
    assert out.shape == A.shape
    for key, value in stats.items():
        np.testing.assert_array_equal(params_of(step)[key], value)
    with pytest.raises(ValueError, match="'eval' or 'train'"):
        step.translate(A, mode='test')


def test_translation_metrics_by_hand():
    real = np.zeros((2, 3, 4, 4), np.float32)     # 0.5 grey on [0, 1]
    fake = real.copy()
    fake[0] += 0.2                                # off by 0.1 everywhere on [0, 1]
    m = translation_metrics(fake, real)
    assert m['L1'] == pytest.approx(0.05)          # mean of 0.1 and 0
    psnr0 = 10 * np.log10(1 / 0.01)               # 20 dB; image 1 is perfect (capped at 100 dB)
    assert m['PSNR'] == pytest.approx((psnr0 + 100) / 2)
    rng = np.random.default_rng(0)
    textured = rng.uniform(-1, 1, (2, 3, 8, 8)).astype(np.float32)
    blurred = (textured + np.roll(textured, 1, axis=-1)) / 2
    assert translation_metrics(blurred, textured)['sharpness'] < 0.8
    assert translation_metrics(textured, textured)['sharpness'] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='shapes differ'):
        translation_metrics(fake, real[:1])


def test_unaligned_batch_is_a_clear_error():
    step = small()
    with pytest.raises(ValueError, match='not aligned'):
        step.train_step((np.zeros((2, 3, 32, 32), 'f'), np.zeros((3, 3, 32, 32), 'f')))


def test_command_line_train_resume_and_infer(tmp_path, capsys):
    from d2gan.cli import main
    from d2gan.data import facades_synth
    root = facades_synth.make_synthetic_facades(tmp_path / 'facades', {'train': 8, 'val': 4},
                                                size=64)
    out = str(tmp_path / 'run')
    args = ['train', '--model', 'pix2pix', '--dataset', 'folder', '--dataroot', root,
            '--direction', 'BtoA', '--image-size', '32', '--batch-size', '4', '--epochs', '1',
            '--out', out]
    assert main(args) == 0
    assert (tmp_path / 'run' / 'samples' / 'epoch_001.png').exists()
    assert 'BtoA' in capsys.readouterr().out
    assert main(args) == 2                                   # never overwrites a run
    resume = args[:args.index('--epochs') + 1] + ['2', '--out', out, '--resume']
    assert main(resume) == 0
    assert (tmp_path / 'run' / 'samples' / 'epoch_002.png').exists()
    meta = d2gan.train.read_meta(str(tmp_path / 'run' / 'checkpoint.ckpt'))
    assert meta['config']['direction'] == 'BtoA' and meta['epoch'] == 2
    capsys.readouterr()

    ckpt = str(tmp_path / 'run' / 'checkpoint.ckpt')
    translated = tmp_path / 'val_out'
    assert main(['infer', '--checkpoint', ckpt, '--input', str(tmp_path / 'facades' / 'val'),
                 '--paired', '--out', str(translated)]) == 0
    printed = capsys.readouterr().out
    assert 'PSNR' in printed and 'input copied' in printed
    assert sorted(p.name for p in translated.iterdir()) == [f'{i:04d}.png' for i in range(4)]
    assert main(['sample', '--checkpoint', ckpt, '--out', str(tmp_path / 'g.png')]) == 2
    assert 'infer' in capsys.readouterr().err
