"""Unpaired image datasets for CycleGAN: two domains, ``trainA/ trainB/ testA/ testB``.

The layout of the CycleGAN datasets (horse2zebra, apple2orange, monet2photo, ...) and of
:mod:`d2gan.data.cartoon_synth`: each folder holds the images of one domain, in any number and
with no correspondence between A and B. :class:`UnpairedBatches` yields ``(A, B)`` mini-batches
whose A and B images are shuffled *independently*, each with the paper's jitter (resize to
``286/256`` of the size, random crop, random flip -- its own crop and flip per image).
"""
import os

import numpy as np
import mxnet as mx

from .cartoon_synth import image_size_of, make_photo2cartoon
from .download import data_root, fetch_archive
from .errors import DatasetNotFoundError
from .image_folder import list_images
from .paired import _decode, _resize, jitter_images, load_size_for, to_tensor

CYCLEGAN_URL = 'http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip'

#: Datasets of the CycleGAN paper (Zhu et al., 2017) on the authors' server. No SHA-1 is
#: published: :func:`download_cyclegan` records the first download's and checks later copies.
CYCLEGAN_DATASETS = {
    'horse2zebra': 'A = horses, B = zebras (ImageNet photos)',
    'apple2orange': 'A = apples, B = oranges (ImageNet photos)',
    'summer2winter_yosemite': 'A = Yosemite in summer, B = in winter (Flickr)',
    'monet2photo': 'A = Monet paintings, B = landscape photos (Flickr)',
    'cityscapes': 'A = street photos, B = semantic label colours (unpaired use)',
}
ALIASES = {'summer2winter': 'summer2winter_yosemite'}
SYNTH_PHOTO2CARTOON = 'synth-photo2cartoon'


def _check_name(name):
    name = ALIASES.get(name, name)
    if name not in CYCLEGAN_DATASETS:
        raise KeyError(f'{name!r} is not a CycleGAN dataset; known: '
                       + ', '.join(sorted(CYCLEGAN_DATASETS) + sorted(ALIASES)))
    return name


class UnpairedFolder:
    """Image files of ``<root>/<split>A`` and ``<root>/<split>B``: ``files[domain]``."""

    def __init__(self, root, split='train'):
        self.root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.split = split
        how = ('Expected the CycleGAN layout trainA/ trainB/ testA/ testB/ (images of one '
               'domain per folder); d2gan.data.download_cyclegan(name) fetches the real '
               f"datasets and d2gan.data.load_unpaired_dataset({SYNTH_PHOTO2CARTOON!r}) builds "
               'an offline one.')
        folders = {d: os.path.join(self.root, split + d) for d in 'AB'}
        for domain, folder in folders.items():
            if not os.path.isdir(folder):
                raise DatasetNotFoundError(f'Unpaired dataset ({split}{domain})', folder, how)
        self.files = {}
        for domain, folder in folders.items():
            try:
                self.files[domain] = list_images(folder)
            except DatasetNotFoundError as e:
                raise DatasetNotFoundError(f'Unpaired dataset ({split}{domain})', folder,
                                           'The folder holds no images. ' + how) from e

    def __len__(self):
        """Images in the larger domain (one epoch visits every image of it once)."""
        return max(len(self.files['A']), len(self.files['B']))

    def read(self, domain, i):
        """Image ``i`` of ``domain`` (``'A'`` or ``'B'``), uint8 RGB ``(H, W, 3)``."""
        return _decode(self.files[domain][i])


