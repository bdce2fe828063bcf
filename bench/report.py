#!/usr/bin/python3
"""Runs a benchmark binary and prints each result beside its baselines from the same run, as ratios.

Usage: bench/report.py [build/bench/bench_money] [extra Google Benchmark flags]
       bench/report.py build/bench/bench_ledger [flags]
       bench/report.py build/bench/bench_validation [flags]
       bench/report.py build/bench/bench_pricing [flags]
       bench/report.py build/bench/bench_orders [flags]
       bench/report.py build/bench/bench_jobs [flags]
       bench/report.py build/bench/bench_payments [flags]
       bench/report.py build/bench/bench_usage [flags]
       bench/report.py build/bench/bench_quotas [flags]
       bench/report.py build/bench/bench_billing_run [flags]
       bench/report.py build/bench/bench_postgres [flags]

Each row names the baseline it is compared with (a row may have several: one line each). The ratio is
always ours / baseline, of one of two measures:
  time        row time / baseline time, when either side reports no rate (bench_money):
              1.20 means 20% slower than the baseline; lower is better, goals read "<= x".
  throughput  row items/s / baseline items/s, when both report a rate (state.SetItemsProcessed,
              bench_ledger): 0.80 means 80% of the baseline's rate; higher is better, goals read ">= x".
              Rates are per second of wall-clock time when the benchmark uses UseRealTime() (all of
              bench_ledger, whose commits wait for the disk). The "cpu" column gives the same ratio
              per second of CPU time, which other processes on a shared machine disturb less; it
              leaves out time spent waiting (fsync), so it is not the figure for durable commits.
              Rows in PARENT_CPU_ONLY do their work in child processes, so they print no cpu ratio.
Rows print in the binary's order, even when --benchmark_enable_random_interleaving shuffles the runs.
"""
import json
import subprocess
import sys

