import os
import sys

import d2gan  # noqa: F401  (configure MXNet before the CLI imports it)
from d2gan.cli import main

code = main()
if code and os.environ.get('DMLC_ROLE') == 'worker':
    # A failed dist worker exits at once: a normal exit would wait in MXNet's kvstore
    # finaliser for the other workers, which wait for this one (see d2gan.launch).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
