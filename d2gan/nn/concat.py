"""Channel concatenation, with the work-around for a oneDNN bug, and label maps to concat.

The bug (MXNet 1.9.1's oneDNN on AVX-512 CPUs): the backward pass of a 4-D channel concat whose
parts are not multiples of 16 channels, receiving a gradient in oneDNN's 16-channel blocked
layout, dies with a floating point exception (SIGFPE) -- e.g. every U-Net with ``ngf=8``. The
remedy, ``plain=True``, routes the concat through 5-D arrays, which MXNet leaves to its own
kernel (it first converts the gradient to the plain layout). Tested in
``tests/test_pix2pix_models.py`` (a U-Net with ``ngf=8`` trains).
"""


def concat_channels(F, a, b, plain=False):
    """``concat(a, b)`` on the channel axis; ``plain=True``: through 5-D arrays (the remedy
    for the oneDNN bug above, needed when a part is not a multiple of 16 channels)."""
    if not plain:
        return F.concat(a, b, dim=1)
    cat = F.concat(F.expand_dims(a, axis=2), F.expand_dims(b, axis=2), dim=1)
    return F.reshape(cat, (0, -3, -2))


def tile_labels(F, c, like):
    """``(N, k)`` labels -> ``(N, k, H, W)``, copied to every pixel of ``like``."""
    return F.broadcast_like(F.reshape(c, shape=(0, 0, 1, 1)), like, lhs_axes=(2, 3),
                            rhs_axes=(2, 3))


def concat_all(F, parts, plain):
    """Channel concat of several maps (``plain``: the oneDNN-safe route of
    :func:`concat_channels`)."""
    out = parts[0]
    for part in parts[1:]:
        out = concat_channels(F, out, part, plain)
    return out
