"""Network pickles of TensorFlow reference code, read without TensorFlow and without running
anything from the file.

Why: tkarras/progressive_growing_of_gans saves its networks -- its training snapshots and the
released PGGAN weights (``karras2018iclr-celebahq-1024x1024.pkl``) -- as ``pickle.dump((G, D,
Gs))`` of its ``tfutil.Network`` objects; NVlabs/stylegan2 (and the TensorFlow StyleGAN2-ADA)
the same way with ``dnnlib.tflib.network.Network`` (``stylegan2-ffhq-config-f.pkl``), whose
generator holds its ``mapping`` and ``synthesis`` networks as ``components``. Unpickling them the normal way executes the network's
source code stored in the file and builds a TensorFlow 1 graph, which no current Python can
install. But what such an object pickles (``Network.__getstate__``) is plain data::

    {'version': 2, 'name': 'Gs', 'static_kwargs': {...}, 'build_module_src': '<source>',
     'build_func_name': 'G_paper', 'variables': [(local name, numpy array), ...]}

(version 4 adds ``'components': {name: network}``).

The method: a restricted unpickler whose ``find_class`` resolves the network class to
:class:`NetworkState` (which keeps that dict and runs nothing) and otherwise allows only
NumPy's array and scalar reconstruction and ``OrderedDict``. Any other class in the file -- a
PyTorch pickle, NVlabs' StyleGAN2-ADA ``persistence`` objects, arbitrary code -- is refused
before it is loaded, naming the class. The source code in the file is never executed.

:func:`read_tf_pickle` returns the flat state dict of every network in the file, keyed
``<network name>.<variable name>`` (``Gs.4x4/Dense/weight``; a component's variables under
its name, ``Gs.synthesis/4x4/Conv/weight``), as
:func:`d2gan.pretrained.read_state_dict` returns checkpoints of several networks, and checks
the static arguments of each network against what the format converting it supports
(:data:`SUPPORTED`), so that a network d2gan would compute differently is refused by name.
"""
import pickle
import struct

from .errors import PretrainedError

NETWORK_CLASSES = {('tfutil', 'Network'),                  # progressive_growing_of_gans
                   ('dnnlib.tflib.network', 'Network')}    # NVlabs/stylegan2 (and -ada, TF)
NUMPY = {('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
         ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
         ('numpy.core.numeric', '_frombuffer'), ('numpy._core.numeric', '_frombuffer'),
         ('numpy', 'ndarray'), ('numpy', 'dtype'), ('collections', 'OrderedDict')}

# Static arguments d2gan reproduces only at these values (the papers' and releases' settings),
# per build function of the reference. Arguments not listed are read from the weights' shapes
# (resolution, widths, channels, fused_scale) or do not change the function (structure, dtype
# of the activations: d2gan computes in float32).
STYLEGAN2 = dict(label_size=0, nonlinearity='lrelu', mapping_nonlinearity='lrelu',
                 resample_kernel=[1, 3, 3, 1], fmap_decay=1.0, use_noise=True)
SUPPORTED = {
    'G_paper': dict(label_size=0, fmap_decay=1.0, normalize_latents=True, use_wscale=True,
                    use_pixelnorm=True, pixelnorm_epsilon=1e-8, use_leakyrelu=True),
    'D_paper': dict(fmap_decay=1.0, use_wscale=True, mbstd_group_size=4),
    'G_main': dict(STYLEGAN2, architecture='skip'),
    'G_mapping': dict(STYLEGAN2, normalize_latents=True),
    'G_synthesis_stylegan2': dict(STYLEGAN2, architecture='skip'),
    'D_stylegan2': dict(STYLEGAN2, architecture='resnet', mbstd_group_size=4,
                        mbstd_num_features=1),
}


def numpy_global(module, name):
    """An allowed NumPy function or class; ``numpy._core`` (NumPy 2's name, in files written
    with it) is ``numpy.core`` of the NumPy 1 that MXNet needs."""
    import importlib
    if module.startswith('numpy._core'):
        module = 'numpy.core' + module[len('numpy._core'):]
    return getattr(importlib.import_module(module), name)


class ForeignPickleError(PretrainedError):
    """A pickle holding a class this reader does not load (``.module``, ``.name``)."""

    def __init__(self, module, name):
        super().__init__(f'the pickle holds {module}.{name}, which d2gan does not load')
        self.module, self.name = module, name


class NetworkState:
    """What a pickled ``tfutil.Network`` holds; unpickling fills :attr:`state`, nothing else."""

    def __setstate__(self, state):
        if not isinstance(state, dict) or 'variables' not in state:
            raise PretrainedError('a tfutil.Network without variables: not a network pickle of '
                                  'progressive_growing_of_gans')
        self.state = state


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in NETWORK_CLASSES:
            return NetworkState
        if (module, name) in NUMPY:
            return numpy_global(module, name)
        raise ForeignPickleError(module, name)


def restricted_load(path, unpickler):
    """The object pickled at ``path``, loaded by the restricted ``unpickler`` class; a broken
    file is a :class:`PretrainedError` naming it (a foreign class: :class:`ForeignPickleError`)."""
    try:
        with open(path, 'rb') as f:
            return unpickler(f).load()
    except ForeignPickleError:
        raise
    except PretrainedError as e:
        raise PretrainedError(f'{path}: {e}') from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError,
            IndexError, KeyError, struct.error) as e:
        raise PretrainedError(f'{path} is not a readable network pickle (truncated or '
                              f'corrupt?): {type(e).__name__}: {e}') from None


