"""Fréchet distance between two Gaussians: the "F" of FID.

FID (Heusel et al., 2017) fits a Gaussian ``N(mu, Sigma)`` to the features of real and of
generated images and reports the squared 2-Wasserstein (Fréchet) distance between them::

    d^2 = ||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^{1/2})

The matrix square root follows the reference implementations (pytorch-fid's
``calculate_frechet_distance``, torch-fidelity's ``fid_statistics_to_metric``): take
``scipy.linalg.sqrtm`` of the product; if that is not finite (the product is singular, e.g. with
fewer samples than feature dimensions) retry with ``eps * I`` added to both covariances; drop
the imaginary part that round-off leaves, but refuse a large one, which means the covariances
are not valid (not symmetric positive semi-definite).
"""
import warnings

import numpy as np
from scipy import linalg

#: relative error ``||S @ S - A|| / ||A||`` of ``S = sqrtm(A)`` above which the product counts
#: as near-singular and the ``eps * I`` offset is applied (well-conditioned products give ~1e-13).
SQRTM_TOLERANCE = 1e-5


def gaussian_stats(features):
    """Mean and (unbiased, ``N - 1``) covariance of ``(N, d)`` features, in float64."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f'need at least 2 feature vectors of shape (N, d), got {x.shape}')
    return x.mean(axis=0), np.cov(x, rowvar=False)


def sqrtm_product(sigma1, sigma2, eps=1e-6):
    """``(sigma1 @ sigma2)^{1/2}`` with the references' handling of near-singular products.

    Returns the real square root. Raises ``ValueError`` when the result has an imaginary part
    larger than round-off (``|Im diag| > 1e-3``, the references' threshold).
    """
    product = sigma1.dot(sigma2)
    covmean = _sqrtm(product)
    if not _good_root(covmean, product):
        warnings.warn(f'Fréchet distance: the covariance product is (near-)singular; adding '
                      f'{eps:g} * I to both covariances (pytorch-fid does the same). More samples '
                      'than feature dimensions avoid this.', RuntimeWarning, stacklevel=3)
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = _sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError('Fréchet distance: the matrix square root has a large imaginary '
                             f'component ({np.max(np.abs(covmean.imag)):.3g}); the covariances '
                             'are not symmetric positive semi-definite')
        covmean = covmean.real
    return covmean


def _sqrtm(matrix):
    # disp=True would print on failure; _good_root checks the result instead. (np.errstate,
    # not warnings.catch_warnings, which would reset Python's once-per-location warning registry)
    with np.errstate(all='ignore'):
        return linalg.sqrtm(matrix, disp=False)[0]


def _good_root(root, matrix):
    if not np.isfinite(root).all():
        return False
    scale = np.linalg.norm(matrix)
    if scale == 0:
        return True
    return np.linalg.norm(root.dot(root) - matrix) <= SQRTM_TOLERANCE * scale


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Squared Fréchet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)`` (a float).

    Parameters
    ----------
    mu1, mu2 : array ``(d,)``
    sigma1, sigma2 : array ``(d, d)``, symmetric positive semi-definite
    eps : float
        Diagonal offset used only when the covariance product is (near-)singular.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape \
            or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f'mismatched statistics: means {mu1.shape}, {mu2.shape}; '
                         f'covariances {sigma1.shape}, {sigma2.shape}')
    diff = mu1 - mu2
    covmean = sqrtm_product(sigma1, sigma2, eps)
    value = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
    return float(value)


def fid_from_features(features1, features2, eps=1e-6):
    """FID between two ``(N, d)`` feature arrays held in memory (the non-streaming form)."""
    return frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2), eps=eps)
