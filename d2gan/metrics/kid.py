"""Kernel Inception Distance: an unbiased estimate of the squared MMD between feature sets.

KID (Bińkowski et al., "Demystifying MMD GANs", 2018) compares two feature sets with the
cubic polynomial kernel ``k(x, y) = (x . y / d + 1)^3`` and the *unbiased* estimator of the
squared maximum mean discrepancy on two samples of equal size ``m``::

    MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m-1)) + sum_{i != j} k(y_i, y_j) / (m (m-1))
              - 2 sum_{i, j} k(x_i, y_j) / m^2

Unlike FID its expectation does not depend on the sample size, and it is 0 in expectation
when both sets come from the same distribution (so single estimates can be slightly
negative). As in the reference code (its ``polynomial_mmd_averages``; torch-fidelity's
``kid_features_to_metric``) the estimate is averaged over random subsets of ``subset_size``
features drawn without replacement from each set, and reported as mean and standard deviation.
"""
import numpy as np


def polynomial_kernel(X, Y, degree=3, gamma=None, coef0=1.0):
    """``(gamma * X @ Y.T + coef0) ** degree`` with ``gamma = 1 / d`` by default."""
    gamma = 1.0 / X.shape[1] if gamma is None else gamma
    return (X.dot(Y.T) * gamma + coef0) ** degree


def mmd2_unbiased(X, Y, degree=3, gamma=None, coef0=1.0):
    """Unbiased squared MMD between two ``(m, d)`` feature sets of the same size ``m``."""
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    m = X.shape[0]
    if Y.shape[0] != m or m < 2:
        raise ValueError(f'the unbiased MMD needs two sets of the same size >= 2, '
                         f'got {X.shape[0]} and {Y.shape[0]}')
    K_XX = polynomial_kernel(X, X, degree, gamma, coef0)
    K_YY = polynomial_kernel(Y, Y, degree, gamma, coef0)
    K_XY = polynomial_kernel(X, Y, degree, gamma, coef0)
    sum_XX = K_XX.sum() - np.trace(K_XX)   # i != j only: the diagonal is what biases it
    sum_YY = K_YY.sum() - np.trace(K_YY)
    return float((sum_XX + sum_YY) / (m * (m - 1)) - 2 * K_XY.sum() / (m * m))


def kernel_inception_distance(features1, features2, num_subsets=100, subset_size=None,
                              seed=0, degree=3, gamma=None, coef0=1.0):
    """KID between two ``(N, d)`` feature arrays: ``(mean, std)`` of subset MMD² estimates.

    Parameters
    ----------
    num_subsets : int
        How many random subset pairs to average (torch-fidelity: 100; the paper's code: 50).
    subset_size : int or None
        Features per subset (the references use 1000 with 50,000 images). ``None``: 1000, or
        half the smaller set when that holds fewer than 2,000, so that the subsets differ and
        the std means something. Larger than either set raises ``ValueError``.
    seed : int
        Seed of the subset choice, so the same features always give the same number.
    """
    X, Y = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f'need two (N, d) feature arrays with the same d, '
                         f'got {X.shape} and {Y.shape}')
    n = min(len(X), len(Y))
    if subset_size is None:
        subset_size = min(1000, max(n // 2, 2))
    if subset_size > n:
        raise ValueError(f'KID subset_size={subset_size} is larger than the smaller feature set '
                         f'({n}); use more samples or a smaller subset_size')
    rng = np.random.default_rng(seed)
    values = np.array([
        mmd2_unbiased(X[rng.choice(len(X), subset_size, replace=False)],
                      Y[rng.choice(len(Y), subset_size, replace=False)], degree, gamma, coef0)
        for _ in range(num_subsets)])
    return float(values.mean()), float(values.std())
