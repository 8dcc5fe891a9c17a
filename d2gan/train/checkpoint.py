"""Atomic, self-describing checkpoints: everything needed to resume a run exactly.

A checkpoint is one zip file holding

* ``net_<name>.params`` for every network (BN running statistics and spectral-norm vectors
  included, since they are parameters),
* ``trainer_<name>.states`` for every trainer (optimizer moments and update counts) and
  ``trainer_<name>.order.json``, the parameter paths in the states' numbering, so that they are
  renumbered for the trainer they are loaded into (:mod:`d2gan.train.trainer_states`),
* ``step_state.npz`` when the step has ``state_dict()`` (NumPy arrays, e.g. an image pool's
  contents and RNG state), given back to its ``load_state_dict(state)`` on loading,
* ``meta.json``: format version, the step's ``config`` (to rebuild the networks), the loop
  position (epoch, iteration, batch within the epoch), the base seed and the loss history.

It is written to a temporary file in the same directory and moved into place with
``os.replace``, so a crash mid-write never damages the previous checkpoint.
:func:`prepare_checkpoint_path` runs before training: it fails at once on a path that cannot
be written and removes the temporary file a killed save left behind.
"""
import glob
import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .divergence import check_parameters
from .trainer_states import (TrainerStateError, match_aggregation, parameter_paths,
                             reorder_states)

FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, corrupt or does not fit the networks."""


_TMP_PREFIX, _TMP_SUFFIX = '.ckpt-', '.tmp'


def prepare_checkpoint_path(path):
    """Make sure ``path`` can be written (creating its folder), before any training.

    Raises :class:`CheckpointError` naming the path for a folder given as the file, a parent
    that is a file, or a folder without write permission. Removes ``.ckpt-*.tmp`` files beside
    it: a save killed mid-write (``kill -9``, power loss) leaves one, never a damaged checkpoint.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CheckpointError(f'the checkpoint path {path} is a folder; give a file name, '
                              f'e.g. {os.path.join(path, "checkpoint.ckpt")}')
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix='.probe-', dir=directory)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise CheckpointError(f'cannot write the checkpoint {path}: '
                              f'{e.strerror or e} ({e.filename or directory})') from e
    for leftover in glob.glob(os.path.join(directory, _TMP_PREFIX + '*' + _TMP_SUFFIX)):
        try:
            os.remove(leftover)
        except OSError:
            pass
    return path


def save_checkpoint(path, step, meta):
    """Write ``step``'s networks and trainers plus ``meta`` (JSON-able) to ``path`` atomically."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    meta = dict(meta, format_version=FORMAT_VERSION, config=step.config)
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=directory)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_STORED) as zf:
            for name, net in step.networks.items():
                zf.writestr(f'net_{name}.params', _via_file(net.save_parameters))
            for name, trainer in step.trainers.items():
                zf.writestr(f'trainer_{name}.states', _via_file(trainer.save_states))
                zf.writestr(f'trainer_{name}.order.json',
                            json.dumps(parameter_paths(step, trainer)))
            if hasattr(step, 'state_dict'):
                buffer = io.BytesIO()
                np.savez(buffer, **step.state_dict())
                zf.writestr('step_state.npz', buffer.getvalue())
            zf.writestr('meta.json', json.dumps(meta, indent=1))
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read_meta(path):
    """The ``meta.json`` of a checkpoint, with clear errors for missing or damaged files."""
    with _open(path) as zf:
        return _meta(zf, path)


def _meta(zf, path):
    """``meta.json`` of an open checkpoint; :class:`CheckpointError` naming ``path`` if it is
    not JSON or has no ``config`` (which every reader needs to rebuild the step)."""
    try:
        meta = json.loads(zf.read('meta.json'))
        problem = None if isinstance(meta, dict) and isinstance(meta.get('config'), dict) \
            else 'no config'
    except ValueError as e:
        problem = f'not JSON: {e}'
    if problem:
        raise CheckpointError(f'checkpoint {path} has damaged metadata (meta.json: {problem}); '
                              'use an earlier checkpoint or retrain')
    return meta


def load_checkpoint(path, step, check_finite=True):
    """Load networks and trainer states from ``path`` into ``step``; return the meta dict.

    With ``check_finite`` (the default) a checkpoint whose weights hold NaN or Inf -- one saved
    by a run that diverged, before the loop checked -- is refused with
    :class:`~d2gan.train.divergence.TrainingDivergedError`, so nothing samples, evaluates or
    resumes from it.
    """
    with _open(path) as zf:
        names = set(zf.namelist())
        meta = _meta(zf, path)
        for name, net in step.networks.items():
            entry = f'net_{name}.params'
            if entry not in names:
                raise CheckpointError(f'checkpoint {path} has no network {name!r} '
                                      f'(it holds: {sorted(names)})')
            try:
                _from_file(zf.read(entry), lambda f: net.load_parameters(f, ctx=step.devices))
            except (AssertionError, ValueError, RuntimeError) as e:
                raise CheckpointError(f'network {name!r} in {path} does not match the model '
                                      f'built from its config: {e}') from e
        for name, trainer in step.trainers.items():
            entry = f'trainer_{name}.states'
            if entry not in names:
                continue
            data = zf.read(entry)
            order = f'trainer_{name}.order.json'
            if order in names:      # checkpoints before this file: loaded by index as saved
                try:
                    data = reorder_states(data, json.loads(zf.read(order)),
                                          parameter_paths(step, trainer))
                except TrainerStateError as e:
                    raise CheckpointError(f'trainer {name!r} in {path}: {e}') from e
            _from_file(data, trainer.load_states)
            match_aggregation(trainer)
        if 'step_state.npz' in names and hasattr(step, 'load_state_dict'):
            with np.load(io.BytesIO(zf.read('step_state.npz')), allow_pickle=False) as state:
                step.load_state_dict({key: state[key] for key in state.files})
    if check_finite:
        check_parameters(step, f'checkpoint {path}')
    return meta


def _open(path):
    if not os.path.isfile(path):
        raise CheckpointError(f'no checkpoint file at {os.path.abspath(path)}')
    try:
        zf = zipfile.ZipFile(path)
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise CheckpointError(f'checkpoint {path} is truncated or corrupt ({e}); '
                              'use an earlier checkpoint or retrain') from e
    if bad is not None or 'meta.json' not in zf.namelist():
        zf.close()
        raise CheckpointError(f'checkpoint {path} is corrupt (damaged entry {bad!r} or '
                              'no meta.json)')
    return zf


# MXNet saves and loads parameters and trainer states only through files: these go through a
# file in the system's temporary folder, never beside the checkpoint.
def _via_file(writer):
    fd, tmp = tempfile.mkstemp(prefix='d2gan-part-')
    os.close(fd)
    try:
        writer(tmp)
        with open(tmp, 'rb') as f:
            return f.read()
    finally:
        os.remove(tmp)


def _from_file(data, reader):
    fd, tmp = tempfile.mkstemp(prefix='d2gan-part-')
    try:
        with io.open(fd, 'wb') as f:
            f.write(data)
        reader(tmp)
    finally:
        os.remove(tmp)
