"""Central finite differences of a scalar function of a network's parameters (float64 tests)."""
import numpy as np


def worst_error(params, value, analytic, step=1e-5):
    """``(max |analytic - fd|, max |fd|)`` over every element of ``params``; ``value()`` is the
    function, ``analytic`` maps parameter names to the gradients to check."""
    worst = scale = 0.0
    for p in params:
        data = p.data()
        for index in np.ndindex(*p.shape):
            old = data[index].asscalar()
            data[index] = old + step
            up = value()
            data[index] = old - step
            down = value()
            data[index] = old
            fd = (up - down) / (2 * step)
            worst, scale = max(worst, abs(analytic[p.name][index] - fd)), max(scale, abs(fd))
    return worst, scale
