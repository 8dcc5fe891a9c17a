import os
import sys

os.environ.setdefault('OMP_NUM_THREADS', '2')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import d2gan  # noqa: E402,F401  (configure MXNet before any test imports it)
