"""Photo2Cartoon's face-ID loss: MobileFaceNet against the reference, its weight file (format,
checksum, errors), the loss's crop / resize / cosine and gradient, and the training step with the
term on.

The fixture ``data/pretrained/photo2cartoon/mobilefacenet.npz`` was written by
``scripts/make_pretrained_fixtures.py`` (``write_mobilefacenet``) with PyTorch and the
reference's ``models/mobilefacenet.py`` and ``models/face_features.py``: the keys, shapes and
dtypes of ``MobileFaceNet(512).state_dict()``, the rule of its random values (drawn again here by
:func:`reference_state`), the reference's parameter counts and its float64 outputs. The tests
write the checkpoint they load -- that state dict as ``.npz`` -- into ``tmp_path``. No torch.
"""
import os

import numpy as np
import pytest

import d2gan
import mxnet as mx
from mxnet import autograd
from d2gan.data.errors import ChecksumError
from d2gan.losses_faceid import face_box, faceid_loss, resolve_face_features
from d2gan.models import num_parameters
from d2gan.models.mobilefacenet import MobileFaceNet
from d2gan.models.photo2cartoon import Photo2CartoonGenerator
from d2gan.pretrained import PretrainedError
from d2gan.pretrained.mobilefacenet import FaceWeightsNotFoundError, load_face_features
from step_checks import domains, params_of

FIXTURE = os.path.join(os.path.dirname(__file__), 'data', 'pretrained', 'photo2cartoon',
                       'mobilefacenet.npz')
TINY = dict(image_size=32, ngf=8, ndf=8)
ATOL = {'float64': 1e-6, 'float32': 2e-6}   # measured: 4e-8 (resize weights) and 2e-7


def fixture():
    with np.load(FIXTURE) as f:
        return {k: f[k] for k in f.files}


def reference_state(f=None):
    """The fixture's state dict: ``offset + scale * N(0, 1)`` per key in order, drawn from
    ``RandomState(seed)`` (``mobilefacenet_state`` of the fixture script)."""
    f = fixture() if f is None else f
    rng = np.random.RandomState(int(f['seed']))
    return {str(k): np.asarray(o + s * rng.standard_normal(tuple(int(n) for n in sh[1:1 + sh[0]])))
            .astype(str(d))
            for k, sh, d, o, s in zip(f['keys'], f['shapes'], f['dtypes'], f['offsets'],
                                      f['scales'])}


def reference_images(f):
    """The images of the fixture's outputs, drawn from ``RandomState(image_seed)``."""
    rng = np.random.RandomState(int(f['image_seed']))
    images = {'input': rng.uniform(-1, 1, (2, 3, 112, 112))}
    for size in (256, 32):
        images[f'real_{size}'] = rng.uniform(-1, 1, (2, 3, size, size))
        images[f'fake_{size}'] = np.clip(images[f'real_{size}']
                                         + rng.normal(0, 0.5, (2, 3, size, size)), -1, 1)
    return images


def write_checkpoint(folder, state=None, name='model_mobilefacenet.npz'):
    """``folder/name``: the reference's state dict as ``.npz`` (the fixture's random values)."""
    path = os.path.join(str(folder), name)
    np.savez(path, **(reference_state() if state is None else state))
    return path


def load(folder, dtype='float32'):
    net = load_face_features(write_checkpoint(folder), hybridize=dtype == 'float32')
    net.cast(dtype)
    return net


@pytest.fixture(scope='module')
def features(tmp_path_factory):
    return load(tmp_path_factory.mktemp('faceid'))


# -- the network -----------------------------------------------------------------------------

def test_parameter_counts_are_the_reference():
    f = fixture()
    params = d2gan.get_model('mobilefacenet')._collect_params_with_prefix()
    running = [k for k in params if k.endswith('running_mean')]
    assert num_parameters(d2gan.get_model('mobilefacenet')) == int(f['num_trainable']) \
        == 1_200_512
    assert sum(params[k].shape[0] for k in running) == int(f['num_running_mean']) == 10_176
    assert len(running) == int(f['num_batch_norms']) == 50
    assert len(f['keys']) == len(params) + len(running)   # + num_batches_tracked per norm


