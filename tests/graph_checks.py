"""What the operator tests share: one block's forward and backward, and a check that a
network's gradient is the same hybridized (dynamic or static graph) as imperative, every time
it runs (a race in an operator shows up here)."""
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn


def run(net, x, g):
    """``net(x)`` and the input's gradient for the output gradient ``g``, as numpy arrays."""
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward(g)
    return y.asnumpy(), x.grad.asnumpy()


def first_weight_grad(layers, x_shape, hybridize, static=False, seed=4):
    """The first weight's gradient of ``mean(net(x)^2)``, ``net`` the ``layers()`` in sequence
    with N(0, 0.3^2) parameters and ``x`` N(0, 1), both from ``seed``."""
    net = nn.HybridSequential()
    net.add(*layers())
    net.initialize()
    rng = np.random.RandomState(seed)
    for p in net.collect_params().values():
        p.set_data(nd.array(rng.randn(*p.shape) * 0.3))
    if hybridize:
        net.hybridize(static_alloc=static, static_shape=static)
    x = nd.array(rng.randn(*x_shape))
    with autograd.record():
        loss = (net(x) ** 2).mean()
    loss.backward()
    weight = next(p for name, p in net.collect_params().items() if name.endswith('weight'))
    return weight.grad().asnumpy()


def assert_hybridized_equals_imperative(layers, x_shape, static, rtol, repeats=3):
    reference = first_weight_grad(layers, x_shape, False)
    for _ in range(repeats):
        np.testing.assert_allclose(first_weight_grad(layers, x_shape, True, static), reference,
                                   rtol=rtol, atol=rtol * np.abs(reference).max())
