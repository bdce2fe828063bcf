#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every test:
# doctest suites through ctest, pytest on the Python package, the C++ tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer, the unit and contract suites built with clang-14,
# and the libFuzzer harnesses for a bounded time under ASan and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc 2>/dev/null || echo 2)"

scripts/install-deps.sh
scripts/build.sh

echo "== ctest (release build)"
ctest --test-dir build --output-on-failure -j "$jobs" -LE stress

echo "== ctest: stress (threads, processes, kill -9, crash points, storage faults), with the figures they report"
if ctest --test-dir build -L stress -V > build/stress.log 2>&1; then
  grep -E 'MESSAGE:' build/stress.log | sed -E 's/^[0-9]+: //'
  grep -E 'tests passed|Total Test time' build/stress.log
  build/tests/billing_unit_tests --source-file='*sqlite_*_test.cpp' --success --no-version |
    grep -E 'MESSAGE: .*tamper probes' | sed -E 's/^.*MESSAGE: //'
else
  cat build/stress.log
  exit 1
fi

echo "== pytest (Python package in build/python)"
PYTHONPATH="$PWD/build/python" /usr/bin/python3 -m pytest tests/python -q

# The package as a user installs it: a wheel built by pip through CMake (reusing build/), installed into a
# fresh venv, then the examples and the pytest suite against that install instead of build/python.
echo "== wheel: pip wheel, a fresh venv, pytest against the installed package"
rm -rf build/wheel build/venv
/usr/bin/python3 -m pip wheel . --no-deps --no-build-isolation --quiet -w build/wheel \
  --config-settings=build-dir="$PWD/build"
ls -l build/wheel/billing-*.whl | awk '{printf "wheel: %s, %.1f MB\n", $9, $5 / 1048576}'
/usr/bin/python3 -m venv --system-site-packages build/venv
build/venv/bin/python -m pip install --no-index --quiet build/wheel/billing-*.whl
(cd build/venv && bin/python -c 'import billing; assert "/venv/" in billing.__file__, billing.__file__' &&
  bin/python -m pytest "$OLDPWD/tests/python" -q -p no:cacheprovider)

echo "== ctest (AddressSanitizer + UndefinedBehaviorSanitizer build)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBILLING_SANITIZE=ON \
  -DBILLING_BUILD_PYTHON=OFF -DBILLING_BUILD_EXAMPLES=OFF -DBILLING_BUILD_BENCHMARKS=OFF \
  -DBILLING_TEST_CONSUMER=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

# A second compiler keeps the headers portable and the warnings honest (-Werror on both). Debug (-O0)
# and only the two suites, so the step stays short: about a minute on two idle cores, two when busy.
echo "== ctest (clang-14: unit and contract suites)"
cmake -S . -B build-clang -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  -DBILLING_BUILD_PYTHON=OFF -DBILLING_BUILD_EXAMPLES=OFF -DBILLING_BUILD_BENCHMARKS=OFF \
  -DBILLING_TEST_CONSUMER=OFF
cmake --build build-clang -j "$jobs" --target billing_unit_tests billing_contract_tests
ctest --test-dir build-clang -R '^(unit|contract)\.' --output-on-failure -j "$jobs"

# Fuzzing: each harness in tests/fuzz for a bounded time, two at a time, on clang-14 with libFuzzer, ASan
# and UBSan; a crash, a sanitizer report or an undocumented exception fails the script. About three
# minutes on two idle cores, the build included. TMPDIR on tmpfs: sqlite_open writes a file per input.
echo "== fuzz (clang-14, libFuzzer + ASan + UBSan, ${BILLING_FUZZ_SECONDS:-20} s per harness)"
fuzz_started=$SECONDS
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBILLING_FUZZ=ON \
  -DBILLING_BUILD_PYTHON=OFF -DBILLING_BUILD_EXAMPLES=OFF -DBILLING_BUILD_BENCHMARKS=OFF \
  -DBILLING_TEST_CONSUMER=OFF
cmake --build build-fuzz -j "$jobs" --target billing_fuzz
fuzz_tmp="$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/billing-fuzz.XXXXXX")"
TMPDIR="$fuzz_tmp" tests/fuzz/run.sh build-fuzz "${BILLING_FUZZ_SECONDS:-20}" "$jobs" || { rm -rf "$fuzz_tmp"; exit 1; }
rm -rf "$fuzz_tmp"
echo "fuzz step: $((SECONDS - fuzz_started)) s, build included"
