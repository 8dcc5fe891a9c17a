#!/usr/bin/env bash
# Create (or reuse) the virtual environment .venv with the pinned requirements and d2gan.
# Usage: source scripts/setup_env.sh   (or bash it; the other scripts call it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.d2gan-requirements.sha1
want=$(cat requirements.txt setup.py | sha1sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" > "$stamp"
fi
.venv/bin/python -m pip check >/dev/null
# the C++ operators (d2gan.nn.native): compiled once into ~/.cache/d2gan (a few seconds) here
# rather than inside the first notebook cell that needs them; without a compiler this warns and
# the library uses MXNet's operators
.venv/bin/python -c 'import d2gan; from d2gan.nn import native; native.available()'
