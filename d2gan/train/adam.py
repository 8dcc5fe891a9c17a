"""Adam with its update in one vectorised C++ pass over many parameters.

:class:`FusedAdam` is ``mxnet.optimizer.Adam`` -- the same hyper-parameters, states, bias
correction (in Python, on the learning rate) and formula -- whose element-wise update runs the
C++ operator ``d2gan_adam_update`` (:mod:`d2gan.nn.native`) instead of MXNet's
``adam_update``. MXNet's kernel is not vectorised: on two cores it took about 5 ns per
parameter, 30 % of a Pix2Pix iteration (``benchmarks/profile_step.py``); the C++ pass takes
about 0.5 ns, 11-15x less (``benchmarks/adam_update.py``), plus a copy of the new weight (see
:meth:`FusedAdam._fused_update`). MXNet's updater hands the optimizer up to :data:`AGGREGATE`
parameters at once (``Optimizer.aggregate_num``), and one call of the operator updates them
all: a network's biases and normalisation scales no longer cost an operator each, and the
Python work per parameter shrinks to its learning rate. Where the operator does not apply (no
compiler, GPUs, ``D2GAN_NATIVE=0``, sparse or float16 arrays, a lone array under
:data:`MIN_SIZE` values) it is MXNet's ``Adam``. Values equal MXNet's to float rounding (the
C++ loop may fuse a multiply and an add): ``tests/test_fused_adam.py``. Checkpoints keep the
optimizer's class; one written before this class resumes with MXNet's ``Adam``, the same
numbers.

Every trainer of the library names it through :data:`ADAM`; ``gluon.Trainer(params,
'fusedadam', {...})`` takes the same options as ``'adam'``.
"""
import math

import numpy as np
import mxnet as mx
from mxnet import nd

from ..nn import native

_FLOATS = ('float32', 'float64')


@mx.optimizer.register
class FusedAdam(mx.optimizer.Adam):
    """``mxnet.optimizer.Adam`` with the update by ``d2gan_adam_update`` (module docstring)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.aggregate_num = AGGREGATE

    def __getstate__(self):
        state = super().__getstate__()
        state.pop('_applies', None)                  # the loading process asks again
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        # an optimizer pickled before aggregation says 0; the trainer's updater, built for
        # this class, aggregates and would step through its parameters 0 at a time
        self.aggregate_num = AGGREGATE

    def update(self, index, weight, grad, state):
        if weight.size < MIN_SIZE or not _fused_applies(weight, grad, *state):
            return super().update(index, weight, grad, state)
        self._fused_update([index], [weight], [grad], [state])
        return None

    def update_multi_precision(self, index, weight, grad, state):
        """MXNet's updater calls this with lists of up to :attr:`aggregate_num` parameters
        (one device, one dtype): those the operator takes are updated by one call, the rest
        by MXNet's ``Adam`` one at a time."""
        if not isinstance(index, (tuple, list)):
            return super().update_multi_precision(index, weight, grad, state)
        fused = {}                                   # one call per dtype
        known = self.__dict__.setdefault('_applies', {})
        for item in zip(index, weight, grad, state):
            # whether the operator takes a parameter does not change: asked once (MXNet
            # answers dtype and storage questions through a C call each)
            if item[0] not in known:
                known[item[0]] = _fused_applies(item[1], item[2], *item[3])
            if known[item[0]]:
                fused.setdefault(item[1].dtype, []).append(item)
            else:
                super().update_multi_precision(*item)
        for items in fused.values():
            self._fused_update(*zip(*items))
        return None

    def _fused_update(self, indices, weights, grads, states):
        lrs, wds = [], []
        for index in indices:
            self._update_count(index)
            t = self._index_update_count[index]
            lrs.append(self._get_lr(index) * math.sqrt(1. - self.beta2 ** t) /
                       (1. - self.beta1 ** t))
            wds.append(self._get_wd(index))
        hyper = {'beta1': self.beta1, 'beta2': self.beta2, 'epsilon': self.epsilon,
                 'rescale_grad': self.rescale_grad}
        if self.clip_gradient:                       # as mxnet.optimizer.Adam: 0/None = off
            hyper['clip_gradient'] = self.clip_gradient
        # MXNet's adam_update holds its hyper-parameters as float32: the same numbers here
        hyper = {k: float(np.float32(v)) for k, v in hyper.items()}
        rounded = lambda values: tuple(float(np.float32(v)) for v in values)
        inputs = [a for weight, grad, (mean, var) in zip(weights, grads, states)
                  for a in (weight, grad, mean, var)]
        new = nd.d2gan_adam_update(*inputs, num_weights=len(weights), lr=rounded(lrs),
                                   wd=rounded(wds), **hyper)
        # the new weights go to fresh arrays, then are copied: after a predict-mode forward
        # oneDNN may keep a convolution's weight in its own layout, which MXNet converts for an
        # operator of the library API when it is read but refuses when it is written
        _copy_all(new if isinstance(new, (list, tuple)) else [new], weights)


#: a lone array smaller than this keeps MXNet's kernel: there the update's time is the per-call
#: cost (the C++ route pushes one more operator, the copy), not the arithmetic
MIN_SIZE = 1 << 14
#: parameters per call of the operator (``Optimizer.aggregate_num``): MXNet's updater hands
#: them over in lists, so a trainer's step is two operators per this many parameters instead of
#: one or two each, and its Python loop does less per parameter
AGGREGATE = 64


def _copy_all(sources, targets):
    """``targets[i][:] = sources[i]``, float32 by one operator: ``amp_multicast`` between equal
    dtypes copies each input (its oneDNN kernel takes no float64, which is copied one by one)."""
    if sources[0].dtype == np.float32:
        nd.amp_multicast(*sources, num_outputs=len(sources), out=list(targets))
    else:
        for source, target in zip(sources, targets):
            source.copyto(target)


def _fused_applies(weight, grad, *states):
    arrays = (weight, grad) + states
    return (native.available() and weight.context.device_type == 'cpu' and
            all(isinstance(a, nd.NDArray) for a in arrays) and
            all(a.stype == 'default' and a.dtype.__name__ in _FLOATS and a.dtype == weight.dtype
                for a in arrays))


ADAM = 'fusedadam'   # the registered name, for gluon.Trainer

__all__ = ['FusedAdam', 'ADAM']
