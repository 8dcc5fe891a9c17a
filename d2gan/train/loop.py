"""The one training loop of the book: epochs, seeding, callbacks, checkpoints, exact resume.

It also refuses to go on from a diverged state (:mod:`d2gan.train.divergence`): a non-finite
loss stops training, and weights are checked before every checkpoint write, so the file on disk
is always the last good model. The checkpoint's folder is checked before the first iteration,
and each epoch's checkpoint is written before the callbacks (sample grids, plots) run, so a
failing callback never costs the epoch.
"""
import os
import time

import mxnet as mx

from .checkpoint import load_checkpoint, prepare_checkpoint_path, save_checkpoint
from .divergence import check_losses, check_parameters


class TrainState:
    """Where the loop is; callbacks read it and checkpoints store it."""

    def __init__(self, step, num_epochs, iters_per_epoch, seed):
        self.step, self.num_epochs, self.seed = step, num_epochs, seed
        self.iters_per_epoch = iters_per_epoch
        self.epoch = 0            # completed epochs
        self.batch_in_epoch = 0   # completed batches of the current epoch
        self.iteration = 0        # completed steps overall
        self.history = []         # one {loss: mean} dict per completed epoch
        self.examples = 0         # examples seen in this process (for speed)
        self.start_time = time.time()
        self._sums, self._count = {}, 0
        self._start_iteration = 0

    @property
    def epoch_display(self):
        return self.epoch + (1 if self.batch_in_epoch else 0)

    @property
    def total_iterations(self):
        return self.num_epochs * self.iters_per_epoch if self.iters_per_epoch else '?'

    @property
    def elapsed(self):
        return time.time() - self.start_time

    @property
    def examples_per_sec(self):
        return self.examples / max(self.elapsed, 1e-9)

    @property
    def iterations_this_run(self):
        """Iterations trained in this process (not counting those a resumed checkpoint had)."""
        return self.iteration - self._start_iteration

    @property
    def eta(self):
        done = self.iterations_this_run
        if not self.iters_per_epoch or not done:
            return float('nan')
        left = self.num_epochs * self.iters_per_epoch - self.iteration
        return left * self.elapsed / done

    def record(self, logs):
        """Add one step's losses to the running sums; return them as Python floats."""
        values = {key: float(value.asscalar() if hasattr(value, 'asscalar') else value)
                  for key, value in logs.items()}
        for key, value in values.items():
            self._sums[key] = self._sums.get(key, 0.0) + value
        self._count += 1
        return values

    def running_means(self):
        return {k: v / max(self._count, 1) for k, v in self._sums.items()}

    def epoch_means(self):
        return self.history[-1] if self.history else {}

    def close_epoch(self):
        self.history.append(self.running_means())
        self._sums, self._count = {}, 0

    def to_meta(self):
        return dict(epoch=self.epoch, batch_in_epoch=self.batch_in_epoch,
                    iteration=self.iteration, seed=self.seed, history=self.history,
                    partial_sums=self._sums, partial_count=self._count)

    def restore(self, meta):
        self.epoch, self.batch_in_epoch = meta['epoch'], meta['batch_in_epoch']
        self.iteration, self.history = meta['iteration'], meta['history']
        self._sums, self._count = meta.get('partial_sums', {}), meta.get('partial_count', 0)
        self._start_iteration = self.iteration


def iteration_seed(seed, iteration, stream=0):
    """The RNG seed of one iteration: resuming at iteration k replays exactly the same noise.

    ``stream`` (a distributed worker's rank, ``step.rng_offset``) gives each worker its own
    noise for the same iteration; 0 leaves the one-process seeds unchanged.
    """
    return (seed * 1_000_003 + iteration + stream * 1_000_000_007) % (2 ** 31)


def epoch_batches(data, epoch, seed):
    """Iterate one epoch of ``data``: ``data.batches(epoch, seed)`` if it has it, else ``iter``."""
    if hasattr(data, 'batches'):
        return data.batches(epoch, seed=seed)
    return iter(data)


