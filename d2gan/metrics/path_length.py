"""Perceptual path length (PPL; Karras et al., 2019, section 4.2), in a feature space of our choice.

How much does the image change when the latent takes a small step? For pairs of latents
``w1, w2`` and ``t ~ U(0, 1)``::

    PPL_W = E[ ||phi(G(lerp(w1, w2, t))) - phi(G(lerp(w1, w2, t + eps)))||^2 / eps^2 ]

with ``lerp`` applied to every style input and the *same* per-layer noise in both images of a
pair. A generator whose latent space is smooth (what path length regularization aims at) has a
low PPL. The references measure ``phi`` with VGG16 LPIPS features (not available offline here);
this module takes any :class:`~d2gan.metrics.features.FeatureExtractor` -- the book uses its
digit classifier -- so its numbers compare models with each other, not with published PPLs.
As the references do, the 1% smallest and largest values are dropped before averaging (a few
pairs that cross a sharp boundary would otherwise dominate the mean).

``space='z'`` measures the same in the input latent space instead (the StyleGAN paper's
Table 3): the end points are ``map(slerp(z1, z2, t))`` and ``map(slerp(z1, z2, t + eps))``,
spherical interpolation of the normalised ``z`` (the mapping network normalises ``z`` first,
so only its direction matters). The mapping network's warping shows as a longer path in Z.
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd


def slerp(a, b, t):
    """Spherical interpolation between the directions of ``a`` and ``b`` (rows), at fraction
    ``t`` (a column) of the angle between them; unit-length rows."""
    a = a / nd.norm(a, axis=1, keepdims=True)
    b = b / nd.norm(b, axis=1, keepdims=True)
    cos = nd.clip(nd.sum(a * b, axis=1, keepdims=True), -1, 1)
    angle = nd.arccos(cos) * t
    ortho = b - cos * a
    ortho = ortho / nd.maximum(nd.norm(ortho, axis=1, keepdims=True), 1e-12)
    out = a * nd.cos(angle) + ortho * nd.sin(angle)
    return out / nd.norm(out, axis=1, keepdims=True)


def path_lengths(G, features, num=1000, epsilon=1e-4, seed=0, batch_size=50, space='w'):
    """The ``num`` per-pair values ``||phi(x_t) - phi(x_{t+eps})||^2 / eps^2`` (numpy).

    ``G`` has ``z_dim``, ``map(z)`` -> ``ws`` and ``synthesis(ws)`` (the StyleGAN2 generator);
    ``features(images)`` returns ``(features, probs)`` as the metrics' extractors do.
    ``space``: ``'w'`` interpolates linearly between mapped latents, ``'z'`` spherically
    between the latents before the mapping.
    """
    if num < 1 or epsilon <= 0:
        raise ValueError(f'need num >= 1 and epsilon > 0, got num={num}, epsilon={epsilon}')
    if space not in ('w', 'z'):
        raise ValueError(f"space must be 'w' or 'z', got {space!r}")
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        z = nd.array(rng.standard_normal((2 * n, G.z_dim)).astype('float32'))
        t = nd.array(rng.uniform(size=(n, 1, 1)).astype('float32'))
        noise_seed = int(rng.integers(2 ** 31))
        with autograd.predict_mode():
            if space == 'w':
                w1, w2 = G.map(z[:n]), G.map(z[n:])
                latents_at = lambda s: w1 + (w2 - w1) * s                        # noqa: E731
            else:
                latents_at = lambda s: G.map(slerp(z[:n], z[n:], s.reshape((n, 1))))  # noqa: E731
            ends = []
            for step in (t, t + epsilon):
                mx.random.seed(noise_seed)     # the same per-layer noise in both images
                ends.append(G.synthesis(latents_at(step)))
        f0, f1 = features(ends[0])[0], features(ends[1])[0]
        values.append(np.square(f0.astype('float64') - f1).sum(axis=1) / epsilon ** 2)
    return np.concatenate(values)


def perceptual_path_length(G, features, num=1000, epsilon=1e-4, seed=0, batch_size=50,
                           space='w'):
    """Mean of :func:`path_lengths` between its 1st and 99th percentiles (the references')."""
    values = path_lengths(G, features, num, epsilon, seed, batch_size, space)
    lo, hi = np.percentile(values, 1, method='lower'), np.percentile(values, 99, method='higher')
    return float(values[(values >= lo) & (values <= hi)].mean())


__all__ = ['path_lengths', 'perceptual_path_length', 'slerp']
