// Plans, quotas and API keys on every adapter: create-once plans and the round trip of every price model,
// the quota exact at its boundary and reset at the calendar month (UTC), the token bucket's exact refill and
// retry_after on the manual clock, request ids that make retries idempotent, the usage event an allowed call
// records, API keys (authenticate wrong, unknown and revoked secrets), and the repository's own refusals.
#include "billing/plans.hpp"

#include <chrono>
#include <string>

#include "adapters.hpp"
#include "billing/storage/plan_repository.hpp"
#include "../../src/plans/plan_codec.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;
using billing::test::usd;

namespace {

struct Area {
  test::Fixture f;
  Plans& plans() { return f.books->plans(); }
  Quotas& quotas() { return f.books->quotas(); }
  ApiKeys& keys() { return f.books->api_keys(); }

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    (void)f.books->usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count});
  }
  Plan plan(PlanRequest request) {
    const PlanOutcome outcome = plans().create(request);
    REQUIRE(outcome.result == PlanResult::ok);
    return outcome.plan;
  }
  QuotaDecision consume(const std::string& subject, const std::string& plan, std::uint64_t units = 1) {
    return quotas().consume({.subject = subject, .plan = plan, .units = units});
  }
};

template <class Adapter>
Area area() {
  return Area(fixture<Adapter>());
}

PlanRequest metered(const std::string& code, std::uint64_t quota) {
  return {.code = code, .currency = Currency("USD"), .quota = quota, .quota_meter = "api_calls"};
}

template <class F>
void check_invalid(F&& call, const std::string& field) {
  try {
    call();
    FAIL("expected InvalidArgument naming " << field);
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == field);
  }
}

std::vector<Price> every_price_model() {
  const Currency usd_c("USD");
  return {
      Price::per_unit(Decimal::parse("0.00025"), usd_c),
      Price::package(Decimal(100), usd("5.00"), {.round_up = false, .free_units = Decimal(10)}),
      Price::graduated({{.up_to = Decimal(5), .unit_price = Decimal(7), .flat_fee = Decimal::parse("1.5")},
                        {.up_to = Decimal(10), .unit_price = Decimal::parse("6.50")},
                        {.unit_price = Decimal(6)}},
                       usd_c)
          .with_minimum(usd("20.00")),
      Price::volume({{.up_to = Decimal(1000), .unit_price = Decimal::parse("0.01")}, {.unit_price = Decimal::parse("0.008")}},
                    usd_c)
          .with_rounding({.mode = RoundingMode::up, .at = RoundAt::total}),
      Price::percentage(Decimal::parse("0.029"), usd_c,
                        {.fixed_fee = usd("0.30"), .minimum = usd("0.50"), .maximum = usd("10.00")}),
      Price::percentage(Decimal::parse("0.01"), usd_c),
      Price::flat(usd("49.00")),
  };
}

}  // namespace

TEST_CASE("plan codec: every price model round-trips, and equal values encode alike") {
  for (const Price& price : every_price_model()) {
    const std::string encoded = detail::encode_price(price);
    CAPTURE(encoded);
    CHECK(detail::decode_price(encoded) == price);
    CHECK(detail::encode_price(detail::decode_price(encoded)) == encoded);
  }
  CHECK(detail::encode_price(Price::per_unit(Decimal::parse("6.50"), Currency("USD"))) ==
        detail::encode_price(Price::per_unit(Decimal::parse("6.5"), Currency("USD"))));
  CHECK_THROWS_AS((void)detail::decode_price("{\"model\":\"nope\"}"), StorageError);
  CHECK_THROWS_AS((void)detail::decode_price("{"), StorageError);
}

