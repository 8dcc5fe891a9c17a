"""The generic core: a reference state dict onto a d2gan network, key by key, checked.

A reference family (:mod:`d2gan.pretrained.junyanz`) describes its network as a **layout**:
the reference's parameter-holding layers in forward order, each a ``(key prefix, kind)``
with ``kind`` one of ``'conv'``, ``'convT'``, ``'norm'``. This module pairs it with the d2gan
network's own such layers (:func:`leaf_layers`, in the order the blocks were built, which is
the forward order for the image-to-image networks) and maps parameters by layer type:

===========================  ====================================  =======================
reference (PyTorch)          d2gan (Gluon)                         note
===========================  ====================================  =======================
Conv2d weight, bias          Conv2D weight, bias                   same layout (O, I, k, k)
ConvTranspose2d weight, bias Conv2DTranspose weight, bias          same layout (I, O, k, k);
                                                                   a 1-channel d2gan layer
                                                                   gets its spare channel
                                                                   zero (:mod:`d2gan.nn`)
BatchNorm2d weight, bias,    BatchNorm gamma, beta, running_mean,  ``num_batches_tracked``
running_mean, running_var    running_var                           ignored
InstanceNorm2d (no affine)   InstanceNorm (no parameters)          running stats of old
                                                                   reference versions
                                                                   ignored, as its loader
                                                                   does
InstanceNorm2d (affine)      Gluon's InstanceNorm (and its         running stats ignored:
weight, bias                 subclass AffineInstanceNorm) gamma,   the family's docstring
                             beta                                  says why (StarGAN)
===========================  ====================================  =======================

:func:`load_state` then checks the whole map before it writes anything and raises one
:class:`PretrainedError` that names every problem: keys of the file that the reference network
has no place for (*unexpected*), keys it needs that the file lacks (*missing*), arrays of the
wrong *shape*, and d2gan parameters no key reaches. A key listed as *optional* (a bias the
reference omits where d2gan keeps one) is zero when absent. Gluon constants (StyleGAN2's fixed
resampling filters, ``params.get_constant``) are built by the network itself and need no key.
"""
import numpy as np
import mxnet as mx
from mxnet.gluon import nn
from mxnet.gluon.parameter import Constant

from ..nn.conv_transpose import Conv2DTranspose as SpareConv2DTranspose
from ..nn.norm import InstanceNorm
from .state_dict import PretrainedError

LEAF_TYPES = (SpareConv2DTranspose, nn.Conv2DTranspose, nn.Conv2D, nn.BatchNorm, InstanceNorm,
              nn.InstanceNorm)
SHOWN = 8   # problems listed per category


def kind_of(layer):
    """``'conv'``, ``'convT'`` or ``'norm'`` for a leaf layer of :data:`LEAF_TYPES`."""
    if isinstance(layer, (SpareConv2DTranspose, nn.Conv2DTranspose)):
        return 'convT'
    if isinstance(layer, nn.Conv2D):
        return 'conv'
    return 'norm'


def leaf_layers(block, prefix=''):
    """``[(structural name, layer)]`` of the convolutions and norms of ``block`` in build order;
    the names are those of Gluon's ``save_parameters`` (``model.body.1``)."""
    leaves = []
    for name, child in block._children.items():
        path = prefix + name
        if isinstance(child, LEAF_TYPES):
            leaves.append((path, child))
        elif child._children:
            leaves.extend(leaf_layers(child, path + '.'))
        elif child._reg_params:
            raise NotImplementedError(f'no key map for layer {path} ({type(child).__name__})')
    return leaves


def _same(value):
    return value


def _add_spare_channel(axis):
    """The reference's 1-output-channel array, widened by d2gan's zero spare channel."""
    def fit(value):
        zeros = np.zeros_like(np.take(value, [0], axis=axis))
        return np.concatenate([value, zeros], axis=axis)
    return fit


def layer_entries(ref, kind, path, layer):
    """``[(reference key, d2gan name, d2gan parameter, transform)]`` of one layer pair, and the
    reference keys to ignore there."""
    stats = [f'{ref}.running_mean', f'{ref}.running_var', f'{ref}.num_batches_tracked']
    if kind == 'norm' and isinstance(layer, InstanceNorm):
        return [], stats
    if kind == 'norm' and isinstance(layer, nn.InstanceNorm):   # affine: only scale and shift
        return [(f'{ref}.weight', f'{path}.gamma', layer.gamma, _same),
                (f'{ref}.bias', f'{path}.beta', layer.beta, _same)], stats
    if kind == 'norm':
        names = [('weight', 'gamma'), ('bias', 'beta'), ('running_mean', 'running_mean'),
                 ('running_var', 'running_var')]
        return ([(f'{ref}.{a}', f'{path}.{b}', getattr(layer, b), _same) for a, b in names],
                [f'{ref}.num_batches_tracked'])
    inner, spare = '', False
    if isinstance(layer, SpareConv2DTranspose):
        inner, spare, layer = 'deconv.', bool(layer._spare), layer.deconv
    entries = [(f'{ref}.weight', f'{path}.{inner}weight', layer.weight,
                _add_spare_channel(1) if spare else _same)]
    if layer.bias is not None:
        entries.append((f'{ref}.bias', f'{path}.{inner}bias', layer.bias,
                        _add_spare_channel(0) if spare else _same))
    return entries, []


