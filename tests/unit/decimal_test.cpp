#include "billing/decimal.hpp"

#include <doctest/doctest.h>

#include <type_traits>
#include <unordered_set>
#include <vector>

#include "billing/error.hpp"

using billing::Decimal;
using billing::RoundingMode;

namespace {
Decimal d(const char* text) { return Decimal::parse(text); }
}  // namespace

TEST_CASE("a Decimal has no constructor from floating point") {
  static_assert(!std::is_constructible_v<Decimal, double>);
  static_assert(!std::is_constructible_v<Decimal, float>);
  static_assert(!std::is_constructible_v<Decimal, long double>);
  static_assert(!std::is_convertible_v<bool, Decimal>);
  static_assert(std::is_convertible_v<int, Decimal>);
}

TEST_CASE("text parses and prints back exactly, keeping its places") {
  for (const char* text : {"0", "12.34", "12.340", "-0.05", "100", "0.000000000001", "-7",
                           "123456789012345678.123456789012", "0.000000000000000000000000000001"}) {
    CAPTURE(text);
    CHECK(d(text).to_string() == text);
  }
  CHECK(d("+7").to_string() == "7");
  CHECK(d(".5").to_string() == "0.5");
  CHECK(d("1E-7").to_string() == "0.0000001");
  CHECK(d("2.5e3").to_string() == "2500");
  CHECK(d("1.50E+1").to_string() == "15.0");
  CHECK(d("-0").is_zero());
}

TEST_CASE("at least 18 integer digits and 12 places, and 38 significant digits in all") {
  const Decimal big = d("999999999999999999.999999999999");
  CHECK((big + big).to_string() == "1999999999999999999.999999999998");
  CHECK(d("99999999999999999999999999999999999999").to_string().size() == 38);
  CHECK_THROWS_AS((void)d("999999999999999999999999999999999999999999"), billing::Overflow);
  // Found by the fuzzer: 121 digits times 10^51 passed the wide coefficient and escaped as Boost's error.
  CHECK_THROWS_AS((void)d((std::string(121, '9') + "E51").c_str()), billing::Overflow);
}

TEST_CASE("text that is not a number is InvalidAmount naming the field") {
  for (const char* bad : {"", "-", ".", "abc", "1.2.3", "1e", "1e+", " 1", "1 ", "NaN", "Infinity", "1,5", "0x10",
                          "1e99999", "1_000", "5.", "-5.", "5.e3"}) {
    CAPTURE(bad);
    try {
      (void)Decimal::parse(bad, "unit_price");
      FAIL("accepted");
    } catch (const billing::InvalidAmount& e) {
      CHECK(e.field() == "unit_price");
    }
  }
}

TEST_CASE("more than 30 places is rejected unless the extra places are zeros") {
  CHECK_THROWS_AS((void)d("0.0000000000000000000000000000001"), billing::InvalidAmount);
  CHECK(d("1.00000000000000000000000000000000000").scale() == 30);
  CHECK_THROWS_AS((void)Decimal::from_coefficient(1, 31), billing::InvalidArgument);
  CHECK_THROWS_AS((void)Decimal::from_coefficient(1, -1), billing::InvalidArgument);
}

TEST_CASE("addition, subtraction and multiplication are exact") {
  CHECK(d("0.1") + d("0.2") == d("0.3"));
  CHECK((d("0.1") + d("0.2")).to_string() == "0.3");
  CHECK((d("1.25") - d("2")).to_string() == "-0.75");
  CHECK((d("0.00025") * 1200).to_string() == "0.30000");
  CHECK((d("-1.5") * d("-1.5")).to_string() == "2.25");
  Decimal total;
  for (int i = 0; i < 10; ++i) total += d("0.1");
  CHECK(total == 1);
}

TEST_CASE("overflow is an error, never a wrap") {
  const Decimal max = Decimal::from_coefficient(Decimal::max_coefficient(), 0);
  CHECK_THROWS_AS((void)(max + 1), billing::Overflow);
  CHECK_THROWS_AS((void)(-max - 1), billing::Overflow);
  CHECK_THROWS_AS((void)(max * 2), billing::Overflow);
  CHECK_THROWS_AS((void)max.round(1, RoundingMode::half_even), billing::Overflow);
  CHECK((max - 1 + 1) == max);
}

TEST_CASE("a product needing more than 30 places throws; the rounded form rounds once") {
  const Decimal tiny = d("0.0000000000000001");  // 16 places
  CHECK_THROWS_AS((void)(tiny * tiny), billing::Overflow);
  CHECK(billing::multiply(tiny, tiny, 30, RoundingMode::half_even).is_zero());
  CHECK(billing::multiply(tiny, tiny, 30, RoundingMode::up).to_string() == "0.000000000000000000000000000001");
  CHECK(billing::multiply(d("2.675"), d("1"), 2, RoundingMode::half_even).to_string() == "2.68");
  CHECK(billing::multiply(d("1.005"), d("3"), 2, RoundingMode::half_even).to_string() == "3.02");
  CHECK(billing::multiply(d("0.5"), d("1"), 3, RoundingMode::down).to_string() == "0.500");
}

TEST_CASE("division needs places and a mode, and rounds once") {
  CHECK(billing::divide(10, 3, 4, RoundingMode::half_even).to_string() == "3.3333");
  CHECK(billing::divide(2, 3, 4, RoundingMode::half_even).to_string() == "0.6667");
  CHECK(billing::divide(-2, 3, 4, RoundingMode::down).to_string() == "-0.6666");
  CHECK(billing::divide(-2, 3, 4, RoundingMode::floor).to_string() == "-0.6667");
  CHECK(billing::divide(d("1"), d("0.0001"), 0, RoundingMode::half_even).to_string() == "10000");
  CHECK(billing::divide(d("0.125"), 1, 2, RoundingMode::half_even).to_string() == "0.12");
  CHECK(billing::divide(d("0.135"), 1, 2, RoundingMode::half_even).to_string() == "0.14");
  CHECK_THROWS_AS((void)billing::divide(1, 0, 2, RoundingMode::half_even), billing::DivisionByZero);
  CHECK_THROWS_AS((void)billing::divide(1, 3, 31, RoundingMode::half_even), billing::InvalidArgument);
}

