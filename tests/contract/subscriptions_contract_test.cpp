// The subscription repository on every adapter: every field round-trips (with and without its optionals), an
// id is held by one subscription, update() replaces a row at exactly the next version and refuses a change of
// identity or a status move the table forbids (all 25 pairs walked) leaving the row as it was, due() reads the
// billable subscriptions by (period end, id) a page at a time, list() pages by account and status in id order,
// adjustments append in sequence per period, and a unit of work that does not commit leaves nothing behind.
// The subscription rules themselves are in the subscriptions service's own suite.
#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/storage/subscription_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::usd;

namespace {

const Timestamp k_start = Timestamp::parse("2026-01-31T09:30:00.000001Z");
const Timestamp k_period_end = Timestamp::parse("2026-02-28T09:30:00.000001Z");
const Timestamp k_created = Timestamp::parse("2026-01-30T12:00:00.000007Z");

constexpr int k_statuses = static_cast<int>(std::size(k_subscription_statuses));

/// Books with the accounts and plans a subscription may name: "acme" and "beta" in USD, "yen" in JPY; plans
/// "pro", "team" and "basic".
struct Area {
  test::Fixture f;

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    (void)f.open("acme");
    (void)f.open("beta");
    (void)f.open("yen", "JPY");
    for (const char* code : {"pro", "team", "basic"}) {
      REQUIRE(f.books->plans().create({.code = code, .currency = Currency("USD"), .flat_fee = usd("49.00")}).ok());
    }
  }
  Store& store() { return *f.store; }
};

template <class Adapter>
Area area() {
  return Area(test::fixture<Adapter>());
}

/// A new ACTIVE monthly subscription anchored on the 31st, its first period from its start to 28 February.
Subscription active(const std::string& id, const std::string& account = "acme") {
  return Subscription{
      .id = SubscriptionId(id),
      .account_id = AccountId(account),
      .plan = "pro",
      .period_plan = "pro",
      .running_plan = "pro",
      .currency = Currency("USD"),
      .interval = PlanInterval::month,
      .status = SubscriptionStatus::active,
      .start = k_start,
      .trial_end = std::nullopt,
      .cycle_origin = k_start,
      .anchor_day = 31,
      .period_index = 0,
      .current_period_start = k_start,
      .current_period_end = k_period_end,
      .cancel_at_period_end = false,
      .canceled_at = std::nullopt,
      .version = 1,
      .created_at = k_created,
      .updated_at = k_created,
  };
}

/// A new TRIALING subscription in its 14-day trial (period -1), every optional set.
Subscription trialing(const std::string& id, const std::string& account = "acme") {
  Subscription s = active(id, account);
  s.status = SubscriptionStatus::trialing;
  s.trial_end = k_start + std::chrono::hours(24 * 14);
  s.cycle_origin = *s.trial_end;
  s.period_index = -1;
  s.current_period_end = *s.trial_end;
  s.cancel_at_period_end = true;
  s.canceled_at = k_start + 1h;  // when the cancel at the period's end was asked for
  return s;
}

/// `s` moved to `to` one second after its last update, at the next version, with what a row in `to` must have
/// (so that a refusal can only be the table's): a cancel time exactly when CANCELED (or set to cancel), the trial
/// (period -1) when TRIALING, and the first paid period after a trial.
Subscription moved(const Subscription& s, SubscriptionStatus to) {
  Subscription next = s;
  next.status = to;
  next.version = s.version + 1;
  next.updated_at = s.updated_at + 1s;
  if (s.status == SubscriptionStatus::trialing && to != SubscriptionStatus::trialing) next.period_index = 0;
  if (to == SubscriptionStatus::trialing) {
    next.period_index = -1;
    next.trial_end = s.trial_end.value_or(s.start + std::chrono::hours(24 * 14));
  }
  if (to == SubscriptionStatus::canceled) {
    next.canceled_at = next.updated_at;
  } else if (!next.cancel_at_period_end) {
    next.canceled_at.reset();
  }
  return next;
}

