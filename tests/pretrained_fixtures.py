"""Shared by the converter tests: reading a reference fixture ``.npz``."""
import numpy as np


def read_format_fixture(path):
    """``(format, state dict, {other arrays})`` of a fixture whose state keys are stored as
    ``state/<key>`` next to a ``format`` entry."""
    with np.load(path) as f:
        state = {k[len('state/'):]: f[k] for k in f.files if k.startswith('state/')}
        arrays = {k: f[k] for k in f.files if k != 'format' and not k.startswith('state/')}
        return str(f['format']), state, arrays
