#!/usr/bin/env bash
# Set everything up and build the rendered book, executing every chapter at full length:
# _build/html. Nothing of an earlier build is reused: Sphinx's pickled environment
# (_build/.doctrees) would otherwise skip unchanged notebooks and keep, for example, the
# outputs of the test command's quick build. Each notebook's execution time is printed at the
# end and kept in _build/execution_times.txt.
# Usage: bash scripts/build_book.sh [BOOK_DIR]   (default: this repository)
set -euo pipefail
book=$(realpath "${1:-$(dirname "${BASH_SOURCE[0]}")/..}")
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"
unset D2GAN_QUICK                     # the book trains to the results it shows
rm -rf "$book/_build/html" "$book/_build/.doctrees" "$book/_build/jupyter_execute" \
       "$book/_build/.jupyter_cache" "$book/_build/execution_times.txt"
start=$SECONDS
jupyter-book build --all -W --keep-going "$book"
test -f "$book/_build/html/index.html"
echo "book: $book/_build/html/index.html (built in $(( (SECONDS - start) / 60 )) min)"
