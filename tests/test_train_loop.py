"""The training loop: progress, exact resume from a checkpoint, atomic and checked checkpoints."""
import io
import os

import numpy as np
import mxnet as mx
import pytest

import d2gan
from d2gan.train import CheckpointError, ProgressPrinter, read_meta


def tiny_data(n=64, size=16, seed=0):
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((n, 1, size, size))).astype('float32')


def tiny_step(seed=0, devices=None):
    mx.random.seed(seed)
    return d2gan.build_gan('dcgan', image_size=16, channels=1, latent_dim=8, ngf=8, ndf=8,
                           devices=devices)


def params_of(step):
    return {f'{k}.{name}': p.data().asnumpy()
            for k, net in step.networks.items()
            for name, p in net._collect_params_with_prefix().items()}


def test_losses_are_recorded_per_epoch():
    state = d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), num_epochs=2)
    assert state.iteration == 8 and state.epoch == 2
    assert len(state.history) == 2
    assert set(state.history[0]) == {'loss_D', 'loss_G'}
    assert all(np.isfinite(v) for h in state.history for v in h.values())


def test_training_changes_both_networks():
    step = tiny_step()
    before = params_of(step)
    d2gan.train_gan(step, d2gan.ArrayBatches(tiny_data(), 16), num_epochs=1)
    after = params_of(step)
    changed = {k.split('.')[0] for k in before if not np.allclose(before[k], after[k])}
    assert changed == {'G', 'D'}


@pytest.mark.parametrize('stop_at', [5, 4])  # mid-epoch and at an epoch boundary
def test_interrupted_then_resumed_run_equals_uninterrupted_run(tmp_path, stop_at):
    data = d2gan.ArrayBatches(tiny_data(), 16)
    full = tiny_step()
    d2gan.train_gan(full, data, num_epochs=3, seed=7)

    ckpt = str(tmp_path / 'run.ckpt')
    first = tiny_step()
    state = d2gan.train_gan(first, data, num_epochs=3, seed=7, checkpoint=ckpt,
                            max_iterations=stop_at)
    assert state.iteration == stop_at
    resumed = tiny_step(seed=123)  # different initial weights: everything must come from ckpt
    state = d2gan.train_gan(resumed, data, num_epochs=3, seed=7, checkpoint=ckpt, resume=True)
    assert state.iteration == 12 and state.epoch == 3

    expected, got = params_of(full), params_of(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert len(state.history) == 3


def test_checkpoint_records_config_and_position(tmp_path):
    ckpt = str(tmp_path / 'a.ckpt')
    d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 1, checkpoint=ckpt)
    meta = read_meta(ckpt)
    assert meta['config']['model'] == 'dcgan' and meta['config']['image_size'] == 16
    assert meta['epoch'] == 1 and meta['iteration'] == 4
    assert not [f for f in os.listdir(tmp_path) if f != 'a.ckpt']  # no temp files left


def test_truncated_checkpoint_is_a_clear_error_and_is_not_overwritten(tmp_path):
    ckpt = tmp_path / 'run.ckpt'
    d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 1, checkpoint=str(ckpt))
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='truncated or corrupt'):
        d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 2,
                        checkpoint=str(ckpt), resume=True)
    assert ckpt.read_bytes() == data[:len(data) // 2]


def test_missing_checkpoint_and_mismatched_network(tmp_path):
    with pytest.raises(CheckpointError, match='no checkpoint file'):
        d2gan.load_checkpoint(str(tmp_path / 'nope.ckpt'), tiny_step())
    ckpt = str(tmp_path / 'run.ckpt')
    d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 1, checkpoint=ckpt)
    mx.random.seed(0)
    other = d2gan.build_gan('dcgan', image_size=32, channels=1, latent_dim=8, ngf=8, ndf=8)
    with pytest.raises(CheckpointError, match='does not match'):
        d2gan.load_checkpoint(ckpt, other)


def test_progress_printer_reports_speed_and_eta():
    out = io.StringIO()
    d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 2,
                    callbacks=[ProgressPrinter(stream=out)])
    text = out.getvalue()
    assert 'epoch 1/2 iter 4/8' in text and 'epoch 2/2 iter 8/8' in text
    assert 'examples/s' in text and 'ETA' in text and 'loss_D' in text
    assert 'done: 8 iterations, 128 examples' in text


def test_sample_saver_writes_grids(tmp_path):
    saver = d2gan.SampleSaver(str(tmp_path), num_samples=16, nrow=4)
    d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 2, callbacks=[saver])
    assert sorted(os.listdir(tmp_path)) == ['epoch_001.png', 'epoch_002.png']


def test_two_cpu_contexts_match_one_context():
    """Data parallelism over mx.cpu(0), mx.cpu(1) gives the same D update as one device.

    The critic has no batch norm (BN sees half a batch per device, which changes the numbers
    by design), so a split batch must give the same gradients, aggregated, as the whole batch.
    """
    data, fake = tiny_data(32), tiny_data(32, seed=1)
    results = []
    for devices in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        mx.random.seed(0)
        net_G = d2gan.models.DCGANGenerator(8, 1, 16, 8)
        net_D = d2gan.models.DCGANDiscriminator(1, 16, 8, norm='none')
        step = d2gan.GANStep(net_G, net_D, devices=devices, hybridize=False)
        for net in (net_G, net_D):  # same weights on every device
            for p in net.collect_params().values():
                p.set_data(p.data(devices[0]))
        bounds = [0, 16, 32] if len(devices) == 2 else [0, 32]
        step._fakes_like = lambda reals: [mx.nd.array(fake[a:b], ctx=r.context)
                                          for a, b, r in zip(bounds, bounds[1:], reals)]
        step._d_update(mx.nd.array(data))
        results.append({n: p.data(devices[0]).asnumpy()
                        for n, p in net_D._collect_params_with_prefix().items()})
    for name in results[0]:
        np.testing.assert_allclose(results[1][name], results[0][name], rtol=1e-4, atol=1e-5)


def test_generator_without_parameters_is_a_clear_error():
    class Fixed(mx.gluon.nn.HybridBlock):
        latent_dim = 2

        def hybrid_forward(self, F, z):
            return z

    with pytest.raises(ValueError, match='Fixed has no trainable parameters'):
        d2gan.GANStep(Fixed(), d2gan.models.MLPDiscriminator(), hybridize=False)
