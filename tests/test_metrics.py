"""FID / KID / IS against direct computations, streaming == batch, and the extractors."""
import os

import numpy as np
import pytest
from scipy import linalg

import d2gan
from d2gan import metrics
from d2gan.cli import main


def random_spd(d, rng, scale=1.0):
    A = rng.standard_normal((d, d))
    return scale * (A @ A.T / d + 0.1 * np.eye(d))


def direct_fid(mu1, s1, mu2, s2):
    """FID through eigenvalues: Tr (S1 S2)^{1/2} = sum of sqrt(eigenvalues of S1 S2)."""
    tr_sqrt = np.sqrt(np.linalg.eigvals(s1 @ s2).astype(complex)).real.sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


# ------------------------------------------------------------------------------ Fréchet
def test_frechet_identical_gaussians_is_zero():
    rng = np.random.default_rng(0)
    mu, sigma = rng.standard_normal(8), random_spd(8, rng)
    assert abs(metrics.frechet_distance(mu, sigma, mu, sigma)) < 1e-8


def test_frechet_shifted_means_equal_cov_is_squared_distance():
    rng = np.random.default_rng(1)
    mu, sigma, delta = rng.standard_normal(6), random_spd(6, rng), rng.standard_normal(6)
    assert metrics.frechet_distance(mu, sigma, mu + delta, sigma) == pytest.approx(
        delta @ delta, abs=1e-8)


def test_frechet_diagonal_covariances_closed_form():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    mu1, mu2 = rng.standard_normal(5), rng.standard_normal(5)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(
        expected, rel=1e-10)


def test_frechet_matches_direct_computation_on_general_gaussians():
    rng = np.random.default_rng(3)
    for d in (2, 10, 40):
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        s1, s2 = random_spd(d, rng), random_spd(d, rng, scale=2.0)
        assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
            direct_fid(mu1, s1, mu2, s2), rel=1e-8)
    x = rng.standard_normal((300, 4))
    y = rng.standard_normal((200, 4)) * 1.5 + 0.5
    assert metrics.fid_from_features(x, y) == pytest.approx(direct_fid(
        x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)), rel=1e-8)


def test_frechet_singular_covariances_fewer_samples_than_dimensions():
    # Fewer samples than dimensions (as with 2048-d Inception features of a few hundred images)
    # and dead feature dimensions: both covariances are singular.
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((20, 64)), rng.standard_normal((20, 64)) + 0.1
    x[:, :5] = y[:, :5] = 0
    mu1, s1 = metrics.gaussian_stats(x)
    mu2, s2 = metrics.gaussian_stats(y)
    assert np.linalg.matrix_rank(s1) < 64
    value = metrics.frechet_distance(mu1, s1, mu2, s2)
    assert np.isfinite(value)
    assert value == pytest.approx(direct_fid(mu1, s1, mu2, s2), rel=1e-6)


def test_frechet_product_without_square_root_gets_the_eps_offset():
    # A Jordan block at eigenvalue 0 has no square root: scipy's sqrtm returns NaN. Round-off
    # makes such products out of singular covariances in high dimensions; the references then
    # add eps * I to both covariances, and so do we (with a warning).
    s1, s2 = np.array([[0.0, 1.0], [0.0, 0.0]]), np.eye(2)
    assert not np.isfinite(linalg.sqrtm(s1 @ s2, disp=False)[0]).all()
    eps = 1e-6
    with pytest.warns(RuntimeWarning, match='singular'):
        value = metrics.frechet_distance(np.zeros(2), s1, np.zeros(2), s2, eps=eps)
    offset = eps * np.eye(2)
    expected = 2 - 2 * np.trace(linalg.sqrtm((s1 + offset) @ (s2 + offset))).real
    assert np.isfinite(value) and value == pytest.approx(expected, rel=1e-9)


def test_frechet_rejects_invalid_covariances():
    with pytest.raises(ValueError, match='imaginary'):
        metrics.frechet_distance(np.zeros(2), np.array([[1.0, 0], [0, -1]]),
                                 np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match='mismatched'):
        metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


