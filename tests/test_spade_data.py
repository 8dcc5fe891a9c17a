"""Semantic maps: Cityscapes-style lists, one-hot + instance edges, the synthetic facades view."""
import os

import cv2
import numpy as np
import pytest

import d2gan
from d2gan.data import cityscapes, facades_synth, paired
from d2gan.data.errors import DatasetFormatError, DatasetNotFoundError


def test_instance_edges_mark_both_sides_of_every_boundary():
    inst = np.array([[1, 1, 2],
                     [1, 1, 2],
                     [3, 3, 3]])
    expected = np.array([[0, 1, 1],
                         [1, 1, 1],
                         [1, 1, 1]], np.float32)
    np.testing.assert_array_equal(cityscapes.instance_edges(inst), expected)
    assert cityscapes.instance_edges(np.full((4, 4), 7)).sum() == 0


def test_semantic_input_is_one_hot_plus_edges():
    labels = np.array([[[0, 2], [1, 2]]])
    x = cityscapes.semantic_input(labels, 3, instances=np.array([[[5, 5], [5, 6]]]))
    assert x.shape == (1, 4, 2, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :3].argmax(0), labels[0])
    np.testing.assert_array_equal(x[0, :3].sum(0), np.ones((2, 2)))
    np.testing.assert_array_equal(x[0, 3], [[0, 1], [1, 1]])
    assert cityscapes.semantic_input(labels, 3).shape == (1, 3, 2, 2)
    with pytest.raises(ValueError, match='num_classes'):
        cityscapes.semantic_input(labels, 2)


def _write_example(root, name, label, instance, photo):
    for folder in ('labels', 'images', 'instances'):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    cv2.imwrite(os.path.join(root, 'labels', name + '.png'), label.astype(np.uint8))
    cv2.imwrite(os.path.join(root, 'instances', name + '.png'), instance.astype(np.uint16))
    cv2.imwrite(os.path.join(root, 'images', name + '.png'), photo[..., ::-1])
    return f'labels/{name}.png\timages/{name}.png\tinstances/{name}.png'


def test_list_dataset_reads_cityscapes_style_lines(tmp_path):
    rng = np.random.default_rng(0)
    label = rng.integers(0, 5, (16, 16))
    instance = label * 1000 + (np.arange(16)[None] >= 8)   # 26001-style ids, two per class
    photo = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    line = _write_example(str(tmp_path), 'a', label, instance, photo)
    (tmp_path / 'train_list.txt').write_text(line + '\n\n')
    ds = cityscapes.SemanticListDataset(tmp_path / 'train_list.txt')
    got_label, got_photo, got_instance = ds[0]
    np.testing.assert_array_equal(got_label, label)
    np.testing.assert_array_equal(got_instance, instance)    # 16-bit ids survive
    np.testing.assert_array_equal(got_photo, photo)           # RGB
    (tmp_path / 'bad.txt').write_text('only_one_column.png\n')
    with pytest.raises(DatasetFormatError, match='line 1'):
        cityscapes.SemanticListDataset(tmp_path / 'bad.txt')
    with pytest.raises(DatasetNotFoundError):
        cityscapes.SemanticListDataset(tmp_path / 'missing.txt')


def test_make_cityscapes_list_from_the_real_folder_layout(tmp_path):
    root, city = tmp_path / 'cityscapes', 'aachen'
    for sub in (f'gtFine/train/{city}', f'leftImg8bit/train/{city}'):
        os.makedirs(root / sub)
    stem = f'{city}_000000_000019'
    label = np.zeros((8, 16), np.uint8)
    cv2.imwrite(str(root / f'gtFine/train/{city}/{stem}_gtFine_labelIds.png'), label)
    cv2.imwrite(str(root / f'gtFine/train/{city}/{stem}_gtFine_instanceIds.png'),
                label.astype(np.uint16) + 26000)
    cv2.imwrite(str(root / f'leftImg8bit/train/{city}/{stem}_leftImg8bit.png'),
                np.zeros((8, 16, 3), np.uint8))
    ds, num_classes, palette = cityscapes.load_semantic_dataset('cityscapes', 'train', tmp_path)
    assert open(root / 'train_list.txt').read().split('\t')[0] == \
        f'gtFine/train/{city}/{stem}_gtFine_labelIds.png'
    assert ds[0][2].max() == 26000 and num_classes == 35 and len(palette) == 35
    with pytest.raises(DatasetNotFoundError, match='cityscapes-dataset.com'):
        cityscapes.make_cityscapes_list(root, 'val')


