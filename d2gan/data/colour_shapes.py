"""Coloured shapes on a dark ground: a colour dataset whose *layout* and *colour* are separate,
measurable factors -- what StyleGAN's coarse and fine styles are said to control.

Every image holds one solid shape. Its factors are drawn independently and each can be read
back from the pixels (:func:`measure_shapes`), so a generator's samples and its style-mixing
grids can be scored without a feature network:

=========  ==============================================  ================================
factor     drawn as                                        read back as
=========  ==============================================  ================================
shape      ``disc``, ``square`` or ``triangle`` (upright,  fill of the shape's bounding box:
           equilateral), all of the same area              0.79 / 1.0 / 0.5
size       the radius of the disc of that area, uniform    ``sqrt(area / pi)`` of the mask
           in ``min_radius .. max_radius`` (32 px scale)
position   the centre, uniform where the shape fits        the mask's centroid
colour     the hue, uniform on the colour wheel (bright,   circular mean hue of the mask
           saturated)
=========  ==============================================  ================================

Images are drawn with 4x4 super-sampling (smooth edges) and generated in memory in a second;
nothing is downloaded or written.
"""
import cv2
import numpy as np

from .digit_domains import mean_hue

SHAPES = ('disc', 'square', 'triangle')
BACKGROUND = (0.12, 0.12, 0.14)
#: the box fill of each shape (its area over its bounding box's), at the perfect outline
BOX_FILL = {'disc': np.pi / 4, 'square': 1.0, 'triangle': 0.5}
SHAPE_DISTANCE = 0.3              # a pixel this far (RGB, [0, 1]) from the ground is the shape
_SQUARE = np.sqrt(np.pi) / 2      # half side of the square with the disc's area, per radius
_TRIANGLE = np.sqrt(np.pi / (3 * np.sqrt(3)))   # inradius of that triangle, per radius


def shape_extent(shape, radius):
    """``(left, right, up, down)``: how far the shape reaches from its centre (pixels)."""
    if shape == 'disc':
        return radius, radius, radius, radius
    if shape == 'square':
        s = _SQUARE * radius
        return s, s, s, s
    a = _TRIANGLE * radius                        # inradius; circumradius 2a, half side sqrt(3) a
    return np.sqrt(3) * a, np.sqrt(3) * a, 2 * a, a


def shape_mask(shape, cx, cy, radius, size, supersample=4):
    """Coverage in [0, 1] of each pixel of a ``size`` x ``size`` image (float32)."""
    k = supersample
    t = (np.arange(size * k) + 0.5) / k           # sample points in pixel units
    x, y = t[None, :], t[:, None]
    dx, dy = x - cx, y - cy
    if shape == 'disc':
        inside = dx ** 2 + dy ** 2 <= radius ** 2
    elif shape == 'square':
        inside = np.maximum(np.abs(dx), np.abs(dy)) <= _SQUARE * radius
    elif shape == 'triangle':                     # y points down: the apex is at cy - 2a
        a = _TRIANGLE * radius
        inside = ((dy <= a) & (np.sqrt(3) / 2 * dx - 0.5 * dy <= a)
                  & (-np.sqrt(3) / 2 * dx - 0.5 * dy <= a))
    else:
        raise ValueError(f'unknown shape {shape!r}: use one of {SHAPES}')
    return inside.reshape(size, k, size, k).mean(axis=(1, 3)).astype(np.float32)