class UnpairedBatches:
    """Reproducible unpaired mini-batches ``(A, B)`` (NDArrays, float32 NCHW in ``[-1, 1]``).

    An epoch has ``max(n_A, n_B) // batch_size`` batches. Each domain is visited in its own
    random order, from the seeds ``[seed, epoch, 0]`` and ``[seed, epoch, 1]`` (the smaller
    domain cycles through further permutations), so which A meets which B changes every epoch
    and depends only on ``(seed, epoch)``: a resumed run sees the batches an uninterrupted one
    would (as :class:`d2gan.ArrayBatches`).

    Parameters
    ----------
    folder : UnpairedFolder (or anything with ``files['A']``, ``files['B']`` and ``read``)
    image_size : int
        Side of the square training crops.
    jitter : bool
        Resize to ``load_size_for(image_size)``, then a random crop and flip per image.
        Without it images are resized to ``image_size``.
    cache : bool
        Decode every image once and keep it in memory at the load size.
    """

    def __init__(self, folder, batch_size=1, image_size=256, jitter=True, cache=True,
                 ctx=None):
        if batch_size <= 0:
            raise ValueError(f'batch_size must be positive, got {batch_size}')
        self.folder, self.batch_size, self.image_size = folder, batch_size, image_size
        self.jitter = jitter
        self.size = load_size_for(image_size) if jitter else image_size
        self.counts = {d: len(folder.files[d]) for d in 'AB'}
        if max(self.counts.values()) < batch_size:
            raise ValueError(f'{self.counts} images are fewer than one batch ({batch_size})')
        self.ctx = ctx or mx.cpu()
        self._cache = ({d: [self._load(d, i) for i in range(self.counts[d])] for d in 'AB'}
                       if cache else None)

    def _load(self, domain, i):
        return _resize(self.folder.read(domain, i), self.size)

    def image(self, domain, i):
        return self._cache[domain][i] if self._cache is not None else self._load(domain, i)

    def __len__(self):
        return max(self.counts.values()) // self.batch_size

    def order(self, domain, epoch, seed, length):
        """``length`` indices of ``domain``: concatenated permutations seeded by the epoch."""
        n = self.counts[domain]
        rng = np.random.default_rng([seed, epoch, 'AB'.index(domain)])
        return np.concatenate([rng.permutation(n) for _ in range(-(-length // n))])[:length]

    def batches(self, epoch=0, seed=0):
        length = len(self) * self.batch_size
        orders = {d: self.order(d, epoch, seed, length) for d in 'AB'}
        for k in range(len(self)):
            rng = np.random.default_rng([seed, epoch, k, 2])
            out = []
            for d in 'AB':
                images = []
                for i in orders[d][k * self.batch_size:(k + 1) * self.batch_size]:
                    image = self.image(d, int(i))
                    if self.jitter:
                        image = jitter_images((image,), rng, self.image_size, self.size)[0]
                    images.append(image)
                out.append(mx.nd.array(to_tensor(images), ctx=self.ctx))
            yield tuple(out)

    def __iter__(self):
        return self.batches(0)


def load_domain(files, image_size, limit=None):
    """The first ``limit`` of ``files`` resized to ``image_size``: float32 NCHW in [-1, 1]."""
    files = list(files)[:limit]
    if not files:
        raise ValueError('no image files to load')
    return to_tensor([_resize(_decode(f), image_size) for f in files])


def load_unpaired_dataset(name=SYNTH_PHOTO2CARTOON, split='train', root=None):
    """An :class:`UnpairedFolder` by name.

    ``name``: ``'synth-photo2cartoon'`` (built offline on first use under the data root, see
    :mod:`d2gan.data.cartoon_synth`), one of :data:`CYCLEGAN_DATASETS` (under
    ``<data root>/<name>``, see :func:`download_cyclegan`), or ``'folder'`` with ``root`` =
    any folder in the CycleGAN layout.
    """
    if name == SYNTH_PHOTO2CARTOON:
        return UnpairedFolder(make_photo2cartoon(os.path.join(data_root(root), name)), split)
    if name == 'folder':
        if root is None:
            raise ValueError("dataset 'folder' needs root=<folder with trainA/ trainB/ ...>")
        return UnpairedFolder(root, split)
    try:
        name = _check_name(name)
    except KeyError as e:
        raise ValueError(f'unknown unpaired dataset {name!r}; valid names are: '
                         + ', '.join([SYNTH_PHOTO2CARTOON, 'folder']
                                     + sorted(CYCLEGAN_DATASETS))) from e
    folder = os.path.join(data_root(root), name)
    try:
        return UnpairedFolder(folder, split)
    except DatasetNotFoundError as e:
        raise DatasetNotFoundError(
            f'CycleGAN {name} ({split})', folder,
            f'Get it with d2gan.data.download_cyclegan({name!r}) (needs the network) or '
            f'download {CYCLEGAN_URL.format(name=name)} by hand and unzip it into '
            f'{data_root(root)}.') from e


def download_cyclegan(name, root=None, url=None, verbose=True):
    """Download and unzip a CycleGAN dataset into ``<data root>/<name>``; returns that folder.

    Checked like :func:`d2gan.data.download_pix2pix`: the first download's SHA-1 is recorded
    in ``<data root>/<name>.zip.sha1`` and later copies must match it
    (:func:`d2gan.data.download.fetch_archive`); members outside the data root are refused.
    """
    name = _check_name(name)
    root = data_root(root)
    fetch_archive(url or CYCLEGAN_URL.format(name=name), os.path.join(root, f'{name}.zip'),
                  root, verbose=verbose)
    return os.path.join(root, name)


def load_test_with_truth(root, image_size=None, limit=None):
    """The test split of ``synth-photo2cartoon`` (at ``root``) with its answers, float32 NCHW
    in [-1, 1] (resized to ``image_size``):
    ``{'A': photos, 'A_truth': their cartoons, 'B': cartoons, 'B_truth': their photos}``."""
    size = image_size or image_size_of(root)
    out = {}
    for domain in 'AB':
        files = list_images(os.path.join(root, 'test' + domain))[:limit]
        truth = [os.path.join(root, 'truth', 'test' + domain, os.path.basename(f)) for f in files]
        out[domain], out[domain + '_truth'] = load_domain(files, size), load_domain(truth, size)
    return out
