"""Network pickles of NVlabs/stylegan2-ada-pytorch, read without PyTorch and without its code.

Why: the released StyleGAN2-ADA networks (``ffhq.pkl``, ``afhq*.pkl``, ``metfaces.pkl``, ...)
and the reference's training snapshots are ``pickle.dump(dict(G=..., D=..., G_ema=..., ...))``
of its ``torch_utils.persistence`` classes. Unpickling them the normal way imports the
reference's code (or executes the source stored in the file) and needs torch. But what the
file stores is data: each network is ``_reconstruct_persistent_obj(meta)`` with ``meta['state']``
the module's ``__dict__`` (``_parameters``, ``_buffers``, ``_modules``, ...), each tensor is
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)``, each storage
``torch.storage._load_from_bytes(bytes)``, the bytes a small legacy ``torch.save`` file: a
pickle naming the element type (``torch.FloatStorage``) and the raw little-endian elements.

The method: a restricted unpickler that maps exactly those functions to NumPy code of its own
(:class:`PersistentRecord` keeps a network's class name and state; the storage bytes are parsed
here) and otherwise allows only NumPy's and ``collections``' reconstruction; anything else is
refused by name before it is loaded (:class:`~d2gan.pretrained.tf_pickle.ForeignPickleError`).
The source code stored in the file is never executed. :func:`read_ada_pickle` then walks each
network's modules as ``state_dict()`` does and returns ``{'G_ema.mapping.fc0.weight': array,
...}`` for the networks ``G``, ``D`` and ``G_ema`` of the file.
"""
import io
import pickle
import struct

import numpy as np

from .errors import PretrainedError
from .tf_pickle import NUMPY, ForeignPickleError, numpy_global, restricted_load

NETWORKS = ('G', 'D', 'G_ema')
STORAGE_DTYPES = {'FloatStorage': np.float32, 'DoubleStorage': np.float64,
                  'HalfStorage': np.float16, 'LongStorage': np.int64, 'IntStorage': np.int32,
                  'ShortStorage': np.int16, 'CharStorage': np.int8, 'ByteStorage': np.uint8,
                  'BoolStorage': np.bool_}


class PersistentRecord:
    """A ``torch_utils.persistence`` object: its class name and pickled ``__dict__``."""

    def __init__(self, meta):
        if not isinstance(meta, dict) or 'state' not in meta:
            raise PretrainedError('a persistent object without state: not a network pickle of '
                                  'stylegan2-ada-pytorch')
        self.class_name, self.state = meta.get('class_name'), meta['state']


class _StorageTypes(pickle.Unpickler):
    """The pickle inside a storage's bytes: its element type is a ``torch.*Storage`` class."""

    def find_class(self, module, name):
        if module == 'torch' and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise ForeignPickleError(module, name)

    def persistent_load(self, pid):
        return pid


def load_storage(data):
    """A legacy ``torch.save`` of one storage -> its elements as a 1-D NumPy array."""
    f = io.BytesIO(data)
    for _ in range(3):                  # magic number, protocol version, system info
        pickle.load(f)
    pid = _StorageTypes(f).load()
    keys = pickle.load(f)
    if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == 'storage') or len(keys) != 1:
        raise PretrainedError('a tensor storage in an unknown format')
    dtype = np.dtype(pid[1])
    (count,) = struct.unpack('<q', f.read(8))
    raw = f.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise PretrainedError('a tensor storage is cut short (truncated file?)')
    return np.frombuffer(raw, dtype=dtype)


def rebuild_tensor(storage, offset, size, stride, *unused):
    """``torch._utils._rebuild_tensor_v2`` in NumPy: a (copied) strided view of ``storage``."""
    item = storage.dtype.itemsize
    if size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= len(storage):
        raise PretrainedError(f'a tensor of size {tuple(size)} does not fit its storage')
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * item for s in stride))
    return np.array(view)


def rebuild_parameter(data, *unused):
    """``torch._utils._rebuild_parameter``: a parameter is its data."""
    return data


ALLOWED = {('torch_utils.persistence', '_reconstruct_persistent_obj'): PersistentRecord,
           ('torch.storage', '_load_from_bytes'): load_storage,
           ('torch._utils', '_rebuild_tensor_v2'): rebuild_tensor,
           ('torch._utils', '_rebuild_parameter'): rebuild_parameter,
           ('dnnlib.util', 'EasyDict'): dict, ('builtins', 'set'): set}


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        if (module, name) in NUMPY:
            return numpy_global(module, name)
        raise ForeignPickleError(module, name)


def module_state(record, prefix=''):
    """``state_dict()`` of a pickled module: parameters, persistent buffers, submodules."""
    state = record.state
    flat = {}
    for name, value in (state.get('_parameters') or {}).items():
        if value is not None:
            flat[prefix + name] = value
    skip = state.get('_non_persistent_buffers_set') or set()
    for name, value in (state.get('_buffers') or {}).items():
        if value is not None and name not in skip:
            flat[prefix + name] = value
    for name, child in (state.get('_modules') or {}).items():
        if isinstance(child, PersistentRecord):
            flat.update(module_state(child, f'{prefix}{name}.'))
        elif child is not None:
            raise PretrainedError(f'module {prefix}{name} is a {type(child).__name__}, not a '
                                  'network of stylegan2-ada-pytorch')
    return flat


def read_ada_pickle(path):
    """``{'<network>.<key>': array}`` of the networks ``G``, ``D``, ``G_ema`` in ``path``."""
    loaded = restricted_load(path, _Restricted)
    if not isinstance(loaded, dict):
        raise PretrainedError(f'{path} holds a {type(loaded).__name__}, not the dict of '
                              'networks stylegan2-ada-pytorch pickles')
    flat = {}
    for name in NETWORKS:
        if isinstance(loaded.get(name), PersistentRecord):
            flat.update({f'{name}.{k}': v for k, v in module_state(loaded[name]).items()})
    if not flat:
        raise PretrainedError(f'{path} holds none of the networks {", ".join(NETWORKS)} '
                              f'(keys: {", ".join(map(str, loaded))})')
    return flat


__all__ = ['PersistentRecord', 'load_storage', 'rebuild_tensor', 'module_state',
           'read_ada_pickle', 'NETWORKS']
