"""Paired (aligned) image datasets for image-to-image translation (pix2pix).

Two on-disk formats, one reader:

* **pix2pix folders** -- ``<root>/{train,val,test}/*.jpg``, each file the pair A|B side by
  side (``facades``, ``cityscapes``, ``maps``, ``edges2shoes`` of Isola et al., and
  :mod:`d2gan.data.facades_synth`): :class:`AlignedPairFolder`;
* **pair lists** (PaddleCV's ``make_pair_data.py``) -- a text file with one
  ``<input path>\\t<target path>`` line per example, paths relative to the dataset folder:
  :class:`PairListDataset`, written by :func:`make_pair_list`.

``direction='AtoB'`` translates the left/first image into the right/second one, ``'BtoA'`` the
other way (``'A2B'``/``'B2A'`` are accepted too). :class:`PairedBatches` turns either into
reproducible mini-batches ``(A, B)`` of float32 NCHW in ``[-1, 1]`` with the paper's random
jitter: resize to 286, random 256 crop, random horizontal flip -- the same crop and flip for
both images of a pair, scaled as ``load = round(286 / 256 * size)`` for other sizes.
"""
import os

import cv2
import numpy as np
import mxnet as mx

from .download import data_root, fetch_archive
from .errors import DatasetFormatError, DatasetNotFoundError
from .facades_synth import make_synthetic_facades
from .image_folder import IMAGE_EXTENSIONS

PIX2PIX_URL = 'http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz'

#: The pix2pix datasets: split sizes, which side is which, and the usual direction.
#: No SHA-1 is published for these archives, so ``download_pix2pix`` records the SHA-1 of the
#: first download next to it (``<name>.tar.gz.sha1``) and checks every later copy against it.
PIX2PIX_DATASETS = {
    'facades': dict(splits={'train': 400, 'val': 100, 'test': 106}, direction='BtoA',
                    sides='A = photo, B = label colours (CMP facades)'),
    'cityscapes': dict(splits={'train': 2975, 'val': 500}, direction='BtoA',
                       sides='A = street photo, B = semantic label colours'),
    'maps': dict(splits={'train': 1096, 'val': 1098}, direction='AtoB',
                 sides='A = aerial photo, B = Google map'),
    'edges2shoes': dict(splits={'train': 49825, 'val': 200}, direction='AtoB',
                        sides='A = HED edges, B = shoe photo (UT Zappos50K)'),
}
SYNTH_FACADES = 'synth-facades'

_DIRECTIONS = {'AtoB': 'AtoB', 'A2B': 'AtoB', 'BtoA': 'BtoA', 'B2A': 'BtoA'}


def check_direction(direction):
    """``'AtoB'`` or ``'BtoA'`` (``'A2B'``/``'B2A'`` as in PaddleCV are mapped to these)."""
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
    return _DIRECTIONS[direction]


def default_direction(name):
    """The usual direction of a named dataset (labels -> photo for facades)."""
    if name == SYNTH_FACADES:
        return 'BtoA'
    return PIX2PIX_DATASETS.get(name, {}).get('direction', 'AtoB')


def _decode(path):
    try:
        image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    except (cv2.error, OSError):
        image = None
    if image is None:
        raise DatasetFormatError(f'cannot decode image file {path} (corrupt or not an image)')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def split_pair(image, path='<array>'):
    """An A|B image ``(H, 2W, 3)`` -> ``(A, B)``, the left and right halves."""
    h, width = image.shape[:2]
    if width <= h:       # a photo, not a pair: its "halves" would be two slivers of one image
        raise DatasetFormatError(f'{path}: a paired image holds A and B side by side, so it is '
                                 f'wider than tall (e.g. 512x256), but it is {width}x{h}')
    w = width // 2
    return image[:, :w], image[:, w:2 * w]


