#!/usr/bin/env bash
# Set everything up and run all tests: a quick build of the book (every chapter executed with a
# one-epoch smoke run, into _build/quick/_build/html, a banner on every page), then the unit
# tests, every chapter executed by nbval (quick setting) and the rendered-book checks in
# headless Chromium. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
bash scripts/install_chromium.sh
export PATH="$PWD/.venv/bin:$PATH"
export D2GAN_QUICK=1
rm -rf _build/quick
jupyter-book build --all -W --keep-going --path-output _build/quick .
export D2GAN_BOOK_HTML="$PWD/_build/quick/_build/html"
python -m pytest -p no:cacheprovider tests chapters --nbval-lax --durations=15 "$@"
