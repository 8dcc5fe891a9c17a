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
* ``MXNET_STORAGE_FALLBACK_LOG_VERBOSE`` / ``MXNET_SUBGRAPH_VERBOSE`` -- keep MXNet's C++ warnings
  about storage fallbacks and subgraph passes out of notebook cells.

A value the user has already exported always wins.
"""
import os
import sys

DEFAULTS = {
    'MXNET_CPU_PARALLEL_SIZE': str(2 ** 31 - 1),
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
