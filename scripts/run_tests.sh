#!/usr/bin/env bash
# Set everything up and run all tests: unit tests, every chapter executed by nbval (quick
# setting), and a book build (quick setting).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"
export D2GAN_QUICK=1
python -m pytest -p no:cacheprovider tests chapters --nbval-lax --durations=15 "$@"
rm -rf _build/html _build/.jupyter_cache
jupyter-book build --keep-going . 
test -f _build/html/index.html
echo "quick book build: OK"
