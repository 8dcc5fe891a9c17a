"""Semantic-map datasets in the Cityscapes layout, for semantic image synthesis (SPADE).

On disk: a label map (class index per pixel, a lossless PNG), the photo, and optionally an
instance map (one id per object; Cityscapes writes ``class_id * 1000 + k`` for countable
"things" and the class id for "stuff"), listed in a text file one example per line::

    <label path>\\t<image path>\\t<instance path>

(paths relative to the list's folder; PaddleCV's SPADE reads the same ``train_list`` /
``test_list``). :func:`make_cityscapes_list` writes it for the real Cityscapes folders
(``gtFine/`` + ``leftImg8bit/``); :func:`d2gan.data.facades_synth.write_semantic_lists` for the
synthetic facades, so the offline data and the real data go through one loader.

The network input is the one-hot label map plus one channel of *instance edges* (1 where the
instance id changes between neighbouring pixels): two adjacent cars share a class but not an
instance, and the edge channel tells the generator where one ends.
"""
import os

import cv2
import numpy as np
import mxnet as mx

from . import facades_synth
from .download import data_root
from .errors import DatasetFormatError, DatasetNotFoundError
from .paired import (SYNTH_FACADES, PairedBatches, _decode, _resize, read_path_list,
                     seeded_pair_batches, to_tensor)

#: Cityscapes ``labelIds`` run 0..33 (and -1 for the licence plate); SPADE uses label_nc = 35.
CITYSCAPES_CLASSES = 35


def _read_map(path):
    m = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if m is None:
        raise DatasetFormatError(f'cannot read the map {path} (missing, corrupt or not an image)')
    if m.ndim == 3:   # a label map saved as colour with equal channels
        m = m[..., 0]
    return m.astype(np.int32)


class SemanticListDataset:
    """Examples listed as ``label \\t image \\t instance`` lines (the instance column optional).

    ``dataset[i]`` is ``(label (H, W) int32, image (H, W, 3) uint8 RGB, instance (H, W) int32
    or None)``. Paths are relative to ``root`` (default: the list file's folder).
    """

    def __init__(self, list_file, root=None):
        list_file = os.path.abspath(os.path.expanduser(os.fspath(list_file)))
        if not os.path.isfile(list_file):
            raise DatasetNotFoundError(
                'Semantic list', list_file,
                'Write one with d2gan.data.cityscapes.make_cityscapes_list (real Cityscapes) or '
                'd2gan.data.facades_synth.write_semantic_lists (synthetic facades).')
        self.root = os.path.dirname(list_file) if root is None else os.fspath(root)
        rows = read_path_list(list_file, self.root, (2, 3),
                              '"<label>\\t<image>\\t<instance>"', 'examples')
        self.examples = [row + (None,) * (3 - len(row)) for row in rows]

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        label_path, image_path, instance_path = self.examples[i]
        label, image = _read_map(label_path), _decode(image_path)
        instance = _read_map(instance_path) if instance_path else None
        for name, m in (('label', label), ('instance', instance)):
            if m is not None and m.shape != image.shape[:2]:
                raise DatasetFormatError(f'{image_path} is {image.shape[:2]} but its {name} '
                                         f'map is {m.shape}')
        return label, image, instance


def instance_edges(instance):
    """``(..., H, W)`` instance ids -> float32 edges: 1 where a 4-neighbour has another id.

    As SPADE's ``get_edges``: both pixels of every differing horizontal or vertical pair.
    """
    t = np.asarray(instance)
    edge = np.zeros(t.shape, bool)
    dx = t[..., :, 1:] != t[..., :, :-1]
    dy = t[..., 1:, :] != t[..., :-1, :]
    edge[..., :, 1:] |= dx
    edge[..., :, :-1] |= dx
    edge[..., 1:, :] |= dy
    edge[..., :-1, :] |= dy
    return edge.astype(np.float32)


