"""``python -m d2gan infer --weights X.params``: converted reference generators translate and
edit images without a d2gan checkpoint (:mod:`d2gan.cli.weights`).

The networks are the small reference fixtures of ``tests/data/pretrained/`` converted with
:func:`d2gan.pretrained.convert`; the expected images are the converted network applied
directly (it equals the reference: ``tests/test_pretrained*.py``).
"""
import os

import cv2
import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import pretrained
from d2gan.cli import weights
from d2gan.cli.main import main
from d2gan.data import paired
from d2gan.data.celeba_attrs import write_attr_list
from d2gan.data.paired import to_tensor
from d2gan.plot import to_numpy_images

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained')


def converted(tmp_path, name):
    """``(net, path of X.params)`` of fixture ``name`` converted and saved as `convert` does."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        fmt = str(f['format'])
    net, config = pretrained.convert(fmt, state)
    path = str(tmp_path / f'{os.path.basename(name)}.params')
    pretrained.save_converted(net, config, path, fmt=fmt)
    return net, path


def write_images(folder, images):
    """uint8 RGB ``(N, H, W, 3)`` as ``folder/i.png``."""
    os.makedirs(folder, exist_ok=True)
    for i, image in enumerate(images):
        cv2.imwrite(os.path.join(folder, f'{i}.png'), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return str(folder)


def read_png(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image


def as_png(y):
    """What ``write_pngs`` stores for network outputs ``y`` in [-1, 1]."""
    return (to_numpy_images(y) * 255 + 0.5).astype(np.uint8)


def random_images(n, h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def test_translates_a_folder_with_a_converted_cyclegan_generator(tmp_path, capsys):
    net, params = converted(tmp_path, 'resnet_instance_2018')
    images = random_images(2, 32, 32)
    source = write_images(tmp_path / 'testA', images)
    out = tmp_path / 'out'
    assert main(['infer', '--weights', params, '--input', source, '--out', str(out),
                 '--image-size', '32']) == 0
    assert 'translated 2 images (32x32, mode eval)' in capsys.readouterr().out
    expected = as_png(net(mx.nd.array(to_tensor(images))))
    for i in range(2):
        got = read_png(out / f'{i}.png').astype(int)
        assert np.abs(got - expected[i]).max() <= 1


@pytest.mark.parametrize('name, size', [('ugatit/generator_light', None),
                                        ('ugatit/generator_light', 24),
                                        ('ugatit/generator', None),
                                        ('ugatit/generator', 16)])
def test_translates_a_folder_with_a_converted_ugatit_generator(tmp_path, capsys, name, size):
    """The PNGs are the first of the network's ``(image, cam_logits, heatmap)``; the light
    generator defaults to 256 px, the full one (``img_size`` 16) to its trained size."""
    net, params = converted(tmp_path, name)
    images = random_images(2, 16, 16, seed=4)
    source = write_images(tmp_path / 'testA', images)
    target = write_images(tmp_path / 'truth', random_images(2, 16, 16, seed=5))
    out = tmp_path / 'out'
    extra = ['--image-size', str(size)] if size else []
    if not name.endswith('light'):
        extra += ['--target', target]                  # 3 -> 3 channels: L1 / PSNR
    assert main(['infer', '--weights', params, '--input', source, '--out', str(out),
                 *extra]) == 0
    side = size or (256 if name.endswith('light') else 16)
    printed = capsys.readouterr().out
    assert f'translated 2 images ({side}x{side}, mode eval)' in printed
    assert ('vs ground truth: L1' in printed) == (not name.endswith('light'))
    X = to_tensor([paired._resize(im, side) for im in images])     # as `infer` resizes
    with mx.autograd.predict_mode():
        y = net(mx.nd.array(X))
    assert isinstance(y, tuple) and len(y) == 3
    expected = as_png(y[0])
    if expected.shape[-1] == 1:                        # the light fixture: 1-channel output
        expected = expected[..., 0]
    for i in range(2):
        got = read_png(out / f'{i}.png').astype(int)
        assert got.shape == expected[i].shape
        assert np.abs(got - expected[i]).max() <= 1


def test_paired_inputs_translate_the_chosen_side_and_report(tmp_path, capsys):
    net, params = converted(tmp_path, 'unet_batch')
    a, b = random_images(2, 64, 64, seed=1), random_images(2, 64, 64, seed=2)
    source = write_images(tmp_path / 'test', np.concatenate([a, b], axis=2))   # A|B
    out = tmp_path / 'out'
    assert main(['infer', '--weights', params, '--input', source, '--out', str(out),
                 '--image-size', '64', '--paired', '--direction', 'BtoA']) == 0
    assert 'vs ground truth: L1' in capsys.readouterr().out
    with mx.autograd.predict_mode():
        expected = as_png(net(mx.nd.array(to_tensor(b))))
    assert np.abs(read_png(out / '0.png').astype(int) - expected[0]).max() <= 1


def test_edits_with_a_converted_stargan_generator(tmp_path, capsys, monkeypatch):
    net, params = converted(tmp_path, 'yunjey/generator')
    folder = tmp_path / 'faces'
    write_images(folder / 'img_align_celeba', random_images(3, 16, 16, seed=3))
    attrs = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 1]])
    write_attr_list(folder / 'list_attr_celeba.txt', ['0.png', '1.png', '2.png'],
                    ['Red', 'Blue', 'Big'], attrs)
    grids = []
    monkeypatch.setattr(weights, 'save_grid', lambda rows, out, nrow: grids.append(rows))
    assert main(['infer', '--weights', params, '--input', str(folder), '--out',
                 str(tmp_path / 'edits.png'), '--attrs', 'Red,Blue,Big', '--split', 'all']) == 0
    assert grids[-1].shape == (12, 3, 128, 128)     # StarGAN's default size: the released
    assert main(['infer', '--weights', params, '--input', str(folder), '--out',
                 str(tmp_path / 'edits.png'), '--attrs', 'Red,Blue,Big', '--split', 'all',
                 '--image-size', '16']) == 0
    assert 'rows 2-4 = flipped Red, Blue, Big' in capsys.readouterr().out
    rows = grids[-1].asnumpy()
    assert rows.shape == (12, 3, 16, 16)
    X = mx.nd.array(rows[:3])
    for i in range(3):
        B = attrs.astype(np.float32)
        B[:, i] = 1 - B[:, i]
        expected = net(X, mx.nd.array(B)).asnumpy()
        np.testing.assert_allclose(rows[3 * (i + 1):3 * (i + 2)], expected, atol=1e-5)


def edit_thirteen(tmp_path, monkeypatch, params, hair, seed):
    """``infer --weights`` on two 16 px images with the reference's 13 CelebA labels (random,
    hair colours ``hair``); returns the labels and the grid's rows."""
    from d2gan.data.celeba_attrs import ATTGAN_ATTRS
    folder = tmp_path / 'faces'
    write_images(folder / 'img_align_celeba', random_images(2, 16, 16, seed=seed))
    attrs = np.random.default_rng(seed + 1).integers(0, 2, (2, 13))
    attrs[:, 2:5] = hair
    write_attr_list(folder / 'list_attr_celeba.txt', ['0.png', '1.png'], list(ATTGAN_ATTRS),
                    attrs)
    grids = []
    monkeypatch.setattr(weights, 'save_grid', lambda rows, out, nrow: grids.append(rows))
    assert main(['infer', '--weights', params, '--input', str(folder), '--out',
                 str(tmp_path / 'edits.png'), '--split', 'all', '--image-size', '16']) == 0
    return attrs, grids[-1].asnumpy()


