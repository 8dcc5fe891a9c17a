"""Converting: a reference state dict -> a d2gan network; saving and loading the result.

A **format** (``junyanz-unet_256``, ...; :data:`FORMATS`, filled by one module per reference
family) reads the network's configuration off the state dict and gives its layout -- or its
``pairs`` of reference key and d2gan parameter name -- and, for one network of a checkpoint of
several, the ``state`` of that network; the generic core (:mod:`d2gan.pretrained.keymap`) maps
the keys. The converted network is saved as two files that need no reference code to load:

* ``NAME.params`` -- Gluon's ``save_parameters`` of the d2gan network;
* ``NAME.json`` -- ``{"model": registry name, "kwargs": {...}, "format": ..., "source": ...}``,
  the arguments of :func:`d2gan.get_model` that rebuild the network.

:func:`load_converted` reads them back (``get_model(**)`` + ``load_parameters``);
``python -m d2gan infer --weights NAME.params`` runs a converted generator
(:mod:`d2gan.cli.weights`).
"""
import json
import os

import mxnet as mx

from ..registry import Registry, get_model
from .keymap import key_map, load_state, named_entries
from .state_dict import PretrainedError, read_state_dict, sub_state

FORMATS = Registry('pretrained format')


def register_part(family, name, plan, what):
    """Register format ``<family>-<name>``: network ``name`` picked out of a checkpoint that
    holds several (its keys ``name.*``), converted by ``plan`` (a format's plan function)."""
    fmt = f'{family}-{name}'

    @FORMATS.register(fmt, family=family)
    def plan_part(state):
        part = sub_state(state, name, f'{fmt} (one network of {what})')
        return dict(plan(part, fmt), state=part)
    return plan_part


def list_formats():
    """Names accepted by :func:`convert` (``--format`` of ``python -m d2gan convert``)."""
    return FORMATS.names()


def convert(fmt, state, device=None):
    """``(net, config)``: the d2gan network of format ``fmt`` holding the weights of ``state``
    (``{key: array}``) and ``config = {'model': name, 'kwargs': {...}}`` that rebuilds it."""
    plan = FORMATS.get(fmt, state=state)
    net = get_model(plan['model'], **plan['kwargs'])
    net.initialize(mx.init.Zero(), ctx=device or mx.cpu())
    if 'pairs' in plan:    # parameters named one by one (keymap.named_entries)
        entries, ignored = named_entries(plan['pairs'], net), set(plan.get('ignored', ()))
    else:
        entries, ignored = key_map(plan['layout'], net)
    load_state(net, plan.get('state', state), entries, ignored, plan.get('optional', ()),
               what=f'the {fmt} state dict')
    return net, dict(model=plan['model'], kwargs=dict(plan['kwargs']))


def load_pretrained(path, fmt, device=None):
    """The d2gan network holding the reference weights in ``path`` (``.npz`` / ``.pth``)."""
    return convert(fmt, read_state_dict(path), device)[0]


def sidecar_path(params_path):
    """``NAME.json`` beside ``NAME.params``."""
    return os.path.splitext(os.fspath(params_path))[0] + '.json'


def save_converted(net, config, path, fmt=None, source=None):
    """Write ``path`` (must end in ``.params``) and its ``.json`` sidecar; returns both paths."""
    path = os.fspath(path)
    if not path.endswith('.params'):
        raise PretrainedError(f'the converted network is saved as a .params file, got {path}')
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    net.save_parameters(path)
    meta = dict(config, format=fmt, source=None if source is None else os.fspath(source))
    with open(sidecar_path(path), 'w') as f:
        json.dump(meta, f, indent=2)
    return path, sidecar_path(path)


def read_sidecar(path):
    """The ``.json`` description of a converted network (``path``: its ``.params`` or
    ``.json``): ``{"model", "kwargs", "format", "source"}``; a clear error if it is unusable."""
    sidecar = sidecar_path(path)
    try:
        with open(sidecar) as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise PretrainedError(f'{sidecar}: cannot read the network description written by '
                              f'`python -m d2gan convert` beside the .params ({e})') from None
    if not isinstance(meta, dict) or not isinstance(meta.get('model'), str) \
            or not isinstance(meta.get('kwargs'), dict):
        raise PretrainedError(f'{sidecar} does not describe a network (it needs "model" and '
                              '"kwargs", as `python -m d2gan convert` writes)')
    return meta


def load_converted(path, device=None):
    """The network saved by :func:`save_converted` (``path``: its ``.params`` or ``.json``)."""
    params = os.path.splitext(os.fspath(path))[0] + '.params'
    meta = read_sidecar(params)
    if not os.path.isfile(params):
        raise PretrainedError(f'{params}: no such file (its description '
                              f'{sidecar_path(params)} exists)')
    net = get_model(meta['model'], **meta['kwargs'])
    net.load_parameters(params, ctx=device or mx.cpu())
    return net


__all__ = ['FORMATS', 'convert', 'list_formats', 'load_pretrained', 'save_converted',
           'load_converted', 'read_sidecar', 'sidecar_path']
