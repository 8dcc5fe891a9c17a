"""StarGAN / AttGAN / STGAN steps: labels as in the papers, a few training steps, editing."""
import numpy as np
import mxnet as mx
import pytest
from mxnet import nd

import d2gan
from d2gan.metrics import comparison_table, score_edits
from d2gan.registry import batch_kind
from step_checks import TINY_EDITORS as TINY

ATTRS = ['Red_Stroke', 'Inverted']


def tiny(model, **kw):
    mx.random.seed(0)
    return d2gan.build_gan(model, attrs=ATTRS, image_size=16, n_critic=2,
                           **dict(TINY[model], **kw))


def batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, 3, 16, 16)).astype('float32'),
            rng.integers(0, 2, (n, 2)).astype('float32'))


@pytest.mark.parametrize('model', ['stargan', 'attgan', 'stgan'])
def test_train_steps_update_both_networks_and_edit(model, tmp_path):
    step = tiny(model)
    assert batch_kind(model) == 'attributes' and step.names == tuple(ATTRS)
    before = {k: p.data().copy() for k, p in step.net_G.collect_params().items()
              if p.grad_req != 'null'}
    X, A = batch()
    logs = step.train_step((X, A))
    assert {'loss_D_adv', 'loss_D_cls', 'penalty', 'loss_G_adv', 'loss_G_cls',
            'L1_rec'} <= set(logs)
    assert all(np.isfinite(float(v.asscalar())) for v in logs.values())
    assert any(not np.allclose(p.data().asnumpy(), before[k].asnumpy())
               for k, p in step.net_G.collect_params().items() if k in before)
    out = step.edit(X, A, step.flip_targets(A, 1))
    assert out.shape == X.shape and float(nd.abs(out).max().asscalar()) <= 1
    step.set_sample_data(X, A)
    grid = step.sample(9)
    assert grid.shape == (9, 3, 16, 16) and step.sample_nrow(9) == 3  # rows: 1 + 2 attrs
    assert np.allclose(grid[:3].asnumpy(), X[step_index(9)])
    # a checkpoint rebuilds the same step (attributes included)
    d2gan.save_checkpoint(str(tmp_path / 'c.ckpt'), step, {})
    again = d2gan.build_gan(**d2gan.train.read_meta(str(tmp_path / 'c.ckpt'))['config'])
    d2gan.load_checkpoint(str(tmp_path / 'c.ckpt'), again)
    assert again.names == tuple(ATTRS)
    assert np.allclose(again.edit(X, A, A).asnumpy(), step.edit(X, A, A).asnumpy(), atol=1e-5)


