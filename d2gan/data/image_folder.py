"""A folder tree of photos (CelebA aligned, anime faces, ...) as an unlabelled image dataset.

Every ``.jpg/.jpeg/.png/.bmp`` under the root (sub-folders included, sorted by path) is one
example, read lazily with OpenCV as RGB, optionally centre-cropped, resized to a square and
scaled to float32 CHW in ``[-1, 1]``.
"""
import os

import cv2
import numpy as np
from mxnet.gluon.data import Dataset

from .errors import DatasetFormatError, DatasetNotFoundError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def list_images(root):
    """Sorted paths of the images under ``root``; :class:`DatasetNotFoundError` if none."""
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    how = (f'Put {"/".join(IMAGE_EXTENSIONS)} files anywhere under that folder (sub-folders are '
           'searched); data/README.md says how to get CelebA and other face datasets.')
    if not os.path.isdir(root):
        raise DatasetNotFoundError('Image folder', root, how)
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names
                   if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.'))
    if not files:
        raise DatasetNotFoundError('Image folder', root, 'The folder holds no images. ' + how)
    return files


def read_image(path, image_size, center_crop=None):
    """One image file -> float32 ``(3, image_size, image_size)`` RGB in ``[-1, 1]``.

    ``center_crop`` (an int side, or ``(height, width)``) is cut from the centre first, e.g.
    108 on 178x218 aligned CelebA keeps the face, as DCGAN's CelebA setup does.
    """
    try:
        image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:  # e.g. an empty file
        image = None
    if image is None:
        raise DatasetFormatError(f'cannot decode image file {path} (corrupt or not an image)')
    if center_crop is not None:
        ch, cw = (center_crop, center_crop) if np.isscalar(center_crop) else center_crop
        h, w = image.shape[:2]
        if ch > h or cw > w:
            raise DatasetFormatError(f'{path}: image is {h}x{w}, smaller than the centre crop '
                                     f'{ch}x{cw}')
        top, left = (h - ch) // 2, (w - cw) // 2
        image = image[top:top + ch, left:left + cw]
    if image.shape[:2] != (image_size, image_size):
        interp = cv2.INTER_AREA if image_size < min(image.shape[:2]) else cv2.INTER_LINEAR
        image = cv2.resize(image, (image_size, image_size), interpolation=interp)
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32)
    return (image / 127.5 - 1.0).transpose(2, 0, 1)


class ImageFolderDataset(Dataset):
    """Images under ``root`` as a Gluon ``Dataset`` of float32 ``(3, S, S)`` arrays in ``[-1, 1]``.

    Files are listed once (sorted) and decoded on access, so a 200k-image CelebA folder costs
    no memory up front; wrap it in ``gluon.data.DataLoader`` to batch and shuffle.

    Parameters
    ----------
    root : str
        Folder searched recursively for images.
    image_size : int
        Side of the square output.
    center_crop : int or (int, int), optional
        Centre crop applied before resizing.
    """

    def __init__(self, root, image_size=64, center_crop=None):
        if image_size <= 0:
            raise ValueError(f'image_size must be positive, got {image_size}')
        self.root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.files = list_images(self.root)
        self.image_size, self.center_crop = image_size, center_crop

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        return read_image(self.files[idx], self.image_size, self.center_crop)


def load_image_folder(root, image_size=64, limit=None, center_crop=None):
    """The first ``limit`` images (sorted by path) under ``root`` as one float32 NCHW array."""
    dataset = ImageFolderDataset(root, image_size, center_crop)
    n = len(dataset) if limit is None else min(int(limit), len(dataset))
    out = np.empty((n, 3, image_size, image_size), np.float32)
    for i in range(n):
        out[i] = dataset[i]
    return out
