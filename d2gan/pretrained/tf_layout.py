"""TensorFlow's weight layouts -> MXNet's, shared by the TensorFlow references' converters.

TensorFlow stores a convolution as ``[k, k, in, out]`` and a transposed convolution as
``[k, k, out, in]`` (the filter of the forward convolution it is the gradient of); MXNet wants
``(out, in, k, k)`` and ``(in, out, k, k)``: the same permutation for both. A dense layer is
``[in, out]``, MXNet's ``(out, in)``.
"""
import numpy as np


def tf_conv(value):
    """``[k, k, a, b]`` -> ``(b, a, k, k)`` (a convolution, or a transposed one)."""
    return np.transpose(value, (3, 2, 0, 1))


def tf_dense(value):
    """``[in, out]`` -> ``(out, in)``."""
    return np.transpose(value)


__all__ = ['tf_conv', 'tf_dense']
