"""Low-dimensional toy distributions with known densities, for seeing what a GAN learns.

A GAN on images can only be judged by eye or by a learned metric; on these distributions the
target is known exactly, so a chapter can plot real against generated samples, compare a trained
discriminator with the optimal one (which needs the density) and count covered modes.
"""
import math

import numpy as np


def ring_centers(num_modes=8, radius=2.0):
    """Centres ``(num_modes, 2)`` of equally spaced modes on a circle, the first at angle 0."""
    if num_modes < 1:
        raise ValueError(f'num_modes must be at least 1, got {num_modes}')
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring_of_gaussians(num, num_modes=8, radius=2.0, std=0.05, seed=0):
    """``num`` float32 points ``(num, 2)`` from an equal mixture of Gaussians on a ring.

    The classic test of mode collapse (Metz et al., 2017): every mode has the same weight and the
    isotropic standard deviation ``std``; the modes are :func:`ring_centers`.
    """
    rng = np.random.default_rng(seed)
    modes = rng.integers(num_modes, size=num)
    points = ring_centers(num_modes, radius)[modes] + std * rng.standard_normal((num, 2))
    return points.astype('float32')


def _mixture_params(means, stds, weights):
    means = np.asarray(means, dtype='float64')
    stds = np.broadcast_to(np.asarray(stds, dtype='float64'), means.shape)
    if weights is None:
        weights = np.full(means.shape, 1.0 / means.size)
    weights = np.asarray(weights, dtype='float64')
    if weights.shape != means.shape or np.any(weights < 0) or not np.isclose(weights.sum(), 1):
        raise ValueError(f'weights must be {means.size} non-negative numbers summing to 1, '
                         f'got {weights.tolist()}')
    if np.any(stds <= 0):
        raise ValueError(f'stds must be positive, got {stds.tolist()}')
    return means, stds, weights


def mixture_1d(num, means=(-2.0, 2.0), stds=0.5, weights=None, seed=0):
    """``num`` float32 samples ``(num, 1)`` of a 1-D Gaussian mixture (equal weights by default)."""
    means, stds, weights = _mixture_params(means, stds, weights)
    rng = np.random.default_rng(seed)
    modes = rng.choice(means.size, size=num, p=weights)
    x = means[modes] + stds[modes] * rng.standard_normal(num)
    return x.astype('float32')[:, None]


def mixture_1d_pdf(x, means=(-2.0, 2.0), stds=0.5, weights=None):
    """Density of :func:`mixture_1d` at the points ``x`` (any shape), in float64."""
    means, stds, weights = _mixture_params(means, stds, weights)
    x = np.asarray(x, dtype='float64')[..., None]
    z = (x - means) / stds
    return (weights * np.exp(-0.5 * z ** 2) / (stds * math.sqrt(2 * math.pi))).sum(axis=-1)


def mode_coverage(samples, centers, std, num_std=3.0, min_fraction=0.01):
    """How well ``samples`` cover the modes at ``centers`` (the ring metric of Srivastava et al.).

    A sample is *high quality* if it lies within ``num_std * std`` of its nearest centre; a mode is
    *covered* if at least ``min_fraction`` of all samples are high-quality samples of it.

    Returns
    -------
    dict with ``modes`` (number of covered modes), ``high_quality`` (fraction of high-quality
    samples) and ``counts`` (high-quality samples per mode, an int array).
    """
    samples = np.asarray(samples, dtype='float64')
    centers = np.asarray(centers, dtype='float64')
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f'samples {samples.shape} and centers {centers.shape} must be '
                         '(N, d) and (K, d) arrays of the same dimension d')
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] <= num_std * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    return {'modes': int((counts >= min_fraction * len(samples)).sum()),
            'high_quality': float(good.mean()) if len(samples) else 0.0,
            'counts': counts}


__all__ = ['ring_centers', 'ring_of_gaussians', 'mixture_1d', 'mixture_1d_pdf', 'mode_coverage']
