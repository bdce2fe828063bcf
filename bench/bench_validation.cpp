// Payment validation beside a bare Luhn loop over the same card numbers, measured in one run.
// bench/report.py runs this and prints the ratios and goals; docs/benchmarks.md records them.
//
// Each iteration takes the next of 1,024 card numbers of every brand (valid ones, as a host mostly sees),
// so that neither the branch predictor nor the cache learns one number.
#include <benchmark/benchmark.h>

#include <billing/payment_validation.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "splitmix64.hpp"

namespace {

using billing::PaymentInput;

void report_allocations(benchmark::State& state, std::size_t before) {
  const std::size_t made = billing::test::allocations_on_this_thread() - before;
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(made) / static_cast<double>(state.iterations()));
}

// A valid number: `prefix`, random digits to `length` - 1, then the Luhn check digit.
std::string card(const std::string& prefix, std::size_t length, billing::bench::SplitMix64& random) {
  std::string number = prefix;
  while (number.size() < length - 1) number += static_cast<char>('0' + random.next() % 10);
  for (char check = '0'; check <= '9'; ++check) {
    if (billing::passes_luhn(number + check)) return number + check;
  }
  std::abort();
}

struct Sample {
  std::string number;
  std::string cvc;
};

const std::vector<Sample>& samples() {
  static const std::vector<Sample> all = [] {
    struct Brand {
      const char* prefix;
      std::size_t length;
      const char* cvc;
    };
    const Brand brands[] = {{"4", 16, "123"},    {"51", 16, "123"},   {"2221", 16, "123"}, {"37", 15, "1234"},
                            {"6011", 16, "123"}, {"3528", 16, "123"}, {"36", 14, "123"},   {"62", 16, "123"},
                            {"6304", 16, "123"}, {"4", 19, "123"}};
    billing::bench::SplitMix64 random(42);
    std::vector<Sample> out;
    for (std::size_t i = 0; i < 1024; ++i) {
      const Brand& brand = brands[i % std::size(brands)];
      out.push_back({card(brand.prefix, brand.length, random), brand.cvc});
    }
    return out;
  }();
  return all;
}

// The baseline: Luhn over the digits, written the plainest way, and nothing else.
void baseline_luhn_loop(benchmark::State& state) {
  const auto& all = samples();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& digits = all[i++ % all.size()].number;
    unsigned sum = 0;
    for (std::size_t k = 0; k < digits.size(); ++k) {
      unsigned d = static_cast<unsigned>(digits[digits.size() - 1 - k] - '0');
      if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    benchmark::DoNotOptimize(sum % 10 == 0);
  }
}
BENCHMARK(baseline_luhn_loop);

// The card number alone: bounds, normalising, 12 to 19 digits, Luhn, brand, the brand's lengths.
void check_card_number(benchmark::State& state) {
  const auto& all = samples();
  std::size_t i = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const billing::CardNumberCheck check = billing::check_card_number(all[i++ % all.size()].number);
    if (check.problem) std::abort();
    benchmark::DoNotOptimize(check);
  }
  report_allocations(state, before);
}
BENCHMARK(check_card_number);

// A whole card payment request: amount, currency, customer id, email, card number, expiry and CVC.
void validate_payment_card(benchmark::State& state) {
  const auto& all = samples();
  const billing::ManualClock clock(billing::Timestamp::parse("2026-05-15T12:00:00Z"));
  const billing::PaymentPolicy policy;
  std::size_t i = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Sample& sample = all[i++ % all.size()];
    const PaymentInput input{.amount = "149.99",
                             .currency = "USD",
                             .customer_id = "cus_0042",
                             .email = "ada.lovelace@example.com",
                             .card_number = sample.number,
                             .expiry_month = "12",
                             .expiry_year = "2030",
                             .cvc = sample.cvc};
    const billing::PaymentReport report = billing::validate_payment(input, policy, clock);
    if (!report.ok()) std::abort();
    benchmark::DoNotOptimize(report);
  }
  report_allocations(state, before);
}
BENCHMARK(validate_payment_card);

// A bank transfer request: amount, currency, customer id and IBAN, under a policy that lists currencies.
void validate_payment_iban(benchmark::State& state) {
  const billing::ManualClock clock(billing::Timestamp::parse("2026-05-15T12:00:00Z"));
  const billing::PaymentPolicy policy(std::nullopt, std::vector<billing::Currency>{billing::Currency("EUR")},
                                      std::nullopt);
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const PaymentInput input{
        .amount = "250.00", .currency = "EUR", .customer_id = "cus_0042", .iban = "DE89 3704 0044 0532 0130 00"};
    const billing::PaymentReport report = billing::validate_payment(input, policy, clock);
    if (!report.ok()) std::abort();
    benchmark::DoNotOptimize(report);
  }
  report_allocations(state, before);
}
BENCHMARK(validate_payment_iban);

}  // namespace

BENCHMARK_MAIN();
