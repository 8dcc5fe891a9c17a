"""``d2gan_rows_norm_grad`` (``d2gan/nn/csrc/rows_norm_grad.cc``): an affine instance norm's
input gradient on rows, ``dx = s (d - mean(d)) - s^3 c mean(d c)`` with ``d = gamma dy``, as a
forward operator -- its value against NumPy, its backward (in ``x``, ``dy`` and ``gamma``)
against central finite differences of that formula, in float64; float32 against float64."""
import numpy as np
import pytest

import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
import mxnet as mx
from mxnet import autograd, nd

from d2gan.nn import native

pytestmark = pytest.mark.skipif(not native.available(),
                                reason='the C++ operators are not built here (no compiler, GPU)')
EPS = float(np.float32(1e-5))       # the operator holds eps as a float32


def formula(x, dy, gamma):
    rows = x.shape[0]
    c = x - x.mean(axis=1, keepdims=True)
    s = 1 / np.sqrt((c * c).mean(axis=1, keepdims=True) + EPS)
    d = np.tile(gamma, rows // gamma.size)[:, None] * dy
    return s * (d - d.mean(axis=1, keepdims=True)) - s ** 3 * c * (d * c).mean(axis=1,
                                                                              keepdims=True)


def arrays(rows, length, period, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(1.0, 2.0, (rows, length)), rng.normal(size=(rows, length)),
            rng.normal(size=period), rng.normal(size=(rows, length)))


@pytest.mark.parametrize('rows,length,period', [(6, 20, 3), (4, 9, 4), (2, 64, 1)])
def test_value_and_gradients_match_the_formula_and_finite_differences(rows, length, period):
    x, dy, gamma, h = arrays(rows, length, period)
    inputs = [nd.array(a, dtype='float64') for a in (x, dy, gamma)]
    for a in inputs:
        a.attach_grad()
    with autograd.record():
        out = nd.d2gan_rows_norm_grad(*inputs, eps=1e-5)
        (out * nd.array(h, dtype='float64')).sum().backward()
    np.testing.assert_allclose(out.asnumpy(), formula(x, dy, gamma), rtol=0, atol=1e-13)
    values = [x, dy, gamma]
    for which, analytic in enumerate(a.grad.asnumpy() for a in inputs):
        numeric = np.zeros_like(values[which])
        for index in np.ndindex(*numeric.shape):
            moved = []
            for sign in (1, -1):
                args = [v.copy() for v in values]
                args[which][index] += sign * 1e-6
                moved.append((formula(*args) * h).sum())
            numeric[index] = (moved[0] - moved[1]) / 2e-6
        assert np.abs(analytic - numeric).max() < 1e-7 * np.abs(numeric).max(), which
        assert np.abs(numeric).max() > 1e-3


def test_float32_agrees_with_float64():
    x, dy, gamma, h = arrays(8, 256, 4, seed=1)
    results = {}
    for dtype in ('float32', 'float64'):
        inputs = [nd.array(a, dtype=dtype) for a in (x, dy, gamma)]
        for a in inputs:
            a.attach_grad()
        with autograd.record():
            out = nd.d2gan_rows_norm_grad(*inputs, eps=1e-5)
            (out * nd.array(h, dtype=dtype)).sum().backward()
        results[dtype] = [out.asnumpy()] + [a.grad.asnumpy() for a in inputs]
    for a, b in zip(results['float32'], results['float64']):
        assert np.abs(a - b).max() < 1e-5 * np.abs(b).max()


def test_shapes_that_do_not_fit_are_refused_by_name():
    with pytest.raises(mx.base.MXNetError, match='gamma needs one value per row'):
        nd.d2gan_rows_norm_grad(nd.ones((6, 4)), nd.ones((6, 4)), nd.ones((4,))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match='x and dy must be 2-D arrays of one shape'):
        nd.d2gan_rows_norm_grad(nd.ones((6, 4)), nd.ones((6, 5)), nd.ones((3,))).wait_to_read()
