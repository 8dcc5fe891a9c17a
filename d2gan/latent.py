"""Walking the latent space: linear and spherical interpolation between latent vectors."""
import numpy as np
from mxnet import nd


def interpolate(z0, z1, steps=10, mode='linear'):
    """``steps`` points from ``z0`` to ``z1`` (both ``(D,)`` or ``(N, D)``), stacked on axis 0.

    For ``(N, D)`` inputs the result is ``(N * steps, D)``, row ``i`` of the inputs giving rows
    ``i*steps … (i+1)*steps-1`` -- ready for a grid with ``nrow=steps``.
    ``mode='slerp'`` follows the great circle, which keeps Gaussian latents at a typical norm
    (White, 2016); ``'linear'`` cuts through the low-density centre of the Gaussian.
    """
    if mode not in ('linear', 'slerp'):
        raise ValueError(f"mode must be 'linear' or 'slerp', got {mode!r}")
    a = z0.asnumpy() if hasattr(z0, 'asnumpy') else np.asarray(z0, dtype='float32')
    b = z1.asnumpy() if hasattr(z1, 'asnumpy') else np.asarray(z1, dtype='float32')
    if a.shape != b.shape:
        raise ValueError(f'z0 and z1 differ in shape: {a.shape} vs {b.shape}')
    a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
    t = np.linspace(0, 1, steps, dtype='float32')[None, :, None]
    if mode == 'linear':
        out = (1 - t) * a2[:, None] + t * b2[:, None]
    else:
        cos = np.sum(a2 * b2, 1) / (np.linalg.norm(a2, axis=1) * np.linalg.norm(b2, axis=1))
        omega = np.arccos(np.clip(cos, -1, 1))[:, None, None]
        sin = np.maximum(np.sin(omega), 1e-8)
        out = (np.sin((1 - t) * omega) / sin * a2[:, None] + np.sin(t * omega) / sin * b2[:, None])
    out = out.reshape(-1, a2.shape[1]).astype('float32')
    ctx = z0.context if hasattr(z0, 'context') else None
    return nd.array(out, ctx=ctx) if ctx is not None else nd.array(out)