/// Updates `s` to `to` through `repository`, checks that it was stored, and returns the new row.
Subscription step(SubscriptionRepository& repository, const Subscription& s, SubscriptionStatus to) {
  const Subscription next = moved(s, to);
  REQUIRE(repository.update(next));
  return next;
}

/// Stores `s` (new: TRIALING or ACTIVE) and moves it to `status` through allowed steps.
Subscription stored_in(SubscriptionRepository& repository, Subscription s, SubscriptionStatus status) {
  if (status == SubscriptionStatus::trialing) s = trialing(s.id.str(), s.account_id.str());
  REQUIRE(repository.insert(s));
  if (status != s.status) s = step(repository, s, status);
  REQUIRE(s.status == status);
  return s;
}

/// The field of the InvariantViolation that `write` throws in a unit of work of its own (which then rolls
/// back), or "stored" when it throws none (the unit then commits).
std::string refusal(Store& store, const std::function<void(SubscriptionRepository&)>& write) {
  UnitOfWork work(store, Access::write);
  try {
    write(work->subscriptions());
  } catch (const InvariantViolation& e) {
    return e.field();
  }
  work.commit();
  return "stored";
}

std::optional<Subscription> find(Store& store, const std::string& id) {
  UnitOfWork work(store, Access::read);
  return work->subscriptions().find(SubscriptionId(id));
}

std::vector<std::string> ids_of(const std::vector<Subscription>& subscriptions) {
  std::vector<std::string> out;
  for (const Subscription& s : subscriptions) out.push_back(s.id.str());
  return out;
}

/// Every id list() gives for `filter`, page by page of `limit`.
std::vector<std::string> list_all(SubscriptionRepository& repository, const SubscriptionFilter& filter,
                                  std::size_t limit) {
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    const auto page = repository.list(filter, after, limit);
    CHECK(page.size() <= limit);
    for (const Subscription& s : page) {
      if (filter.account_id) CHECK(s.account_id == *filter.account_id);
      if (filter.status) CHECK(s.status == *filter.status);
      seen.push_back(s.id.str());
    }
    if (page.size() < limit) break;
    after = page.back().id.str();
  }
  return seen;
}

/// Every id due(as_of) gives, page by page of `limit`, each page after the last one's (period end, id).
std::vector<std::string> due_all(SubscriptionRepository& repository, Timestamp as_of, std::size_t limit) {
  std::vector<std::string> seen;
  Timestamp after_end{};
  std::string after_id;
  for (int pages = 0; pages < 100; ++pages) {
    const auto page = repository.due(as_of, after_end, after_id, limit);
    CHECK(page.size() <= limit);
    for (const Subscription& s : page) seen.push_back(s.id.str());
    if (page.size() < limit) break;
    after_end = page.back().current_period_end;
    after_id = page.back().id.str();
  }
  return seen;
}

SubscriptionAdjustment adjustment(const std::string& id, Timestamp period_start, std::uint32_t sequence,
                                  const Money& amount, std::string description = "proration") {
  return {.subscription_id = SubscriptionId(id),
          .period_start = period_start,
          .sequence = sequence,
          .description = std::move(description),
          .amount = amount,
          .created_at = k_start + 3h};
}

}  // namespace

CONTRACT_TEST("a subscription round-trips every field, with and without its optionals") {
  auto a = area<Adapter>();
  Subscription yearly = active("sub-yen", "yen");
  yearly.currency = Currency("JPY");
  yearly.interval = PlanInterval::year;
  yearly.plan = "team";  // three plans, each its own: the next periods', the period's, the running fee's
  yearly.period_plan = "basic";
  yearly.running_plan = "pro";
  yearly.anchor_day = 29;
  yearly.cycle_origin = k_start - 7us;
  yearly.current_period_start = k_start + 1us;
  yearly.current_period_end = Timestamp::parse("2027-01-29T09:30:00.000002Z");
  yearly.period_index = 0;
  yearly.updated_at = k_created + 5us;
  const std::vector<Subscription> rows = {active("sub-a"), trialing("sub-t", "beta"), yearly};
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          for (const Subscription& s : rows) REQUIRE(r.insert(s));
        }) == "stored");
  for (const Subscription& s : rows) {
    CAPTURE(s.id.str());
    CHECK(find(a.store(), s.id.str()) == s);
  }
  CHECK_FALSE(find(a.store(), "sub-none").has_value());
}

