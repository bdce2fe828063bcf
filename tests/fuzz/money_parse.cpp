// Money::parse on any bytes. What it accepts prints (to_string) with exactly the currency's places and
// parses back to the same amount; where the amount's text is also a Decimal, the two agree.
#include <optional>
#include <string>

#include "billing/money.hpp"
#include "harness.hpp"

using namespace billing;

BILLING_FUZZ_TARGET(money_parse) {
  const std::string_view text = fuzz::as_text(input);
  std::optional<Money> parsed;
  if (!fuzz::completes([&] { parsed = Money::parse(text); })) return;

  const std::string printed = parsed->to_string();
  const Money again = Money::parse(printed);  // any exception here is a finding: parse refused its own output
  BILLING_FUZZ_CHECK(again == *parsed);
  BILLING_FUZZ_CHECK(again.to_string() == printed);
  BILLING_FUZZ_CHECK(parsed->amount().scale() == parsed->currency().minor_units());
  BILLING_FUZZ_CHECK(Money::from_minor(parsed->minor(), parsed->currency()) == *parsed);

  // "an amount, one space, a currency code"
  const std::size_t space = text.find(' ');
  BILLING_FUZZ_CHECK(space != std::string_view::npos);
  BILLING_FUZZ_CHECK(text.substr(space + 1) == parsed->currency().code());
  std::optional<Decimal> amount;
  if (fuzz::completes([&] { amount = Decimal::parse(text.substr(0, space)); })) {
    BILLING_FUZZ_CHECK(*amount == parsed->amount());
  }
}