def test_shapes_and_hybridized_equals_imperative():
    net = MobileFaceNet()
    net.initialize(mx.init.Xavier())
    x = mx.nd.random.uniform(-1, 1, (2, 3, 112, 112))
    y = net(x)
    assert y.shape == (2, 512)
    np.testing.assert_allclose((y ** 2).sum(axis=1).asnumpy(), 1, rtol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match=r'MobileFaceNet expects images of shape \(N, 3, 112'):
        net(mx.nd.zeros((1, 3, 64, 64)))


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_converted_network_gives_the_reference_output(tmp_path, dtype):
    f = fixture()
    net = load(tmp_path, dtype)
    y = net(mx.nd.array(reference_images(f)['input'], dtype=dtype)).asnumpy()
    np.testing.assert_allclose(y, f['output'], rtol=0, atol=ATOL[dtype])
    assert all(p.grad_req == 'null' for p in net.collect_params().values())


def test_a_misplaced_array_changes_the_output(tmp_path):
    """Two residual bottlenecks swapped: the fixture would catch such a map."""
    f, state = fixture(), reference_state()
    for suffix in ('conv.conv.weight', 'project.bn.running_mean'):
        first, second = (f'conv_4.model.{i}.{suffix}' for i in (1, 4))
        state[first], state[second] = state[second], state[first]
    net = load_face_features(write_checkpoint(tmp_path, state))
    y = net(mx.nd.array(reference_images(f)['input'])).asnumpy()
    assert np.abs(y - f['output']).max() > 1e-2


# -- the weight file -------------------------------------------------------------------------

def test_checksum_is_recorded_on_first_use_and_then_enforced(tmp_path):
    path = write_checkpoint(tmp_path)
    load_face_features(path)
    with open(path + '.sha256') as record:
        digest = record.read().split()[0]
    load_face_features(path, sha256=digest)                     # the same file: accepted
    with pytest.raises(ChecksumError, match='sha256= says 0000'):
        load_face_features(path, sha256='0' * 64)
    state = reference_state()
    state['bn.bias'][0] += 1
    write_checkpoint(tmp_path, state)                            # swapped for another file
    with pytest.raises(ChecksumError, match=f'{path} has SHA-256 .*, but {path}.sha256 says '
                                            f'{digest}'):
        load_face_features(path)


def test_missing_unexpected_and_misshapen_keys_are_named(tmp_path):
    state = reference_state()
    del state['conv_4.model.3.conv_dw.prelu.weight']
    state['linear.bias'] = np.zeros(512, dtype=np.float32)
    state['conv_6_dw.conv.weight'] = np.zeros((512, 1, 3, 3), dtype=np.float32)
    with pytest.raises(PretrainedError) as info:
        load_face_features(write_checkpoint(tmp_path, state))
    message = str(info.value)
    assert 'missing keys (1): conv_4.model.3.conv_dw.prelu.weight' in message
    assert 'unexpected keys' in message and 'linear.bias' in message
    assert 'conv_6_dw.conv.weight (512, 1, 3, 3) for conv_6_dw.conv.weight (512, 1, 7, 7)' \
        in message
    with pytest.raises(PretrainedError, match="photo2cartoon-mobilefacenet: key 'linear.weight' "
                                              'not found'):
        load_face_features(write_checkpoint(tmp_path, {'conv1.conv.weight': np.zeros(3)},
                                            'other.npz'))


