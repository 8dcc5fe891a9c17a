"""FLOPs a training iteration executes in convolutions and matrix products, from layer shapes.

:func:`count_iteration_flops` runs one ``step.train_step(batch)`` while it records every
outermost network call (a Gluon ``Block`` called with NDArrays outside any other block: the
GAN's networks, the penalty graphs), then traces each recorded call symbolically with the same
input shapes and adds up, per call::

    2 x multiply-adds of every Convolution, Deconvolution, FullyConnected, dot and batch_dot

A plain ``Block`` is looked through to the hybrid blocks it calls. Each call counts
times 3 when the call was recorded by autograd (the forward, then the gradients with respect to
the inputs and to the weights, which MXNet computes whether or not the step updates them) and
times 1 otherwise. Element-wise operators, normalisation and pooling are memory-bound and left
out, as FLOP counts of networks usually do. Computed weights (StyleGAN2's modulated
convolutions) count like stored ones.
"""
import json

import mxnet as mx
from mxnet import autograd
from mxnet.gluon import Block, HybridBlock

MATMUL_OPS = ('Convolution', 'Deconvolution', 'FullyConnected', 'dot', 'batch_dot')


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def node_macs(op, attrs, in_shapes, out_shape):
    """Multiply-adds of one operator node, given its input and output shapes."""
    if op == 'Convolution':                      # out (N, O, ...) x (C/g) x kernel
        w = in_shapes[1]
        return _prod(out_shape) * _prod(w[1:])
    if op == 'Deconvolution':                    # in (N, C, ...) x (O/g) x kernel
        w = in_shapes[1]
        return _prod(in_shapes[0]) * _prod(w[1:])
    if op == 'FullyConnected':                   # out (..., O) x I
        return _prod(out_shape) * in_shapes[1][1]
    lhs = in_shapes[0]
    transpose_a = str(attrs.get('transpose_a', 'False')).lower() in ('true', '1')
    if op == 'batch_dot':
        k = lhs[-2] if transpose_a else lhs[-1]
    else:                                        # dot: contracts lhs's first or last axis
        k = lhs[0] if transpose_a else lhs[-1]
    return _prod(out_shape) * k


def node_output_shapes(sym, input_shapes):
    """The shapes of every node's outputs, by node index of ``sym.tojson()``'s node list.

    By index, not name: a layer used twice in one graph (CycleGAN's generators in one
    objective) gives several nodes of one name. ``get_internals()`` lists the outputs of the
    nodes in the same order as the JSON, so they are matched one node after another."""
    internals = sym.get_internals()
    _, out_shapes, _ = internals.infer_shape_partial(**input_shapes)
    entries = list(zip(internals.list_outputs(), out_shapes))
    nodes, shapes, pos = json.loads(sym.tojson())['nodes'], [], 0
    for node in nodes:
        name, mine = node['name'], []
        while pos < len(entries) and (entries[pos][0] == name or (
                node['op'] != 'null' and entries[pos][0].startswith(name + '_output'))):
            mine.append(entries[pos][1])
            pos += 1
        while (node['op'] != 'null' and pos < len(entries)
               and entries[pos][0] in (name + '_mean', name + '_var')):   # BatchNorm's extras
            pos += 1
        if not mine:
            raise ValueError(f'graph node {name!r} not found among the internal outputs')
        shapes.append(mine)
    return nodes, shapes


def symbol_macs(sym, input_shapes):
    """Multiply-adds of every matmul-like node of ``sym`` with inputs of ``input_shapes``."""
    nodes, shapes = node_output_shapes(sym, input_shapes)
    total = 0
    for i, node in enumerate(nodes):
        if node['op'] not in MATMUL_OPS:
            continue
        ins = [shapes[j][k] for j, k, *_ in node['inputs']]
        out = shapes[i][0]
        if any(not s or 0 in s for s in ins[:2] + [out]):
            raise ValueError(f'could not infer the shapes of {node["name"]} ({node["op"]})')
        total += node_macs(node['op'], node.get('attrs', {}), ins, out)
    return total


def _trace(block, args):
    """``block``'s output symbol for ``args`` (NDArrays become variables) and their shapes."""
    shapes, sym_args = {}, []
    for i, a in enumerate(args):
        if isinstance(a, mx.nd.NDArray):
            name = f'flop_input{i}'
            shapes[name] = a.shape
            sym_args.append(mx.sym.var(name))
        else:
            sym_args.append(a)
    out = block(*sym_args)
    if isinstance(out, (list, tuple)):
        out = mx.sym.Group([o for o in _flatten(out)])
    return out, shapes


def _flatten(items):
    for x in items:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


class CallRecorder:
    """Records the outermost NDArray calls of Gluon ``HybridBlock``s while active (a context
    manager). A plain ``Block`` (one with Python-side logic, e.g. PGGAN's level-of-detail
    wrapper) is looked through: the hybrid blocks it calls are recorded instead."""

    def __init__(self):
        self.calls, self._depth, self._original = [], 0, None

    def __enter__(self):
        recorder, original = self, Block.__call__
        self._original = original

        def call(block, *args, **kwargs):
            outermost = (recorder._depth == 0 and isinstance(block, HybridBlock) and args
                         and isinstance(args[0], mx.nd.NDArray))
            if outermost:
                recorder.calls.append((block, args, autograd.is_recording()))
            recorder._depth += outermost
            try:
                return original(block, *args, **kwargs)
            finally:
                recorder._depth -= outermost
        Block.__call__ = call
        return self

    def __exit__(self, *exc):
        Block.__call__ = self._original


def count_iteration_flops(step, batch):
    """FLOPs of one ``step.train_step(batch)`` (module docstring) and the calls it counted:
    ``(flops, [(block name, forward MACs, recorded), ...])``."""
    with CallRecorder() as rec:
        step.train_step(batch)
    mx.nd.waitall()
    cache, total, calls = {}, 0, []
    for block, args, recorded in rec.calls:
        key = (id(block), tuple(a.shape if isinstance(a, mx.nd.NDArray) else repr(a)
                                for a in args))
        if key not in cache:
            sym, shapes = _trace(block, args)
            cache[key] = symbol_macs(sym, shapes)
        macs = cache[key]
        total += 2 * macs * (3 if recorded else 1)
        calls.append((block.name, macs, recorded))
    return total, calls
