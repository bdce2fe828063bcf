// What only the SQLite subscription tables have: due() and the listings served by indexes (due() by the partial
// index of billable subscriptions, never a scan), CHECKs and triggers that refuse what the subscription rules
// forbid even when a hand-written statement tries (the status table walked pair by pair, identity, versions,
// append-only adjustments, INSERT OR REPLACE), and the migration of a version 8 file. The repository's behaviour
// on every adapter is in tests/contract/subscriptions_contract_test.cpp.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "../../src/storage/sqlite/migrations.hpp"
#include "../../src/storage/sqlite/subscriptions.hpp"
#include "billing/books.hpp"
#include "billing/storage/account_repository.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/storage/sqlite.hpp"
#include "billing/storage/subscription_repository.hpp"
#include "raw_sqlite.hpp"
#include "support/scratch_dir.hpp"

using namespace billing;

namespace {

using Raw = test::RawSqlite;

// Accounts "acme" and "beta" and plans "pro" and "team", which a subscription row may name, on `path`.
void add_references(const std::string& path) {
  Books books(open_sqlite(path));
  for (const char* id : {"acme", "beta"}) {
    REQUIRE(books.accounts()
                .create({.id = AccountId(id), .currency = Currency("USD"), .name = id, .normal_side = Side::debit})
                .result == AccountResult::ok);
  }
  for (const char* code : {"pro", "team"}) REQUIRE(books.plans().create({.code = code, .currency = Currency("USD")}).ok());
}

// A new file at the current schema with add_references(), closed again.
std::string new_file() {
  static int counter = 0;
  const std::string path =
      (test::scratch_dir("billing-sqlite-subscriptions-") / fmt::format("subscriptions-{}.db", counter++)).string();
  add_references(path);
  return path;
}

// An INSERT of a new ACTIVE subscription `id` as the repository writes it (a trial end set, so that any status
// passes the CHECKs), with `overrides` (column, SQL value) replacing columns.
std::string insert_subscription(const std::string& id, const std::map<std::string, std::string>& overrides = {}) {
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"account_id", "'acme'"},       {"plan", "'pro'"},          {"period_plan", "'pro'"},
      {"running_plan", "'pro'"},
      {"currency", "'USD'"},          {"currency_places", "2"},   {"interval", "2"},
      {"status", "1"},                {"start", "0"},             {"trial_end", "10"},
      {"cycle_origin", "0"},          {"anchor_day", "1"},        {"period_index", "0"},
      {"current_period_start", "0"},  {"current_period_end", "100"}, {"cancel_at_period_end", "0"},
      {"canceled_at", "NULL"},        {"version", "1"},           {"created_at", "0"},
      {"updated_at", "0"}};
  return test::insert_row("subscriptions", id, defaults, overrides);
}

std::string insert_trialing(const std::string& id) {
  return insert_subscription(id, {{"status", "0"}, {"period_index", "-1"}});
}

// A change of subscription `id` to status `to` that every CHECK accepts, so that only the triggers decide.
std::string move_subscription(const std::string& id, SubscriptionStatus to) {
  return fmt::format(
      "UPDATE subscriptions SET status = {}, version = version + 1, period_index = {}, canceled_at = {}, "
      "updated_at = updated_at + 1 WHERE id = '{}'",
      static_cast<int>(to), to == SubscriptionStatus::trialing ? -1 : 0,
      to == SubscriptionStatus::canceled ? "1" : "NULL", id);
}

// Stores subscription `id` by hand and moves it to `status` through allowed steps.
void store_in(Raw& raw, const std::string& id, SubscriptionStatus status) {
  if (status == SubscriptionStatus::trialing) {
    REQUIRE(raw.exec(insert_trialing(id)) == SQLITE_OK);
    return;
  }
  REQUIRE(raw.exec(insert_subscription(id)) == SQLITE_OK);
  if (status != SubscriptionStatus::active) REQUIRE(raw.exec(move_subscription(id, status)) == SQLITE_OK);
}

std::string adjustment_row(const std::string& values) { return "INSERT INTO subscription_adjustments VALUES " + values; }

std::string plan_of(Raw& raw, const std::string& sql) {
  std::string plan;
  for (const std::string& line : raw.plan(sql)) plan += line + "; ";
  return plan;
}

}  // namespace

