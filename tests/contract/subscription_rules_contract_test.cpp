// Subscriptions' rules on every adapter, through Books: the cycle a subscription starts on (trial, anchor day
// clamped to the month's end, the stub up to the anchor), create-once ids, the status table under versions,
// cancel now and at the period's end, plan changes with and without proration (exact to the minor unit), and
// the step from one period to the next that the billing run takes. The repository's own refusals are in
// subscriptions_contract_test.cpp.
#include "billing/subscriptions.hpp"

#include <chrono>
#include <string>

#include "adapters.hpp"
#include "billing/storage/subscription_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;

namespace {

Timestamp at(const char* text) { return Timestamp::parse(text); }

struct Area {
  test::Fixture f;
  Subscriptions& subs() { return f.books->subscriptions(); }

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    f.open("acme");
    f.open("euro", "EUR");
    plan("basic", "30.00", PlanInterval::month);
    plan("pro", "90.00", PlanInterval::month);
    plan("yearly", "300.00", PlanInterval::year);
    plan("weekly", "7.00", PlanInterval::week);
  }
  void plan(const std::string& code, const char* fee, PlanInterval interval) {
    const PlanOutcome made = f.books->plans().create(
        {.code = code, .currency = Currency("USD"), .interval = interval, .flat_fee = Money::parse(std::string(fee) + " USD")});
    REQUIRE(made.ok());
  }
  Subscription create(SubscriptionRequest request) {
    const SubscriptionOutcome made = subs().create(request);
    REQUIRE(made.result == SubscriptionResult::ok);
    return *made.subscription;
  }
  Subscription advance(const Subscription& s) {
    UnitOfWork work(*f.store, Access::write);
    Subscription next = subs().advance(work, s);
    work.commit();
    return next;
  }
};

template <class Adapter>
Area area() {
  return Area(fixture<Adapter>());
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

}  // namespace

CONTRACT_TEST("a monthly subscription anchored on the 31st bills on the month's last day, then on the 31st") {
  Area a = area<Adapter>();
  Subscription s = a.create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                             .start = at("2026-01-31T10:00:00Z")});
  CHECK(s.status == SubscriptionStatus::active);
  CHECK(s.anchor_day == 31);
  CHECK(s.period_index == 0);
  CHECK(s.current_period_start == at("2026-01-31T10:00:00Z"));
  CHECK(s.current_period_end == at("2026-02-28T10:00:00Z"));
  CHECK(s.version == 1);
  CHECK(s.created_at == a.f.clock->now());
  s = a.advance(s);
  CHECK(s.current_period_start == at("2026-02-28T10:00:00Z"));
  CHECK(s.current_period_end == at("2026-03-31T10:00:00Z"));
  s = a.advance(s);
  CHECK(s.current_period_end == at("2026-04-30T10:00:00Z"));
  CHECK(s.period_index == 2);
  CHECK(s.version == 3);
  CHECK(a.subs().get(s.id) == s);
}

CONTRACT_TEST("a trial is period -1, then the cycle starts where it ends") {
  Area a = area<Adapter>();
  Subscription s = a.create({.account_id = AccountId("acme"), .plan = "basic", .start = at("2026-01-20T00:00:00Z"),
                             .trial_days = 14});
  CHECK(s.id.str() == "sub_gen-000000000001");  // from the books' IdSource
  CHECK(s.status == SubscriptionStatus::trialing);
  CHECK(s.trial_end == at("2026-02-03T00:00:00Z"));
  CHECK(s.period_index == -1);
  CHECK(s.current_period_end == at("2026-02-03T00:00:00Z"));
  CHECK(s.anchor_day == 3);
  CHECK(period_fee(s, Money::parse("30.00 USD")) == Money::parse("0.00 USD"));
  s = a.advance(s);
  CHECK(s.status == SubscriptionStatus::active);
  CHECK(s.period_index == 0);
  CHECK(s.current_period_start == at("2026-02-03T00:00:00Z"));
  CHECK(s.current_period_end == at("2026-03-03T00:00:00Z"));
  CHECK(period_fee(s, Money::parse("30.00 USD")) == Money::parse("30.00 USD"));
}