def test_edits_with_a_converted_attgan_generator(tmp_path, capsys, monkeypatch):
    """AttGAN is told ``(2 b - 1) * 0.5`` with the flipped attribute at +-1, as AttGAN-PyTorch's
    ``test.py``; its 13 labels default to the reference's CelebA thirteen."""
    net, params = converted(tmp_path, 'attgan/generator')
    attrs, rows = edit_thirteen(tmp_path, monkeypatch, params, [[1, 0, 0], [0, 0, 1]], seed=4)
    assert 'rows 2-14 = flipped Bald, Bangs' in capsys.readouterr().out
    assert rows.shape == (2 * 14, 3, 16, 16)
    X = mx.nd.array(rows[:2])
    bald = attrs.astype(np.float32)
    bald[:, 0] = 1 - bald[:, 0]
    told = (2 * bald - 1) * 0.5
    told[:, 0] *= 2
    np.testing.assert_allclose(rows[2:4], net(X, mx.nd.array(told)).asnumpy(), atol=1e-5)


@pytest.mark.parametrize('case', ['no-sidecar', 'no-params', 'discriminator', 'channels',
                                  'foreign-option', 'direction', 'stargan-attrs',
                                  'image-size-with-checkpoint', 'ugatit-discriminator',
                                  'ugatit-image-size'])
