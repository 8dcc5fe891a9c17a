"""Photo <-> cartoon: two real, unpaired image domains with a known translation, offline.

Domain A are crops of real photographs that ship with scikit-image and scikit-learn
(astronaut, coffee, chelsea the cat, rocket, a Chinese temple, a flower); domain B are *other*
crops of the same photographs passed through a fixed cartoon filter, :func:`cartoonize`
(edge-preserving smoothing, brighter colours, colour quantisation, dark edges -- the look the
Photo2Cartoon project aims for). A and B are drawn with independent seeds, so no training
image of B is the cartoon of an image of A: the data is unpaired, as for horse2zebra. Because
the filter is known, the translation has a ground truth: for every test photo the folder also
holds its true cartoon, and for every test cartoon the photo it came from.

On disk it is the CycleGAN layout plus the answers::

    <root>/trainA/0000.png ...      photo crops
    <root>/trainB/0000.png ...      cartoons of other crops
    <root>/testA/  <root>/testB/    the same for testing
    <root>/truth/testA/0000.png     cartoonize(testA/0000.png)  (the answer of A -> B)
    <root>/truth/testB/0000.png     the photo testB/0000.png was made from  (B -> A)

PNG files, so the one-pixel edges survive; everything is seeded and the same on every machine.
"""
import json
import os

import cv2
import numpy as np

from .download import generated_is_current, write_manifest

#: photographs in scikit-image (``skimage.data.<name>``) and scikit-learn (sample images)
SKIMAGE_PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket')
SKLEARN_PHOTOS = ('china.jpg', 'flower.jpg')
DEFAULT_SPLITS = {'train': 400, 'test': 100}
#: bump when the crops or the filter change, so cached copies on disk are rebuilt
#: (2: crops without texture are drawn again, see :func:`textured_crop`)
GENERATOR_VERSION = 2
#: the least standard deviation (pixels in [0, 1], all channels pooled) a written image has
MIN_STD = 0.02


def source_photos():
    """The real photographs, uint8 RGB ``(H, W, 3)``, in a fixed order."""
    import skimage.data
    from sklearn.datasets import load_sample_image
    photos = [getattr(skimage.data, name)() for name in SKIMAGE_PHOTOS]
    return photos + [load_sample_image(name) for name in SKLEARN_PHOTOS]


def random_crop(photos, rng, size, min_frac=0.25, max_frac=0.7):
    """A random square crop of a random photo, side ``min_frac..max_frac`` of the photo's
    shorter side, maybe mirrored, resized to ``size x size`` (uint8 RGB)."""
    photo = photos[int(rng.integers(len(photos)))]
    h, w = photo.shape[:2]
    side = int(rng.uniform(min_frac, max_frac) * min(h, w))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = photo[y:y + side, x:x + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)


def textured_crop(photos, rng, size, filter=None, min_std=MIN_STD):
    """``random_crop``, drawn again (from the same ``rng``) until ``filter(crop)`` (or the crop
    itself) has a standard deviation of at least ``min_std``; returns ``(crop, filtered)``.

    Why: a crop of a flat region (sky, a wall) is a *constant* image after the cartoon filter's
    colour quantisation. Instance normalisation of a constant channel divides by sqrt(eps)
    instead of its spread, so each of a generator's normalisation layers multiplies the
    backward gradient by about 1 / sqrt(1e-5) = 316: seven of them overflow float32 and U-GAT-IT
    trained on such an image diverges (NaN weights after about 200 iterations). Real datasets
    (horse2zebra, selfie2anime) hold no constant images; this one no longer does either."""
    for _ in range(1000):
        crop = random_crop(photos, rng, size)
        out = crop if filter is None else filter(crop)
        if out.astype(np.float32).std() / 255 >= min_std:
            return crop, out
    raise RuntimeError(f'no crop with a standard deviation of at least {min_std} in 1000 draws')


def cartoonize(image, levels=4, saturation=1.6, edge_low=60, edge_high=140, edge_value=24):
    """The cartoon filter (uint8 RGB in, uint8 RGB out), a fixed function of the image.

    1. bilateral filter: smooths textures, keeps the edges between regions;
    2. saturation times ``saturation`` (in HSV): the flat, vivid colours of cartoons;
    3. each RGB channel posterised to ``levels`` values (``levels ** 3`` colours at most);
    4. Canny edges of the smoothed image painted dark (``edge_value``): the ink lines.
    """
    smooth = cv2.bilateralFilter(np.ascontiguousarray(image), 5, 50, 5)
    hsv = cv2.cvtColor(smooth, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255)
    vivid = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    step = 256 // levels
    flat = (vivid // step) * step + step // 2
    edges = cv2.Canny(cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY), edge_low, edge_high) > 0
    flat[edges] = edge_value
    return flat.astype(np.uint8)


