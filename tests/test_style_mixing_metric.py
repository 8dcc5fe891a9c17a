"""mixing_follows: which styles decide which factor. A stand-in generator whose first style
places the shape and whose last style colours it must be scored as exactly that."""
import numpy as np
import pytest
from mxnet import nd

from d2gan.data import colour_shapes as cs
from d2gan.metrics.style_mixing import factor_distance, mixing_follows
from d2gan.models.style_mixing import unmixed_images

NUM_WS = 4


class LayoutFirstColourLast:
    """``map``: style k of image i is ``z[i]``; ``synthesis``: a disc placed by style 0's
    first two numbers and coloured by style ``NUM_WS - 1``'s third."""
    num_ws = NUM_WS

    def map(self, z, truncation_psi=1.0):
        return nd.repeat(nd.expand_dims(z, 1), NUM_WS, axis=1)

    def synthesis(self, ws):
        w = ws.asnumpy()
        images = []
        for first, last in zip(w[:, 0], w[:, -1]):
            cx, cy = 16 + 4 * np.tanh(first[:2])
            hue = (np.tanh(last[2]) + 1) / 2 * 0.9
            alpha = cs.shape_mask('disc', cx, cy, 6, 32)[..., None]
            rgb = np.array(cs.BACKGROUND) * (1 - alpha) + cs.hue_colour(hue) * alpha
            images.append(rgb.transpose(2, 0, 1) * 2 - 1)
        return nd.array(np.stack(images))


FACTORS = {'cx': 'value', 'cy': 'value', 'hue': 'hue', 'shape': 'category'}


def test_coarse_layout_fine_colour():
    rng = np.random.default_rng(0)
    z1 = nd.array(rng.standard_normal((5, 3)))
    z2 = nd.array(rng.standard_normal((6, 3)))
    table = mixing_follows(LayoutFirstColourLast(), cs.measure_shapes, FACTORS, z1, z2)
    assert list(table.index) == [1, 2, 3]
    assert (table['pairs'] == 1).all()
    assert (table['cx'] == 1).all() and (table['cy'] == 1).all()    # style 0: always from z1
    assert (table['hue'] == 0).all()                                # last style: from z2
    assert table['shape'].isna().all()            # every source is a disc: no pair differs


def test_unmixed_images_are_the_generators_own():
    G = LayoutFirstColourLast()
    z = nd.array(np.random.default_rng(1).standard_normal((3, 3)))
    assert np.array_equal(unmixed_images(G, z).asnumpy(), G.synthesis(G.map(z)).asnumpy())


def test_factor_distances_and_bad_kinds():
    assert factor_distance([0.95], [0.05], 'hue')[0] == pytest.approx(0.1)
    assert list(factor_distance([1, 2], [1, 3], 'category')) == [0, 1]
    with pytest.raises(ValueError, match='unknown factor kind'):
        factor_distance([1], [1], 'angle')
    with pytest.raises(ValueError, match="factor 'cx'"):
        mixing_follows(LayoutFirstColourLast(), cs.measure_shapes, {'cx': 'angle'},
                       nd.zeros((1, 3)), nd.zeros((1, 3)))
