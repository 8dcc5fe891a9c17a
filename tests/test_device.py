import ctypes
import os
import subprocess
import sys
import threading

import mxnet as mx
import numpy as np
import pytest

import d2gan
from d2gan.device import as_device_list


def test_try_gpu_falls_back_to_cpu():
    assert d2gan.try_gpu() == (mx.gpu(0) if d2gan.num_gpus() else mx.cpu())
    assert d2gan.try_gpu(99) == mx.cpu()
    assert d2gan.try_all_gpus() == ([mx.gpu(i) for i in range(d2gan.num_gpus())]
                                    or [mx.cpu()])


def test_split_and_load_over_cpu_contexts():
    devices = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]
    x = np.arange(20, dtype='float32').reshape(10, 2)
    parts = d2gan.split_and_load(x, devices)
    assert [p.context for p in parts] == devices
    assert [p.shape[0] for p in parts] == [4, 3, 3]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x)


def test_split_too_small_batch():
    with pytest.raises(ValueError, match='cannot be split over 3 devices'):
        d2gan.split_and_load(np.zeros((2, 1)), [mx.cpu(0), mx.cpu(1), mx.cpu(2)])


def test_device_names():
    assert as_device_list('cpu') == [mx.cpu()]
    assert as_device_list('cpu:1') == [mx.cpu(1)]
    assert as_device_list(mx.cpu(2)) == [mx.cpu(2)]
    assert as_device_list('cpu:0,cpu:1') == [mx.cpu(0), mx.cpu(1)]
    assert as_device_list('cpu:0, cpu:1') == [mx.cpu(0), mx.cpu(1)]
    with pytest.raises(ValueError, match='unknown device'):
        as_device_list('tpu')
    if not d2gan.num_gpus():
        with pytest.raises(ValueError, match='sees no GPU'):
            as_device_list('gpu')


def test_environment_defaults_set_before_mxnet():
    assert os.environ['OMP_NUM_THREADS'].isdigit()
    assert os.environ['MXNET_STORAGE_FALLBACK_LOG_VERBOSE'] == '0'
    assert int(os.environ['MXNET_CPU_PARALLEL_SIZE']) == 2 ** 31 - 1
    assert d2gan.__version__


def test_large_read_in_main_thread_starts_no_openmp_team():
    """A big ``asnumpy()`` from Python must not add OpenMP threads (libgomp would then stop
    spin-waiting and every later operator gets slower); run in a fresh process."""
    code = ('import os, d2gan\n'
            'from mxnet import nd\n'
            'x = nd.ones((1000, 1000)); (x * 2).wait_to_read()\n'
            'before = len(os.listdir("/proc/self/task"))\n'
            'for _ in range(3): (x + 1).asnumpy()\n'
            'print(before, len(os.listdir("/proc/self/task")))\n')
    env = {k: v for k, v in os.environ.items() if k != 'MXNET_CPU_PARALLEL_SIZE'}
    env['OMP_NUM_THREADS'] = '2'
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[0] == out[1], f'threads before/after a large asnumpy: {out}'


def test_reading_a_onednn_array_in_main_thread_starts_no_openmp_team():
    """``asnumpy()`` of a convolution's output (kept in oneDNN's blocked layout) reorders it on
    the calling thread; with ``d2gan``'s serial main thread that adds no OpenMP threads (before,
    it added one, and a StyleGAN2 iteration went from 0.28 to 0.51 s for the rest of the
    process); run in a fresh process."""
    code = ('import os, d2gan\n'
            'from mxnet import nd\n'
            'x = nd.random.normal(shape=(4, 8, 32, 32)); w = nd.random.normal(shape=(16, 8, 3, 3))\n'
            'y = nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=16, no_bias=True)\n'
            'y.wait_to_read()\n'
            'before = len(os.listdir("/proc/self/task"))\n'
            'y.asnumpy()\n'
            'print(before, len(os.listdir("/proc/self/task")))\n')
    env = dict(os.environ, OMP_NUM_THREADS='2')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[0] == out[1], f'threads before/after reading a convolution output: {out}'


def test_main_thread_is_serial_and_other_threads_are_not():
    runtime = ctypes.CDLL('libgomp.so.1')
    assert runtime.omp_get_max_threads() == 1
    seen = []
    worker = threading.Thread(target=lambda: seen.append(runtime.omp_get_max_threads()))
    worker.start()
    worker.join()
    assert seen == [int(os.environ['OMP_NUM_THREADS'])]
