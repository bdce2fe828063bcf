#include "billing/canonical.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "billing/error.hpp"

using namespace billing;
using namespace std::string_literals;

namespace {

using V = RequestValue;

std::string enc(const RequestValue& value) { return canonical_encoding(value); }

V dec(const char* text) { return V::decimal(Decimal::parse(text)); }

template <class T>
concept integer_accepts = requires(T value) {
  V::integer(value);
};

}  // namespace

TEST_CASE("each scalar encodes as its tag and a length-prefixed payload") {
  CHECK(enc(V()) == "n");
  CHECK(enc(V::null()) == "n");
  CHECK(enc(V::boolean(true)) == "t");
  CHECK(enc(V::boolean(false)) == "f");
  CHECK(enc(V::integer(0)) == "i1:\x00"s);
  CHECK(enc(V::integer(1)) == "i1:\x01"s);
  CHECK(enc(V::string("abc")) == "s3:abc");
  CHECK(enc(V::string("")) == "s0:");
  CHECK(enc(V::bytes("ab\0c"s)) == "b4:ab\0c"s);
  CHECK(enc(dec("12.50")) == "d4:12.5");
  CHECK(enc(V::money(Money::parse("12.3 USD"))) == "m3:USD5:12.30");
  CHECK(enc(V::timestamp(Timestamp::parse("2026-01-01T00:00:00Z"))) == "T16:1767225600000000");
  CHECK(enc(V::timestamp(Timestamp::from_unix_micros(-1))) == "T2:-1");
}

TEST_CASE("an integer is its shortest two's-complement bytes, whatever its size") {
  CHECK(enc(V::integer(127)) == "i1:\x7f"s);
  CHECK(enc(V::integer(128)) == "i2:\x00\x80"s);
  CHECK(enc(V::integer(-1)) == "i1:\xff"s);
  CHECK(enc(V::integer(-128)) == "i1:\x80"s);
  CHECK(enc(V::integer(-129)) == "i2:\xff\x7f"s);
  CHECK(enc(V::integer(std::numeric_limits<std::int64_t>::max())) == "i8:\x7f\xff\xff\xff\xff\xff\xff\xff"s);
  CHECK(enc(V::integer(std::numeric_limits<std::int64_t>::min())) == "i8:\x80\x00\x00\x00\x00\x00\x00\x00"s);
  // Redundant leading bytes say nothing: a big integer that fits 64 bits equals the small one.
  CHECK(enc(V::integer_from_twos_complement("\x00\x00\x05"s)) == enc(V::integer(5)));
  CHECK(enc(V::integer_from_twos_complement("\xff\xff\xfe"s)) == enc(V::integer(-2)));
  CHECK(enc(V::integer_from_twos_complement("\x00\x80"s)) == enc(V::integer(128)));
  // 2^64 needs nine bytes.
  CHECK(enc(V::integer_from_twos_complement("\x01\x00\x00\x00\x00\x00\x00\x00\x00"s)) ==
        "i9:\x01\x00\x00\x00\x00\x00\x00\x00\x00"s);
  CHECK_THROWS_AS((void)V::integer_from_twos_complement(""), InvalidArgument);
}

TEST_CASE("a bool is never an integer") {
  // integer(bool) is deleted; boolean() is the only way to a bool.
  static_assert(!integer_accepts<bool>);
  static_assert(integer_accepts<int>);
  static_assert(integer_accepts<std::int64_t>);
  CHECK(enc(V::boolean(true)) != enc(V::integer(1)));
  CHECK(enc(V::boolean(false)) != enc(V::integer(0)));
}

TEST_CASE("the types stay apart: a string, a number, a Decimal and bytes with the same text differ") {
  const std::vector<std::string> encodings = {
      enc(V::string("1")),
      enc(V::bytes("1")),
      enc(V::integer(1)),
      enc(dec("1")),
      enc(V::money(Money::parse("1.00 USD"))),
      enc(V::boolean(true)),
      enc(V::list({V::integer(1)})),
      enc(V::map({{"1", V::null()}})),
      enc(V::timestamp(Timestamp::from_unix_micros(1))),
  };
  CHECK(std::set<std::string>(encodings.begin(), encodings.end()).size() == encodings.size());
}

