"""Optimizer states that follow their parameters, not the trainer's parameter numbering.

``gluon.Trainer.save_states`` keys every Adam moment and update count by the parameter's
*index* in the trainer, and MXNet 1.x numbers a trainer's parameters in the order of their
sorted global names. Those names carry process-wide counters (``ugatitdiscriminator9_...``,
``ugatitdiscriminator10_...``), so the same model built in another process -- or later in the
same notebook -- can number its parameters differently: ``...10`` sorts before ``...9``. Loaded
by index, the moments of one discriminator then land on another of the same shape, silently,
and a resumed run drifts from the uninterrupted one.

A checkpoint therefore also stores each trainer's parameter order by *path* (``network.name``
as in :meth:`~mxnet.gluon.Block.save_parameters`, independent of the counters), and
:func:`reorder_states` renumbers the saved states for the trainer they are loaded into.
"""
import pickle


class TrainerStateError(RuntimeError):
    """Saved optimizer states belong to a different set of parameters."""


def parameter_paths(step, trainer):
    """``['network.parameter', ...]`` in ``trainer``'s numbering (its index order)."""
    paths = {id(p): f'{net_name}.{path}' for net_name, net in step.networks.items()
             for path, p in net._collect_params_with_prefix().items()}
    return [paths.get(id(p), p.name) for p in trainer._params]


def reorder_states(data, saved, current):
    """Renumber pickled updater states ``data`` saved with parameter order ``saved`` (paths)
    for a trainer whose order is ``current``; returns the pickled states unchanged if equal."""
    if list(saved) == list(current):
        return data
    if sorted(saved) != sorted(current):
        missing = sorted(set(current) - set(saved))
        extra = sorted(set(saved) - set(current))
        raise TrainerStateError(f'optimizer states were saved for other parameters: missing '
                                f'{missing[:5]}, unexpected {extra[:5]}')
    new_index = {path: i for i, path in enumerate(current)}
    move = {i: new_index[path] for i, path in enumerate(saved)}
    loaded = pickle.loads(data)
    states, optimizer = loaded if isinstance(loaded, tuple) else (loaded, None)
    states = {move.get(k, k): v for k, v in states.items()}
    if optimizer is not None:
        # Renumber in place: ``_index_update_count`` is one of these dicts (same object).
        for counts in optimizer._all_index_update_counts.values():
            renumbered = {move.get(k, k): v for k, v in counts.items()}
            counts.clear()
            counts.update(renumbered)
        optimizer.idx2name = {move.get(k, k): v for k, v in optimizer.idx2name.items()}
    return pickle.dumps((states, optimizer) if optimizer is not None else states)


def match_aggregation(trainer):
    """After ``trainer.load_states``: every updater hands its optimizer lists of parameters
    exactly when that optimizer takes them (``aggregate_num > 0``). ``Updater`` decides once,
    for the optimizer it was built with, and ``load_states`` swaps in the pickled one -- an
    ``Adam`` from a checkpoint written before :class:`~d2gan.train.adam.FusedAdam` aggregated
    would be handed lists it cannot take."""
    for updater in trainer._updaters:
        updater.aggregate_updates = updater.optimizer.aggregate_num > 0


__all__ = ['TrainerStateError', 'match_aggregation', 'parameter_paths', 'reorder_states']