def key_map(layout, net):
    """Pair the reference ``layout`` with ``net``'s layers: ``(entries, ignored keys)``.

    A reference norm slot pairs with nothing when ``net`` has no norm layers (``norm='none'``,
    where the reference keeps a parameter-free ``Identity``).
    """
    leaves = leaf_layers(net)
    if not any(kind_of(layer) == 'norm' for _, layer in leaves):
        layout = [(ref, kind) for ref, kind in layout if kind != 'norm']
    kinds = [kind for _, kind in layout]
    ours = [kind_of(layer) for _, layer in leaves]
    if kinds != ours:
        raise PretrainedError(f'the reference layout ({len(kinds)} layers: {kinds}) does not '
                              f'match {type(net).__name__} ({len(ours)} layers: {ours})')
    entries, ignored = [], set()
    for (ref, kind), (path, layer) in zip(layout, leaves):
        more, skip = layer_entries(ref, kind, path, layer)
        entries.extend(more)
        ignored.update(skip)
    return entries, ignored


def named_entries(pairs, net):
    """Entries of :func:`load_state` from ``[(reference key, d2gan parameter name[, fit])]``.

    For networks whose parameters are not all in convolutions and norms (dense layers, U-GAT-IT's
    CAM weights and ``rho``), the family names each d2gan parameter by its ``save_parameters``
    name; ``fit`` (default: unchanged) transforms the reference's array. A name ``net`` lacks
    is a bug of the family's map, not of the file: ``KeyError``.
    """
    params = net._collect_params_with_prefix()
    entries = []
    for pair in pairs:
        ref, name, fit = pair if len(pair) == 3 else (pair[0], pair[1], _same)
        if name not in params:
            raise KeyError(f'the key map names {name!r} (for {ref!r}), which '
                           f'{type(net).__name__} does not have')
        entries.append((ref, name, params[name], fit))
    return entries


def _listing(title, items):
    shown = ', '.join(items[:SHOWN])
    more = f' ... and {len(items) - SHOWN} more' if len(items) > SHOWN else ''
    return f'  {title} ({len(items)}): {shown}{more}'


def load_state(net, state, entries, ignored=(), optional=(), what='the state dict'):
    """Write ``state`` into ``net``'s (initialized) parameters along ``entries``.

    Checks everything first and raises one :class:`PretrainedError` naming each unexpected
    key, missing key, wrong shape and unreached d2gan parameter; nothing is written then.
    ``optional`` keys are zero-filled when absent.
    """
    mapped = {ref for ref, _, _, _ in entries}
    unexpected = sorted(set(state) - mapped - set(ignored))
    missing = [ref for ref in mapped if ref not in state and ref not in optional]
    reached = {name for _, name, _, _ in entries}
    unreached = sorted(name for name, param in net._collect_params_with_prefix().items()
                       if name not in reached and not isinstance(param, Constant))
    shapes, values = [], []
    for ref, name, param, fit in entries:
        if ref not in state:
            if ref in optional:
                values.append((param, np.zeros(param.shape, dtype=param.dtype)))
            continue
        value = np.asarray(state[ref])
        value = fit(value) if value.ndim == len(param.shape) else value
        if tuple(value.shape) != tuple(param.shape):
            shapes.append(f'{ref} {tuple(np.shape(state[ref]))} for {name} {param.shape}')
            continue
        values.append((param, value.astype(param.dtype)))
    problems = [_listing(title, items) for title, items in (
        ('unexpected keys, no such parameter in the reference network', unexpected),
        ('missing keys', sorted(missing)), ('wrong shapes', shapes),
        ('d2gan parameters no key maps to', unreached)) if items]
    if problems:
        raise PretrainedError(f'{what} does not fit {type(net).__name__}:\n'
                              + '\n'.join(problems))
    for param, value in values:
        param.set_data(mx.nd.array(value, dtype=value.dtype))


__all__ = ['key_map', 'named_entries', 'leaf_layers', 'layer_entries', 'load_state', 'kind_of']
