"""Process-wide defaults that must be set before MXNet is imported.

MXNet reads these variables once, when its shared library loads:

* ``OMP_NUM_THREADS`` -- MXNet 1.x uses a single OpenMP thread on a 2-core machine unless this is
  set, which halves CPU throughput (measured: DCGAN 700 vs 390 images/s).
* ``KMP_BLOCKTIME=0`` -- MXNet's OpenMP threads otherwise spin-wait after each operator; with
  several processes on few cores (``dist_sync`` workers, a notebook beside a test run) the
  spinning threads starve each other: a CycleGAN iteration took 2.43 s instead of 0.21 s at
  load 5. On an idle machine it costs nothing (DCGAN 32x32: 374-379 vs 349-362 images/s;
  CycleGAN 64x64: 0.195 vs 0.193-0.198 s per iteration).
* ``MXNET_STORAGE_FALLBACK_LOG_VERBOSE`` / ``MXNET_SUBGRAPH_VERBOSE`` -- keep MXNet's C++ warnings
  about storage fallbacks and subgraph passes out of notebook cells.

A value the user has already exported always wins.
"""
import os
import sys

DEFAULTS = {
    'KMP_BLOCKTIME': '0',
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
