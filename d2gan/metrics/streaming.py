"""Features accumulated batch by batch, so no metric needs all images in memory at once.

* FID needs only the mean and covariance: :class:`RunningGaussian` merges each batch's mean and
  scatter matrix into running ones (Chan et al.'s parallel update, in float64), so memory is
  ``O(d^2)`` whatever the number of images.
* KID needs the features themselves (it draws random subsets of them), and IS needs the class
  probabilities (it cuts them into splits), so :class:`FeatureStats` keeps those -- ``N x d``
  and ``N x k`` numbers, never the images. pytorch-fid, torch-fidelity and torchmetrics keep
  the features for FID too; torchmetrics' FID keeps running sums as we do.

Image sources (see :func:`image_batches`): a generator callable ``fn(n) -> images``, an
iterable of batches (arrays, or ``(images, labels)`` tuples), or an array that is cut into
batches. Images are NCHW in ``[-1, 1]`` (NDArray or numpy).
"""
import numpy as np

from .frechet import frechet_distance
from .inception_score import inception_score
from .kid import kernel_inception_distance


class RunningGaussian:
    """Streaming mean and covariance of feature vectors (float64, exact up to round-off)."""

    def __init__(self, dim=None):
        self.n, self.dim = 0, dim
        self._mean = None if dim is None else np.zeros(dim)
        self._scatter = None if dim is None else np.zeros((dim, dim))

    def update(self, features):
        x = np.asarray(features, np.float64)
        if x.ndim != 2:
            raise ValueError(f'expected (N, d) features, got shape {x.shape}')
        if self._mean is None:
            self.dim = x.shape[1]
            self._mean, self._scatter = np.zeros(self.dim), np.zeros((self.dim, self.dim))
        if x.shape[1] != self.dim:
            raise ValueError(f'feature dimension changed from {self.dim} to {x.shape[1]}')
        m = len(x)
        if m == 0:
            return self
        batch_mean = x.mean(axis=0)
        centred = x - batch_mean
        delta = batch_mean - self._mean
        total = self.n + m
        self._scatter += centred.T.dot(centred) + np.outer(delta, delta) * (self.n * m / total)
        self._mean += delta * (m / total)
        self.n = total
        return self

    @property
    def mean(self):
        return self._mean.copy()

    @property
    def cov(self):
        """Unbiased (``N - 1``) covariance, as ``np.cov`` gives."""
        if self.n < 2:
            raise ValueError(f'a covariance needs at least 2 feature vectors, have {self.n}')
        return self._scatter / (self.n - 1)


class FeatureStats:
    """What the metrics need from one set of images, filled batch by batch.

    Parameters
    ----------
    keep_features : bool
        Store the ``(N, d)`` features (needed for KID).
    keep_probs : bool
        Store the ``(N, k)`` class probabilities (needed for IS).
    """

    def __init__(self, keep_features=True, keep_probs=True):
        self.gaussian = RunningGaussian()
        self.keep_features, self.keep_probs = keep_features, keep_probs
        self._features, self._probs = [], []

    def update(self, features, probs=None):
        features = np.asarray(features, np.float32)
        self.gaussian.update(features)
        if self.keep_features:
            self._features.append(features)
        if self.keep_probs and probs is not None:
            self._probs.append(np.asarray(probs, np.float32))
        return self

    @property
    def n(self):
        return self.gaussian.n

    @property
    def mean(self):
        return self.gaussian.mean

    @property
    def cov(self):
        return self.gaussian.cov

    @property
    def features(self):
        if not self.keep_features:
            raise ValueError('these statistics were accumulated with keep_features=False; '
                             'KID needs the features')
        return np.concatenate(self._features) if self._features else np.zeros((0, 0), 'f4')

    @property
    def probs(self):
        if not self.keep_probs or not self._probs:
            raise ValueError('no class probabilities were accumulated (keep_probs=False or an '
                             'extractor without a classifier); IS needs them')
        return np.concatenate(self._probs)


