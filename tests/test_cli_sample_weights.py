"""``python -m d2gan sample --weights X.params``: a grid from a converted StyleGAN2 generator
(d2gan.cli.sample_weights), converted from the NVlabs fixture of test_pretrained_stylegan2."""
import json
import os

import numpy as np
import pytest

import d2gan  # noqa: F401  (before mxnet)
import matplotlib.image
import mxnet as mx
from mxnet import autograd
from d2gan import pretrained
from d2gan.cli.main import main
from d2gan.plot import make_grid

DATA = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'nvlabs')


def convert(name, tmp_path):
    with np.load(os.path.join(DATA, f'{name}.npz')) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
    fmt = f'nvlabs-stylegan2-{name}'
    net, config = pretrained.convert(fmt, state)
    return pretrained.save_converted(net, config, tmp_path / f'{name}.params', fmt=fmt)[0]


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    return convert('generator', tmp_path_factory.mktemp('converted'))


def expected_grid(params, num, seed, psi, nrow):
    """The grid of the converted generator on ``seed``'s latents and noise, computed here."""
    net = pretrained.load_converted(params)
    z = np.random.default_rng(seed).standard_normal((num, 24)).astype('float32')
    mx.random.seed(seed)
    with autograd.predict_mode():
        return make_grid(net(mx.nd.array(z), psi), nrow=nrow)


@pytest.mark.parametrize('psi', [None, 0.5])
def test_sample_writes_the_generators_grid(weights, tmp_path, capsys, psi):
    out = tmp_path / 'grid.png'
    argv = ['sample', '--weights', weights, '--num', '6', '--nrow', '3', '--seed', '5',
            '--out', str(out)] + ([] if psi is None else ['--truncation', str(psi)])
    assert main(argv) == 0
    assert f'wrote 6 samples of stylegan2_generator ({weights}) to {out}' in \
        capsys.readouterr().out
    png = matplotlib.image.imread(out)[..., :3]
    grid = expected_grid(weights, 6, 5, 1.0 if psi is None else psi, 3)
    assert png.shape == grid.shape == (2 * 18 + 2, 3 * 18 + 2, 3)
    np.testing.assert_allclose(png, grid, atol=1 / 255 + 1e-6)


def test_truncation_changes_the_images(weights, tmp_path):
    paths = [tmp_path / 'plain.png', tmp_path / 'truncated.png']
    main(['sample', '--weights', weights, '--num', '4', '--out', str(paths[0])])
    main(['sample', '--weights', weights, '--num', '4', '--out', str(paths[1]),
          '--truncation', '0.3'])
    plain, truncated = (matplotlib.image.imread(p) for p in paths)
    assert np.abs(plain - truncated).max() > 0.05


def test_a_discriminator_is_refused(tmp_path, capsys):
    params = convert('discriminator', tmp_path)
    assert main(['sample', '--weights', params, '--out', str(tmp_path / 'x.png')]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: {params} holds a stylegan2_discriminator (format '
                          'nvlabs-stylegan2-discriminator)')
    assert 'noise -> image generator: stylegan2_generator' in err
    assert not (tmp_path / 'x.png').exists()


def test_a_translator_is_pointed_to_infer(tmp_path, capsys):
    params = tmp_path / 'facades.params'
    params.write_bytes(b'')
    (tmp_path / 'facades.json').write_text(json.dumps(
        dict(model='unet_generator', kwargs={}, format='junyanz-unet_256')))
    assert main(['sample', '--weights', str(params)]) == 2
    assert 'use `python -m d2gan infer --weights`' in capsys.readouterr().err


def test_checkpoint_and_weights_exclude_each_other(weights, capsys):
    assert main(['sample', '--weights', weights, '--checkpoint', 'x.ckpt']) == 2
    assert 'not allowed with argument' in capsys.readouterr().err
    assert main(['sample']) == 2
    assert 'one of the arguments --checkpoint --weights is required' in capsys.readouterr().err