CONTRACT_TEST("inserting a taken id returns false and stores nothing, whatever the new row holds") {
  auto a = area<Adapter>();
  const Subscription first = active("sub-1");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.insert(first)); }) == "stored");
  Subscription other = trialing("sub-1", "beta");
  other.plan = "team";
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          CHECK_FALSE(r.insert(first));
          CHECK_FALSE(r.insert(other));
        }) == "stored");
  CHECK(find(a.store(), "sub-1") == first);
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->subscriptions().list({.account_id = AccountId("beta")}, "", 10).empty());
}

CONTRACT_TEST("insert refuses a subscription the rules could never create, naming the field, and stores nothing") {
  auto a = area<Adapter>();
  const auto field_of = [&](const std::function<void(Subscription&)>& spoil) {
    Subscription s = active("sub-x");
    spoil(s);
    return refusal(a.store(), [&](SubscriptionRepository& r) { (void)r.insert(s); });
  };
  CHECK(field_of([](Subscription& s) { s.version = 2; }) == "version");
  CHECK(field_of([](Subscription& s) { s.version = 0; }) == "version");
  CHECK(field_of([](Subscription& s) { s.status = SubscriptionStatus::past_due; }) == "status");
  CHECK(field_of([](Subscription& s) { s.status = SubscriptionStatus::paused; }) == "status");
  CHECK(field_of([](Subscription& s) {
          s.status = SubscriptionStatus::canceled;
          s.canceled_at = k_start;
        }) == "status");
  CHECK(field_of([](Subscription& s) { s.status = static_cast<SubscriptionStatus>(5); }) == "status");
  CHECK(field_of([](Subscription& s) { s.interval = static_cast<PlanInterval>(4); }) == "interval");
  CHECK(field_of([](Subscription& s) { s.plan.clear(); }) == "plan");
  CHECK(field_of([](Subscription& s) { s.plan = std::string(k_max_plan_code_bytes + 1, 'p'); }) == "plan");
  CHECK(field_of([](Subscription& s) { s.period_plan.clear(); }) == "period_plan");
  CHECK(field_of([](Subscription& s) { s.running_plan = std::string(k_max_plan_code_bytes + 1, 'r'); }) ==
        "running_plan");
  CHECK(field_of([](Subscription& s) { s.anchor_day = 0; }) == "anchor_day");
  CHECK(field_of([](Subscription& s) { s.anchor_day = 32; }) == "anchor_day");
  CHECK(field_of([](Subscription& s) { s.period_index = -2; }) == "period_index");
  CHECK(field_of([](Subscription& s) { s.current_period_start = s.start - 1us; }) == "current_period_start");
  CHECK(field_of([](Subscription& s) { s.current_period_end = s.current_period_start; }) == "current_period_end");
  CHECK(field_of([](Subscription& s) { s.trial_end = s.start; }) == "trial_end");
  CHECK(field_of([](Subscription& s) { s.period_index = -1; }) == "trial_end");  // a trial without its end
  CHECK(field_of([](Subscription& s) {
          s.status = SubscriptionStatus::trialing;
          s.trial_end = s.current_period_end;
        }) == "period_index");  // TRIALING outside the trial
  CHECK(field_of([](Subscription& s) { s.canceled_at = k_start; }) == "canceled_at");  // neither canceled nor set to
  // What it names must be stored: its account and its three plans.
  CHECK(field_of([](Subscription& s) { s.account_id = AccountId("nobody"); }) == "account_id");
  CHECK(field_of([](Subscription& s) { s.plan = "gold"; }) == "plan");
  CHECK(field_of([](Subscription& s) { s.period_plan = "gold"; }) == "plan");
  CHECK(field_of([](Subscription& s) { s.running_plan = "gold"; }) == "plan");

  CHECK_FALSE(find(a.store(), "sub-x").has_value());
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->subscriptions().list({}, "", 10).empty());
  CHECK(work->subscriptions().due(k_period_end + 1000h, Timestamp{}, "", 10).empty());
}

