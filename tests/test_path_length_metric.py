"""Perceptual path length: exact on a linear generator, blind to the per-layer noise (the same
noise in both images of a pair), trimmed as the references trim."""
import numpy as np
import pytest

import d2gan  # noqa: F401
from mxnet import nd

from d2gan.metrics.path_length import path_lengths, perceptual_path_length


class LinearG:
    """``map`` copies z into 3 style inputs; ``synthesis`` is ``scale * w`` (+ noise) as an image."""
    z_dim = 16

    def __init__(self, scale, noise=0.0):
        self.scale, self.noise = scale, noise

    def map(self, z):
        return nd.stack(z, z, z, axis=1)

    def synthesis(self, ws):
        image = self.scale * ws[:, 0].reshape((-1, 1, 4, 4))
        return image + self.noise * nd.random.normal(shape=image.shape)


def flatten(images):
    x = images.asnumpy().reshape((images.shape[0], -1))
    return x, None


def expected(scale, num, seed):
    z = np.random.default_rng(seed).standard_normal((2 * num, 16)).astype('float32')
    return scale ** 2 * np.square(z[:num] - z[num:]).sum(axis=1)


def test_a_linear_generator_gives_its_squared_gain_times_the_latent_distance():
    values = path_lengths(LinearG(0.5), flatten, num=20, epsilon=1e-2, seed=5, batch_size=20)
    np.testing.assert_allclose(values, expected(0.5, 20, 5), rtol=1e-3)


def test_the_same_noise_in_both_images_of_a_pair():
    quiet = path_lengths(LinearG(0.5), flatten, num=20, epsilon=1e-2, seed=5, batch_size=20)
    noisy = path_lengths(LinearG(0.5, noise=1.0), flatten, num=20, epsilon=1e-2, seed=5,
                         batch_size=20)
    np.testing.assert_allclose(noisy, quiet, rtol=1e-2)


def test_the_mean_drops_the_extreme_percentiles():
    values = expected(0.5, 200, 1)
    lo, hi = np.percentile(values, 1, method='lower'), np.percentile(values, 99, method='higher')
    trimmed = values[(values >= lo) & (values <= hi)].mean()
    got = perceptual_path_length(LinearG(0.5), flatten, num=200, epsilon=1e-2, seed=1,
                                 batch_size=200)
    assert got == pytest.approx(trimmed, rel=1e-3) and got != pytest.approx(values.mean(),
                                                                             rel=1e-4)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='epsilon'):
        path_lengths(LinearG(1.0), flatten, num=4, epsilon=0)