# row -> the baselines it is measured against, in the same run.
BASELINES = {
    # bench_money
    "money_add": ["baseline_checked_int128_add"],
    "baseline_checked_int128_add": ["baseline_int64_add"],
    "money_multiply": ["baseline_checked_int128_multiply_round"],
    "decimal_add_same_scale": ["baseline_checked_int128_add"],
    "decimal_add_mixed_scale": ["baseline_checked_int128_add"],
    "decimal_multiply": ["baseline_checked_int128_multiply_round"],
    "decimal_round_half_even": ["baseline_checked_int128_multiply_round"],
    "money_from_decimal": ["baseline_checked_int128_multiply_round"],
    # bench_ledger
    "memory_transfer": ["baseline_map_update_vector_append"],
    "memory_post_batch_1000": ["baseline_map_update_vector_append"],
    "memory_post_batch_1000_hot": ["memory_post_batch_1000"],
    "baseline_sqlite_same_statements_1000": ["baseline_sqlite_bare_postings_1000"],
    "sqlite_post_batch_1000": ["baseline_sqlite_same_statements_1000", "baseline_sqlite_bare_postings_1000"],
    "sqlite_post_batch_1000_hot": ["sqlite_post_batch_1000"],
    "sqlite_transfer_full": ["baseline_sqlite_row_per_commit_full"],
    # bench_validation
    "check_card_number": ["baseline_luhn_loop"],
    "validate_payment_card": ["baseline_luhn_loop"],
    "validate_payment_iban": ["baseline_luhn_loop"],
    # bench_pricing
    "graduated_amount": ["baseline_int128_graduated_loop"],
    "graduated_charge": ["baseline_int128_graduated_loop"],
    # bench_orders
    "baseline_sqlite_same_statements_normal": ["baseline_sqlite_versioned_update_normal"],
    "baseline_sqlite_same_statements_full": ["baseline_sqlite_versioned_update_full"],
    "sqlite_order_transition_normal": ["baseline_sqlite_versioned_update_normal",
                                       "baseline_sqlite_same_statements_normal"],
    "sqlite_order_transition_full": ["baseline_sqlite_versioned_update_full", "baseline_sqlite_same_statements_full"],
    # bench_jobs
    "sqlite_job_cycle": ["baseline_sqlite_job_cycle_same_statements"],
    # bench_payments
    "sqlite_payment_process_normal": ["baseline_sqlite_payment_same_statements_normal"],
    "sqlite_payment_process_full": ["baseline_sqlite_payment_same_statements_full"],
    # bench_usage
    "sqlite_record_batch_1000": ["baseline_sqlite_bare_insert_1000"],
    "sqlite_total_and_average_after_1m": ["sqlite_total_and_average_after_1k"],
    # bench_quotas
    "sqlite_quota_consume_full": ["baseline_sqlite_counter_rmw_full"],
    "sqlite_quota_consume_normal": ["baseline_sqlite_counter_rmw_normal"],
    "sqlite_rate_limit_only_full": ["baseline_sqlite_counter_rmw_full"],
    "sqlite_rate_limit_only_normal": ["baseline_sqlite_counter_rmw_normal"],
    # bench_billing_run
    "sqlite_billing_run_full": ["baseline_sqlite_billing_by_hand_full"],
    "sqlite_billing_run_normal": ["baseline_sqlite_billing_by_hand_normal"],
    # bench_postgres
    "postgres_post_batch_1000": ["baseline_libpq_same_rows_1000"],
    "postgres_transfer_4_processes": ["postgres_transfer_1_process"],
    "postgres_batch10_4_processes": ["postgres_batch10_1_process"],
    "postgres_job_claim_4_workers": ["postgres_job_claim_1_worker"],
}
# (row, baseline) -> the goal for their ratio; its direction follows the measure (see above).
GOALS = {
    ("money_add", "baseline_checked_int128_add"): 1.5,
    ("memory_transfer", "baseline_map_update_vector_append"): 0.25,
    ("memory_post_batch_1000", "baseline_map_update_vector_append"): 0.25,
    ("memory_post_batch_1000_hot", "memory_post_batch_1000"): 0.9,
    ("sqlite_post_batch_1000", "baseline_sqlite_same_statements_1000"): 0.8,
    ("sqlite_post_batch_1000", "baseline_sqlite_bare_postings_1000"): 0.35,
    ("sqlite_post_batch_1000_hot", "sqlite_post_batch_1000"): 0.9,
    ("sqlite_transfer_full", "baseline_sqlite_row_per_commit_full"): 0.9,
    # A card number's checks (bounds, normalising, Luhn, brand, lengths) within 2.5 Luhn loops; a whole card
    # request (seven fields) within 15, which is well under a microsecond, and allocating nothing.
    ("check_card_number", "baseline_luhn_loop"): 2.5,
    ("validate_payment_card", "baseline_luhn_loop"): 15,
    # A 5-tier graduated charge within 3 hand-written 128-bit loops for its amount, 6 with its invoice lines
    # (Decimals and Money, in one allocation). The loop knows its scales at compile time and checks nothing else;
    # ours checks the quantity, picks scales at run time and can fall back to 256 bits. Measured at 2.0-2.9x and
    # 3.5-5.7x of wall-clock time on 2 cores under a load of 5.5 (docs/benchmarks.md).
    ("graduated_amount", "baseline_int128_graduated_loop"): 3,
    ("graduated_charge", "baseline_int128_graduated_loop"): 6,
    ("sqlite_order_transition_normal", "baseline_sqlite_versioned_update_normal"): 0.5,
    ("sqlite_order_transition_full", "baseline_sqlite_versioned_update_full"): 0.5,
    ("sqlite_job_cycle", "baseline_sqlite_job_cycle_same_statements"): 0.5,
    ("sqlite_payment_process_normal", "baseline_sqlite_payment_same_statements_normal"): 0.5,
    ("sqlite_payment_process_full", "baseline_sqlite_payment_same_statements_full"): 0.5,
    # Issue 10: ingestion with dedup and every aggregate at 0.3 of a bare insert of the same rows or better; a
    # subject's total and the average across subjects as fast after 1,000,000 events as after 1,000, within 1.5.
    ("sqlite_record_batch_1000", "baseline_sqlite_bare_insert_1000"): 0.3,
    ("sqlite_total_and_average_after_1m", "sqlite_total_and_average_after_1k"): 1.5,
    # Issue 10: a quota check and consume (with its usage event) at half a bare read-modify-write of one
    # counter row or better, at the library's default durability (FULL); NORMAL is for information.
    ("sqlite_quota_consume_full", "baseline_sqlite_counter_rmw_full"): 0.5,
    # Issue 11: a billing run period (invoice, number, hash-chained entry, advance, job) at half of the same work
    # written by hand over the SQLite C API, at the default durability (FULL); NORMAL is for information.
    ("sqlite_billing_run_full", "baseline_sqlite_billing_by_hand_full"): 0.5,
    # PostgreSQL, at Durability::full on a local server over a Unix socket: post_batch at half of a bare libpq loop
    # of prepared statements writing the same rows or better; 4 processes posting at once at 1.5 times the rate of
    # one or better; 4 job workers (SKIP LOCKED) at twice the rate of one or better.
    ("postgres_post_batch_1000", "baseline_libpq_same_rows_1000"): 0.5,
    ("postgres_transfer_4_processes", "postgres_transfer_1_process"): 1.5,
    ("postgres_job_claim_4_workers", "postgres_job_claim_1_worker"): 2,
}
# Rows whose work runs in forked child processes (bench_postgres): their cpu_time is the parent's alone.
PARENT_CPU_ONLY = {"postgres_transfer_1_process", "postgres_transfer_4_processes", "postgres_batch10_1_process",
                   "postgres_batch10_4_processes", "postgres_job_claim_1_worker", "postgres_job_claim_4_workers"}
