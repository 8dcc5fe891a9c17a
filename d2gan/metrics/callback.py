"""Track FID (or KID / IS) during training: a callback for :func:`d2gan.train_gan`."""
import sys

from ..plot import Animator
from ..train.callbacks import Callback
from .evaluation import evaluate, get_extractor, reference_stats
from .streaming import generator_source


class MetricCallback(Callback):
    """Computes FID of the generator every ``every_epochs`` epochs and plots it.

    Samples come from fixed seeds (the same latents each time) so that the curve shows the
    generator changing, not sampling noise. The real reference features are computed once.
    Sampling uses predict mode and its own NumPy RNG, so training is not changed by it.

    Parameters
    ----------
    reference : real images or their :class:`~d2gan.metrics.FeatureStats`; for the shipped
        digits ``'heldout'`` (default) or ``'train'``.
    extractor : ``'digits'``, ``'inception'`` or an extractor object.
    metrics : metrics to compute (``'fid'``, ``'kid'``, ``'is'``); the first is plotted first.
    num : generated images per evaluation.
    at_start : also evaluate the untrained generator (epoch 0).
    plot : draw the curve (live in a notebook, once at the end elsewhere).

    ``history`` holds ``(epoch, {metric: value})`` pairs (with ``kid_std`` / ``is_std``).
    """

    def __init__(self, reference='heldout', extractor='digits', every_epochs=1,
                 metrics=('fid',), num=1000, batch_size=200, seed=0, at_start=False,
                 plot=True, verbose=True, stream=None):
        self.reference, self.extractor = reference, extractor
        self.every, self.metrics, self.num = every_epochs, tuple(metrics), num
        self.batch_size, self.seed, self.at_start = batch_size, seed, at_start
        self.verbose, self.stream = verbose, stream
        self.animator = Animator(xlabel='epoch', ylabel=', '.join(m.upper() for m in metrics),
                                 with_images=False) if plot else None
        self.history = []

    def on_train_begin(self, state):
        self.extractor = get_extractor(self.extractor)
        if 'fid' in self.metrics or 'kid' in self.metrics:
            self.reference = reference_stats(self.reference, self.extractor,
                                             batch_size=self.batch_size)
        if self.at_start and state.epoch == 0:
            self._evaluate(state, 0)

    def on_epoch_end(self, state):
        if state.epoch % self.every == 0 or state.epoch == state.num_epochs:
            self._evaluate(state, state.epoch)

    def on_train_end(self, state):
        if self.animator is not None:
            self.animator.show()

    def _evaluate(self, state, epoch):
        values = evaluate(generator_source(state.step, self.seed), self.reference,
                          self.extractor, self.metrics, self.num, self.batch_size, self.seed)
        values.pop('num')
        self.history.append((epoch, values))
        if self.animator is not None:
            self.animator.add(epoch, {m.upper(): values[m] for m in self.metrics})
        if self.verbose:
            text = ' '.join(f'{m.upper()} {values[m]:.4g}' for m in self.metrics)
            print(f'epoch {epoch}: {text} ({self.num} samples)', file=self.stream or sys.stdout,
                  flush=True)

    def values(self, metric='fid'):
        """``(epochs, values)`` lists of one tracked metric (or ``'kid_std'``, ``'is_std'``)."""
        return [e for e, _ in self.history], [v[metric] for _, v in self.history]


class FIDCallback(MetricCallback):
    """:class:`MetricCallback` tracking FID only (the common case)."""

    def __init__(self, reference='heldout', extractor='digits', every_epochs=1, **kwargs):
        kwargs.setdefault('metrics', ('fid',))
        super().__init__(reference, extractor, every_epochs, **kwargs)
