// Usage metering on every adapter: meters, every aggregation, dedup within a batch and against the store,
// the lateness and lead windows, cancels that decrement or recompute, group_by, buckets across month ends
// and a leap day, fixed offsets, stats across subjects, series (minutes, empty buckets), rollback, a write
// that fails at each of its storage calls (counted once or not at all, and its retry once), and the
// repository's own refusals.
#include "billing/usage.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/storage/usage_repository.hpp"
#include "support/fault_store.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;

namespace {

Decimal dec(const char* text) { return Decimal::parse(text); }
Timestamp at(const char* text) { return Timestamp::parse(text); }

struct Metering {
  test::Fixture f;
  Usage& usage() { return f.books->usage(); }
  Timestamp now() const { return f.clock->now(); }

  void define(const std::string& code, Aggregation aggregation, std::optional<std::string> property = std::nullopt,
              std::optional<std::string> group_by = std::nullopt) {
    const MeterOutcome outcome = usage().define_meter(
        {.code = code, .aggregation = aggregation, .unit = "unit", .property = property, .group_by = group_by});
    REQUIRE(outcome.result == MeterResult::ok);
  }
  RecordResult record(const std::string& id, const std::string& meter, const std::string& subject,
                      const char* quantity, std::optional<Timestamp> when = std::nullopt,
                      EventProperties properties = {}) {
    return usage().record({.id = id, .meter = meter, .subject = subject, .quantity = dec(quantity), .at = when,
                           .properties = std::move(properties)});
  }
  void ok(const std::string& id, const std::string& meter, const std::string& subject, const char* quantity,
          std::optional<Timestamp> when = std::nullopt, EventProperties properties = {}) {
    REQUIRE(record(id, meter, subject, quantity, when, std::move(properties)) == RecordResult::ok);
  }
  Decimal total(const std::string& meter, const std::string& subject, std::optional<Timestamp> start = std::nullopt,
                std::optional<Timestamp> end = std::nullopt, std::optional<std::string> group = std::nullopt) {
    return usage().total(meter, subject, start, end, group);
  }
};

template <class Adapter>
Metering metering(const char* now = "2026-01-15T12:00:00Z") {
  Metering m{fixture<Adapter>()};
  m.f.clock->set(at(now));
  return m;
}

template <class F>
void check_invalid(F&& call, const std::string& field) {
  try {
    call();
    FAIL("expected InvalidArgument naming ", field);
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == field);
  }
}

// The meter's aggregates recounted from its stored live events, compared with what the reads return.
void check_against_recount(Metering& m, const std::string& meter, const std::vector<std::string>& subjects) {
  Decimal sum;
  std::uint64_t events = 0;
  std::uint64_t with_events = 0;
  for (const std::string& subject : subjects) {
    std::vector<StoredUsageEvent> stored;
    {
      UnitOfWork work(*m.f.store, Access::read);
      stored = work->usage().events({.meter = meter, .subject = subject, .start = Timestamp::from_unix_micros(0),
                                     .end = Timestamp::from_unix_micros(7'258'118'400'000'000)},
                                    std::nullopt, 100'000);
    }
    Decimal subject_sum;
    for (const StoredUsageEvent& event : stored) subject_sum += Decimal::parse(event.value);
    CHECK(m.total(meter, subject) == subject_sum);
    sum += subject_sum;
    events += stored.size();
    with_events += stored.empty() ? 0 : 1;
  }
  const UsageStats stats = m.usage().stats(meter);
  CHECK(stats.events == events);
  CHECK(stats.subjects == with_events);
  CHECK(stats.total == sum);
}

}  // namespace

// ------------------------------------------------------------------------------------------ meters

CONTRACT_TEST("a meter is defined once; the same definition again is exists, another one is reported") {
  auto m = metering<Adapter>();
  const MeterOutcome made = m.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count, .unit = "call"});
  CHECK(made.result == MeterResult::ok);
  CHECK(made.meter.created_at == m.now());
  const MeterOutcome again = m.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count, .unit = "call"});
  CHECK(again.result == MeterResult::exists);
  CHECK(again.meter == made.meter);
  const MeterOutcome other = m.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::sum});
  CHECK(other.result == MeterResult::exists_with_different_fields);
  CHECK(other.meter == made.meter);
  REQUIRE(m.usage().meter("api_calls").has_value());
  CHECK(m.usage().meter("api_calls")->unit == "call");
  CHECK_FALSE(m.usage().meter("nothing").has_value());
  m.define("bytes", Aggregation::sum);
  const std::vector<Meter> all = m.usage().meters();
  REQUIRE(all.size() == 2);
  CHECK(all[0].code == "api_calls");
  CHECK(all[1].code == "bytes");
}

