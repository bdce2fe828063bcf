// Pricing a month of an API's usage: graduated tiers for the calls, a package price for the storage, a
// percentage fee on the payments it took, and the invoice lines each charge shows. Everything is exact, and
// each line rounds once. Run: build/examples/cpp/pricing_tour
#include <billing/billing.hpp>

#include <fmt/format.h>

#include <string>

using billing::Charge;
using billing::ChargeLine;
using billing::Currency;
using billing::Decimal;
using billing::Money;
using billing::Price;
using billing::Tier;

namespace {

const Currency usd("USD");

Money usd_amount(const char* amount) { return Money(Decimal::parse(amount), usd); }

// What a line is, as an invoice would label it.
std::string label(const ChargeLine& line) {
  switch (line.kind) {
    case billing::LineKind::tier:
      return line.up_to ? fmt::format("calls above {} up to {}", line.start, *line.up_to)
                        : fmt::format("calls above {}", line.start);
    case billing::LineKind::free_units: return "free GB-months";
    case billing::LineKind::packages: return "packages of 10 GB-months";
    case billing::LineKind::percentage: return "of payments taken";
    case billing::LineKind::transaction_minimum: return "raised to the minimum fee";
    case billing::LineKind::transaction_maximum: return "lowered to the maximum fee";
    case billing::LineKind::minimum_true_up: return "true-up to the monthly minimum";
    default: return std::string(billing::to_string(line.kind));
  }
}

void print_charge(const char* what, const Charge& charge) {
  fmt::print("{}\n", what);
  for (const ChargeLine& line : charge.lines) {
    const std::string fee = line.flat_fee.is_zero() ? "" : fmt::format(" + {}", line.flat_fee);
    fmt::print("  {:<32} {:>14} x {:<8}{:<8} = {:>12}\n", label(line), line.quantity, line.unit_price, fee,
               line.amount);
  }
  fmt::print("  {:<68} {:>12}\n", "total", charge.amount);
}

}  // namespace

int main() {
  // Calls: the first 10,000 free, then cheaper by volume, with a platform fee once the paid tiers start, and
  // a monthly minimum of 25 USD.
  const Price calls =
      Price::graduated({Tier{.up_to = Decimal(10'000), .unit_price = Decimal(0)},
                        Tier{.up_to = Decimal(100'000), .unit_price = Decimal::parse("0.0005"), .flat_fee = Decimal(5)},
                        Tier{.up_to = Decimal(1'000'000), .unit_price = Decimal::parse("0.0004")},
                        Tier{.unit_price = Decimal::parse("0.00025")}},
                       usd)
          .with_minimum(usd_amount("25"));
  // Storage: 1.50 USD for each started 10 GB-months, the first 5 free; usage is fractional.
  const Price storage = Price::package(Decimal(10), usd_amount("1.50"), {.free_units = Decimal(5)});
  // Payments: 2.9% + 0.30 USD a transaction (Stripe's online card rate), at least 0.50 and at most 15 USD.
  const Price payments = Price::percentage(
      Decimal::parse("0.029"), usd,
      {.fixed_fee = usd_amount("0.30"), .minimum = usd_amount("0.50"), .maximum = usd_amount("15")});

  const Charge month_calls = calls.charge(Decimal(1'234'567));
  const Charge month_storage = storage.charge(Decimal::parse("42.75"));
  print_charge("API calls, 1,234,567 in the month", month_calls);
  print_charge("\nStorage, 42.75 GB-months", month_storage);

  Money fees = Money::zero(usd);
  fmt::print("\nPayment fees, per transaction\n");
  for (const char* amount : {"8.00", "120.00", "2500.00"}) {
    const Charge fee = payments.charge(Decimal::parse(amount));
    fmt::print("  {:>9} USD -> {:>10}  ({} line{})\n", amount, fee.amount, fee.lines.size(),
               fee.lines.size() == 1 ? "" : "s");
    fees += fee.amount;
  }

  const Money total = month_calls.amount + month_storage.amount + fees;
  fmt::print("\nThe month: {} calls + {} storage + {} fees = {}\n", month_calls.amount, month_storage.amount, fees,
             total);

  // A quiet month: 3,000 calls are free, so the minimum's true-up is the whole charge.
  print_charge("\nA quiet month, 3,000 calls", calls.charge(Decimal(3'000)));

  // Mistakes are refused when the price is made, naming the field.
  try {
    (void)Price::graduated({Tier{.up_to = Decimal(100), .unit_price = Decimal(1)},
                            Tier{.up_to = Decimal(100), .unit_price = Decimal(2)}, Tier{.unit_price = Decimal(3)}},
                           usd);
  } catch (const billing::InvalidArgument& error) {
    fmt::print("\nrefused: field {} ({})\n", error.field(), error.what());
  }
  return 0;
}
