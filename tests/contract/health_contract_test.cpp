// The health report on every adapter: fresh books are HEALTHY with exact JSON; the counters move with committed
// entries, events and failed jobs (and not with a rolled-back transaction), rejections and duplicates as they
// are returned; thresholds turn the queue, the expired holds and the overdue invoices HEALTHY -> DEGRADED ->
// UNHEALTHY; a bad threshold is refused naming the bound; a failing store gives an UNHEALTHY report, not an
// exception; and the repository's count of expired holds.
#include "billing/health.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "adapters.hpp"
#include "support/fault_store.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;
using billing::test::usd;

namespace {

Timestamp at(const char* text) { return Timestamp::parse(text); }

struct Area : test::CustomerAndMerchant {
  using CustomerAndMerchant::CustomerAndMerchant;

  Health& health() { return f.books->health(); }
  HealthReport report() { return health().report(); }

  PostOutcome transfer(const char* amount) {
    return f.ledger().transfer({.debit = customer, .credit = merchant, .amount = usd(amount)});
  }
  PostOutcome hold(const char* id, std::chrono::microseconds timeout) {
    return f.ledger().hold(
        {.id = EntryId(id), .postings = {{customer, Side::debit, usd("1.00")}, {merchant, Side::credit, usd("1.00")}}},
        timeout);
  }
  // Enqueues a job and fails its only attempt: one failure, one dead letter.
  void dead_letter(const std::string& kind) {
    REQUIRE(f.books->jobs().enqueue({.kind = kind, .max_attempts = 1}).result == EnqueueResult::ok);
    const std::optional<Job> job = f.books->jobs().claim({.kinds = {kind}});
    REQUIRE(job);
    REQUIRE(f.books->jobs().fail(*job, "boom").result == FailResult::dead_lettered);
  }
};

template <class Adapter>
Area area() {
  return Area(fixture<Adapter>());
}

const HealthCheck& check_named(const HealthReport& report, const std::string& name) {
  for (const HealthCheck& check : report.checks) {
    if (check.name == name) return check;
  }
  FAIL("no check named " << name);
  return report.checks.front();
}

HealthStatus status_of(const HealthReport& report, const char* name) { return check_named(report, name).status; }

std::uint64_t rejected(const HealthReport& report, PostResult code) {
  for (const auto& [result, count] : report.counters.rejections) {
    if (result == code) return count;
  }
  FAIL("no rejection counter for " << to_string(code));
  return 0;
}

std::string zero_rejections() {
  std::string out;
  for (const char* code : {"exists_with_different_fields",
                           "unbalanced",
                           "pending_not_found",
                           "pending_already_posted",
                           "pending_already_voided",
                           "pending_expired",
                           "exceeds_pending_amount",
                           "partial_needs_two_legs",
                           "entry_not_found",
                           "already_reversed",
                           "not_reversible",
                           "account_not_found",
                           "account_pending",
                           "account_inactive",
                           "account_closed",
                           "currency_mismatch",
                           "overflow",
                           "exceeds_credits",
                           "exceeds_debits",
                           "exceeds_limit",
                           "batch_failed"}) {
    out += std::string(out.empty() ? "" : ",") + '"' + code + "\":0";
  }
  return out;
}

}  // namespace