def test_a_missing_file_names_where_and_how(tmp_path, monkeypatch):
    with pytest.raises(FaceWeightsNotFoundError, match='drive.google.com') as info:
        load_face_features(tmp_path / 'model_mobilefacenet.pth')
    assert str(tmp_path / 'model_mobilefacenet.pth') in str(info.value)
    monkeypatch.setenv('D2GAN_DATA', str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:                # the recipe's default path
        d2gan.build_gan('photo2cartoon', face_features='mobilefacenet', **TINY)
    for suffix in ('.npz', '.pth'):
        assert str(tmp_path / f'model_mobilefacenet{suffix}') in str(info.value)


def test_a_pth_without_torch_says_how_to_convert(tmp_path):
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip('torch is installed: it reads .pth files')
    path = tmp_path / 'model_mobilefacenet.pth'
    path.write_bytes(b'not read')
    with pytest.raises(PretrainedError, match='needs torch.*pth_to_npz'):
        load_face_features(path)


def test_resolve_names_networks_and_errors(features):
    assert resolve_face_features(None) is None
    assert resolve_face_features(features) is features
    with pytest.raises(KeyError, match="unknown face feature network 'arcface'.*mobilefacenet"):
        resolve_face_features('arcface')
    with pytest.raises(TypeError, match='face_features must be None, a name'):
        resolve_face_features(3)
    with pytest.raises(ValueError, match='must be built with use_global_stats=True'):
        resolve_face_features(d2gan.get_model('mobilefacenet'))


def test_batch_norm_in_predict_mode_needs_global_stats():
    """Why the frozen network's norms use global statistics: in predict mode under
    ``autograd.record()`` MXNet 1.9.1 back-propagates a plain ``BatchNorm`` as if it had used
    the batch's statistics; with ``use_global_stats=True`` the input gradient is that of the
    affine map ``gamma (x - mean) / sqrt(var + eps) + beta`` it computes."""
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (2, 4, 3, 3)))
    dy = mx.nd.arange(72).reshape((2, 4, 3, 3))
    expected = dy.asnumpy() * (np.arange(1, 5) / np.sqrt(np.arange(1, 5) + 1e-5)).reshape(
        (1, 4, 1, 1))
    grads = {}
    for global_stats in (False, True):
        norm = mx.gluon.nn.BatchNorm(in_channels=4, use_global_stats=global_stats)
        norm.initialize()
        norm.gamma.set_data(mx.nd.arange(1, 5))
        norm.running_var.set_data(mx.nd.arange(1, 5))
        x.attach_grad()
        with autograd.record(), autograd.predict_mode():
            y = norm(x)
        y.backward(dy)
        grads[global_stats] = x.grad.asnumpy()
    np.testing.assert_allclose(grads[True], expected, rtol=1e-5)
    assert np.abs(grads[False] - expected).max() > 1    # the bug (a fix would fail this line)


# -- the loss --------------------------------------------------------------------------------

def test_face_box_is_the_reference_crop():
    assert face_box(256, 256) == (57, 219, 47, 209)        # rows 57:219, a 162 px square
    assert face_box(32, 32) == (7, 27, 6, 26)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_loss_is_the_reference_cosine_distance(tmp_path, dtype):
    f = fixture()
    net, images = load(tmp_path, dtype), reference_images(f)
    for size in (256, 32):
        real, fake = (mx.nd.array(images[f'{k}_{size}'], dtype=dtype) for k in ('real', 'fake'))
        np.testing.assert_allclose(faceid_loss(net, real, fake).asnumpy(), f[f'faceid_{size}'],
                                   rtol=0, atol=ATOL[dtype], err_msg=str(size))


