"""``d2gan_rows_norm_affine`` (``d2gan/nn/csrc/rows_norm_affine.cc``), the affine instance norm of
:class:`d2gan.nn.AffineInstanceNorm` and of the gradient penalty in one operator each way,
equals the two-operator route it replaced (``d2gan_rows_norm``, then ``d2gan_rows_affine``) in
values and in the gradients of the rows, gamma and beta: float64 to rounding, float32 to 1e-6;
one pair per row or per channel; a layer without a trainable scale (AttGAN's critic)."""
import numpy as np
import pytest

import d2gan  # noqa: F401  (OpenMP settings before MXNet loads)
import mxnet as mx
from mxnet import autograd, nd

from d2gan.nn import AffineInstanceNorm, native

pytestmark = pytest.mark.skipif(not native.available(),
                                reason='the C++ operators are not built here (no compiler, GPU)')


def run(fused, x, gamma, beta, head, dtype):
    arrays = [nd.array(a, dtype=dtype) for a in (x, gamma, beta)]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        if fused:
            y = nd.d2gan_rows_norm_affine(*arrays, eps=1e-5)
        else:
            y = nd.d2gan_rows_affine(nd.d2gan_rows_norm(arrays[0], eps=1e-5), *arrays[1:])
        (y * nd.array(head, dtype=dtype)).sum().backward()
    return [y.asnumpy()] + [a.grad.asnumpy() for a in arrays]


@pytest.mark.parametrize('dtype,tolerance', [('float64', 1e-14), ('float32', 1e-6)])
@pytest.mark.parametrize('rows,length,period', [(12, 50, 4), (6, 7, 6), (8, 1024, 2)])
def test_equals_norm_then_affine(rows, length, period, dtype, tolerance):
    rng = np.random.default_rng(rows + length)
    x, head = rng.normal(1.0, 3.0, (rows, length)), rng.normal(size=(rows, length))
    gamma, beta = rng.normal(size=period), rng.normal(size=period)
    fused = run(True, x, gamma, beta, head, dtype)
    for name, a, b in zip(('y', 'x', 'gamma', 'beta'), fused,
                          run(False, x, gamma, beta, head, dtype)):
        assert np.abs(a - b).max() <= tolerance * np.abs(b).max(), name
        assert np.abs(b).max() > 1e-3, name


def test_affine_instance_norm_without_a_trainable_scale_trains_its_shift():
    layer = AffineInstanceNorm(in_channels=3)              # Gluon's default: no scale
    layer.initialize()
    layer.hybridize()
    x = nd.random.normal(shape=(2, 3, 4, 4))
    with autograd.record():
        y = layer(x)
        (y * nd.random.normal(shape=y.shape)).sum().backward()
    assert layer.gamma.grad_req == 'null'
    np.testing.assert_allclose(y.mean(axis=(2, 3)).asnumpy(), 0, atol=1e-5)
    assert np.abs(layer.beta.grad().asnumpy()).max() > 1e-3


def test_pairs_that_do_not_fit_the_rows_are_refused_by_name():
    with pytest.raises(mx.base.MXNetError, match='gamma and beta need one value per row'):
        nd.d2gan_rows_norm_affine(nd.ones((6, 4)), nd.ones((4,)), nd.ones((4,))).wait_to_read()
