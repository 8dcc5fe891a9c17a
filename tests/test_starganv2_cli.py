"""``python -m d2gan infer`` for StarGAN v2 (:mod:`d2gan.cli.domains`): a tiny trained
checkpoint translates latent- and reference-guided, as :meth:`StarGANv2Step.translate`; so do
its networks, and the clovaai fixtures, converted and run with ``infer --weights``.
"""
import argparse
import os

import cv2
import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import mxnet as mx
from d2gan import get_model, pretrained
from d2gan.cli.common import load_step
from d2gan.cli.domains import latent_codes
from d2gan.cli.main import main
from d2gan.data import load_dataset
from d2gan.data.paired import to_tensor
from d2gan.plot import to_numpy_images

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'starganv2')
TINY = ['--image-size', '16', '--dim-in', '4', '--max-conv-dim', '8', '--batch-size', '8',
        '--limit', '16']                              # RECIPE_ARGS['starganv2'] of test_cli_devices


def write_images(folder, images):
    """uint8 ``(N, H, W)`` or ``(N, H, W, 3)`` RGB as ``folder/i.png``; returns the folder."""
    os.makedirs(folder, exist_ok=True)
    for i, image in enumerate(images):
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
        cv2.imwrite(os.path.join(folder, f'{i}.png'), bgr)
    return str(folder)