class AlignedPairFolder:
    """The pix2pix format: every image in ``<root>/<split>`` is ``A|B`` side by side.

    ``dataset[i]`` is ``(input, target)``, uint8 RGB ``(H, W, 3)``: ``(A, B)`` for
    ``direction='AtoB'``, ``(B, A)`` for ``'BtoA'``.
    """

    def __init__(self, root, split='train', direction='AtoB'):
        self.root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.split, self.direction = split, check_direction(direction)
        folder = os.path.join(self.root, split)
        how = ('Expected pix2pix-style images (A and B side by side) in that folder; '
               'd2gan.data.download_pix2pix(name) fetches the real datasets and '
               "d2gan.data.load_paired_dataset('synth-facades') builds an offline one.")
        if not os.path.isdir(folder):
            raise DatasetNotFoundError(f'Paired dataset ({split} split)', folder, how)
        self.files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                            if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.'))
        if not self.files:
            raise DatasetNotFoundError(f'Paired dataset ({split} split)', folder,
                                       'The folder holds no images. ' + how)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        a, b = split_pair(_decode(self.files[i]), self.files[i])
        return (a, b) if self.direction == 'AtoB' else (b, a)


def read_path_list(list_file, root, widths, expected, what):
    """Rows of paths from a list file: one example per line, columns separated by tabs (or
    whitespace), blank lines skipped, paths joined to ``root``. A line whose number of columns
    is not in ``widths`` raises a :class:`DatasetFormatError` naming the line and ``expected``;
    so does a list without rows (``what`` names them)."""
    rows = []
    with open(list_file) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            fields = line.split('\t') if '\t' in line else line.split()
            if len(fields) not in widths:
                raise DatasetFormatError(f'{list_file}, line {number}: expected {expected}, '
                                         f'got {line!r}')
            rows.append(tuple(os.path.join(root, p) for p in fields))
    if not rows:
        raise DatasetFormatError(f'{list_file} lists no {what}')
    return rows


class PairListDataset:
    """Pairs listed in a text file, one ``<A path>\\t<B path>`` line each (PaddleCV format).

    Paths are relative to ``root`` (default: the list file's folder) unless absolute.
    ``dataset[i]`` is ``(input, target)`` uint8 RGB; ``direction='BtoA'`` swaps the columns.
    """

    def __init__(self, list_file, root=None, direction='AtoB'):
        list_file = os.path.abspath(os.path.expanduser(os.fspath(list_file)))
        if not os.path.isfile(list_file):
            raise DatasetNotFoundError('Pair list', list_file,
                                       'Write one with d2gan.data.make_pair_list.')
        self.root = os.path.dirname(list_file) if root is None else os.fspath(root)
        self.direction = check_direction(direction)
        self.pairs = read_path_list(list_file, self.root, (2,), '"<A path>\\t<B path>"',
                                    'pairs')

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        a, b = (_decode(p) for p in self.pairs[i])
        if a.shape != b.shape:
            raise DatasetFormatError(f'{self.pairs[i][0]} is {a.shape[:2]} but its partner '
                                     f'{self.pairs[i][1]} is {b.shape[:2]}')
        return (a, b) if self.direction == 'AtoB' else (b, a)