TEST_CASE("due() and every subscription read are served by an index, never a scan of the table or a sort") {
  const std::string path = new_file();
  Raw raw(path);
  const std::vector<std::string> reads = detail::sqlite::subscription_reads_for_testing();
  REQUIRE(reads.size() == 9);
  const std::vector<std::string> expected = {
      "SEARCH subscriptions USING INDEX subscriptions_due (current_period_end<?)",
      "SEARCH subscriptions USING INDEX subscriptions_due",
      "SEARCH subscriptions USING PRIMARY KEY (id>?)",
      "SEARCH subscriptions USING INDEX subscriptions_by_account (account_id=? AND id>?)",
      "SEARCH subscriptions USING INDEX subscriptions_by_status (status=? AND id>?)",
      "SEARCH subscriptions USING INDEX subscriptions_by_account (account_id=? AND id>?)",
      "SEARCH subscriptions USING PRIMARY KEY (id=?)",
      "SEARCH subscriptions USING PRIMARY KEY (id=?)",
      "SEARCH subscription_adjustments USING PRIMARY KEY (subscription_id=? AND period_start=?)"};
  for (const char* analyzed : {"without statistics", "after ANALYZE"}) {
    if (std::string_view(analyzed) == "after ANALYZE") {
      // Statistics that would tempt a planner to scan: many subscriptions, most of them not billable, on one
      // account, all due at once.
      for (int i = 0; i < 300; ++i) {
        const std::string id = fmt::format("s{:03}", i);
        REQUIRE(raw.exec(insert_subscription(id)) == SQLITE_OK);
        if (i % 10 != 0) REQUIRE(raw.exec(move_subscription(id, SubscriptionStatus::canceled)) == SQLITE_OK);
      }
      REQUIRE(raw.exec("ANALYZE") == SQLITE_OK);
    }
    for (std::size_t i = 0; i < reads.size(); ++i) {
      CAPTURE(analyzed);
      CAPTURE(reads[i]);
      const std::string plan = plan_of(raw, reads[i]);
      CAPTURE(plan);
      if (i < 2) MESSAGE("EXPLAIN QUERY PLAN of due() " << (i == 0 ? "from the start" : "after a cursor") << ", "
                                                         << std::string(analyzed) << ": " << plan);
      CHECK(plan.find(expected[i]) != std::string::npos);
      CHECK(plan.find("SCAN") == std::string::npos);
      CHECK(plan.find("TEMP B-TREE") == std::string::npos);  // the index gives the order; nothing is sorted
    }
  }
  // INDEXED BY is what holds due() to the partial index: left to itself, the planner may read
  // subscriptions_by_status for the three statuses and sort (SQLite 3.40 does on a file without statistics).
  // And a statement whose WHERE
  // does not imply the index's, as a bound parameter in place of the constant list would not, fails to prepare
  // instead of quietly scanning.
  std::string bound = reads[0];
  bound.replace(bound.find("status IN (0, 1, 2)"), std::string_view("status IN (0, 1, 2)").size(),
                "status IN (?5, ?6, ?7)");
  CHECK(raw.exec("EXPLAIN QUERY PLAN " + bound) == SQLITE_ERROR);
  CHECK(raw.error().find("no query solution") != std::string::npos);
  // The partial index is on a constant list of statuses, never a bound parameter (which no query could imply).
  const std::vector<std::string> index = raw.column("SELECT sql FROM sqlite_schema WHERE name = 'subscriptions_due'", 0);
  REQUIRE(index.size() == 1);
  CHECK(index[0].find("WHERE status IN (0, 1, 2)") != std::string::npos);
  CHECK(index[0].find('?') == std::string::npos);
}

TEST_CASE("the partial index holds the billable subscriptions only, and due() reads them by period end") {
  const std::string path = new_file();
  {
    Raw raw(path);
    for (int i = 0; i < 50; ++i) {
      const std::string id = fmt::format("s{:02}", i);
      REQUIRE(raw.exec(insert_subscription(id, {{"current_period_end", std::to_string(100 + i)}})) == SQLITE_OK);
      if (i % 5 != 0) REQUIRE(raw.exec(move_subscription(id, SubscriptionStatus::canceled)) == SQLITE_OK);
    }
    REQUIRE(raw.column("SELECT count(*) FROM subscriptions INDEXED BY subscriptions_due WHERE status IN (0, 1, 2)", 0) ==
            std::vector<std::string>{"10"});
  }
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  const auto due = work->subscriptions().due(Timestamp::from_unix_micros(130), Timestamp{}, "", 100);
  std::vector<std::string> ids;
  for (const Subscription& s : due) ids.push_back(s.id.str());
  CHECK(ids == std::vector<std::string>{"s00", "s05", "s10", "s15", "s20", "s25", "s30"});
}

