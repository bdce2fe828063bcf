// Decimal::parse on any bytes. What it accepts prints (to_string) in plain notation with its own scale and
// parses back to the same value and scale; normalizing, negating and rounding to its own scale keep the
// value; the field named in a refusal is the one passed in.
#include <compare>
#include <optional>
#include <string>

#include "billing/decimal.hpp"
#include "harness.hpp"

using namespace billing;

BILLING_FUZZ_TARGET(decimal_parse) {
  const std::string_view text = fuzz::as_text(input);
  std::optional<Decimal> parsed;
  try {
    parsed = Decimal::parse(text, "fuzzed_field");
  } catch (const InvalidAmount& e) {
    BILLING_FUZZ_CHECK(e.field() == "fuzzed_field");
    return;
  } catch (const Error&) {
    return;  // Overflow: too many places or digits, as documented
  } catch (const std::exception& e) {
    fuzz::finding("an undocumented exception, " + fuzz::type_name(e), e.what());
  }

  const Decimal& value = *parsed;
  BILLING_FUZZ_CHECK(value.scale() >= 0 && value.scale() <= Decimal::k_max_scale);
  const std::string printed = value.to_string();
  BILLING_FUZZ_CHECK(printed.find_first_of("eE") == std::string::npos);
  const Decimal again = Decimal::parse(printed);  // parse refusing its own output would be a finding
  BILLING_FUZZ_CHECK(again == value);
  BILLING_FUZZ_CHECK(again.scale() == value.scale());
  BILLING_FUZZ_CHECK(again.to_string() == printed);
  BILLING_FUZZ_CHECK((again <=> value) == std::strong_ordering::equal);

  const Decimal normal = value.normalized();
  BILLING_FUZZ_CHECK(normal == value);
  BILLING_FUZZ_CHECK(normal.scale() <= value.scale());
  BILLING_FUZZ_CHECK(normal.hash() == value.hash());
  BILLING_FUZZ_CHECK(-(-value) == value);
  BILLING_FUZZ_CHECK(value.round(value.scale(), RoundingMode::half_even).to_string() == printed);
  BILLING_FUZZ_CHECK(value.sign() == (value > Decimal(0)) - (value < Decimal(0)));
  BILLING_FUZZ_CHECK(value.is_zero() == (value.sign() == 0));
}
