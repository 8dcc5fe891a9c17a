"""The digit domain set (StarGAN v2's data): AFHQ's layout, and domain, style and identity
that the pixels tell."""
import os

import cv2
import numpy as np
import pytest

from d2gan.data import digit_attrs as da
from d2gan.data import digit_domains as dd
from d2gan.data import DatasetFormatError, DatasetNotFoundError


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('domains'))
    dd.make_digit_domains(root, verbose=False)
    return root


def truth_of(root, split, names, X_files):
    styles = dd.read_styles(os.path.join(root, dd.FOLDER))
    return [styles[os.path.join(split, d, f)] for d, f in zip(names, X_files)]


def test_layout_split_and_ground_truth(root):
    folder = os.path.join(root, dd.FOLDER)
    assert sorted(os.listdir(os.path.join(folder, 'train'))) == sorted(dd.DOMAINS)
    X, y, names = dd.load_digit_domains('val', root, image_size=32)
    assert names == list(dd.DOMAINS) and X.shape == (1000, 3, 32, 32) and X.dtype == np.float32
    assert -1 <= X.min() and X.max() <= 1
    Xt, yt, _ = dd.load_digit_domains('train', root, image_size=32)
    assert len(Xt) == 4000 and np.bincount(yt).min() > 1200          # about a third each
    styles = dd.read_styles(folder)
    assert len(styles) == 5000
    digits = [v[1] for k, v in styles.items() if k.startswith('val')]
    assert sorted(np.bincount(digits).tolist()) == [100] * 10       # the classifier's split
    # the same recipe gives the same files; a second call does not redraw
    some = sorted(os.listdir(os.path.join(folder, 'val', 'night')))[0]
    first = open(os.path.join(folder, 'val', 'night', some), 'rb').read()
    mtime = os.path.getmtime(os.path.join(folder, 'val', 'night', some))
    dd.make_digit_domains(root, verbose=False)
    assert os.path.getmtime(os.path.join(folder, 'val', 'night', some)) == mtime
    assert open(os.path.join(folder, 'val', 'night', some), 'rb').read() == first


@pytest.mark.parametrize('size', [32, 64])
def test_domain_and_style_are_measured_from_pixels(root, size):
    folder = os.path.join(root, dd.FOLDER, 'val')
    styles = dd.read_styles(os.path.join(root, dd.FOLDER))
    X, y, names = dd.load_domain_folder(os.path.join(root, dd.FOLDER), 'val', size,
                                        dd.DOMAINS, limit=100)
    files = [f for d in names for f in sorted(os.listdir(os.path.join(folder, d)))[:100]]
    truth = [styles[os.path.join('val', names[label], f)] for label, f in zip(y, files)]
    assert np.array_equal(dd.measure_domain(X), y)
    if size == 32:                                     # the truth comes in the loader's order
        t = dd.digit_domain_truth('val', root, limit=100)
        assert np.allclose(t['hue'], [r[2] for r in truth])
        assert t['digit'].tolist() == [r[1] for r in truth]
    hue, width = dd.measure_style(X)
    true_hue = np.array([t[2] for t in truth])
    true_width = np.array([t[3] for t in truth])
    assert np.median(dd.hue_distance(hue, true_hue)) < 0.02
    assert np.corrcoef(width, true_width)[0, 1] > 0.85
    # the identity survives: canonical digits look like MNIST (white strokes on black)
    canon = da.canonical_digits(X, 32)
    assert (canon > 0).mean() < 0.4


def test_measures_tell_a_change_from_a_copy(root):
    X, y, _ = dd.load_digit_domains('val', root, image_size=32, limit=30)
    hue, _ = dd.measure_style(X)
    shifted = X.copy()                                   # rotate every stroke's hue by 1/3
    hwc = ((shifted.transpose(0, 2, 3, 1) + 1) * 127.5).round().astype(np.uint8)
    for i, image in enumerate(hwc):
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(int) + 60) % 180
        hwc[i] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    shifted_hue, _ = dd.measure_style(hwc.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)
    paper = y == 0                                        # grey paper keeps its domain
    assert np.median(dd.hue_distance(shifted_hue[paper], (hue[paper] + 1 / 3) % 1)) < 0.03
    assert dd.hue_distance(0.95, 0.05) == pytest.approx(0.1)


def test_layout_errors_name_the_problem(tmp_path):
    with pytest.raises(DatasetNotFoundError, match='train'):
        dd.load_domain_folder(str(tmp_path), 'train')
    os.makedirs(tmp_path / 'train' / 'cat')
    with pytest.raises(DatasetFormatError, match=r"\['cat'\] .* hold no images"):
        dd.load_domain_folder(str(tmp_path), 'train')
    cv2.imwrite(str(tmp_path / 'train' / 'cat' / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(DatasetFormatError, match=r"no folder for domain\(s\) \['dog'\]"):
        dd.load_domain_folder(str(tmp_path), 'train', domains=['cat', 'dog'])
    X, y, names = dd.load_domain_folder(str(tmp_path), 'train', image_size=16)
    assert X.shape == (1, 3, 16, 16) and names == ['cat'] and y.tolist() == [0]


def test_registry_and_cli_train_stargan_v2_on_the_domains(root, tmp_path):
    from d2gan.cli import main
    from d2gan.data import load_dataset
    X, y = load_dataset('digit-domains', root=root, image_size=16, split='val', limit=6)
    assert X.shape == (6, 3, 16, 16) and y.shape == (6,)
    folder = os.path.join(root, dd.FOLDER)
    X2, y2 = load_dataset('domain-folder', root=folder, image_size=16, split='val')
    assert len(X2) == 1000 and sorted(set(y2.tolist())) == [0, 1, 2]
    with pytest.raises(ValueError, match='needs root'):
        load_dataset('domain-folder')
    out = tmp_path / 'run'
    assert main(['train', '--model', 'starganv2', '--dataset', 'digit-domains', '--dataroot',
                 root, '--image-size', '16', '--dim-in', '4', '--max-conv-dim', '8',
                 '--batch-size', '8', '--limit', '16', '--epochs', '1', '--out', str(out)]) == 0
    assert (out / 'checkpoint.ckpt').exists()
