"""Inception Score: how confident and how varied a classifier finds the generated images.

IS (Salimans et al., 2016) with a classifier's predictions ``p(y|x)``::

    IS = exp( E_x KL(p(y|x) || p(y)) ),    p(y) = E_x p(y|x)

It is high when every image is classified confidently (low entropy ``p(y|x)``) *and* the
classes are used evenly (high entropy ``p(y)``); with ``k`` classes it lies in ``[1, k]``.
Like the original code (and torch-fidelity's ``isc``), the predictions are cut into ``splits``
consecutive parts, the score is computed on each, and mean and standard deviation are
reported. It never looks at real images, so it cannot tell that a model is missing the
variety *within* a class, nor that its images do not look like the data.
"""
import numpy as np


def inception_score(probs, splits=10, eps=1e-12):
    """``(mean, std)`` of the Inception Score over ``splits`` parts of ``(N, k)`` probabilities.

    Rows must be probability vectors (softmax outputs); ``eps`` only guards ``log 0``.
    """
    p = np.asarray(probs, np.float64)
    if p.ndim != 2:
        raise ValueError(f'expected (N, num_classes) probabilities, got shape {p.shape}')
    if not np.allclose(p.sum(axis=1), 1, atol=1e-3) or (p < 0).any():
        raise ValueError('inception_score needs probabilities (rows >= 0 summing to 1), '
                         'e.g. softmax outputs, not logits')
    if splits < 1 or len(p) < splits:
        raise ValueError(f'cannot cut {len(p)} predictions into {splits} splits')
    size = len(p) // splits
    scores = []
    for k in range(splits):
        part = p[k * size:(k + 1) * size]
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + eps) - np.log(marginal + eps))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