CONTRACT_TEST("update at the stored version replaces every field that moves; at any other it returns false") {
  auto a = area<Adapter>();
  const Subscription stored = trialing("sub-1");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.insert(stored)); }) == "stored");

  // The trial ends and a paid period begins on the other plan: every column that may change, changes.
  Subscription next = stored;
  next.plan = "team";
  next.period_plan = "team";
  next.running_plan = "basic";
  next.status = SubscriptionStatus::active;
  next.trial_end = *stored.trial_end + 1us;
  next.cycle_origin = stored.cycle_origin + 2us;
  next.anchor_day = 14;
  next.period_index = 0;
  next.current_period_start = stored.current_period_end;
  next.current_period_end = stored.current_period_end + std::chrono::hours(24 * 28);
  next.cancel_at_period_end = false;
  next.canceled_at.reset();
  next.version = 2;
  next.updated_at = stored.updated_at + 3us;

  const auto stale = [&](std::uint64_t version) {
    Subscription s = next;
    s.version = version;
    return s;
  };
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          CHECK_FALSE(r.update(stale(1)));  // as if the stored row were at version 0
          CHECK_FALSE(r.update(stale(3)));
          CHECK_FALSE(r.update(stale(100)));
          Subscription unknown = next;
          unknown.id = SubscriptionId("sub-none");
          CHECK_FALSE(r.update(unknown));
        }) == "stored");
  CHECK(find(a.store(), "sub-1") == stored);

  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.update(next)); }) == "stored");
  CHECK(find(a.store(), "sub-1") == next);
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { CHECK_FALSE(r.update(next)); }) == "stored");  // replayed

  // A change that keeps the status (the period advances) is a change too, one version at a time.
  Subscription advanced = next;
  advanced.period_index = 1;
  advanced.current_period_start = next.current_period_end;
  advanced.current_period_end = next.current_period_end + std::chrono::hours(24 * 31);
  advanced.version = 3;
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.update(advanced)); }) == "stored");
  CHECK(find(a.store(), "sub-1") == advanced);
}

CONTRACT_TEST("update refuses a change of identity, a broken row or a missing plan, naming the field, and leaves "
              "the row as it was") {
  auto a = area<Adapter>();
  const Subscription stored = active("sub-1");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.insert(stored)); }) == "stored");
  const Subscription good = moved(stored, SubscriptionStatus::past_due);
  const auto field_of = [&](const std::function<void(Subscription&)>& spoil) {
    Subscription next = good;
    spoil(next);
    return refusal(a.store(), [&](SubscriptionRepository& r) { (void)r.update(next); });
  };
  CHECK(field_of([](Subscription& s) { s.account_id = AccountId("beta"); }) == "account_id");
  CHECK(field_of([](Subscription& s) { s.currency = Currency("EUR"); }) == "currency");
  CHECK(field_of([](Subscription& s) { s.interval = PlanInterval::year; }) == "interval");
  CHECK(field_of([](Subscription& s) { s.start = s.start - 1us; }) == "start");
  CHECK(field_of([](Subscription& s) { s.created_at = s.created_at + 1us; }) == "created_at");
  CHECK(field_of([](Subscription& s) {
          s.status = SubscriptionStatus::trialing;  // a well-formed trial row: only the table refuses it
          s.period_index = -1;
          s.trial_end = s.start + 1h;
        }) == "status");
  CHECK(field_of([](Subscription& s) { s.anchor_day = 0; }) == "anchor_day");
  CHECK(field_of([](Subscription& s) { s.current_period_end = s.current_period_start; }) == "current_period_end");
  CHECK(field_of([](Subscription& s) { s.version = 0; }) == "version");
  CHECK(field_of([](Subscription& s) { s.plan = "gold"; }) == "plan");
  CHECK(field_of([](Subscription& s) { s.period_plan = "gold"; }) == "plan");
  CHECK(field_of([](Subscription& s) { s.running_plan = "gold"; }) == "plan");
  CHECK(field_of([](Subscription& s) { s.running_plan.clear(); }) == "running_plan");
  CHECK(find(a.store(), "sub-1") == stored);
  CHECK(field_of([](Subscription&) {}) == "stored");
  CHECK(find(a.store(), "sub-1") == good);
}