def hue_colour(hue):
    """The bright, saturated RGB colour (floats in [0, 1]) of ``hue`` in [0, 1)."""
    hsv = np.uint8([[[int(round(hue * 180)) % 180, 217, 235]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0] / 255.0


def colour_shapes(num, size=32, seed=0, min_radius=4.5, max_radius=8.0):
    """``num`` images, float32 ``(num, 3, size, size)`` in [-1, 1], and their ground truth:
    a dict of arrays ``shape`` (index into :data:`SHAPES`), ``radius``, ``cx``, ``cy``
    (pixels at ``size``) and ``hue``. Radii are given at 32 px and scaled to ``size``."""
    if num < 1 or size < 16:
        raise ValueError(f'need num >= 1 and size >= 16, got num={num}, size={size}')
    if not 0 < min_radius <= max_radius <= 9:
        raise ValueError('radii must satisfy 0 < min_radius <= max_radius <= 9 (at 32 px), '
                         f'got {min_radius}, {max_radius}')
    rng = np.random.default_rng(seed)
    scale = size / 32
    shape = rng.integers(0, len(SHAPES), num)
    radius = rng.uniform(min_radius, max_radius, num) * scale
    hue = rng.uniform(0, 1, num)
    cx, cy = np.empty(num), np.empty(num)
    margin = 1.0 * scale
    ground = np.array(BACKGROUND, np.float32)
    images = np.empty((num, size, size, 3), np.float32)
    for i in range(num):
        left, right, up, down = shape_extent(SHAPES[shape[i]], radius[i])
        cx[i] = rng.uniform(left + margin, size - right - margin)
        cy[i] = rng.uniform(up + margin, size - down - margin)
        alpha = shape_mask(SHAPES[shape[i]], cx[i], cy[i], radius[i], size)[..., None]
        images[i] = ground * (1 - alpha) + hue_colour(hue[i]) * alpha
    X = images.transpose(0, 3, 1, 2) * 2 - 1
    return X, dict(shape=shape, radius=radius, cx=cx, cy=cy, hue=hue)


def measure_shapes(images):
    """The factors read from pixels (images NCHW in [-1, 1]): a dict of arrays ``found``
    (one shape-sized region is there), ``shape`` (nearest box fill; -1 where not found),
    ``radius`` (``sqrt(area / pi)``), ``cx``, ``cy`` and ``hue`` (NaN where not found)."""
    x = (np.asarray(images, np.float64).transpose(0, 2, 3, 1) + 1) / 2
    n, size = len(x), x.shape[1]
    out = dict(found=np.zeros(n, bool), shape=np.full(n, -1), radius=np.full(n, np.nan),
               cx=np.full(n, np.nan), cy=np.full(n, np.nan), hue=np.full(n, np.nan))
    fills = np.array([BOX_FILL[s] for s in SHAPES])
    rows, cols = np.mgrid[0:size, 0:size]
    for i in range(n):
        mask = np.sqrt(((x[i] - BACKGROUND) ** 2).sum(-1)) > SHAPE_DISTANCE
        area = mask.sum()
        if area < (2 * size / 32) ** 2 * np.pi:
            continue
        r, c = rows[mask], cols[mask]
        fill = area / ((r.max() - r.min() + 1) * (c.max() - c.min() + 1))
        out['found'][i] = fill > 0.35
        out['shape'][i] = int(np.argmin(np.abs(fills - fill)))
        out['radius'][i] = np.sqrt(area / np.pi)
        out['cx'][i], out['cy'][i] = c.mean() + 0.5, r.mean() + 0.5
        out['hue'][i] = mean_hue(x[i][mask])
    return out


def summarize_shapes(images):
    """What a set of images holds, read from pixels (a dict, one number per entry): the
    fraction in which a shape was ``found``; among those, the fraction of each shape, the
    ``hue concentration`` (length of the mean hue vector: 0 when every hue is equally common,
    1 when all shapes have one colour), the spread of the centres and the mean and spread of
    the sizes (pixels); and the ``pixel spread`` (per-pixel standard deviation over the set,
    averaged: 0 when every image is the same)."""
    m = measure_shapes(images)
    found = m['found']
    counts = np.bincount(m['shape'][found], minlength=len(SHAPES)) / max(found.sum(), 1)
    hues = m['hue'][found]
    with np.errstate(invalid='ignore'):
        out = {'found': float(found.mean()),
               **{name: float(c) for name, c in zip(SHAPES, counts)},
               'hue concentration': float(np.abs(np.mean(np.exp(2j * np.pi * hues))))
               if len(hues) else float('nan'),
               'centre spread': float(np.nanstd(m['cx'][found]) + np.nanstd(m['cy'][found])) / 2
               if found.sum() > 1 else float('nan'),
               'size mean': float(np.nanmean(m['radius'][found])) if found.any() else float('nan'),
               'size spread': float(np.nanstd(m['radius'][found])) if found.sum() > 1
               else float('nan'),
               'pixel spread': float(np.asarray(images).std(axis=0).mean())}
    return out


__all__ = ['SHAPES', 'colour_shapes', 'measure_shapes', 'summarize_shapes', 'shape_mask',
           'shape_extent', 'hue_colour']
