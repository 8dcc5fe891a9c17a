"""Images with binary attributes in CelebA's layout: the list files and one loader for both
real CelebA and the generated digit set (:mod:`d2gan.data.digit_attrs`).

The layout (as CelebA ships it, and as StarGAN / AttGAN / STGAN read it)::

    <folder>/img_align_celeba/000001.jpg ...       the images (aligned CelebA: 178x218 JPEGs)
    <folder>/list_attr_celeba.txt                 line 1: number of images
                                                  line 2: the attribute names
                                                  then:   image_name  1 -1 -1  1 ...
    <folder>/list_eval_partition.txt (optional)   image_name  0|1|2  (train | val | test)
    <folder>/identity_CelebA.txt (optional)       image_name  identity (an integer)

``+1`` means the image has the attribute, ``-1`` that it has not. In memory attributes are
float32 ``{0, 1}`` arrays (the BCE targets of the papers); ``+-1`` only lives in the files.
Real CelebA is cut to its central 178x178 square and resized (178 -> 128 in the papers).
"""
import os
from dataclasses import dataclass, field

import numpy as np

from .download import data_root
from .errors import DatasetFormatError, DatasetNotFoundError
from .image_folder import read_image

IMAGE_DIR = 'img_align_celeba'
ATTR_FILE = 'list_attr_celeba.txt'
PARTITION_FILE = 'list_eval_partition.txt'
IDENTITY_FILE = 'identity_CelebA.txt'
SPLITS = {'train': 0, 'val': 1, 'test': 2}

#: The attributes StarGAN edits by default (its ``--selected_attrs``).
STARGAN_ATTRS = ('Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Male', 'Young')
#: The 13 attributes of AttGAN and STGAN.
ATTGAN_ATTRS = ('Bald', 'Bangs', 'Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Bushy_Eyebrows',
                'Eyeglasses', 'Male', 'Mouth_Slightly_Open', 'Mustache', 'No_Beard',
                'Pale_Skin', 'Young')
#: Attributes of which at most one can be on (turning one on turns the others off).
EXCLUSIVE_GROUPS = (('Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Gray_Hair'),
                    ('Straight_Hair', 'Wavy_Hair'))

CELEBA_HOW = (
    'CelebA is not downloadable by script (Google Drive / Baidu links). From '
    'https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html get "Img/img_align_celeba.zip" '
    '(202,599 aligned 178x218 JPEGs), "Anno/list_attr_celeba.txt" and '
    '"Eval/list_eval_partition.txt"; unzip so that <data root>/celeba/img_align_celeba/'
    '000001.jpg exists and put both .txt files in <data root>/celeba/. Then '
    'check_attribute_folder("<data root>/celeba") verifies the layout.')


@dataclass
class AttributeData:
    """Images with attributes: ``images`` float32 NCHW in [-1, 1], ``attrs`` float32 (N, k)
    in {0, 1} for ``names``; ``files`` the image names; ``labels`` int32 identities or None."""
    images: np.ndarray
    attrs: np.ndarray
    names: tuple
    files: list = field(default_factory=list)
    labels: np.ndarray = None

    def __len__(self):
        return len(self.images)

    def subset(self, index):
        index = np.asarray(index)
        return AttributeData(self.images[index], self.attrs[index], self.names,
                             [self.files[i] for i in index],
                             None if self.labels is None else self.labels[index])


# --------------------------------------------------------------------------------------------
# The list files.

def write_attr_list(path, files, names, attrs):
    """Write ``list_attr_celeba.txt``: count, names, then ``file  +-1 ...`` per image.

    ``attrs`` is ``(N, k)`` with entries in {0, 1} (or {-1, 1}); values are written as ``1``
    / ``-1`` padded to two characters, as in the real file.
    """
    attrs = np.asarray(attrs)
    names = [str(n) for n in names]
    if attrs.shape != (len(files), len(names)):
        raise ValueError(f'attrs has shape {attrs.shape}, expected ({len(files)}, {len(names)})')
    signs = np.where(attrs > 0, 1, -1)
    with open(path, 'w') as f:
        f.write(f'{len(files)}\n{" ".join(names)} \n')
        for name, row in zip(files, signs):
            f.write(name + ' ' + ' '.join(f'{v:2d}' for v in row) + '\n')
    return path


