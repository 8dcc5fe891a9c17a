"""Paired data: pix2pix A|B folders, PaddleCV pair lists, jitter, synthetic facades, download."""
import io
import os
import tarfile

import cv2
import numpy as np
import pytest

from d2gan.data import ChecksumError, DatasetFormatError, DatasetNotFoundError
from d2gan.data import facades_synth, paired


def gradient_image(seed, h=40, w=40):
    """A smooth random RGB image (so resizing and JPEG barely change it)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def write_rgb(path, image):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


@pytest.fixture
def pix2pix_folder(tmp_path):
    """train/ with 3 PNG pairs A|B where B = 255 - A."""
    for i in range(3):
        a = gradient_image(i)
        write_rgb(str(tmp_path / 'train' / f'{i}.png'), np.concatenate([a, 255 - a], axis=1))
    return tmp_path


def test_folder_splits_halves_and_direction(pix2pix_folder):
    ab = paired.AlignedPairFolder(pix2pix_folder, 'train', 'AtoB')
    ba = paired.AlignedPairFolder(pix2pix_folder, 'train', 'BtoA')
    assert len(ab) == 3
    a, b = ab[1]
    np.testing.assert_array_equal(a, gradient_image(1))
    np.testing.assert_array_equal(b, 255 - gradient_image(1))
    b2, a2 = ba[1]
    np.testing.assert_array_equal(a2, a)
    np.testing.assert_array_equal(b2, b)


def test_missing_or_empty_folder_and_bad_direction(tmp_path):
    with pytest.raises(DatasetNotFoundError, match='val'):
        paired.AlignedPairFolder(tmp_path, 'val')
    os.makedirs(tmp_path / 'test')
    with pytest.raises(DatasetNotFoundError, match='no images'):
        paired.AlignedPairFolder(tmp_path, 'test')
    with pytest.raises(ValueError, match="'AtoB' or 'BtoA'"):
        paired.check_direction('AB')
    assert paired.check_direction('B2A') == 'BtoA'


def test_corrupt_pair_file_is_named(pix2pix_folder):
    (pix2pix_folder / 'train' / '9.png').write_bytes(b'not an image')
    data = paired.AlignedPairFolder(pix2pix_folder, 'train')
    with pytest.raises(DatasetFormatError, match='9.png'):
        data[3]


def test_pair_list_reads_relative_paths_and_swaps(tmp_path):
    for i in range(2):
        write_rgb(str(tmp_path / 'trainA' / f'x{i}.png'), gradient_image(i))
        write_rgb(str(tmp_path / 'trainB' / f'x{i}.png'), 255 - gradient_image(i))
    (tmp_path / 'trainA.txt').write_text('trainA/x0.png\ntrainA/x1.png\n')
    n = paired.make_pair_list(str(tmp_path / 'trainA.txt'), str(tmp_path / 'list_A2B'), 'A2B')
    assert n == 2
    assert (tmp_path / 'list_A2B').read_text().splitlines() == [
        'trainA/x0.png\ttrainB/x0.png', 'trainA/x1.png\ttrainB/x1.png']
    paired.make_pair_list(['trainA/x0.png'], str(tmp_path / 'list_B2A'), 'BtoA')
    assert (tmp_path / 'list_B2A').read_text() == 'trainB/x0.png\ttrainA/x0.png\n'

    data = paired.PairListDataset(str(tmp_path / 'list_A2B'))
    a, b = data[1]
    np.testing.assert_array_equal(a, gradient_image(1))
    np.testing.assert_array_equal(b, 255 - gradient_image(1))
    b2, a2 = paired.PairListDataset(str(tmp_path / 'list_A2B'), direction='BtoA')[1]
    np.testing.assert_array_equal(a2, a)
    via_loader = paired.load_paired_dataset(list_file=str(tmp_path / 'list_A2B'))
    assert len(via_loader) == 2


def test_pair_list_errors(tmp_path):
    (tmp_path / 'bad').write_text('only_one_field.png\n')
    with pytest.raises(DatasetFormatError, match='line 1'):
        paired.PairListDataset(str(tmp_path / 'bad'))
    with pytest.raises(DatasetNotFoundError):
        paired.PairListDataset(str(tmp_path / 'missing'))
    with pytest.raises(ValueError, match='ending in "A"'):
        paired.make_pair_list(['images/x.png'], str(tmp_path / 'out'))


def test_load_size_scales_the_papers_286():
    assert paired.load_size_for(256) == 286
    assert paired.load_size_for(128) == 143
    assert paired.load_size_for(64) == 72


def test_jitter_applies_the_same_crop_and_flip_to_both():
    a = gradient_image(0, 64, 64)
    rng = np.random.default_rng(0)
    flips = 0
    for _ in range(20):
        ja, jb = paired.jitter_pair(a, 255 - a, rng, 32)
        assert ja.shape == jb.shape == (32, 32, 3)
        assert np.abs(ja.astype(int) + jb.astype(int) - 255).max() <= 1
        # find the crop: it must be a window of the resized (36x36) image, maybe flipped
        big = cv2.resize(a, (36, 36), interpolation=cv2.INTER_CUBIC)
        windows = [big[y:y + 32, x:x + 32] for y in range(5) for x in range(5)]
        plain = any(np.array_equal(ja, w) for w in windows)
        flipped = any(np.array_equal(ja, w[:, ::-1]) for w in windows)
        assert plain or flipped
        flips += flipped and not plain
    assert 0 < flips < 20


def test_batches_are_reproducible_per_epoch(pix2pix_folder):
    data = paired.PairedBatches(paired.AlignedPairFolder(pix2pix_folder), 2, image_size=32)
    assert len(data) == 1
    (A1, B1), = list(data.batches(epoch=0, seed=0))
    (A2, B2), = list(data.batches(epoch=0, seed=0))
    (A3, _), = list(data.batches(epoch=1, seed=0))
    assert A1.shape == B1.shape == (2, 3, 32, 32)
    assert A1.dtype == np.float32 and -1 <= A1.min().asscalar() and A1.max().asscalar() <= 1
    np.testing.assert_array_equal(A1.asnumpy(), A2.asnumpy())
    np.testing.assert_array_equal(B1.asnumpy(), B2.asnumpy())
    assert not np.array_equal(A1.asnumpy(), A3.asnumpy())
    np.testing.assert_allclose(A1.asnumpy(), -B1.asnumpy(), atol=2 / 127.5 + 1e-6)  # B = -A
    uncached = paired.PairedBatches(paired.AlignedPairFolder(pix2pix_folder), 2, 32, cache=False)
    np.testing.assert_array_equal(next(uncached.batches(0, 0))[0].asnumpy(), A1.asnumpy())
    A, B = paired.load_pairs(paired.AlignedPairFolder(pix2pix_folder), 16, limit=2)
    assert A.shape == B.shape == (2, 3, 16, 16)
    with pytest.raises(ValueError, match='smaller than one batch'):
        paired.PairedBatches(paired.AlignedPairFolder(pix2pix_folder), 4)


def test_synthetic_facades_format_determinism_and_labels(tmp_path):
    splits = {'train': 3, 'val': 2}
    r1 = facades_synth.make_synthetic_facades(tmp_path / 'a', splits, size=64, seed=7)
    r2 = facades_synth.make_synthetic_facades(tmp_path / 'b', splits, size=64, seed=7)
    names = sorted(os.listdir(os.path.join(r1, 'train')))
    assert names == ['0000.jpg', '0001.jpg', '0002.jpg']
    for split, n in splits.items():
        for i in range(n):
            f = f'{split}/{i:04d}.jpg'
            with open(os.path.join(r1, f), 'rb') as x, open(os.path.join(r2, f), 'rb') as y:
                assert x.read() == y.read()
    # A = photo (left), B = label colours (right): BtoA translates labels to photos
    data = paired.AlignedPairFolder(r1, 'val', 'BtoA')
    labels_rgb, photo = data[1]
    assert labels_rgb.shape == photo.shape == (64, 64, 3)
    label = facades_synth.read_label_map(r1, 'val', 1)
    assert label.shape == (64, 64) and label.max() < len(facades_synth.CLASSES)
    assert (facades_synth.nearest_class(labels_rgb) == label).mean() > 0.98  # JPEG noise only
    expected = facades_synth.colorize(label).astype(int)
    assert np.abs(photo.astype(int) - expected).mean() > 40           # a real translation
    assert {facades_synth.WALL, facades_synth.WINDOW} <= set(np.unique(label))
    # an identical copy on disk is kept; a different one is rewritten
    stamp = os.path.getmtime(os.path.join(r1, 'train', '0000.jpg'))
    facades_synth.make_synthetic_facades(tmp_path / 'a', splits, size=64, seed=7)
    assert os.path.getmtime(os.path.join(r1, 'train', '0000.jpg')) == stamp
    facades_synth.make_synthetic_facades(tmp_path / 'a', {'train': 2}, size=64, seed=8)
    assert sorted(os.listdir(os.path.join(r1, 'train'))) == ['0000.jpg', '0001.jpg']


def test_named_dataset_missing_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match='download_pix2pix'):
        paired.load_paired_dataset('facades', root=str(tmp_path))
    with pytest.raises(ValueError, match='valid names are: synth-facades'):
        paired.load_paired_dataset('facadez', root=str(tmp_path))
    assert paired.default_direction('facades') == 'BtoA'
    assert paired.default_direction('edges2shoes') == 'AtoB'


def _tar_bytes(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w:gz') as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_download_records_then_checks_sha1(tmp_path):
    a = gradient_image(0)
    ok, png = cv2.imencode('.png', np.concatenate([a, a], axis=1))
    archive = tmp_path / 'remote.tar.gz'
    archive.write_bytes(_tar_bytes({'facades/train/1.png': png.tobytes()}))
    root = tmp_path / 'data'
    folder = paired.download_pix2pix('facades', root=str(root), url=archive.as_uri(),
                                     verbose=False)
    assert folder == str(root / 'facades')
    assert len(paired.load_paired_dataset('facades', 'train', root=str(root))) == 1
    record = root / 'facades.tar.gz.sha1'
    assert len(record.read_text().strip()) == 40
    # a later copy with other bytes no longer matches the recorded sum
    (root / 'facades.tar.gz').write_bytes(_tar_bytes({'facades/train/2.png': b'x'}))
    with pytest.raises(ChecksumError, match='delete both files'):
        paired.download_pix2pix('facades', root=str(root), verbose=False)
    with pytest.raises(KeyError, match='edges2shoes'):
        paired.download_pix2pix('horse2zebra', root=str(root))


def test_download_refuses_paths_outside_the_root(tmp_path):
    archive = tmp_path / 'evil.tar.gz'
    archive.write_bytes(_tar_bytes({'../escape.txt': b'x'}))
    with pytest.raises(DatasetFormatError, match='outside'):
        paired.download_pix2pix('maps', root=str(tmp_path / 'data'), url=archive.as_uri(),
                                verbose=False)
    assert not (tmp_path / 'escape.txt').exists()


def test_a_bad_first_download_is_removed_not_trusted(tmp_path):
    page = tmp_path / 'error.html'
    page.write_text('<!DOCTYPE html><html><body>503 Service Unavailable</body></html>')
    root = tmp_path / 'data'
    with pytest.raises(DatasetFormatError, match=r'facades\.tar\.gz is an HTML page') as e:
        paired.download_pix2pix('facades', root=str(root), url=page.as_uri(), verbose=False)
    assert 'removed' in str(e.value) and page.as_uri() in str(e.value)
    assert not (root / 'facades.tar.gz').exists()
    assert not (root / 'facades.tar.gz.sha1').exists()
    # a retry from a good mirror then just works
    a = gradient_image(0)
    ok, png = cv2.imencode('.png', np.concatenate([a, a], axis=1))
    good = tmp_path / 'mirror.tar.gz'
    good.write_bytes(_tar_bytes({'facades/train/1.png': png.tobytes()}))
    paired.download_pix2pix('facades', root=str(root), url=good.as_uri(), verbose=False)
    assert len(paired.load_paired_dataset('facades', 'train', root=str(root))) == 1
