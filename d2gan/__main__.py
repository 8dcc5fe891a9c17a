import sys

import d2gan  # noqa: F401  (configure MXNet before the CLI imports it)
from d2gan.cli import main

sys.exit(main())
