"""Parameters' gradient requests changed for a while: where back-propagation writes.

``autograd.mark_variables`` gives an array's gradient buffer the request of the operations
recorded *after* it: ``'write'``, ``'add'`` or ``'null'`` (no gradient: back-propagation
computes neither it nor anything only it needs). :func:`requesting` marks parameters with one
request and on exit gives every array its parameter's own request back. The buffers stay
(nothing is copied or zeroed). Marking resets the flag that ``gluon.Trainer.step`` reads to
refuse a stale gradient ("written since the last update"), so the flags are restored as well.

Two uses: :meth:`d2gan.train.step.Step.only_updating` marks ``'null'`` the networks an update
leaves alone (a generator's update back-propagates through the critic to the generator but
computes no critic weight gradients, as ``set_requires_grad(netD, False)`` does in
pytorch-CycleGAN-and-pix2pix), and :func:`d2gan.penalty.adding_gradients` marks ``'add'``.
"""
import contextlib

from mxnet import autograd


@contextlib.contextmanager
def requesting(params, req, ctx=None):
    """Operations recorded inside the block back-propagate into ``params`` (Parameters) with
    ``req`` -- on ``ctx``, else on every device they live on. Parameters whose own
    ``grad_req`` is ``'null'`` are left alone."""
    params = [p for p in params if p.grad_req != 'null']
    data, grads, own = [], [], []
    for p in params:
        for d, g in zip(*((p.list_data(), p.list_grad()) if ctx is None
                          else ([p.data(ctx)], [p.grad(ctx)]))):
            data.append(d)
            grads.append(g)
            own.append(p.grad_req)
    fresh = [d._fresh_grad for d in data]
    if data:
        autograd.mark_variables(data, grads, req)
    try:
        yield
    finally:
        if data:
            fresh = [before or d._fresh_grad for before, d in zip(fresh, data)]
            autograd.mark_variables(data, grads, own)
            for d, flag in zip(data, fresh):
                d._fresh_grad = flag