TEST_CASE("a hand-written status change is allowed exactly where k_subscription_transitions allows it: all 25 "
          "pairs") {
  const std::string path = new_file();
  int allowed = 0;
  int n = 0;
  for (const char* recursive : {"OFF", "ON"}) {
    Raw raw(path);
    REQUIRE(raw.exec(std::string("PRAGMA recursive_triggers = ") + recursive) == SQLITE_OK);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    for (const SubscriptionStatus from : k_subscription_statuses) {
      for (const SubscriptionStatus to : k_subscription_statuses) {
        CAPTURE(recursive);
        CAPTURE(static_cast<int>(from));
        CAPTURE(static_cast<int>(to));
        const std::string id = fmt::format("s{}", n++);
        store_in(raw, id, from);
        const int rc = raw.exec(move_subscription(id, to));
        CAPTURE(raw.error());
        // A kept status is no move: allowed unless the status is final (CANCELED, no way out in the table).
        const bool final_status = std::none_of(std::begin(k_subscription_statuses), std::end(k_subscription_statuses),
                                               [&](SubscriptionStatus any) {
                                                 return subscription_transition_allowed(from, any);
                                               });
        if (from == to ? !final_status : subscription_transition_allowed(from, to)) {
          ++allowed;
          CHECK(rc == SQLITE_OK);
        } else {
          CHECK(rc == SQLITE_CONSTRAINT_TRIGGER);
        }
      }
    }
  }
  CHECK(n == 50);
  CHECK(allowed == 28);  // 10 moves and 4 kept statuses, twice
}

