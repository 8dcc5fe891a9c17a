"""Photo2Cartoon's face-ID loss: a cartoon should show the same person as its photo.

minivision-ai/photo2cartoon (``models/face_features.py``) compares face-recognition embeddings::

    faceid(real, fake) = 1 - cos(phi(crop(real)), phi(crop(fake)))       per image, in [0, 2]

* ``crop``: the reference's fixed face box of an ``H x W`` image -- rows ``top = int(H / 2.1 *
  0.47)`` to ``bottom = int(H - H / 2.1 * 0.3)``, a square of side ``bottom - top`` centred
  horizontally (``left = int(W / 2 - side / 2)``) -- resized to 112x112, bilinearly with
  aligned corners; no other normalisation: the images stay in [-1, 1];
* ``phi``: a frozen face-recognition network in inference mode (its batch norms use their
  running statistics and are never updated: built with ``use_global_stats=True``), the
  reference's MobileFaceNet (:mod:`d2gan.models.mobilefacenet`) or any network of 112x112
  faces -> ``(N, D)``;
* the gradient reaches the generator through ``fake`` only (``real`` is a constant).

The reference adds ``faceid_weight * faceid`` (weight 1) to both generators' losses, for
``(a, G_A(a))`` and ``(b, G_B(b))``: :class:`d2gan.gans.photo2cartoon.Photo2CartoonStep`.

**Which network.** :data:`FACE_FEATURES` names the loaders of feature networks
(``'mobilefacenet'``: the reference's weights read from ``data/``, registered by
:mod:`d2gan.pretrained.mobilefacenet`); :func:`resolve_face_features` turns a recipe's
``face_features`` argument (``None``, such a name, or a network) into a frozen network. A new
network is one more ``FACE_FEATURES.register(name)`` of a function that returns it.
The reference's value per image is summed over the batch like d2gan's other terms (the
trainer divides by the batch size): its mean, as the reference's multi-GPU path takes it; its
single-GPU ``train.py`` runs batches of one. Tested in ``tests/test_faceid.py``: value and
gradient against PyTorch running the reference's own code, and through a generator against
finite differences.
"""
from mxnet import autograd, nd
from mxnet.gluon import Block, nn

from .nn.resize import resize_bilinear
from .nn.walk import walk_blocks
from .registry import Registry

FACE_SIZE = 112    # the side the reference resizes the face box to (MobileFaceNet's input)
COS_EPS = 1e-8     # torch.cosine_similarity's guard against a zero norm

#: ``name -> loader(**kwargs)`` of a face feature network (filled by d2gan.pretrained).
FACE_FEATURES = Registry('face feature network')


def face_box(height, width):
    """``(top, bottom, left, right)``: the reference's face crop of an ``height x width`` image."""
    top = int(height / 2.1 * (0.8 - 0.33))
    bottom = int(height - height / 2.1 * 0.3)
    left = int(width / 2 - (bottom - top) / 2)
    return top, bottom, left, left + bottom - top


def face_input(x):
    """The face box of images ``x (N, 3, H, W)``, resized to ``(N, 3, 112, 112)``."""
    top, bottom, left, right = face_box(*x.shape[2:])
    if left < 0 or right > x.shape[3]:
        raise ValueError(f'face-ID loss: the face box of a {x.shape[2]}x{x.shape[3]} image '
                         'is wider than the image; use square (or wider) images')
    crop = nd.slice(x, begin=(None, None, top, left), end=(None, None, bottom, right))
    # Deterministic (MXNet's BilinearResize2D backward is not, see d2gan.nn.resize), and
    # computed in float64 and rounded once: the reference's float64 face, correctly rounded.
    face = resize_bilinear(crop.astype('float64'), FACE_SIZE, FACE_SIZE, align_corners=True)
    return face.astype(x.dtype)


def freeze(net):
    """``net`` with ``grad_req = 'null'`` on every parameter (a fixed feature extractor); a
    ``ValueError`` for a batch norm without ``use_global_stats=True``, whose input gradient in
    predict mode MXNet 1.9.1 gets wrong (:mod:`d2gan.models.mobilefacenet`)."""
    for block in walk_blocks(net):
        if isinstance(block, nn.BatchNorm) and not block._kwargs.get('use_global_stats'):
            raise ValueError(f'face feature network: {block.name} must be built with '
                             'use_global_stats=True (batch norms of a frozen network that passes '
                             'gradients to its input; MXNet 1.9.1 gets them wrong otherwise)')
    for param in net.collect_params().values():
        param.grad_req = 'null'
    return net


def faceid_loss(features, real, fake):
    """``1 - cos(phi(real), phi(fake))`` per image, shape ``(N,)`` (module docstring).

    ``features`` runs in inference mode even inside ``autograd.record()``; differentiable with
    respect to ``fake``.
    """
    with autograd.predict_mode():
        target = features(face_input(real.detach())).detach()
        embedding = features(face_input(fake))
    dot = (embedding * target).sum(axis=1)
    norms = (embedding.square().sum(axis=1) * target.square().sum(axis=1)).sqrt()
    return 1 - dot / nd.maximum(norms, COS_EPS)


def resolve_face_features(spec, **kwargs):
    """The frozen feature network of a recipe's ``face_features``: ``None`` (no face-ID term),
    a name of :data:`FACE_FEATURES` (loaded with ``kwargs``), or a Gluon network."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return freeze(FACE_FEATURES.get(spec, **kwargs))
    if isinstance(spec, Block):
        return freeze(spec)
    raise TypeError(f'face_features must be None, a name ({", ".join(FACE_FEATURES.names())}) '
                    f'or a Gluon network, got {type(spec).__name__}')


__all__ = ['FACE_FEATURES', 'FACE_SIZE', 'face_box', 'face_input', 'faceid_loss', 'freeze',
           'resolve_face_features']