def palette_fraction(images, levels=4, tolerance=16):
    """Fraction of the pixels of ``images`` (float NCHW in [-1, 1]) whose colour is one of the
    cartoon filter's posterised colours: every channel within ``tolerance`` (of 255) of one of
    the ``levels`` values of :func:`cartoonize` (the dark ink lines, 24, count as the lowest).

    A measure of the *style* that needs no pairing: true cartoons score 1, photos about 0.1
    (the share of their pixels that fall near the grid by chance). Colour drift or blur lowers
    it, so it complements the L1 error against the known answer.
    """
    x = (np.clip(np.asarray(images, np.float32), -1, 1) + 1) * 127.5
    step = 256 // levels
    values = np.arange(levels, dtype=np.float32) * step + step // 2
    distance = np.abs(x[..., None] - values).min(axis=-1)          # (N, C, H, W)
    return float((distance <= tolerance).all(axis=1).mean())


def ink_contrast(images, cartoons, edge_value=24, tolerance=3):
    """How much darker ``images`` are on the ink lines of ``cartoons`` than off them (both
    float NCHW in [-1, 1], the same size): the mean of ``1 - brightness`` of ``images`` over
    the pixels where ``cartoons`` is ink (every channel within ``tolerance`` of ``edge_value``,
    of 255; the darkest posterised colour, 32, is not ink) minus its mean over the other pixels.

    For photo -> cartoon, ``cartoons`` are the true cartoons of the inputs: the true cartoons
    score about 0.5, the photos themselves much less, and an image that is merely dark all over
    scores 0 -- the number tells whether a translation draws lines where the filter draws them.
    Returns NaN when ``cartoons`` has no ink pixel (or nothing but ink).
    """
    x = (np.clip(np.asarray(images, np.float32), -1, 1) + 1) / 2
    c = (np.clip(np.asarray(cartoons, np.float32), -1, 1) + 1) * 127.5
    if x.shape != c.shape:
        raise ValueError(f'images {x.shape} and cartoons {c.shape} differ in shape')
    ink = (np.abs(c - edge_value) <= tolerance).all(axis=1)               # (N, H, W)
    if ink.all() or not ink.any():
        return float('nan')
    darkness = 1 - x.mean(axis=1)
    return float(darkness[ink].mean() - darkness[~ink].mean())


def _manifest(splits, size, seed):
    return dict(generator='d2gan.data.cartoon_synth', version=GENERATOR_VERSION,
                splits=splits, size=size, seed=seed)


def _write(path, image):
    cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def _clear(folder):
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith('.png'):
            os.remove(os.path.join(folder, name))


def make_photo2cartoon(root, splits=None, size=64, seed=0, overwrite=False):
    """Write the photo/cartoon dataset to ``root`` unless an identical copy is there; return it.

    Parameters
    ----------
    splits : dict, optional
        Images *per domain* of each split; default ``{'train': 400, 'test': 100}``.
    size : int
        Side of the square images (crops are filtered at this size, so the truth is exact).
    seed : int
        Photo crop ``i`` of domain ``d`` (0 = A, 1 = B) in split ``k`` (0 = train, 1 = test)
        comes from the seed ``[seed, k, d, i]``.
    """
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    unknown = set(splits) - {'train', 'test'}
    if unknown:
        raise ValueError(f'splits are train and test, got {sorted(unknown)}')
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    manifest = _manifest(splits, size, seed)
    if generated_is_current(root, manifest, overwrite):
        return root
    print(f'cutting {2 * sum(splits.values())} photo/cartoon crops ({size}x{size}) into {root} '
          '(once; later runs reuse them)', flush=True)
    photos = source_photos()
    for k, split in enumerate(('train', 'test')):
        if split not in splits:
            continue
        folders = {d: os.path.join(root, split + d) for d in 'AB'}
        if split == 'test':
            folders.update({'tA': os.path.join(root, 'truth', 'testA'),
                            'tB': os.path.join(root, 'truth', 'testB')})
        for folder in folders.values():
            _clear(folder)
        for i in range(splits[split]):
            name = f'{i:04d}.png'
            photo, _ = textured_crop(photos, np.random.default_rng([seed, k, 0, i]), size)
            _write(os.path.join(folders['A'], name), photo)
            source, cartoon = textured_crop(photos, np.random.default_rng([seed, k, 1, i]), size,
                                            cartoonize)
            _write(os.path.join(folders['B'], name), cartoon)
            if split == 'test':
                _write(os.path.join(folders['tA'], name), cartoonize(photo))
                _write(os.path.join(folders['tB'], name), source)
    write_manifest(root, manifest)
    return root


def image_size_of(root):
    """The image size the dataset at ``root`` was generated with."""
    with open(os.path.join(root, 'manifest.json')) as f:
        return json.load(f)['size']
