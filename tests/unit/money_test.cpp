#include "billing/money.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "alloc_counter.hpp"

using billing::Currency;
using billing::Decimal;
using billing::Money;
using billing::RoundingMode;

namespace {
Money m(const char* text) { return Money::parse(text); }
const Currency usd("USD");
}  // namespace

TEST_CASE("an amount is held in the currency's minor units") {
  CHECK(m("12.34 USD").minor() == 1234);
  CHECK(m("1234 JPY").minor() == 1234);
  CHECK(m("1.234 BHD").minor() == 1234);
  CHECK(m("0.1234 CLF").minor() == 1234);
  CHECK(m("12.3 USD").minor() == 1230);
  CHECK(m("12.340 USD").minor() == 1234);  // trailing zeros are not extra places
  CHECK(m("0.000 USD") == Money::zero(Currency("USD")));  // nor are a zero's (it once kept its places)
  CHECK(m("-0.0000 JPY").is_zero());
  CHECK(Money::from_minor(-5, usd).amount().to_string() == "-0.05");
}

TEST_CASE("more places than the currency allows is InvalidAmount, unless a rounding mode is given") {
  for (const char* bad : {"12.345 USD", "1.5 JPY", "0.0001 BHD", "0.00001 CLF"}) {
    CAPTURE(bad);
    try {
      (void)m(bad);
      FAIL("accepted");
    } catch (const billing::InvalidAmount& e) {
      CHECK(e.field() == "amount");
    }
  }
  CHECK(Money(Decimal::parse("12.345"), usd, RoundingMode::half_even).minor() == 1234);
  CHECK(Money(Decimal::parse("12.345"), usd, RoundingMode::half_up).minor() == 1235);
  CHECK(Money(Decimal::parse("-12.345"), usd, RoundingMode::floor).minor() == -1235);
  CHECK(Money(Decimal::parse("2.5"), Currency("JPY"), RoundingMode::half_even).minor() == 2);
  CHECK(Money(Decimal::parse("1"), usd, RoundingMode::half_even).minor() == 100);
}

TEST_CASE("text parses as '<amount> <code>' and prints back with the currency's places") {
  CHECK(m("12.34 USD").to_string() == "12.34 USD");
  CHECK(m("12.3 USD").to_string() == "12.30 USD");
  CHECK(m("-5 USD").to_string() == "-5.00 USD");
  CHECK(m("1234 JPY").to_string() == "1234 JPY");
  CHECK(m("0.125 BHD").to_string() == "0.125 BHD");
  CHECK(m("1 UYW").to_string() == "1.0000 UYW");
  for (const char* bad : {"12.34USD", "12.34  USD", "USD 12.34", "", " 12.34 USD", "12.34 USD "}) {
    CAPTURE(bad);
    CHECK_THROWS_AS((void)m(bad), billing::Error);
  }
  CHECK_THROWS_AS((void)m("12.34 XYZ"), billing::UnknownCurrency);
}

TEST_CASE("sums and differences stay within one currency") {
  CHECK(m("12.34 USD") + m("0.66 USD") == m("13.00 USD"));
  CHECK(m("1.00 USD") - m("2.50 USD") == m("-1.50 USD"));
  CHECK_THROWS_AS((void)(m("1.00 USD") + m("1.00 EUR")), billing::CurrencyMismatch);
  CHECK_THROWS_AS((void)(m("1.00 USD") - m("1.00 EUR")), billing::CurrencyMismatch);
  Money total = Money::zero(usd);
  total += m("0.10 USD");
  total -= m("0.30 USD");
  CHECK(total == m("-0.20 USD"));
}

TEST_CASE("comparison works within one currency; equality across currencies is simply false") {
  CHECK(m("1.00 USD") < m("1.01 USD"));
  CHECK(m("-1.00 USD") < m("0.00 USD"));
  CHECK(m("1.00 USD") != m("1.00 EUR"));
  CHECK(m("100 JPY") != m("1.00 USD"));
  CHECK_THROWS_AS((void)(m("1.00 USD") < m("2.00 EUR")), billing::CurrencyMismatch);
  CHECK(-m("1.25 USD") == m("-1.25 USD"));
  CHECK(abs(m("-1.25 USD")) == m("1.25 USD"));
}