CONTRACT_TEST("an anchor day other than the start's makes a stub first period, its fee prorated by seconds") {
  Area a = area<Adapter>();
  // 2026-02-10 to 2026-03-01 is 19 days of February's 28 (the cycle's full period is 2026-02-01 to 2026-03-01).
  Subscription s = a.create({.account_id = AccountId("acme"), .plan = "basic", .start = at("2026-02-10T00:00:00Z"),
                             .anchor_day = 1});
  CHECK(s.cycle_origin == at("2026-02-01T00:00:00Z"));
  CHECK(s.current_period_start == at("2026-02-10T00:00:00Z"));
  CHECK(s.current_period_end == at("2026-03-01T00:00:00Z"));
  CHECK(period_fee(s, Money::parse("28.00 USD")) == Money::parse("19.00 USD"));
  CHECK(period_fee(s, Money::parse("30.00 USD")) == Money::parse("20.36 USD"));  // 30 x 19/28 = 20.357...
  s = a.advance(s);
  CHECK(s.current_period_start == at("2026-03-01T00:00:00Z"));
  CHECK(s.current_period_end == at("2026-04-01T00:00:00Z"));
  CHECK(period_fee(s, Money::parse("30.00 USD")) == Money::parse("30.00 USD"));
  // Anchored on the 31st from the 10th: the stub runs to the month's last day.
  Subscription late = a.create({.account_id = AccountId("acme"), .plan = "basic",
                                .start = at("2026-02-10T00:00:00Z"), .anchor_day = 31});
  CHECK(late.cycle_origin == at("2026-01-31T00:00:00Z"));
  CHECK(late.current_period_end == at("2026-02-28T00:00:00Z"));
  late = a.advance(late);
  CHECK(late.current_period_end == at("2026-03-31T00:00:00Z"));
  // Yearly from 2024-02-29: 2025-02-28, then 2026-02-28, 2027-02-28, 2028-02-29.
  Subscription leap = a.create({.account_id = AccountId("acme"), .plan = "yearly",
                                .start = at("2024-02-29T00:00:00Z")});
  CHECK(leap.current_period_end == at("2025-02-28T00:00:00Z"));
  for (int i = 0; i < 3; ++i) leap = a.advance(leap);
  CHECK(leap.current_period_end == at("2028-02-29T00:00:00Z"));
}

CONTRACT_TEST("create refuses bad requests by field and reports what it could not find") {
  Area a = area<Adapter>();
  const Timestamp start = at("2026-03-01T00:00:00Z");
  check_invalid([&] { (void)a.subs().create({.account_id = AccountId("acme"), .plan = "", .start = start}); }, "plan");
  check_invalid([&] { (void)a.subs().create({.account_id = AccountId("acme"), .plan = "basic", .start = start, .anchor_day = 0}); },
                "anchor_day");
  check_invalid([&] { (void)a.subs().create({.account_id = AccountId("acme"), .plan = "basic", .start = start, .anchor_day = 32}); },
                "anchor_day");
  check_invalid([&] { (void)a.subs().create({.account_id = AccountId("acme"), .plan = "weekly", .start = start, .anchor_day = 3}); },
                "anchor_day");
  check_invalid([&] { (void)a.subs().create({.account_id = AccountId("acme"), .plan = "basic", .start = start, .trial_days = 731}); },
                "trial_days");
  check_invalid([&] { (void)a.subs().create({.account_id = AccountId("acme"), .plan = "basic", .start = at("2200-01-01T00:00:00Z")}); },
                "start");
  CHECK(a.subs().create({.account_id = AccountId("nobody"), .plan = "basic", .start = start}).result ==
        SubscriptionResult::account_not_found);
  CHECK(a.subs().create({.account_id = AccountId("acme"), .plan = "nope", .start = start}).result ==
        SubscriptionResult::plan_not_found);
  CHECK(a.subs().create({.account_id = AccountId("euro"), .plan = "basic", .start = start}).result ==
        SubscriptionResult::currency_mismatch);
  REQUIRE(a.f.accounts().set_status(AccountId("euro"), AccountStatus::inactive).result == StatusResult::ok);
  CHECK(a.subs().create({.account_id = AccountId("euro"), .plan = "basic", .start = start}).result ==
        SubscriptionResult::account_closed);
  CHECK(a.subs().list().items.empty());  // nothing was stored by any of them
}

