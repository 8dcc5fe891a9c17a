"""Scoring attribute edits: did the asked-for attribute change, and did everything else stay?

For every test image and every attribute ``i`` the generator is asked to flip ``i`` (the
seed's inference protocol) and the result is *measured* -- for the digit set from pixels
(:func:`d2gan.data.digit_attrs.measure_attributes`), for CelebA it would be an attribute
classifier (as the STGAN paper does):

* ``edit_acc``  -- fraction of edits whose attribute ``i`` now reads as the target (chance:
  0.5 for a binary attribute; copying the input scores 0); ``on_acc`` / ``off_acc``: the same
  over the edits that turn ``i`` on / off (NaN when none does);
* ``keep_acc``  -- fraction of the *other* attributes that still read as in the source;
* ``identity``  -- fraction of edits that the digit classifier reads as the same digit as the
  source image (its own agreement with the true labels on real images is the ceiling);
* ``L1``        -- mean absolute difference to the source on the [0, 1] scale (an edit must
  change *some* pixels; the reconstruction row, nothing flipped, shows the floor).
"""
import numpy as np

from ..data import digit_attrs
from .digit_classifier import DigitFeatures


def score_edits(step, X, A, names=None, labels=None, measure=None, identify=None,
                batch_size=100, **edit_kwargs):
    """Per-attribute and mean scores of ``step`` (a StarGAN / AttGAN / STGAN step).

    Parameters
    ----------
    X, A : test images (N, 3, H, W) in [-1, 1] and their attributes (N, k) in {0, 1}.
    names : attribute names (default ``step.names``).
    labels : true identities, used for the ``identity_ceiling`` entry (optional).
    measure : ``images -> (N, k)`` attributes in {0, 1} (default: the digit pixel rules).
    identify : ``images -> (N,)`` identities (default: the digit classifier on
        :func:`~d2gan.data.digit_attrs.canonical_digits`); ``False`` skips identity.

    Returns ``{'per_attr': {name: {...}}, 'mean': {...}, 'reconstruction': {...}}``.
    """
    names = tuple(names or step.names)
    if measure is None:
        measure = lambda images: digit_attrs.measure_attributes(images, names)  # noqa: E731
    if identify is None:
        classifier = DigitFeatures(verbose=False)  # trained once, then cached
        identify = lambda images: digit_identity(images, classifier)  # noqa: E731
    X = np.asarray(X, np.float32)
    A = np.asarray(A, np.float32)
    source_ids = identify(X) if identify else None
    results = {'per_attr': {}}

    def scores(out, B, changed):
        m = measure(out)
        row = {'L1': float(np.abs(np.clip(out, -1, 1) - X).mean() / 2)}
        keep = np.ones_like(A, bool)
        if changed is not None:
            hit = m[:, changed] == B[:, changed]
            row['edit_acc'] = float(hit.mean())
            for key, target in (('on_acc', 1), ('off_acc', 0)):   # the two directions
                ask = B[:, changed] == target
                row[key] = float(hit[ask].mean()) if ask.any() else float('nan')
            keep[:, changed] = False
        row['keep_acc'] = float((m == A)[keep].mean()) if keep.any() else float('nan')
        if identify:
            row['identity'] = float((identify(out) == source_ids).mean())
        return row

    out = step.edit(X, A, A, batch_size=batch_size, **edit_kwargs).asnumpy()
    results['reconstruction'] = scores(out, A, None)
    for i, name in enumerate(names):
        B = step.flip_targets(A, i)
        out = step.edit(X, A, B, batch_size=batch_size, **edit_kwargs).asnumpy()
        results['per_attr'][name] = scores(out, B, i)
    keys = results['per_attr'][names[0]].keys()
    results['mean'] = {k: float(np.mean([results['per_attr'][n][k] for n in names]))
                       for k in keys if k not in ('on_acc', 'off_acc')}
    if identify and labels is not None:
        results['identity_ceiling'] = float((source_ids == np.asarray(labels)).mean())
    return results


def comparison_table(results, columns=('edit_acc', 'keep_acc', 'identity', 'L1')):
    """A text table: one row per model (``results`` = ``{model: score_edits(...)}``), the mean
    over attributes of each score, then each attribute's edit accuracy."""
    names = list(next(iter(results.values()))['per_attr'])
    head = ['model'] + list(columns) + [f'acc[{n}]' for n in names]
    rows = [head]
    for model, r in results.items():
        rows.append([model] + [f'{r["mean"][c]:.3f}' for c in columns if c in r['mean']]
                    + [f'{r["per_attr"][n]["edit_acc"]:.3f}' for n in names])
    widths = [max(len(row[j]) for row in rows) for j in range(len(head))]
    lines = ['  '.join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, '-' * len(lines[0]))
    return '\n'.join(lines)


def digit_identity(images, classifier=None, batch_size=500):
    """Predicted digit class of each image, int (N,), read from its
    :func:`~d2gan.data.digit_attrs.canonical_digits` form.

    ``classifier`` is a :class:`DigitFeatures` (loaded, and trained once, if None)."""
    if classifier is None:
        classifier = DigitFeatures(verbose=False)
    canon = digit_attrs.canonical_digits(images)
    preds = [classifier(canon[i:i + batch_size])[1].argmax(axis=1)
             for i in range(0, len(canon), batch_size)]
    return np.concatenate(preds).astype(np.int32)

__all__ = ['score_edits', 'comparison_table', 'digit_identity']