def test_clear_errors(tmp_path, capsys, case):
    images = write_images(tmp_path / 'in', random_images(1, 32, 32))
    name = {'discriminator': 'patchgan_none', 'channels': 'unet_instance_gray',
            'stargan-attrs': 'yunjey/generator', 'ugatit-discriminator': 'ugatit/discriminator',
            'ugatit-image-size': 'ugatit/generator'}.get(case, 'resnet_instance_2018')
    _, params = converted(tmp_path, name)
    extra = []
    if case == 'no-sidecar':
        os.remove(pretrained.sidecar_path(params))
    elif case == 'no-params':
        os.remove(params)
    elif case == 'foreign-option':
        extra = ['--attrs', 'Male']
    elif case == 'direction':
        extra = ['--direction', 'BtoA']
    elif case == 'stargan-attrs':
        extra = ['--attrs', 'Black_Hair,Male']
    source = ['--weights', params]
    if case == 'image-size-with-checkpoint':
        source, extra = ['--checkpoint', str(tmp_path / 'x.ckpt')], ['--image-size', '32']
    code = main(['infer', *source, '--input', images, '--out', str(tmp_path / 'out'),
                 '--image-size', '32', *extra] if case != 'image-size-with-checkpoint' else
                ['infer', *source, '--input', images, '--out', str(tmp_path / 'out'), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and len(err.strip().splitlines()) == 1
    assert {'no-sidecar': 'cannot read the network description',
            'no-params': 'no such file',
            'discriminator': 'holds a patchgan_discriminator (format junyanz-n_layers)',
            'channels': 'takes 1-channel images',
            'foreign-option': '--attrs does not apply to a converted resnet_generator',
            'direction': '--direction with --weights picks the side of --paired',
            'stargan-attrs': 'takes 3 labels (--attrs gives 2)',
            'image-size-with-checkpoint': '--image-size applies to --weights',
            'ugatit-discriminator': 'holds a ugatit_discriminator (format ugatit-discriminator)',
            'ugatit-image-size': 'trained at 16x16: it runs only at that size, not at '
                                 '--image-size 32'}[case] in err
    assert not os.path.exists(tmp_path / 'out')


def test_checkpoint_and_weights_exclude_each_other(tmp_path, capsys):
    assert main(['infer', '--checkpoint', 'a.ckpt', '--weights', 'b.params', '--input', 'x',
                 '--out', 'y']) == 2
    assert 'not allowed with argument' in capsys.readouterr().err
    assert main(['infer', '--input', 'x', '--out', 'y']) == 2
    assert 'one of the arguments --checkpoint --weights is required' in \
        capsys.readouterr().err


def test_edits_with_a_converted_stgan_generator(tmp_path, capsys, monkeypatch):
    """STGAN is told the difference of the codes, ``(2 b - 1) * 0.5 - (2 a - 1) * 0.5`` (the
    edited target times test_int, 1), as csmliu/STGAN's ``test.py``."""
    state = pretrained.read_state_dict(os.path.join(DATA, 'stgan', 'stgan'))
    net, config = pretrained.convert('stgan-generator', state)
    params = str(tmp_path / 'stgan.params')
    pretrained.save_converted(net, config, params, fmt='stgan-generator')
    attrs, rows = edit_thirteen(tmp_path, monkeypatch, params, [[0, 1, 0], [0, 0, 1]], seed=6)
    X = mx.nd.array(rows[:2])
    bangs = attrs.astype(np.float32)
    bangs[:, 1] = 1 - bangs[:, 1]
    told = (2 * bangs - 1) * 0.5 - (2 * attrs - 1) * 0.5
    with mx.autograd.predict_mode():
        expected = net(X, mx.nd.array(told)).asnumpy()
    np.testing.assert_allclose(rows[4:6], expected, atol=1e-5)
