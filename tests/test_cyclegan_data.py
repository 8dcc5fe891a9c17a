"""Unpaired data: trainA/trainB layout, independent shuffles, the photo/cartoon set, download."""
import io
import os
import zipfile

import cv2
import numpy as np
import pytest

from d2gan.data import ChecksumError, DatasetFormatError, DatasetNotFoundError
from d2gan.data import cartoon_synth, unpaired


def write_rgb(path, image):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


@pytest.fixture
def folder(tmp_path):
    """5 A images and 3 B images, each a flat colour that names it (A: red = 10 i, B: green)."""
    for i in range(5):
        write_rgb(tmp_path / 'trainA' / f'{i}.png', np.full((20, 20, 3), (10 * i, 0, 0), np.uint8))
    for i in range(3):
        write_rgb(tmp_path / 'trainB' / f'{i}.png', np.full((20, 20, 3), (0, 10 * i, 0), np.uint8))
    return unpaired.UnpairedFolder(tmp_path, 'train')


def _ids(batch, channel):
    return [int(round((v + 1) * 127.5 / 10)) for v in batch[:, channel, 0, 0].asnumpy()]


def test_batches_visit_the_larger_domain_and_shuffle_independently(folder):
    data = unpaired.UnpairedBatches(folder, batch_size=2, image_size=16)
    assert len(folder) == 5 and len(data) == 2 and data.size == 18
    epoch = list(data.batches(epoch=0, seed=1))
    A = sum((_ids(a, 0) for a, _ in epoch), [])
    B = sum((_ids(b, 1) for _, b in epoch), [])
    assert len(set(A)) == 4 and set(B) <= {0, 1, 2} and len(B) == 4
    assert sorted(B[:3]) == [0, 1, 2]                      # a permutation, then another
    again = list(data.batches(epoch=0, seed=1))
    for (a1, b1), (a2, b2) in zip(epoch, again):
        np.testing.assert_array_equal(a1.asnumpy(), a2.asnumpy())
        np.testing.assert_array_equal(b1.asnumpy(), b2.asnumpy())
    orders = [tuple(data.order('A', e, 1, 4)) for e in range(4)]
    assert len(set(orders)) > 1                             # a new order every epoch
    assert not np.array_equal(data.order('A', 0, 1, 3), data.order('B', 0, 1, 3))
    a, b = epoch[0]
    assert a.shape == b.shape == (2, 3, 16, 16)


def test_missing_domain_says_how_to_get_it(tmp_path):
    (tmp_path / 'trainA').mkdir()
    with pytest.raises(DatasetNotFoundError, match='trainB'):
        unpaired.UnpairedFolder(tmp_path, 'train')
    with pytest.raises(DatasetNotFoundError, match='download_cyclegan'):
        unpaired.load_unpaired_dataset('horse2zebra', root=str(tmp_path))
    with pytest.raises(ValueError, match='synth-photo2cartoon'):
        unpaired.load_unpaired_dataset('zebra2horse', root=str(tmp_path))


def test_photo2cartoon_layout_truth_and_determinism(tmp_path):
    root = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 6, 'test': 4}, size=32)
    for sub in ('trainA', 'trainB', 'testA', 'testB', 'truth/testA', 'truth/testB'):
        assert len(os.listdir(os.path.join(root, sub))) == (6 if 'train' in sub else 4)
    read = lambda *p: cv2.cvtColor(cv2.imread(os.path.join(root, *p)), cv2.COLOR_BGR2RGB)  # noqa
    photo = read('testA', '0002.png')
    np.testing.assert_array_equal(read('truth', 'testA', '0002.png'),
                                  cartoon_synth.cartoonize(photo))
    np.testing.assert_array_equal(read('testB', '0001.png'),
                                  cartoon_synth.cartoonize(read('truth', 'testB', '0001.png')))
    # unpaired: no training cartoon is the cartoon of a training photo
    cartoons_of_A = [cartoon_synth.cartoonize(read('trainA', f'{i:04d}.png')) for i in range(6)]
    for j in range(6):
        b = read('trainB', f'{j:04d}.png')
        assert all(not np.array_equal(b, c) for c in cartoons_of_A)
    # cartoons use few colours and dark lines
    colours = {tuple(c) for c in cartoon_synth.cartoonize(photo).reshape(-1, 3)}
    assert len(colours) <= 4 ** 3 + 1
    stamp = os.path.getmtime(os.path.join(root, 'trainA', '0000.png'))
    again = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 6, 'test': 4}, size=32)
    assert again == root and os.path.getmtime(os.path.join(root, 'trainA', '0000.png')) == stamp
    other = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c2', {'train': 6, 'test': 4}, size=32)
    np.testing.assert_array_equal(read('trainB', '0003.png'),
                                  cv2.imread(os.path.join(other, 'trainB', '0003.png'))[..., ::-1])
    test = unpaired.UnpairedFolder(root, 'test')
    X = unpaired.load_domain(test.files['A'], 32)
    assert X.shape == (4, 3, 32, 32) and X.dtype == np.float32 and X.min() >= -1