def test_synthetic_facades_semantic_view_matches_the_pix2pix_pairs(tmp_path):
    root = facades_synth.make_synthetic_facades(tmp_path / 'f', {'train': 6, 'val': 2}, size=64)
    lists = facades_synth.write_semantic_lists(root)
    assert set(lists) == {'train', 'val'}
    first = open(lists['train']).readline().rstrip('\n').split('\t')
    assert first == ['labels/train/0000.png', 'photos/train/0000.png',
                     'instances/train/0000.png']
    mtime = os.path.getmtime(lists['train'])
    assert facades_synth.write_semantic_lists(root) == lists        # cached: not rewritten
    assert os.path.getmtime(lists['train']) == mtime

    ds = cityscapes.SemanticListDataset(lists['train'])
    label, photo, instance = ds[0]
    np.testing.assert_array_equal(label, facades_synth.read_label_map(root, 'train', 0))
    assert (instance // 1000 == np.where(instance >= 1000, label, 0)).all()
    windows = np.unique(instance[label == facades_synth.WINDOW])
    assert len(windows) > 1                  # every window is its own instance

    # the same crops, flips, order and target pixels as the pix2pix loader (the photos are
    # random textures: equal crops of them can only come from equal crops and flips)
    n = len(facades_synth.CLASSES)
    semantic = cityscapes.SemanticBatches(ds, n, batch_size=3, image_size=32)
    pairs = paired.PairedBatches(paired.AlignedPairFolder(root, 'train', 'BtoA'), 3, 32)
    for (M, X), (A, B) in zip(semantic.batches(1, seed=5), pairs.batches(1, seed=5)):
        assert M.shape == (3, n + 1, 32, 32) and semantic.label_channels == n + 1
        np.testing.assert_array_equal(X.asnumpy(), B.asnumpy())
    maps, images = cityscapes.load_semantic(ds, n, 32, limit=4)
    assert maps.shape == (4, n + 1, 32, 32) and images.shape == (4, 3, 32, 32)
    assert set(np.unique(maps)) <= {0.0, 1.0}


def test_colorize_maps_draws_classes_and_edges():
    m = cityscapes.semantic_input(np.array([[[0, 1]]]), 2, np.array([[[1, 2]]]))
    rgb = cityscapes.colorize_maps(m, np.array([[255, 0, 0], [0, 255, 0]]))
    assert rgb.shape == (1, 3, 1, 2)
    np.testing.assert_allclose(rgb[0, :, 0, 0], [-1, -1, -1])     # edge pixel: black
    palette = cityscapes.label_palette(35)
    assert len({tuple(c) for c in palette}) == 35
    assert d2gan.data.load_semantic_dataset is cityscapes.load_semantic_dataset


def test_street_scene_has_the_cityscapes_classes_and_car_instances():
    from d2gan.data import cityscapes
    from d2gan.data.street_scene import street_scene, CAR, SKY, ROAD, BUILDING
    labels, instances = street_scene(128, 256, num_cars=3, seed=1)
    assert labels.shape == instances.shape == (128, 256)
    assert {SKY, ROAD, BUILDING, CAR} <= set(np.unique(labels))
    assert labels.max() < cityscapes.CITYSCAPES_CLASSES
    cars = np.unique(instances[labels == CAR])
    assert list(cars) == [CAR * 1000 + k for k in range(len(cars))] and len(cars) >= 2
    np.testing.assert_array_equal(instances[labels != CAR], labels[labels != CAR])
    assert labels[0].tolist().count(SKY) > 0 and labels[-1, 128] == ROAD
    again = street_scene(128, 256, num_cars=3, seed=1)
    np.testing.assert_array_equal(again[0], labels)
    assert (street_scene(128, 256, num_cars=3, seed=2)[0] != labels).any()