def read_attr_list(path):
    """Read a CelebA attribute list: ``(files, names, values)`` with int8 values in {-1, 1}.

    Raises :class:`DatasetFormatError` naming the line when the count, a row's length, a value
    or a repeated name is wrong.
    """
    if not os.path.isfile(path):
        raise DatasetNotFoundError('attribute list', path, CELEBA_HOW)
    with open(path) as f:
        lines = [line.split() for line in f if line.strip()]
    if len(lines) < 2 or len(lines[0]) != 1 or not lines[0][0].isdigit():
        raise DatasetFormatError(f'{path}: line 1 must hold the number of images and line 2 '
                                 'the attribute names (CelebA list_attr format)')
    count, names = int(lines[0][0]), tuple(lines[1])
    if len(set(names)) != len(names):
        raise DatasetFormatError(f'{path}: line 2 repeats an attribute name: {names}')
    rows = lines[2:]
    if len(rows) != count:
        raise DatasetFormatError(f'{path}: line 1 announces {count} images, the file lists '
                                 f'{len(rows)} (truncated or edited?)')
    files, values = [], np.empty((count, len(names)), np.int8)
    for i, row in enumerate(rows):
        if len(row) != len(names) + 1:
            raise DatasetFormatError(f'{path}, line {i + 3}: {len(row) - 1} values for '
                                     f'{len(names)} attributes')
        try:
            values[i] = [int(v) for v in row[1:]]
        except ValueError:
            raise DatasetFormatError(f'{path}, line {i + 3}: values must be 1 or -1, got '
                                     f'{row[1:]}') from None
        if not np.all(np.abs(values[i]) == 1):
            raise DatasetFormatError(f'{path}, line {i + 3}: values must be 1 or -1, got '
                                     f'{row[1:]}')
        files.append(row[0])
    return files, names, values


def read_name_table(path, what):
    """``{image_name: int}`` from a two-column file (partition or identity list)."""
    table = {}
    with open(path) as f:
        for i, line in enumerate(f):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise DatasetFormatError(f'{path}, line {i + 1}: expected "image_name {what}", '
                                         f'got {line.strip()!r}')
            table[parts[0]] = int(parts[1])
    return table


def select_attrs(names, values, attrs):
    """Columns ``attrs`` of ``values`` (+-1) as float32 {0, 1}; unknown names list the valid."""
    attrs = tuple(attrs)
    missing = [a for a in attrs if a not in names]
    if missing or not attrs:
        raise ValueError(f'unknown attribute(s) {missing}; the list file has: '
                         + ', '.join(names))
    index = [names.index(a) for a in attrs]
    return (values[:, index] > 0).astype(np.float32)


def check_attribute_conflict(attrs, changed, names, groups=EXCLUSIVE_GROUPS):
    """After turning attribute ``changed`` on, turn off the others of its exclusive group
    (one hair colour at a time, as the AttGAN / STGAN test code does). ``attrs`` (N, k) {0, 1}."""
    attrs = np.array(attrs, np.float32, copy=True)
    names = list(names)
    for group in groups:
        if changed in group:
            on = attrs[:, names.index(changed)] > 0
            for other in group:
                if other != changed and other in names:
                    attrs[on, names.index(other)] = 0
    return attrs


# --------------------------------------------------------------------------------------------
# The loader.

