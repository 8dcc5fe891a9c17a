"""TensorFlow checkpoints (``model.ckpt-N.index`` + ``.data-*``), read without TensorFlow.

Why: references written in TensorFlow (csmliu/STGAN, LynnHo/AttGAN-Tensorflow, ...) release
their trained networks as TF checkpoints, and TensorFlow 1 no longer installs on a current
Python. The format is small and documented in TensorFlow's sources (``tensor_bundle.proto``,
LevelDB's ``table_format.md``):

* ``PREFIX.index`` is a LevelDB table (no compression): data blocks of prefix-compressed
  ``(key, value)`` entries, an index block pointing at them, a 48-byte footer ending in a
  magic number. Key ``""`` holds the ``BundleHeaderProto`` (number of data shards); every other
  key is a variable name whose value is a ``BundleEntryProto``: dtype, shape, shard, offset and
  size of its bytes;
* ``PREFIX.data-SSSSS-of-NNNNN`` hold the raw little-endian tensor bytes.

The method: parse the table and the two protobuf messages by hand (varints and length-delimited
fields; a few dozen lines), read each tensor's bytes, check their CRC-free length, and return
``{variable name: numpy array}``. String tensors (``global_step`` is an int64, not one) and
partitioned variables (``slices``) are refused by name; nothing from the files is executed.
"""
import os
import struct

import numpy as np

from .errors import PretrainedError

MAGIC = 0xdb4775248b80fb57
DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
          9: np.int64, 10: np.bool_, 19: np.float16, 17: np.uint16, 22: np.uint32,
          23: np.uint64}


def _varint(data, pos):
    """``(value, next position)`` of the unsigned varint at ``pos``."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7f) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(message):
    """``[(field number, value)]`` of a protobuf message: ints for varint / fixed fields, bytes
    for length-delimited ones."""
    fields, pos = [], 0
    while pos < len(message):
        key, pos = _varint(message, pos)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, pos = _varint(message, pos)
        elif kind == 1:
            value, pos = struct.unpack_from('<Q', message, pos)[0], pos + 8
        elif kind == 2:
            size, pos = _varint(message, pos)
            value, pos = bytes(message[pos:pos + size]), pos + size
        elif kind == 5:
            value, pos = struct.unpack_from('<I', message, pos)[0], pos + 4
        else:
            raise PretrainedError(f'unknown protobuf wire type {kind}')
        fields.append((number, value))
    return fields


def _block(data, handle):
    """The entries ``[(key, value)]`` of the table block at ``handle = (offset, size)``."""
    offset, size = handle
    if offset + size + 5 > len(data):
        raise PretrainedError('a block lies past the end of the index (truncated file?)')
    if data[offset + size] != 0:
        raise PretrainedError('a compressed index block; TensorFlow writes them uncompressed')
    block = data[offset:offset + size]
    (restarts,) = struct.unpack_from('<I', block, size - 4)
    end, pos, key, entries = size - 4 - 4 * restarts, 0, b'', []
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        length, pos = _varint(block, pos)
        key = key[:shared] + bytes(block[pos:pos + unshared])
        pos += unshared
        entries.append((key, bytes(block[pos:pos + length])))
        pos += length
    return entries


def _handle(value, pos=0):
    offset, pos = _varint(value, pos)
    size, pos = _varint(value, pos)
    return (offset, size), pos


def index_entries(index_path):
    """``{key: value bytes}`` of a checkpoint's ``.index`` table."""
    with open(index_path, 'rb') as f:
        data = f.read()
    if len(data) < 48 or struct.unpack_from('<Q', data, len(data) - 8)[0] != MAGIC:
        raise PretrainedError(f'{index_path} is not a TensorFlow checkpoint index (no table '
                              'footer; truncated?)')
    footer = data[-48:]
    _, pos = _handle(footer)                     # the metaindex block: unused
    index_handle, _ = _handle(footer, pos)
    entries = {}
    for _, value in _block(data, index_handle):
        entries.update(_block(data, _handle(value)[0]))
    return entries


def _shape(message):
    dims = []
    for number, value in _fields(message):
        if number == 2:
            size = dict(_fields(value)).get(1, 0)
            dims.append(size - (1 << 64) if size >= 1 << 63 else size)
        elif number == 3 and value:
            raise PretrainedError('a tensor of unknown rank')
    return tuple(dims)


def prefix_of(path):
    """``PREFIX`` of ``PREFIX.index``, ``PREFIX.data-*`` or ``PREFIX`` itself."""
    path = os.fspath(path)
    if path.endswith('.index'):
        return path[:-len('.index')]
    if '.data-' in os.path.basename(path):
        return path[:path.rindex('.data-')]
    return path


def read_tf_checkpoint(path):
    """``{variable name: array}`` of the TensorFlow checkpoint ``path`` (any of its files, or
    its prefix)."""
    prefix = prefix_of(path)
    index = prefix + '.index'
    if not os.path.isfile(index):
        raise PretrainedError(f'{path}: no TensorFlow checkpoint index {index}')
    try:
        entries = index_entries(index)
    except (IndexError, struct.error) as e:
        raise PretrainedError(f'{index} is not a readable checkpoint index (truncated or '
                              f'corrupt?): {e}') from None
    header = dict(_fields(entries.pop(b'', b'')))
    shards = header.get(1, 1)
    files, state = {}, {}
    try:
        for key, value in sorted(entries.items()):
            name, entry = key.decode(), dict(_fields(value))
            if 7 in entry:
                raise PretrainedError(f'{path}: variable {name} is partitioned (slices); d2gan '
                                      'reads whole variables only')
            dtype = DTYPES.get(entry.get(1, 0))
            if dtype is None:
                if entry.get(1) == 7:            # DT_STRING: no weights
                    continue
                raise PretrainedError(f'{path}: variable {name} has TensorFlow dtype '
                                      f'{entry.get(1)}, which d2gan does not read')
            shard = entry.get(3, 0)
            if shard not in files:
                data_path = f'{prefix}.data-{shard:05d}-of-{shards:05d}'
                if not os.path.isfile(data_path):
                    raise PretrainedError(f'{path}: missing data file {data_path}')
                with open(data_path, 'rb') as f:
                    files[shard] = f.read()
            offset, size, shape = entry.get(4, 0), entry.get(5, 0), _shape(entry.get(2, b''))
            raw = files[shard][offset:offset + size]
            if len(raw) != size or size != np.dtype(dtype).itemsize * int(np.prod(shape)):
                raise PretrainedError(f'{path}: variable {name} needs {size} bytes at {offset} '
                                      'of its data file (truncated?)')
            state[name] = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder('<')) \
                .reshape(shape).astype(dtype)
    except (IndexError, struct.error) as e:
        raise PretrainedError(f'{index}: a corrupt entry: {e}') from None
    if not state:
        raise PretrainedError(f'{path} holds no tensors')
    return state


__all__ = ['read_tf_checkpoint', 'index_entries', 'prefix_of']