CONTRACT_TEST("fresh books are HEALTHY, and their JSON has every key with exact figures") {
  test::Fixture f = fixture<Adapter>();
  const HealthReport report = f.books->health().report();
  CHECK(report.status == HealthStatus::healthy);
  CHECK(report.storage_reachable);
  CHECK(report.integrity_ok == true);
  CHECK(report.ledger_entries == 0u);
  CHECK(report.jobs == JobStats{});
  CHECK(report.reasons().empty());
  std::vector<std::string> names;
  for (const HealthCheck& check : report.checks) names.push_back(check.name);
  CHECK(names == std::vector<std::string>{"storage", "integrity", "ready_jobs", "dead_letters", "oldest_ready_age",
                                          "expired_holds", "overdue_invoices"});
  std::string checks;
  for (const std::string& name : names) {
    checks += std::string(checks.empty() ? "" : ",") + R"({"name":")" + name + R"(","status":"healthy","reason":""})";
  }
  CHECK(report.to_json() ==
        R"({"status":"healthy","checked_at":"2026-01-01T00:00:00Z","counting_since":"2026-01-01T00:00:00Z",)"
        R"("reasons":[],"checks":[)" +
            checks +
            R"(],"storage":{"reachable":true,"integrity_ok":true,"ledger_entries":0,"entries_verified":0},)"
            R"("jobs":{"ready":0,"scheduled":0,"in_flight":0,"dead_lettered":0,"oldest_ready_age_us":0},)"
            R"("holds":{"expired":0},"invoices":{"overdue":0,"overdue_after_us":2592000000000},)"
            R"("counters":{"entries_posted":0,"rejections_total":0,"rejections":{)" +
            zero_rejections() +
            R"(},"events_recorded":0,"event_duplicates":0,"jobs_failed":0,"jobs_dead_lettered":0}})");
  CHECK(report.to_table().starts_with("health: HEALTHY at 2026-01-01T00:00:00Z\n"));
}

CONTRACT_TEST("entries count once committed; rejections as they are returned; the chain's newest entries re-hash") {
  Area a = area<Adapter>();
  const TransferRequest first{.id = EntryId("t-1"), .debit = a.customer, .credit = a.merchant, .amount = usd("1.00")};
  REQUIRE(a.f.ledger().transfer(first).result == PostResult::ok);
  for (int i = 1; i < 20; ++i) REQUIRE(a.transfer("1.00").result == PostResult::ok);
  CHECK(a.f.ledger().transfer({.debit = a.customer, .credit = AccountId("nowhere"), .amount = usd("1.00")}).result ==
        PostResult::account_not_found);
  CHECK(a.f.ledger().transfer(first).result == PostResult::exists);  // a replay: not a refusal
  {
    auto work = a.f.books->transaction();
    REQUIRE(a.transfer("1.00").result == PostResult::ok);
    CHECK(a.f.ledger().transfer({.debit = a.customer, .credit = AccountId("nowhere"), .amount = usd("1.00")}).result ==
          PostResult::account_not_found);
  }  // rolled back: the entry never was, but the caller was told of the refusal
  const std::vector<PostOutcome> batch = a.f.ledger().post_batch(
      {{.postings = {{a.customer, Side::debit, usd("1.00")}, {a.merchant, Side::credit, usd("1.00")}}},
       {.postings = {{a.customer, Side::debit, usd("1.00")}, {a.merchant, Side::credit, usd("2.00")}}}});
  REQUIRE(batch.size() == 2);
  const HealthReport report = a.report();
  CHECK(report.counters.entries_posted == 20);
  CHECK(rejected(report, PostResult::account_not_found) == 2);
  CHECK(rejected(report, PostResult::unbalanced) == 1);
  CHECK(rejected(report, PostResult::batch_failed) == 1);
  CHECK(report.counters.rejections_total() == 4);
  CHECK(report.counters.rejections.size() == 21);  // every code but ok and exists
  CHECK(report.ledger_entries == 20u);
  CHECK(report.entries_verified == k_health_chain_entries);
  CHECK(report.integrity_ok == true);
  CHECK(report.status == HealthStatus::healthy);
  CHECK(
      report.to_json().find(R"("rejections_total":4,"rejections":{"exists_with_different_fields":0,"unbalanced":1,)") !=
      std::string::npos);
  CHECK(report.to_table().find("rejections          4 (unbalanced 1, account_not_found 2, batch_failed 1)\n") !=
        std::string::npos);
}