TEST_CASE("overflow at the documented limits is an error, never a wrap") {
  const Money max = Money::from_minor(Money::k_max_minor, usd);
  const Money min = Money::from_minor(Money::k_min_minor, usd);
  CHECK(max.to_string() == "92233720368547758.07 USD");
  CHECK(-max == min);
  CHECK(abs(min) == max);
  const Money cent = Money::from_minor(1, usd);
  CHECK_THROWS_AS((void)(max + cent), billing::Overflow);
  CHECK_THROWS_AS((void)(min - cent), billing::Overflow);
  CHECK_THROWS_AS((void)(max.multiply(2)), billing::Overflow);
  CHECK_THROWS_AS((void)(max.multiply(Decimal::parse("1.01"))), billing::Overflow);
  CHECK_THROWS_AS((void)Money::from_minor(std::numeric_limits<std::int64_t>::min(), usd), billing::Overflow);
  CHECK_THROWS_AS((void)m("92233720368547758.08 USD"), billing::Overflow);
  CHECK(m("92233720368547758.07 USD") == max);
  CHECK(m("-922337203685477.5807 CLF").minor() == Money::k_min_minor);
}

TEST_CASE("multiplying by a Decimal rounds once, half-even by default") {
  CHECK(m("10.00 USD").multiply(Decimal::parse("0.075")) == m("0.75 USD"));
  CHECK(m("0.05 USD").multiply(Decimal::parse("0.5")) == m("0.02 USD"));  // 0.025 -> even
  CHECK(m("0.05 USD").multiply(Decimal::parse("0.5"), RoundingMode::half_up) == m("0.03 USD"));
  CHECK(m("-0.05 USD").multiply(Decimal::parse("0.5"), RoundingMode::floor) == m("-0.03 USD"));
  CHECK(m("19.99 USD").multiply(3) == m("59.97 USD"));
  CHECK(m("100 JPY").multiply(Decimal::parse("0.333")) == m("33 JPY"));
  CHECK(m("1.00 USD").multiply(Decimal::parse("0.000000000000000000000000000001"), RoundingMode::up) == m("0.01 USD"));
  // A factor whose coefficient passes 2^63 takes the multiprecision path, with the same rule.
  CHECK(m("0.01 USD").multiply(Decimal::parse("1234567890.123456789012")) == m("12345678.90 USD"));
  CHECK(m("0.01 USD").multiply(Decimal::parse("1234567890.125000000000"), RoundingMode::half_even) ==
        m("12345678.90 USD"));
  CHECK(m("0.01 USD").multiply(Decimal::parse("0.1234567890123456789012345")) == m("0.00 USD"));
  CHECK(m("0.05 USD").multiply(Decimal::parse("0.1234567890123456789012345"), RoundingMode::up) == m("0.01 USD"));
}

