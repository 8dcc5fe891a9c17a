"""SPADE's losses (multi-scale hinge, feature matching, VGG), its step, recipe and command line."""
import os

import numpy as np
import mxnet as mx
import pytest
from mxnet import autograd, nd

import d2gan
from d2gan.cli import main
from d2gan.losses import feature_matching_loss, get_loss, multiscale_d_loss, multiscale_g_loss
from d2gan.losses_perceptual import LAYER_WEIGHTS, VGGLoss, VGGWeightsNotFoundError


def _scales(rng, n=2):
    """Two scales of (feature, feature, logits) for ``n`` examples."""
    return [[nd.array(rng.normal(size=(n,) + s)) for s in ((3, 4, 4), (2, 2, 2), (1, 2, 2))]
            for _ in range(2)]


def test_multiscale_hinge_and_feature_matching_by_hand():
    rng = np.random.default_rng(0)
    real, fake = _scales(rng), _scales(rng)
    hinge = get_loss('hinge')
    d = multiscale_d_loss(hinge, real, fake).asnumpy()
    g = multiscale_g_loss(hinge, fake).asnumpy()
    fm = feature_matching_loss(fake, real).asnumpy()
    for i in range(2):
        r = [s[-1].asnumpy()[i] for s in real]
        f = [s[-1].asnumpy()[i] for s in fake]
        expect_d = np.mean([np.maximum(0, 1 - a).mean() + np.maximum(0, 1 + b).mean()
                            for a, b in zip(r, f)])
        expect_g = np.mean([-b.mean() for b in f])
        expect_fm = sum(np.abs(fs[j].asnumpy()[i] - rs[j].asnumpy()[i]).mean()
                        for fs, rs in zip(fake, real) for j in range(2)) / 2   # / num_D
        np.testing.assert_allclose([d[i], g[i], fm[i]], [expect_d, expect_g, expect_fm],
                                   rtol=1e-5)
    # the real features are constants: no gradient reaches them
    for t in [t for s in real + fake for t in s]:
        t.attach_grad()
    with autograd.record():
        loss = feature_matching_loss(fake, real).sum()
    loss.backward()
    assert all(float(t.grad.abs().sum().asscalar()) == 0 for s in real for t in s)
    assert all(float(t.grad.abs().sum().asscalar()) > 0 for s in fake for t in s[:-1])


def test_vgg_loss_weights_layers_and_needs_its_weight_file(tmp_path, monkeypatch):
    vgg = VGGLoss(random_weights=True)
    x = nd.random.uniform(-1, 1, shape=(2, 3, 32, 32))
    y = nd.random.uniform(-1, 1, shape=(2, 3, 32, 32))
    feats = [vgg.net(x), vgg.net(y)]
    assert [f.shape[1] for f in feats[0]] == [64, 128, 256, 512, 512]   # relu1_1 ... relu5_1
    expected = sum(w * np.abs(a.asnumpy() - b.asnumpy()).reshape(2, -1).mean(1)
                   for w, a, b in zip(LAYER_WEIGHTS, *feats))
    np.testing.assert_allclose(vgg(x, y).asnumpy(), expected, rtol=1e-4)
    assert float(vgg(x, x).abs().max().asscalar()) == 0

    missing = str(tmp_path / 'none.params')
    monkeypatch.setenv('D2GAN_VGG19_WEIGHTS', missing)
    with pytest.raises(VGGWeightsNotFoundError, match='none.params.*lambda_vgg=0'):
        VGGLoss()
    # the recipe: the VGG term is on by default only when the weights are there...
    step = d2gan.build_gan('spade', num_classes=3, ngf=2, ndf=2, hidden=4, hybridize=False)
    assert step.vgg is None and step.lambda_vgg == 0
    # ...and asking for it without them is an error that says so
    with pytest.raises(VGGWeightsNotFoundError):
        d2gan.build_gan('spade', num_classes=3, ngf=2, ndf=2, hidden=4, lambda_vgg=10.0)
    bad = tmp_path / 'bad.params'
    bad.write_bytes(b'not a parameter file')
    with pytest.raises(ValueError, match='VGG-19 weights'):
        VGGLoss(str(bad))


