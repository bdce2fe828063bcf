#!/usr/bin/env bash
# Configures and builds billing in build/ (release with debug info) with Debian's Python 3.
# Used by demo.sh and test.sh; extra arguments go to the configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython_EXECUTABLE=/usr/bin/python3 "$@"
cmake --build build -j "$jobs"
