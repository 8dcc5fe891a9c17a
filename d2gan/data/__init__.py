"""Datasets: offline real data shipped by packages, real loaders, generated data with ground truth.

Every loader returns float32 NCHW images in ``[-1, 1]`` (and int32 labels where there are any);
a dataset missing from disk raises :class:`DatasetNotFoundError` saying where it was expected
and how to get it. ``load_dataset(name)`` is the entry point; ``list_datasets()`` names them.
"""
from . import toy
from .batches import ArrayBatches
from .download import DATA_HUB, data_root, download, sha1_of
from .errors import ChecksumError, DatasetFormatError, DatasetNotFoundError
from .image_folder import ImageFolderDataset, list_images, load_image_folder, read_image
from .mnist import download_mnist, load_mnist, load_mnist_digits, read_idx, to_model_images
from .registry import describe_datasets, list_datasets, load_dataset
from . import facades_synth  # noqa: F401,E402
from .paired import (PIX2PIX_DATASETS, AlignedPairFolder, PairedBatches,  # noqa: F401
                     PairListDataset, download_pix2pix, load_paired_dataset, load_pairs,
                     make_pair_list)

__all__ = ['toy', 'ArrayBatches', 'DATA_HUB', 'data_root', 'download', 'sha1_of', 'ChecksumError',
           'DatasetFormatError', 'DatasetNotFoundError', 'ImageFolderDataset', 'list_images',
           'load_image_folder', 'read_image', 'download_mnist', 'load_mnist',
           'load_mnist_digits', 'read_idx', 'to_model_images', 'describe_datasets',
           'list_datasets', 'load_dataset']
from . import cityscapes  # noqa: F401,E402
from .cityscapes import (SemanticBatches, SemanticListDataset,  # noqa: F401,E402
                         load_semantic, load_semantic_dataset)
from . import cartoon_synth  # noqa: F401,E402
from .unpaired import (CYCLEGAN_DATASETS, UnpairedBatches, UnpairedFolder,  # noqa: F401,E402
                       download_cyclegan, load_domain, load_unpaired_dataset)
