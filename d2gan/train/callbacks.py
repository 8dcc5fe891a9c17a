"""Callbacks for :func:`d2gan.train.train_gan`: progress, live plots, sample grids, checkpoints.

A callback may define any of ``on_train_begin(state)``, ``on_step_end(state, logs)``,
``on_epoch_end(state)`` and ``on_train_end(state)``; ``state`` is the loop's
:class:`~d2gan.train.loop.TrainState` (``state.step`` is the GAN step being trained).
"""
import os
import sys
import time

from ..plot import Animator, save_grid


def format_seconds(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f'{seconds}s'
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f'{minutes}m{seconds:02d}s'
    hours, minutes = divmod(minutes, 60)
    return f'{hours}h{minutes:02d}m'


class Callback:
    def on_train_begin(self, state):
        pass

    def on_step_end(self, state, logs):
        pass

    def on_epoch_end(self, state):
        pass

    def on_train_end(self, state):
        pass


class ProgressPrinter(Callback):
    """Prints iterations, losses, examples/s and ETA.

    A line every ``every`` seconds within an epoch, and one at the end of every
    ``every_epochs``-th epoch (and of the last one).
    """

    def __init__(self, every=10.0, every_epochs=1, stream=None):
        self.every, self.every_epochs = every, every_epochs
        self.stream = stream or sys.stdout

    def on_train_begin(self, state):
        self._last = time.time()

    def on_step_end(self, state, logs):
        if time.time() - self._last >= self.every:
            self._print(state, state.running_means(), prefix='  ')

    def on_epoch_end(self, state):
        if state.epoch % self.every_epochs == 0 or state.epoch == state.num_epochs:
            self._print(state, state.epoch_means())

    def on_train_end(self, state):
        print(f'done: {state.iteration} iterations, {state.examples} examples in '
              f'{format_seconds(state.elapsed)} ({state.examples_per_sec:.1f} examples/s)',
              file=self.stream, flush=True)

    def _print(self, state, means, prefix=''):
        self._last = time.time()
        losses = ' '.join(f'{k} {v:.4f}' for k, v in means.items())
        print(f'{prefix}epoch {state.epoch_display}/{state.num_epochs} '
              f'iter {state.iteration}/{state.total_iterations} {losses} | '
              f'{state.examples_per_sec:.1f} examples/s | ETA {format_seconds(state.eta)}',
              file=self.stream, flush=True)


class LivePlot(Callback):
    """Redraws an :class:`~d2gan.plot.Animator` (epoch-mean losses + samples from fixed noise)."""

    def __init__(self, num_samples=64, nrow=8, every_epochs=1, animator=None, seed=0):
        self.num_samples, self.every, self.seed = num_samples, every_epochs, seed
        self.animator = animator or Animator(nrow=nrow)

    def on_epoch_end(self, state):
        if state.epoch % self.every == 0 or state.epoch == state.num_epochs:
            images = state.step.sample(self.num_samples, seed=self.seed)
            self.animator.add(state.epoch, state.epoch_means(), images)

    def on_train_end(self, state):
        self.animator.show()


class SampleSaver(Callback):
    """Saves a sample grid from fixed noise to ``directory/epoch_XXX.png`` after each epoch."""

    def __init__(self, directory, num_samples=64, nrow=8, seed=0):
        self.directory, self.num_samples, self.nrow, self.seed = directory, num_samples, nrow, seed

    def on_epoch_end(self, state):
        path = os.path.join(self.directory, f'epoch_{state.epoch:03d}.png')
        save_grid(state.step.sample(self.num_samples, seed=self.seed), path, nrow=self.nrow)
        self.last_path = path
