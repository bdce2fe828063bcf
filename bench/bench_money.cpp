// Money's hot operations beside the native baselines they are built on, measured in one run.
// bench/report.py runs this and prints the ratios; docs/benchmarks.md records them.
#include <benchmark/benchmark.h>

#include <billing/money.hpp>

#include <cstdlib>
#include <vector>

#include "alloc_counter.hpp"

namespace {

__extension__ using int128 = __int128;

using billing::Currency;
using billing::Decimal;
using billing::Money;

// Heap allocations per operation, from the test suite's counting operator new.
void report_allocations(benchmark::State& state, std::size_t before) {
  const std::size_t made = billing::test::allocations_on_this_thread() - before;
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(made) / static_cast<double>(state.iterations()));
}

// Each step comes from the benchmark's argument, so the compiler cannot fold a loop away.

void baseline_int64_add(benchmark::State& state) {
  std::int64_t total = 0;
  const std::int64_t step = state.range(0);
  for (auto _ : state) {
    total += step;
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(baseline_int64_add)->Arg(1);

void baseline_checked_int128_add(benchmark::State& state) {
  int128 total = 0;
  const int128 step = state.range(0);
  for (auto _ : state) {
    if (__builtin_add_overflow(total, step, &total)) std::abort();
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(baseline_checked_int128_add)->Arg(1);

void money_add(benchmark::State& state) {
  const Currency usd("USD");
  Money total = Money::zero(usd);
  const Money step = Money::from_minor(state.range(0), usd);
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    total = total + step;
    benchmark::DoNotOptimize(total);
  }
  report_allocations(state, before);
}
BENCHMARK(money_add)->Arg(1);

void baseline_checked_int128_multiply_round(benchmark::State& state) {
  // minor * rate / 10^5, rounded half-even by hand: what Money::multiply does, without the checks' types.
  const int128 minor = state.range(0);
  const int128 rate = 25;  // 0.00025 at scale 5
  int128 divisor = 100'000;
  benchmark::DoNotOptimize(divisor);  // a run-time divisor, as the rate's scale is for Money
  for (auto _ : state) {
    int128 product = 0;
    if (__builtin_mul_overflow(minor, rate, &product)) std::abort();
    int128 quotient = product / divisor;
    const int128 remainder = product % divisor;
    if (remainder * 2 > divisor || (remainder * 2 == divisor && (quotient & 1))) ++quotient;
    benchmark::DoNotOptimize(quotient);
  }
}
BENCHMARK(baseline_checked_int128_multiply_round)->Arg(1'234'567);

void money_multiply(benchmark::State& state) {
  const Money amount = Money::from_minor(state.range(0), Currency("USD"));
  const Decimal rate = Decimal::parse("0.00025");
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) benchmark::DoNotOptimize(amount.multiply(rate));
  report_allocations(state, before);
}
BENCHMARK(money_multiply)->Arg(1'234'567);

void money_allocate_3(benchmark::State& state) {
  const Money amount = Money::from_minor(state.range(0), Currency("USD"));
  const std::vector<std::uint64_t> ratios{50, 30, 20};
  for (auto _ : state) benchmark::DoNotOptimize(amount.allocate(ratios));
}
BENCHMARK(money_allocate_3)->Arg(10'000);

void decimal_add_same_scale(benchmark::State& state) {
  Decimal total = Decimal::parse("0.000000000000");
  const Decimal step = Decimal::parse("0.000000000001") * Decimal(state.range(0));
  for (auto _ : state) {
    total += step;
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(decimal_add_same_scale)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
