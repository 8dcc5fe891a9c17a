"""U-GAT-IT's class activation map (CAM) weighting folded into its 1x1 convolution's weight.

The CAM computes ``conv1x1(concat(x * w_gap, x * w_gmp))``, which is linear in ``x``: one 1x1
convolution of ``x`` with the weight ``W_gap diag(w_gap) + W_gmp diag(w_gmp)`` (``W_gap``,
``W_gmp``: the two halves of the convolution's input channels) is the same function and
gradients, without two feature-map-sized products and a concatenation."""
from . import native


def cam_fold(F, weight, gap_weight, gmp_weight):
    """The folded weight ``(O, C, 1, 1)`` of a 1x1 convolution ``weight`` ``(O, 2C, 1, 1)`` and the
    CAM's classifier weights ``gap_weight``, ``gmp_weight`` ``(1, C)``:
    ``out[o, i] = weight[o, i] gap_weight[i] + weight[o, C + i] gmp_weight[i]``.

    The C++ operator ``d2gan_cam_fold`` (:mod:`d2gan.nn.native`) where it is available, one pass
    each way; else MXNet's slices and broadcast products (:func:`cam_fold_mxnet`), whose
    backward into the classifier weights is a generic reduction over the output channels --
    about 14x slower at the global discriminator's 2048 channels (``benchmarks/cam_fold.py``).
    Equal values and gradients (``tests/test_cam_fold.py``). The convolution's weight goes in
    through ``identity`` (the library API's operators write their gradients whatever the request)."""
    if native.available():
        return F.d2gan_cam_fold(F.identity(weight), F.concat(gap_weight, gmp_weight, dim=1))
    return cam_fold_mxnet(F, weight, gap_weight, gmp_weight)


def cam_fold_mxnet(F, weight, gap_weight, gmp_weight):
    """:func:`cam_fold` by MXNet's operators (the fallback, and the tests' reference)."""
    halves = F.split(weight, num_outputs=2, axis=1)
    return (F.broadcast_mul(halves[0], F.reshape(gap_weight, (1, -1, 1, 1))) +
            F.broadcast_mul(halves[1], F.reshape(gmp_weight, (1, -1, 1, 1))))


__all__ = ['cam_fold', 'cam_fold_mxnet']