def check_attribute_folder(folder):
    """Check the layout of an attribute dataset folder; return the attribute list's path.

    Every image the list names must exist (the first missing one is named).
    """
    folder = os.path.abspath(os.path.expanduser(os.fspath(folder)))
    images, attr_path = os.path.join(folder, IMAGE_DIR), os.path.join(folder, ATTR_FILE)
    if not os.path.isdir(images):
        raise DatasetNotFoundError('attribute dataset images', images, CELEBA_HOW)
    if not os.path.isfile(attr_path):
        raise DatasetNotFoundError('attribute list', attr_path, CELEBA_HOW)
    files, _, _ = read_attr_list(attr_path)
    present = set(os.listdir(images))
    for name in files:
        if name not in present:
            raise DatasetFormatError(f'{attr_path} lists {name}, which is not in {images} '
                                     '(incomplete unzip?)')
    return attr_path


def load_attribute_folder(folder, attrs, split='all', image_size=128, crop_size=None,
                          limit=None, check=True):
    """Images and selected attributes of a folder in CelebA's layout, as :class:`AttributeData`.

    Parameters
    ----------
    attrs : names of the attributes to keep, in this order.
    split : ``'train'``, ``'val'``, ``'test'`` (needs ``list_eval_partition.txt``) or ``'all'``.
    crop_size : side of the central square cut before resizing (178 for aligned CelebA, as
        the papers), or None.
    limit : keep the first ``limit`` images of the split.
    """
    folder = os.path.abspath(os.path.expanduser(os.fspath(folder)))
    attr_path = check_attribute_folder(folder) if check else os.path.join(folder, ATTR_FILE)
    files, names, values = read_attr_list(attr_path)
    A = select_attrs(names, values, attrs)
    keep = np.arange(len(files))
    if split != 'all':
        if split not in SPLITS:
            raise ValueError(f"split must be 'train', 'val', 'test' or 'all', got {split!r}")
        part_path = os.path.join(folder, PARTITION_FILE)
        if not os.path.isfile(part_path):
            raise DatasetNotFoundError('partition list', part_path, CELEBA_HOW)
        parts = read_name_table(part_path, 'partition')
        missing = [f for f in files if f not in parts]
        if missing:
            raise DatasetFormatError(f'{part_path} has no partition for {missing[0]} '
                                     f'({len(missing)} images missing)')
        keep = np.array([i for i, f in enumerate(files) if parts[f] == SPLITS[split]], int)
        if not len(keep):
            raise DatasetFormatError(f'{part_path}: split {split!r} is empty')
    if limit:
        keep = keep[:int(limit)]
    X = np.empty((len(keep), 3, image_size, image_size), np.float32)
    for j, i in enumerate(keep):
        X[j] = read_image(os.path.join(folder, IMAGE_DIR, files[i]), image_size, crop_size)
    labels = None
    id_path = os.path.join(folder, IDENTITY_FILE)
    if os.path.isfile(id_path):
        table = read_name_table(id_path, 'identity')
        labels = np.array([table.get(files[i], -1) for i in keep], np.int32)
    return AttributeData(X, A[keep], tuple(attrs), [files[i] for i in keep], labels)


def load_celeba_attrs(attrs=STARGAN_ATTRS, split='train', root=None, image_size=128,
                      crop_size=178, limit=None):
    """Aligned CelebA with attributes from ``<data root>/celeba`` (see :data:`CELEBA_HOW`).

    The papers' preprocessing: central 178x178 crop, resize to 128 (``image_size``). StarGAN
    holds out the last 2,000 images instead of the official partition; here the official
    ``list_eval_partition.txt`` splits are used (``split='all'`` to ignore them).
    """
    folder = os.path.join(data_root(root), 'celeba')
    if not os.path.isdir(os.path.join(folder, IMAGE_DIR)):
        raise DatasetNotFoundError('CelebA (aligned, with attributes)', folder, CELEBA_HOW)
    return load_attribute_folder(folder, attrs, split, image_size, crop_size, limit)


__all__ = ['AttributeData', 'write_attr_list', 'read_attr_list', 'read_name_table',
           'select_attrs', 'check_attribute_conflict', 'check_attribute_folder',
           'load_attribute_folder', 'load_celeba_attrs', 'STARGAN_ATTRS', 'ATTGAN_ATTRS',
           'CELEBA_HOW']