TEST_CASE("hand-written statements cannot break a subscription's rules, with recursive_triggers off or on") {
  const std::string path = new_file();
  {
    Raw raw(path);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    store_in(raw, "a", SubscriptionStatus::active);
    store_in(raw, "t", SubscriptionStatus::trialing);
    store_in(raw, "p", SubscriptionStatus::paused);
    store_in(raw, "c", SubscriptionStatus::canceled);
    REQUIRE(raw.exec(adjustment_row("('a', 0, 1, 'credit', 'USD', 2, -1250, 0)")) == SQLITE_OK);
  }
  const std::vector<std::string> probes = {
      // the status table and the version
      "UPDATE subscriptions SET status = 2 WHERE id = 'a'",  // a change without a new version
      "UPDATE subscriptions SET current_period_end = 200 WHERE id = 'a'",
      "UPDATE subscriptions SET status = 2, version = version + 2 WHERE id = 'a'",
      "UPDATE subscriptions SET version = version WHERE id = 'a'",
      "UPDATE subscriptions SET version = 1 WHERE id = 'p'",
      "UPDATE subscriptions SET status = 0, period_index = -1, version = version + 1 WHERE id = 'a'",  // back to trial
      "UPDATE subscriptions SET status = 2, period_index = 0, version = version + 1 WHERE id = 't'",
      "UPDATE subscriptions SET status = 3, period_index = 0, version = version + 1 WHERE id = 't'",
      "UPDATE subscriptions SET status = 2, version = version + 1 WHERE id = 'p'",
      "UPDATE subscriptions SET status = 1, canceled_at = NULL, version = version + 1 WHERE id = 'c'",
      "UPDATE subscriptions SET updated_at = updated_at + 1, version = version + 1 WHERE id = 'c'",  // CANCELED is final
      // identity
      "UPDATE subscriptions SET id = 'renamed', version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET account_id = 'beta', version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET currency = 'EUR', version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET currency_places = 3, version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET interval = 3, version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET start = -1, version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET created_at = 7, version = version + 1 WHERE id = 'a'",
      "UPDATE OR REPLACE subscriptions SET id = 'p', version = version + 1 WHERE id = 'a'",
      // rows are never removed or replaced, and a new one is TRIALING or ACTIVE at version 1
      "DELETE FROM subscriptions WHERE id = 'c'",
      "DELETE FROM subscriptions",
      "INSERT OR REPLACE INTO subscriptions SELECT * FROM subscriptions WHERE id = 'a'",
      "REPLACE INTO subscriptions SELECT * FROM subscriptions WHERE id = 'c'",
      "INSERT OR REPLACE" + insert_subscription("a").substr(6),
      insert_subscription("a") + " ON CONFLICT(id) DO UPDATE SET plan = 'team'",
      insert_subscription("x", {{"status", "2"}}),
      insert_subscription("x", {{"status", "3"}}),
      insert_subscription("x", {{"status", "4"}, {"canceled_at", "1"}}),
      insert_subscription("x", {{"version", "2"}}),
      // what it names is stored
      insert_subscription("x", {{"account_id", "'nobody'"}}),
      insert_subscription("x", {{"plan", "'gold'"}}),
      insert_subscription("x", {{"period_plan", "'gold'"}}),
      insert_subscription("x", {{"running_plan", "'gold'"}}),
      "UPDATE subscriptions SET plan = 'gold', version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET period_plan = 'gold', version = version + 1 WHERE id = 'a'",
      "UPDATE subscriptions SET running_plan = 'gold', version = version + 1 WHERE id = 'a'",
      // the CHECKs
      insert_subscription("x", {{"status", "5"}}),
      insert_subscription("x", {{"interval", "4"}}),
      insert_subscription("x", {{"anchor_day", "0"}}),
      insert_subscription("x", {{"anchor_day", "32"}}),
      insert_subscription("x", {{"anchor_day", "'one'"}}),  // STRICT
      insert_subscription("x", {{"period_index", "-2"}}),
      insert_subscription("x", {{"current_period_end", "0"}}),
      insert_subscription("x", {{"current_period_start", "-1"}}),
      insert_subscription("x", {{"trial_end", "0"}}),
      insert_subscription("x", {{"period_index", "-1"}, {"trial_end", "NULL"}}),
      insert_subscription("x", {{"status", "0"}}),  // TRIALING outside the trial
      insert_subscription("x", {{"canceled_at", "1"}}),  // neither CANCELED nor set to cancel
      insert_subscription("x", {{"cancel_at_period_end", "2"}}),
      insert_subscription("x", {{"version", "0"}}),
      insert_subscription("x", {{"running_plan", "''"}}),
      insert_subscription("x", {{"currency", "'U'"}}),
      insert_subscription("x", {{"currency_places", "19"}}),
      insert_subscription("", {}),
      "UPDATE subscriptions SET canceled_at = NULL, version = version + 1 WHERE id = 'c'",
      "UPDATE subscriptions SET status = 4, version = version + 1 WHERE id = 'a'",  // canceled without its time
      // adjustments are append-only: each the next of its period, in its subscription's currency
      "UPDATE subscription_adjustments SET amount_minor = 1 WHERE subscription_id = 'a'",
      "UPDATE subscription_adjustments SET sequence = 2 WHERE subscription_id = 'a'",
      "DELETE FROM subscription_adjustments WHERE subscription_id = 'a'",
      "DELETE FROM subscription_adjustments",
      "INSERT OR REPLACE INTO subscription_adjustments VALUES ('a', 0, 1, 'forged', 'USD', 2, 1, 0)",
      adjustment_row("('a', 0, 1, 'x', 'USD', 2, 1, 0) ON CONFLICT DO UPDATE SET amount_minor = 1"),
      adjustment_row("('a', 0, 3, 'a gap', 'USD', 2, 1, 0)"),
      adjustment_row("('a', 0, 0, 'before the first', 'USD', 2, 1, 0)"),
      adjustment_row("('a', 5, 2, 'not the first of its period', 'USD', 2, 1, 0)"),
      adjustment_row("('a', 0, 2, 'another currency', 'EUR', 2, 1, 0)"),
      adjustment_row("('a', 0, 2, 'other places', 'USD', 3, 1, 0)"),
      adjustment_row("('nobody', 0, 1, 'no such subscription', 'USD', 2, 1, 0)"),
      adjustment_row("('a', 0, 2, printf('%.*c', 1025, 'd'), 'USD', 2, 1, 0)"),
      adjustment_row("('a', 0, 2, 'beyond Money', 'USD', 2, -9223372036854775808, 0)"),
  };
  const int refused = test::refused_probes(path, probes);
  MESSAGE(refused << " of " << 2 * probes.size() << " subscription tamper probes blocked");
  CHECK(refused == static_cast<int>(2 * probes.size()));

  // The probes are well-formed: the same shapes, used as the rules use them, go in, and the repository reads
  // them back.
  {
    Raw raw(path);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    CHECK(raw.exec(move_subscription("a", SubscriptionStatus::past_due)) == SQLITE_OK);
    CHECK(raw.exec("UPDATE subscriptions SET plan = 'team', running_plan = 'team', version = version + 1 "
                   "WHERE id = 'a'") == SQLITE_OK);
    CHECK(raw.exec(move_subscription("t", SubscriptionStatus::active)) == SQLITE_OK);
    CHECK(raw.exec(adjustment_row("('a', 0, 2, 'charge', 'USD', 2, 2500, 0)")) == SQLITE_OK);
    CHECK(raw.exec(adjustment_row("('a', 5, 1, 'the next period', 'USD', 2, 1, 0)")) == SQLITE_OK);
    CHECK(raw.exec(insert_subscription("x")) == SQLITE_OK);
    CHECK(raw.exec(insert_trialing("y")) == SQLITE_OK);
  }
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  SubscriptionRepository& r = work->subscriptions();
  const auto a = r.find(SubscriptionId("a"));
  REQUIRE(a.has_value());
  CHECK(a->status == SubscriptionStatus::past_due);
  CHECK(a->plan == "team");
  CHECK(a->period_plan == "pro");
  CHECK(a->running_plan == "team");
  CHECK(a->version == 3);
  CHECK(r.find(SubscriptionId("c"))->status == SubscriptionStatus::canceled);
  CHECK(r.find(SubscriptionId("y"))->period_index == -1);
  const auto adjustments = r.adjustments(SubscriptionId("a"), Timestamp::from_unix_micros(0));
  REQUIRE(adjustments.size() == 2);
  CHECK(adjustments[0].amount == Money::parse("-12.50 USD"));
  CHECK(adjustments[1].amount == Money::parse("25.00 USD"));
  CHECK(r.adjustments(SubscriptionId("a"), Timestamp::from_unix_micros(5)).size() == 1);
}