CONTRACT_TEST("define_meter refuses codes, units and properties beyond the limits, naming the field") {
  auto m = metering<Adapter>();
  check_invalid([&] { (void)m.usage().define_meter({.code = ""}); }, "code");
  check_invalid([&] { (void)m.usage().define_meter({.code = "9lives"}); }, "code");
  check_invalid([&] { (void)m.usage().define_meter({.code = "a b"}); }, "code");
  check_invalid([&] { (void)m.usage().define_meter({.code = std::string(65, 'a')}); }, "code");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .aggregation = static_cast<Aggregation>(9)}); },
                "aggregation");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .unit = std::string(65, 'u')}); }, "unit");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .unit = "a\nb"}); }, "unit");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .aggregation = Aggregation::unique_count}); },
                "property");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .property = ""}); }, "property");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .group_by = std::string(65, 'g')}); }, "group_by");
  check_invalid([&] { (void)m.usage().define_meter({.code = "m", .property = "p", .group_by = "p"}); }, "group_by");
  CHECK(m.usage().meters().empty());
}

// ------------------------------------------------------------------------------------------ aggregations

CONTRACT_TEST("every aggregation folds a subject's events, over all time and across subjects") {
  auto m = metering<Adapter>();
  const std::map<Aggregation, const char*> expected = {
      {Aggregation::count, "4"}, {Aggregation::sum, "10.5"},  {Aggregation::min, "-1"},
      {Aggregation::max, "7"},   {Aggregation::avg, "2.625"}, {Aggregation::latest, "3.5"},
  };
  const char* quantities[] = {"1", "7", "-1", "3.5"};
  for (const auto& [aggregation, value] : expected) {
    const std::string code{to_string(aggregation)};
    m.define(code, aggregation);
    for (int i = 0; i < 4; ++i) {
      m.ok(fmt::format("{}-{}", code, i), code, "alice", quantities[i], m.now() - std::chrono::minutes(40 - i));
    }
    CHECK(m.total(code, "alice") == dec(value));
    CHECK(m.total(code, "nobody") == Decimal(0));
  }
  CHECK(m.usage().total("avg", "alice").scale() == k_usage_average_places);
  m.define("users", Aggregation::unique_count, "user");
  for (const char* user : {"u1", "u2", "u1", "u3", "u2"}) {
    m.ok(fmt::format("uniq-{}-{}", user, m.usage().stats("users").events), "users", "acme", "0",
         std::nullopt, {{"user", user}});
  }
  CHECK(m.total("users", "acme") == Decimal(3));
  CHECK(m.usage().stats("users").events == 5);
}

CONTRACT_TEST("latest takes the latest time, the higher id on a tie, whatever the order of recording") {
  auto m = metering<Adapter>();
  m.define("gauge", Aggregation::latest);
  const Timestamp t = m.now() - 10min;
  m.ok("b", "gauge", "s", "2", t);
  m.ok("c", "gauge", "s", "1", t - 5min);  // older: does not win
  m.ok("a", "gauge", "s", "9", t);         // same time, lower id: does not win
  CHECK(m.total("gauge", "s") == Decimal(2));
}

CONTRACT_TEST("a meter with a property aggregates the property, refusing an event that lacks it or holds no number") {
  auto m = metering<Adapter>();
  m.define("tokens", Aggregation::sum, "tokens");
  m.ok("e1", "tokens", "s", "1", std::nullopt, {{"tokens", "120"}, {"model", "x"}});
  m.ok("e2", "tokens", "s", "1", std::nullopt, {{"tokens", "0.5"}});
  CHECK(m.total("tokens", "s") == dec("120.5"));
  check_invalid([&] { (void)m.record("e3", "tokens", "s", "1"); }, "properties.tokens");
  check_invalid([&] { (void)m.record("e3", "tokens", "s", "1", std::nullopt, {{"tokens", "many"}}); },
                "properties.tokens");
  CHECK_FALSE(m.usage().event("e3").has_value());
}

CONTRACT_TEST("record refuses bad fields by name before anything is stored") {
  auto m = metering<Adapter>();
  m.define("calls", Aggregation::count);
  check_invalid([&] { (void)m.record("", "calls", "s", "1"); }, "id");
  check_invalid([&] { (void)m.record(std::string(256, 'i'), "calls", "s", "1"); }, "id");
  check_invalid([&] { (void)m.record("e", "calls", "", "1"); }, "subject");
  check_invalid([&] { (void)m.record("e", "calls", "a\tb", "1"); }, "subject");
  check_invalid([&] { (void)m.record("e", "", "s", "1"); }, "meter");
  check_invalid([&] { (void)m.record("e", "calls", "s", "1", Timestamp::from_unix_micros(-1)); }, "at");
  EventProperties many;
  for (int i = 0; i <= static_cast<int>(k_max_event_properties); ++i) many.emplace(fmt::format("k{:02}", i), "v");
  check_invalid([&] { (void)m.record("e", "calls", "s", "1", std::nullopt, many); }, "properties");
  check_invalid([&] { (void)m.record("e", "calls", "s", "1", std::nullopt, {{"", "v"}}); }, "properties");
  check_invalid([&] { (void)m.record("e", "calls", "s", "1", std::nullopt, {{"k", std::string(257, 'v')}}); },
                "properties");
  std::vector<UsageEvent> batch(2, UsageEvent{.id = "ok", .meter = "calls", .subject = "s", .quantity = Decimal(1)});
  batch[1].subject = "";
  check_invalid([&] { (void)m.usage().record_batch(batch); }, "[1].subject");
  std::vector<UsageEvent> huge(k_max_record_batch + 1, batch[0]);
  check_invalid([&] { (void)m.usage().record_batch(huge); }, "events");
  CHECK(m.usage().stats("calls").events == 0);
  CHECK_FALSE(m.usage().event("ok").has_value());
}

