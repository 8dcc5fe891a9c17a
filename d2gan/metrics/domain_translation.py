"""Scoring translation into several domains with styles (StarGAN v2's task) on digit domains.

Every source image ``x`` (domain ``y``) is translated into every *other* domain ``d``; on
:mod:`d2gan.data.digit_domains` each factor of the result can be measured:

================  ============================================================================
score             meaning
================  ============================================================================
``domain``        fraction of outputs whose background reads as ``d``
                  (:func:`~d2gan.data.digit_domains.measure_domain`; copying the input: 0)
``identity``      fraction of outputs that the book's digit classifier reads as the digit it
                  reads on the source (copying the input scores 1; chance is about 0.1)
``diversity``     latent-guided: mean distance between the outputs of one ``(x, d)`` for
                  ``num_styles`` latents, in the digit classifier's 64-d feature space (that
                  of the book's FID, :class:`~d2gan.metrics.DigitFeatures`); 0 for a model
                  that ignores the latent
``hue_spread``    the same pairs, mean circular distance of their measured stroke hues (hues
                  drawn uniformly at random: 0.25)
``hue_to_ref``    reference-guided: circular hue distance of the output to its reference ...
``hue_to_other``  ... and to another image of the reference's domain: a model that copies the
                  reference's hue has the first far below the second (0.25 for unrelated hues)
``ref_domain``,   ``domain`` and ``identity`` of the reference-guided outputs
``ref_identity``
``fid``           per target domain, FID (digit features) of the latent-guided outputs against
                  ``real[d]``; ``fid_mean`` their mean, as the StarGAN v2 paper averages its
                  tasks
================  ============================================================================

A *model* is anything :func:`translator` turns into ``translate(X, y_src, y_trg, z=None,
reference=None)``: a :class:`~d2gan.gans.starganv2.StarGANv2Step` (its moving averages, ``s =
F(z, d)`` or ``E(reference, d)``), a StarGAN step trained on one-hot domains
(:mod:`d2gan.data.domain_labels`; no style input, so one output per ``(x, d)``), or
``'copy'`` (the input, unchanged).
"""
import numpy as np
from mxnet import nd

from ..data import digit_domains
from ..data.domain_labels import one_hot_domains
from .attribute_edit import digit_identity
from .digit_classifier import DigitFeatures
from .frechet import fid_from_features


def translator(model, num_domains=None, batch_size=200):
    """``translate(X, y_src, y_trg, z=None, reference=None) -> numpy (N, C, H, W)`` and
    whether it uses styles (``(translate, stochastic)``); see the module docstring."""
    if isinstance(model, str):
        if model != 'copy':
            raise ValueError(f"model must be a step or 'copy', got {model!r}")
        return (lambda X, y_src, y_trg, z=None, reference=None: np.asarray(X, np.float32)), False
    if hasattr(model, 'F_ema') and hasattr(model, 'translate'):           # StarGAN v2

        def translate(X, y_src, y_trg, z=None, reference=None):
            y_trg = np.broadcast_to(np.asarray(y_trg), (len(X),))
            outs = []
            for i in range(0, len(X), batch_size):
                part = slice(i, i + batch_size)
                outs.append(model.translate(
                    X[part], y_trg[part], z=None if z is None else z[part],
                    reference=None if reference is None else reference[part]).asnumpy())
            return np.concatenate(outs)
        return translate, True
    if hasattr(model, 'edit'):                                            # StarGAN, one-hot
        k = num_domains or model.n_attrs

        def translate(X, y_src, y_trg, z=None, reference=None):
            y_src = np.broadcast_to(np.asarray(y_src), (len(X),))
            y_trg = np.broadcast_to(np.asarray(y_trg), (len(X),))
            return model.edit(X, one_hot_domains(y_src, k), one_hot_domains(y_trg, k),
                              batch_size=batch_size).asnumpy()
        return translate, False
    raise TypeError(f'cannot translate with {type(model).__name__}: expected a StarGAN v2 '
                    "step, a StarGAN step on one-hot domains, or 'copy'")


def translation_pairs(y, num_domains):
    """``(source index, target domain)`` of every source and every domain but its own."""
    src = np.repeat(np.arange(len(y)), num_domains)
    trg = np.tile(np.arange(num_domains), len(y))
    keep = trg != np.asarray(y)[src]
    return src[keep], trg[keep]


def _pairwise_mean(values, distance):
    """Mean of ``distance(values[k], values[l])`` over ``k < l`` (each ``(P, ...)``), nan-aware
    per pair of outputs."""
    d = [distance(values[k], values[l]) for k in range(len(values))
         for l in range(k + 1, len(values))]
    return float(np.nanmean(np.stack(d))) if d else float('nan')


