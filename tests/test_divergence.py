"""A run that diverges stops with a clear error and never replaces the last good checkpoint;
checkpoint paths are checked before training; a failing callback never costs the epoch."""
import glob
import math
import os

import numpy as np
import mxnet as mx
import pytest

import d2gan
from d2gan.cli import main
from d2gan.train import CheckpointError, TrainingDivergedError, read_meta, save_checkpoint


def tiny_data(n=64, size=16, seed=0):
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((n, 1, size, size))).astype('float32')


def tiny_step(name='dcgan', **kwargs):
    mx.random.seed(0)
    return d2gan.build_gan(name, image_size=16, channels=1, latent_dim=8, ngf=8, ndf=8, **kwargs)


def weights(step):
    return np.concatenate([p.data().asnumpy().ravel() for net in step.networks.values()
                           for p in net.collect_params().values()])


def test_nan_learning_rate_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    data, ckpt = d2gan.ArrayBatches(tiny_data(), 16), str(tmp_path / 'run.ckpt')
    step = tiny_step()
    d2gan.train_gan(step, data, 1, checkpoint=ckpt)
    good = open(ckpt, 'rb').read()
    for trainer in step.trainers.values():
        trainer.set_learning_rate(float('nan'))
    # D's NaN update shows in G's loss of the same iteration
    with pytest.raises(TrainingDivergedError, match=r'iteration 1: loss_G = nan.*learning rate') as e:
        d2gan.train_gan(step, data, 3, checkpoint=ckpt)
    assert ckpt in str(e.value)
    assert open(ckpt, 'rb').read() == good          # not overwritten by NaN weights
    assert read_meta(ckpt)['iteration'] == 4
    assert not np.isfinite(weights(step)).all()     # the step itself did diverge


def test_huge_learning_rate_diverges_loudly():
    step = tiny_step('lsgan', lr=1e10)
    with pytest.raises(TrainingDivergedError, match='diverged at iteration'):
        d2gan.train_gan(step, d2gan.ArrayBatches(tiny_data(), 16), 20)


def test_non_finite_weights_are_never_saved(tmp_path):
    step = tiny_step()
    step.trainers['G'].set_learning_rate(float('nan'))
    ckpt = str(tmp_path / 'run.ckpt')
    # one iteration: G's loss is computed before G's update, so only the weights show it
    with pytest.raises(TrainingDivergedError, match='iteration 1 holds non-finite weights'):
        d2gan.train_gan(step, d2gan.ArrayBatches(tiny_data(), 16), 1, checkpoint=ckpt,
                        max_iterations=1)
    assert not os.path.exists(ckpt)


def test_a_nan_checkpoint_is_refused_for_sample_eval_and_resume(tmp_path, capsys):
    step = tiny_step()
    d2gan.train_gan(step, d2gan.ArrayBatches(tiny_data(), 16), 1)
    step.net_G.collect_params()[next(iter(step.net_G.collect_params()))].set_data(
        mx.nd.full(step.net_G.collect_params()[next(iter(step.net_G.collect_params()))].shape,
                   float('nan')))
    ckpt = str(tmp_path / 'nan.ckpt')
    save_checkpoint(ckpt, step, {'epoch': 1, 'batch_in_epoch': 0, 'iteration': 4, 'seed': 0,
                                 'history': []})
    with pytest.raises(TrainingDivergedError, match='nan.ckpt holds non-finite weights'):
        d2gan.load_checkpoint(ckpt, tiny_step())
    d2gan.load_checkpoint(ckpt, tiny_step(), check_finite=False)   # inspecting stays possible
    assert main(['sample', '--checkpoint', ckpt, '--out', str(tmp_path / 'g.png')]) == 2
    assert 'non-finite weights' in capsys.readouterr().err
    assert not os.path.exists(tmp_path / 'g.png')


@pytest.mark.parametrize('bad', ['file_parent', 'folder'])
def test_unwritable_checkpoint_path_fails_before_training(tmp_path, bad):
    (tmp_path / 'afile').write_text('x')
    path = tmp_path / 'afile' / 'run.ckpt' if bad == 'file_parent' else tmp_path
    step = tiny_step()
    before = weights(step)
    with pytest.raises(CheckpointError, match=str(tmp_path)):
        d2gan.train_gan(step, d2gan.ArrayBatches(tiny_data(), 16), 1, checkpoint=str(path))
    assert np.array_equal(weights(step), before)    # not one iteration was spent


def test_leftover_temporary_file_of_a_killed_save_is_removed(tmp_path):
    leftover = tmp_path / '.ckpt-abc123.tmp'
    leftover.write_bytes(b'half a zip')
    d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 1,
                    checkpoint=str(tmp_path / 'run.ckpt'))
    assert not leftover.exists()
    assert glob.glob(str(tmp_path / '.*')) == []


class FailingGrid(d2gan.Callback):
    def on_epoch_end(self, state):
        raise OSError(28, 'No space left on device')


def test_checkpoint_is_written_before_a_failing_callback(tmp_path):
    ckpt = str(tmp_path / 'run.ckpt')
    with pytest.raises(OSError, match='No space left'):
        d2gan.train_gan(tiny_step(), d2gan.ArrayBatches(tiny_data(), 16), 2, checkpoint=ckpt,
                        callbacks=[FailingGrid()])
    assert read_meta(ckpt)['epoch'] == 1
    assert all(math.isfinite(v) for v in read_meta(ckpt)['history'][0].values())


def test_ctrl_c_prints_the_resume_hint_not_a_traceback(tmp_path, capsys, monkeypatch):
    import d2gan.train.loop as loop

    def interrupt_at_iteration_3(logs, iteration, checkpoint=None):
        if iteration == 3:
            raise KeyboardInterrupt
    monkeypatch.setattr(loop, 'check_losses', interrupt_at_iteration_3)
    out = str(tmp_path / 'run')
    code = main(['train', '--model', 'dcgan', '--image-size', '16', '--epochs', '1',
                 '--batch-size', '16', '--limit', '64', '--out', out])
    err = capsys.readouterr().err
    assert code == 130 and 'Traceback' not in err
    assert f'the last checkpoint in {out} is kept' in err and '--resume' in err