CONTRACT_TEST("an aggregate that would pass the range of Decimal is Overflow, and nothing is stored") {
  auto m = metering<Adapter>();
  m.define("big", Aggregation::sum);
  const std::string near_max = "300000000000000000000000000000000000000";  // 3e38, under 2^128 - 1
  m.ok("b1", "big", "s", near_max.c_str());
  CHECK_THROWS_AS((void)m.record("b2", "big", "s", near_max.c_str()), Overflow);
  CHECK_FALSE(m.usage().event("b2").has_value());
  CHECK(m.usage().stats("big").events == 1);
  CHECK(m.total("big", "s") == Decimal::parse(near_max));
  // An average keeps as many of its 12 places as Decimal's 38 digits leave room for.
  CHECK(m.usage().stats("big").average_per_subject == Decimal::parse(near_max));
}

// ------------------------------------------------------------------------------------------ dedup and windows

CONTRACT_TEST("an id counts once: duplicates in a batch and against the store change nothing") {
  auto m = metering<Adapter>();
  m.define("calls", Aggregation::sum);
  m.ok("e1", "calls", "s", "5");
  const auto e = [](const char* id, const char* meter, const char* quantity) {
    return UsageEvent{.id = id, .meter = meter, .subject = "s", .quantity = Decimal::parse(quantity)};
  };
  const std::vector<UsageEvent> batch = {e("e2", "calls", "1"), e("e1", "calls", "100"), e("e2", "calls", "100"),
                                         e("e3", "nothing", "1"), e("e1", "nothing", "1"), e("e3", "calls", "2")};
  const std::vector<RecordResult> results = m.usage().record_batch(batch);
  CHECK(results == std::vector<RecordResult>{RecordResult::ok, RecordResult::duplicate, RecordResult::duplicate,
                                             RecordResult::unknown_meter, RecordResult::duplicate, RecordResult::ok});
  CHECK(m.total("calls", "s") == Decimal(8));
  CHECK(m.usage().stats("calls").events == 3);
  CHECK(m.record("e1", "calls", "s", "1") == RecordResult::duplicate);
  CHECK(m.record("e1", "nothing", "s", "1") == RecordResult::duplicate);  // duplicate is checked first
  CHECK(m.total("calls", "s") == Decimal(8));
}

CONTRACT_TEST("events older than the lateness or further ahead than the lead are refused with a reason") {
  auto m = metering<Adapter>();
  m.define("calls", Aggregation::count);
  CHECK(m.record("old", "calls", "s", "1", m.now() - std::chrono::hours(24 * 35) - 1us) == RecordResult::too_late);
  CHECK(m.record("edge", "calls", "s", "1", m.now() - std::chrono::hours(24 * 35)) == RecordResult::ok);
  CHECK(m.record("soon", "calls", "s", "1", m.now() + 5min) == RecordResult::ok);
  CHECK(m.record("later", "calls", "s", "1", m.now() + 5min + 1us) == RecordResult::too_early);
  m.usage().configure({.lateness = 1h, .lead = 0min, .cancel_window = 1h});
  CHECK(m.record("hour-old", "calls", "s", "1", m.now() - 2h) == RecordResult::too_late);
  CHECK(m.record("ahead", "calls", "s", "1", m.now() + 1us) == RecordResult::too_early);
  CHECK(m.total("calls", "s") == Decimal(2));
  check_invalid([&] { m.usage().configure({.lateness = 0s}); }, "lateness");
  check_invalid([&] { m.usage().configure({.lead = 25h}); }, "lead");
  check_invalid([&] { m.usage().configure({.cancel_window = -1s}); }, "cancel_window");
  CHECK(m.usage().options().lateness == 1h);
}

CONTRACT_TEST("an event is stored with its time (now when absent), its properties and when it was recorded") {
  auto m = metering<Adapter>();
  m.define("calls", Aggregation::count);
  m.ok("e1", "calls", "s", "1.50", std::nullopt, {{"path", "/v1"}});
  const std::optional<RecordedEvent> stored = m.usage().event("e1");
  REQUIRE(stored.has_value());
  CHECK(stored->event.at == m.now());
  CHECK(stored->event.quantity.to_string() == "1.50");
  CHECK(stored->event.properties.at("path") == "/v1");
  CHECK(stored->recorded_at == m.now());
  CHECK_FALSE(stored->cancelled_at.has_value());
}

// ------------------------------------------------------------------------------------------ cancelling

