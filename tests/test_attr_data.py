"""CelebA-format attribute lists, the CelebA loader's checks, and the digit attribute set."""
import os

import cv2
import numpy as np
import pytest

from d2gan.data import celeba_attrs as ca
from d2gan.data import digit_attrs as da
from d2gan.data import DatasetFormatError, DatasetNotFoundError


def _write_celeba(folder, n=3, size=(218, 178)):
    """A tiny folder in aligned CelebA's real layout (JPEG 178x218, both list files)."""
    os.makedirs(os.path.join(folder, 'img_align_celeba'))
    names = ('5_o_Clock_Shadow', 'Black_Hair', 'Blond_Hair', 'Male', 'Young')
    files = [f'{i + 1:06d}.jpg' for i in range(n)]
    rng = np.random.default_rng(0)
    for f in files:
        image = rng.integers(0, 255, size=size + (3,), dtype=np.uint8)
        image[:20] = 255  # a white band at the top that the 178x178 centre crop cuts off
        cv2.imwrite(os.path.join(folder, 'img_align_celeba', f), image)
    attrs = np.array([[1, 0, 1, 0, 1], [0, 1, 0, 1, 0], [1, 1, 0, 0, 1]])[:n]
    ca.write_attr_list(os.path.join(folder, 'list_attr_celeba.txt'), files, names, attrs)
    with open(os.path.join(folder, 'list_eval_partition.txt'), 'w') as fh:
        fh.writelines(f'{f} {p}\n' for f, p in zip(files, [0, 0, 2]))
    return files, names, attrs


def test_attr_list_round_trip_in_celeba_format(tmp_path):
    files, names, attrs = _write_celeba(str(tmp_path))
    text = (tmp_path / 'list_attr_celeba.txt').read_text().splitlines()
    assert text[0] == '3' and text[1].split() == list(names)
    assert text[2].split() == ['000001.jpg', '1', '-1', '1', '-1', '1']
    got_files, got_names, values = ca.read_attr_list(str(tmp_path / 'list_attr_celeba.txt'))
    assert got_files == files and got_names == names
    assert np.array_equal(values > 0, attrs > 0)


@pytest.mark.parametrize('lines,match', [
    (['3', 'A B', 'x.jpg 1 -1', 'y.jpg 1 1'], 'announces 3 images'),
    (['1', 'A B', 'x.jpg 1'], 'line 3: 1 values for 2'),
    (['1', 'A B', 'x.jpg 1 0'], 'must be 1 or -1'),
    (['1', 'A A', 'x.jpg 1 1'], 'repeats'),
    (['A B', 'x.jpg 1 1'], 'line 1'),
])
def test_attr_list_errors_name_the_problem(tmp_path, lines, match):
    path = tmp_path / 'list_attr_celeba.txt'
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DatasetFormatError, match=match):
        ca.read_attr_list(str(path))


def test_celeba_loader_crops_178_resizes_and_splits(tmp_path):
    _write_celeba(str(tmp_path / 'celeba'))
    data = ca.load_celeba_attrs(('Male', 'Black_Hair'), 'train', root=str(tmp_path),
                                image_size=32)
    assert data.images.shape == (2, 3, 32, 32) and data.images.dtype == np.float32
    assert np.array_equal(data.attrs, [[0, 0], [1, 1]])
    assert data.images.max() < 1.0  # the white top band was cropped away
    test = ca.load_celeba_attrs(('Young',), 'test', root=str(tmp_path), image_size=16)
    assert test.files == ['000003.jpg'] and test.attrs.tolist() == [[1.0]]
    with pytest.raises(ValueError, match='Eyeglasses.*list file has'):
        ca.load_celeba_attrs(('Eyeglasses',), root=str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match='img_align_celeba.zip'):
        ca.load_celeba_attrs(root=str(tmp_path / 'nowhere'))
    os.remove(tmp_path / 'celeba' / 'img_align_celeba' / '000002.jpg')
    with pytest.raises(DatasetFormatError, match='000002.jpg'):
        ca.load_celeba_attrs(('Male',), root=str(tmp_path))


def test_attribute_conflict_keeps_one_hair_colour():
    names = ('Black_Hair', 'Blond_Hair', 'Male')
    out = ca.check_attribute_conflict([[1, 0, 1]], 'Blond_Hair', names)
    assert out.tolist() == [[1, 0, 1]]  # Blond_Hair is off: nothing to resolve
    out = ca.check_attribute_conflict([[1, 1, 1]], 'Blond_Hair', names)
    assert out.tolist() == [[0, 1, 1]]


def test_digit_attrs_are_deterministic_and_measurable(tmp_path):
    root = str(tmp_path)
    folder = da.make_digit_attrs(root, verbose=False)
    listing = open(os.path.join(folder, 'list_attr_celeba.txt')).read()
    assert listing.startswith('5000\nRed_Stroke Thick Inverted Framed')
    test = da.load_digit_attrs(split='test', root=root, image_size=32)
    train = da.load_digit_attrs(split='train', root=root, image_size=32, limit=10)
    assert len(test) == 1000 and test.images.shape[1:] == (3, 32, 32)
    assert sorted(np.bincount(test.labels).tolist()) == [100] * 10
    assert not set(test.files) & set(train.files)
    assert 0.4 < test.attrs.mean() < 0.6
    for size in (32, 64):
        data = da.load_digit_attrs(split='test', root=root, image_size=size, limit=300)
        measured = da.measure_attributes(data.images)
        assert (measured == data.attrs).mean(axis=0).min() >= 0.99
    # the same recipe gives the same files; a second call does not redraw
    first = open(os.path.join(folder, 'img_align_celeba', '000123.png'), 'rb').read()
    other = da.make_digit_attrs(str(tmp_path / 'again'), verbose=False)
    assert open(os.path.join(other, 'img_align_celeba', '000123.png'), 'rb').read() == first
    # measuring tells an edit from a copy: flipping the background flips Inverted only
    flipped = -test.images[:50]
    m = da.measure_attributes(flipped)
    assert np.array_equal(m[:, 2], 1 - test.attrs[:50, 2])


def test_canonical_digits_are_white_on_black():
    data = da.load_digit_attrs(split='test', image_size=32, limit=20)
    canon = da.canonical_digits(data.images)
    assert canon.shape == (20, 1, 32, 32)
    assert np.all(canon[:, :, :3, :] == -1)  # frame band removed
    assert (canon > 0).mean() < 0.4  # strokes on a dark background, whatever Inverted says
