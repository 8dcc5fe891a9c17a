"""Style mixing: images whose coarse and fine styles come from different latents.

The operation behind the StyleGAN paper's style-mixing figure, on any style-based generator
with ``map(z, truncation_psi)``, ``synthesis(ws)`` and ``num_ws`` (:class:`~d2gan.models.
stylegan2.StyleGAN2Generator`, its EMA copy, converted released weights). Used by the chapter's
figures and by :func:`d2gan.metrics.mixing_follows`, which measures what each style decides.
"""
import mxnet as mx
from mxnet import autograd, nd


def style_mixing(G, z_coarse, z_fine, cut, truncation_psi=1.0, seed=0):
    """The style-mixing figure of the StyleGAN paper: image ``(i, j)`` takes the styles of
    ``z_coarse[i]`` for the first ``cut`` synthesis layers (the low resolutions) and those of
    ``z_fine[j]`` after them. Returns ``(len(z_coarse) * len(z_fine), C, R, R)``, row by row
    (show it with ``nrow=len(z_fine)``); the per-pixel noise is drawn with ``seed``, the same for
    every image."""
    if not 0 < cut < G.num_ws:
        raise ValueError(f'cut must be between 1 and {G.num_ws - 1} (the generator has '
                         f'{G.num_ws} style inputs), got {cut}')
    rows, cols = len(z_coarse), len(z_fine)
    with autograd.predict_mode():
        coarse = G.map(z_coarse, truncation_psi)[:, :cut]            # (rows, cut, w_dim)
        fine = G.map(z_fine, truncation_psi)[:, cut:]                # (cols, rest, w_dim)
        ws = nd.concat(nd.repeat(coarse, cols, axis=0),
                       nd.tile(fine, reps=(rows, 1, 1)), dim=1)
        images = []
        for k in range(rows * cols):  # one at a time: the same noise in every image
            mx.random.seed(seed)
            images.append(G.synthesis(ws[k:k + 1]))
    return nd.concat(*images, dim=0)


def unmixed_images(G, z, truncation_psi=1.0, seed=0):
    """The images of ``z`` alone, drawn one at a time with the per-pixel noise of ``seed``:
    the sources that :func:`style_mixing` mixes (same noise)."""
    with autograd.predict_mode():
        ws = G.map(z, truncation_psi)
        images = []
        for k in range(len(z)):
            mx.random.seed(seed)
            images.append(G.synthesis(ws[k:k + 1]))
    return nd.concat(*images, dim=0)


__all__ = ['style_mixing', 'unmixed_images']