TEST_CASE("allocation never loses or creates a minor unit") {
  const std::vector<std::uint64_t> thirds{1, 1, 1};
  const auto shares = m("1.00 USD").allocate(thirds);
  CHECK(shares == std::vector<Money>{m("0.34 USD"), m("0.33 USD"), m("0.33 USD")});
  CHECK(m("0.05 USD").allocate(std::vector<std::uint64_t>{3, 7}) == std::vector<Money>{m("0.02 USD"), m("0.03 USD")});
  CHECK(m("-1.00 USD").split(3) == std::vector<Money>{m("-0.34 USD"), m("-0.33 USD"), m("-0.33 USD")});
  CHECK(m("5 JPY").allocate(std::vector<std::uint64_t>{0, 1}) == std::vector<Money>{m("0 JPY"), m("5 JPY")});
  const std::vector<Decimal> percent{Decimal::parse("33.3"), Decimal::parse("66.7")};
  CHECK(m("10.00 USD").allocate(percent) == std::vector<Money>{m("3.33 USD"), m("6.67 USD")});

  std::mt19937_64 random(20261121);
  for (int round = 0; round < 2'000; ++round) {
    const auto minor = static_cast<std::int64_t>(random() >> 1) >> (random() % 63);
    const Money whole = Money::from_minor(round % 2 ? -minor : minor, usd);
    std::vector<std::uint64_t> ratios(1 + random() % 12);
    for (auto& r : ratios) r = random() >> (random() % 64);
    if (std::accumulate(ratios.begin(), ratios.end(), 0.0L) == 0) ratios[0] = 1;
    const auto parts = whole.allocate(ratios);
    REQUIRE(parts.size() == ratios.size());
    Money sum = Money::zero(usd);
    for (const Money& part : parts) {
      CHECK((part.sign() * whole.sign()) >= 0);
      sum += part;
    }
    REQUIRE(sum == whole);
  }
  const Money max = Money::from_minor(Money::k_max_minor, usd);
  const auto max_parts = max.split(7);
  CHECK(std::accumulate(max_parts.begin() + 1, max_parts.end(), max_parts[0]) == max);
}

TEST_CASE("bad allocation ratios are InvalidArgument naming the field") {
  const auto field_of = [](auto&& call) {
    try {
      call();
    } catch (const billing::InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of([] { (void)m("1.00 USD").allocate(std::vector<std::uint64_t>{}); }) == "ratios");
  CHECK(field_of([] { (void)m("1.00 USD").allocate(std::vector<std::uint64_t>{0, 0}); }) == "ratios");
  CHECK(field_of([] { (void)m("1.00 USD").allocate(std::vector<Decimal>{Decimal(-1), Decimal(2)}); }) == "ratios");
  CHECK(field_of([] { (void)m("1.00 USD").split(0); }) == "parts");
}

TEST_CASE("a split or an allocation beyond 10,000 shares is refused before any work") {
  const Money dollar = Money::parse("1.00 USD");
  const auto field_of = [](auto&& call) {
    try {
      (void)call();
    } catch (const billing::InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(dollar.split(Money::k_max_parts).size() == Money::k_max_parts);
  CHECK(field_of([&] { return dollar.split(Money::k_max_parts + 1); }) == "parts");
  // Before any work: a count that no memory could hold is refused at once, not attempted.
  CHECK(field_of([&] { return dollar.split(std::numeric_limits<std::size_t>::max()); }) == "parts");
  const std::vector<std::uint64_t> ratios(Money::k_max_parts + 1, 1);
  CHECK(field_of([&] { return dollar.allocate(ratios); }) == "ratios");
  const std::vector<Decimal> decimal_ratios(Money::k_max_parts + 1, Decimal(1));
  CHECK(field_of([&] { return dollar.allocate(decimal_ratios); }) == "ratios");
}

TEST_CASE("text longer than any amount is refused before it is read, and never quoted") {
  const std::string digits(100'000, '1');
  try {
    (void)Money::parse(digits + " USD");
    FAIL("accepted");
  } catch (const billing::InvalidAmount& e) {
    CHECK(e.field() == "money");
    CHECK(std::string(e.what()).size() < 200);
  }
  CHECK_THROWS_AS((void)Decimal::parse(digits), billing::InvalidAmount);
  CHECK(Decimal::parse(std::string(100, '0') + "1.5").to_string() == "1.5");
}

TEST_CASE("adding Money makes no heap allocation") {
  const Money a = m("12.34 USD");
  const Money b = m("0.66 USD");
  const std::size_t before = billing::test::allocations_on_this_thread();
  Money sum = a + b;
  sum = sum - b + a;
  const std::size_t after = billing::test::allocations_on_this_thread();
  CHECK(after == before);
  CHECK(sum == m("24.68 USD"));
}