CONTRACT_TEST("plans: created once; the same definition is EXISTS, another is EXISTS_WITH_DIFFERENT_FIELDS") {
  auto a = area<Adapter>();
  PlanRequest request = metered("pro", 10'000);
  request.flat_fee = usd("49.00");
  request.rate_per_second = Decimal::parse("100.0");
  request.burst = 100;
  for (const Price& price : every_price_model()) {
    request.charges.emplace(fmt::format("meter_{}", request.charges.size()), price);
  }
  const Plan created = a.plan(request);
  CHECK(created.rate_per_second == Decimal(100));
  CHECK(created.created_at == a.f.clock->now());

  const std::optional<Plan> loaded = a.plans().get("pro");
  REQUIRE(loaded.has_value());
  CHECK(*loaded == created);  // every price model through the store and back

  a.f.clock->advance(1h);
  const PlanOutcome again = a.plans().create(request);
  CHECK(again.result == PlanResult::exists);
  CHECK(again.plan == created);
  request.quota = 10'001;
  CHECK(a.plans().create(request).result == PlanResult::exists_with_different_fields);
  CHECK(a.plans().get("pro")->quota == 10'000);
  CHECK_FALSE(a.plans().get("basic").has_value());

  (void)a.plan({.code = "basic", .currency = Currency("USD")});
  const Page<Plan> page = a.plans().list(std::nullopt, 1);
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].code == "basic");
  CHECK(a.plans().list(page.next_cursor, 10).items[0].code == "pro");
}

CONTRACT_TEST("plans: bad input names the field and stores nothing") {
  auto a = area<Adapter>();
  const Currency usd_c("USD");
  check_invalid([&] { (void)a.plans().create({.code = "", .currency = usd_c}); }, "code");
  check_invalid([&] { (void)a.plans().create({.code = "9lives", .currency = usd_c}); }, "code");
  check_invalid([&] { (void)a.plans().create({.code = "p", .currency = usd_c, .quota = 5}); }, "quota_meter");
  check_invalid([&] { (void)a.plans().create(metered("p", 0)); }, "quota");
  check_invalid([&] { (void)a.plans().create({.code = "p", .currency = usd_c, .quota = 1, .quota_meter = "nope"}); },
                "quota_meter");
  check_invalid([&] { (void)a.plans().create({.code = "p", .currency = usd_c, .rate_per_second = Decimal(0)}); },
                "rate_per_second");
  check_invalid(
      [&] { (void)a.plans().create({.code = "p", .currency = usd_c, .rate_per_second = Decimal::parse("0.0000001")}); },
      "rate_per_second");
  check_invalid([&] { (void)a.plans().create({.code = "p", .currency = usd_c, .burst = 5}); }, "burst");
  check_invalid(
      [&] { (void)a.plans().create({.code = "p", .currency = usd_c, .rate_per_second = Decimal(1), .burst = 0}); },
      "burst");
  check_invalid([&] { (void)a.plans().create({.code = "p", .currency = usd_c, .flat_fee = usd("-1.00")}); },
                "flat_fee");
  CHECK_THROWS_AS((void)a.plans().create({.code = "p", .currency = usd_c, .flat_fee = Money::parse("1.00 EUR")}),
                  CurrencyMismatch);
  CHECK_THROWS_AS((void)a.plans().create({.code = "p", .currency = usd_c,
                                          .charges = {{"api_calls", Price::flat(Money::parse("1.00 EUR"))}}}),
                  CurrencyMismatch);
  CHECK(a.plans().list().items.empty());
}

CONTRACT_TEST("quotas: at most N allowed for a quota of N, exact at the boundary, and each records a usage event") {
  auto a = area<Adapter>();
  (void)a.plan(metered("small", 3));
  QuotaDecision d = a.consume("key_1", "small", 2);
  CHECK(d.allowed());
  CHECK(d.remaining == 1u);
  CHECK(d.retry_after == 0us);
  d = a.consume("key_1", "small", 2);  // 2 > 1 left
  CHECK(d.reason == QuotaReason::quota_exceeded);
  CHECK(d.remaining == 1u);
  CHECK(d.retry_after == Timestamp::parse("2026-02-01T00:00:00Z") - a.f.clock->now());
  d = a.consume("key_1", "small");
  CHECK(d.allowed());
  CHECK(d.remaining == 0u);
  CHECK(a.consume("key_1", "small").reason == QuotaReason::quota_exceeded);
  CHECK(a.consume("key_2", "small").allowed());  // per subject

  CHECK(a.f.books->usage().total("api_calls", "key_1") == Decimal(2));  // count of events: 2 allowed calls
  CHECK(a.quotas().state("small", "key_1")->used == 3u);
  check_invalid([&] { (void)a.consume("key_1", "small", 4); }, "units");
  check_invalid([&] { (void)a.consume("key_1", "nope"); }, "plan");
  check_invalid([&] { (void)a.consume("", "small"); }, "subject");
  check_invalid([&] { (void)a.consume("key_1", "small", 0); }, "units");
}

