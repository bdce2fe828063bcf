#!/usr/bin/env bash
# The README's first command: install what is missing, build only what the demo needs (the libraries and
# examples/demo), and run the demo on billing-demo.db in the directory it was called from. Extra arguments go to
# the demo (a path, --events N).
set -euo pipefail
here="$PWD"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scripts/install-deps.sh
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython_EXECUTABLE=/usr/bin/python3
cmake --build build -j "$jobs" --target demo
cd "$here"
"$repo/build/examples/demo/demo" "$@"
