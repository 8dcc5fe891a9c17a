"""Domain labels as attribute vectors: StarGAN (v1) trained on one-folder-per-domain data.

StarGAN's generator ``G(x, c)`` takes a label vector ``c``. On CelebA ``c`` holds binary
attributes; for ``k`` mutually exclusive *domains* -- the paper's RaFD expressions, AFHQ's cat /
dog / wild, the three backgrounds of :mod:`d2gan.data.digit_domains` -- it is the one-hot
vector of the domain, and ``c_dim = k``. Nothing else changes: the step's target labels are the
labels of other images of the batch (``target_mode='shuffle'``), so every target is again a
one-hot vector, and the classification head learns the ``k`` domains (the reference trains
RaFD with a softmax cross-entropy; :class:`~d2gan.gans.stargan.StarGANStep` keeps its binary
cross-entropy per label, which a one-hot target trains just as well).

:func:`domain_attribute_data` turns ``(X, y, names)`` of :func:`~d2gan.data.digit_domains.
load_domain_folder` into the :class:`~d2gan.data.celeba_attrs.AttributeData` that
:func:`d2gan.gans.editing.train_editor` trains StarGAN on; :func:`domains_of` reads the domain
back. Build the step with ``domains=True`` (``train_editor(..., domains=True)``): flipping
one entry of a one-hot vector would give a label with two domains or none, so such a step's
``flip_targets(A, i)`` translates every image into domain ``i`` (``sample`` and ``edit_rows``
show one row per domain), and it refuses training labels that are not one-hot.
"""
import numpy as np

from .celeba_attrs import AttributeData


def one_hot_domains(y, num_domains=None):
    """float32 ``(N, num_domains)`` one-hot rows of the int labels ``y`` (default
    ``num_domains``: ``max(y) + 1``)."""
    y = np.asarray(y).astype(np.int64).reshape(-1)
    if len(y) and y.min() < 0:
        raise ValueError(f'domain labels must be non-negative, got {int(y.min())}')
    k = int(y.max()) + 1 if num_domains is None else int(num_domains)
    if len(y) and y.max() >= k:
        raise ValueError(f'domain label {int(y.max())} does not fit {k} domains')
    return np.eye(k, dtype=np.float32)[y]


def domains_of(attrs):
    """The domain of each one-hot row (int32); rows that are not one-hot raise an error."""
    attrs = np.asarray(attrs)
    if attrs.ndim != 2:
        raise ValueError(f'expected one-hot rows (N, k): one domain per image; got shape '
                         f'{attrs.shape}')
    good = ((attrs == 0) | (attrs == 1)).all(axis=1) & (attrs.sum(axis=1) == 1)
    if not good.all():
        bad = int(np.flatnonzero(~good)[0])
        raise ValueError(f'expected one-hot rows (N, k): one domain per image; row {bad} is '
                         f'{attrs[bad].tolist()}')
    return attrs.argmax(axis=1).astype(np.int32)


def domain_attribute_data(X, y, names, labels=None):
    """:class:`AttributeData` whose attributes are the one-hot domains of ``y`` (named by
    ``names``, one per domain), for StarGAN; ``labels`` (e.g. the digits) are kept as its
    identities."""
    names = tuple(str(n) for n in names)
    X = np.asarray(X, np.float32)
    if len(X) != len(y):
        raise ValueError(f'{len(X)} images but {len(y)} labels')
    return AttributeData(X, one_hot_domains(y, len(names)), names,
                         files=[f'{i:06d}' for i in range(len(X))],
                         labels=None if labels is None else np.asarray(labels, np.int32))


__all__ = ['one_hot_domains', 'domains_of', 'domain_attribute_data']
