"""``FusedAdam`` (``d2gan.train.adam``) updates exactly as MXNet's ``Adam`` -- weights and both
moments, over several steps, with weight decay, gradient clipping, the batch's rescaling and a
per-parameter learning-rate multiplier, in float32 and float64 -- through the C++ operator
``d2gan_adam_update`` where it applies and through MXNet's ``Adam`` where it does not; the
library's trainers use it."""
import d2gan
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

from d2gan.nn import native
from d2gan.train import adam
from d2gan.train.adam import ADAM, FusedAdam
from d2gan.train.step import make_trainer

needs_native = pytest.mark.skipif(not native.available(),
                                  reason='the C++ operators are not built here (no compiler, GPU)')


def train(optimizer, dtype='float32', steps=6, aggregate=None, **options):
    """Weights and Adam moments after ``steps`` updates of a two-layer net on a fixed batch."""
    mx.random.seed(0)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation='tanh', in_units=5), gluon.nn.Dense(3, in_units=16))
    net.initialize(mx.init.Normal(1.0))
    net.cast(dtype)
    params = list(net.collect_params().values())
    params[0].lr_mult = 0.5
    options = dict(learning_rate=0.01, beta1=0.5, beta2=0.99, **options)
    if aggregate is not None:            # an optimizer object: its aggregate_num set first
        optimizer = mx.optimizer.create(optimizer, param_dict=dict(enumerate(params)),
                                        **options)
        optimizer.aggregate_num, options = aggregate, None
    trainer = gluon.Trainer(net.collect_params(), optimizer, options, update_on_kvstore=False)
    x = nd.array(np.random.RandomState(1).randn(8, 5), dtype=dtype)
    for _ in range(steps):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        trainer.step(8)
    states = trainer._updaters[0].states
    moments = [m.asnumpy() for i in sorted(states) for m in states[i]]
    return [p.data().asnumpy() for p in params] + moments, trainer


@needs_native
@pytest.mark.parametrize('dtype,rtol', [('float32', 1e-5), ('float64', 1e-12)])
@pytest.mark.parametrize('options', [{}, {'wd': 0.01}, {'clip_gradient': 0.05},
                                     {'wd': 0.01, 'clip_gradient': 0.05, 'epsilon': 1e-3}])
def test_updates_equal_mxnet_adam(options, dtype, rtol, monkeypatch):
    calls = []
    original = nd.d2gan_adam_update
    monkeypatch.setattr(nd, 'd2gan_adam_update', lambda *a, **k: calls.append(1) or
                        original(*a, **k))
    fused, trainer = train(ADAM, dtype, **options)
    reference, _ = train('adam', dtype, **options)
    # one call per step updates the four arrays (MXNet's updater hands them over together)
    assert isinstance(trainer._optimizer, FusedAdam) and len(calls) == 6
    for a, b in zip(fused, reference):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())
    assert np.abs(fused[0] - train(ADAM, dtype, steps=0, **options)[0][0]).max() > 1e-3


@needs_native
@pytest.mark.parametrize('options', [{}, {'wd': 0.01, 'clip_gradient': 0.05}])
def test_parameters_updated_together_or_one_at_a_time_are_equal(options, monkeypatch):
    """The aggregated call (all four arrays, or in groups of three) gives exactly the numbers
    of one call per array: the arithmetic per value is the same."""
    monkeypatch.setattr(adam, 'MIN_SIZE', 1)                 # every lone array too
    calls = []
    original = nd.d2gan_adam_update
    monkeypatch.setattr(nd, 'd2gan_adam_update', lambda *a, **k: calls.append(
        k['num_weights']) or original(*a, **k))
    alone, _ = train(ADAM, aggregate=0, **options)
    assert calls == [1] * 6 * 4
    for group, sizes in ((3, [3, 1]), (adam.AGGREGATE, [4])):
        calls.clear()
        together, _ = train(ADAM, aggregate=group, **options)
        assert calls == sizes * 6
        for a, b in zip(together, alone):
            np.testing.assert_array_equal(a, b)


@needs_native
def test_a_list_of_mixed_dtypes_is_updated_per_dtype(monkeypatch):
    rng = np.random.RandomState(0)
    calls = []
    original = nd.d2gan_adam_update
    monkeypatch.setattr(nd, 'd2gan_adam_update', lambda *a, **k: calls.append(
        k['num_weights']) or original(*a, **k))
    results = []
    for together in (True, False):
        optimizer = FusedAdam(learning_rate=0.1)
        weights = [nd.array(rng.randn(5), dtype=t) for t in ('float32', 'float64', 'float32')]
        grads = [nd.array(rng.randn(5), dtype=w.dtype) for w in weights]
        states = [optimizer.create_state(i, w) for i, w in enumerate(weights)]
        if together:
            optimizer.update_multi_precision([0, 1, 2], weights, grads, states)
        else:
            reference = mx.optimizer.Adam(learning_rate=0.1)
            for i in range(3):
                reference.update(i, weights[i], grads[i], states[i])
        results.append([w.asnumpy() for w in weights])
        rng = np.random.RandomState(0)
    assert sorted(calls) == [1, 2]
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_an_optimizer_pickled_before_aggregation_aggregates():
    """An optimizer saved with ``aggregate_num`` 0 is loaded into an updater built to hand over
    lists; 0 would make that updater loop forever."""
    import pickle
    optimizer = FusedAdam(learning_rate=0.1)
    optimizer.aggregate_num = 0
    assert pickle.loads(pickle.dumps(optimizer)).aggregate_num == adam.AGGREGATE


