#include "billing/time.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <string>

#include "billing/error.hpp"

using billing::Timestamp;

TEST_CASE("RFC 3339 text parses to UTC and prints back") {
  CHECK(Timestamp::parse("1970-01-01T00:00:00Z").unix_micros() == 0);
  CHECK(Timestamp::parse("2026-11-21T23:52:24Z").to_string() == "2026-11-21T23:52:24Z");
  CHECK(Timestamp::parse("2026-11-21T23:52:24.5Z").to_string() == "2026-11-21T23:52:24.500000Z");
  CHECK(Timestamp::parse("2024-02-29T12:00:00.000001Z").unix_micros() % 1'000'000 == 1);
  CHECK(Timestamp::parse("2026-01-01T01:00:00+01:00") == Timestamp::parse("2026-01-01T00:00:00Z"));
  CHECK(Timestamp::parse("2025-12-31T19:00:00-05:00") == Timestamp::parse("2026-01-01T00:00:00Z"));
  CHECK(Timestamp::parse("1969-12-31T23:59:59Z").unix_micros() == -1'000'000);
  CHECK(Timestamp::parse("0001-01-01T00:00:00Z").to_string() == "0001-01-01T00:00:00Z");
}

TEST_CASE("text that is not an RFC 3339 time with an offset is rejected, naming the field") {
  for (const char* bad :
       {"", "2026-11-21", "2026-11-21T23:52:24", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-21T24:00:00Z",
        "2026-11-21T23:60:00Z", "2026-11-21 23:52:24Z", "2026-11-21T23:52:24.Z", "2026-11-21T23:52:24.1234567Z",
        "2026-11-21T23:52:24Zjunk", "2026-11-21T23:52:24+1:00", "0000-01-01T00:00:00Z"}) {
    CAPTURE(bad);
    try {
      (void)Timestamp::parse(bad, "due_at");
      FAIL("accepted");
    } catch (const billing::InvalidArgument& e) {
      CHECK(e.field() == "due_at");
    }
  }
}

TEST_CASE("text longer than any RFC 3339 time is refused before it is read") {
  try {
    (void)Timestamp::parse(std::string(10'000, '2'), "effective_at");
    FAIL("accepted");
  } catch (const billing::InvalidArgument& e) {
    CHECK(e.field() == "effective_at");
    CHECK(std::string(e.what()).size() < 100);
  }
  CHECK(Timestamp::parse("2026-11-21T23:52:24.123456+01:00").unix_micros() % 1'000'000 == 123'456);
}

TEST_CASE("timestamp arithmetic is checked") {
  const Timestamp start = Timestamp::parse("2026-01-31T00:00:00Z");
  CHECK((start + std::chrono::hours(24)).to_string() == "2026-02-01T00:00:00Z");
  CHECK((start - std::chrono::seconds(1)).to_string() == "2026-01-30T23:59:59Z");
  CHECK((start + std::chrono::hours(1)) - start == std::chrono::hours(1));
  const Timestamp latest = Timestamp::from_unix_micros(std::numeric_limits<std::int64_t>::max());
  CHECK_THROWS_AS((void)(latest + std::chrono::microseconds(1)), billing::Overflow);
  CHECK_THROWS_AS((void)Timestamp::from_unix_seconds(std::numeric_limits<std::int64_t>::max() / 10), billing::Overflow);
  CHECK_THROWS_AS((void)latest.to_string(), billing::InvalidArgument);
}

TEST_CASE("a manual clock moves only when told, and an overflowing advance leaves it unchanged") {
  billing::ManualClock clock(Timestamp::parse("2026-01-01T00:00:00Z"));
  CHECK(clock.now() == clock.now());
  clock.advance(std::chrono::minutes(90));
  CHECK(clock.now().to_string() == "2026-01-01T01:30:00Z");
  clock.set(Timestamp::parse("2025-06-01T00:00:00Z"));
  CHECK(clock.now().to_string() == "2025-06-01T00:00:00Z");
  CHECK_THROWS_AS(clock.advance(std::chrono::microseconds(std::numeric_limits<std::int64_t>::max())),
                  billing::Overflow);
  CHECK(clock.now().to_string() == "2025-06-01T00:00:00Z");
}

TEST_CASE("the system clock reads a time after this code was written") {
  const billing::SystemClock clock;
  CHECK(clock.now() > Timestamp::parse("2026-01-01T00:00:00Z"));
}