CONTRACT_TEST("usage events and duplicates are counted, and failed and dead-lettered jobs") {
  Area a = area<Adapter>();
  Usage& usage = a.f.books->usage();
  REQUIRE(usage.define_meter({.code = "calls", .aggregation = Aggregation::count}).result == MeterResult::ok);
  REQUIRE(usage.record({.id = "e1", .meter = "calls", .subject = "ann", .quantity = Decimal(1)}) == RecordResult::ok);
  CHECK(usage.record({.id = "e1", .meter = "calls", .subject = "ann", .quantity = Decimal(1)}) ==
        RecordResult::duplicate);
  const std::vector<RecordResult> results = usage.record_batch(
      std::vector<UsageEvent>{{.id = "e2", .meter = "calls", .subject = "ann", .quantity = Decimal(1)},
                              {.id = "e1", .meter = "calls", .subject = "ann", .quantity = Decimal(1)},
                              {.id = "e3", .meter = "nope", .subject = "ann", .quantity = Decimal(1)}});
  CHECK(results == std::vector<RecordResult>{RecordResult::ok, RecordResult::duplicate, RecordResult::unknown_meter});

  Jobs& jobs = a.f.books->jobs();
  REQUIRE(jobs.enqueue({.kind = "mail", .max_attempts = 2}).result == EnqueueResult::ok);
  std::optional<Job> job = jobs.claim({});
  REQUIRE(job);
  CHECK(jobs.fail(*job, "smtp down").result == FailResult::retry_scheduled);
  a.f.clock->advance(24h);
  job = jobs.claim({});
  REQUIRE(job);
  CHECK(jobs.fail(*job, "smtp down").result == FailResult::dead_lettered);
  // A lease that runs out on the last attempt dead-letters at the next claim, without a fail().
  REQUIRE(jobs.enqueue({.kind = "sms", .max_attempts = 1}).result == EnqueueResult::ok);
  REQUIRE(jobs.claim({.lease = 1s}));
  a.f.clock->advance(2s);
  CHECK_FALSE(jobs.claim({}));

  const HealthCounters counters = a.report().counters;
  CHECK(counters.events_recorded == 2);
  CHECK(counters.event_duplicates == 2);
  CHECK(counters.jobs_failed == 2);
  CHECK(counters.jobs_dead_lettered == 2);
}

CONTRACT_TEST("thresholds turn the dead letters and the oldest ready job's age HEALTHY, DEGRADED, UNHEALTHY") {
  Area a = area<Adapter>();
  a.health().configure({.dead_letters = {.degraded = 0, .unhealthy = 1}});
  a.dead_letter("a");
  HealthReport report = a.report();
  CHECK(report.status == HealthStatus::degraded);
  CHECK(status_of(report, "dead_letters") == HealthStatus::degraded);
  CHECK(report.reasons() == std::vector<std::string>{"dead_letters: 1 dead letter, above the degraded bound of 0"});
  a.dead_letter("b");
  report = a.report();
  CHECK(report.status == HealthStatus::unhealthy);
  CHECK(check_named(report, "dead_letters").reason == "2 dead letters, above the unhealthy bound of 1");
  CHECK(report.to_json().starts_with(R"({"status":"unhealthy",)"));

  a.health().configure({});  // the defaults: dead letters degrade above 0, ages above 5 minutes and 1 hour
  REQUIRE(a.f.books->jobs().enqueue({.kind = "c"}).result == EnqueueResult::ok);
  a.f.clock->advance(5min);
  report = a.report();
  CHECK(status_of(report, "oldest_ready_age") == HealthStatus::healthy);  // above, not at
  CHECK(report.jobs->ready == 1);
  a.f.clock->advance(1s);
  report = a.report();
  CHECK(status_of(report, "oldest_ready_age") == HealthStatus::degraded);
  CHECK(check_named(report, "oldest_ready_age").reason ==
        "the oldest ready job has waited 5m 1s, above the degraded bound of 5m");
  a.f.clock->advance(1h);
  report = a.report();
  CHECK(status_of(report, "oldest_ready_age") == HealthStatus::unhealthy);
  CHECK(report.jobs->oldest_ready_age == 1h + 5min + 1s);
  CHECK(report.to_json().find(R"("oldest_ready_age_us":3901000000})") != std::string::npos);

  a.health().configure(
      {.ready_jobs = {.degraded = 0, .unhealthy = std::nullopt}, .dead_letters = {}, .oldest_ready_age = {}});
  report = a.report();
  CHECK(report.status == HealthStatus::degraded);
  CHECK(report.reasons() == std::vector<std::string>{"ready_jobs: 1 ready job, above the degraded bound of 0"});
}

