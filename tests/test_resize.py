"""``d2gan.nn.resize_bilinear``: MXNet's ``BilinearResize2D`` values, exact linear weights, and a
backward pass that gives the same bits every time (MXNet's own does not on 2 threads)."""
import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet: thread settings)
import mxnet as mx
from mxnet import autograd, nd
from d2gan.nn import resize_bilinear
from d2gan.nn.resize import interpolation_matrix


@pytest.mark.parametrize('align_corners', [True, False])
@pytest.mark.parametrize('size_in,size_out', [((20, 20), (112, 112)), ((9, 13), (5, 30))])
def test_equals_mxnet_bilinear_resize(size_in, size_out, align_corners):
    x = nd.array(np.random.default_rng(0).standard_normal((2, 3) + size_in).astype('float32'))
    expected = nd.contrib.BilinearResize2D(x, height=size_out[0], width=size_out[1],
                                           align_corners=align_corners).asnumpy()
    got = resize_bilinear(x, *size_out, align_corners=align_corners).asnumpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5)


def test_weights_interpolate_linear_functions_exactly():
    for align in (True, False):
        m = interpolation_matrix(7, 23, align).astype('float64')
        np.testing.assert_allclose(m.sum(axis=1), 1, atol=1e-6)       # a partition of unity
        assert (m >= 0).all()
    m = interpolation_matrix(7, 25, True).astype('float64')
    ramp = np.arange(7.0)
    np.testing.assert_allclose(m @ ramp, np.linspace(0, 6, 25), atol=1e-5)
    np.testing.assert_allclose(interpolation_matrix(4, 4, False), np.eye(4))
    with pytest.raises(ValueError, match='sizes must be positive'):
        interpolation_matrix(0, 3)


def test_backward_is_the_transpose_and_repeats_bit_for_bit():
    rng = np.random.default_rng(1)
    x = nd.array(rng.standard_normal((2, 3, 24, 24)).astype('float32'))
    g = rng.standard_normal((2, 3, 112, 112)).astype('float32')
    x.attach_grad()
    grads = []
    for _ in range(20):
        with autograd.record():
            y = resize_bilinear(x, 112, 112)
        y.backward(nd.array(g))
        grads.append(x.grad.asnumpy().copy())
    assert all((grad == grads[0]).all() for grad in grads)
    r = interpolation_matrix(24, 112).astype('float64')
    expected = np.einsum('oh,ncop,pw->nchw', r, g.astype('float64'), r)
    np.testing.assert_allclose(grads[0], expected, rtol=0, atol=1e-4)
