"""``benchmarks/stylegan2_ops.py`` times the replaced forms against the library's: they must
compute the same function (values and gradients), or the speed-ups it prints mean nothing.
This also checks the folded activation gains (``out_gain``, the synthesis layer's sqrt(2))
against the gain multiplied after the activation, hybridized, in float32."""
import os
import sys

import numpy as np
import mxnet as mx
from mxnet import autograd, nd

import d2gan  # noqa: F401
from d2gan.models.stylegan2 import SynthesisLayer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import stylegan2_ops  # noqa: E402


def run(net, inputs, seed=0):
    """Output and input gradients of ``net`` (the noise drawn from ``seed``)."""
    inputs = [x.copy() for x in inputs]
    for x in inputs:
        x.attach_grad()
    mx.random.seed(seed)
    with autograd.record():
        y = net(*inputs)
    y.backward(nd.array(np.random.default_rng(5).standard_normal(y.shape)))
    return [y.asnumpy()] + [x.grad.asnumpy() for x in inputs]


def same_parameters(source, target):
    for p, q in zip(source.collect_params().values(), target.collect_params().values()):
        assert p.shape == q.shape
        q.set_data(p.data())


def test_direct_synthesis_layer_is_the_library_layer():
    _, DirectSynthesisLayer = stylegan2_ops.direct_layers()
    rng = np.random.default_rng(0)
    for up in (1, 2):
        new = stylegan2_ops.ready(SynthesisLayer(8, 8, 16, 16, up=up))
        old = stylegan2_ops.ready(DirectSynthesisLayer(8, 8, 16, 16, up=up))
        for p in new.collect_params().values():
            if p.grad_req != 'null':
                p.set_data(nd.array(rng.normal(0.1, 0.5, p.shape)))
        same_parameters(new, old)
        x = nd.array(rng.standard_normal((4, 8, 16 // up, 16 // up)))
        w = nd.array(rng.standard_normal((4, 16)))
        for a, b in zip(run(new, [x, w]), run(old, [x, w])):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_direct_discriminator_layer_is_the_library_layer():
    new = stylegan2_ops.ready(stylegan2_ops.discriminator_layers(True))
    old = stylegan2_ops.ready(stylegan2_ops.discriminator_layers(False))
    rng = np.random.default_rng(1)
    for p in new.collect_params().values():
        if p.grad_req != 'null':
            p.set_data(nd.array(rng.normal(0.1, 0.5, p.shape)))
    same_parameters(new, old)
    x = nd.array(rng.standard_normal((4, stylegan2_ops.C, 16, 16)))
    for a, b in zip(run(new, [x]), run(old, [x])):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