CONTRACT_TEST("every one of the 25 (from, to) pairs is checked against k_subscription_transitions") {
  auto a = area<Adapter>();
  int n = 0;
  int moves = 0;
  int stays = 0;
  for (const SubscriptionStatus from : k_subscription_statuses) {
    for (const SubscriptionStatus to : k_subscription_statuses) {
      CAPTURE(static_cast<int>(from));
      CAPTURE(static_cast<int>(to));
      UnitOfWork work(a.store(), Access::write);
      SubscriptionRepository& repository = work->subscriptions();
      const Subscription before = stored_in(repository, active(fmt::format("sub-{:02}", n++)), from);
      const Subscription next = moved(before, to);
      // Keeping the status is no move: allowed, except from a status the table gives no way out of (CANCELED),
      // which is final. Every other pair is the table's to decide.
      const bool final_status = std::none_of(std::begin(k_subscription_statuses), std::end(k_subscription_statuses),
                                             [&](SubscriptionStatus any) {
                                               return subscription_transition_allowed(from, any);
                                             });
      const bool allowed = from == to ? !final_status : subscription_transition_allowed(from, to);
      if (allowed) {
        (from == to ? stays : moves) += 1;
        CHECK(repository.update(next));
        CHECK(repository.find(before.id) == next);
      } else {
        try {
          (void)repository.update(next);
          FAIL("a forbidden change was stored");
        } catch (const InvariantViolation& e) {
          CHECK(e.field() == "status");
        }
        CHECK(repository.find(before.id) == before);
      }
      work.commit();
    }
  }
  CHECK(n == k_statuses * k_statuses);
  CHECK(moves == 10);  // the x's of the table in subscription.hpp
  CHECK(stays == 4);
  int table = 0;
  for (const auto& row : k_subscription_transitions) table += static_cast<int>(std::count(row.begin(), row.end(), true));
  CHECK(table == moves);
}

