#include "billing/decimal.hpp"

#include <boost/multiprecision/cpp_int.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
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

// ------------------------------------------------------------------------------ against a reference
// Decimal takes native 64- and 128-bit paths where its values fit and 256- or 512-bit ones where they do
// not. Each operation is checked here against the same formula in Boost's unbounded cpp_int, on random
// operands of every size and scale, and on the values where the paths switch (2^63, 2^64, 2^127, 2^128 - 1,
// powers of ten).

namespace {

using Big = boost::multiprecision::cpp_int;
using Magnitude = Decimal::Coefficient::Magnitude;

Big big_of(Magnitude magnitude) {
  Big out = static_cast<std::uint64_t>(magnitude >> 64);
  out <<= 64;
  return out | static_cast<std::uint64_t>(magnitude);
}

Big big_of(const Decimal& value) {
  const Big magnitude = big_of(value.coefficient().magnitude());
  return value.coefficient().is_negative() ? Big(-magnitude) : magnitude;
}

const Big& big_max() {
  static const Big max = (Big(1) << 128) - 1;
  return max;
}

Big pow10(int n) { return boost::multiprecision::pow(Big(10), static_cast<unsigned>(n)); }

// The Decimal with coefficient `coefficient` and scale `scale`, or nullopt when the coefficient does not fit.
std::optional<Decimal> decimal_of(const Big& coefficient, int scale) {
  const Big magnitude = boost::multiprecision::abs(coefficient);
  if (magnitude > big_max()) return std::nullopt;
  const auto low = static_cast<std::uint64_t>(magnitude & Big(~std::uint64_t{0}));
  const auto high = static_cast<std::uint64_t>(magnitude >> 64);
  const auto c = Decimal::Coefficient::from_magnitude((Magnitude(high) << 64) | low, coefficient < 0);
  return Decimal::from_coefficient(c, scale);
}

// n / d rounded by `mode`, by the textbook definitions (the remainder doubled against the divisor).
Big rounded(const Big& n, const Big& d, RoundingMode mode) {
  Big q = n / d;  // toward zero
  const Big r = n - q * d;
  if (r == 0) return q;
  const bool negative = (n < 0) != (d < 0);
  const Big twice = boost::multiprecision::abs(r) * 2;
  const Big den = boost::multiprecision::abs(d);
  bool away = false;
  switch (mode) {
    case RoundingMode::up: away = true; break;
    case RoundingMode::down: away = false; break;
    case RoundingMode::ceiling: away = !negative; break;
    case RoundingMode::floor: away = negative; break;
    case RoundingMode::half_up: away = twice >= den; break;
    case RoundingMode::half_down: away = twice > den; break;
    case RoundingMode::half_even: away = twice > den || (twice == den && boost::multiprecision::bit_test(q, 0)); break;
  }
  return away ? q + (negative ? -1 : 1) : q;
}

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

// Operands of every size: 0 to 128 bits, an edge value now and then, any scale, either sign.
Decimal random_decimal(SplitMix64& random) {
  static const std::vector<Big> edges = [] {
    std::vector<Big> out{0, 1, 9, 10, big_max(), big_max() - 1, Big(1) << 127, (Big(1) << 127) - 1};
    for (int bits : {63, 64}) {
      for (int delta : {-1, 0, 1}) out.push_back((Big(1) << bits) + delta);
    }
    for (int n : {18, 19, 20, 37, 38}) {
      out.push_back(pow10(n));
      out.push_back(pow10(n) - 1);
    }
    return out;
  }();
  Big magnitude;
  if (random.below(8) == 0) {
    magnitude = edges[static_cast<std::size_t>(random.below(static_cast<int>(edges.size())))];
  } else {
    magnitude = (Big(random.next()) << 64) | random.next();
    magnitude >>= random.below(129);
  }
  const int scale = random.below(4) == 0 ? random.below(31) : random.below(7);
  return *decimal_of(random.below(2) == 0 ? magnitude : Big(-magnitude), scale);
}

template <class F>
std::optional<Decimal> unless_overflow(F&& compute) {
  try {
    return compute();
  } catch (const billing::Overflow&) {
    return std::nullopt;
  }
}

void check_same(const std::optional<Decimal>& got, const std::optional<Decimal>& expected) {
  REQUIRE(got.has_value() == expected.has_value());
  if (got) {
    CHECK(got->to_string() == expected->to_string());  // value and scale
    CHECK(got->scale() == expected->scale());
  }
}

}  // namespace

