#include "billing/currency.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "billing/error.hpp"

using billing::Currency;

TEST_CASE("the ISO 4217 table holds every active currency with its places") {
  const std::set<std::string> zero = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                                      "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  const std::set<std::string> three = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  const std::set<std::string> four = {"CLF", "UYW"};
  int iso = 0;
  for (Currency c : billing::currencies()) {
    if (!c.is_iso()) continue;
    ++iso;
    const std::string code(c.code());
    CAPTURE(code);
    const int expected = zero.count(code) ? 0 : three.count(code) ? 3 : four.count(code) ? 4 : 2;
    CHECK(c.minor_units() == expected);
    CHECK(c.numeric() > 0);
    CHECK(c.numeric() < 1000);
    CHECK_FALSE(c.name().empty());
  }
  CHECK(iso == 165);  // List One, amendment 180, without the 13 codes whose minor unit is N.A.
}

TEST_CASE("codes and numeric codes are unique, and the list is sorted") {
  std::set<int> numerics;
  std::string previous;
  for (Currency c : billing::currencies()) {
    if (!c.is_iso()) continue;
    CHECK(numerics.insert(c.numeric()).second);
    CHECK(previous < std::string(c.code()));
    previous = std::string(c.code());
  }
}

TEST_CASE("well-known currencies carry their ISO numbers and names") {
  CHECK(Currency("USD").numeric() == 840);
  CHECK(Currency("USD").name() == "US Dollar");
  CHECK(Currency("EUR").numeric() == 978);
  CHECK(Currency("JPY").numeric() == 392);
  CHECK(Currency("ALL").numeric() == 8);
  CHECK(Currency("XCG").minor_units() == 2);       // the Caribbean guilder, in since 2025
  CHECK_FALSE(Currency::find("BGN").has_value());  // withdrawn when Bulgaria joined the euro
  CHECK_FALSE(Currency::find("XAU").has_value());  // gold has no minor unit
}

TEST_CASE("an unknown code is an UnknownCurrency error naming the currency field") {
  for (const char* bad : {"XYZ", "usd", "", "US", "USDX"}) {
    CAPTURE(bad);
    try {
      (void)Currency(bad);
      FAIL("accepted");
    } catch (const billing::UnknownCurrency& e) {
      CHECK(e.field() == "currency");
    }
  }
}

TEST_CASE("a host registers its own unit once, with its places") {
  const Currency credits = Currency::register_unit("TEST_CREDITS", 3, "Prepaid credits");
  CHECK(credits.code() == "TEST_CREDITS");
  CHECK(credits.minor_units() == 3);
  CHECK(credits.numeric() == 0);
  CHECK_FALSE(credits.is_iso());
  CHECK(Currency("TEST_CREDITS") == credits);
  CHECK(Currency::register_unit("TEST_CREDITS", 3, "Prepaid credits") == credits);
  const auto all = billing::currencies();
  CHECK(std::count(all.begin(), all.end(), credits) == 1);
  CHECK(Currency::register_unit("TEST_CALLS", 0, "API calls").minor_units() == 0);
  CHECK(Currency::register_unit("TEST_MICRO", 18, "Finest unit").minor_units() == 18);
}

TEST_CASE("registration rejects a clash, a bad code and impossible places, naming the field") {
  (void)Currency::register_unit("TEST_TOKENS", 2, "Tokens");
  const auto field_of = [](auto&& call) {
    try {
      call();
    } catch (const billing::InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of([] { (void)Currency::register_unit("TEST_TOKENS", 4, "Tokens"); }) == "code");
  CHECK(field_of([] { (void)Currency::register_unit("TEST_TOKENS", 2, "Other"); }) == "code");
  CHECK(field_of([] { (void)Currency::register_unit("USD", 2, "Mine"); }) == "code");
  CHECK(field_of([] { (void)Currency::register_unit("x", 2, "Lower"); }) == "code");
  CHECK(field_of([] { (void)Currency::register_unit("9LIVES", 2, "Digit first"); }) == "code");
  CHECK(field_of([] { (void)Currency::register_unit("TEST_DEEP", 19, "Too fine"); }) == "minor_units");
  CHECK(field_of([] { (void)Currency::register_unit("TEST_NEG", -1, "Negative"); }) == "minor_units");
  CHECK(field_of([] { (void)Currency::register_unit("TEST_NONAME", 2, ""); }) == "name");
  CHECK_FALSE(Currency::find("TEST_DEEP").has_value());
}

TEST_CASE("a unit's name is 1 to 64 bytes of visible UTF-8, and a refused unit is not registered") {
  const auto field_of = [](const char* code, std::string name) {
    try {
      (void)Currency::register_unit(code, 2, name);
    } catch (const billing::InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of("TEST_LONG", std::string(65, 'n')) == "name");
  CHECK(field_of("TEST_HUGE", std::string(10'000, 'n')) == "name");
  CHECK(field_of("TEST_BLANK", "   ") == "name");
  CHECK(field_of("TEST_NUL", std::string("a\0b", 3)) == "name");
  CHECK(field_of("TEST_NEWLINE", "two\nlines") == "name");
  CHECK(field_of("TEST_LATIN1", "caf\xe9") == "name");
  for (const char* code : {"TEST_LONG", "TEST_HUGE", "TEST_BLANK", "TEST_NUL", "TEST_NEWLINE", "TEST_LATIN1"}) {
    CHECK_FALSE(Currency::find(code).has_value());
  }
  CHECK(field_of("TEST_NAME64", std::string(64, 'n')) == "accepted");
  CHECK(field_of("TEST_UTF8", "Crédits prépayés") == "accepted");
  // The cap on how many units a process registers is tested in a fresh process: tests/python/test_limits.py.
  CHECK(Currency::k_max_registered_units == 1000);
}

TEST_CASE("an unknown code is quoted in the message only when it could be a code") {
  try {
    (void)Currency(std::string(10'000, 'X'));
    FAIL("accepted");
  } catch (const billing::UnknownCurrency& e) {
    CHECK(std::string(e.what()).size() < 100);
  }
}
