"""What image-translation steps measure against ground truth: L1, PSNR and sharpness.

Shared by Pix2Pix, CycleGAN and SPADE (their ``evaluate`` methods) and the CLI's ``infer``.
"""
import numpy as np
from mxnet import nd


def unit_scale_pair(fake, real):
    """``fake`` and ``real`` (NDArrays or arrays in [-1, 1], same shape) as float64 numpy
    arrays on the [0, 1] scale, clipped -- the common start of the translation metrics."""
    f = fake.asnumpy() if isinstance(fake, nd.NDArray) else np.asarray(fake)
    r = real.asnumpy() if isinstance(real, nd.NDArray) else np.asarray(real)
    if f.shape != r.shape:
        raise ValueError(f'shapes differ: {f.shape} vs {r.shape}')
    return ((np.clip(f, -1, 1).astype(np.float64) + 1) / 2,
            (np.clip(r, -1, 1).astype(np.float64) + 1) / 2)


def translation_metrics(fake, real):
    """L1, PSNR and a sharpness ratio between two batches of images in [-1, 1].

    All on the [0, 1] scale: ``L1 = mean |fake - real|``; ``PSNR = 10 log10(1 / MSE)`` per
    image (in dB, capped at 100), averaged over the images; ``sharpness`` = mean absolute
    difference between neighbouring pixels of ``fake`` divided by that of ``real`` (1 = as
    much fine detail as the targets, < 1 = blurrier). L1 and PSNR reward the *average*
    plausible output, i.e. blur; the ratio shows what they miss.
    """
    f, r = unit_scale_pair(fake, real)
    axes = tuple(range(1, f.ndim))
    mse = np.maximum(((f - r) ** 2).mean(axis=axes), 1e-10)  # PSNR <= 100 dB
    return {'L1': float(np.abs(f - r).mean()), 'PSNR': float((10 * np.log10(1 / mse)).mean()),
            'sharpness': float(_detail(f) / max(_detail(r), 1e-12))}


def _detail(x):
    return np.abs(np.diff(x, axis=-1)).mean() + np.abs(np.diff(x, axis=-2)).mean()