CONTRACT_TEST("due() gives the billable subscriptions whose period has ended, by (period end, id), a page at a "
              "time") {
  auto a = area<Adapter>();
  const Timestamp t0 = k_start + 24h;
  const auto ending = [&](const std::string& id, Timestamp end) {
    Subscription s = active(id);
    s.current_period_end = end;
    return s;
  };
  const Timestamp as_of = t0 + std::chrono::hours(24 * 10);
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          (void)stored_in(r, ending("s-d", as_of), SubscriptionStatus::active);  // at as_of: due
          (void)stored_in(r, ending("s-e", as_of + 1us), SubscriptionStatus::active);  // just after: not yet
          (void)stored_in(r, ending("s-c", t0 + 48h), SubscriptionStatus::active);
          (void)stored_in(r, ending("s-b", t0 + 48h), SubscriptionStatus::active);  // the same end: by id
          (void)stored_in(r, ending("s-a", t0 + 24h), SubscriptionStatus::active);
          Subscription trial = trialing("s-f");
          trial.current_period_end = t0 + 72h;
          REQUIRE(r.insert(trial));
          (void)stored_in(r, ending("s-g", t0 + 96h), SubscriptionStatus::past_due);
          (void)stored_in(r, ending("s-h", t0 + 24h), SubscriptionStatus::paused);
          (void)stored_in(r, ending("s-i", t0 + 24h), SubscriptionStatus::canceled);
        }) == "stored");
  const std::vector<std::string> expected = {"s-a", "s-b", "s-c", "s-f", "s-g", "s-d"};
  {
    UnitOfWork work(a.store(), Access::read);
    SubscriptionRepository& r = work->subscriptions();
    CHECK(ids_of(r.due(as_of, Timestamp{}, "", 100)) == expected);
    for (const std::size_t limit : {1U, 2U, 4U, 6U, 7U}) {
      CAPTURE(limit);
      CHECK(due_all(r, as_of, limit) == expected);
    }
    // A cursor between two subscriptions with the same end, and an end without an id (ignored: from the start).
    CHECK(ids_of(r.due(as_of, t0 + 48h, "s-b", 2)) == std::vector<std::string>{"s-c", "s-f"});
    CHECK(ids_of(r.due(as_of, t0 + 48h, "s-a", 1)) == std::vector<std::string>{"s-b"});
    CHECK(ids_of(r.due(as_of, t0 + 1000h, "", 2)) == std::vector<std::string>{"s-a", "s-b"});
    CHECK(ids_of(r.due(as_of, as_of, "s-d", 10)).empty());
    CHECK(ids_of(r.due(t0 + 24h, Timestamp{}, "", 10)) == std::vector<std::string>{"s-a"});
    CHECK(r.due(t0, Timestamp{}, "", 10).empty());
    CHECK(r.due(as_of, Timestamp{}, "", 0).empty());
    const auto first = r.due(as_of, Timestamp{}, "", 1);
    REQUIRE(first.size() == 1);
    CHECK(first[0] == r.find(SubscriptionId("s-a")));
  }
  // A period that advances leaves due(); a pause leaves it; a resume comes back; a rollback undoes all three.
  const auto changes = [&](SubscriptionRepository& r) {
    Subscription s_a = *r.find(SubscriptionId("s-a"));
    Subscription advanced = moved(s_a, SubscriptionStatus::active);
    advanced.current_period_start = s_a.current_period_end;
    advanced.current_period_end = as_of + 24h;
    REQUIRE(r.update(advanced));
    (void)step(r, *r.find(SubscriptionId("s-b")), SubscriptionStatus::paused);
    (void)step(r, *r.find(SubscriptionId("s-h")), SubscriptionStatus::active);
    CHECK(ids_of(r.due(as_of, Timestamp{}, "", 100)) ==
          std::vector<std::string>{"s-h", "s-c", "s-f", "s-g", "s-d"});
  };
  {
    UnitOfWork work(a.store(), Access::write);
    changes(work->subscriptions());
  }
  {
    UnitOfWork work(a.store(), Access::read);
    CHECK(ids_of(work->subscriptions().due(as_of, Timestamp{}, "", 100)) == expected);
  }
  {
    UnitOfWork work(a.store(), Access::write);
    changes(work->subscriptions());
    work.commit();
  }
  UnitOfWork read(a.store(), Access::read);
  CHECK(due_all(read->subscriptions(), as_of + 24h, 2) ==
        std::vector<std::string>{"s-h", "s-c", "s-f", "s-g", "s-d", "s-e", "s-a"});
}

