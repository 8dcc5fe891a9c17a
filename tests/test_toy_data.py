"""The toy distributions of chapter 1: shapes, reproducibility, densities, the mode metric."""
import numpy as np
import pytest

from d2gan.data import toy


def test_ring_centers_are_on_the_circle_and_equally_spaced():
    centers = toy.ring_centers(8, radius=2.0)
    assert centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    np.testing.assert_allclose(centers[0], [2.0, 0.0], atol=1e-12)
    gaps = np.linalg.norm(np.diff(np.vstack([centers, centers[:1]]), axis=0), axis=1)
    np.testing.assert_allclose(gaps, gaps[0])
    with pytest.raises(ValueError, match='num_modes'):
        toy.ring_centers(0)


def test_ring_of_gaussians_is_reproducible_and_has_the_asked_spread():
    x = toy.ring_of_gaussians(8000, std=0.05, seed=3)
    assert x.shape == (8000, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x, toy.ring_of_gaussians(8000, std=0.05, seed=3))
    assert not np.array_equal(x, toy.ring_of_gaussians(8000, std=0.05, seed=4))
    centers = toy.ring_centers()
    nearest = np.linalg.norm(x[:, None] - centers[None], axis=2).argmin(axis=1)
    offsets = x - centers[nearest]
    assert abs(offsets.std() - 0.05) < 0.005
    counts = np.bincount(nearest, minlength=8)
    assert counts.min() > 800 and counts.max() < 1200  # equal weights: 1000 each


def test_mixture_1d_moments_match_its_parameters():
    x = toy.mixture_1d(20000, means=(-2.0, 2.0), stds=0.5, weights=(0.25, 0.75), seed=0)
    assert x.shape == (20000, 1) and x.dtype == np.float32
    assert abs(x.mean() - 1.0) < 0.05                  # 0.25 * -2 + 0.75 * 2
    assert abs((x < 0).mean() - 0.25) < 0.01
    with pytest.raises(ValueError, match='weights'):
        toy.mixture_1d(10, weights=(0.5, 0.6))
    with pytest.raises(ValueError, match='stds'):
        toy.mixture_1d(10, stds=0.0)


def test_mixture_1d_pdf_integrates_to_one_and_matches_one_gaussian():
    xs = np.linspace(-10, 10, 20001)
    p = toy.mixture_1d_pdf(xs, means=(-2.0, 1.0), stds=(0.5, 1.5), weights=(0.3, 0.7))
    assert abs(np.trapz(p, xs) - 1) < 1e-6
    single = toy.mixture_1d_pdf(np.array([0.0, 1.0]), means=(0.0,), stds=1.0)
    np.testing.assert_allclose(single, [1 / np.sqrt(2 * np.pi), np.exp(-0.5) / np.sqrt(2 * np.pi)])


def test_mode_coverage_counts_modes_and_good_samples():
    centers = toy.ring_centers(8)
    real = toy.ring_of_gaussians(4000, std=0.05, seed=0)
    stats = toy.mode_coverage(real, centers, std=0.05)
    assert stats['modes'] == 8 and stats['high_quality'] > 0.98
    collapsed = np.repeat(centers[:2], 500, axis=0) + 0.01  # all mass on two modes
    stats = toy.mode_coverage(collapsed, centers, std=0.05)
    assert stats['modes'] == 2 and stats['high_quality'] == 1.0
    assert stats['counts'].tolist() == [500, 500, 0, 0, 0, 0, 0, 0]
    off_ring = np.zeros((100, 2))  # the centre of the ring is far from every mode
    assert toy.mode_coverage(off_ring, centers, std=0.05) == {
        'modes': 0, 'high_quality': 0.0, 'counts': pytest.approx(np.zeros(8))}
    with pytest.raises(ValueError, match='same dimension'):
        toy.mode_coverage(np.zeros((5, 3)), centers, std=0.05)