def networks_of(path):
    """``[NetworkState]`` of the pickle at ``path`` (one network or a tuple / list of them)."""
    loaded = restricted_load(path, _Restricted)
    nets = list(loaded) if isinstance(loaded, (tuple, list)) else [loaded]
    if not nets or not all(isinstance(net, NetworkState) for net in nets):
        raise PretrainedError(f'{path} holds no TensorFlow network objects')
    return nets


def check_static_kwargs(net, path):
    """Refuse a network whose build arguments d2gan does not reproduce, naming each one."""
    state = net.state
    func = state.get('build_func_name')
    if func not in SUPPORTED:
        raise PretrainedError(f'{path}: network {state.get("name")!r} is built by {func!r}; '
                              f'd2gan converts {", ".join(sorted(SUPPORTED))}')
    kwargs = state.get('static_kwargs') or {}
    wrong = [f'{key}={kwargs[key]!r} (d2gan: {value!r})'
             for key, value in SUPPORTED[func].items() if key in kwargs and kwargs[key] != value]
    if wrong:
        raise PretrainedError(f'{path}: network {state.get("name")!r} ({func}) is built with '
                              f'{", ".join(wrong)}, which d2gan does not compute')
    for component in (state.get('components') or {}).values():
        check_static_kwargs(component, path)


def variables_of(net, prefix=''):
    """``{name: array}`` of a network and its components (StyleGAN2's ``mapping`` and
    ``synthesis``, their variables under ``mapping/`` and ``synthesis/``)."""
    flat = {prefix + var: value for var, value in net.state['variables']}
    for name, component in (net.state.get('components') or {}).items():
        if not isinstance(component, NetworkState):
            raise PretrainedError(f'component {name!r} of network {net.state.get("name")!r} '
                                  'is not a network')
        flat.update(variables_of(component, f'{prefix}{name}/'))
    return flat


def read_tf_pickle(path):
    """``{'<network>.<variable>': array}`` of every network in the pickle at ``path``."""
    flat = {}
    for net in networks_of(path):
        check_static_kwargs(net, path)
        name = net.state.get('name')
        if any(key.startswith(f'{name}.') for key in flat):
            raise PretrainedError(f'{path}: two networks named {name!r}')
        flat.update({f'{name}.{var}': value for var, value in variables_of(net).items()})
    return flat


__all__ = ['numpy_global', 'restricted_load', 'ForeignPickleError', 'NetworkState',
           'SUPPORTED', 'networks_of', 'check_static_kwargs', 'variables_of', 'read_tf_pickle']