CONTRACT_TEST("cancel decrements count and sum and recomputes min, max, latest and unique_count") {
  auto m = metering<Adapter>();
  for (const Aggregation aggregation : {Aggregation::count, Aggregation::sum, Aggregation::min, Aggregation::max,
                                        Aggregation::avg, Aggregation::latest}) {
    m.define(std::string(to_string(aggregation)), aggregation);
  }
  m.define("users", Aggregation::unique_count, "user");
  const Timestamp t = m.now() - 3h;
  const std::vector<std::pair<const char*, Timestamp>> events = {{"1", t}, {"9", t + 2h}, {"4", t + 26min}};
  for (const Meter& meter : m.usage().meters()) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      m.ok(fmt::format("{}-{}", meter.code, i), meter.code, "s", events[i].first, events[i].second,
           {{"user", i == 2 ? "u0" : fmt::format("u{}", i)}});
    }
    m.ok(fmt::format("{}-other", meter.code), meter.code, "t", "100", t, {{"user", "u9"}});
  }
  // Cancel 9: the max, the latest, and the one event with u1 (u0 is on two).
  for (const Meter& meter : m.usage().meters()) REQUIRE(m.usage().cancel(meter.code + "-1") == CancelResult::ok);
  CHECK(m.total("count", "s") == Decimal(2));
  CHECK(m.total("sum", "s") == Decimal(5));
  CHECK(m.total("min", "s") == Decimal(1));
  CHECK(m.total("max", "s") == Decimal(4));
  CHECK(m.total("avg", "s") == dec("2.5"));
  CHECK(m.total("latest", "s") == Decimal(4));
  CHECK(m.total("users", "s") == Decimal(1));  // u0 is left, on two events
  // The buckets it touched were recomputed too: the hour of t + 2h holds nothing now, the day holds 1 and 4.
  CHECK(m.total("max", "s", t + 2h, t + 3h) == Decimal(0));
  CHECK(m.total("max", "s", Timestamp::parse("2026-01-15T00:00:00Z"), Timestamp::parse("2026-01-16T00:00:00Z")) ==
        Decimal(4));
  const auto hours = m.usage().series("max", t, t + 3h, Granularity::hour, std::string("s"));
  REQUIRE(hours.size() == 3);
  CHECK(hours[0].value == Decimal(4));
  CHECK(hours[2].events == 0);
  for (const Meter& meter : m.usage().meters()) REQUIRE(m.usage().cancel(meter.code + "-0") == CancelResult::ok);
  CHECK(m.total("min", "s") == Decimal(4));
  CHECK(m.total("users", "s") == Decimal(1));
  // Across subjects: t's 100 remains the max, and the stats follow.
  CHECK(m.usage().series("max", t, t + 1h, Granularity::hour).front().value == Decimal(100));
  const UsageStats sum = m.usage().stats("sum");
  CHECK(sum.events == 2);
  CHECK(sum.subjects == 2);
  CHECK(sum.total == Decimal(104));
  CHECK(m.usage().stats("max").total == Decimal(104));
  for (const Meter& meter : m.usage().meters()) REQUIRE(m.usage().cancel(meter.code + "-2") == CancelResult::ok);
  CHECK(m.usage().stats("sum").subjects == 1);
  CHECK(m.total("min", "s") == Decimal(0));
  CHECK(m.total("users", "s") == Decimal(0));
}

CONTRACT_TEST("cancel reports not_found, already_cancelled and window_passed, changing nothing") {
  auto m = metering<Adapter>();
  m.define("calls", Aggregation::sum);
  m.ok("e1", "calls", "s", "3");
  m.ok("e2", "calls", "s", "4");
  CHECK(m.usage().cancel("nope") == CancelResult::not_found);
  CHECK(m.usage().cancel("e1") == CancelResult::ok);
  CHECK(m.usage().cancel("e1") == CancelResult::already_cancelled);
  REQUIRE(m.usage().event("e1")->cancelled_at == m.now());
  CHECK(m.record("e1", "calls", "s", "3") == RecordResult::duplicate);  // a cancelled id stays taken
  m.f.clock->advance(24h + 1us);
  CHECK(m.usage().cancel("e2") == CancelResult::window_passed);
  CHECK(m.total("calls", "s") == Decimal(4));
  check_invalid([&] { (void)m.usage().cancel(""); }, "id");
}

// ------------------------------------------------------------------------------------------ group_by

CONTRACT_TEST("group_by splits the aggregates by a property's value; every group together stays whole") {
  auto m = metering<Adapter>();
  m.define("tokens", Aggregation::sum, "tokens", "model");
  m.ok("e1", "tokens", "s", "0", std::nullopt, {{"tokens", "10"}, {"model", "small"}});
  m.ok("e2", "tokens", "s", "0", std::nullopt, {{"tokens", "5"}, {"model", "large"}});
  m.ok("e3", "tokens", "s", "0", std::nullopt, {{"tokens", "1"}, {"model", "small"}});
  m.ok("e4", "tokens", "s", "0", std::nullopt, {{"tokens", "2"}});  // no model: the group ""
  CHECK(m.total("tokens", "s") == Decimal(18));
  CHECK(m.total("tokens", "s", std::nullopt, std::nullopt, "small") == Decimal(11));
  CHECK(m.total("tokens", "s", std::nullopt, std::nullopt, "large") == Decimal(5));
  CHECK(m.total("tokens", "s", std::nullopt, std::nullopt, "") == Decimal(2));
  CHECK(m.total("tokens", "s", m.now() - 1h, m.now() + 1h, "small") == Decimal(11));
  REQUIRE(m.usage().cancel("e1") == CancelResult::ok);
  CHECK(m.total("tokens", "s", std::nullopt, std::nullopt, "small") == Decimal(1));
  CHECK(m.usage().stats("tokens").total == Decimal(8));
  m.define("plain", Aggregation::sum);
  check_invalid([&] { (void)m.total("plain", "s", std::nullopt, std::nullopt, "g"); }, "group");
}