CONTRACT_TEST("the same id and request again is EXISTS; another request under the id changes nothing") {
  Area a = area<Adapter>();
  const SubscriptionRequest request{.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                                    .start = at("2026-03-01T00:00:00Z")};
  const Subscription made = a.create(request);
  a.f.clock->advance(1h);
  const SubscriptionOutcome again = a.subs().create(request);
  CHECK(again.result == SubscriptionResult::exists);
  CHECK(again.subscription == made);
  SubscriptionRequest other = request;
  other.plan = "pro";
  CHECK(a.subs().create(other).result == SubscriptionResult::exists_with_different_fields);
  CHECK(a.subs().get(SubscriptionId("s1")) == made);
}

CONTRACT_TEST("status changes follow the table and the stored version") {
  Area a = area<Adapter>();
  const Subscription s = a.create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                                   .start = at("2026-03-01T00:00:00Z")});
  CHECK(a.subs().pause(s.id, 7).result == SubscriptionChangeResult::version_conflict);
  const SubscriptionChange paused = a.subs().pause(s.id, 1);
  REQUIRE(paused.ok());
  CHECK(paused.subscription->status == SubscriptionStatus::paused);
  CHECK(paused.subscription->version == 2);
  CHECK(a.subs().pause(s.id).result == SubscriptionChangeResult::transition_forbidden);
  CHECK(a.subs().resume(s.id).subscription->status == SubscriptionStatus::active);
  CHECK(a.subs().resume(s.id).result == SubscriptionChangeResult::transition_forbidden);
  CHECK(a.subs().set_status(s.id, SubscriptionStatus::past_due).ok());
  CHECK(a.subs().resume(s.id).result == SubscriptionChangeResult::transition_forbidden);  // resume is from PAUSED
  CHECK(a.subs().set_status(s.id, SubscriptionStatus::trialing).result ==
        SubscriptionChangeResult::transition_forbidden);
  CHECK(a.subs().set_status(SubscriptionId("nope"), SubscriptionStatus::active).result ==
        SubscriptionChangeResult::not_found);
  const SubscriptionChange canceled = a.subs().cancel(s.id);
  REQUIRE(canceled.ok());
  CHECK(canceled.subscription->canceled_at == a.f.clock->now());
  for (const SubscriptionStatus to : k_subscription_statuses) {
    CHECK(a.subs().set_status(s.id, to).result == SubscriptionChangeResult::transition_forbidden);
  }
  CHECK(a.subs().change_plan(s.id, "pro", Proration::none).result == SubscriptionChangeResult::transition_forbidden);
  CHECK(a.subs().get(s.id)->version == canceled.subscription->version);
}

CONTRACT_TEST("every pair of the status table is allowed or refused as the table says") {
  Area a = area<Adapter>();
  int checked = 0;
  for (const SubscriptionStatus from : k_subscription_statuses) {
    for (const SubscriptionStatus to : k_subscription_statuses) {
      const SubscriptionId id("s" + std::to_string(checked++));
      (void)a.create({.id = id, .account_id = AccountId("acme"), .plan = "basic", .start = at("2026-03-01T00:00:00Z"),
                      .trial_days = from == SubscriptionStatus::trialing ? 3u : 0u});
      if (from != SubscriptionStatus::trialing && from != SubscriptionStatus::active) {
        // ACTIVE -> PAST_DUE -> the others; PAUSED and CANCELED straight from ACTIVE.
        REQUIRE(a.subs().set_status(id, from).ok());
      }
      const SubscriptionChange change = a.subs().set_status(id, to);
      CHECK(change.ok() == subscription_transition_allowed(from, to));
      CHECK(a.subs().get(id)->status == (change.ok() ? to : from));
    }
  }
  CHECK(subscription_transitions().size() == 10);
}

