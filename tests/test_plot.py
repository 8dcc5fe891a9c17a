import matplotlib
matplotlib.use('Agg')
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import d2gan  # noqa: E402


def test_make_grid_layout_and_range():
    images = np.stack([np.full((1, 4, 4), v) for v in (-1.0, 0.0, 1.0)]).astype('float32')
    grid = d2gan.make_grid(images, nrow=2, padding=1)
    assert grid.shape == (2 * 5 + 1, 2 * 5 + 1, 1)
    assert grid[1, 1, 0] == 0.0 and grid[1, 6, 0] == 0.5 and grid[6, 1, 0] == 1.0
    assert grid[6, 6, 0] == 1.0  # empty cell keeps the pad value


def test_save_grid_writes_png(tmp_path):
    path = d2gan.save_grid(np.zeros((4, 3, 8, 8), 'float32'), str(tmp_path / 'a' / 'g.png'), 2)
    img = matplotlib.image.imread(path)
    assert img.shape[:2] == (2 * 10 + 2, 2 * 10 + 2)


def test_bad_image_shape():
    with pytest.raises(ValueError, match='expected images of shape'):
        d2gan.make_grid(np.zeros((2, 2)))


def test_animator_collects_and_draws():
    anim = d2gan.Animator(live=False)
    anim.add(1, {'loss_D': 0.5, 'loss_G': 1.0}, images=np.zeros((4, 1, 8, 8), 'float32'))
    anim.add(2, {'loss_D': 0.4, 'loss_G': 1.1})
    fig = anim.figure()
    assert len(fig.axes) == 2
    assert [len(line.get_xdata()) for line in fig.axes[0].lines] == [2, 2]


def test_heatmap_overlay_marks_the_hottest_cell_red():
    images = np.zeros((2, 3, 8, 8), 'float32')                         # grey images
    heat = np.zeros((2, 1, 2, 2), 'float32')
    heat[0, 0, 0, 0] = 5.0                                              # top-left quarter hot
    heat[1, 0, 1, 1] = -1.0                                             # all hot but one cell
    out = d2gan.heatmap_overlay(images, heat, alpha=1.0)
    assert out.shape == (2, 3, 8, 8) and out.min() >= -1 and out.max() <= 1
    rgb = (out + 1) / 2
    assert rgb[0, 0, :4, :4].min() > 0.45 and rgb[0, 2, :4, :4].max() < 0.1   # red-brown
    assert rgb[0, 2, 4:, 4:].min() > 0.45                                      # cold: blue
    assert rgb[1, 2, 4:, 4:].min() > 0.45 and rgb[1, 0, :4, :4].min() > 0.45
    with pytest.raises(ValueError, match='heatmaps of shape'):
        d2gan.heatmap_overlay(images, heat[:, 0])