def semantic_input(labels, num_classes, instances=None):
    """Label maps ``(N, H, W)`` (+ instance maps) -> the generator input ``(N, C [+1], H, W)``.

    One-hot classes (float32 0/1), then the instance-edge channel when ``instances`` is given.
    Labels outside ``[0, num_classes)`` raise ``ValueError``.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels[None]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'label values must lie in [0, {num_classes}); got '
                         f'[{labels.min()}, {labels.max()}] (wrong num_classes?)')
    onehot = (labels[:, None] == np.arange(num_classes)[None, :, None, None]).astype(np.float32)
    if instances is None:
        return onehot
    edges = instance_edges(np.asarray(instances).reshape(labels.shape))
    return np.concatenate([onehot, edges[:, None]], axis=1)


def label_channels(num_classes, use_instance=True):
    """Channels of :func:`semantic_input`: classes + 1 edge channel."""
    return num_classes + (1 if use_instance else 0)


def _resize_map(m, size):
    if m.shape[:2] == (size, size):
        return m
    return cv2.resize(m, (size, size), interpolation=cv2.INTER_NEAREST)


def _resize_example(label, image, instance, size):
    """Nearest for the maps, area/cubic for the photo (as the pix2pix loader)."""
    maps = np.stack([label, label if instance is None else instance], axis=-1)
    maps = np.stack([_resize_map(np.ascontiguousarray(maps[..., k]), size) for k in (0, 1)], -1)
    return maps, _resize(image, size)


class SemanticBatches(PairedBatches):
    """Reproducible mini-batches ``(map, image)``: float32 NCHW, map one-hot (+ edges), image in
    ``[-1, 1]``.

    The order and jitter of epoch ``e`` depend only on ``(seed, e)`` and follow
    :class:`d2gan.data.PairedBatches` draw for draw (same permutation, same crops and flips),
    so a Pix2Pix and a SPADE run over the same pairs see the same examples in the same order.

    Parameters
    ----------
    dataset : SemanticListDataset or anything with ``dataset[i] -> (label, image, instance)``
    num_classes : int
    image_size : int
        Side of the square training images.
    use_instance : bool
        Append the instance-edge channel (needs instance maps).
    jitter : bool
        Resize to ``load_size_for(image_size)``, random crop, random flip (nearest for the
        maps); without it just resize.
    """

    def __init__(self, dataset, num_classes, batch_size=1, image_size=256, use_instance=True,
                 jitter=True, shuffle=True, drop_last=True, cache=True, ctx=None):
        self.num_classes, self.use_instance = num_classes, use_instance
        super().__init__(dataset, batch_size, image_size, jitter, shuffle, drop_last, cache, ctx)

    @property
    def label_channels(self):
        return label_channels(self.num_classes, self.use_instance)

    def _load(self, i):
        label, image, instance = self.dataset[i]
        if self.use_instance and instance is None:
            raise DatasetFormatError(f'example {i} has no instance map; pass use_instance=False')
        return _resize_example(label, image, instance, self.size)

    def example(self, i):
        """``(map, image)`` of example ``i``: the map stacks class and instance ids."""
        return self.pair(i)

    def batches(self, epoch=0, seed=0):
        for maps, images in seeded_pair_batches(self, self.pair, epoch, seed):
            yield self._to_nd(maps, images)

    def _to_nd(self, maps, images):
        maps = np.stack(maps)
        x = semantic_input(maps[..., 0], self.num_classes,
                           maps[..., 1] if self.use_instance else None)
        return (mx.nd.array(x, ctx=self.ctx), mx.nd.array(to_tensor(images), ctx=self.ctx))


def load_semantic(dataset, num_classes, image_size, use_instance=True, limit=None):
    """The first ``limit`` examples resized, as numpy ``(maps (N, C[+1], S, S), images)``."""
    n = len(dataset) if limit is None else min(int(limit), len(dataset))
    maps, images = [], []
    for i in range(n):
        m, image = _resize_example(*dataset[i], image_size)
        maps.append(m)
        images.append(image)
    maps = np.stack(maps)
    return (semantic_input(maps[..., 0], num_classes, maps[..., 1] if use_instance else None),
            to_tensor(images))


def make_cityscapes_list(root, split='train', out_file=None):
    """Write ``<root>/<split>_list.txt`` for the real Cityscapes folders; returns its path.

    Expects ``<root>/gtFine/<split>/<city>/*_gtFine_labelIds.png`` (and ``_instanceIds``)
    next to ``<root>/leftImg8bit/<split>/<city>/*_leftImg8bit.png``, as unpacked from
    gtFine_trainvaltest.zip and leftImg8bit_trainvaltest.zip (cityscapes-dataset.com, login
    required: nothing is downloaded here).
    """
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    labels_dir = os.path.join(root, 'gtFine', split)
    if not os.path.isdir(labels_dir):
        raise DatasetNotFoundError(
            f'Cityscapes ({split} split)', labels_dir,
            'Download gtFine_trainvaltest.zip and leftImg8bit_trainvaltest.zip from '
            'https://www.cityscapes-dataset.com (needs a login) and unzip both into the root.')
    lines = []
    for city in sorted(os.listdir(labels_dir)):
        for name in sorted(os.listdir(os.path.join(labels_dir, city))):
            if not name.endswith('_gtFine_labelIds.png'):
                continue
            stem = name[:-len('_gtFine_labelIds.png')]
            label = f'gtFine/{split}/{city}/{name}'
            image = f'leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png'
            instance = f'gtFine/{split}/{city}/{stem}_gtFine_instanceIds.png'
            if not os.path.isfile(os.path.join(root, image)):
                raise DatasetFormatError(f'{label} has no photo {image}')
            lines.append(f'{label}\t{image}\t{instance}')
    out_file = out_file or os.path.join(root, f'{split}_list.txt')
    with open(out_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return out_file


def load_semantic_dataset(name=SYNTH_FACADES, split='train', root=None, list_file=None):
    """``(dataset, num_classes, palette)`` by name.

    ``'synth-facades'``: the offline synthetic facades (generated on first use; the same
    images as the Pix2Pix chapter's); ``'cityscapes'``: ``<data root>/cityscapes/<split>_list.txt``
    (written by :func:`make_cityscapes_list` if missing); ``'list'``: any ``list_file``, whose
    classes come from a ``classes.txt`` next to it (:func:`read_classes`) or else from the
    largest label in the list.
    ``palette`` colours the classes for display.
    """
    if name == SYNTH_FACADES:
        folder = facades_synth.make_synthetic_facades(os.path.join(data_root(root),
                                                                   SYNTH_FACADES))
        list_path = facades_synth.write_semantic_lists(folder)[split]
        return (SemanticListDataset(list_path), len(facades_synth.CLASSES),
                facades_synth.PALETTE)
    if name == 'cityscapes':
        folder = os.path.join(data_root(root), 'cityscapes')
        list_path = os.path.join(folder, f'{split}_list.txt')
        if not os.path.isfile(list_path):
            list_path = make_cityscapes_list(folder, split)
        return SemanticListDataset(list_path), CITYSCAPES_CLASSES, label_palette(35)
    if name == 'list':
        if list_file is None:
            raise ValueError("dataset 'list' needs list_file=<label\\timage\\tinstance list>")
        dataset = SemanticListDataset(list_file, root)
        classes = read_classes(os.path.join(os.path.dirname(os.path.abspath(list_file)),
                                            'classes.txt'))
        if classes is not None:
            return dataset, len(classes), classes
        num_classes = 1 + max(int(_read_map(ex[0]).max()) for ex in dataset.examples)
        return dataset, num_classes, label_palette(num_classes)
    raise ValueError(f"unknown semantic dataset {name!r}; valid names are: {SYNTH_FACADES}, "
                     "cityscapes, list")


def read_classes(path):
    """The palette ``(num_classes, 3)`` of a ``classes.txt`` (``index \\t name \\t (r, g, b)``
    lines, as the synthetic facades write it), or None if there is no such file."""
    if not os.path.isfile(path):
        return None
    colours = []
    with open(path) as f:
        for line in f:
            fields = line.rstrip('\n').split('\t')
            if len(fields) < 3:
                raise DatasetFormatError(f'{path}: expected "index\\tname\\t(r, g, b)" lines, '
                                         f'got {line!r}')
            colours.append([int(v) for v in fields[2].strip('() ').split(',')])
    return np.array(colours, np.uint8)


def label_palette(num_classes):
    """A fixed, well-separated RGB colour per class (PASCAL VOC's bit-interleaving palette)."""
    palette = np.zeros((num_classes, 3), np.uint8)
    for k in range(num_classes):
        c, r, g, b = k, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[k] = (r, g, b)
    return palette


def colorize_maps(maps, palette):
    """One-hot maps ``(N, C[+1], H, W)`` -> RGB float32 NCHW in ``[-1, 1]`` for display.

    Instance edges (an extra channel past the palette) are drawn black.
    """
    maps = maps.asnumpy() if isinstance(maps, mx.nd.NDArray) else np.asarray(maps)
    palette = np.asarray(palette)
    k = len(palette)
    rgb = palette[maps[:, :k].argmax(axis=1)].astype(np.float32)     # (N, H, W, 3)
    if maps.shape[1] > k:
        rgb *= (1 - maps[:, k])[..., None]
    return rgb.transpose(0, 3, 1, 2) / 127.5 - 1

