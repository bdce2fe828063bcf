#include "billing/format.hpp"

#include <doctest/doctest.h>

#include <string_view>

using namespace billing;

namespace {
struct OrderTag {
  static constexpr std::string_view k_field = "order_id";
};
}  // namespace

TEST_CASE("each value type formats as its text, with a string's width, fill and alignment") {
  CHECK(fmt::format("{}", Decimal::parse("0.00025")) == "0.00025");
  CHECK(fmt::format("{:>8}", Decimal::parse("-1.5")) == "    -1.5");
  CHECK(fmt::format("[{:>5}]", Currency("EUR")) == "[  EUR]");
  CHECK(fmt::format("{:>12}", Money::parse("1.50 EUR")) == "    1.50 EUR");
  CHECK(fmt::format("{:*<10}", Money::parse("-5 JPY")) == "-5 JPY****");
  CHECK(fmt::format("{}", Timestamp::parse("2026-11-21T23:52:24.5+01:00")) == "2026-11-21T22:52:24.500000Z");
  CHECK(fmt::format("<{:^10}>", Id<OrderTag>("ord-1")) == "<  ord-1   >");
}

TEST_CASE("a formatted value is its to_string()") {
  const Money price = Money::parse("19.99 USD");
  CHECK(fmt::format("{}", price) == price.to_string());
  CHECK(fmt::format("{}", price.amount()) == price.amount().to_string());
  CHECK(fmt::format("{}", price.currency()) == price.currency().code());
  CHECK(fmt::format("{} costs {:>12}", Currency("USD"), price) == "USD costs    19.99 USD");
}