def test_without_the_operator_it_is_mxnet_adam(monkeypatch):
    monkeypatch.setitem(native._state, 'ok', False)
    monkeypatch.setattr(nd, 'd2gan_adam_update', None, raising=False)
    fused, _ = train(ADAM, wd=0.01)
    reference, _ = train('adam', wd=0.01)
    for a, b in zip(fused, reference):
        np.testing.assert_array_equal(a, b)


def test_float16_weights_take_mxnet_adam():
    rng = np.random.RandomState(0)
    weights = []
    for optimizer in (FusedAdam(learning_rate=0.01), mx.optimizer.Adam(learning_rate=0.01)):
        w = nd.array(rng.randn(6), dtype='float16')
        state = optimizer.create_state(0, w)
        for _ in range(3):
            optimizer.update(0, w, nd.array(rng.randn(6), dtype='float16'), state)
        weights.append(w.asnumpy())
        rng = np.random.RandomState(0)
    np.testing.assert_array_equal(*weights)


@needs_native
def test_mismatched_shapes_are_refused_by_name():
    w = nd.ones((4, 3))
    with pytest.raises(mx.base.MXNetError, match='d2gan_adam_update: the gradient, mean and var '
                                                 "must have the weight's shape; input 2"):
        nd.d2gan_adam_update(w, nd.ones((4, 3)), nd.ones((3, 4)), nd.ones((4, 3)), out=w, lr=0.1)\
            .wait_to_read()


@needs_native
def test_small_arrays_keep_mxnets_kernel(monkeypatch):
    """Below MIN_SIZE values the per-call cost dominates: MXNet's kernel, one operator."""
    calls = []
    original = nd.d2gan_adam_update
    monkeypatch.setattr(nd, 'd2gan_adam_update', lambda *a, **k: calls.append(1) or
                        original(*a, **k))
    optimizer = FusedAdam(learning_rate=0.1)
    for size in (adam.MIN_SIZE - 1, adam.MIN_SIZE):
        weight = nd.zeros((size,))
        optimizer.update(size, weight, nd.ones((size,)), optimizer.create_state(0, weight))
        assert abs(weight.asnumpy() + 0.1).max() < 1e-6          # both took a step of -lr
    assert len(calls) == 1


def test_the_library_trainers_use_it():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    assert isinstance(make_trainer(net, 'adam')._optimizer, FusedAdam)
    assert type(make_trainer(net, 'rmsprop')._optimizer) is mx.optimizer.RMSProp
    step = d2gan.build_gan('ugatit', image_size=64, ngf=4, ndf=4, light=True)
    assert {type(t._optimizer) for t in step.trainers.values()} == {FusedAdam}


@needs_native
@pytest.mark.parametrize('together', [False, True])
@pytest.mark.parametrize('layer', ['conv', 'dense'])
def test_a_weight_in_onednn_layout_after_a_predict_forward_is_updated(layer, together,
                                                                      monkeypatch):
    """A predict-mode forward lets oneDNN keep a layer's weight in its own layout (MXNet's
    inference weight cache), which an operator of the library API cannot write: the update
    still reads and writes it, equal to MXNet's Adam on a plain copy."""
    monkeypatch.setattr(adam, 'MIN_SIZE', 1)
    mx.random.seed(0)
    if layer == 'conv':
        net, x = gluon.nn.Conv2D(8, 3, in_channels=4), nd.random.normal(shape=(2, 4, 8, 8))
    else:
        net, x = gluon.nn.Dense(8, in_units=32), nd.random.normal(shape=(2, 32))
    net.initialize()
    weight = net.weight.data()
    plain = weight.copy()
    net(x).wait_to_read()                                        # predict mode
    grad = nd.random.normal(shape=weight.shape)
    fused, reference = FusedAdam(learning_rate=0.1), mx.optimizer.Adam(learning_rate=0.1)
    fused_state, reference_state = fused.create_state(0, weight), reference.create_state(0, plain)
    for _ in range(2):
        if together:                              # as MXNet's updater hands it over
            fused.update_multi_precision([0], [weight], [grad], [fused_state])
        else:
            fused.update(0, weight, grad, fused_state)
        reference.update(0, plain, grad, reference_state)
    np.testing.assert_allclose(weight.asnumpy(), plain.asnumpy(), rtol=1e-6, atol=1e-7)
    updated = net(x).asnumpy()                                   # predict mode again
    net.weight.set_data(plain)
    np.testing.assert_allclose(updated, net(x).asnumpy(), rtol=1e-5, atol=1e-6)
