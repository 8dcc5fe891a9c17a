"""``(a + b) * scale``: the sum of a residual block's two branches, rescaled (StarGAN v2's
``/ sqrt(2)``)."""
from . import native


def scaled_sum(F, a, b, scale):
    """``(a + b) * scale`` for ``a`` and ``b`` of one shape and a Python number ``scale``.

    The C++ operator ``d2gan_scaled_sum`` (:mod:`d2gan.nn.native`) where it is available: one
    pass each way, where MXNet's ``elemwise_add`` and ``_mul_scalar`` make two
    (``benchmarks/scaled_sum.py``); else those two. Equal values and gradients to float
    rounding (``tests/test_scaled_sum.py``)."""
    if native.available():
        return F.d2gan_scaled_sum(a, b, scale=repr(float(scale)))
    return (a + b) * scale
