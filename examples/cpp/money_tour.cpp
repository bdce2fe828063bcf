// A tour of the money types: exact amounts, explicit rounding, allocation without losing a cent, and
// the errors that stop mistakes. Run: build/examples/cpp/money_tour
#include <billing/billing.hpp>

#include <fmt/format.h>

#include <vector>

using billing::Currency;
using billing::Decimal;
using billing::Money;
using billing::RoundingMode;

namespace {

void show_exact_sums() {
  fmt::print("== Exact sums\n");
  Money total = Money::zero(Currency("USD"));
  for (int i = 0; i < 10; ++i) total += Money::parse("0.10 USD");
  fmt::print("  ten times 0.10 USD          = {}   (a double gives 0.9999999999999999)\n", total);
  fmt::print("  19.99 USD x 3 + 5.00 USD    = {}\n", Money::parse("19.99 USD").multiply(3) + Money::parse("5.00 USD"));
}

void show_places_per_currency() {
  fmt::print("\n== Places follow the currency (ISO 4217)\n");
  for (const char* code : {"USD", "JPY", "BHD", "CLF"}) {
    const Currency currency(code);
    fmt::print("  {:<4} {:<28} {} places   one minor unit = {}\n", currency.code(), currency.name(),
               currency.minor_units(), Money::from_minor(1, currency));
  }
  const Currency credits = Currency::register_unit("CREDITS", 3, "Prepaid credits");
  fmt::print("  a registered unit: {} with {} places\n", Money::parse("12.345 CREDITS"), credits.minor_units());
}

void show_rounding() {
  fmt::print("\n== Rounding is always chosen, never implied\n");
  const Money subtotal = Money::parse("0.05 USD");
  const Decimal half = Decimal::parse("0.5");
  for (RoundingMode mode : billing::k_rounding_modes) {
    fmt::print("  0.05 USD x 0.5 by {:<9} = {}\n", billing::to_string(mode), subtotal.multiply(half, mode));
  }
  const Decimal per_call = Decimal::parse("0.00025");
  fmt::print("  1,234,567 calls at 0.00025 USD = {} exact, {} billed (HALF_EVEN)\n", per_call * 1'234'567,
             Money(per_call * 1'234'567, Currency("USD"), RoundingMode::half_even));
}

void show_allocation() {
  fmt::print("\n== Allocation never loses or creates a cent\n");
  const Money bill = Money::parse("100.00 USD");
  const auto thirds = bill.split(3);
  fmt::print("  100.00 USD split 3 ways     = {}, {}, {}\n", thirds[0], thirds[1], thirds[2]);
  const std::vector<std::uint64_t> ratios{50, 30, 20};
  const auto shares = Money::parse("0.05 USD").allocate(ratios);
  fmt::print("  0.05 USD as 50/30/20        = {}, {}, {}\n", shares[0], shares[1], shares[2]);
}

void show_errors() {
  fmt::print("\n== Mistakes are errors with a code and a field\n");
  const auto attempt = [](const char* what, auto&& action) {
    try {
      action();
      fmt::print("  {:<34} accepted?!\n", what);
    } catch (const billing::Error& e) {
      fmt::print("  {:<34} {} ({})\n", what, billing::to_string(e.code()), e.what());
    }
  };
  attempt("1.00 USD + 1.00 EUR", [] { (void)(Money::parse("1.00 USD") + Money::parse("1.00 EUR")); });
  attempt("12.345 USD without a rounding mode", [] { (void)Money::parse("12.345 USD"); });
  attempt("the largest amount + 0.01",
          [] { (void)(Money::from_minor(Money::k_max_minor, Currency("USD")) + Money::parse("0.01 USD")); });
  attempt("currency XYZ", [] { (void)Currency("XYZ"); });
}

}  // namespace

int main() {
  fmt::print("billing {} - money types at work\n\n", billing::k_version);
  show_exact_sums();
  show_places_per_currency();
  show_rounding();
  show_allocation();
  show_errors();
}