ALLOCATION_COUNTERS = ("allocs_per_op", "allocs_per_item")


def compare(run, baseline):
    """(measure, ratio of ours to the baseline, the same per CPU second or None), by rate when both
    sides have one, else by time."""
    if "items_per_second" in run and "items_per_second" in baseline:
        ratio = run["items_per_second"] / baseline["items_per_second"]
        if run["run_name"].split("/")[0] in PARENT_CPU_ONLY or baseline["run_name"].split("/")[0] in PARENT_CPU_ONLY:
            return "throughput", ratio, None
        return "throughput", ratio, ratio * (run["real_time"] / run["cpu_time"]) / (
            baseline["real_time"] / baseline["cpu_time"])
    return "time", run["real_time"] / baseline["real_time"], None


def verdict(measure, ratio, goal):
    if goal is None:
        return ""
    met = ratio >= goal if measure == "throughput" else ratio <= goal
    return f"{'>=' if measure == 'throughput' else '<='} {goal:<5} {'met' if met else 'NOT met'}"


def allocations(run):
    for counter in ALLOCATION_COUNTERS:
        if counter in run:
            return f"{run[counter]:.2f}"
    return "-"


def registration_order(binary):
    listed = subprocess.run([binary, "--benchmark_list_tests=true"], check=True, capture_output=True, text=True)
    return {name.split("/")[0]: i for i, name in enumerate(listed.stdout.split())}


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench_money"
    flags = sys.argv[2:] or ["--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run([binary, "--benchmark_format=json", *flags], check=True, capture_output=True, text=True)
    runs = json.loads(out.stdout)["benchmarks"]
    median = {r["run_name"].split("/")[0]: r for r in runs if r.get("aggregate_name", "median") == "median"}
    order = registration_order(binary)
    median = dict(sorted(median.items(), key=lambda item: order.get(item[0], len(order))))
    print("ratio = ours / baseline: time ratio (lower is better) unless both rows report items/s, then")
    print("throughput ratio (higher is better); cpu = the throughput ratio per CPU second instead of wall-clock.")
    print("allocs = heap allocations per op (bench_money) or per item (bench_ledger). Medians of the repetitions.")
    print(f"{'benchmark':<38} {'ns/op':>12} {'items/s':>10} {'allocs':>7}  {'vs baseline':<38} "
          f"{'measure':<10} {'ratio':>6} {'cpu':>6}  goal")
    for name, run in median.items():
        rate = f"{run['items_per_second']:10.4g}" if "items_per_second" in run else f"{'-':>10}"
        head = f"{name:<38} {run['real_time']:12.2f} {rate} {allocations(run):>7}"
        baselines = [b for b in BASELINES.get(name, []) if b in median] or [None]
        for baseline in baselines:
            if baseline is None:
                print(f"{head}  {'-':<38}")
                continue
            measure, ratio, cpu_ratio = compare(run, median[baseline])
            goal = verdict(measure, ratio, GOALS.get((name, baseline)))
            cpu = f"{cpu_ratio:6.3f}" if cpu_ratio is not None else f"{'':6}"
            print(f"{head}  {baseline:<38} {measure:<10} {ratio:6.3f} {cpu}  {goal}")
            head = f"{'':<38} {'':>12} {'':>10} {'':>7}"
    return 0


if __name__ == "__main__":
    sys.exit(main())