CONTRACT_TEST("expired holds not yet voided are counted and graded; voiding them clears the check") {
  Area a = area<Adapter>();
  a.health().configure({.expired_holds = {.degraded = 0, .unhealthy = 1}});
  REQUIRE(a.hold("h1", 1h).result == PostResult::ok);
  REQUIRE(a.hold("h2", 2h).result == PostResult::ok);
  REQUIRE(a.hold("h3", 3h).result == PostResult::ok);
  REQUIRE(a.f.ledger().post_pending(EntryId("h1")).result == PostResult::ok);
  a.f.clock->advance(2h);  // h1 was posted; h2 expires at exactly now, h3 later
  HealthReport report = a.report();
  CHECK(report.expired_holds == 1u);
  CHECK(status_of(report, "expired_holds") == HealthStatus::degraded);
  a.f.clock->advance(1h);
  report = a.report();
  CHECK(report.expired_holds == 2u);
  CHECK(status_of(report, "expired_holds") == HealthStatus::unhealthy);
  CHECK(report.counters.entries_posted == 4);
  CHECK(a.f.ledger().void_expired_holds() == 2);
  report = a.report();
  CHECK(report.expired_holds == 0u);
  CHECK(report.status == HealthStatus::healthy);
  CHECK(report.to_json().find(R"("holds":{"expired":0})") != std::string::npos);
}

CONTRACT_TEST("an OPEN invoice is overdue once finalised longer ago than invoice_overdue_after") {
  Area a = area<Adapter>();
  REQUIRE(a.f.books->plans().create({.code = "basic", .currency = Currency("USD"), .flat_fee = usd("30.00")}).ok());
  REQUIRE(a.f.books->subscriptions()
              .create({.account_id = a.customer, .plan = "basic", .start = at("2025-12-01T00:00:00Z")})
              .ok());
  REQUIRE(a.f.books->billing().run(at("2026-01-01T00:00:00Z")).invoices_created == 1);  // finalised now
  // The run queued the invoice's payment job, which waits as long: its age is not what this test grades.
  a.health().configure(
      {.oldest_ready_age = {}, .overdue_invoices = {.degraded = 0}, .invoice_overdue_after = 24h * 30});
  a.f.clock->advance(24h * 30);
  HealthReport report = a.report();
  CHECK(report.overdue_invoices == 0u);  // finalised 30 days ago: not longer ago
  a.f.clock->advance(1s);
  report = a.report();
  CHECK(report.overdue_invoices == 1u);
  CHECK(report.status == HealthStatus::degraded);
  CHECK(report.reasons() ==
        std::vector<std::string>{"overdue_invoices: 1 overdue invoice, above the degraded bound of 0"});
  a.health().configure({.oldest_ready_age = {}, .invoice_overdue_after = 24h * 60});
  report = a.report();
  CHECK(report.overdue_invoices == 0u);
  CHECK(report.invoice_overdue_after == 24h * 60);
  CHECK(report.to_json().find(R"("invoices":{"overdue":0,"overdue_after_us":5184000000000})") != std::string::npos);
}

CONTRACT_TEST("configure() refuses a bad bound, naming it, and keeps the thresholds it had") {
  test::Fixture f = fixture<Adapter>();
  Health& health = f.books->health();
  const HealthThresholds before{.ready_jobs = {.degraded = 5, .unhealthy = 50}};
  health.configure(before);
  const auto refused = [&](const HealthThresholds& thresholds) -> std::string {
    try {
      health.configure(thresholds);
    } catch (const InvalidArgument& e) {
      CHECK(health.thresholds() == before);
      return e.field();
    }
    return "accepted";
  };
  CHECK(refused({.ready_jobs = {.degraded = 6, .unhealthy = 5}}) == "ready_jobs.unhealthy");
  CHECK(refused({.dead_letters = {.degraded = 1, .unhealthy = 0}}) == "dead_letters.unhealthy");
  CHECK(refused({.expired_holds = {.degraded = 2, .unhealthy = 1}}) == "expired_holds.unhealthy");
  CHECK(refused({.overdue_invoices = {.degraded = 2, .unhealthy = 1}}) == "overdue_invoices.unhealthy");
  CHECK(refused({.oldest_ready_age = {.degraded = -1us}}) == "oldest_ready_age.degraded");
  CHECK(refused({.oldest_ready_age = {.unhealthy = k_max_health_age + 1us}}) == "oldest_ready_age.unhealthy");
  CHECK(refused({.oldest_ready_age = {.degraded = 2h, .unhealthy = 1h}}) == "oldest_ready_age.unhealthy");
  CHECK(refused({.invoice_overdue_after = 0us}) == "invoice_overdue_after");
  CHECK(refused({.invoice_overdue_after = k_max_health_age + 1us}) == "invoice_overdue_after");
  CHECK(refused({.ready_jobs = {.degraded = 7, .unhealthy = 7},
                 .oldest_ready_age = {.degraded = 0us, .unhealthy = k_max_health_age},
                 .invoice_overdue_after = k_max_health_age}) == "accepted");
}

