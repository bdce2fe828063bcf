// Money's hot operations beside the native baselines they are built on, measured in one run.
// bench/report.py runs this and prints the ratios; docs/benchmarks.md records them.
#include <benchmark/benchmark.h>

#include <billing/money.hpp>

#include <cstdlib>
#include <string>
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

// The Decimal operations behind prices, rates and quantities, and Money built from them. Each takes its
// operand from the benchmark's argument; the text ones parse or print a typical price.

void decimal_add_mixed_scale(benchmark::State& state) {
  Decimal total = Decimal::parse("0.000000000000");  // 12 places: each step is aligned first
  const Decimal step = Decimal::from_coefficient(state.range(0), 2);
  for (auto _ : state) {
    total += step;
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(decimal_add_mixed_scale)->Arg(1);

void decimal_multiply(benchmark::State& state) {
  const Decimal price = Decimal::parse("0.00025");
  Decimal quantity = state.range(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(quantity);
    benchmark::DoNotOptimize(price * quantity);
  }
}
BENCHMARK(decimal_multiply)->Arg(1200);

void decimal_compare_mixed_scale(benchmark::State& state) {
  const Decimal a = Decimal::from_coefficient(state.range(0), 5);
  Decimal b = Decimal::parse("12.34");
  for (auto _ : state) {
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(a < b);
  }
}
BENCHMARK(decimal_compare_mixed_scale)->Arg(1'234'567);

void decimal_round_half_even(benchmark::State& state) {
  Decimal value = Decimal::from_coefficient(state.range(0), 6);  // 12.345678 -> 12.35
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(value.round(2, billing::RoundingMode::half_even));
  }
}
BENCHMARK(decimal_round_half_even)->Arg(12'345'678);

void decimal_divide(benchmark::State& state) {
  Decimal dividend = state.range(0);
  const Decimal divisor = 3;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dividend);
    benchmark::DoNotOptimize(billing::divide(dividend, divisor, 4, billing::RoundingMode::half_even));
  }
}
BENCHMARK(decimal_divide)->Arg(10);

void decimal_parse(benchmark::State& state) {
  const std::string text = "1234.5678";
  for (auto _ : state) benchmark::DoNotOptimize(Decimal::parse(text));
}
BENCHMARK(decimal_parse);

void decimal_to_string(benchmark::State& state) {
  const Decimal value = Decimal::from_coefficient(state.range(0), 4);
  for (auto _ : state) benchmark::DoNotOptimize(value.to_string());
}
BENCHMARK(decimal_to_string)->Arg(12'345'678);

void decimal_hash(benchmark::State& state) {
  const Decimal value = Decimal::from_coefficient(state.range(0), 4);  // 1234.5000: normalized first
  for (auto _ : state) benchmark::DoNotOptimize(value.hash());
}
BENCHMARK(decimal_hash)->Arg(12'345'000);

void money_from_decimal(benchmark::State& state) {
  const Currency usd("USD");
  Decimal amount = Decimal::from_coefficient(state.range(0), 4);  // 1234.5678 USD, rounded to cents
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    benchmark::DoNotOptimize(amount);
    benchmark::DoNotOptimize(Money(amount, usd, billing::RoundingMode::half_even));
  }
  report_allocations(state, before);
}
BENCHMARK(money_from_decimal)->Arg(12'345'678);

void money_parse(benchmark::State& state) {
  const std::string text = "19.99 USD";
  for (auto _ : state) benchmark::DoNotOptimize(Money::parse(text));
}
BENCHMARK(money_parse);

}  // namespace

BENCHMARK_MAIN();