def score_translations(model, X, y, references, real, num_styles=4, seed=0, names=None,
                       classifier=None, batch_size=200):
    """The scores of the module docstring for ``model`` on sources ``X`` (domains ``y``).

    Parameters
    ----------
    references : ``(X_ref, y_ref)``, images the reference of each ``(x, d)`` is drawn from
        (one of domain ``d``, by ``seed``), and the "other image" of ``hue_to_other``.
    real : ``{d: real images of domain d}`` for FID (the StarGAN v2 paper: the training
        images of the target domain); None skips FID.
    num_styles : latents per ``(x, d)`` (the same ``num_styles`` latents for every pair).
    names : domain names for the ``fid`` dict (default ``0, 1, ...``).
    classifier : a :class:`DigitFeatures` (loaded once if None).

    Returns a dict of floats (``fid``: ``{name: value}``) plus ``'num_pairs'``.
    """
    classifier = classifier or DigitFeatures(verbose=False)
    X, y = np.asarray(X, np.float32), np.asarray(y).astype(np.int64)
    X_ref, y_ref = np.asarray(references[0], np.float32), np.asarray(references[1])
    num_domains = int(max(y.max(), y_ref.max())) + 1
    names = list(names) if names is not None else list(range(num_domains))
    translate, stochastic = translator(model, num_domains, batch_size)
    src, trg = translation_pairs(y, num_domains)
    sources = X[src]
    rng = np.random.default_rng(seed)
    latent_dim = getattr(model, 'latent_dim', 1)
    z = rng.standard_normal((num_styles, latent_dim)).astype(np.float32)
    if stochastic:
        outs = [translate(sources, y[src], trg, z=np.repeat(z[k:k + 1], len(src), 0))
                for k in range(num_styles)]
    else:
        outs = [translate(sources, y[src], trg)] * num_styles
    flat = np.concatenate(outs)
    source_ids = digit_identity(sources, classifier)
    scores = {'num_pairs': len(src),
              'domain': float((digit_domains.measure_domain(flat) == np.tile(trg, num_styles))
                              .mean()),
              'identity': float((digit_identity(flat, classifier) ==
                                 np.tile(source_ids, num_styles)).mean())}
    features = [classifier(o)[0] for o in outs]
    scores['diversity'] = _pairwise_mean(
        features, lambda a, b: np.sqrt(((a - b) ** 2).sum(axis=1)))
    hues = [digit_domains.measure_style(o)[0] for o in outs] if stochastic else [None]
    scores['hue_spread'] = (_pairwise_mean(hues, digit_domains.hue_distance) if stochastic
                            else 0.0)
    # reference-guided: a reference of domain d, and another image of d to compare with
    ref = np.array([rng.choice(np.flatnonzero(y_ref == d)) for d in trg])
    other = np.array([rng.choice(np.flatnonzero((y_ref == d) & (np.arange(len(y_ref)) != r)))
                      for d, r in zip(trg, ref)])
    guided = translate(sources, y[src], trg, reference=X_ref[ref])
    hue, _ = digit_domains.measure_style(guided)
    ref_hue, _ = digit_domains.measure_style(X_ref[ref])
    other_hue, _ = digit_domains.measure_style(X_ref[other])
    scores.update(
        ref_domain=float((digit_domains.measure_domain(guided) == trg).mean()),
        ref_identity=float((digit_identity(guided, classifier) == source_ids).mean()),
        hue_to_ref=float(np.nanmean(digit_domains.hue_distance(hue, ref_hue))),
        hue_to_other=float(np.nanmean(digit_domains.hue_distance(hue, other_hue))))
    if real is not None:
        fid = {}
        for d in range(num_domains):
            fake = np.concatenate([f[trg == d] for f in features])
            fid[names[d]] = fid_from_features(fake, classifier(np.asarray(real[d]))[0])
        scores['fid'] = fid
        scores['fid_mean'] = float(np.mean(list(fid.values())))
    return scores


COLUMNS = ('domain', 'identity', 'diversity', 'hue_spread', 'hue_to_ref', 'hue_to_other',
           'fid_mean')


def translation_table(results, columns=COLUMNS):
    """A text table, one row per model of ``results`` (``{model: score_translations(...)}``),
    then each domain's FID; missing scores print as ``-``."""
    fid_names = []
    for r in results.values():
        fid_names += [n for n in r.get('fid', {}) if n not in fid_names]
    head = ['model'] + list(columns) + [f'fid[{n}]' for n in fid_names]
    rows = [head]
    for model, r in results.items():
        cells = [r.get(c) for c in columns] + [r.get('fid', {}).get(n) for n in fid_names]
        rows.append([model] + ['-' if v is None or v != v else
                               (f'{v:.1f}' if abs(v) >= 10 else f'{v:.3f}') for v in cells])
    widths = [max(len(row[j]) for row in rows) for j in range(len(head))]
    lines = ['  '.join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, '-' * len(lines[0]))
    return '\n'.join(lines)


def latent_grid(model, X, y, num_styles=3, seed=0, num_domains=3):
    """Latent-guided results for a grid: one row per source (the source first, then
    ``num_styles`` outputs per domain, domains in order, the same latents in every row).
    Returns ``(images, nrow)`` for :func:`d2gan.show_images`."""
    translate, stochastic = translator(model, num_domains)
    X, y = np.asarray(X, np.float32), np.asarray(y)
    z = np.random.default_rng(seed).standard_normal(
        (num_styles, getattr(model, 'latent_dim', 1))).astype(np.float32)
    columns = [X]
    for d in range(num_domains):
        for k in range(num_styles):
            zk = np.repeat(z[k:k + 1], len(X), 0) if stochastic else None
            columns.append(translate(X, y, np.full(len(X), d), z=zk))
    return nd.array(np.stack(columns, axis=1).reshape((-1,) + X.shape[1:])), len(columns)


def reference_grid(model, X, y, references, reference_domains, num_domains=3):
    """Reference-guided results for a grid: the top row holds the references (a blank corner
    first), then one row per source: the source, then the source in the style (and domain) of
    each reference. Returns ``(images, nrow)``."""
    translate, _ = translator(model, num_domains)
    X, y = np.asarray(X, np.float32), np.asarray(y)
    R = np.asarray(references, np.float32)
    rows = [np.concatenate([np.ones_like(X[:1]), R])]
    for i in range(len(X)):
        x = np.repeat(X[i:i + 1], len(R), 0)
        out = translate(x, np.full(len(R), y[i]), np.asarray(reference_domains), reference=R)
        rows.append(np.concatenate([X[i:i + 1], out]))
    return nd.array(np.concatenate(rows)), len(R) + 1


__all__ = ['translator', 'translation_pairs', 'score_translations', 'translation_table',
           'latent_grid', 'reference_grid', 'COLUMNS']