CONTRACT_TEST("a failing store gives an UNHEALTHY report with the reason, never an exception") {
  auto faults = std::make_shared<test::FaultStore>(Adapter::open());
  test::Fixture f(faults);
  const AccountId cash = f.open("cash");
  const AccountId sales = f.open("sales", "USD", Side::credit);
  REQUIRE(f.ledger().transfer({.debit = cash, .credit = sales, .amount = usd("1.00")}).result == PostResult::ok);

  faults->set_hook(test::FaultAt("begin", 1, [] { throw StorageError("", "the disk went away"); }));
  HealthReport report = f.books->health().report();
  CHECK(report.status == HealthStatus::unhealthy);
  CHECK_FALSE(report.storage_reachable);
  CHECK_FALSE(report.ledger_entries.has_value());
  CHECK_FALSE(report.jobs.has_value());
  CHECK(report.counters.entries_posted == 1);  // the counters need no store
  CHECK(check_named(report, "storage").reason == "the store failed: the disk went away");
  CHECK(check_named(report, "dead_letters").reason == "not measured: the disk went away");
  CHECK(report.reasons().size() == 7);
  CHECK(report.to_json().find(R"("storage":{"reachable":false,"integrity_ok":null,"ledger_entries":null,)") !=
        std::string::npos);
  CHECK(report.to_json().find(R"("jobs":{"ready":null,"scheduled":null,)") != std::string::npos);
  CHECK(report.to_table().find("  storage           UNHEALTHY  unreachable") != std::string::npos);

  // Failing part-way keeps what was read before.
  faults->set_hook(test::FaultAt("jobs.counts", 1, [] { throw StorageError("", "I/O error"); }));
  report = f.books->health().report();
  CHECK(report.storage_reachable);
  CHECK(report.ledger_entries == 1u);
  CHECK(report.integrity_ok == true);
  CHECK(status_of(report, "integrity") == HealthStatus::healthy);
  CHECK_FALSE(report.jobs.has_value());
  CHECK(status_of(report, "storage") == HealthStatus::unhealthy);
  CHECK(check_named(report, "expired_holds").reason == "not measured: I/O error");

  // A stored row that breaks an invariant is an integrity failure.
  faults->set_hook(test::FaultAt("ledger.scan", 1, [] { throw InvariantViolation("entry", "a broken row"); }));
  report = f.books->health().report();
  CHECK(report.status == HealthStatus::unhealthy);
  CHECK(status_of(report, "storage") == HealthStatus::healthy);
  CHECK(check_named(report, "integrity").reason.starts_with("a stored row is broken: "));

  faults->set_hook(nullptr);
  CHECK(f.books->health().report().status == HealthStatus::healthy);
}

CONTRACT_TEST("a report inside a transaction reads what the transaction wrote") {
  Area a = area<Adapter>();
  auto work = a.f.books->transaction();
  REQUIRE(a.transfer("1.00").result == PostResult::ok);
  const HealthReport report = a.report();
  CHECK(report.ledger_entries == 1u);
  CHECK(report.integrity_ok == true);
  CHECK(report.counters.entries_posted == 0);  // not committed yet
  work->commit();
  CHECK(a.report().counters.entries_posted == 1);
}