def test_features_stay_frozen_and_only_fake_gets_a_gradient(features):
    stats = {k: p.data().copy() for k, p in features._collect_params_with_prefix().items()}
    real, fake = (mx.nd.random.uniform(-1, 1, (2, 3, 32, 32)) for _ in range(2))
    real.attach_grad()
    fake.attach_grad()
    with autograd.record():                                  # training mode: BN must not move
        loss = faceid_loss(features, real, fake).sum()
    loss.backward()
    assert np.abs(fake.grad.asnumpy()).max() > 0 and np.abs(real.grad.asnumpy()).max() == 0
    for k, p in features._collect_params_with_prefix().items():
        np.testing.assert_array_equal(p.data().asnumpy(), stats[k].asnumpy(), err_msg=k)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_loss_gradient_is_the_reference(tmp_path, dtype):
    """d faceid / d fake against PyTorch's autograd of the reference: in full at 32 px; at 256 px
    its sums along rows and columns. The face is resized in float64 and rounded once
    (``face_input``), so float32 follows float64 here to 6e-8 (measured; with MXNet's
    ``BilinearResize2D``, whose sample positions are float32, the 256 px sums moved by up to 7e-5
    where a PReLU's input crossed 0)."""
    f = fixture()
    net, images = load(tmp_path, dtype), reference_images(f)
    grads = {}
    for size in (32, 256):
        real, fake = (mx.nd.array(images[f'{k}_{size}'], dtype=dtype) for k in ('real', 'fake'))
        fake.attach_grad()
        with autograd.record():
            loss = faceid_loss(net, real, fake).sum()
        loss.backward()
        grads[size] = fake.grad.asnumpy()
    np.testing.assert_allclose(grads[32], f['faceid_grad_32'], rtol=0, atol=1e-7)
    for axis, key in ((3, 'rows'), (2, 'cols')):
        np.testing.assert_allclose(grads[256].sum(axis=axis), f[f'faceid_grad_256_{key}'],
                                   rtol=0, atol=1e-6, err_msg=key)


def test_generator_gradient_matches_finite_differences(tmp_path):
    """float64: the face-ID term through a Photo2Cartoon generator, d/d(weight) by autograd
    against central differences, on weights the generator's output is smooth in (its last two
    convolutions) and with the PReLU slopes of the face network set to 1, so that no kink lies
    within a step (its gradient with its own slopes is checked against PyTorch's above)."""
    mx.random.seed(0)
    net = load(tmp_path, 'float64')
    for name, param in net._collect_params_with_prefix().items():
        if name.endswith('prelu.alpha'):
            param.set_data(mx.nd.ones(param.shape, dtype='float64'))
    G = Photo2CartoonGenerator(8, 32, light=True)
    G.initialize(mx.init.Xavier())
    G.cast('float64')
    a = mx.nd.array(domains(2, size=32)[0], dtype='float64')

    def value():
        return faceid_loss(net, a, G(a)[0]).sum()

    with autograd.record():
        loss = value()
    loss.backward()
    params, h = G._collect_params_with_prefix(), 1e-3
    for name, index in (('up.13.weight', (0, 2, 3, 3)), ('up.13.weight', (2, 0, 6, 1)),
                        ('up.11.to_image.weight', (1, 3, 0, 0))):
        data = params[name].data()
        old = data[index].asscalar()
        data[index] = old + h
        up = value().asscalar()
        data[index] = old - h
        down = value().asscalar()
        data[index] = old
        fd, grad = (up - down) / (2 * h), params[name].grad()[index].asscalar()
        assert abs(fd) > 1e-3, (name, index)
        assert abs(grad - fd) <= 1e-3 * abs(fd), (name, index, grad, fd)   # measured: 2e-4


# -- the training step -----------------------------------------------------------------------

def test_step_adds_the_term_to_both_generators(tmp_path, monkeypatch):
    """With every other weight 0, the generators' gradients of one step are those of
    ``faceid(a, G_A(a)) + faceid(b, G_B(b))``, and ``faceid`` is logged (its batch mean)."""
    monkeypatch.setenv('D2GAN_DATA', str(tmp_path))
    write_checkpoint(tmp_path)
    mx.random.seed(0)
    step = d2gan.build_gan('photo2cartoon', face_features='mobilefacenet', adv_weight=0,
                           cycle_weight=0, identity_weight=0, cam_weight=0, **TINY)
    assert step.faceid_weight == 1.0                          # the reference's weight
    A, B = domains(2, size=32)
    nets = {'G_A': step.G_A, 'G_B': step.G_B}
    params = {k: net._collect_params_with_prefix() for k, net in nets.items()}
    before = {(k, n): p.data().copy() for k, ps in params.items() for n, p in ps.items()}
    logs = step.train_step((A, B))
    assert np.isfinite(logs['faceid'].asscalar())
    grads = {key: params[key[0]][key[1]].grad().copy() for key in before}
    for (k, n), value in before.items():                     # back to the weights of the step
        params[k][n].set_data(value)
    a, b = mx.nd.array(A), mx.nd.array(B)
    with autograd.record():
        total = (faceid_loss(step.face_features, a, step.G_A(a)[0]).sum()
                 + faceid_loss(step.face_features, b, step.G_B(b)[0]).sum())
    total.backward()
    np.testing.assert_allclose(logs['faceid'].asscalar(), total.asscalar() / 2, rtol=1e-5)
    reached = 0
    for (k, n), grad in grads.items():
        expected = params[k][n].grad().asnumpy()
        scale = np.abs(expected).max()
        reached += scale > 0
        np.testing.assert_allclose(grad.asnumpy(), expected, rtol=1e-3, atol=1e-4 * scale + 1e-12,
                                   err_msg=f'{k}.{n}')
    assert reached > len(grads) // 2