def image_batches(source, num=None, batch_size=100):
    """Yield batches of images from ``source``, at most ``num`` images in all.

    ``source`` is one of

    * a callable ``fn(n) -> images`` (a generator; called until ``num`` images, ``num`` required),
    * an array (NDArray or numpy) ``(N, C, H, W)``, cut into batches,
    * any other iterable of batches; a tuple/list batch ``(images, labels, ...)`` yields its first
      entry (an :class:`~d2gan.data.ArrayBatches` iterates its epoch-0 order).
    """
    if batch_size <= 0:
        raise ValueError(f'batch_size must be positive, got {batch_size}')
    if callable(source) and not hasattr(source, 'shape'):
        if num is None:
            raise ValueError('a generator source needs num= (how many images to draw)')
        done = 0
        while done < num:
            images = source(min(batch_size, num - done))
            if len(images) == 0:
                raise ValueError('the generator source returned no images')
            images = images[:num - done]
            done += len(images)
            yield images
        return
    if hasattr(source, 'shape'):
        total = len(source) if num is None else min(num, len(source))
        for start in range(0, total, batch_size):
            yield source[start:min(start + batch_size, total)]
        return
    done = 0
    for batch in source:
        images = batch[0] if isinstance(batch, (tuple, list)) else batch
        if num is not None:
            images = images[:num - done]
        done += len(images)
        yield images
        if num is not None and done >= num:
            return


def accumulate(extractor, source, num=None, batch_size=100, keep_features=True,
               keep_probs=True, progress=None):
    """Run ``extractor`` over the images of ``source`` (see :func:`image_batches`).

    ``extractor(images) -> (features, probs)`` (numpy; ``probs`` may be None). Returns a
    :class:`FeatureStats`; only one batch of images is alive at a time. ``progress(n)``, if
    given, is called with the number of images done after every batch.
    """
    stats = FeatureStats(keep_features, keep_probs)
    for images in image_batches(source, num, batch_size):
        features, probs = extractor(images)
        stats.update(features, probs)
        if progress is not None:
            progress(stats.n)
    if num is not None and stats.n < num:
        raise ValueError(f'the source gave only {stats.n} images, {num} were asked for')
    return stats


def generator_source(step, seed=0):
    """A generator callable ``fn(n)`` for :func:`accumulate`: fresh samples of a GAN step.

    Call ``k`` draws its latents with seed ``(seed, k)``, so the same ``seed`` gives the same
    images every time (lower variance when a metric is tracked during training) and MXNet's
    global RNG is left alone.
    """
    calls = [0]

    def sample(n):
        calls[0] += 1
        return step.sample(n, seed=seed * 1_000_003 + calls[0])

    return sample


METRICS = ('fid', 'kid', 'is')


def compute_metrics(stats, reference=None, metrics=('fid', 'kid'), kid_subsets=100,
                    kid_subset_size=None, is_splits=10, seed=0):
    """Metrics of ``stats`` (a :class:`FeatureStats`) against ``reference`` (real images).

    Returns a flat dict: ``fid``, ``kid`` / ``kid_std``, ``is`` / ``is_std`` for the metrics
    asked for. FID and KID need ``reference``; IS looks at ``stats`` only.
    """
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f'unknown metric(s) {sorted(unknown)}; valid: {", ".join(METRICS)}')
    out = {}
    if ('fid' in metrics or 'kid' in metrics) and reference is None:
        raise ValueError('FID and KID compare with real images: pass reference=')
    if 'fid' in metrics:
        out['fid'] = frechet_distance(stats.mean, stats.cov, reference.mean, reference.cov)
    if 'kid' in metrics:
        out['kid'], out['kid_std'] = kernel_inception_distance(
            stats.features, reference.features, kid_subsets, kid_subset_size, seed)
    if 'is' in metrics:
        splits = min(is_splits, stats.n)
        out['is'], out['is_std'] = inception_score(stats.probs, splits)
    return out