CONTRACT_TEST("quotas: the period resets at the calendar month in UTC") {
  auto a = area<Adapter>();
  (void)a.plan(metered("monthly", 1));
  a.f.clock->set(Timestamp::parse("2026-01-31T23:59:59.999999Z"));
  CHECK(a.consume("k", "monthly").allowed());
  const QuotaDecision denied = a.consume("k", "monthly");
  CHECK(denied.reason == QuotaReason::quota_exceeded);
  CHECK(denied.retry_after == 1us);
  a.f.clock->set(Timestamp::parse("2026-02-01T00:00:00Z"));
  CHECK(a.consume("k", "monthly").allowed());
  CHECK(a.consume("k", "monthly").reason == QuotaReason::quota_exceeded);
  CHECK(period_start(PlanInterval::week, Timestamp::parse("2026-01-01T12:00:00Z")) ==
        Timestamp::parse("2025-12-29T00:00:00Z"));  // a Monday
  CHECK(next_period_start(PlanInterval::year, Timestamp::parse("2026-06-01T00:00:00Z")) ==
        Timestamp::parse("2027-01-01T00:00:00Z"));
  CHECK(next_period_start(PlanInterval::month, Timestamp::parse("2024-02-10T00:00:00Z")) ==
        Timestamp::parse("2024-03-01T00:00:00Z"));
  CHECK(next_period_start(PlanInterval::day, Timestamp::parse("1969-12-31T12:00:00Z")) ==
        Timestamp::parse("1970-01-01T00:00:00Z"));
}