def _tiny_batches(n=4, size=32, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(rng.integers(0, classes, (n, size // 8, size // 8)), 8, 1).repeat(8, 2)
    maps = d2gan.data.cityscapes.semantic_input(labels, classes, labels)
    palette = np.array([[-1, -1, 1], [1, -1, -1], [-1, 1, -1]], np.float32)
    images = palette[labels].transpose(0, 3, 1, 2) * 0.8
    return maps, images


def test_step_trains_with_vgg_and_resumes_exactly(tmp_path):
    maps, images = _tiny_batches()
    mx.random.seed(0)
    step = d2gan.build_gan('spade', num_classes=3, ngf=2, ndf=4, hidden=8, image_size=32)
    step.vgg, step.lambda_vgg = VGGLoss(random_weights=True), 10.0
    data = d2gan.ArrayBatches((maps, images), 2)
    logs = step.train_step(next(data.batches(0)))
    assert set(logs) == {'loss_D', 'loss_G_GAN', 'FM', 'VGG', 'L1'}
    assert all(np.isfinite(float(v.asscalar())) for v in logs.values())

    def build():
        mx.random.seed(0)
        return d2gan.build_gan('spade', num_classes=3, ngf=2, ndf=4, hidden=8, image_size=32)
    ckpt = str(tmp_path / 'spade.ckpt')
    full = build()
    d2gan.train_gan(full, data, 2, seed=3)
    part = build()
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=3)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    for name in ('G', 'D'):
        a = full.networks[name].collect_params()
        b = resumed.networks[name].collect_params()
        for (ka, pa), pb in zip(sorted(a.items()), [v for _, v in sorted(b.items())]):
            np.testing.assert_allclose(pa.data().asnumpy(), pb.data().asnumpy(), rtol=1e-4,
                                       atol=1e-6, err_msg=ka)

    step.set_sample_data(maps, images)
    grid = step.sample(6)
    assert grid.shape == (6, 3, 32, 32) and step.sample_nrow(6) == 2
    metrics = step.evaluate(maps, images)
    assert set(metrics) == {'L1', 'PSNR', 'sharpness'}
    with pytest.raises(ValueError, match='not aligned'):
        step.train_step((maps[:2], images[:1]))


def test_cli_trains_and_infers_from_label_maps(tmp_path, capsys):
    root = d2gan.data.facades_synth.make_synthetic_facades(
        tmp_path / 'facades', {'train': 4, 'val': 2, 'test': 2}, size=64)
    lists = d2gan.data.facades_synth.write_semantic_lists(root)
    out = str(tmp_path / 'run')
    args = ['train', '--model', 'spade', '--dataset', 'list', '--dataroot', lists['train'],
            '--image-size', '32', '--ngf', '2', '--ndf', '4', '--batch-size', '2',
            '--epochs', '1', '--out', out]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert '4 maps, 7 classes' in printed and 'without the VGG loss (no VGG-19 weights' in printed
    assert os.path.exists(os.path.join(out, 'samples', 'epoch_001.png'))
    ckpt = os.path.join(out, 'checkpoint.ckpt')
    assert main(['infer', '--checkpoint', ckpt, '--input', lists['val'],
                 '--out', str(tmp_path / 'val')]) == 0
    assert 'vs ground truth: L1' in capsys.readouterr().out
    assert main(['infer', '--checkpoint', ckpt, '--input', os.path.join(root, 'labels', 'test'),
                 '--out', str(tmp_path / 'test')]) == 0
    assert sorted(os.listdir(tmp_path / 'test')) == ['0000.png', '0001.png']
    assert main(args) == 2                      # never overwrites a run
    assert 'pass --resume' in capsys.readouterr().err
