#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test billing. Debian packages only; does
# nothing when everything is present. Safe to run again.
set -euo pipefail

# clang-14 builds the unit and contract suites a second time (scripts/test.sh); it compiles against
# g++ 12's libstdc++, so it needs nothing else. libfuzzer-14-dev: libFuzzer for clang-14, which builds
# the fuzz harnesses (tests/fuzz) with -fsanitize=fuzzer. mypy: tests/python/test_typing.py type-checks
# the Python tests and examples against the package's stubs. postgresql-15 and libpq-dev: the PostgreSQL
# adapter's driver, and the initdb and pg_ctl its tests start a throwaway server with.
packages=(
  cmake g++ clang-14 libfuzzer-14-dev make pkg-config
  libboost-dev libfmt-dev libsqlite3-dev libssl-dev doctest-dev libbenchmark-dev
  python3 python3-dev python3-pip python3-venv pybind11-dev python3-pybind11 python3-pytest mypy
  sqlite3 ledger beancount
  postgresql-15 libpq-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
