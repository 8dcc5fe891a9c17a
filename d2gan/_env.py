"""Process-wide defaults that must be set before MXNet is imported.

MXNet reads these variables once, when its shared library loads:

* ``OMP_NUM_THREADS`` -- MXNet 1.x uses a single OpenMP thread on a 2-core machine unless this is
  set, which halves CPU throughput (measured: DCGAN 700 vs 390 images/s).
* ``MXNET_CPU_PARALLEL_SIZE`` (set to its maximum) -- MXNet copies arrays larger than this many
  elements with an OpenMP loop *on the calling thread*. The first ``asnumpy()`` of a large array
  in Python's main thread (a sample grid for a live plot, say) thus starts a second OpenMP team.
  The pip wheel links GNU libgomp, which then counts more OpenMP threads than cores and switches
  every team from spin-waiting to sleeping between operators, for the rest of the process:
  a CycleGAN iteration went from 0.16 s to 0.36 s after one such copy. With the copy kept
  serial it stays at 0.15 s.
* The main thread's own OpenMP thread count is set to 1 once MXNet has loaded
  (:func:`serial_main_thread`). ``asnumpy()`` of an array that oneDNN keeps in its blocked layout
  (a convolution's output, say) reorders it on the calling thread with an OpenMP loop, which
  starts that second team all the same: one such call in a notebook cell made every later
  StyleGAN2 iteration of the process take 0.51 s instead of 0.28 s (2 cores). MXNet's operators
  run on its engine's worker threads, whose OpenMP settings this does not touch; with the main
  thread serial, the same cell leaves the iteration at 0.28 s
  (``benchmarks/openmp_main_thread.py``).
* ``MXNET_EXEC_INPLACE_GRAD_SUM_CAP`` (set to its maximum) -- where a value feeds more than this
  many operators (default 8: U-GAT-IT's gamma and beta feed two AdaILN layers in each of six
  blocks), MXNet sums its gradient in place, and in a graph with static memory
  (:data:`d2gan.train.step.GRAPH_FLAGS`) the place is handed to the producing operators as
  "add to". Operators from a compiled library (:mod:`d2gan.nn.native`) are never told the
  request and write: U-GAT-IT's mapping layers got the last block's gradient only. Above the cap
  MXNet sums with one ``add_n`` instead, which every operator's plain write feeds correctly.
* ``MXNET_STORAGE_FALLBACK_LOG_VERBOSE`` / ``MXNET_SUBGRAPH_VERBOSE`` -- keep MXNet's C++ warnings
  about storage fallbacks and subgraph passes out of notebook cells.

A value the user has already exported always wins.
"""
import ctypes
import os
import sys

DEFAULTS = {
    'MXNET_CPU_PARALLEL_SIZE': str(2 ** 31 - 1),
    'MXNET_EXEC_INPLACE_GRAD_SUM_CAP': str(2 ** 31 - 1),
    'MXNET_STORAGE_FALLBACK_LOG_VERBOSE': '0',
    'MXNET_SUBGRAPH_VERBOSE': '0',
    'MXNET_ENGINE_INFO': '0',
}


def configure_environment():
    """Set thread and logging defaults; warn if MXNet was imported too early to see them."""
    os.environ.setdefault('OMP_NUM_THREADS', str(os.cpu_count() or 1))
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    return 'mxnet' not in sys.modules


def serial_main_thread(library='libgomp.so.1'):
    """One OpenMP thread for the calling (main) thread, in the OpenMP runtime MXNet uses; returns
    whether it was set (False where that runtime is not loaded, e.g. another OpenMP library,
    or where MXNet runs its operators on the calling thread: ``MXNET_ENGINE_TYPE=NaiveEngine``)."""
    if os.environ.get('MXNET_ENGINE_TYPE') == 'NaiveEngine':
        return False
    try:
        runtime = ctypes.CDLL(library, mode=getattr(os, 'RTLD_NOLOAD', 0) | ctypes.RTLD_GLOBAL)
        runtime.omp_set_num_threads(1)
    except (OSError, AttributeError):
        return False
    return True