TEST_CASE("a file at schema version 8 is migrated: the subscription tables, index and guards, its rows kept") {
  const std::string path = new_file();
  {
    // Version 9 added the subscription tables, and version 10 the invoice tables (which name subscriptions):
    // without them, this is what version 8 wrote.
    Raw raw(path);
    REQUIRE(detail::sqlite::k_schema_version == 10);
    REQUIRE(raw.exec("DROP TABLE invoice_lines; DROP TABLE invoices; DROP TABLE subscription_adjustments; "
                     "DROP TABLE subscriptions; PRAGMA user_version = 8") == SQLITE_OK);
    REQUIRE(raw.column("SELECT name FROM sqlite_schema WHERE name LIKE 'subscription%'", 0).empty());
  }
  auto store = open_sqlite(path);
  Raw raw(path);
  CHECK(raw.column("PRAGMA user_version", 0) == std::vector<std::string>{"10"});
  CHECK(raw.column("SELECT name FROM sqlite_schema WHERE name LIKE 'subscription%' ORDER BY name", 0) ==
        std::vector<std::string>{"subscription_adjustments", "subscription_adjustments_append",
                                 "subscription_adjustments_no_delete", "subscription_adjustments_no_update",
                                 "subscriptions", "subscriptions_by_account", "subscriptions_by_status",
                                 "subscriptions_change", "subscriptions_due", "subscriptions_keep_identity",
                                 "subscriptions_new", "subscriptions_no_delete"});
  UnitOfWork work(*store, Access::write);
  CHECK(work->accounts().find(AccountId("acme")).has_value());  // the rows of version 8 are kept
  CHECK(work->plans().find_plan("pro").has_value());
  const Timestamp t = Timestamp::parse("2026-01-01T00:00:00Z");
  const Subscription s{.id = SubscriptionId("s"),
                       .account_id = AccountId("acme"),
                       .plan = "pro",
                       .period_plan = "pro",
                       .running_plan = "pro",
                       .currency = Currency("USD"),
                       .interval = PlanInterval::month,
                       .status = SubscriptionStatus::active,
                       .start = t,
                       .trial_end = std::nullopt,
                       .cycle_origin = t,
                       .anchor_day = 1,
                       .period_index = 0,
                       .current_period_start = t,
                       .current_period_end = Timestamp::parse("2026-02-01T00:00:00Z"),
                       .cancel_at_period_end = false,
                       .canceled_at = std::nullopt,
                       .version = 1,
                       .created_at = t,
                       .updated_at = t};
  REQUIRE(work->subscriptions().insert(s));
  CHECK(work->subscriptions().find(s.id) == s);
  work.commit();
  CHECK((raw.exec("DELETE FROM subscriptions") & 0xff) == SQLITE_CONSTRAINT);
}
