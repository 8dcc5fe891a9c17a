"""``benchmarks/engine_split.py`` times the Python thread and MXNet's engine apart: the held
batch keeps dependent operators waiting, the block of products keeps every later operator
queued behind it, and a step that waits for the engine inside is reported, not mis-timed."""
import os
import sys
import time

import numpy as np
import pytest

import d2gan  # noqa: F401  (thread defaults before mxnet loads)
import mxnet as mx
from mxnet import nd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'benchmarks'))
import engine_split  # noqa: E402

engine_split._hold_operator(mx)


class TinyStep:
    """A stand-in for a GAN step: a few operators on the batch, optionally a NumPy copy."""

    def __init__(self, from_numpy=False):
        self.from_numpy = from_numpy
        self.w = nd.ones((256, 256))

    def train_step(self, x):
        if self.from_numpy:
            x = x + nd.array(np.ones(x.shape, np.float32))      # waits for the whole queue
        for _ in range(5):
            x = nd.dot(x, self.w) * (1.0 / 256)
        return {'loss': x.mean()}


def test_held_batch_has_the_same_values_and_keeps_dependent_operators_waiting():
    x, y = nd.random.uniform(shape=(3, 4)), nd.arange(3)
    nd.waitall()
    start = time.perf_counter()
    held_x, held_y = engine_split._held(mx, (x, y), 0.4)
    queued = time.perf_counter() - start
    total = (held_x * 2).asnumpy()
    waited = time.perf_counter() - start
    assert queued < 0.2 and waited > 0.35                 # queueing returned; the read waited
    np.testing.assert_array_equal(total, x.asnumpy() * 2)
    np.testing.assert_array_equal(held_y.asnumpy(), y.asnumpy())


def test_class_labels_pass_ready_as_a_loader_hands_them_over():
    """1-D labels are not held: steps read them on the host to check their range (CGAN), and a
    held label array would make such a step wait for the hold."""
    x, y = nd.random.uniform(shape=(3, 4)), nd.arange(3)
    nd.waitall()
    start = time.perf_counter()
    held_x, held_y = engine_split._held(mx, (x, y), 0.4)
    labels = held_y.asnumpy()
    assert time.perf_counter() - start < 0.2 and held_y is y
    np.testing.assert_array_equal(labels, [0, 1, 2])
    assert held_x is not x


def test_a_batch_of_labels_alone_is_refused():
    with pytest.raises(ValueError, match='no image array to hold'):
        engine_split._held(mx, (nd.arange(3),), 0.1)


def test_engine_is_timed_alone_behind_the_block_of_products():
    step, x = TinyStep(), nd.ones((64, 256))
    step.train_step(x)
    nd.waitall()
    start = time.perf_counter()
    for _ in range(10):
        step.train_step(x)
    nd.waitall()
    with_python = (time.perf_counter() - start) / 10 * 1000
    alone = engine_split._engine_ms(mx, step, x, 10, python_s=0.1)
    assert alone is not None and 0 < alone < 3 * with_python


def test_a_step_that_waits_for_the_engine_is_reported_not_timed():
    step, x = TinyStep(from_numpy=True), nd.ones((64, 256))
    step.train_step(x)
    nd.waitall()
    assert engine_split._engine_ms(mx, step, x, 3, python_s=0.1) is None
