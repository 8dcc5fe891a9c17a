"""An offline feature extractor: a small CNN trained here on the 5,000 real MNIST digits.

The Inception network of FID needs ImageNet weights that cannot be downloaded on an offline
machine; for digits a classifier trained on digits is the better judge anyway (the "digit FID"
of MNIST GAN papers). The digits (:func:`d2gan.data.load_mnist_digits`) are split once, by a
fixed seed, into 4,000 training and 1,000 held-out images (100 per class); the classifier
trains on the first part only, so the held-out part measures its accuracy honestly and serves
as the *real* reference that generated digits are compared with.

Training is short (a few epochs, ~10-30 s on 2 CPU cores), from a fixed seed, and the weights
are cached in ``$D2GAN_CACHE`` (default ``~/.cache/d2gan``) under a name holding the hash of
the configuration and of the data, so a changed recipe never reuses stale weights. Re-training
with the same thread count gives the same weights; another thread count may change the last
bits (oneDNN's reductions), not the accuracy.
"""
import hashlib
import json
import os
import tempfile
import time
import warnings

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn

from ..data.mnist import digit_split_index, load_mnist_digits
from .features import FeatureExtractor

#: The recipe; its hash names the cache file. Change ``version`` when the code changes.
DIGIT_CONFIG = dict(version=2, image_size=32, widths=(32, 64, 128), feature_dim=64,
                    epochs=4, batch_size=64, lr=2e-3, max_shift=2, heldout_per_class=100,
                    split_seed=0, seed=0, train_limit=None)


