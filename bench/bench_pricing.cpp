// A graduated charge over 5 tiers beside a hand-written loop over the same tiers in 128-bit scaled integers,
// measured in one run. bench/report.py runs this and prints the ratios and goals; docs/benchmarks.md records them.
//
// The tiers are an API's month: the first 10,000 calls free, then 0.0005, 0.0004, 0.0003 and 0.0002 USD a call
// above 100,000, 1,000,000 and 10,000,000 calls, with a 20 USD platform fee on the second tier. Each iteration
// charges the next of 1,024 quantities spread over every tier (so neither the branch predictor nor the cache
// learns one), and both sides round each tier's amount to the cent, half-even, and sum the rounded tiers.
#include <benchmark/benchmark.h>

#include <billing/price.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "alloc_counter.hpp"
#include "splitmix64.hpp"

namespace {

__extension__ using int128 = __int128;

using billing::Decimal;
using billing::Price;
using billing::Tier;

constexpr std::size_t k_quantities = 1024;

void report_allocations(benchmark::State& state, std::size_t before) {
  const std::size_t made = billing::test::allocations_on_this_thread() - before;
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(made) / static_cast<double>(state.iterations()));
}

// Quantities from 0 to 20,000,000 calls, a quarter of them past each of the upper tiers' bounds.
const std::vector<std::int64_t>& quantities() {
  static const std::vector<std::int64_t> all = [] {
    billing::bench::SplitMix64 random(7);
    const std::int64_t ranges[] = {100'000, 1'000'000, 10'000'000, 20'000'000};
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < k_quantities; ++i) {
      out.push_back(static_cast<std::int64_t>(random.next() % static_cast<std::uint64_t>(ranges[i % 4])));
    }
    return out;
  }();
  return all;
}

// ------------------------------------------------------------------------------------------ the baseline

// The same tiers as integers: bounds in calls, unit prices in units of 10^-4 USD, flat fees in cents.
struct RawTier {
  int128 up_to;  // 0 for the last tier
  int128 unit_price_e4;
  int128 flat_fee_cents;
};
constexpr RawTier k_raw_tiers[] = {{10'000, 0, 0}, {100'000, 5, 2000}, {1'000'000, 4, 0}, {10'000'000, 3, 0}, {0, 2, 0}};

// units x price (10^-4 USD) to cents, half-even: /100 with the remainder compared to 50.
int128 cents_half_even(int128 amount_e4) {
  int128 cents = amount_e4 / 100;
  const int128 remainder = amount_e4 % 100;
  if (remainder > 50 || (remainder == 50 && (cents & 1) != 0)) ++cents;
  return cents;
}

// The graduated charge written by hand: checked 128-bit products and sums, one rounding per tier.
int128 graduated_by_hand(int128 quantity) {
  int128 total_cents = 0;
  int128 start = 0;
  const std::size_t count = std::size(k_raw_tiers);
  for (std::size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    const int128 upper = last || quantity < k_raw_tiers[i].up_to ? quantity : k_raw_tiers[i].up_to;
    int128 product = 0;
    if (__builtin_mul_overflow(upper - start, k_raw_tiers[i].unit_price_e4, &product)) std::abort();
    const int128 line = cents_half_even(product) + k_raw_tiers[i].flat_fee_cents;
    if (__builtin_add_overflow(total_cents, line, &total_cents)) std::abort();
    if (last || quantity <= k_raw_tiers[i].up_to) break;
    start = k_raw_tiers[i].up_to;
  }
  return total_cents;
}

void baseline_int128_graduated_loop(benchmark::State& state) {
  std::vector<int128> all(quantities().begin(), quantities().end());
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(graduated_by_hand(all[i++ % all.size()]));
  }
}
BENCHMARK(baseline_int128_graduated_loop);

// ------------------------------------------------------------------------------------------ ours

Price api_month() {
  const auto tier = [](std::int64_t up_to, const char* unit_price, const char* flat_fee) {
    return Tier{.up_to = up_to != 0 ? std::optional<Decimal>(Decimal(up_to)) : std::nullopt,
                .unit_price = Decimal::parse(unit_price),
                .flat_fee = Decimal::parse(flat_fee)};
  };
  return Price::graduated({tier(10'000, "0", "0"), tier(100'000, "0.0005", "20"), tier(1'000'000, "0.0004", "0"),
                           tier(10'000'000, "0.0003", "0"), tier(0, "0.0002", "0")},
                          billing::Currency("USD"));
}

std::vector<Decimal> decimal_quantities() {
  return {quantities().begin(), quantities().end()};
}

// `charge(price, quantity)` over the quantities, after checking that it agrees with the loop to the cent.
template <class Charge>
void charge_each(benchmark::State& state, Charge charge) {
  const Price price = api_month();
  const std::vector<Decimal> all = decimal_quantities();
  for (std::size_t k = 0; k < all.size(); ++k) {
    if (price.amount(all[k]).minor() != static_cast<std::int64_t>(graduated_by_hand(quantities()[k]))) std::abort();
  }
  std::size_t i = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    benchmark::DoNotOptimize(charge(price, all[i++ % all.size()]));
  }
  report_allocations(state, before);
}

// Price::amount: the same charge, its total only (no lines, no allocation).
void graduated_amount(benchmark::State& state) {
  charge_each(state, [](const Price& price, const Decimal& quantity) { return price.amount(quantity); });
}
BENCHMARK(graduated_amount);

// Price::charge: the total and a line per tier reached, as an invoice shows them (one vector of lines).
void graduated_charge(benchmark::State& state) {
  charge_each(state, [](const Price& price, const Decimal& quantity) { return price.charge(quantity); });
}
BENCHMARK(graduated_charge);

}  // namespace

BENCHMARK_MAIN();
