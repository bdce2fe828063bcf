#!/usr/bin/python3
"""Runs a benchmark binary and prints each result beside its baseline from the same run, as a ratio.

Usage: bench/report.py [build/bench/bench_money] [extra Google Benchmark flags]
Each row names the baseline it is compared with; ratio = time of the row / time of its baseline,
so 1.20 means 20% slower than the baseline and lower is better.
"""
import json
import subprocess
import sys

BASELINES = {
    "money_add": "baseline_checked_int128_add",
    "baseline_checked_int128_add": "baseline_int64_add",
    "money_multiply": "baseline_checked_int128_multiply_round",
    "decimal_add_same_scale": "baseline_checked_int128_add",
}
GOALS = {"money_add": 1.5}


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench_money"
    flags = sys.argv[2:] or ["--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run([binary, "--benchmark_format=json", *flags], check=True, capture_output=True, text=True)
    runs = json.loads(out.stdout)["benchmarks"]
    median = {r["run_name"].split("/")[0]: r for r in runs if r.get("aggregate_name", "median") == "median"}
    print(f"{'benchmark':<42} {'ns/op':>9} {'allocs/op':>10}  {'vs baseline':<40} ratio  goal")
    for name, run in median.items():
        baseline = BASELINES.get(name)
        ratio = f"{run['real_time'] / median[baseline]['real_time']:5.2f}" if baseline in median else "     "
        goal = f"<= {GOALS[name]}" if name in GOALS else ""
        allocs = f"{run['allocs_per_op']:.2f}" if "allocs_per_op" in run else "-"
        print(f"{name:<42} {run['real_time']:9.2f} {allocs:>10}  {baseline or '-':<40} {ratio}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