CONTRACT_TEST("cancel at the period's end keeps billing this period, then advance cancels") {
  Area a = area<Adapter>();
  const Subscription s = a.create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                                   .start = at("2026-03-01T00:00:00Z")});
  const SubscriptionChange set = a.subs().cancel(s.id, CancelAt::period_end);
  REQUIRE(set.ok());
  CHECK(set.subscription->cancel_at_period_end);
  CHECK(set.subscription->status == SubscriptionStatus::active);
  const SubscriptionChange twice = a.subs().cancel(s.id, CancelAt::period_end);
  CHECK(twice.ok());
  CHECK(twice.subscription->version == set.subscription->version);  // nothing changed the second time
  {
    UnitOfWork work(*a.f.store, Access::read);
    CHECK(a.subs().due(work, at("2026-04-01T00:00:00Z"), 10).size() == 1);
  }
  const Subscription ended = a.advance(*set.subscription);
  CHECK(ended.status == SubscriptionStatus::canceled);
  CHECK(ended.canceled_at == at("2026-04-01T00:00:00Z"));
  UnitOfWork work(*a.f.store, Access::read);
  CHECK(a.subs().due(work, at("2030-01-01T00:00:00Z"), 10).empty());
}

CONTRACT_TEST("a prorated plan change credits the unused old fee and charges the rest of the new one") {
  Area a = area<Adapter>();
  // April 2026 has 30 days; the change at 2026-04-21T00:00Z leaves 10 days, a third of the period.
  const Subscription s = a.create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                                   .start = at("2026-04-01T00:00:00Z")});
  a.f.clock->set(at("2026-04-21T00:00:00Z"));
  const SubscriptionChange change = a.subs().change_plan(s.id, "pro", Proration::by_seconds);
  REQUIRE(change.ok());
  REQUIRE(change.adjustments.size() == 2);
  CHECK(change.adjustments[0].amount == Money::parse("-10.00 USD"));
  CHECK(change.adjustments[1].amount == Money::parse("30.00 USD"));
  CHECK(change.adjustments[0].sequence == 1);
  CHECK(change.adjustments[1].sequence == 2);
  CHECK(change.subscription->plan == "pro");
  CHECK(change.subscription->running_plan == "pro");
  CHECK(change.subscription->period_plan == "basic");  // the invoice's base: 30.00 - 10.00 + 30.00 = 50.00
  CHECK(a.subs().adjustments(s.id, at("2026-04-01T00:00:00Z")) == change.adjustments);
  // Back to basic at 2026-04-26T00:00Z (5 days left, a sixth): -15.00 for pro, +5.00 for basic.
  a.f.clock->set(at("2026-04-26T00:00:00Z"));
  const SubscriptionChange back = a.subs().change_plan(s.id, "basic", Proration::by_seconds);
  REQUIRE(back.adjustments.size() == 2);
  CHECK(back.adjustments[0].amount == Money::parse("-15.00 USD"));
  CHECK(back.adjustments[1].amount == Money::parse("5.00 USD"));
  CHECK(back.adjustments[0].sequence == 3);
  CHECK(a.subs().adjustments(s.id, at("2026-04-01T00:00:00Z")).size() == 4);
  // An odd split rounds half to even, by microseconds: 1 second of 90.00 over 30 days is 0.0000347: 0.00.
  const Subscription next = a.advance(*back.subscription);
  CHECK(next.period_plan == "basic");
  CHECK(a.subs().adjustments(s.id, next.current_period_start).empty());
}