// ------------------------------------------------------------------------------------------ buckets

CONTRACT_TEST("ranges cover hours, days and calendar months, across a month end and a leap day") {
  auto m = metering<Adapter>("2028-03-01T12:00:00Z");
  m.define("calls", Aggregation::sum);
  m.ok("feb28", "calls", "s", "1", at("2028-02-28T23:59:59.999999Z"));
  m.ok("feb29", "calls", "s", "2", at("2028-02-29T12:00:00Z"));
  m.ok("feb29b", "calls", "s", "4", at("2028-02-29T23:30:00Z"));
  m.ok("mar1", "calls", "s", "8", at("2028-03-01T00:00:00Z"));
  m.ok("jan31", "calls", "s", "16", at("2028-01-31T23:00:00Z"));
  CHECK(m.total("calls", "s", at("2028-02-29T00:00:00Z"), at("2028-03-01T00:00:00Z")) == Decimal(6));
  CHECK(m.total("calls", "s", at("2028-02-01T00:00:00Z"), at("2028-03-01T00:00:00Z")) == Decimal(7));
  CHECK(m.total("calls", "s", at("2028-01-01T00:00:00Z"), at("2028-03-01T00:00:00Z")) == Decimal(23));
  CHECK(m.total("calls", "s", at("2028-01-31T23:30:00Z"), at("2028-02-29T23:30:00Z")) == Decimal(3));  // edges from events
  CHECK(m.total("calls", "s", at("2028-02-29T23:30:00Z"), at("2028-02-29T23:30:00Z")) == Decimal(0));
  CHECK(m.total("calls", "s", std::nullopt, at("2028-03-01T00:00:00Z")) == Decimal(23));
  CHECK(m.total("calls", "s", at("2028-03-01T00:00:00Z")) == Decimal(8));
  check_invalid([&] { (void)m.total("calls", "s", at("2028-03-01T00:00:00Z"), at("2028-02-01T00:00:00Z")); }, "end");
  check_invalid([&] { (void)m.total("nothing", "s"); }, "meter");
  const auto months = m.usage().series("calls", at("2028-01-10T00:00:00Z"), at("2028-03-02T00:00:00Z"), Granularity::month);
  REQUIRE(months.size() == 3);
  CHECK(months[0].start == at("2028-01-01T00:00:00Z"));
  CHECK(months[1].start == at("2028-02-01T00:00:00Z"));
  CHECK(months[1].end == at("2028-03-01T00:00:00Z"));
  CHECK(months[0].value == Decimal(16));
  CHECK(months[1].value == Decimal(7));
  CHECK(months[1].events == 3);
  CHECK(months[2].value == Decimal(8));
  const auto days = m.usage().series("calls", at("2028-02-28T00:00:00Z"), at("2028-03-02T00:00:00Z"), Granularity::day);
  REQUIRE(days.size() == 3);
  CHECK(days[0].value == Decimal(1));
  CHECK(days[1].value == Decimal(6));
  CHECK(days[2].value == Decimal(8));
}

CONTRACT_TEST("series buckets follow a fixed offset: whole hours from stored hours, half hours from events") {
  auto m = metering<Adapter>("2026-03-02T00:00:00Z");
  m.define("calls", Aggregation::count);
  m.ok("a", "calls", "s", "1", at("2026-03-01T18:00:00Z"));  // 23:30 at +05:30; 13:00 at -05:00
  m.ok("b", "calls", "s", "1", at("2026-03-01T18:45:00Z"));  // 00:15 on the 2nd at +05:30
  m.ok("c", "calls", "s", "1", at("2026-03-01T04:59:00Z"));  // 23:59 on Feb 28 at -05:00
  const auto india = m.usage().series("calls", at("2026-03-01T00:00:00Z"), at("2026-03-01T23:00:00Z"),
                                      Granularity::day, std::string("s"), 330min);
  REQUIRE(india.size() == 2);
  CHECK(india[0].start == at("2026-02-28T18:30:00Z"));
  CHECK(india[0].value == Decimal(2));
  CHECK(india[1].start == at("2026-03-01T18:30:00Z"));
  CHECK(india[1].value == Decimal(1));
  const auto new_york = m.usage().series("calls", at("2026-03-01T05:00:00Z"), at("2026-03-02T00:00:00Z"),
                                         Granularity::day, std::nullopt, -300min);
  REQUIRE(new_york.size() == 1);
  CHECK(new_york[0].start == at("2026-03-01T05:00:00Z"));
  CHECK(new_york[0].value == Decimal(2));
  const auto months = m.usage().series("calls", at("2026-03-01T05:00:00Z"), at("2026-03-01T06:00:00Z"),
                                       Granularity::month, std::nullopt, -300min);
  REQUIRE(months.size() == 1);
  CHECK(months[0].start == at("2026-03-01T05:00:00Z"));
  CHECK(months[0].end == at("2026-04-01T05:00:00Z"));  // the offset is fixed: no daylight saving
  CHECK(months[0].value == Decimal(2));
  check_invalid([&] { (void)m.usage().series("calls", m.now(), m.now(), Granularity::hour, std::nullopt, 1081min); },
                "utc_offset");
}