def step_index(num, seed=0, n=8):
    k = max(1, num // 3)
    return np.random.default_rng(seed).choice(n, k, replace=False)


def test_labels_as_in_the_papers():
    a = nd.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    b = nd.array([[0, 0], [0, 0], [1, 0], [1, 1]])
    att, st = tiny('attgan'), tiny('stgan')
    fake, rec = att.labels(a, b)
    assert np.allclose(fake.asnumpy(), [[-.5, -.5], [-.5, -.5], [.5, -.5], [.5, .5]])
    assert np.allclose(rec.asnumpy(), (a.asnumpy() * 2 - 1) * .5)
    diff, zero = st.labels(a, b)  # STGAN: the difference vector, zero for the reconstruction
    assert np.allclose(diff.asnumpy(), b.asnumpy() - a.asnumpy())
    assert not zero.asnumpy().any()
    fake, _ = att.labels(a, b, intensity=1.0)  # only the changed entries take the intensity
    assert np.allclose(fake.asnumpy(), [[-1, -.5], [-.5, -.5], [.5, -1], [1, .5]])
    mx.random.seed(1)
    shuffled = tiny('stargan').targets(a)  # StarGAN / references: another image's labels
    assert sorted(map(tuple, shuffled.asnumpy())) == sorted(map(tuple, a.asnumpy()))
    flipped = tiny('attgan', target_mode='flip').targets(a)
    assert np.all(np.abs(flipped.asnumpy() - a.asnumpy()).sum(axis=1) == 1)
    with pytest.raises(ValueError, match='target_mode'):
        tiny('attgan', target_mode='random')


def test_score_edits_on_a_perfect_editor():
    """An 'editor' that draws the asked-for attributes exactly scores 1 everywhere."""
    from d2gan.data import digit_attrs as da
    data = da.load_digit_attrs(split='test', image_size=32, limit=40)
    names = ('Red_Stroke', 'Inverted')
    attrs = data.attrs[:, [0, 2]]

    class Oracle:
        def edit(self, X, A, B, batch_size=0):
            out = np.array(X, copy=True)
            flip_bg = (A[:, 1] != B[:, 1])
            out[flip_bg] = -out[flip_bg]  # inverting swaps the background; fix the stroke
            red = B[:, 0][:, None, None, None] > 0
            stroke = da.canonical_digits(X, 32) > -0.5
            colour = np.where(red, np.array([.8, -.76, -.76])[None, :, None, None],
                              np.array([-.7, -.2, .9])[None, :, None, None])
            inner = np.zeros((32, 32), bool)
            inner[4:28, 4:28] = True
            paint = stroke & inner & (A[:, 0:1] != B[:, 0:1])[:, :, None, None]
            out = np.where(np.broadcast_to(paint, out.shape) | (
                np.broadcast_to(stroke & inner, out.shape) & flip_bg[:, None, None, None]),
                colour, out)
            return nd.array(out)

        def flip_targets(self, A, i):
            B = np.array(A, copy=True)
            B[:, i] = 1 - B[:, i]
            return B

    oracle = Oracle()
    r = score_edits(oracle, data.images, attrs, names=names, identify=False,
                    measure=lambda im: da.measure_attributes(im, names))
    assert r['per_attr']['Red_Stroke']['edit_acc'] > 0.95
    assert r['per_attr']['Inverted']['edit_acc'] > 0.95
    assert r['reconstruction']['L1'] == 0 and r['reconstruction']['keep_acc'] == 1
    table = comparison_table({'oracle': r}, columns=('edit_acc', 'keep_acc', 'L1'))
    assert 'acc[Inverted]' in table and table.splitlines()[2].split()[0] == 'oracle'


def test_score_edits_splits_each_attribute_by_direction():
    """An editor that can turn its one attribute on but never off: on_acc 1, off_acc 0."""
    A = np.array([[0], [0], [0], [1]], np.float32)
    X = np.zeros((4, 3, 2, 2), np.float32) + (A * 2 - 1)[:, :, None, None]

    class OneWay:
        def edit(self, X, A, B, batch_size=0):
            out = np.array(X, copy=True)
            out[B[:, 0] == 1] = 1
            return nd.array(out)

        def flip_targets(self, A, i):
            return 1 - A

    r = score_edits(OneWay(), X, A, names=('On',), identify=False,
                    measure=lambda im: (im[:, :1, 0, 0] > 0).astype(np.float32))
    row = r['per_attr']['On']
    assert (row['edit_acc'], row['on_acc'], row['off_acc']) == (0.75, 1.0, 0.0)
    assert 'on_acc' not in r['mean']
    only_on = score_edits(OneWay(), X[:3], A[:3], names=('On',), identify=False,
                          measure=lambda im: (im[:, :1, 0, 0] > 0).astype(np.float32))
    assert np.isnan(only_on['per_attr']['On']['off_acc'])


def test_stgan_init_reaches_the_step():
    """The recipe's ``init`` is used (the reference's Glorot by default)."""
    from d2gan.gans.editing import book_config
    with pytest.raises(ValueError, match="init must be 'torch' or 'xavier'"):
        d2gan.build_gan('stgan', **dict(book_config('stgan', attrs=['a', 'b']), init='normal'))
    steps = {kind: d2gan.build_gan('stgan', **dict(book_config('stgan', attrs=['a', 'b']),
                                                   init=kind))
             for kind in ('torch', 'xavier')}
    w = {kind: [p for n, p in s.net_G.collect_params().items() if n.endswith('conv1_weight')][0]
         .data().asnumpy() for kind, s in steps.items()}     # 16 -> 32 channels, 4x4
    fan_in = np.prod(w['torch'].shape[1:])
    assert np.abs(w['torch']).max() <= 1 / np.sqrt(fan_in) + 1e-6   # PyTorch's U(+-1/sqrt(fan_in))
    assert np.abs(w['xavier']).max() > 1.2 / np.sqrt(fan_in)          # Glorot's bound is wider