class DigitClassifier(gluon.HybridBlock):
    """Three stride-2 conv-BN-ReLU stages (32 -> 4 pixels), a ``feature_dim`` linear layer,
    ReLU, 10 logits. (Stride-2 convolutions train ~3x faster than conv + max-pool on CPU here.)

    ``forward(x) -> (features, logits)``; the features are the penultimate layer *before* its
    ReLU, so no dimension is constantly zero and their covariance stays full rank.
    """

    def __init__(self, widths=(32, 64, 128), feature_dim=64, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            for width in widths:
                self.body.add(nn.Conv2D(width, 4, strides=2, padding=1, use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'))
            self.body.add(nn.Flatten(), nn.Dense(feature_dim))
            self.head = nn.HybridSequential()
            self.head.add(nn.Activation('relu'), nn.Dense(num_classes))

    def hybrid_forward(self, F, x):
        features = self.body(x)
        return features, self.head(features)


def digit_split(image_size=32, heldout_per_class=100, seed=0):
    """The fixed split of the 5,000 real digits: ``(X_train, y_train), (X_heldout, y_heldout)``.

    ``heldout_per_class`` images of each class, chosen with ``seed``, are held out (1,000 by
    default); the rest (4,000) are for training. Both parts are shuffled (with ``seed``): the
    dataset is sorted by class, and a class-sorted set would fool metrics computed on
    consecutive chunks (the Inception Score's splits).
    """
    X, y = load_mnist_digits(image_size)
    train, heldout = digit_split_index(y, heldout_per_class, seed)
    return (X[train], y[train]), (X[heldout], y[heldout])


def _shifted(X, max_shift, rng):
    """Each image moved by a random offset of up to ``max_shift`` pixels (background fill)."""
    if not max_shift:
        return X
    n, c, h, w = X.shape
    padded = np.pad(X, ((0, 0), (0, 0), (max_shift,) * 2, (max_shift,) * 2),
                    constant_values=-1.0)
    offsets = rng.integers(0, 2 * max_shift + 1, size=(n, 2))
    return np.stack([padded[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(offsets)])


def evaluate_accuracy(net, X, y, device=None, batch_size=500):
    """Fraction of ``X`` that ``net`` classifies as ``y``."""
    device = device or mx.cpu()
    correct = 0
    for start in range(0, len(X), batch_size):
        x = mx.nd.array(X[start:start + batch_size], ctx=device)
        with autograd.predict_mode():
            logits = net(x)[1]
        correct += int((logits.argmax(axis=1).asnumpy() == y[start:start + batch_size]).sum())
    return correct / len(X)


def train_digit_classifier(config=None, device=None, verbose=True):
    """Train a :class:`DigitClassifier` from ``config`` (default :data:`DIGIT_CONFIG`).

    ``config['train_limit']`` trains on the first that many training images only (for fast
    tests). Returns ``(net, info)``; ``info`` holds the config, held-out and training accuracy
    and seconds.
    """
    config = dict(DIGIT_CONFIG, **(config or {}))
    device = device or mx.cpu()
    (X, y), (X_held, y_held) = digit_split(config['image_size'], config['heldout_per_class'],
                                           config['split_seed'])
    if config['train_limit']:  # every k-th image, so all classes stay in
        keep = np.arange(0, len(X), max(len(X) // config['train_limit'], 1))[:config['train_limit']]
        X, y = X[keep], y[keep]
    rng = np.random.default_rng(config['seed'])
    mx.random.seed(config['seed'])
    net = DigitClassifier(config['widths'], config['feature_dim'])
    net.initialize(mx.init.Xavier(magnitude=2.0), ctx=device)
    net.hybridize(static_alloc=True)
    steps = config['epochs'] * (len(X) // config['batch_size'])
    schedule = mx.lr_scheduler.CosineScheduler(max(steps, 1), base_lr=config['lr'],
                                               final_lr=config['lr'] / 50)
    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': config['lr'], 'lr_scheduler': schedule})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    timer = time.time()
    for epoch in range(config['epochs']):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X) - config['batch_size'] + 1, config['batch_size']):
            index = np.sort(order[start:start + config['batch_size']])
            x = mx.nd.array(_shifted(X[index], config['max_shift'], rng), ctx=device)
            label = mx.nd.array(y[index], ctx=device)
            with autograd.record():
                loss = loss_fn(net(x)[1], label)
            loss.backward()
            trainer.step(len(index))
            total += float(loss.sum().asscalar())
        if verbose:
            print(f'digit classifier epoch {epoch + 1}/{config["epochs"]}: '
                  f'loss {total / len(X):.4f}', flush=True)
    seconds = time.time() - timer
    mean, scale = feature_normalisation(net, X, device)
    info = dict(config=config, seconds=round(seconds, 1), train_images=len(X),
                feature_mean=mean.tolist(), feature_scale=scale,
                heldout_accuracy=evaluate_accuracy(net, X_held, y_held, device),
                train_accuracy=evaluate_accuracy(net, X, y, device))
    if verbose:
        print(f'digit classifier: held-out accuracy {info["heldout_accuracy"]:.4f} '
              f'({len(X_held)} images), {seconds:.1f} s', flush=True)
    return net, info


def feature_normalisation(net, X, device=None, batch_size=500):
    """Mean vector and one scale that make the features of ``X`` zero-mean with unit average
    variance per dimension.

    The raw scale of a network's features is arbitrary; after this shift and *single* scale
    (which preserve the ranking of FIDs) the features of real digits have ``|x|^2 / d`` about 1,
    like Inception's pool3 features, which is the range KID's kernel ``(x . y / d + 1)^3`` is
    made for.
    """
    device = device or mx.cpu()
    feats = []
    for start in range(0, len(X), batch_size):
        with autograd.predict_mode():
            feats.append(net(mx.nd.array(X[start:start + batch_size], ctx=device))[0].asnumpy())
    feats = np.concatenate(feats).astype(np.float64)
    mean = feats.mean(axis=0)
    return mean, float(np.sqrt(feats.var(axis=0).mean()))


def cache_dir(root=None):
    """``root``, else ``$D2GAN_CACHE``, else ``~/.cache/d2gan``."""
    root = root or os.environ.get('D2GAN_CACHE') or os.path.join('~', '.cache', 'd2gan')
    return os.path.abspath(os.path.expanduser(root))


def config_hash(config):
    """12 hex digits identifying ``config`` and the digits it trains on."""
    X, y = load_mnist_digits(config['image_size'])
    digest = hashlib.sha1(json.dumps(config, sort_keys=True).encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()[:12]


def load_digit_classifier(config=None, root=None, device=None, verbose=True):
    """The digit classifier of ``config``: from the cache if trained before, else trained now.

    Returns ``(net, info)`` as :func:`train_digit_classifier` does (``info['path']`` is the
    cached weight file, or None when the cache folder cannot be written).
    """
    config = dict(DIGIT_CONFIG, **(config or {}))
    config['widths'] = list(config['widths'])
    device = device or mx.cpu()
    folder = cache_dir(root)
    stem = os.path.join(folder, f'digit_classifier-{config_hash(config)}')
    if os.path.isfile(stem + '.params') and os.path.isfile(stem + '.json'):
        net = DigitClassifier(config['widths'], config['feature_dim'])
        net.load_parameters(stem + '.params', ctx=device)
        net.hybridize(static_alloc=True)
        with open(stem + '.json') as f:
            info = json.load(f)
        info['path'] = stem + '.params'
        return net, info
    if verbose:
        print(f'training the digit classifier once (cached in {folder})', flush=True)
    net, info = train_digit_classifier(config, device, verbose)
    try:
        os.makedirs(folder, exist_ok=True)
        _atomic_write(stem + '.params', net.save_parameters, folder)
        _atomic_write(stem + '.json', lambda p: _write_json(p, info), folder)
        info['path'] = stem + '.params'
    except OSError as e:
        warnings.warn(f'could not cache the digit classifier in {folder} ({e}); it will be '
                      'trained again next time. Set D2GAN_CACHE to a writable folder.')
        info['path'] = None
    return net, info


def _write_json(path, info):
    with open(path, 'w') as f:
        json.dump(info, f, indent=1)


def _atomic_write(path, writer, folder):
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=folder)
    os.close(fd)
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class DigitFeatures(FeatureExtractor):
    """Digit-classifier features (64-d, penultimate layer) and 10-class softmax.

    Images are NCHW in ``[-1, 1]``; 3-channel images are averaged to grey and other sizes are
    resized (bilinear) to the classifier's 32x32. The features are shifted and scaled once
    (:func:`feature_normalisation`) so that real training digits have zero mean and unit
    average variance. ``info`` holds the classifier's held-out accuracy.
    """

    name = 'digits'
    num_classes = 10

    def __init__(self, device=None, config=None, root=None, verbose=True, net=None, info=None):
        super().__init__(device)
        if net is None:
            net, info = load_digit_classifier(config, root, self.device, verbose)
        self.net, self.info = net, info or {}
        self.image_size = self.info.get('config', DIGIT_CONFIG)['image_size']
        self.feature_dim = self.info.get('config', DIGIT_CONFIG)['feature_dim']
        self.feature_mean = mx.nd.array(self.info.get('feature_mean', np.zeros(self.feature_dim)),
                                        ctx=self.device).reshape((1, -1))
        self.feature_scale = float(self.info.get('feature_scale', 1.0))

    def prepare(self, images):
        x = super().prepare(images)
        if x.shape[1] == 3:
            x = x.mean(axis=1, keepdims=True)
        elif x.shape[1] != 1:
            raise ValueError(f'the digit extractor takes 1- or 3-channel images, got '
                             f'{x.shape[1]}')
        if x.shape[2:] != (self.image_size, self.image_size):
            x = mx.nd.contrib.BilinearResize2D(x, height=self.image_size, width=self.image_size,
                                               align_corners=False)
        return x

    def network(self, x):
        features, logits = self.net(x)
        features = mx.nd.broadcast_sub(features, self.feature_mean) / self.feature_scale
        return features, mx.nd.softmax(logits)

    @property
    def heldout_accuracy(self):
        return self.info.get('heldout_accuracy')