CONTRACT_TEST("list() gives subscriptions by account, by status or both, a page at a time, in id order") {
  auto a = area<Adapter>();
  // Ten subscriptions: even ones on acme, odd ones on beta; every third one paused.
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          for (int i = 9; i >= 0; --i) {
            const SubscriptionStatus status = i % 3 == 0 ? SubscriptionStatus::paused : SubscriptionStatus::active;
            (void)stored_in(r, active(fmt::format("sub-{}", i), i % 2 == 0 ? "acme" : "beta"), status);
          }
        }) == "stored");
  const auto ids = [](std::initializer_list<int> numbers) {
    std::vector<std::string> out;
    for (const int i : numbers) out.push_back(fmt::format("sub-{}", i));
    return out;
  };
  UnitOfWork work(a.store(), Access::read);
  SubscriptionRepository& r = work->subscriptions();
  const AccountId acme("acme");
  const AccountId beta("beta");
  for (const std::size_t limit : {1U, 3U, 10U, 11U}) {
    CAPTURE(limit);
    CHECK(list_all(r, {}, limit) == ids({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    CHECK(list_all(r, {.account_id = acme}, limit) == ids({0, 2, 4, 6, 8}));
    CHECK(list_all(r, {.account_id = beta}, limit) == ids({1, 3, 5, 7, 9}));
    CHECK(list_all(r, {.status = SubscriptionStatus::paused}, limit) == ids({0, 3, 6, 9}));
    CHECK(list_all(r, {.status = SubscriptionStatus::active}, limit) == ids({1, 2, 4, 5, 7, 8}));
    CHECK(list_all(r, {.account_id = acme, .status = SubscriptionStatus::paused}, limit) == ids({0, 6}));
    CHECK(list_all(r, {.account_id = beta, .status = SubscriptionStatus::active}, limit) == ids({1, 5, 7}));
    CHECK(list_all(r, {.status = SubscriptionStatus::canceled}, limit).empty());
    CHECK(list_all(r, {.account_id = AccountId("yen")}, limit).empty());
  }
  CHECK(ids_of(r.list({}, "sub-4", 2)) == ids({5, 6}));
  CHECK(ids_of(r.list({.account_id = beta}, "sub-4", 2)) == ids({5, 7}));
  CHECK(ids_of(r.list({.status = SubscriptionStatus::paused}, "sub-0", 2)) == ids({3, 6}));
  CHECK(r.list({}, "sub-9", 10).empty());
  CHECK(r.list({}, "", 0).empty());
  const auto page = r.list({.account_id = beta}, "", 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0] == r.find(SubscriptionId("sub-1")));
}

CONTRACT_TEST("adjustments append in sequence per period; a wrong sequence, another currency or an unknown "
              "subscription is refused and stores nothing") {
  auto a = area<Adapter>();
  Subscription yen = active("sub-yen", "yen");
  yen.currency = Currency("JPY");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          REQUIRE(r.insert(active("sub-1")));
          REQUIRE(r.insert(yen));
        }) == "stored");
  const Timestamp p1 = k_start;
  const Timestamp p2 = k_period_end;
  const SubscriptionAdjustment credit = adjustment("sub-1", p1, 1, usd("-12.34"), "Unused time on pro");
  const SubscriptionAdjustment charge = adjustment("sub-1", p1, 2, usd("20.01"), "Remaining time on team \xe2\x82\xac");
  const SubscriptionAdjustment later = adjustment("sub-1", p2, 1, usd("0.00"), "");
  const SubscriptionAdjustment in_yen = adjustment("sub-yen", p1, 1, Money::parse("-1234 JPY"));
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { r.insert_adjustment(credit); }) == "stored");
  const auto field_of = [&](const SubscriptionAdjustment& bad) {
    return refusal(a.store(), [&](SubscriptionRepository& r) { r.insert_adjustment(bad); });
  };
  CHECK(field_of(credit) == "sequence");  // its sequence is taken
  CHECK(field_of(adjustment("sub-1", p1, 3, usd("1.00"))) == "sequence");
  CHECK(field_of(adjustment("sub-1", p1, 0, usd("1.00"))) == "sequence");
  CHECK(field_of(adjustment("sub-1", p2, 2, usd("1.00"))) == "sequence");  // the first of its period is 1
  CHECK(field_of(adjustment("sub-1", p1, 2, Money::parse("1.00 EUR"))) == "currency");
  CHECK(field_of(adjustment("sub-yen", p1, 1, usd("1.00"))) == "currency");
  CHECK(field_of(adjustment("sub-none", p1, 1, usd("1.00"))) == "subscription_id");
  CHECK(field_of(adjustment("sub-1", p1, 2, usd("1.00"), std::string(k_max_description_bytes + 1, 'd'))) ==
        "description");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          r.insert_adjustment(charge);
          r.insert_adjustment(later);
          r.insert_adjustment(in_yen);
        }) == "stored");

  UnitOfWork work(a.store(), Access::read);
  SubscriptionRepository& r = work->subscriptions();
  CHECK(r.adjustments(SubscriptionId("sub-1"), p1) == std::vector<SubscriptionAdjustment>{credit, charge});
  CHECK(r.adjustments(SubscriptionId("sub-1"), p2) == std::vector<SubscriptionAdjustment>{later});
  CHECK(r.adjustments(SubscriptionId("sub-yen"), p1) == std::vector<SubscriptionAdjustment>{in_yen});
  CHECK(r.adjustments(SubscriptionId("sub-1"), p1 + 1us).empty());
  CHECK(r.adjustments(SubscriptionId("sub-none"), p1).empty());
  CHECK(r.adjustments(SubscriptionId("sub-yen"), p2).empty());
}

