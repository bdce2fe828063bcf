#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every test:
# doctest suites through ctest, pytest on the Python package and on its wheel, then with clang-14 every
# C++ test again under AddressSanitizer and UndefinedBehaviorSanitizer, and the libFuzzer harnesses for a
# bounded time under both.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc 2>/dev/null || echo 2)"
# Each stage prints its name, and the time the one before it took, so that CI's log shows where time goes.
stage_name="" stage_started=$SECONDS all_started=$SECONDS
stage() {
  [ -n "$stage_name" ] && echo "-- $stage_name: $((SECONDS - stage_started)) s (total $((SECONDS - all_started)) s)"
  stage_name="$1" stage_started=$SECONDS
  [ "$1" = "done" ] || echo "== $1"
}

stage "install-deps"
scripts/install-deps.sh
stage "build (gcc, build/)"
scripts/build.sh

stage "ctest (release build)"
ctest --test-dir build --output-on-failure -j "$jobs" -LE stress

stage "ctest: stress (threads, processes, kill -9, crash points, storage faults), with the figures they report"
if ctest --test-dir build -L stress -V > build/stress.log 2>&1; then
  grep -E 'MESSAGE:' build/stress.log | sed -E 's/^[0-9]+: //'
  grep -E 'tests passed|Total Test time' build/stress.log
  build/tests/billing_unit_tests --source-file='*sqlite_*_test.cpp,*postgres_adapter_test.cpp' --success --no-version |
    grep -E 'MESSAGE: .*tamper probes' | sed -E 's/^.*MESSAGE: //'
else
  cat build/stress.log
  exit 1
fi

stage "pytest (Python package in build/python)"
PYTHONPATH="$PWD/build/python" /usr/bin/python3 -m pytest tests/python -q

# The package as a user installs it: a wheel built by pip through CMake (reusing build/), installed into a
# fresh venv, then the examples and the pytest suite against that install instead of build/python.
stage "wheel: pip wheel, a fresh venv, pytest against the installed package"
rm -rf build/wheel build/venv
/usr/bin/python3 -m pip wheel . --no-deps --no-build-isolation --quiet -w build/wheel \
  --config-settings=build-dir="$PWD/build"
ls -l build/wheel/billing-*.whl | awk '{printf "wheel: %s, %.1f MB\n", $9, $5 / 1048576}'
/usr/bin/python3 -m venv --system-site-packages build/venv
build/venv/bin/python -m pip install --no-index --quiet build/wheel/billing-*.whl
(cd build/venv && bin/python -c 'import billing; assert "/venv/" in billing.__file__, billing.__file__' &&
  bin/python -m pytest "$OLDPWD/tests/python" -q -p no:cacheprovider)

# One clang-14 tree carries the sanitizers, the second compiler and the fuzzers: every C++ test again under
# AddressSanitizer and UBSan (at -O1, so that the stress and fault suites stay quick; line tables only, which is
# all a sanitizer's stack trace needs, so that the tree compiles and links faster), then each libFuzzer
# harness of tests/fuzz for a bounded time, two at a time; the library is built once, with the fuzzer's
# coverage instrumentation, which the tests carry harmlessly. gcc builds build/ above with -Werror, clang this
# one, so both compilers keep the headers portable and the warnings honest. A crash, a sanitizer report or an
# undocumented exception fails the script. TMPDIR on tmpfs for the fuzzers: sqlite_open writes a file per input.
stage "ctest (clang-14, AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-san -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DBILLING_SANITIZE=ON -DBILLING_FUZZ=ON \
  -DBILLING_BUILD_PYTHON=OFF -DBILLING_BUILD_EXAMPLES=OFF -DBILLING_BUILD_BENCHMARKS=OFF -DBILLING_TEST_CONSUMER=OFF
cmake --build build-san -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-san --output-on-failure -j "$jobs"

stage "fuzz (clang-14, libFuzzer + ASan + UBSan, ${BILLING_FUZZ_SECONDS:-20} s per harness)"
fuzz_tmp="$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/billing-fuzz.XXXXXX")"
TMPDIR="$fuzz_tmp" tests/fuzz/run.sh build-san "${BILLING_FUZZ_SECONDS:-20}" "$jobs" || { rm -rf "$fuzz_tmp"; exit 1; }
rm -rf "$fuzz_tmp"
stage "done"
