"""The colour shapes (the StyleGAN section's colour data): every factor drawn is read back
from the pixels, the shapes are whole and of equal area, bad arguments are refused."""
import numpy as np
import pytest

from d2gan.data import load_dataset
from d2gan.data import colour_shapes as cs
from d2gan.metrics.style_mixing import factor_distance


@pytest.fixture(scope='module')
def drawn():
    return cs.colour_shapes(600, seed=5)


def test_images_and_ground_truth(drawn):
    X, truth = drawn
    assert X.shape == (600, 3, 32, 32) and X.dtype == np.float32
    assert -1 <= X.min() and X.max() <= 1
    assert sorted(truth) == ['cx', 'cy', 'hue', 'radius', 'shape']
    assert set(np.unique(truth['shape'])) == {0, 1, 2}
    assert 4.5 <= truth['radius'].min() and truth['radius'].max() <= 8
    again, _ = cs.colour_shapes(600, seed=5)
    other, _ = cs.colour_shapes(600, seed=6)
    assert np.array_equal(X, again) and not np.array_equal(X, other)


def test_measure_reads_back_every_factor(drawn):
    X, truth = drawn
    m = cs.measure_shapes(X)
    assert m['found'].all()
    assert np.mean(m['shape'] == truth['shape']) >= 0.99
    for k in ('cx', 'cy', 'radius'):
        assert np.abs(m[k] - truth[k]).max() < 0.6, k
    assert factor_distance(m['hue'], truth['hue'], 'hue').max() < 0.01


def test_nothing_found_on_a_blank_image():
    blank = np.broadcast_to(np.array(cs.BACKGROUND, np.float32)[:, None, None] * 2 - 1,
                            (1, 3, 32, 32))
    m = cs.measure_shapes(blank)
    assert not m['found'][0] and m['shape'][0] == -1 and np.isnan(m['hue'][0])


@pytest.mark.parametrize('shape', cs.SHAPES)
def test_shapes_have_the_discs_area_and_fit(shape):
    radius = 7.0
    mask = cs.shape_mask(shape, 16, 18, radius, 32)
    assert mask.sum() == pytest.approx(np.pi * radius ** 2, rel=0.02)
    left, right, up, down = cs.shape_extent(shape, radius)
    cols = np.flatnonzero(mask.sum(0) > 0)
    rows = np.flatnonzero(mask.sum(1) > 0)
    assert 16 - left - 1 <= cols[0] and cols[-1] <= 16 + right
    assert 18 - up - 1 <= rows[0] and rows[-1] <= 18 + down


def test_sizes_scale_with_the_image():
    X, truth = cs.colour_shapes(50, size=64, seed=1)
    m = cs.measure_shapes(X)
    assert X.shape == (50, 3, 64, 64)
    assert np.abs(m['radius'] - truth['radius']).max() < 1.0 and truth['radius'].min() >= 9


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='size >= 16'):
        cs.colour_shapes(10, size=8)
    with pytest.raises(ValueError, match='radii'):
        cs.colour_shapes(10, min_radius=5, max_radius=4)
    with pytest.raises(ValueError, match='unknown shape'):
        cs.shape_mask('star', 16, 16, 5, 32)


def test_registered_for_the_cli():
    X, y = load_dataset('colour-shapes', limit=20)
    assert X.shape == (20, 3, 32, 32) and y.shape == (20,) and y.dtype == np.int32
    assert np.array_equal(X, cs.colour_shapes(4000)[0][:20])     # the first 20 of the set


def test_summary_of_real_and_of_collapsed_sets(drawn):
    X, truth = drawn
    real = cs.summarize_shapes(X)
    assert real['found'] == 1 and all(0.25 < real[s] < 0.42 for s in cs.SHAPES)
    assert real['hue concentration'] < 0.15 and 3.5 < real['centre spread'] < 6
    assert abs(real['size mean'] - truth['radius'].mean()) < 0.5 and real['pixel spread'] > 0.2
    one = cs.summarize_shapes(np.repeat(X[:1], 50, axis=0))       # one image, 50 times
    assert one['hue concentration'] == pytest.approx(1)
    assert one['pixel spread'] == pytest.approx(0, abs=1e-6)
    assert one['centre spread'] == pytest.approx(0, abs=1e-9)
    assert one['size spread'] == pytest.approx(0, abs=1e-9)
    blank = cs.summarize_shapes(np.full((4, 3, 32, 32), -0.76, np.float32))
    assert blank['found'] == 0 and np.isnan(blank['hue concentration'])
