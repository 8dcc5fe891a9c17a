"""Adam with its per-parameter update in one vectorised C++ pass.

:class:`FusedAdam` is ``mxnet.optimizer.Adam`` -- the same hyper-parameters, states, bias
correction (in Python, on the learning rate) and formula -- whose element-wise update runs the
C++ operator ``d2gan_adam_update`` (:mod:`d2gan.nn.native`) instead of MXNet's
``adam_update``. MXNet's kernel is not vectorised: on two cores it took about 5 ns per
parameter, 30 % of a Pix2Pix iteration (``benchmarks/profile_step.py``); the C++ pass takes
about 0.5 ns, 11-15x less (``benchmarks/adam_update.py``), plus a copy of the new weight (see
:meth:`FusedAdam.update`). Where the operator
does not apply (no compiler, GPUs, ``D2GAN_NATIVE=0``, sparse or float16 arrays, arrays under
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

    def update(self, index, weight, grad, state):
        mean, var = state
        if not _fused_applies(weight, grad, mean, var):
            return super().update(index, weight, grad, state)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        hyper = {'lr': lr, 'wd': wd, 'beta1': self.beta1, 'beta2': self.beta2,
                 'epsilon': self.epsilon, 'rescale_grad': self.rescale_grad}
        if self.clip_gradient:                       # as mxnet.optimizer.Adam: 0/None = off
            hyper['clip_gradient'] = self.clip_gradient
        # MXNet's adam_update holds its hyper-parameters as float32: the same numbers here
        hyper = {k: float(np.float32(v)) for k, v in hyper.items()}
        # the new weight goes to a fresh array, then is copied: after a predict-mode forward
        # oneDNN may keep a convolution's weight in its own layout, which MXNet converts for
        # an operator of the library API when it is read but refuses when it is written
        nd.d2gan_adam_update(weight, grad, mean, var, **hyper).copyto(weight)
        return None


#: arrays smaller than this keep MXNet's kernel: there the update's time is the per-call cost
#: (the C++ route pushes one more operator, the copy), not the arithmetic
MIN_SIZE = 1 << 14


def _fused_applies(weight, grad, *states):
    arrays = (weight, grad) + states
    return (weight.size >= MIN_SIZE and native.available() and
            weight.context.device_type == 'cpu' and
            all(a.stype == 'default' and a.dtype.__name__ in _FLOATS and a.dtype == weight.dtype
                for a in arrays))


ADAM = 'fusedadam'   # the registered name, for gluon.Trainer

__all__ = ['FusedAdam', 'ADAM']