def _zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_download_records_then_checks_sha1_and_refuses_escapes(tmp_path):
    ok, png = cv2.imencode('.png', np.zeros((8, 8, 3), np.uint8))
    archive = tmp_path / 'remote.zip'
    archive.write_bytes(_zip_bytes({f'horse2zebra/{s}/0.png': png.tobytes()
                                    for s in ('trainA', 'trainB', 'testA', 'testB')}))
    root = tmp_path / 'data'
    folder = unpaired.download_cyclegan('horse2zebra', root=str(root), url=archive.as_uri(),
                                        verbose=False)
    assert folder == str(root / 'horse2zebra')
    assert len(unpaired.load_unpaired_dataset('horse2zebra', 'test', str(root)).files['B']) == 1
    assert len((root / 'horse2zebra.zip.sha1').read_text().strip()) == 40
    (root / 'horse2zebra.zip').write_bytes(_zip_bytes({'horse2zebra/x.txt': b'other'}))
    with pytest.raises(ChecksumError, match='delete both files'):
        unpaired.download_cyclegan('horse2zebra', root=str(root), verbose=False)
    evil = tmp_path / 'evil.zip'
    evil.write_bytes(_zip_bytes({'../escape.txt': b'x'}))
    with pytest.raises(DatasetFormatError, match='outside'):
        unpaired.download_cyclegan('summer2winter', root=str(tmp_path / 'd2'),
                                   url=evil.as_uri(), verbose=False)
    assert not (tmp_path / 'escape.txt').exists()
    with pytest.raises(KeyError, match='monet2photo'):
        unpaired.download_cyclegan('facades', root=str(root))


def test_palette_fraction_separates_cartoons_from_photos():
    rng = np.random.default_rng(0)
    photos = [cartoon_synth.random_crop(cartoon_synth.source_photos(), rng, 48)
              for _ in range(4)]
    as_batch = lambda images: np.stack(images).transpose(0, 3, 1, 2) / 127.5 - 1  # noqa: E731
    cartoons = as_batch([cartoon_synth.cartoonize(p) for p in photos])
    assert cartoon_synth.palette_fraction(cartoons) == 1.0
    assert cartoon_synth.palette_fraction(as_batch(photos)) < 0.3
    assert cartoon_synth.palette_fraction(np.zeros((1, 3, 4, 4), np.float32)) == 0.0  # grey 127.5


def test_photo2cartoon_has_no_flat_images(tmp_path):
    """A constant image makes every instance norm of a U-GAT-IT generator multiply the gradient
    by ~316 (NaN after ~200 iterations): version 1 of the generator wrote such cartoons (flat
    sky, quantised to one colour), the textured crops of version 2 none."""
    rng = np.random.default_rng([0, 0, 1, 30])
    crop, cartoon = cartoon_synth.textured_crop(cartoon_synth.source_photos(), rng, 64,
                                                cartoon_synth.cartoonize)
    assert np.array_equal(cartoon, cartoon_synth.cartoonize(crop))
    root = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 60, 'test': 10}, size=32)
    for folder in ('trainA', 'trainB', 'testA', 'testB'):
        for name in os.listdir(os.path.join(root, folder)):
            image = cv2.imread(os.path.join(root, folder, name)).astype(np.float32) / 255
            assert image.std() >= cartoon_synth.MIN_STD, (folder, name)
    flat = np.full((32, 32, 3), 200, np.uint8)
    with pytest.raises(RuntimeError, match='standard deviation'):
        cartoon_synth.textured_crop([flat], np.random.default_rng(0), 16)


def test_ink_contrast_scores_true_cartoons_high_and_flat_images_zero():
    rng = np.random.default_rng(5)
    photos = [cartoon_synth.textured_crop(cartoon_synth.source_photos(), rng, 48)[0]
              for _ in range(6)]
    as_batch = lambda xs: np.stack(xs).transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1
    cartoons = as_batch([cartoon_synth.cartoonize(p) for p in photos])
    truth = cartoon_synth.ink_contrast(cartoons, cartoons)
    assert truth > 0.3
    assert cartoon_synth.ink_contrast(as_batch(photos), cartoons) < truth - 0.15
    dark = np.full_like(cartoons, -0.8)                                  # dark all over: no lines
    assert cartoon_synth.ink_contrast(dark, cartoons) == pytest.approx(0, abs=1e-6)
    assert np.isnan(cartoon_synth.ink_contrast(cartoons, np.zeros_like(cartoons)))
    with pytest.raises(ValueError, match='differ in shape'):
        cartoon_synth.ink_contrast(cartoons[:, :, :8], cartoons)