TEST_CASE("a Decimal encodes by value: trailing zeros and exponents do not count") {
  CHECK(enc(dec("1.0")) == enc(dec("1")));
  CHECK(enc(dec("1.000")) == "d1:1");
  CHECK(enc(dec("2.5e3")) == "d4:2500");
  CHECK(enc(dec("100")) == "d3:100");
  CHECK(enc(dec("-0.050")) == "d5:-0.05");
  CHECK(enc(dec("-0")) == enc(dec("0.00")));
  CHECK(enc(dec("1.5")) != enc(dec("1.05")));
}

TEST_CASE("money is an amount in the currency's places and a currency") {
  CHECK(enc(V::money(Money::parse("1.0 USD"))) == enc(V::money(Money::parse("1.00 USD"))));
  CHECK(enc(V::money(Money::parse("1.00 USD"))) != enc(V::money(Money::parse("1.00 EUR"))));
  CHECK(enc(V::money(Money::parse("1.00 USD"))) != enc(dec("1.00")));
  CHECK(enc(V::money(Money::parse("-7 JPY"))) == "m3:JPY2:-7");
}

TEST_CASE("a list keeps its order; a map sorts its keys bytewise") {
  CHECK(enc(V::list({})) == "L0:");
  CHECK(enc(V::list({V::integer(1), V::string("a")})) == "L2:i1:\x01s1:a"s);
  CHECK(enc(V::list({V::integer(1), V::integer(2)})) != enc(V::list({V::integer(2), V::integer(1)})));

  CHECK(enc(V::map({})) == "M0:");
  CHECK(enc(V::map({{"b", V::integer(2)}, {"a", V::integer(1)}})) ==
        "M2:1:ai1:\x01"
        "1:bi1:\x02"s);
  CHECK(enc(V::map({{"b", V::integer(2)}, {"a", V::integer(1)}})) ==
        enc(V::map({{"a", V::integer(1)}, {"b", V::integer(2)}})));
  // Bytewise: "B" (0x42) < "a" (0x61) < "\xc3\xa9" (é in UTF-8), whatever the locale.
  CHECK(enc(V::map({{"\xc3\xa9", V::null()}, {"a", V::null()}, {"B", V::null()}})) == "M3:1:Bn1:an2:\xc3\xa9n"s);
}

TEST_CASE("a map refuses a duplicate key, naming the field") {
  try {
    (void)V::map({{"a", V::integer(1)}, {"b", V::null()}, {"a", V::integer(2)}});
    FAIL("a duplicate key was accepted");
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == "key");
  }
}

TEST_CASE("lengths make the encoding injective where plain concatenation would not be") {
  // Without lengths, ["ab", "c"] and ["a", "bc"] would both read "abc".
  CHECK(enc(V::list({V::string("ab"), V::string("c")})) != enc(V::list({V::string("a"), V::string("bc")})));
  // A string holding an encoding is still one string, not the value it spells.
  CHECK(enc(V::string("i1:\x01"s)) != enc(V::integer(1)));
  CHECK(enc(V::list({V::string("s1:a")})) != enc(V::list({V::string("s"), V::string("a")})));
  // A key that contains what looks like another entry stays one key.
  CHECK(enc(V::map({{"a1:b", V::null()}})) != enc(V::map({{"a", V::null()}, {"b", V::null()}})));
  // Nesting is part of the value.
  CHECK(enc(V::list({V::list({V::integer(1)}), V::integer(2)})) !=
        enc(V::list({V::list({V::integer(1), V::integer(2)})})));
  CHECK(enc(V::list({})) != enc(V::map({})));
  CHECK(enc(V::list({V::null()})) != enc(V::null()));
}

TEST_CASE("a nested request encodes to the documented bytes") {
  const V request = V::map({
      {"customer", V::string("alice")},
      {"amount", V::money(Money::parse("25.00 EUR"))},
      {"lines", V::list({V::integer(3), dec("0.5")})},
      {"note", V::null()},
  });
  CHECK(enc(request) ==
        "M4:6:amountm3:EUR5:25.008:customers5:alice5:linesL2:i1:\x03"
        "d3:0.54:noten"s);
}
