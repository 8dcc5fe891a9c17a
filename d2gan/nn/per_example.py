"""Whether a network treats every example of a batch on its own.

Such a critic may score the real and the fake batch in one call on their concatenation
(:meth:`d2gan.train.step.Step.critic_pair`): the same values and gradients as two calls, half
the operator launches, and kernels that run on twice the batch -- which is where small
convolutions on two CPU cores lose the most. Three kinds of layer forbid it: batch
normalisation in training mode (statistics of the whole call), the minibatch standard
deviation (statistics of a group whose members depend on the batch size), and spectral
normalisation (its power iteration advances once per training call, so one call is not two).
A layer of one's own that couples examples says so with a class attribute
``batch_coupled = True``.
"""
from mxnet.gluon import nn

from .equalized import MinibatchStdDev
from .spectral_norm import SNConv2D, SNDense
from .walk import walk_blocks

#: layer types whose output for one example depends on the call (see the module docstring)
BATCH_COUPLED = (nn.BatchNorm, MinibatchStdDev, SNConv2D, SNDense)


def batch_coupled_blocks(net):
    """The blocks of ``net`` that couple the examples of a call (empty: it scores each alone)."""
    return [block for block in walk_blocks(net)
            if isinstance(block, BATCH_COUPLED) or getattr(block, 'batch_coupled', False)]


def scores_each_example(net):
    """True when one call of ``net`` on a concatenated batch equals one call per part."""
    return not batch_coupled_blocks(net)


__all__ = ['BATCH_COUPLED', 'batch_coupled_blocks', 'scores_each_example']