# ------------------------------------------------------------------------------ KID
def brute_force_mmd2(X, Y):
    d, m = X.shape[1], len(X)
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    xx = sum(k(X[i], X[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(Y[i], Y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(X[i], Y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_mmd2_unbiased_matches_the_definition():
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((7, 3)), rng.standard_normal((7, 3)) + 0.3
    assert metrics.mmd2_unbiased(X, Y) == pytest.approx(brute_force_mmd2(X, Y), rel=1e-10)


def test_mmd2_is_unbiased_on_identical_distributions():
    # Many small independent pairs from one distribution: the unbiased estimate averages to 0
    # within its standard error, while keeping the diagonal (the biased V-statistic) does not.
    rng = np.random.default_rng(6)
    unbiased, biased = [], []
    for _ in range(400):
        X, Y = rng.standard_normal((10, 4)), rng.standard_normal((10, 4))
        unbiased.append(metrics.mmd2_unbiased(X, Y))
        K = lambda a, b: metrics.polynomial_kernel(a, b)  # noqa: E731
        biased.append(K(X, X).mean() + K(Y, Y).mean() - 2 * K(X, Y).mean())
    unbiased, biased = np.array(unbiased), np.array(biased)
    stderr = unbiased.std() / np.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 3 * stderr
    assert biased.mean() > 10 * stderr


def test_kid_same_distribution_near_zero_and_different_clearly_positive():
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((600, 16)), rng.standard_normal((600, 16))
    Z = rng.standard_normal((600, 16)) * 1.3 + 0.3
    same, same_std = metrics.kernel_inception_distance(X, Y, num_subsets=30, subset_size=200)
    diff, _ = metrics.kernel_inception_distance(X, Z, num_subsets=30, subset_size=200)
    assert abs(same) < 0.05 * diff and same_std > 0
    assert metrics.kernel_inception_distance(X, Y, 30, 200, seed=1) != (same, same_std)
    assert metrics.kernel_inception_distance(X, Y, 30, 200) == (same, same_std)  # seeded
    with pytest.raises(ValueError, match='subset_size'):
        metrics.kernel_inception_distance(X[:50], Y, subset_size=100)


# ------------------------------------------------------------------------------ IS
def test_inception_score_uniform_predictions_is_one():
    mean, std = metrics.inception_score(np.full((100, 10), 0.1), splits=5)
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize('k', [2, 5, 10])
def test_inception_score_confident_and_uniform_over_k_classes_is_k(k):
    probs = np.eye(10)[np.arange(20 * k) % k]  # one-hot, each of k classes equally often
    mean, _ = metrics.inception_score(probs, splits=4)
    assert mean == pytest.approx(k, rel=1e-6)


def test_inception_score_rejects_logits():
    with pytest.raises(ValueError, match='probabilities'):
        metrics.inception_score(np.random.default_rng(0).standard_normal((20, 10)), splits=2)


# ------------------------------------------------------------------------------ streaming
def test_running_gaussian_equals_batch_statistics():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((257, 5)) * 3 + 100  # large mean: naive sums would lose digits
    running = metrics.RunningGaussian()
    for start, stop in [(0, 1), (1, 64), (64, 200), (200, 257)]:
        running.update(x[start:stop])
    mu, cov = metrics.gaussian_stats(x)
    np.testing.assert_allclose(running.mean, mu, rtol=1e-12)
    np.testing.assert_allclose(running.cov, cov, rtol=1e-9, atol=1e-9)
    assert running.n == 257


def pixel_extractor(images):
    """A cheap deterministic extractor for tests: 4x4 average-pooled pixels and a softmax."""
    x = images.asnumpy() if hasattr(images, 'asnumpy') else np.asarray(images)
    n = len(x)
    feats = x.reshape(n, x.shape[1], 4, x.shape[2] // 4, 4, x.shape[3] // 4).mean(axis=(1, 3, 5))
    feats = feats.reshape(n, 16)
    logits = feats[:, :10] * 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return feats, probs


def test_streaming_equals_batch_for_every_source_kind():
    rng = np.random.default_rng(9)
    X = rng.uniform(-1, 1, (130, 1, 16, 16)).astype('float32')
    Y = rng.uniform(-1, 1, (90, 1, 16, 16)).astype('float32') * 0.5
    feats_x, probs_x = pixel_extractor(X)
    feats_y, _ = pixel_extractor(Y)

    calls = []

    def generator(n):  # hands out X in order, at most n images per call
        calls.append(n)
        start = sum(calls[:-1])
        return X[start:start + n]

    sources = {'array': (X, None), 'generator': (generator, 130),
               'iterable of (images, labels)': ([(X[i:i + 50], None) for i in range(0, 130, 50)],
                                                None),
               'ArrayBatches': (d2gan.ArrayBatches(X, 26, shuffle=False), None)}
    ref = metrics.accumulate(pixel_extractor, Y, batch_size=32)
    for name, (source, num) in sources.items():
        stats = metrics.accumulate(pixel_extractor, source, num, batch_size=32)
        assert stats.n == 130, name
        np.testing.assert_allclose(stats.features, feats_x, rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(stats.probs, probs_x, rtol=1e-6, err_msg=name)
        got = metrics.compute_metrics(stats, ref, ('fid', 'kid', 'is'), kid_subsets=5)
        assert got['fid'] == pytest.approx(metrics.fid_from_features(feats_x, feats_y), rel=1e-6)
        assert got['kid'] == pytest.approx(metrics.kernel_inception_distance(
            feats_x, feats_y, 5, None)[0], rel=1e-6)
        assert got['is'] == pytest.approx(metrics.inception_score(probs_x, 10)[0], rel=1e-6)
    assert max(calls) <= 32  # the generator was asked for one batch at a time


def test_sources_check_their_arguments():
    with pytest.raises(ValueError, match='num='):
        metrics.accumulate(pixel_extractor, lambda n: np.zeros((n, 1, 16, 16)))
    with pytest.raises(ValueError, match='only 20 images'):
        metrics.accumulate(pixel_extractor, [np.zeros((20, 1, 16, 16))], num=40)
    stats = metrics.accumulate(pixel_extractor, np.zeros((20, 1, 16, 16)), keep_features=False)
    with pytest.raises(ValueError, match='KID needs'):
        stats.features
    with pytest.raises(ValueError, match='unknown metric'):
        metrics.compute_metrics(stats, stats, ('fid', 'precision'))


def test_generator_source_draws_fresh_reproducible_samples():
    step = d2gan.build_gan('dcgan', image_size=16, channels=1, ngf=8, ndf=8)
    a = metrics.accumulate(pixel_extractor, metrics.generator_source(step, seed=3), 50, 20)
    b = metrics.accumulate(pixel_extractor, metrics.generator_source(step, seed=3), 50, 20)
    np.testing.assert_array_equal(a.features, b.features)
    assert len(np.unique(a.features[:, 0])) == 50  # no batch repeats the previous one


# ------------------------------------------------------------------------------ extractors
def test_missing_inception_weights_give_a_clear_error(tmp_path, monkeypatch):
    path = str(tmp_path / 'nowhere' / 'inception.params')
    with pytest.raises(metrics.InceptionWeightsNotFoundError) as info:
        metrics.InceptionV3Features(weights=path)
    message = str(info.value)
    assert path in message and 'inceptionv3' in message and 'pretrained=True' in message
    monkeypatch.setenv('D2GAN_INCEPTION_WEIGHTS', path)
    assert metrics.default_inception_weights() == path
    with pytest.raises(FileNotFoundError, match='nowhere'):
        metrics.get_extractor('inception')
    monkeypatch.delenv('D2GAN_INCEPTION_WEIGHTS')
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    assert metrics.default_inception_weights() == str(
        tmp_path / 'models' / 'inceptionv3-a5050dbc.params')


def test_inception_v3_pool3_features_and_weight_file(tmp_path):
    extractor = metrics.InceptionV3Features(random_weights=True)
    X = np.random.default_rng(0).uniform(-1, 1, (2, 1, 32, 32)).astype('float32')
    feats, probs = extractor(X)
    assert feats.shape == (2, 2048) and probs.shape == (2, 1000)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    assert (feats >= 0).all()  # pool3 averages ReLU outputs
    # a weight file in gluon-cv's format is read back into the same network
    path = str(tmp_path / 'inceptionv3-test.params')
    extractor.block.net.save_parameters(path)
    loaded = metrics.InceptionV3Features(weights=path)
    np.testing.assert_allclose(loaded(X)[0], feats, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match='SHA-1'):
        metrics.InceptionV3Features(weights=path, check_sha1=True)


def test_unknown_extractor_lists_valid_names():
    with pytest.raises(KeyError, match='digits, inception'):
        metrics.get_extractor('vgg')


TINY = dict(epochs=1, batch_size=32, widths=(4, 8, 8), feature_dim=8, train_limit=256)


def test_digit_classifier_is_cached_by_config_and_reproducible(tmp_path, monkeypatch):
    net, info = metrics.load_digit_classifier(TINY, root=str(tmp_path), verbose=False)
    assert info['path'] and os.path.exists(info['path'])
    assert info['train_images'] == 256 and 0 <= info['heldout_accuracy'] <= 1

    def no_training(*args, **kwargs):
        raise AssertionError('trained again despite the cache')
    monkeypatch.setattr(metrics.digit_classifier, 'train_digit_classifier', no_training)
    cached, cached_info = metrics.load_digit_classifier(TINY, root=str(tmp_path), verbose=False)
    assert cached_info['heldout_accuracy'] == info['heldout_accuracy']
    X = metrics.real_digits('heldout')[:16]
    extractor = metrics.DigitFeatures(net=cached, info=cached_info)
    feats, probs = extractor(X)
    np.testing.assert_allclose(feats, metrics.DigitFeatures(net=net, info=info)(X)[0], rtol=1e-5)
    assert feats.shape == (16, 8) and probs.shape == (16, 10)
    # 3-channel 64x64 images are turned grey and resized to the classifier's input
    big = np.repeat(np.kron(X, np.ones((1, 1, 2, 2), 'float32')), 3, axis=1)
    np.testing.assert_allclose(extractor(big)[0], feats, rtol=1e-3, atol=1e-3)
    # a different recipe is a different file
    monkeypatch.undo()
    other = dict(TINY, seed=1)
    assert metrics.digit_classifier.config_hash(dict(metrics.DIGIT_CONFIG, **TINY)) != \
        metrics.digit_classifier.config_hash(dict(metrics.DIGIT_CONFIG, **other))


def test_digit_classifier_training_is_deterministic():
    a, _ = metrics.train_digit_classifier(TINY, verbose=False)
    b, _ = metrics.train_digit_classifier(TINY, verbose=False)
    for (name, p), q in zip(a.collect_params().items(), b.collect_params().values()):
        np.testing.assert_array_equal(p.data().asnumpy(), q.data().asnumpy(), err_msg=name)


def test_digit_split_is_disjoint_and_balanced():
    (X, y), (Xh, yh) = metrics.digit_split()
    assert len(X) == 4000 and len(Xh) == 1000
    assert np.bincount(yh).tolist() == [100] * 10
    train = {x.tobytes() for x in X}
    assert not any(x.tobytes() in train for x in Xh)


# ------------------------------------------------------------------------------ training, CLI
def test_fid_callback_tracks_the_generator(tmp_path):
    X = metrics.real_digits('train')[:128][:, :, ::2, ::2]
    step = d2gan.build_gan('dcgan', image_size=16, channels=1, ngf=8, ndf=8)
    callback = metrics.FIDCallback(reference=X, extractor=pixel_extractor, every_epochs=2,
                                   num=64, batch_size=32, at_start=True, plot=False,
                                   verbose=False, metrics=('fid', 'kid'))
    d2gan.train_gan(step, d2gan.ArrayBatches(X, 32), 3, callbacks=[callback])
    epochs, fids = callback.values('fid')
    assert epochs == [0, 2, 3] and all(np.isfinite(fids))
    assert set(callback.history[-1][1]) == {'fid', 'kid', 'kid_std'}
    # what the callback measured is what evaluate gives for the same samples
    again = metrics.evaluate(metrics.generator_source(step, 0), X, pixel_extractor, ('fid',), 64,
                             batch_size=32)
    assert again['fid'] == pytest.approx(fids[-1], rel=1e-6)


def test_eval_command_on_a_checkpoint(tmp_path, capsys, monkeypatch):
    # the real default path (digit extractor, held-out digits) with a tiny classifier recipe
    monkeypatch.setenv('D2GAN_CACHE', str(tmp_path / 'cache'))
    monkeypatch.setattr(metrics.digit_classifier, 'DIGIT_CONFIG',
                        dict(metrics.DIGIT_CONFIG, **TINY))
    step = d2gan.build_gan('dcgan', image_size=16, channels=1, ngf=8, ndf=8)
    path = str(tmp_path / 'g.ckpt')
    d2gan.save_checkpoint(path, step, {})
    report = str(tmp_path / 'eval.json')
    assert main(['eval', '--checkpoint', path, '--metric', 'fid,kid,is', '--num', '200',
                 '--json', report]) == 0
    out = capsys.readouterr().out
    assert 'fid' in out and 'kid' in out and 'is' in out and '1000 real heldout digits' in out
    assert 'features of 200/200 generated images' in out          # eval shows progress
    expected = metrics.evaluate_checkpoint(path, ('fid',), 200, reference='heldout')
    assert f"{expected['fid']:.2f}" in out
    import json
    with open(report) as f:
        assert json.load(f)['fid'] == pytest.approx(expected['fid'], rel=1e-9)
    assert main(['eval', '--checkpoint', path, '--metric', 'fid,lpips']) == 2
    assert 'lpips' in capsys.readouterr().err
    assert main(['eval', '--checkpoint', str(tmp_path / 'none.ckpt')]) == 2
    assert main(['eval', '--checkpoint', path, '--extractor', 'inception',
                 '--inception-weights', str(tmp_path / 'w.params')]) == 2
    assert 'w.params' in capsys.readouterr().err
