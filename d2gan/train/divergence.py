"""Stop a run that has diverged, before it overwrites a usable model.

A GAN whose learning rate is too high (or NaN, or whose data holds a NaN) does not crash: its
losses become ``inf``/``nan``, the next update makes every weight NaN, and a loop that only
prints losses goes on to save a checkpoint of a NaN generator, exit 0, and let ``sample``
write a black grid. Two checks close that hole:

* :func:`check_losses` -- every loss the step logs must be finite. The loop reads each loss as
  a Python float anyway (for the epoch means), so the check costs nothing.
* :func:`check_parameters` -- every parameter of every network must be finite. The loop runs it
  before each checkpoint write (so the file on disk is always the last *good* state), and
  ``sample`` / ``eval`` / ``infer`` run it after loading one.

Both raise :class:`TrainingDivergedError`, whose message names where it happened and the usual
cause, and which the command line turns into an ``error:`` line with exit status 2.
"""
import math

import numpy as np
from mxnet.gluon.parameter import DeferredInitializationError


class TrainingDivergedError(RuntimeError):
    """Losses or weights stopped being finite numbers."""


def check_losses(logs, iteration, checkpoint=None):
    """Raise if any value in ``logs`` (``{name: float}``) is not finite at 1-based ``iteration``."""
    bad = {name: value for name, value in logs.items() if not math.isfinite(value)}
    if bad:
        what = ', '.join(f'{name} = {value}' for name, value in sorted(bad.items()))
        kept = (f'the last checkpoint {checkpoint} (written before this point) is kept'
                if checkpoint else 'no checkpoint was written from the diverged weights')
        raise TrainingDivergedError(
            f'training diverged at iteration {iteration}: {what}. Training stopped; {kept}. '
            'The usual cause is a learning rate that is too high (or not a number); '
            'lower it, or check the data for NaN/Inf values.')


def non_finite_parameters(step):
    """Names ``network.parameter`` of every parameter of ``step`` that holds a NaN or Inf."""
    bad = []
    for net_name, net in step.networks.items():
        for name, param in net.collect_params().items():
            try:
                data = param.list_data()
            except (DeferredInitializationError, RuntimeError):
                continue                     # not initialised yet: nothing to check
            if not all(np.isfinite(d.asnumpy()).all() for d in data):
                bad.append(f'{net_name}.{name}')
    return bad


def check_parameters(step, where):
    """Raise if any weight of ``step`` is NaN or Inf; ``where`` says what holds them."""
    bad = non_finite_parameters(step)
    if bad:
        shown = ', '.join(bad[:4]) + (f' and {len(bad) - 4} more' if len(bad) > 4 else '')
        raise TrainingDivergedError(
            f'{where} holds non-finite weights ({shown}): the run that produced them diverged. '
            'Retrain from an earlier checkpoint with a lower learning rate.')


__all__ = ['TrainingDivergedError', 'check_losses', 'check_parameters', 'non_finite_parameters']