CONTRACT_TEST("a plan change without proration keeps this period's fee; changes that cannot be made say why") {
  Area a = area<Adapter>();
  const Subscription s = a.create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                                   .start = at("2026-04-01T00:00:00Z")});
  a.f.clock->set(at("2026-04-21T00:00:00Z"));
  const SubscriptionChange none = a.subs().change_plan(s.id, "pro", Proration::none);
  REQUIRE(none.ok());
  CHECK(none.adjustments.empty());
  CHECK(none.subscription->plan == "pro");
  CHECK(none.subscription->running_plan == "basic");
  // A prorated change after it credits the fee that still runs (basic's), not pro's.
  const SubscriptionChange after = a.subs().change_plan(s.id, "basic", Proration::by_seconds);
  REQUIRE(after.adjustments.size() == 2);
  CHECK(after.adjustments[0].amount == Money::parse("-10.00 USD"));
  CHECK(after.adjustments[1].amount == Money::parse("10.00 USD"));
  CHECK(a.subs().change_plan(s.id, "basic", Proration::by_seconds).adjustments.empty());  // no change
  CHECK(a.subs().change_plan(s.id, "nope", Proration::none).result == SubscriptionChangeResult::plan_not_found);
  CHECK(a.subs().change_plan(s.id, "yearly", Proration::none).result == SubscriptionChangeResult::interval_mismatch);
  CHECK(a.subs().change_plan(SubscriptionId("x"), "pro", Proration::none).result == SubscriptionChangeResult::not_found);
  check_invalid([&] { (void)a.subs().change_plan(s.id, "", Proration::none); }, "plan");
  // A trial changes plan whole: nothing to prorate.
  const Subscription trial = a.create({.account_id = AccountId("acme"), .plan = "basic",
                                       .start = at("2026-04-20T00:00:00Z"), .trial_days = 7});
  const SubscriptionChange during = a.subs().change_plan(trial.id, "pro", Proration::by_seconds);
  CHECK(during.adjustments.empty());
  CHECK(during.subscription->period_plan == "pro");
}

CONTRACT_TEST("due lists billable subscriptions whose period has ended, soonest first") {
  Area a = area<Adapter>();
  const Subscription early = a.create({.id = SubscriptionId("b"), .account_id = AccountId("acme"), .plan = "weekly",
                                       .start = at("2026-03-02T00:00:00Z")});
  const Subscription late = a.create({.id = SubscriptionId("a"), .account_id = AccountId("acme"), .plan = "basic",
                                      .start = at("2026-03-02T00:00:00Z")});
  const Subscription paused = a.create({.id = SubscriptionId("c"), .account_id = AccountId("acme"), .plan = "weekly",
                                        .start = at("2026-03-02T00:00:00Z")});
  REQUIRE(a.subs().pause(paused.id).ok());
  UnitOfWork work(*a.f.store, Access::read);
  CHECK(a.subs().due(work, at("2026-03-08T23:59:59Z"), 10).empty());
  const auto week = a.subs().due(work, at("2026-03-09T00:00:00Z"), 10);
  REQUIRE(week.size() == 1);
  CHECK(week[0].id == early.id);
  const auto month = a.subs().due(work, at("2026-04-02T00:00:00Z"), 10);
  REQUIRE(month.size() == 2);
  CHECK(month[0].id == early.id);
  CHECK(month[1].id == late.id);
  check_invalid([&] { (void)a.subs().due(work, at("2026-04-02T00:00:00Z"), 0); }, "limit");
}

CONTRACT_TEST("list pages by id, of an account and a status") {
  Area a = area<Adapter>();
  for (const char* id : {"s3", "s1", "s2"}) {
    (void)a.create({.id = SubscriptionId(id), .account_id = AccountId("acme"), .plan = "basic",
                    .start = at("2026-03-01T00:00:00Z")});
  }
  REQUIRE(a.subs().cancel(SubscriptionId("s2")).ok());
  const Page<Subscription> first = a.subs().list(std::nullopt, std::nullopt, std::nullopt, 2);
  REQUIRE(first.items.size() == 2);
  CHECK(first.items[0].id.str() == "s1");
  REQUIRE(first.next_cursor);
  const Page<Subscription> rest = a.subs().list(std::nullopt, std::nullopt, first.next_cursor, 2);
  REQUIRE(rest.items.size() == 1);
  CHECK(rest.items[0].id.str() == "s3");
  CHECK(!rest.next_cursor);
  CHECK(a.subs().list(AccountId("acme"), SubscriptionStatus::canceled).items.size() == 1);
  CHECK(a.subs().list(AccountId("euro")).items.empty());
}

CONTRACT_TEST("a subscription's writes join the open transaction and roll back with it") {
  Area a = area<Adapter>();
  {
    auto tx = a.f.books->transaction();
    (void)a.create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                    .start = at("2026-03-01T00:00:00Z")});
  }  // dropped without commit
  CHECK(!a.subs().get(SubscriptionId("s1")));
}