TEST_CASE("arithmetic, comparison and text agree with unbounded integers, on every path") {
  SplitMix64 random{20261201};
  for (int i = 0; i < 20'000; ++i) {
    const Decimal a = random_decimal(random);
    const Decimal b = random_decimal(random);
    const auto mode = billing::k_rounding_modes[random.below(7)];
    const int places = random.below(31);
    CAPTURE(a.to_string());
    CAPTURE(b.to_string());
    CAPTURE(places);
    CAPTURE(billing::to_string(mode));
    const int scale = std::max(a.scale(), b.scale());
    const Big a_aligned = big_of(a) * pow10(scale - a.scale());
    const Big b_aligned = big_of(b) * pow10(scale - b.scale());

    check_same(unless_overflow([&] { return a + b; }), decimal_of(a_aligned + b_aligned, scale));
    check_same(unless_overflow([&] { return a - b; }), decimal_of(a_aligned - b_aligned, scale));
    const auto order = a <=> b;
    CHECK((order < 0) == (a_aligned < b_aligned));
    CHECK((order == 0) == (a_aligned == b_aligned));
    CHECK((a == b) == (a_aligned == b_aligned));

    Big product = big_of(a) * big_of(b);
    int product_scale = a.scale() + b.scale();
    while (product_scale > Decimal::k_max_scale && product != 0 && product % 10 == 0) {
      product /= 10;
      --product_scale;
    }
    check_same(unless_overflow([&] { return a * b; }),
               product_scale > Decimal::k_max_scale ? std::nullopt : decimal_of(product, product_scale));

    const Big exact_product = big_of(a) * big_of(b);
    const int exact_scale = a.scale() + b.scale();
    check_same(unless_overflow([&] { return billing::multiply(a, b, places, mode); }),
               decimal_of(places >= exact_scale ? Big(exact_product * pow10(places - exact_scale))
                                                : rounded(exact_product, pow10(exact_scale - places), mode),
                          places));

    check_same(unless_overflow([&] { return a.round(places, mode); }),
               decimal_of(places >= a.scale() ? Big(big_of(a) * pow10(places - a.scale()))
                                              : rounded(big_of(a), pow10(a.scale() - places), mode),
                          places));

    if (!b.is_zero()) {
      const int shift = places + b.scale() - a.scale();
      const Big numerator = shift >= 0 ? Big(big_of(a) * pow10(shift)) : big_of(a);
      const Big denominator = shift >= 0 ? big_of(b) : Big(big_of(b) * pow10(-shift));
      check_same(unless_overflow([&] { return billing::divide(a, b, places, mode); }),
                 decimal_of(rounded(numerator, denominator, mode), places));
    }

    // Text: the digits of the coefficient with the point placed by the scale, and back.
    std::string digits = Big(boost::multiprecision::abs(big_of(a))).str();
    if (digits.size() <= static_cast<std::size_t>(a.scale())) {
      digits.insert(0, static_cast<std::size_t>(a.scale()) + 1 - digits.size(), '0');
    }
    if (a.scale() > 0) digits.insert(digits.size() - static_cast<std::size_t>(a.scale()), ".");
    const std::string text = (a.sign() < 0 ? "-" : "") + digits;
    CHECK(a.to_string() == text);
    check_same(Decimal::parse(text), a);
    CHECK(a.normalized() == a);
    CHECK(a.normalized().hash() == a.hash());
  }
}

TEST_CASE("a sum whose aligned operand passes 2^128 is exact when the other side takes it back") {
  const Decimal big = Decimal::parse("40000000000000000000000000000000000000");  // 4e37: 4e38 at one place
  const Decimal back = Decimal::parse("-10000000000000000000000000000000000000.0");
  CHECK((big + back).to_string() == "30000000000000000000000000000000000000.0");
  CHECK_THROWS_AS((void)(big + Decimal::parse("0.1")), billing::Overflow);
  // Compared at one place, `big` passes 2^128 and the other side does not: `big` is the larger magnitude.
  CHECK(big > Decimal::parse("3999999999999999999999999999999999999.9"));
  CHECK(-big < Decimal::parse("-3999999999999999999999999999999999999.9"));
  CHECK(-big < Decimal::parse("-0.000000000000000000000000000001"));
}
