#!/usr/bin/env bash
# Set everything up and build the rendered book, executing every chapter: _build/html.
# Full-length training runs (a few minutes per chapter on 2 CPU cores). D2GAN_QUICK=1 shortens them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"
rm -rf _build/html _build/.jupyter_cache
jupyter-book build --keep-going . 
test -f _build/html/index.html
echo "book: $PWD/_build/html/index.html"
