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
"""
import numpy as np
import mxnet as mx
from mxnet import autograd, nd


def path_lengths(G, features, num=1000, epsilon=1e-4, seed=0, batch_size=50):
    """The ``num`` per-pair values ``||phi(x_t) - phi(x_{t+eps})||^2 / eps^2`` (numpy).

    ``G`` has ``z_dim``, ``map(z)`` -> ``ws`` and ``synthesis(ws)`` (the StyleGAN2 generator);
    ``features(images)`` returns ``(features, probs)`` as the metrics' extractors do.
    """
    if num < 1 or epsilon <= 0:
        raise ValueError(f'need num >= 1 and epsilon > 0, got num={num}, epsilon={epsilon}')
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        z = nd.array(rng.standard_normal((2 * n, G.z_dim)).astype('float32'))
        t = nd.array(rng.uniform(size=(n, 1, 1)).astype('float32'))
        noise_seed = int(rng.integers(2 ** 31))
        with autograd.predict_mode():
            ws = G.map(z)
            w1, w2 = ws[:n], ws[n:]
            ends = []
            for step in (t, t + epsilon):
                mx.random.seed(noise_seed)     # the same per-layer noise in both images
                ends.append(G.synthesis(w1 + (w2 - w1) * step))
        f0, f1 = features(ends[0])[0], features(ends[1])[0]
        values.append(np.square(f0.astype('float64') - f1).sum(axis=1) / epsilon ** 2)
    return np.concatenate(values)


def perceptual_path_length(G, features, num=1000, epsilon=1e-4, seed=0, batch_size=50):
    """Mean of :func:`path_lengths` between its 1st and 99th percentiles (the references')."""
    values = path_lengths(G, features, num, epsilon, seed, batch_size)
    lo, hi = np.percentile(values, 1, method='lower'), np.percentile(values, 99, method='higher')
    return float(values[(values >= lo) & (values <= hi)].mean())


__all__ = ['path_lengths', 'perceptual_path_length']