def train_gan(step, data, num_epochs, callbacks=(), checkpoint=None, resume=False, seed=0,
              checkpoint_every=0, max_iterations=None, write_checkpoint=True):
    """Train ``step`` (see :mod:`d2gan.train.step`) on ``data`` for ``num_epochs`` epochs.

    Parameters
    ----------
    data : iterable of batches, or an object with ``batches(epoch, seed)`` and ``__len__``
        (e.g. :class:`d2gan.data.ArrayBatches`), which makes shuffling reproducible so that a
        resumed run sees the same batches as an uninterrupted one.
    callbacks : list of :class:`~d2gan.train.callbacks.Callback`
    checkpoint : path of the checkpoint file, written atomically after every epoch (and every
        ``checkpoint_every`` iterations if > 0).
    resume : continue from ``checkpoint`` if that file exists.
    seed : base seed; iteration ``k`` seeds MXNet's RNG with ``iteration_seed(seed, k)``.
    max_iterations : stop after this many iterations overall (for interrupted-run tests and
        quick runs); a checkpoint is written when stopping early.
    write_checkpoint : False reads ``checkpoint`` to resume but never writes it (the workers
        other than rank 0 of a distributed run, see :mod:`d2gan.train.distributed`).

    Returns the :class:`TrainState` (``state.history`` holds per-epoch mean losses).
    """
    state = TrainState(step, num_epochs, _len_or_none(data), seed)
    if resume and checkpoint and os.path.exists(checkpoint):
        meta = load_checkpoint(checkpoint, step)
        state.restore(meta)
        seed = state.seed = meta['seed']
    if not write_checkpoint:
        checkpoint = None
    if checkpoint:
        prepare_checkpoint_path(checkpoint)   # fails now, not after an epoch of training

    def save():
        check_parameters(step, f'the model at iteration {state.iteration}')
        save_checkpoint(checkpoint, step, state.to_meta())

    for cb in callbacks:
        cb.on_train_begin(state)
    stopped = False
    while state.epoch < num_epochs and not stopped:
        skip = state.batch_in_epoch
        if hasattr(step, 'begin_epoch'):
            step.begin_epoch(state.epoch)   # e.g. a learning-rate schedule; runs on resume too
        for index, batch in enumerate(epoch_batches(data, state.epoch, seed)):
            if index < skip:
                continue
            _seed_all(iteration_seed(seed, state.iteration, getattr(step, 'rng_offset', 0)))
            logs = step.train_step(batch)
            check_losses(state.record(logs), state.iteration + 1,
                         checkpoint if checkpoint and os.path.exists(checkpoint) else None)
            state.iteration += 1
            state.batch_in_epoch = index + 1
            state.examples += _batch_size(batch)
            for cb in callbacks:
                cb.on_step_end(state, logs)
            if checkpoint and checkpoint_every and state.iteration % checkpoint_every == 0:
                save()
            if max_iterations is not None and state.iteration >= max_iterations:
                stopped = True
                break
        if stopped and state.batch_in_epoch < (state.iters_per_epoch or float('inf')):
            break
        state.epoch += 1
        state.batch_in_epoch = 0
        state.close_epoch()
        if checkpoint:
            save()                            # before anything optional can fail
        for cb in callbacks:
            cb.on_epoch_end(state)
    if stopped and checkpoint:
        save()
    mx.nd.waitall()
    for cb in callbacks:
        cb.on_train_end(state)
    return state


def _seed_all(value):
    mx.random.seed(value)


def _len_or_none(data):
    try:
        return len(data)
    except TypeError:
        return None


def _batch_size(batch):
    first = batch[0] if isinstance(batch, (tuple, list)) else batch
    return first.shape[0] if hasattr(first, 'shape') else len(first)


__all__ = ['train_gan', 'TrainState', 'iteration_seed']