CONTRACT_TEST("series at minute granularity reads the events, empty minutes included; too many buckets is refused") {
  auto m = metering<Adapter>("2026-01-15T12:00:00Z");
  m.define("calls", Aggregation::sum);
  m.define("peak", Aggregation::max);
  for (const auto& [id, when, quantity] : std::vector<std::tuple<const char*, const char*, const char*>>{
           {"a", "2026-01-15T10:00:10Z", "1"}, {"b", "2026-01-15T10:00:50Z", "2"}, {"c", "2026-01-15T10:03:00Z", "4"}}) {
    m.ok(id, "calls", "alice", quantity, at(when));
    m.ok(std::string(id) + "-peak", "peak", id[0] == 'c' ? "bob" : "alice", quantity, at(when));
  }
  const auto minutes = m.usage().series("calls", at("2026-01-15T10:00:30Z"), at("2026-01-15T10:04:00Z"),
                                        Granularity::minute, std::string("alice"));
  REQUIRE(minutes.size() == 4);
  CHECK(minutes[0].start == at("2026-01-15T10:00:00Z"));
  CHECK(minutes[0].end == at("2026-01-15T10:01:00Z"));
  CHECK(minutes[0].value == Decimal(3));
  CHECK(minutes[0].events == 2);
  CHECK(minutes[1].value == Decimal(0));
  CHECK(minutes[1].events == 0);
  CHECK(minutes[3].value == Decimal(4));
  const auto peaks = m.usage().series("peak", at("2026-01-15T10:00:00Z"), at("2026-01-15T10:04:00Z"), Granularity::minute);
  CHECK(peaks[0].value == Decimal(2));
  CHECK(peaks[3].value == Decimal(4));
  const auto hours = m.usage().series("calls", at("2026-01-15T09:00:00Z"), at("2026-01-15T12:00:00Z"), Granularity::hour);
  REQUIRE(hours.size() == 3);
  CHECK(hours[0].value == Decimal(0));
  CHECK(hours[1].value == Decimal(7));
  CHECK(m.usage().series("calls", m.now(), m.now(), Granularity::hour).empty());
  check_invalid([&] { (void)m.usage().series("calls", m.now(), m.now() + 10'001min, Granularity::minute); }, "end");
  check_invalid([&] { (void)m.usage().series("calls", m.now(), m.now() - 1min, Granularity::minute); }, "end");
  check_invalid([&] { (void)m.usage().series("nothing", m.now(), m.now(), Granularity::minute); }, "meter");
}

// ------------------------------------------------------------------------------------------ stats

CONTRACT_TEST("stats: subjects, events, the total, the average usage across all users and per event") {
  auto m = metering<Adapter>();
  m.define("usage", Aggregation::sum);
  CHECK(m.usage().stats("usage") ==
        UsageStats{.subjects = 0, .events = 0, .total = Decimal(0), .average_per_subject = std::nullopt,
                   .average_per_event = std::nullopt});
  m.ok("e1", "usage", "alice", "10", m.now() - 2h);
  m.ok("e2", "usage", "alice", "20", m.now() - 1h);
  m.ok("e3", "usage", "bob", "5", m.now() - 1h);
  m.ok("e4", "usage", "carol", "1", m.now());
  const UsageStats stats = m.usage().stats("usage");
  CHECK(stats.subjects == 3);
  CHECK(stats.events == 4);
  CHECK(stats.total == Decimal(36));
  CHECK(stats.average_per_subject == Decimal(12));
  CHECK(stats.average_per_subject->scale() == k_usage_average_places);
  CHECK(stats.average_per_event == Decimal(9));
  // Over a range: the last hour and a half holds alice's 20, bob's 5 and carol's 1.
  const UsageStats recent = m.usage().stats("usage", m.now() - 90min, m.now() + 1min);
  CHECK(recent.subjects == 3);
  CHECK(recent.events == 3);
  CHECK(recent.total == Decimal(26));
  CHECK(recent.average_per_subject == dec("8.666666666667"));  // 26 / 3, HALF_EVEN at 12 places
  m.define("peak", Aggregation::max);
  m.ok("p1", "peak", "alice", "3");
  m.ok("p2", "peak", "alice", "7");
  m.ok("p3", "peak", "bob", "2");
  CHECK(m.usage().stats("peak").total == Decimal(9));  // per-subject maxima, summed
  CHECK(m.usage().stats("peak", m.now() - 1h, m.now() + 1h).total == Decimal(9));
  check_against_recount(m, "usage", {"alice", "bob", "carol", "dave"});
  check_invalid([&] { (void)m.usage().stats("nothing"); }, "meter");
}

// ------------------------------------------------------------------------------------------ atomicity

CONTRACT_TEST("a dropped transaction leaves neither events nor aggregates; record(work) joins the caller's unit") {
  auto m = metering<Adapter>();
  m.define("calls", Aggregation::count);
  {
    auto work = m.f.books->transaction();
    m.ok("e1", "calls", "s", "1");
    CHECK(m.usage().record_batch(std::vector<UsageEvent>{{.id = "e2", .meter = "calls", .subject = "t",
                                                          .quantity = Decimal(1)}}) ==
          std::vector<RecordResult>{RecordResult::ok});
    CHECK(m.total("calls", "s") == Decimal(1));  // the thread's reads see its own writes
  }
  CHECK_FALSE(m.usage().event("e1").has_value());
  CHECK(m.total("calls", "s") == Decimal(0));
  CHECK(m.usage().stats("calls").events == 0);
  {
    UnitOfWork work(*m.f.store, Access::write);
    REQUIRE(m.usage().record(work, {.id = "e3", .meter = "calls", .subject = "s", .quantity = Decimal(1)}) ==
            RecordResult::ok);
    CHECK(work->usage().event_exists("e3"));
  }
  CHECK_FALSE(m.usage().event("e3").has_value());
  {
    UnitOfWork work(*m.f.store, Access::write);
    REQUIRE(m.usage().record(work, {.id = "e3", .meter = "calls", .subject = "s", .quantity = Decimal(1)}) ==
            RecordResult::ok);
    work.commit();
  }
  CHECK(m.total("calls", "s") == Decimal(1));
}

CONTRACT_TEST("a write that fails at any storage call counts nothing, and its retry with the same ids counts once") {
  const auto fail = [] { throw StorageError("", "the disk went away"); };
  const std::vector<UsageEvent> batch = {
      {.id = "e1", .meter = "users", .subject = "alice", .quantity = Decimal(1), .properties = {{"user", "u1"}}},
      {.id = "e2", .meter = "users", .subject = "bob", .quantity = Decimal(1), .properties = {{"user", "u2"}}},
      {.id = "e3", .meter = "users", .subject = "alice", .quantity = Decimal(1), .properties = {{"user", "u2"}}},
  };
  // Count the storage calls of one batch, then fail each in turn on a fresh store.
  int calls = 0;
  {
    auto faults = std::make_shared<test::FaultStore>(Adapter::open());
    Books books(faults, std::make_shared<ManualClock>(at("2026-01-15T12:00:00Z")));
    (void)books.usage().define_meter({.code = "users", .aggregation = Aggregation::unique_count, .property = "user"});
    test::FaultAtCall count(0, nullptr);
    faults->set_hook(count);
    (void)books.usage().record_batch(batch);
    calls = count.calls();
  }
  REQUIRE(calls > 10);
  for (int call = 1; call <= calls; ++call) {
    CAPTURE(call);
    auto faults = std::make_shared<test::FaultStore>(Adapter::open());
    Books books(faults, std::make_shared<ManualClock>(at("2026-01-15T12:00:00Z")));
    (void)books.usage().define_meter({.code = "users", .aggregation = Aggregation::unique_count, .property = "user"});
    test::FaultAtCall fault(call, fail);
    faults->set_hook(fault);
    CHECK_THROWS_AS((void)books.usage().record_batch(batch), StorageError);
    faults->set_hook(nullptr);
    CHECK_FALSE(books.usage().event("e1").has_value());
    CHECK(books.usage().stats("users").events == 0);
    CHECK(books.usage().total("users", "alice") == Decimal(0));
    CHECK(books.usage().series("users", at("2026-01-15T12:00:00Z"), at("2026-01-15T13:00:00Z"),
                               Granularity::hour).front().events == 0);
    const std::vector<RecordResult> retry = books.usage().record_batch(batch);
    CHECK(retry == std::vector<RecordResult>(3, RecordResult::ok));
    CHECK(books.usage().record_batch(batch) == std::vector<RecordResult>(3, RecordResult::duplicate));
    CHECK(books.usage().total("users", "alice") == Decimal(2));
    const UsageStats stats = books.usage().stats("users");
    CHECK(stats.events == 3);
    CHECK(stats.subjects == 2);
    CHECK(stats.total == Decimal(3));
    CHECK(books.usage().series("users", at("2026-01-15T12:00:00Z"), at("2026-01-15T13:00:00Z"),
                               Granularity::hour).front().value == Decimal(2));
  }
}

// ------------------------------------------------------------------------------------------ the repository

CONTRACT_TEST("the usage repository refuses rows the rules could never produce") {
  auto store = Adapter::open();
  const Meter meter{.code = "calls", .aggregation = Aggregation::sum, .created_at = at("2026-01-01T00:00:00Z")};
  const StoredUsageEvent event{
      .recorded = {.event = {.id = "e1", .meter = "calls", .subject = "s", .quantity = Decimal(1),
                             .at = at("2026-01-01T00:00:00Z")},
                   .recorded_at = at("2026-01-01T00:00:00Z")},
      .value = "1"};
  const auto refused = [&](auto&& write, const char* field) {
    UnitOfWork work(*store, Access::write);
    try {
      write(work->usage());
      FAIL("expected InvariantViolation naming ", field);
    } catch (const InvariantViolation& e) {
      CHECK(e.field() == field);
    }
  };
  {
    UnitOfWork work(*store, Access::write);
    CHECK(work->usage().insert_meter(meter));
    CHECK_FALSE(work->usage().insert_meter(meter));
    work->usage().insert_event(event);
    work.commit();
  }
  refused([&](UsageRepository& usage) { usage.insert_event(event); }, "event_id");
  refused([&](UsageRepository& usage) {
    StoredUsageEvent other = event;
    other.recorded.event.id = "e2";
    other.recorded.event.meter = "nothing";
    usage.insert_event(other);
  }, "meter");
  refused([&](UsageRepository& usage) {
    StoredUsageEvent grouped = event;
    grouped.recorded.event.id = "e3";
    grouped.group = "g";
    usage.insert_event(grouped);
  }, "group");
  refused([&](UsageRepository& usage) { usage.mark_cancelled("nope", at("2026-01-01T00:00:00Z")); }, "event_id");
  refused([&](UsageRepository& usage) {
    usage.put_aggregate({.key = {.meter = "calls", .subject = "s", .period = UsagePeriod::hour,
                                 .bucket_start = at("2026-01-01T00:30:00Z")}});
  }, "bucket_start");
  refused([&](UsageRepository& usage) {
    usage.put_aggregate({.key = {.meter = "calls", .subject = "s", .period = UsagePeriod::month,
                                 .bucket_start = at("2026-01-02T00:00:00Z")}});
  }, "bucket_start");
  refused([&](UsageRepository& usage) {
    usage.put_aggregate({.key = {.meter = "calls", .subject = "s"}, .count = 1, .sum = Decimal(1), .min = Decimal(2),
                         .max = Decimal(1)});
  }, "min");
  refused([&](UsageRepository& usage) { usage.put_aggregate({.key = {.meter = "calls"}, .sum = Decimal(1)}); }, "count");
  refused([&](UsageRepository& usage) { (void)usage.add_distinct({.meter = "calls"}, "v", -1); }, "value");
  refused([&](UsageRepository& usage) { usage.put_totals({.meter = "calls", .subjects = 2, .events = 1}); }, "subjects");
  UnitOfWork work(*store, Access::write);
  work->usage().mark_cancelled("e1", at("2026-01-01T01:00:00Z"));
  CHECK(work->usage().find_event("e1")->recorded.cancelled_at == at("2026-01-01T01:00:00Z"));
  try {
    work->usage().mark_cancelled("e1", at("2026-01-01T02:00:00Z"));
    FAIL("a second cancel must be refused");
  } catch (const InvariantViolation& e) {
    CHECK(e.field() == "event_id");
  }
  CHECK(work->usage().events({.meter = "calls", .subject = "s", .start = at("2026-01-01T00:00:00Z"),
                              .end = at("2026-01-02T00:00:00Z")},
                             std::nullopt, 10)
            .empty());
}

CONTRACT_TEST("the repository lists live events in (at, id) order, by subject or across, resuming after a cursor") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  UsageRepository& usage = work->usage();
  REQUIRE(usage.insert_meter({.code = "calls", .aggregation = Aggregation::sum, .group_by = "g"}));
  const Timestamp t = at("2026-01-01T00:00:00Z");
  int n = 0;
  for (const auto& [id, subject, minute, group] : std::vector<std::tuple<const char*, const char*, int, const char*>>{
           {"b", "s", 1, "x"}, {"a", "s", 1, "y"}, {"c", "t", 0, "x"}, {"d", "s", 5, "x"}, {"e", "s", 60, "x"}}) {
    usage.insert_event({.recorded = {.event = {.id = id, .meter = "calls", .subject = subject, .quantity = Decimal(n++),
                                               .at = t + std::chrono::minutes(minute)},
                                     .recorded_at = t},
                        .value = "1",
                        .group = group});
  }
  const auto ids = [](const std::vector<StoredUsageEvent>& events) {
    std::string out;
    for (const StoredUsageEvent& event : events) out += event.recorded.event.id;
    return out;
  };
  const UsageEventQuery of_s{.meter = "calls", .subject = "s", .start = t, .end = t + 1h};
  CHECK(ids(usage.events(of_s, std::nullopt, 10)) == "abd");
  CHECK(ids(usage.events(of_s, std::nullopt, 2)) == "ab");
  CHECK(ids(usage.events(of_s, UsageEventCursor{.at = t + 1min, .id = "a"}, 10)) == "bd");
  const UsageEventQuery across{.meter = "calls", .start = t, .end = t + 2h};
  CHECK(ids(usage.events(across, std::nullopt, 10)) == "cabde");
  CHECK(ids(usage.events({.meter = "calls", .group = "x", .start = t, .end = t + 2h}, std::nullopt, 10)) == "cbde");
  CHECK(ids(usage.events({.meter = "calls", .start = t + 2min, .end = t + 2h}, std::nullopt, 10)) == "de");
  usage.mark_cancelled("d", t);
  CHECK(ids(usage.events(across, std::nullopt, 10)) == "cabe");
}