def test_trains_with_the_term_and_resumes_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv('D2GAN_DATA', str(tmp_path))
    write_checkpoint(tmp_path)
    A, B = domains(2, size=32)
    data = d2gan.ArrayBatches((A, B), 2)              # one step per epoch, a checkpoint after 1
    cfg = dict(TINY, face_features='mobilefacenet', n_epochs=1, n_epochs_decay=1)
    mx.random.seed(0)
    full = d2gan.build_gan('photo2cartoon', **cfg)
    state = d2gan.train_gan(full, data, 2, seed=3)
    logs = state.history[-1]
    assert set(logs) == {'loss_D', 'loss_G_adv', 'cycle', 'identity', 'cam', 'faceid'}
    assert all(np.isfinite(v) for v in logs.values())
    ckpt = str(tmp_path / 'c.ckpt')
    mx.random.seed(0)
    part = d2gan.build_gan('photo2cartoon', **cfg)
    d2gan.train_gan(part, data, 2, seed=3, checkpoint=ckpt, max_iterations=1)
    resumed = d2gan.build_gan(**d2gan.train.read_meta(ckpt)['config'])
    assert resumed.faceid_weight == 1.0 and resumed.face_features is not None
    d2gan.train_gan(resumed, data, 2, seed=3, checkpoint=ckpt, resume=True)
    expected, got = params_of(full), params_of(resumed)
    assert not any(k.startswith('face') for k in expected)  # frozen: nothing to save
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_weight_without_features_is_refused():
    with pytest.raises(ValueError, match="face-ID loss needs MobileFaceNet weights.*"
                                         "face_features='mobilefacenet'"):
        d2gan.build_gan('photo2cartoon', faceid_weight=1.0, **TINY)
    assert d2gan.build_gan('photo2cartoon', **TINY).faceid_weight == 0.0   # the default: off


def test_command_line_turns_the_term_on_and_names_a_missing_file(tmp_path, monkeypatch, capsys):
    from d2gan.cli import main
    from d2gan.data import cartoon_synth
    monkeypatch.setenv('D2GAN_DATA', str(tmp_path / 'data'))
    (tmp_path / 'data').mkdir()
    root = cartoon_synth.make_photo2cartoon(tmp_path / 'p2c', {'train': 2, 'test': 2}, size=32)
    args = ['train', '--model', 'photo2cartoon', '--dataroot', root, '--image-size', '32',
            '--ngf', '8', '--ndf', '8', '--epochs', '1', '--face-features', 'mobilefacenet']
    assert main(args + ['--out', str(tmp_path / 'none')]) == 2
    assert 'model_mobilefacenet' in capsys.readouterr().err
    write_checkpoint(str(tmp_path / 'data'))
    assert main(args + ['--faceid-weight', '0.5', '--out', str(tmp_path / 'run')]) == 0
    assert 'faceid' in capsys.readouterr().out
    config = d2gan.train.read_meta(str(tmp_path / 'run' / 'checkpoint.ckpt'))['config']
    assert config['face_features'] == 'mobilefacenet' and config['faceid_weight'] == 0.5
    assert main(['train', '--model', 'ugatit', '--face-features', 'mobilefacenet',
                 '--out', str(tmp_path / 'u')]) == 2
    assert '--face-features does not apply' in capsys.readouterr().err
