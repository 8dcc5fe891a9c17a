import numpy as np
import pytest

from d2gan.latent import interpolate


@pytest.mark.parametrize('mode', ['linear', 'slerp'])
def test_endpoints_and_shape(mode):
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((3, 16)), rng.standard_normal((3, 16))
    out = interpolate(z0, z1, steps=5, mode=mode).asnumpy().reshape(3, 5, 16)
    np.testing.assert_allclose(out[:, 0], z0, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[:, -1], z1, rtol=1e-5, atol=1e-5)


def test_linear_midpoint_and_slerp_keeps_norm():
    z0, z1 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(interpolate(z0, z1, 3).asnumpy()[1], [0.5, 0.5], atol=1e-6)
    mid = interpolate(z0, z1, 3, mode='slerp').asnumpy()[1]
    np.testing.assert_allclose(np.linalg.norm(mid), 1.0, atol=1e-5)


def test_bad_mode():
    with pytest.raises(ValueError, match='slerp'):
        interpolate(np.zeros(2), np.ones(2), mode='cubic')
