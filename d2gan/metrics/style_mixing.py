"""Which styles decide which factor: style mixing scored with factors read from pixels.

A mixed image takes the first ``cut`` styles from ``z_coarse`` and the rest from ``z_fine``
(:func:`d2gan.models.style_mixing.style_mixing`). If a factor of the data (a shape's
position, its colour) is set by the coarse layers, the mixed image shows the factor of its
``z_coarse`` source for small ``cut`` already; if it is set by the fine layers, only when
``cut`` reaches them. :func:`mixing_follows` measures this as the fraction of mixed images
whose factor is *nearer* to that of the ``z_coarse`` source than to that of the ``z_fine``
source.
"""
import numpy as np
import pandas as pd

from ..data.digit_domains import hue_distance
from ..models.style_mixing import style_mixing, unmixed_images

#: how two values of a factor are compared: ``'category'`` (equal or not), ``'value'``
#: (absolute difference), ``'hue'`` (circular difference on [0, 1))
FACTOR_KINDS = ('category', 'value', 'hue')


def factor_distance(a, b, kind):
    """Distance between factor values ``a`` and ``b`` (arrays) of the given kind."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if kind == 'category':
        return (a != b).astype(np.float64)
    if kind == 'value':
        return np.abs(a - b)
    if kind == 'hue':
        return hue_distance(a, b)
    raise ValueError(f'unknown factor kind {kind!r}: use one of {FACTOR_KINDS}')


def mixing_follows(G, measure, factors, z_coarse, z_fine, cuts=None, truncation_psi=1.0,
                   seed=0):
    """A table (one row per ``cut``): for each factor, the fraction of mixed images whose
    factor is nearer to their ``z_coarse`` source's than to their ``z_fine`` source's.

    ``measure(images)`` returns a dict of per-image arrays, with a boolean ``found`` (the
    factors could be read) and one array per name in ``factors`` (``{name: kind}``, kinds in
    :data:`FACTOR_KINDS`). Every pair of ``z_coarse`` and ``z_fine`` is mixed. Pairs count
    where both sources and the mixed image were measured and the two sources' factor values
    differ; the column ``pairs`` is the fraction of all pairs measured. 1 means the coarse
    styles decide the factor, 0 the fine ones."""
    for name, kind in factors.items():
        if kind not in FACTOR_KINDS:
            raise ValueError(f'factor {name!r}: unknown kind {kind!r}, use one of {FACTOR_KINDS}')
    cuts = range(1, G.num_ws) if cuts is None else cuts
    rows, cols = len(z_coarse), len(z_fine)
    coarse = measure(unmixed_images(G, z_coarse, truncation_psi, seed).asnumpy())
    fine = measure(unmixed_images(G, z_fine, truncation_psi, seed).asnumpy())
    i, j = np.repeat(np.arange(rows), cols), np.tile(np.arange(cols), rows)
    table = []
    for cut in cuts:
        mixed = measure(style_mixing(G, z_coarse, z_fine, cut, truncation_psi, seed).asnumpy())
        ok = mixed['found'] & coarse['found'][i] & fine['found'][j]
        row = {'cut': cut, 'pairs': float(ok.mean())}
        for name, kind in factors.items():
            to_coarse = factor_distance(mixed[name], coarse[name][i], kind)
            to_fine = factor_distance(mixed[name], fine[name][j], kind)
            differ = ok & (factor_distance(coarse[name][i], fine[name][j], kind) > 0)
            row[name] = float(np.mean(to_coarse[differ] < to_fine[differ])) if differ.any() \
                else float('nan')
        table.append(row)
    return pd.DataFrame(table).set_index('cut')


__all__ = ['FACTOR_KINDS', 'factor_distance', 'mixing_follows']
