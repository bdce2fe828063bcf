// The billing run on every adapter: each due period billed once (invoice, number, entry, advance, payment job),
// a second run for the same date billing nothing, a subscription behind by several periods billed period by
// period, trials ending without an invoice, cancel at the period's end, and a period the ledger refuses skipped
// with its reason and left for a later run.
#include "billing/billing_run.hpp"

#include <algorithm>
#include <string>

#include "adapters.hpp"
#include "billing/storage/invoice_repository.hpp"

using namespace billing;
using billing::test::fixture;

namespace {

Timestamp at(const char* text) { return Timestamp::parse(text); }
Money usd(const char* amount) { return Money::parse(std::string(amount) + " USD"); }

struct Area {
  test::Fixture f;
  BillingRun& run() { return f.books->billing(); }

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    f.open("acme");
    f.open("globex");
    REQUIRE(f.books->plans().create({.code = "basic", .currency = Currency("USD"), .flat_fee = usd("30.00")}).ok());
  }
  SubscriptionId subscribe(const char* id, const char* account, const char* start, std::uint32_t trial = 0) {
    const SubscriptionOutcome made = f.books->subscriptions().create(
        {.id = SubscriptionId(id), .account_id = AccountId(account), .plan = "basic", .start = at(start),
         .trial_days = trial});
    REQUIRE(made.ok());
    return made.subscription->id;
  }
  std::size_t invoices() { return f.books->invoices().list(std::nullopt, std::nullopt, std::nullopt, 1000).items.size(); }
};

template <class Adapter>
Area area() {
  return Area(fixture<Adapter>());
}

}  // namespace

CONTRACT_TEST("a run bills each due period once; a second run for the same date bills nothing") {
  Area a = area<Adapter>();
  a.subscribe("s1", "acme", "2026-01-01T00:00:00Z");
  a.subscribe("s2", "globex", "2026-01-15T00:00:00Z");
  const BillingReport first = a.run().run(at("2026-02-01T00:00:00Z"));
  CHECK(first.subscriptions_billed == 1);  // s2's period ends on the 15th
  CHECK(first.invoices_created == 1);
  CHECK(first.payment_jobs == 1);
  CHECK(first.totals.at("USD") == usd("30.00"));
  CHECK(first.skipped.empty());
  CHECK(!first.more_due);
  const BillingReport again = a.run().run(at("2026-02-01T00:00:00Z"));
  CHECK(again.subscriptions_billed == 0);
  CHECK(again.invoices_created == 0);
  CHECK(again.totals.empty());
  CHECK(a.invoices() == 1);

  const Subscription s1 = *a.f.books->subscriptions().get(SubscriptionId("s1"));
  CHECK(s1.current_period_start == at("2026-02-01T00:00:00Z"));
  const Invoice invoice = a.f.books->invoices().list().items.at(0);
  CHECK(invoice.status == InvoiceStatus::open);
  CHECK(invoice.number == 1u);
  CHECK(invoice.period_start == at("2026-01-01T00:00:00Z"));
  CHECK(a.f.totals(AccountId("acme")).debits_posted == 3000);
  const std::optional<Job> job = a.f.books->jobs().claim({.kinds = {std::string(k_invoice_payment_kind)}});
  REQUIRE(job);
  CHECK(job->payload == R"({"invoice_id":")" + invoice.id.str() + R"("})");
  CHECK(!a.f.books->jobs().claim({.kinds = {std::string(k_invoice_payment_kind)}}));  // one job, once
  CHECK(a.f.ledger().verify().ok);
}

CONTRACT_TEST("a subscription behind by several periods is billed period by period, numbers in order") {
  Area a = area<Adapter>();
  a.subscribe("s1", "acme", "2026-01-31T00:00:00Z");
  const BillingReport report = a.run().run(at("2026-05-01T00:00:00Z"));
  CHECK(report.subscriptions_billed == 3);  // Jan 31-Feb 28, Feb 28-Mar 31, Mar 31-Apr 30
  CHECK(report.totals.at("USD") == usd("90.00"));
  const Page<Invoice> invoices = a.f.books->invoices().list();
  REQUIRE(invoices.items.size() == 3);
  std::vector<Timestamp> starts;
  for (const Invoice& i : invoices.items) starts.push_back(i.period_start);
  std::sort(starts.begin(), starts.end());
  CHECK(starts[0] == at("2026-01-31T00:00:00Z"));
  CHECK(starts[1] == at("2026-02-28T00:00:00Z"));
  CHECK(starts[2] == at("2026-03-31T00:00:00Z"));
  CHECK(a.f.books->subscriptions().get(SubscriptionId("s1"))->current_period_end == at("2026-05-31T00:00:00Z"));
  const BillingReport limited = a.run().run(at("2026-08-01T00:00:00Z"), 1);
  CHECK(limited.subscriptions_billed == 1);
  CHECK(limited.more_due);
}

CONTRACT_TEST("a trial ends without an invoice; cancel at the period's end bills the period, then cancels") {
  Area a = area<Adapter>();
  a.subscribe("t", "acme", "2026-01-01T00:00:00Z", 10);
  a.subscribe("c", "globex", "2026-01-01T00:00:00Z");
  REQUIRE(a.f.books->subscriptions().cancel(SubscriptionId("c"), CancelAt::period_end).ok());
  const BillingReport report = a.run().run(at("2026-02-01T00:00:00Z"));
  CHECK(report.trials_ended == 1);
  CHECK(report.subscriptions_billed == 1);
  CHECK(report.canceled == 1);
  CHECK(a.f.books->subscriptions().get(SubscriptionId("t"))->status == SubscriptionStatus::active);
  CHECK(a.f.books->subscriptions().get(SubscriptionId("c"))->status == SubscriptionStatus::canceled);
  CHECK(a.invoices() == 1);
  CHECK(a.run().run(at("2027-01-01T00:00:00Z")).subscriptions_billed == 11);  // t: Jan 11 to Dec 11; c: none
}

CONTRACT_TEST("a period the ledger refuses is skipped with its reason and billed by a later run") {
  Area a = area<Adapter>();
  const AccountOutcome pending = a.f.accounts().create(
      {.id = AccountId("newco"), .currency = Currency("USD"), .name = "Newco", .status = AccountStatus::pending});
  REQUIRE(pending.result == AccountResult::ok);
  a.subscribe("s1", "newco", "2026-01-01T00:00:00Z");
  const BillingReport report = a.run().run(at("2026-02-01T00:00:00Z"));
  CHECK(report.subscriptions_billed == 0);
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].subscription_id.str() == "s1");
  CHECK(report.skipped[0].reason.find("account_pending") != std::string::npos);
  CHECK(a.invoices() == 0);  // rolled back with the period
  CHECK(a.f.books->subscriptions().get(SubscriptionId("s1"))->period_index == 0);
  REQUIRE(a.f.accounts().set_status(AccountId("newco"), AccountStatus::active).result == StatusResult::ok);
  CHECK(a.run().run(at("2026-02-01T00:00:00Z")).subscriptions_billed == 1);
  CHECK(a.invoices() == 1);
  CHECK(a.f.ledger().verify().ok);
}

CONTRACT_TEST("the run refuses to join a transaction, and a bad limit") {
  Area a = area<Adapter>();
  CHECK_THROWS_AS(static_cast<void>(a.run().run(at("2026-02-01T00:00:00Z"), 0)), InvalidArgument);
  auto tx = a.f.books->transaction();
  CHECK_THROWS_AS(static_cast<void>(a.run().run(at("2026-02-01T00:00:00Z"))), Misuse);
}
