#include "billing/id.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include "billing/error.hpp"
#include "billing/time.hpp"

namespace {
struct OrderTag {
  static constexpr std::string_view k_field = "order_id";
};
struct InvoiceTag {
  static constexpr std::string_view k_field = "invoice_id";
};
using OrderId = billing::Id<OrderTag>;
using InvoiceId = billing::Id<InvoiceTag>;
}  // namespace

TEST_CASE("ids of different kinds cannot stand in for each other") {
  static_assert(!std::is_convertible_v<OrderId, InvoiceId>);
  static_assert(!std::is_constructible_v<InvoiceId, OrderId>);
  static_assert(!std::is_convertible_v<std::string, OrderId>);  // construction is explicit
  CHECK(OrderId("ord_1") == OrderId("ord_1"));
  CHECK(OrderId("ord_1") < OrderId("ord_2"));
}

TEST_CASE("an id is 1 to 128 printable characters without spaces, or an error naming its field") {
  CHECK(OrderId("user:42:wallet").str() == "user:42:wallet");
  CHECK(OrderId(std::string(128, 'a')).str().size() == 128);
  for (const std::string& bad : {std::string(), std::string(129, 'a'), std::string("has space"),
                                 std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    CAPTURE(bad);
    try {
      (void)OrderId(bad);
      FAIL("accepted");
    } catch (const billing::InvalidArgument& e) {
      CHECK(e.field() == "order_id");
    }
  }
}

TEST_CASE("sequential ids count up with a fixed width, so they sort in the order made") {
  billing::SequentialIds ids("ord-");
  CHECK(billing::next_id<OrderId>(ids).str() == "ord-000000000001");
  CHECK(ids.next() == "ord-000000000002");
  billing::SequentialIds from_nine("", 9);
  const std::string nine = from_nine.next();
  const std::string ten = from_nine.next();
  CHECK(nine == "000000000009");
  CHECK(nine < ten);
}

TEST_CASE("UUIDv7 ids carry the clock's milliseconds, version 7 and the RFC variant") {
  billing::ManualClock clock(billing::Timestamp::parse("2026-11-21T00:00:00Z"));
  billing::Uuid7Ids ids(clock);
  const std::string id = ids.next();
  REQUIRE(id.size() == 36);
  CHECK(id[14] == '7');
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
  const auto ms = clock.now().unix_micros() / 1000;
  CHECK(id.substr(0, 8) + id.substr(9, 4) == fmt::format("{:012x}", ms));
}

TEST_CASE("UUIDv7 ids strictly increase even when the clock stands still or steps back") {
  billing::ManualClock clock(billing::Timestamp::parse("2026-11-21T00:00:00Z"));
  billing::Uuid7Ids ids(clock);
  std::string previous = ids.next();
  for (int i = 0; i < 20'000; ++i) {  // more than the 4,096 a millisecond's counter holds
    if (i == 10'000) clock.set(billing::Timestamp::parse("2026-11-20T00:00:00Z"));
    const std::string current = ids.next();
    REQUIRE(previous < current);
    previous = current;
  }
}

TEST_CASE("an id source shared by threads never repeats an id") {
  billing::SystemClock clock;
  billing::Uuid7Ids uuids(clock);
  billing::SequentialIds sequence;
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2'000; ++i) {
        out.push_back(uuids.next());
        out.push_back(sequence.next());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> unique;
  for (const auto& out : made) unique.insert(out.begin(), out.end());
  CHECK(unique.size() == 4 * 2'000 * 2);
}
