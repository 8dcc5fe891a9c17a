"""Perceptual path length: exact on a linear generator, blind to the per-layer noise (the same
noise in both images of a pair), trimmed as the references trim."""
import numpy as np
import pytest

import d2gan  # noqa: F401
from mxnet import nd

from d2gan.metrics.path_length import path_lengths, perceptual_path_length, slerp


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


class SphereG(LinearG):
    """``map`` puts z on the sphere of radius 4 (as a mapping network normalises z first)."""

    def map(self, z):
        z = 4 * z / nd.norm(z, axis=1, keepdims=True)
        return nd.stack(z, z, z, axis=1)


def test_slerp_keeps_unit_length_and_walks_the_angle_at_constant_speed():
    rng = np.random.default_rng(2)
    a, b = (nd.array(rng.standard_normal((5, 16)).astype('float32')) for _ in range(2))
    ua, ub = (v.asnumpy() / np.linalg.norm(v.asnumpy(), axis=1, keepdims=True) for v in (a, b))
    angle = np.arccos((ua * ub).sum(axis=1))
    np.testing.assert_allclose(slerp(a, b, nd.zeros((5, 1))).asnumpy(), ua, atol=1e-5)
    np.testing.assert_allclose(slerp(a, b, nd.ones((5, 1))).asnumpy(), ub, atol=1e-5)
    mid = slerp(a, b, nd.full((5, 1), 0.25)).asnumpy()
    np.testing.assert_allclose(np.linalg.norm(mid, axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(np.arccos(np.clip((mid * ua).sum(axis=1), -1, 1)), 0.25 * angle,
                               rtol=1e-3)


def test_in_z_the_length_is_the_angle_on_the_sphere_times_the_gain():
    """A step of eps along the great circle moves the image by scale * radius * angle * eps."""
    values = path_lengths(SphereG(0.5), flatten, num=20, epsilon=1e-3, seed=5, batch_size=20,
                          space='z')
    z = np.random.default_rng(5).standard_normal((40, 16))
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    angle = np.arccos((u[:20] * u[20:]).sum(axis=1))
    np.testing.assert_allclose(values, (0.5 * 4 * angle) ** 2, rtol=2e-2)
    in_w = path_lengths(SphereG(0.5), flatten, num=20, epsilon=1e-3, seed=5, batch_size=20)
    assert not np.allclose(in_w, values, rtol=2e-2)    # the chord in W, not the arc


def test_an_unknown_space_is_named():
    with pytest.raises(ValueError, match="space must be 'w' or 'z'"):
        path_lengths(LinearG(1.0), flatten, num=4, space='x')
