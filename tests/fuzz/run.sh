#!/usr/bin/env bash
# Runs every libFuzzer harness of a BILLING_FUZZ build for a bounded time, two at a time, and prints
# the executions each ran. New inputs go to a working corpus in the build tree, never to the seeds in
# tests/fuzz/corpus/. A finding (a crash-*, leak-*, timeout-* or oom-* artifact, or a non-zero exit)
# prints the harness's log and fails the script.
#
#   tests/fuzz/run.sh build-san [seconds per harness, 20] [harnesses at once, 2]
set -euo pipefail
build="$(cd "$1" && pwd)"
seconds="${2:-20}"
parallel="${3:-2}"
source_dir="$(cd "$(dirname "$0")" && pwd)"
work="$build/fuzz-runs"
rm -rf "$work"
mkdir -p "$work"

harnesses=()
for exe in "$build"/tests/fuzz/billing_fuzz_*; do
  [ -x "$exe" ] && harnesses+=("$(basename "$exe" | sed 's/^billing_fuzz_//')")
done
if [ ${#harnesses[@]} -eq 0 ]; then
  echo "fuzz: no harnesses in $build/tests/fuzz (configure with -DBILLING_FUZZ=ON and build billing_fuzz)" >&2
  exit 1
fi

run_one() {
  local name="$1" dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/billing_fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$source_dir/corpus/$name" \
    > "$dir/log" 2>&1
  echo $? > "$dir/rc"
}
export -f run_one
export build seconds work source_dir
printf '%s\n' "${harnesses[@]}" | xargs -P "$parallel" -I{} bash -c 'run_one "$@"' _ {}

failed=0
total=0
for name in "${harnesses[@]}"; do
  dir="$work/$name"
  rc="$(cat "$dir/rc")"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
  runs="${runs:-0}"
  findings="$(find "$dir/artifacts" -type f | wc -l)"
  corpus="$(find "$dir/corpus" -type f | wc -l)"
  coverage="$(grep -oE 'cov: [0-9]+' "$dir/log" | tail -1 | sed 's/cov: //')"
  if [ "$findings" = 0 ]; then
    printf 'fuzz %-15s %10s executions in %s s, 0 crashes (coverage %s, %s new inputs)\n' \
      "$name" "$runs" "$seconds" "${coverage:-?}" "$corpus"
  else
    printf 'fuzz %-15s %10s executions, then a finding (%s artifact)\n' "$name" "$runs" "$findings"
  fi
  total=$((total + runs))
  if [ "$rc" != 0 ] || [ "$findings" != 0 ] || [ "$runs" = 0 ]; then
    failed=1
    echo "---- $name: exit $rc; log ($dir/log), last 60 lines:"
    tail -60 "$dir/log"
    find "$dir/artifacts" -type f -exec echo "finding: {}" \;
  fi
done
echo "fuzz: ${#harnesses[@]} harnesses, $total executions, $([ $failed = 0 ] && echo "0 crashes" || echo "FINDINGS")"
exit $failed