CONTRACT_TEST("quotas: the token bucket refills exactly, and retry_after is exact") {
  auto a = area<Adapter>();
  // 2.5 tokens a second, a burst of 3: a token every 400 ms.
  (void)a.plan({.code = "throttled", .currency = Currency("USD"), .rate_per_second = Decimal::parse("2.5"), .burst = 3});
  for (int i = 0; i < 3; ++i) CHECK(a.consume("k", "throttled").allowed());
  QuotaDecision d = a.consume("k", "throttled");
  CHECK(d.reason == QuotaReason::rate_limited);
  CHECK(d.retry_after == 400ms);
  CHECK_FALSE(d.remaining.has_value());
  a.f.clock->advance(399'999us);
  d = a.consume("k", "throttled");
  CHECK(d.reason == QuotaReason::rate_limited);
  CHECK(d.retry_after == 1us);
  a.f.clock->advance(1us);
  CHECK(a.consume("k", "throttled").allowed());
  a.f.clock->advance(1h);  // full again, never more than the burst
  CHECK(a.consume("k", "throttled", 3).allowed());
  d = a.consume("k", "throttled", 2);
  CHECK(d.retry_after == 800ms);
  check_invalid([&] { (void)a.consume("k", "throttled", 4); }, "units");

  // A rate with 6 places: 0.000001 a second, a token in 10^6 s.
  (void)a.plan({.code = "slow", .currency = Currency("USD"), .rate_per_second = Decimal::parse("0.000001"), .burst = 1});
  CHECK(a.consume("k", "slow").allowed());
  CHECK(a.consume("k", "slow").retry_after == std::chrono::microseconds(1'000'000'000'000));
}

CONTRACT_TEST("quotas: the quota is checked before the rate limit, and a denial consumes nothing") {
  auto a = area<Adapter>();
  (void)a.plan({.code = "both", .currency = Currency("USD"), .quota = 2, .quota_meter = "api_calls",
                .rate_per_second = Decimal(1), .burst = 1});
  CHECK(a.consume("k", "both").allowed());
  CHECK(a.consume("k", "both").reason == QuotaReason::rate_limited);
  a.f.clock->advance(1s);
  CHECK(a.consume("k", "both").allowed());
  CHECK(a.consume("k", "both").reason == QuotaReason::quota_exceeded);
  CHECK(a.f.books->usage().total("api_calls", "k") == Decimal(2));
}

CONTRACT_TEST("quotas: a retry with the same request id consumes once") {
  auto a = area<Adapter>();
  (void)a.plan(metered("once", 2));
  const QuotaRequest request{.subject = "k", .plan = "once", .request_id = "req-1"};
  CHECK(a.quotas().consume(request).allowed());
  const QuotaDecision retry = a.quotas().consume(request);
  CHECK(retry.allowed());
  CHECK(retry.replayed);
  CHECK(retry.remaining == 1u);
  CHECK(a.f.books->usage().total("api_calls", "k") == Decimal(1));
  CHECK(a.quotas().consume({.subject = "k", .plan = "once", .request_id = "req-2"}).allowed());
  CHECK(a.quotas().consume(request).replayed);  // still a replay, though the quota is used up
}

CONTRACT_TEST("quotas: a rolled-back unit of work consumes nothing") {
  auto a = area<Adapter>();
  (void)a.plan(metered("tx", 1));
  {
    auto work = a.f.books->transaction();
    CHECK(a.consume("k", "tx").allowed());
  }  // dropped
  CHECK_FALSE(a.quotas().state("tx", "k").has_value());
  CHECK(a.f.books->usage().total("api_calls", "k") == Decimal(0));
  CHECK(a.consume("k", "tx").allowed());
}

CONTRACT_TEST("api keys: the secret authenticates; wrong, unknown, malformed and revoked secrets do not") {
  auto a = area<Adapter>();
  (void)a.plan(metered("pro", 10));
  const NewApiKey issued = a.keys().create("acme", "pro");
  CHECK(issued.secret.starts_with("bk_live_" + issued.key.id.str() + "_"));
  CHECK(issued.secret.size() == 8 + issued.key.id.str().size() + 1 + 52);
  const std::optional<ApiKey> found = a.keys().authenticate(issued.secret);
  REQUIRE(found.has_value());
  CHECK(found->subject == "acme");
  CHECK(found->plan == "pro");
  CHECK(*found == issued.key);

  std::string wrong = issued.secret;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  CHECK_FALSE(a.keys().authenticate(wrong).has_value());
  CHECK_FALSE(a.keys().authenticate("bk_live_key_nobody_" + std::string(52, 'a')).has_value());
  CHECK_FALSE(a.keys().authenticate("").has_value());
  CHECK_FALSE(a.keys().authenticate("bk_live_").has_value());
  CHECK_FALSE(a.keys().authenticate(std::string(10'000, 'x')).has_value());

  const NewApiKey other = a.keys().create("acme", "pro");
  CHECK(other.secret != issued.secret);
  CHECK(a.keys().revoke(issued.key.id) == RevokeResult::ok);
  CHECK_FALSE(a.keys().authenticate(issued.secret).has_value());
  CHECK(a.keys().revoke(issued.key.id) == RevokeResult::already_revoked);
  CHECK(a.keys().revoke(ApiKeyId("key_none")) == RevokeResult::not_found);
  CHECK(a.keys().get(issued.key.id)->status == ApiKeyStatus::revoked);
  CHECK(a.keys().authenticate(other.secret).has_value());
  CHECK(a.keys().list("acme").items.size() == 2);
  CHECK(a.keys().list("nobody").items.empty());
  check_invalid([&] { (void)a.keys().create("acme", "nope"); }, "plan");
  check_invalid([&] { (void)a.keys().create("", "pro"); }, "subject");
}

CONTRACT_TEST("plan repository: refuses what the rules never write") {
  auto store = Adapter::open();
  {
    UnitOfWork work(*store, Access::write);
    CHECK(work->plans().insert_plan({"p", "{}", Timestamp::from_unix_micros(1)}));
    CHECK_FALSE(work->plans().insert_plan({"p", "{}", Timestamp::from_unix_micros(2)}));
    try {
      work->plans().put_quota({.plan = "missing", .subject = "s"});
      FAIL("expected InvariantViolation");
    } catch (const InvariantViolation& e) {
      CHECK(e.field() == "plan");
    }
    CHECK_THROWS_AS(work->plans().put_quota({.plan = "p", .subject = "s", .used = 2, .allowed_total = 1}),
                    InvariantViolation);
    CHECK_THROWS_AS(work->plans().revoke_key(ApiKeyId("k"), Timestamp{}), InvariantViolation);
    work->plans().insert_request("p", "s", "r", Timestamp{});
    CHECK_THROWS_AS(work->plans().insert_request("p", "s", "r", Timestamp{}), InvariantViolation);
    CHECK(work->plans().request_seen("p", "s", "r"));
    work.commit();
  }
}
