"""``benchmarks/flop_count.py`` counts the multiply-adds of known layers exactly, also when a
layer is used twice in one graph, looks through plain blocks, and triples recorded passes."""
import os
import sys

import d2gan  # noqa: F401
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import flop_count  # noqa: E402


def macs_of(block, *inputs):
    sym, shapes = flop_count._trace(block, inputs)
    return flop_count.symbol_macs(sym, shapes)


def test_convolution_dense_and_transposed_convolution():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(8, 3, padding=1, in_channels=3), nn.Dense(5, in_units=8 * 16 * 16))
    net.initialize()
    assert macs_of(net, nd.ones((2, 3, 16, 16))) == 2 * (16 * 16 * 8 * 3 * 9 + 5 * 8 * 16 * 16)
    up = nn.Conv2DTranspose(4, 4, strides=2, padding=1, in_channels=8)
    up.initialize()
    assert macs_of(up, nd.ones((1, 8, 5, 5))) == 8 * 5 * 5 * 4 * 4 * 4
    grouped = nn.Conv2D(6, 3, groups=3, in_channels=6)
    grouped.initialize()
    assert macs_of(grouped, nd.ones((1, 6, 7, 7))) == 5 * 5 * 6 * 2 * 9


class Twice(nn.HybridBlock):
    """One convolution applied to two inputs: two graph nodes with one name."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(4, 3, in_channels=2)

    def hybrid_forward(self, F, a, b):
        return F.broadcast_add(self.conv(a), F.mean(self.conv(b)))


def test_a_layer_used_twice_counts_each_use_at_its_own_shape():
    net = Twice()
    net.initialize()
    a, b = nd.ones((1, 2, 10, 10)), nd.ones((3, 2, 6, 6))
    assert macs_of(net, a, b) == 8 * 8 * 4 * 18 + 3 * 4 * 4 * 4 * 18


class Wrapper(nn.Block):
    """A plain block with Python-side logic around a hybrid network."""

    def __init__(self):
        super().__init__()
        self.body = nn.Dense(3, in_units=4)

    def forward(self, x):
        if x.shape[1] != 4:
            raise ValueError('needs 4 features')
        return self.body(x)


class ToyStep:
    """Predict-mode pass of G, then a recorded pass of D on G's output (like a D update)."""

    def __init__(self):
        self.G, self.D = nn.Dense(4, in_units=2), Wrapper()
        self.G.initialize()
        self.D.initialize()
        self.G.hybridize()

    def train_step(self, z):
        fake = self.G(z)
        with autograd.record():
            self.D(fake).sum().backward()


def test_an_iteration_counts_recorded_passes_three_times_and_looks_through_blocks():
    flops, calls = flop_count.count_iteration_flops(ToyStep(), nd.ones((5, 2)))
    assert [(macs, rec) for _, macs, rec in calls] == [(5 * 4 * 2, False), (5 * 3 * 4, True)]
    assert flops == 2 * (5 * 4 * 2) + 2 * 3 * (5 * 3 * 4)


def test_the_recorder_restores_gluon():
    call = nn.Block.__call__
    with flop_count.CallRecorder():
        assert nn.Block.__call__ is not call
    assert nn.Block.__call__ is call
    mx.nd.waitall()