def read_png(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image


def as_png(y):
    """What ``write_pngs`` stores for outputs ``y`` in [-1, 1] (grey: ``(N, H, W)``)."""
    x = (to_numpy_images(y) * 255 + 0.5).astype(np.uint8)
    return x[..., 0] if x.shape[-1] == 1 else x


def assert_pngs(folder, names, expected):
    for name, image in zip(names, expected):
        got = read_png(os.path.join(folder, name)).astype(int)
        assert got.shape == image.shape
        assert np.abs(got - image).max() <= 1, name


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """A starganv2 checkpoint trained 1 epoch on digits (10 domains, 1 channel, 16 px), its
    step, 3 input digits and 2 reference digits (of other classes) as PNGs."""
    root = tmp_path_factory.mktemp('starganv2')
    out = root / 'run'
    assert main(['train', '--model', 'starganv2', '--epochs', '1', '--seed', '3',
                 '--out', str(out)] + TINY) == 0
    checkpoint = str(out / 'checkpoint.ckpt')
    step, config = load_step(argparse.Namespace(checkpoint=checkpoint, device='cpu'))
    X, y = load_dataset('mnist-digits', image_size=16)
    digits = ((X[:, 0] + 1) * 127.5 + 0.5).astype(np.uint8)
    pick = [np.flatnonzero(y == c)[0] for c in (0, 1, 2, 7, 3)]
    inputs = write_images(root / 'in', digits[pick[:3]])
    refs = write_images(root / 'refs', digits[pick[3:]])
    return dict(root=root, checkpoint=checkpoint, step=step, config=config,
                X=to_tensor(digits[pick[:3], :, :, None]),
                refs=to_tensor(digits[pick[3:], :, :, None]), inputs=inputs, ref_folder=refs)


def infer(run, out, *extra):
    return main(['infer', '--checkpoint', run['checkpoint'], '--input', run['inputs'],
                 '--out', str(out), '--target-domain', '7', *extra])


def translated_latent(step, X, seed, num, domain=7):
    z = latent_codes(seed, num, step.latent_dim)
    return [step.translate(X, domain, z=np.repeat(z[k:k + 1], len(X), 0)) for k in range(num)]


def translated_reference(step, X, refs, domain=7):
    return [step.translate(X, domain, reference=np.repeat(refs[k:k + 1], len(X), 0))
            for k in range(len(refs))]


def test_latent_guided_equals_translate_and_is_seeded(run, tmp_path, capsys):
    out = tmp_path / 'latent'
    assert infer(run, out, '--latent-seed', '1', '--num-styles', '2', '--batch-size', '2') == 0
    assert 'into domain 7 in 2 style(s) (latent-guided, seed 1)' in capsys.readouterr().out
    names = [f'{i}_{k}.png' for k in range(2) for i in range(3)]
    assert sorted(os.listdir(out)) == sorted(names + ['grid.png'])
    expected = np.concatenate([as_png(y) for y in translated_latent(run['step'], run['X'], 1, 2)])
    assert_pngs(out, names, expected)
    # grid: inputs + 2 rows of styles, 3 columns of 16 px with 2 px padding
    assert read_png(out / 'grid.png').shape[:2] == (3 * 18 + 2, 3 * 18 + 2)
    again, other = tmp_path / 'again', tmp_path / 'other'
    assert infer(run, again, '--latent-seed', '1', '--num-styles', '2') == 0
    assert infer(run, other, '--latent-seed', '2', '--num-styles', '2') == 0
    for name in names:
        assert (again / name).read_bytes() == (out / name).read_bytes()
    assert any((other / n).read_bytes() != (out / n).read_bytes() for n in names)


def test_reference_guided_equals_translate_and_follows_the_reference(run, tmp_path, capsys):
    out = tmp_path / 'ref'
    assert infer(run, out, '--reference', run['ref_folder']) == 0
    assert 'reference-guided by' in capsys.readouterr().out
    rows = translated_reference(run['step'], run['X'], run['refs'])
    names = [f'{i}_{k}.png' for k in range(2) for i in range(3)]
    assert_pngs(out, names, np.concatenate([as_png(y) for y in rows]))
    assert np.abs(rows[0].asnumpy() - rows[1].asnumpy()).max() > 1e-3   # style of the reference
    # grid: a first column (blank, then the references) + 3 inputs; 3 rows
    assert read_png(out / 'grid.png').shape[:2] == (3 * 18 + 2, 4 * 18 + 2)
    one = tmp_path / 'one.png'                                # one reference, only the grid
    assert infer(run, one, '--reference', os.path.join(run['ref_folder'], '1.png')) == 0
    assert read_png(one).shape[:2] == (2 * 18 + 2, 4 * 18 + 2)
    single = tmp_path / 'single'                              # one style: NAME.png
    assert infer(run, single, '--reference', os.path.join(run['ref_folder'], '0.png')) == 0
    assert_pngs(single, ['0.png', '1.png', '2.png'], as_png(rows[0]))


def test_the_grid_is_bounded_while_every_output_is_written(run, tmp_path, capsys):
    """20 references x 18 inputs: 360 PNGs, a grid of the first 16 x 16 (it once grew with
    the product: a folder of 500 references made a 318 MB grid)."""
    X, y = load_dataset('mnist-digits', image_size=16)
    digits = ((X[:38, 0] + 1) * 127.5 + 0.5).astype(np.uint8)
    inputs = write_images(tmp_path / 'in', digits[:18])
    refs = write_images(tmp_path / 'refs', digits[18:])
    out = tmp_path / 'many'
    assert main(['infer', '--checkpoint', run['checkpoint'], '--input', inputs, '--out',
                 str(out), '--target-domain', '7', '--reference', refs]) == 0
    said = capsys.readouterr().out
    assert 'grid.png shows the first 16 inputs x 16 styles of 18 x 20' in said
    assert len(os.listdir(out)) == 18 * 20 + 1
    assert read_png(out / 'grid.png').shape[:2] == (17 * 18 + 2, 17 * 18 + 2)
    step = run['step']
    # files are taken in name order: input 9.png is the 18th, reference 6.png the 17th
    last = step.translate(to_tensor(digits[9:10, :, :, None]), 7,
                          reference=to_tensor(digits[24:25, :, :, None]))
    assert_pngs(out, ['9_16.png'], as_png(last))        # the outputs past the grid are right
    only = tmp_path / 'only.png'
    assert main(['infer', '--checkpoint', run['checkpoint'], '--input', inputs, '--out',
                 str(only), '--target-domain', '7', '--latent-seed', '0', '--num-styles',
                 '40']) == 0
    assert read_png(only).shape[:2] == (17 * 18 + 2, 16 * 18 + 2)


@pytest.mark.parametrize('case, says', [
    ('domain-too-big', '--target-domain must be one of the 10 domains, 0..9 (got 10)'),
    ('domain-negative', '--target-domain must be one of the 10 domains, 0..9 (got -1)'),
    ('no-domain', '--target-domain must be one of the 10 domains, 0..9 (none given)'),
    ('both', '--reference (reference-guided) and --latent-seed / --num-styles'),
    ('neither', 'choose the style: --latent-seed S [--num-styles N] (latent-guided) or '
                '--reference'),
    ('unreadable-reference', 'cannot decode image file'),
    ('missing-reference', 'no such file or folder'),
    ('mapping-with-checkpoint', '--mapping applies to --weights'),
    ('foreign-option', "--direction does not apply to 'starganv2'"),
    ('image-size', '--image-size applies to --weights'),
])
def test_clear_errors_with_a_checkpoint(run, tmp_path, capsys, case, says):
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not an image')
    extra = {'domain-too-big': ['--target-domain', '10', '--latent-seed', '0'],
             'domain-negative': ['--target-domain', '-1', '--latent-seed', '0'],
             'no-domain': ['--latent-seed', '0'],
             'both': ['--latent-seed', '0', '--reference', run['ref_folder']],
             'neither': [],
             'unreadable-reference': ['--reference', str(bad)],
             'missing-reference': ['--reference', str(tmp_path / 'nothing')],
             'mapping-with-checkpoint': ['--mapping', 'F.params', '--latent-seed', '0'],
             'foreign-option': ['--direction', 'AtoB', '--latent-seed', '0'],
             'image-size': ['--image-size', '16', '--latent-seed', '0']}[case]
    domain = [] if case in ('domain-too-big', 'domain-negative', 'no-domain') \
        else ['--target-domain', '7']
    argv = ['infer', '--checkpoint', run['checkpoint'], '--input', run['inputs'],
            '--out', str(tmp_path / 'out'), *domain, *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and says in err[0], err
    assert not (tmp_path / 'out').exists()


def save_like_convert(net, model, kwargs, path):
    pretrained.save_converted(net, dict(model=model, kwargs=kwargs), str(path),
                              fmt=f'test-{model}')
    return str(path)


def test_weights_of_the_checkpoint_equal_translate(run, tmp_path):
    """G_ema, F_ema, E_ema saved as `convert` saves networks translate as the checkpoint."""
    step, config = run['step'], run['config']
    common = dict(img_size=16, max_conv_dim=8, dim_in=4, in_channels=1, style_dim=64)
    G = save_like_convert(step.G_ema, 'starganv2_generator', dict(common, w_hpf=0),
                          tmp_path / 'G.params')
    F = save_like_convert(step.F_ema, 'starganv2_mapping',
                          dict(latent_dim=16, style_dim=64, num_domains=10, hidden_dim=512),
                          tmp_path / 'F.params')
    E = save_like_convert(step.E_ema, 'starganv2_style_encoder', dict(common, num_domains=10),
                          tmp_path / 'E.params')
    assert config['num_domains'] == 10 and config['channels'] == 1
    names = [f'{i}_{k}.png' for k in range(2) for i in range(3)]
    base = ['infer', '--weights', G, '--input', run['inputs'], '--target-domain', '7']
    assert main(base + ['--mapping', F, '--latent-seed', '1', '--num-styles', '2',
                        '--out', str(tmp_path / 'latent')]) == 0
    assert_pngs(tmp_path / 'latent', names, np.concatenate(
        [as_png(y) for y in translated_latent(step, run['X'], 1, 2)]))
    assert main(base + ['--mapping', F, '--style-encoder', E, '--reference', run['ref_folder'],
                        '--out', str(tmp_path / 'ref')]) == 0
    assert_pngs(tmp_path / 'ref', names, np.concatenate(
        [as_png(y) for y in translated_reference(step, run['X'], run['refs'])]))


def converted(tmp_path, name):
    """``(net, X.params)``: fixture ``starganv2/<name>.npz`` converted as `convert` does."""
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        fmt = str(f['format'])
    net, config = pretrained.convert(fmt, state)
    path = str(tmp_path / f'{name}.params')
    pretrained.save_converted(net, config, path, fmt=fmt)
    return net, path


@pytest.fixture
def fixtures(tmp_path):
    """The clovaai fixtures converted (G: img_size 32; F, E: style_dim 4, 3 domains; E: 16 px),
    2 RGB inputs and 2 RGB references of 16 px."""
    nets = {name: converted(tmp_path, name)
            for name in ('generator', 'mapping_network', 'style_encoder')}
    rng = np.random.default_rng(0)
    inputs, refs = (rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8) for _ in range(2))
    return dict(nets=nets, X=to_tensor(inputs), refs=to_tensor(refs),
                inputs=write_images(tmp_path / 'in', inputs),
                ref_folder=write_images(tmp_path / 'refs', refs))


def test_converted_clovaai_networks_translate(fixtures, tmp_path, capsys):
    (G, g), (F, f), (E, e) = (fixtures['nets'][n] for n in
                              ('generator', 'mapping_network', 'style_encoder'))
    base = ['infer', '--weights', g, '--input', fixtures['inputs'], '--target-domain', '2']
    X = mx.nd.array(fixtures['X'])
    assert main(base + ['--mapping', f, '--latent-seed', '5', '--num-styles', '2',
                        '--image-size', '16', '--out', str(tmp_path / 'latent')]) == 0
    z = latent_codes(5, 2, 4)
    with mx.autograd.predict_mode():
        s = F(mx.nd.array(z), mx.nd.array([2, 2]))
        expected = [G(X, mx.nd.broadcast_to(s[k:k + 1], (2, 4))) for k in range(2)]
    assert_pngs(tmp_path / 'latent', ['0_0.png', '1_0.png', '0_1.png', '1_1.png'],
                np.concatenate([as_png(y) for y in expected]))
    assert main(base + ['--style-encoder', e, '--reference', fixtures['ref_folder'],
                        '--image-size', '16', '--out', str(tmp_path / 'ref')]) == 0
    with mx.autograd.predict_mode():
        s = E(mx.nd.array(fixtures['refs']), mx.nd.array([2, 2]))
        expected = [G(X, mx.nd.broadcast_to(s[k:k + 1], (2, 4))) for k in range(2)]
    assert_pngs(tmp_path / 'ref', ['0_0.png', '1_0.png', '0_1.png', '1_1.png'],
                np.concatenate([as_png(y) for y in expected]))
    # without --image-size: G's img_size (32); the references still go to E at its 16 px
    assert main(base + ['--style-encoder', e, '--reference', fixtures['ref_folder'],
                        '--out', str(tmp_path / 'default')]) == 0
    assert read_png(tmp_path / 'default' / '0_0.png').shape == (32, 32, 3)
    assert 'translated 2 images (32x32) into domain 2' in capsys.readouterr().out


@pytest.mark.parametrize('case, says', [
    ('w_hpf', 'is a w_hpf=1 generator'),
    ('no-style-network', 'its styles come from --mapping F.params (latent-guided) or '
                         '--style-encoder E.params'),
    ('reference-without-encoder', 'reference-guided translation needs a style encoder'),
    ('encoder-without-reference', 'a style encoder alone translates reference-guided'),
    ('latent-without-mapping', 'latent-guided translation needs a mapping network'),
    ('neither-with-both', 'choose the style'),
    ('image-size', '--image-size must be a multiple of 2 (its img_size is 32), got 17'),
    ('wrong-network', '--mapping {e} holds a starganv2_style_encoder'),
    ('domain', '--target-domain must be one of the 3 domains, 0..2 (got 3)'),
    ('foreign-generator', '--mapping does not apply to a converted resnet_generator'),
])
def test_clear_errors_with_weights(fixtures, tmp_path, capsys, case, says):
    g, f, e = (fixtures['nets'][n][1] for n in ('generator', 'mapping_network', 'style_encoder'))
    if case == 'w_hpf':
        net = get_model('starganv2_generator', img_size=16, style_dim=4, max_conv_dim=8,
                        w_hpf=1, dim_in=4)
        net.initialize()
        g = save_like_convert(net, 'starganv2_generator', dict(img_size=16, style_dim=4,
                              max_conv_dim=8, w_hpf=1, dim_in=4), tmp_path / 'celeba.params')
    if case == 'foreign-generator':
        net = get_model('resnet_generator', ngf=4, n_blocks=1)
        net.initialize()
        g = save_like_convert(net, 'resnet_generator', dict(ngf=4, n_blocks=1),
                              tmp_path / 'resnet.params')
    extra = {'w_hpf': ['--mapping', f], 'no-style-network': ['--latent-seed', '0'],
             'reference-without-encoder': ['--mapping', f, '--reference',
                                           fixtures['ref_folder']],
             'encoder-without-reference': ['--style-encoder', e],
             'latent-without-mapping': ['--style-encoder', e, '--latent-seed', '0'],
             'neither-with-both': ['--mapping', f, '--style-encoder', e],
             'image-size': ['--mapping', f, '--image-size', '17'],
             'wrong-network': ['--mapping', e],
             'domain': ['--mapping', f, '--target-domain', '3'],
             'foreign-generator': ['--mapping', f]}[case]
    domain = [] if case in ('domain', 'foreign-generator') else ['--target-domain', '1']
    assert main(['infer', '--weights', g, '--input', fixtures['inputs'],
                 '--out', str(tmp_path / 'out'), *domain, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: '), err
    assert says.format(e=e) in err[0]
    assert not (tmp_path / 'out').exists()