CONTRACT_TEST("a unit of work that does not commit leaves no subscription, change or adjustment behind") {
  auto a = area<Adapter>();
  const Subscription kept = active("sub-kept");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.insert(kept)); }) == "stored");
  {
    UnitOfWork work(a.store(), Access::write);
    SubscriptionRepository& r = work->subscriptions();
    const Subscription dropped = stored_in(r, active("sub-dropped", "beta"), SubscriptionStatus::past_due);
    r.insert_adjustment(adjustment("sub-dropped", k_start, 1, usd("1.00")));
    r.insert_adjustment(adjustment("sub-kept", k_start, 1, usd("2.00")));
    (void)step(r, kept, SubscriptionStatus::paused);
    CHECK(r.find(dropped.id) == dropped);  // reads see the unit's own writes
    CHECK(r.adjustments(SubscriptionId("sub-kept"), k_start).size() == 1);
    CHECK(ids_of(r.due(k_period_end, Timestamp{}, "", 10)) == std::vector<std::string>{"sub-dropped"});
  }
  {
    UnitOfWork work(a.store(), Access::read);
    SubscriptionRepository& r = work->subscriptions();
    CHECK_FALSE(r.find(SubscriptionId("sub-dropped")).has_value());
    CHECK(r.find(kept.id) == kept);
    CHECK(r.adjustments(SubscriptionId("sub-dropped"), k_start).empty());
    CHECK(r.adjustments(SubscriptionId("sub-kept"), k_start).empty());
    CHECK(ids_of(r.list({}, "", 10)) == std::vector<std::string>{"sub-kept"});
    CHECK(r.list({.account_id = AccountId("beta")}, "", 10).empty());
    CHECK(r.list({.status = SubscriptionStatus::past_due}, "", 10).empty());
    CHECK(r.list({.status = SubscriptionStatus::paused}, "", 10).empty());
    CHECK(ids_of(r.due(k_period_end, Timestamp{}, "", 10)) == std::vector<std::string>{"sub-kept"});
  }
  // The id was never taken, and the adjustments of the kept subscription start again at 1.
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) {
          REQUIRE(r.insert(trialing("sub-dropped")));
          r.insert_adjustment(adjustment("sub-kept", k_start, 1, usd("3.00")));
        }) == "stored");
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->subscriptions().find(SubscriptionId("sub-dropped"))->status == SubscriptionStatus::trialing);
  CHECK(work->subscriptions().adjustments(SubscriptionId("sub-kept"), k_start).at(0).amount == usd("3.00"));
}

CONTRACT_TEST("a read-only unit of work reads subscriptions but cannot write them") {
  auto a = area<Adapter>();
  const Subscription stored = active("sub-1");
  CHECK(refusal(a.store(), [&](SubscriptionRepository& r) { REQUIRE(r.insert(stored)); }) == "stored");
  UnitOfWork work(a.store(), Access::read);
  SubscriptionRepository& r = work->subscriptions();
  CHECK(r.find(stored.id) == stored);
  CHECK_THROWS_AS((void)r.insert(active("sub-2")), Misuse);
  CHECK_THROWS_AS((void)r.update(moved(stored, SubscriptionStatus::paused)), Misuse);
  CHECK_THROWS_AS(r.insert_adjustment(adjustment("sub-1", k_start, 1, usd("1.00"))), Misuse);
  CHECK(r.find(stored.id) == stored);
}
