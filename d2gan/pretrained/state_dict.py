"""Reading a reference implementation's weights: a state dict ``{key: array}`` from a file.

Two file types, chosen by the suffix:

* ``.npz`` -- NumPy's archive of named arrays; always readable (no PyTorch needed). A PyTorch
  checkpoint becomes one with ``scripts/pth_to_npz.py``, run wherever torch is installed;
* ``.pth`` / ``.pt`` / ``.ckpt`` -- PyTorch's ``torch.save`` of a state dict; needs the optional
  dependency ``torch`` (read with ``weights_only=True``: tensors only, no code is run).

A TensorFlow checkpoint (``PREFIX.index`` with its ``PREFIX.data-*``, or the ``PREFIX``) is read
without TensorFlow (:mod:`d2gan.pretrained.tf_checkpoint`). A ``.pkl`` is read when it is a network pickle of progressive_growing_of_gans (PGGAN's released
networks, :mod:`d2gan.pretrained.tf_pickle`) or of stylegan2-ada-pytorch (StyleGAN2-ADA's,
:mod:`d2gan.pretrained.torch_pickle`): without TensorFlow or PyTorch, and without running any
code from the file. Any other pickle is refused, naming the class it holds.

The keys are the reference's own (``model.1.weight``); a ``module.`` prefix on every key (a
network saved inside ``DataParallel``) is removed. A checkpoint of several networks -- a dict
of state dicts, as U-GAT-IT's ``*_params_latest.pt`` (``genA2B``, ``disGA``, ...) or StarGAN
v2's ``*_nets_ema.ckpt`` -- reads as one flat dict with dotted keys (``genA2B.DownBlock.1.weight``);
:func:`sub_state` takes one network out of it. Whatever cannot be read -- a missing,
truncated or foreign file -- is a :class:`PretrainedError` naming the file, so the CLI reports
it as one ``error:`` line.
"""
import os
import zipfile

import numpy as np

from .errors import PretrainedError
from .tf_checkpoint import read_tf_checkpoint
from .tf_pickle import ForeignPickleError, read_tf_pickle
from .torch_pickle import read_ada_pickle

TORCH_SUFFIXES = ('.pth', '.pt', '.ckpt')   # .ckpt: yunjey/stargan's released files


def read_state_dict(path):
    """``{key: numpy array}`` of the state dict in ``path`` (``.npz`` or a torch suffix)."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if (suffix == '.index' or '.data-' in os.path.basename(path)
            or os.path.isfile(path + '.index')):
        return read_tf_checkpoint(path)
    if suffix != '.npz' and suffix != '.pkl' and suffix not in TORCH_SUFFIXES:
        raise PretrainedError(f'{path}: unknown weight file type {suffix!r}; use .npz, '
                              '.pth / .pt / .ckpt (PyTorch), .pkl (network pickles) or a '
                              'TensorFlow checkpoint (PREFIX.index)')
    if not os.path.isfile(path):
        raise PretrainedError(f'{path}: no such file')
    if suffix == '.pkl':
        state = _read_pickle(path)
    else:
        state = _read_npz(path) if suffix == '.npz' else _read_torch(path)
    if not state:
        raise PretrainedError(f'{path} holds no arrays')
    if all(key.startswith('module.') for key in state):
        state = {key[len('module.'):]: value for key, value in state.items()}
    return state


def _read_npz(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise PretrainedError(f'{path} is not a readable .npz file (truncated or corrupt?): '
                              f'{e}') from None


def _read_pickle(path):
    """Network pickles, read without their frameworks and without running code from the file:
    PGGAN's TensorFlow ones (:mod:`.tf_pickle`) and stylegan2-ada-pytorch's
    (:mod:`.torch_pickle`); any other pickle is refused, naming the class it holds."""
    try:
        return read_tf_pickle(path)
    except ForeignPickleError as e:
        foreign = e
    if foreign.module.startswith(('torch', 'dnnlib')):
        try:
            return read_ada_pickle(path)
        except ForeignPickleError as e:
            foreign = e
    raise PretrainedError(
        f'{path}: {foreign}; d2gan reads the network pickles of progressive_growing_of_gans and '
        'stylegan2-ada-pytorch. Where the reference that wrote this one is checked out, write '
        f'its state dict as .npz: PYTHONPATH=CHECKOUT python scripts/pth_to_npz.py '
        f'--nvlabs-pkl {path} G_ema.npz (--network D for the discriminator)')


def _read_torch(path):
    try:
        import torch
    except ImportError:
        raise PretrainedError(
            f'reading {path} needs torch (pip install torch) or convert the file to .npz with '
            'scripts/pth_to_npz.py where torch is installed') from None
    try:
        loaded = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # torch raises many types for a truncated or foreign file
        raise PretrainedError(f'{path} could not be read by torch.load (truncated or not a '
                              f'state dict?): {e}') from None
    if isinstance(loaded, dict) and isinstance(loaded.get('state_dict'), dict):
        loaded = loaded['state_dict']
    if not isinstance(loaded, dict):
        raise PretrainedError(f'{path} holds a {type(loaded).__name__}, not a state dict')
    return {key: value.detach().cpu().numpy()
            for key, value in flatten(loaded, torch.Tensor, path).items()}


def flatten(nested, leaf_type, path, prefix=''):
    """``{key: leaf}`` of a dict whose values are ``leaf_type`` or such dicts (one per network),
    nested keys joined by dots; optimizer states are skipped, any other value is a
    :class:`PretrainedError`."""
    flat = {}
    for key, value in nested.items():
        if isinstance(value, dict) and {'state', 'param_groups'} <= set(value):
            continue      # an optimizer's state (AttGAN's weights.*.pth hold two): no weights
        if isinstance(value, dict):
            flat.update(flatten(value, leaf_type, path, f'{prefix}{key}.'))
        elif isinstance(value, leaf_type):
            flat[prefix + str(key)] = value
        else:
            raise PretrainedError(f'{path}: entry {prefix + str(key)!r} is a '
                                  f'{type(value).__name__}, not a tensor; is this a state dict?')
    return flat


def sub_state(state, name, what):
    """The state dict of network ``name`` in a checkpoint of several (its keys ``name.*``,
    the prefix removed); a :class:`PretrainedError` listing the networks there if none."""
    prefix = name + '.'
    sub = {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
    if not sub:
        held = sorted({key.split('.', 1)[0] for key in state})
        shown = ', '.join(held[:8]) + (' ...' if len(held) > 8 else '')
        raise PretrainedError(f'{what}: no network {name!r} (keys {prefix}*) in this '
                              f'checkpoint; its keys begin with: {shown}')
    return sub


def required(state, key, fmt, network):
    """``state[key]``, or a :class:`PretrainedError` saying that the file is not a state dict of
    the reference's ``network`` (the families read their configuration through this)."""
    if key not in state:
        raise PretrainedError(f'{fmt}: key {key!r} not found: not a state dict of the '
                              f"reference's {network} (its keys begin "
                              f'{", ".join(sorted(state)[:4])} ...)')
    return state[key]


__all__ = ['required', 'PretrainedError', 'read_state_dict', 'sub_state', 'flatten']