TEST_CASE("every rounding mode on ties, near-ties and negatives") {
  struct Row {
    const char* value;
    const char* half_even;
    const char* half_up;
    const char* half_down;
    const char* up;
    const char* down;
    const char* ceiling;
    const char* floor;
  };
  const Row rows[] = {
      {"2.5", "2", "3", "2", "3", "2", "3", "2"},     {"-2.5", "-2", "-3", "-2", "-3", "-2", "-2", "-3"},
      {"3.5", "4", "4", "3", "4", "3", "4", "3"},     {"-3.5", "-4", "-4", "-3", "-4", "-3", "-3", "-4"},
      {"2.4", "2", "2", "2", "3", "2", "3", "2"},     {"-2.4", "-2", "-2", "-2", "-3", "-2", "-2", "-3"},
      {"2.6", "3", "3", "3", "3", "2", "3", "2"},     {"-2.6", "-3", "-3", "-3", "-3", "-2", "-2", "-3"},
      {"0.5", "0", "1", "0", "1", "0", "1", "0"},     {"-0.5", "0", "-1", "0", "-1", "0", "0", "-1"},
      {"2.50001", "3", "3", "3", "3", "2", "3", "2"}, {"-2.49999", "-2", "-2", "-2", "-3", "-2", "-2", "-3"},
      {"7", "7", "7", "7", "7", "7", "7", "7"},       {"-7.000", "-7", "-7", "-7", "-7", "-7", "-7", "-7"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.value);
    const Decimal value = d(row.value);
    CHECK(value.round(0, RoundingMode::half_even) == d(row.half_even));
    CHECK(value.round(0, RoundingMode::half_up) == d(row.half_up));
    CHECK(value.round(0, RoundingMode::half_down) == d(row.half_down));
    CHECK(value.round(0, RoundingMode::up) == d(row.up));
    CHECK(value.round(0, RoundingMode::down) == d(row.down));
    CHECK(value.round(0, RoundingMode::ceiling) == d(row.ceiling));
    CHECK(value.round(0, RoundingMode::floor) == d(row.floor));
  }
}

TEST_CASE("rounding to more places is exact and keeps the new scale") {
  CHECK(d("1.5").round(3, RoundingMode::down).to_string() == "1.500");
  CHECK(d("1.2345").round(2, RoundingMode::half_up).to_string() == "1.23");
  CHECK(d("1.235").round(2, RoundingMode::half_up).to_string() == "1.24");
  CHECK(d("1.245").round(2, RoundingMode::half_even).to_string() == "1.24");
}

TEST_CASE("comparison and hashing see values, not scales") {
  CHECK(d("1.5") == d("1.50"));
  CHECK(d("1.5").hash() == d("1.500").hash());
  CHECK(d("1.5") < d("1.51"));
  CHECK(d("-1.5") < d("-1.49"));
  CHECK(d("100") > d("99.999999999999"));
  std::unordered_set<Decimal> set{d("1.5"), d("1.50"), d("2")};
  CHECK(set.size() == 2);
  CHECK(d("12.3400").normalized().to_string() == "12.34");
  CHECK(d("1200").normalized().to_string() == "1200");
}

TEST_CASE("equal values hash equal across scales, zero and its negative forms included") {
  const std::vector<std::vector<const char*>> classes = {
      {"0", "0.0", "0.00", "0.000000000000000000000000000000", "-0", "-0.00", "+0.0", "0E+5", "-0E-30"},
      {"1", "1.0", "1.00", "1.000000000000000000000000000000", "+1.0"},
      {"-1", "-1.0", "-1.000"},
      {"12.34", "12.340", "1234E-2", "0.1234e2"},
      {"100", "100.00", "1E2", "1.0E+2"},
  };
  for (const auto& texts : classes) {
    const Decimal first = d(texts.front());
    for (const char* text : texts) {
      CAPTURE(text);
      CHECK(d(text) == first);
      CHECK(d(text).hash() == first.hash());
      CHECK(std::hash<Decimal>{}(d(text)) == std::hash<Decimal>{}(first));
      CHECK(d(text).normalized().to_string() == first.normalized().to_string());
    }
  }
  const Decimal zero_places = d("0.00");
  CHECK((-zero_places).hash() == Decimal().hash());
  CHECK((zero_places * d("-1.5")).hash() == Decimal().hash());
  CHECK((d("1.25") - d("1.250")).hash() == Decimal().hash());
  CHECK(d("0.000").normalized().scale() == 0);
  CHECK(d("-0.00").to_string() == "0.00");  // a zero has no sign, whatever its text
  std::unordered_set<Decimal> set{d("0"), d("0.00"), d("-0.0"), d("1"), d("1.00")};
  CHECK(set.size() == 2);
}

TEST_CASE("abs, negation and sign") {
  CHECK(abs(d("-3.25")).to_string() == "3.25");
  CHECK((-d("3.25")).to_string() == "-3.25");
  CHECK(d("-0.01").sign() == -1);
  CHECK(d("0.00").sign() == 0);
}

TEST_CASE("fmt formats a Decimal as its text") {
  CHECK(fmt::format("{}", d("0.00025")) == "0.00025");
  CHECK(fmt::format("{:>8}", d("-1.5")) == "    -1.5");
}