def make_pair_list(a_list, out_file, direction='AtoB'):
    """Pair every A image of ``a_list`` with its B image and write a pair list (PaddleCV style).

    ``a_list`` is a text file of A paths (``trainA/0001.jpg``, one per line) or a list of them.
    The B path replaces the *folder* suffix ``A`` by ``B`` (``trainA/x.jpg`` -> ``trainB/x.jpg``;
    file names are left alone). Lines are ``A\\tB`` for ``'AtoB'`` and ``B\\tA`` for ``'BtoA'``.
    Returns the number of pairs written.
    """
    direction = check_direction(direction)
    if isinstance(a_list, (str, os.PathLike)):
        with open(a_list) as f:
            a_paths = [line.strip() for line in f if line.strip()]
    else:
        a_paths = list(a_list)
    lines = []
    for a in a_paths:
        parts = a.replace('\\', '/').split('/')
        folders = [i for i, p in enumerate(parts[:-1]) if p.endswith('A')]
        if not folders:
            raise ValueError(f'{a!r}: no folder name ending in "A" (like trainA/) to turn into B')
        i = folders[-1]
        b = '/'.join(parts[:i] + [parts[i][:-1] + 'B'] + parts[i + 1:])
        lines.append(f'{a}\t{b}' if direction == 'AtoB' else f'{b}\t{a}')
    with open(out_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return len(lines)


def load_size_for(image_size):
    """The paper resizes to 286 before a random 256 crop; the same ratio for other sizes."""
    return int(round(image_size * 286 / 256))


def jitter_images(images, rng, image_size, load_size=None, flip=True):
    """Resize every image to ``load_size``, cut the same random ``image_size`` crop from each
    and flip all of them or none (one image for unpaired data, an aligned pair for pix2pix)."""
    load_size = load_size or load_size_for(image_size)
    images = [cv2.resize(x, (load_size, load_size), interpolation=cv2.INTER_CUBIC)
              if x.shape[:2] != (load_size, load_size) else x for x in images]
    y, x = (int(v) for v in rng.integers(0, load_size - image_size + 1, size=2))
    images = [im[y:y + image_size, x:x + image_size] for im in images]
    if flip and rng.random() < 0.5:
        images = [im[:, ::-1] for im in images]
    return images


def jitter_pair(a, b, rng, image_size, load_size=None, flip=True):
    """Resize both to ``load_size``, cut the same random ``image_size`` crop, maybe flip both."""
    a, b = jitter_images((a, b), rng, image_size, load_size, flip)
    return a, b


def to_tensor(images):
    """uint8 ``(N, H, W, C)`` -> float32 ``(N, C, H, W)`` in ``[-1, 1]``."""
    return (np.asarray(images, np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0)


def _resize(image, size):
    if image.shape[:2] == (size, size):
        return image
    interp = cv2.INTER_AREA if size < min(image.shape[:2]) else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=interp)


def seeded_pair_batches(loader, get, epoch, seed):
    """Lists ``(firsts, seconds)`` of each mini-batch of ``loader`` in epoch ``epoch``.

    ``get(i)`` gives example ``i`` as two aligned uint8 arrays. The order (when
    ``loader.shuffle``) and the jitter (when ``loader.jitter``: crop to ``loader.image_size``
    from ``loader.size``, flip) depend only on ``(seed, epoch)`` and the batch index, which is
    what makes a resumed run see the same batches. Shared by :class:`PairedBatches` and the
    Cityscapes-style semantic batches.
    """
    n, size = len(loader.dataset), loader.batch_size
    order = (np.random.default_rng([seed, epoch]).permutation(n) if loader.shuffle
             else np.arange(n))
    for k in range(len(loader)):
        rng = np.random.default_rng([seed, epoch, k, 1])
        firsts, seconds = [], []
        for i in order[k * size:(k + 1) * size]:
            a, b = get(int(i))
            if loader.jitter:
                a, b = jitter_pair(a, b, rng, loader.image_size, loader.size)
            firsts.append(a)
            seconds.append(b)
        yield firsts, seconds


class PairedBatches:
    """Reproducible mini-batches ``(A, B)`` (NDArrays, float32 NCHW in ``[-1, 1]``) of pairs.

    The order and the jitter of epoch ``e`` depend only on ``(seed, e)``, so a resumed run sees
    the batches an uninterrupted one would (as :class:`d2gan.ArrayBatches`).

    Parameters
    ----------
    dataset : AlignedPairFolder, PairListDataset, or anything with ``len`` and
        ``dataset[i] -> (input, target)`` uint8 ``(H, W, 3)``
    batch_size : int
    image_size : int
        Side of the square training crops.
    jitter : bool
        Resize to ``load_size_for(image_size)``, random crop, random flip (training); without
        it images are just resized to ``image_size`` (evaluation).
    cache : bool
        Decode every image once and keep it (uint8, at the load size) in memory -- right for
        facades-sized data; turn off for cityscapes / edges2shoes.
    """

    def __init__(self, dataset, batch_size=1, image_size=256, jitter=True, shuffle=True,
                 drop_last=True, cache=True, ctx=None):
        if batch_size <= 0:
            raise ValueError(f'batch_size must be positive, got {batch_size}')
        if drop_last and len(dataset) < batch_size:
            raise ValueError(f'dataset of {len(dataset)} pairs is smaller than one batch '
                             f'({batch_size})')
        self.dataset, self.batch_size, self.image_size = dataset, batch_size, image_size
        self.jitter, self.shuffle, self.drop_last = jitter, shuffle, drop_last
        self.size = load_size_for(image_size) if jitter else image_size
        self.ctx = ctx or mx.cpu()
        self._cache = [self._load(i) for i in range(len(dataset))] if cache else None

    def _load(self, i):
        a, b = self.dataset[i]
        return _resize(a, self.size), _resize(b, self.size)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def pair(self, i):
        return self._cache[i] if self._cache is not None else self._load(i)

    def batches(self, epoch=0, seed=0):
        for A, B in seeded_pair_batches(self, self.pair, epoch, seed):
            yield (mx.nd.array(to_tensor(A), ctx=self.ctx),
                   mx.nd.array(to_tensor(B), ctx=self.ctx))

    def __iter__(self):
        return self.batches(0)


def load_pairs(dataset, image_size, limit=None):
    """The first ``limit`` pairs of ``dataset``, resized, as float32 NCHW arrays ``(A, B)``."""
    n = len(dataset) if limit is None else min(int(limit), len(dataset))
    pairs = [dataset[i] for i in range(n)]
    return (to_tensor([_resize(a, image_size) for a, _ in pairs]),
            to_tensor([_resize(b, image_size) for _, b in pairs]))


def load_paired_dataset(name=SYNTH_FACADES, split='train', root=None, direction=None,
                        list_file=None):
    """A paired dataset by name, folder or pair list.

    Parameters
    ----------
    name : str
        ``'synth-facades'`` (generated on first use under the data root, offline), one of
        :data:`PIX2PIX_DATASETS` (under ``<data root>/<name>``, see :func:`download_pix2pix`),
        or ``'folder'`` for any pix2pix-style folder given as ``root``.
    direction : ``'AtoB'``, ``'BtoA'`` or None for the dataset's usual direction.
    list_file : str, optional
        Read a pair list (relative to ``root`` or the list's folder) instead of a folder.
    """
    direction = check_direction(direction or default_direction(name))
    if list_file is not None:
        return PairListDataset(list_file, root, direction)
    if name == SYNTH_FACADES:
        folder = make_synthetic_facades(os.path.join(data_root(root), SYNTH_FACADES))
        return AlignedPairFolder(folder, split, direction)
    if name == 'folder':
        if root is None:
            raise ValueError("dataset 'folder' needs root=<folder with train/val/test>")
        return AlignedPairFolder(root, split, direction)
    if name not in PIX2PIX_DATASETS:
        raise ValueError(f'unknown paired dataset {name!r}; valid names are: '
                         + ', '.join([SYNTH_FACADES, 'folder'] + sorted(PIX2PIX_DATASETS)))
    folder = os.path.join(data_root(root), name)
    try:
        return AlignedPairFolder(folder, split, direction)
    except DatasetNotFoundError as e:
        raise DatasetNotFoundError(
            f'pix2pix {name} ({split} split)', os.path.join(folder, split),
            f'Get it with d2gan.data.download_pix2pix({name!r}) (needs the network) or download '
            f'{PIX2PIX_URL.format(name=name)} by hand and unpack it into {data_root(root)}.'
        ) from e


def download_pix2pix(name, root=None, url=None, verbose=True):
    """Download and unpack a pix2pix dataset into ``<data root>/<name>``; returns that folder.

    No official SHA-1 sums are published: the first download's SHA-1 is recorded next to the
    archive and every later copy must match it (:func:`d2gan.data.download.fetch_archive`).
    Members that would unpack outside the data root are refused.
    """
    if name not in PIX2PIX_DATASETS:
        raise KeyError(f'{name!r} is not a pix2pix dataset; known: '
                       + ', '.join(sorted(PIX2PIX_DATASETS)))
    root = data_root(root)
    fetch_archive(url or PIX2PIX_URL.format(name=name), os.path.join(root, f'{name}.tar.gz'),
                  root, verbose=verbose)
    return os.path.join(root, name)
