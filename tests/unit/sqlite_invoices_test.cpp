// What only the SQLite invoice tables have: find_for_period(), the listings and the other reads served by indexes
// (never a scan), the tier breakdown's JSON, CHECKs and triggers that refuse what the invoice rules forbid even when
// a hand-written statement tries (the status table walked pair by pair, identity, lines and totals frozen after
// DRAFT, the gapless number, one invoice per subscription and period, no delete, INSERT OR REPLACE and upserts),
// and the migration of a version 9 file. The repository's behaviour on every adapter is in
// tests/contract/invoices_contract_test.cpp.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "../../src/storage/invoice_tiers.hpp"
#include "../../src/storage/sqlite/invoices.hpp"
#include "../../src/storage/sqlite/migrations.hpp"
#include "billing/books.hpp"
#include "billing/error.hpp"
#include "billing/price.hpp"
#include "billing/storage/account_repository.hpp"
#include "billing/storage/invoice_repository.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/storage/sqlite.hpp"
#include "billing/storage/subscription_repository.hpp"
#include "raw_sqlite.hpp"
#include "support/scratch_dir.hpp"

using namespace billing;

namespace {

using Raw = test::RawSqlite;

const Timestamp k_t0 = Timestamp::from_unix_micros(0);

Subscription subscription(const std::string& id, const std::string& account) {
  return Subscription{.id = SubscriptionId(id),
                      .account_id = AccountId(account),
                      .plan = "pro",
                      .period_plan = "pro",
                      .running_plan = "pro",
                      .currency = Currency("USD"),
                      .start = k_t0,
                      .cycle_origin = k_t0,
                      .current_period_start = k_t0,
                      .current_period_end = Timestamp::from_unix_micros(100),
                      .created_at = k_t0,
                      .updated_at = k_t0};
}

// Accounts "acme" and "beta", plan "pro", and subscriptions "sa" (acme) and "sb" (beta), which an invoice row may
// name, on `path`.
void add_references(const std::string& path) {
  const std::shared_ptr<Store> store = open_sqlite(path);
  Books books(store);
  for (const char* id : {"acme", "beta"}) {
    REQUIRE(books.accounts()
                .create({.id = AccountId(id), .currency = Currency("USD"), .name = id, .normal_side = Side::debit})
                .result == AccountResult::ok);
  }
  REQUIRE(books.plans().create({.code = "pro", .currency = Currency("USD")}).ok());
  UnitOfWork work(*store, Access::write);
  REQUIRE(work->subscriptions().insert(subscription("sa", "acme")));
  REQUIRE(work->subscriptions().insert(subscription("sb", "beta")));
  work.commit();
}

// A new file at the current schema with add_references(), closed again.
std::string new_file() {
  static int counter = 0;
  const std::string path =
      (test::scratch_dir("billing-sqlite-invoices-") / fmt::format("invoices-{}.db", counter++)).string();
  add_references(path);
  return path;
}

// An INSERT of a new DRAFT invoice `id` of 10.00 USD, without a subscription, as the repository writes it, with
// `overrides` (column, SQL value) replacing columns.
std::string insert_invoice(const std::string& id, const std::map<std::string, std::string>& overrides = {}) {
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"number", "NULL"},         {"account_id", "'acme'"},  {"subscription_id", "NULL"}, {"currency", "'USD'"},
      {"currency_places", "2"},   {"period_start", "0"},     {"period_end", "100"},       {"status", "0"},
      {"subtotal_minor", "1000"}, {"tax_rate", "NULL"},      {"tax_minor", "0"},          {"total_minor", "1000"},
      {"posted_entry", "NULL"},   {"settled_entry", "NULL"}, {"voided_entry", "NULL"},    {"version", "1"},
      {"created_at", "0"},        {"finalized_at", "NULL"},  {"closed_at", "NULL"}};
  return test::insert_row("invoices", id, defaults, overrides);
}

// An INSERT of line `position` of invoice `id`: `values` are the columns after the position (kind, description,
// period_start, period_end, quantity, unit_price, amount_minor, meter, tiers), a flat fee of 10.00 by default.
std::string insert_line(const std::string& id, int position,
                        const std::string& values = "0, 'fee', 0, 100, '1', '10.00', 1000, '', '[]'") {
  return fmt::format("INSERT INTO invoice_lines VALUES ('{}', {}, {})", id, position, values);
}

// A change of invoice `id` to status `to` that every CHECK accepts, so that only the triggers decide: a number
// (the next) and a finalisation time when it needs one and has none, a closing time exactly when PAID, VOID or
// UNCOLLECTIBLE, none of them for a DRAFT.
std::string move_invoice(const std::string& id, InvoiceStatus to) {
  const int s = static_cast<int>(to);
  return fmt::format(
      "UPDATE invoices SET status = {0}, version = version + 1, "
      "number = CASE WHEN {0} = 0 THEN NULL WHEN number IS NULL AND {0} IN (1, 2, 4) "
      "THEN (SELECT coalesce(max(number), 0) + 1 FROM invoices) ELSE number END, "
      "finalized_at = CASE WHEN {0} = 0 THEN NULL WHEN number IS NULL AND {0} IN (1, 2, 4) THEN 5 "
      "ELSE finalized_at END, "
      "posted_entry = CASE WHEN {0} = 0 THEN NULL ELSE posted_entry END, "
      "closed_at = CASE WHEN {0} IN (2, 3, 4) THEN 9 ELSE NULL END, settled_entry = NULL, voided_entry = NULL "
      "WHERE id = '{1}'",
      s, id);
}

// Stores invoice `id` (with one line) by hand and moves it to `status`: finalised first, unless it stays a DRAFT.
void store_in(Raw& raw, const std::string& id, InvoiceStatus status,
              const std::map<std::string, std::string>& overrides = {}) {
  REQUIRE(raw.exec(insert_invoice(id, overrides)) == SQLITE_OK);
  REQUIRE(raw.exec(insert_line(id, 0)) == SQLITE_OK);
  if (status == InvoiceStatus::draft) return;
  REQUIRE(raw.exec(move_invoice(id, InvoiceStatus::open)) == SQLITE_OK);
  if (status != InvoiceStatus::open) REQUIRE(raw.exec(move_invoice(id, status)) == SQLITE_OK);
}

std::string plan_of(Raw& raw, const std::string& sql) {
  std::string plan;
  for (const std::string& line : raw.plan(sql)) plan += line + "; ";
  return plan;
}

}  // namespace

TEST_CASE("find_for_period(), the listings and every invoice read are served by an index, never a scan or a sort") {
  const std::string path = new_file();
  Raw raw(path);
  std::vector<std::string> reads = detail::sqlite::invoice_reads_for_testing();
  REQUIRE(reads.size() == 10);
  std::vector<std::string> expected = {
      "SEARCH invoices USING INDEX invoices_one_per_period (subscription_id=? AND period_start=?)",
      "SEARCH invoices USING PRIMARY KEY (id>?)",
      "SEARCH invoices USING INDEX invoices_by_account (account_id=? AND id>?)",
      "SEARCH invoices USING INDEX invoices_by_status (status=? AND id>?)",
      "SEARCH invoices USING INDEX invoices_by_account (account_id=? AND id>?)",
      "SEARCH invoices USING PRIMARY KEY (id=?)",
      "SEARCH invoices USING PRIMARY KEY (id=?)",
      "SEARCH invoice_lines USING PRIMARY KEY (invoice_id=?)",
      "SEARCH invoices USING COVERING INDEX sqlite_autoindex_invoices_",  // number's UNIQUE
      "SEARCH invoices USING COVERING INDEX invoices_open (status=? AND finalized_at<?)"};
  // What the triggers read on every write: the period key, the next number, the lines' sums and count.
  reads.insert(reads.end(),
               {"SELECT 1 FROM invoices WHERE subscription_id = ?1 AND period_start = ?2",
                "SELECT coalesce(max(number), 0) + 1 FROM invoices",
                "SELECT coalesce(sum(amount_minor), 0) FROM invoice_lines WHERE invoice_id = ?1 AND kind <> 3",
                "SELECT count(*) FROM invoice_lines WHERE invoice_id = ?1"});
  expected.insert(expected.end(), {"SEARCH invoices USING COVERING INDEX invoices_one_per_period (subscription_id=? "
                                   "AND period_start=?)",
                                   "SEARCH invoices USING COVERING INDEX sqlite_autoindex_invoices_",
                                   "SEARCH invoice_lines USING PRIMARY KEY (invoice_id=?)",
                                   "SEARCH invoice_lines USING PRIMARY KEY (invoice_id=?)"});
  for (const std::string analyzed : {"without statistics", "after ANALYZE"}) {
    if (analyzed == "after ANALYZE") {
      // Statistics that would tempt a planner to scan: many invoices of one account and one subscription, most of
      // them OPEN, all finalised at once.
      for (int i = 0; i < 300; ++i) {
        const std::string id = fmt::format("i{:03}", i);
        store_in(raw, id, i % 10 == 0 ? InvoiceStatus::paid : InvoiceStatus::open,
                 {{"subscription_id", "'sa'"},
                  {"period_start", std::to_string(i)},
                  {"period_end", std::to_string(i + 100)}});
      }
      REQUIRE(raw.exec("ANALYZE") == SQLITE_OK);
    }
    for (std::size_t i = 0; i < reads.size(); ++i) {
      CAPTURE(analyzed);
      CAPTURE(reads[i]);
      const std::string plan = plan_of(raw, reads[i]);
      CAPTURE(plan);
      if (i == 0) MESSAGE("EXPLAIN QUERY PLAN of find_for_period(), " << analyzed << ": " << plan);
      if (i >= 1 && i <= 4) {
        const std::string filters[] = {"with no filter", "by account", "by status", "by account and status"};
        MESSAGE("EXPLAIN QUERY PLAN of list() " << filters[i - 1] << ", " << analyzed << ": " << plan);
      }
      CHECK(plan.find(expected[i]) != std::string::npos);
      CHECK(plan.find("SCAN") == std::string::npos);
      CHECK(plan.find("TEMP B-TREE") == std::string::npos);  // the index gives the order; nothing is sorted
    }
  }
  // The partial indexes are on constants, which the reads repeat word for word; a bound parameter in their place
  // would not imply the index's WHERE, and INDEXED BY makes such a statement fail to prepare instead of scanning.
  std::string bound = reads[9];
  bound.replace(bound.find("status = 1"), std::string_view("status = 1").size(), "status = ?5");
  CHECK(raw.exec("EXPLAIN QUERY PLAN " + bound) == SQLITE_ERROR);
  CHECK(raw.error().find("no query solution") != std::string::npos);
}

TEST_CASE("the tier breakdown is JSON that decode_tiers() reads back exactly, and refuses what it never writes") {
  using detail::decode_tiers;
  using detail::encode_tiers;
  const Currency usd("USD");
  const Price price =
      Price::graduated(
          {{.up_to = Decimal::parse("1000.5"), .unit_price = Decimal::parse("0.000123456789")},
           {.up_to = Decimal(10000), .unit_price = Decimal::parse("0.00010"), .flat_fee = Decimal::parse("0.50")},
           {.unit_price = Decimal::parse("0.00005")}},
          usd)
          .with_minimum(Money::parse("25.00 USD"));
  const Charge charge = price.charge(Decimal::parse("12345.678"));
  REQUIRE(charge.lines.size() == 4);  // three tiers and the minimum's true-up
  std::string json;
  encode_tiers(charge.lines, json);
  CAPTURE(json);
  CHECK(json.find("\"unit_price\":\"0.000123456789\"") != std::string::npos);
  CHECK(json.find("\"up_to\":\"1000.5\"") != std::string::npos);
  CHECK(json.find("\"up_to\":null") != std::string::npos);
  const std::vector<ChargeLine> back = decode_tiers(json, usd, "tiers");
  REQUIRE(back == charge.lines);
  for (std::size_t i = 0; i < back.size(); ++i) {
    CHECK(back[i].unit_price.to_string() == charge.lines[i].unit_price.to_string());
    CHECK(back[i].flat_fee.to_string() == charge.lines[i].flat_fee.to_string());
    CHECK(back[i].quantity.to_string() == charge.lines[i].quantity.to_string());
  }
  encode_tiers({}, json);
  CHECK(json == "[]");
  CHECK(decode_tiers(" [ ] ", usd, "tiers").empty());
  // Members in another order and JSON white space are fine.
  const auto one = decode_tiers(
      "[ {\"amount_minor\" : -5, \"flat_fee\":\"0\", \"unit_price\":\"-0.05\", \"quantity\":\"1\",\n"
      "\"up_to\":null, \"start\":\"0\", \"tier\":null, \"kind\":6} ]",
      usd, "tiers");
  REQUIRE(one.size() == 1);
  CHECK(one[0].kind == LineKind::transaction_maximum);
  CHECK(one[0].amount == Money::parse("-0.05 USD"));
  const std::string good_member =
      "\"kind\":1,\"tier\":0,\"start\":\"0\",\"up_to\":\"5\",\"quantity\":\"5\",\"unit_price\":\"7\",\"flat_fee\":"
      "\"0\"";
  // The cuts the bad lines are made of give a good line with good values in their place.
  for (const std::string& good :
       {"[{" + good_member + ",\"amount_minor\":1}]", "[{\"kind\":2" + good_member.substr(8) + ",\"amount_minor\":1}]",
        "[{\"kind\":1,\"tier\":99" + good_member.substr(17) + ",\"amount_minor\":1}]",
        "[{\"kind\":1,\"tier\":0,\"start\":\"2\"" + good_member.substr(29) + ",\"amount_minor\":1}]"}) {
    CAPTURE(good);
    CHECK(decode_tiers(good, usd, "tiers").size() == 1);
  }
  for (const std::string& bad : std::vector<std::string>{
           std::string(""),
           std::string("{}"),
           std::string("[{}]"),
           std::string("[") + "{" + good_member + "}]",  // amount_minor missing
           "[{" + good_member + ",\"amount_minor\":1,\"amount_minor\":1}]",
           "[{" + good_member + ",\"amount_minor\":1,\"extra\":1}]",
           "[{" + good_member + ",\"amount_minor\":1.5}]",
           "[{" + good_member + ",\"amount_minor\":\"1\"}]",
           "[{" + good_member + ",\"amount_minor\":99999999999999999999}]",
           "[{" + good_member + ",\"amount_minor\":-9223372036854775808}]",
           "[{" + good_member + ",\"amount_minor\":1}] x",
           "[{" + good_member + ",\"amount_minor\":1},]",
           "[{" + good_member + ",\"amount_minor\":1}",
           "[{\"kind\":9" + good_member.substr(8) + ",\"amount_minor\":1}]",
           "[{\"kind\":1,\"tier\":100" + good_member.substr(17) + ",\"amount_minor\":1}]",
           "[{\"kind\":1,\"tier\":-1" + good_member.substr(17) + ",\"amount_minor\":1}]",
           "[{\"kind\":1,\"tier\":0,\"start\":\"1e5\"" + good_member.substr(29) + ",\"amount_minor\":1}]",
           "[{\"kind\":1,\"tier\":0,\"start\":\"\\u0030\"" + good_member.substr(29) + ",\"amount_minor\":1}]",
           "[{\"kind\":1,\"tier\":0,\"start\":0" + good_member.substr(29) + ",\"amount_minor\":1}]",
           "[{\"kind\":1,\"tier\":0,\"start\":\"+7\"" + good_member.substr(29) + ",\"amount_minor\":1}]",
       }) {
    CAPTURE(bad);
    CHECK_THROWS_AS((void)decode_tiers(bad, usd, "tiers"), StorageError);
  }
}

TEST_CASE("a damaged tier breakdown or decimal in the file is a StorageError when read, never a wrong invoice") {
  const std::string path = new_file();
  {
    Raw raw(path);
    REQUIRE(raw.exec(insert_invoice("d", {{"subtotal_minor", "500"}, {"total_minor", "500"}})) == SQLITE_OK);
    const std::string tiers = "[{\"kind\":1,\"amount_minor\":500}]";  // the sum is right, the members are not
    REQUIRE(raw.exec(insert_line("d", 0, "1, 'usage', 0, 100, '10', NULL, 500, 'calls', '" + tiers + "'")) ==
            SQLITE_OK);
  }
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  CHECK_THROWS_AS((void)work->invoices().find(InvoiceId("d")), StorageError);
  CHECK_THROWS_AS((void)work->invoices().list({}, "", 10), StorageError);
}

TEST_CASE("a hand-written status change is allowed exactly where k_invoice_transitions allows it: all 25 pairs") {
  const std::string path = new_file();
  int allowed = 0;
  int n = 0;
  for (const char* recursive : {"OFF", "ON"}) {
    Raw raw(path);
    REQUIRE(raw.exec(std::string("PRAGMA recursive_triggers = ") + recursive) == SQLITE_OK);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    for (const InvoiceStatus from : k_invoice_statuses) {
      for (const InvoiceStatus to : k_invoice_statuses) {
        CAPTURE(recursive);
        CAPTURE(static_cast<int>(from));
        CAPTURE(static_cast<int>(to));
        const std::string id = fmt::format("i{}", n++);
        store_in(raw, id, from);
        const int rc = raw.exec(move_invoice(id, to));
        CAPTURE(raw.error());
        // A kept status is no move: allowed for a DRAFT only. PAID and VOID have no way out in the table.
        if (from == to ? from == InvoiceStatus::draft : invoice_transition_allowed(from, to)) {
          ++allowed;
          CHECK(rc == SQLITE_OK);
        } else {
          CHECK(rc == SQLITE_CONSTRAINT_TRIGGER);
        }
      }
    }
  }
  CHECK(n == 50);
  CHECK(allowed == 16);  // 7 moves and the kept DRAFT, twice
}

TEST_CASE("hand-written statements cannot break an invoice's rules, with recursive_triggers off or on") {
  const std::string path = new_file();
  {
    Raw raw(path);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    store_in(raw, "d", InvoiceStatus::draft, {{"subscription_id", "'sa'"}, {"period_start", "0"}});
    store_in(raw, "o", InvoiceStatus::open,
             {{"subscription_id", "'sa'"}, {"period_start", "100"}, {"period_end", "200"}});        // number 1
    store_in(raw, "p", InvoiceStatus::paid, {{"subscription_id", "'sb'"}, {"period_start", "0"}});  // number 2
    store_in(raw, "v", InvoiceStatus::voided);                                                      // number 3
    store_in(raw, "u", InvoiceStatus::uncollectible);                                               // number 4
    store_in(raw, "e", InvoiceStatus::draft,
             {{"subscription_id", "'sb'"}, {"period_start", "100"}, {"period_end", "200"}});
    // A DRAFT without lines, voided: never numbered.
    REQUIRE(raw.exec(insert_invoice("x", {{"subtotal_minor", "0"}, {"total_minor", "0"}})) == SQLITE_OK);
    REQUIRE(raw.exec(move_invoice("x", InvoiceStatus::voided)) == SQLITE_OK);
    REQUIRE(raw.column("SELECT id || ':' || coalesce(number, '-') FROM invoices ORDER BY id", 0) ==
            std::vector<std::string>{"d:-", "e:-", "o:1", "p:2", "u:4", "v:3", "x:-"});
  }
  const std::string next_number = "(SELECT max(number) + 1 FROM invoices)";
  const std::string usage_tiers =
      "'[{\"kind\":1,\"tier\":0,\"start\":\"0\",\"up_to\":null,\"quantity\":\"10\",\"unit_price\":\"0.5\","
      "\"flat_fee\":\"0\",\"amount_minor\":499}]'";
  const std::vector<std::string> probes = {
      // identity
      "UPDATE invoices SET id = 'renamed', version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET account_id = 'beta', version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET subscription_id = 'sb', version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET subscription_id = NULL, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET currency = 'EUR', version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET currency_places = 3, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET period_start = 1, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET period_end = 99, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET created_at = 7, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET account_id = 'beta', status = 4, closed_at = 9, version = version + 1 WHERE id = 'o'",
      "UPDATE OR REPLACE invoices SET id = 'o', version = version + 1 WHERE id = 'd'",
      "UPDATE OR REPLACE invoices SET period_start = 100, version = version + 1 WHERE id = 'd'",  // o's period
      // the lines of an invoice that is not a DRAFT
      "UPDATE invoice_lines SET amount_minor = 1 WHERE invoice_id = 'o'",
      "UPDATE invoice_lines SET description = 'changed' WHERE invoice_id = 'o'",
      "UPDATE invoice_lines SET quantity = '1.0' WHERE invoice_id = 'p'",
      "UPDATE invoice_lines SET invoice_id = 'd', position = 1 WHERE invoice_id = 'o'",
      "UPDATE invoice_lines SET invoice_id = 'o', position = 1 WHERE invoice_id = 'd'",
      "UPDATE OR REPLACE invoice_lines SET position = 0 WHERE invoice_id = 'u'",
      "DELETE FROM invoice_lines WHERE invoice_id = 'o'",
      "DELETE FROM invoice_lines WHERE invoice_id = 'p'",
      "DELETE FROM invoice_lines WHERE invoice_id = 'v'",
      "DELETE FROM invoice_lines WHERE invoice_id = 'u'",
      "DELETE FROM invoice_lines",
      insert_line("o", 1),
      insert_line("p", 1),
      insert_line("x", 0),
      insert_line("nobody", 0),
      "INSERT OR REPLACE" + insert_line("o", 0).substr(6),
      "REPLACE INTO invoice_lines SELECT * FROM invoice_lines WHERE invoice_id = 'p'",
      insert_line("o", 0) + " ON CONFLICT DO UPDATE SET amount_minor = 1",
      insert_line("o", 0) + " ON CONFLICT DO NOTHING",
      // totals after DRAFT, and a DRAFT that leaves with lines that do not sum
      "UPDATE invoices SET subtotal_minor = 0, total_minor = 0, status = 4, closed_at = 9, version = version + 1 "
      "WHERE id = 'o'",
      "UPDATE invoices SET tax_rate = '0', status = 4, closed_at = 9, version = version + 1 WHERE id = 'o'",
      "UPDATE invoices SET subtotal_minor = 900, tax_rate = '0.1', tax_minor = 90, total_minor = 990, status = 2, "
      "closed_at = 9, version = version + 1 WHERE id = 'u'",
      "UPDATE invoices SET status = 1, number = " + next_number +
          ", finalized_at = 5, subtotal_minor = 999, total_minor = 999, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET status = 1, number = " + next_number +
          ", finalized_at = 5, tax_rate = '0.1', tax_minor = 100, total_minor = 1100, version = version + 1 "
          "WHERE id = 'd'",  // a tax that no tax line carries
      "UPDATE invoices SET status = 3, closed_at = 9, subtotal_minor = 0, total_minor = 0, version = version + 1 "
      "WHERE id = 'e'",
      // invoices are never removed
      "DELETE FROM invoices WHERE id = 'd'",
      "DELETE FROM invoices WHERE id = 'p'",
      "DELETE FROM invoices WHERE id = 'x'",
      "DELETE FROM invoices",
      // the number: set once, leaving DRAFT for OPEN, the next of the sequence, and never changed
      "UPDATE invoices SET number = 10, status = 4, closed_at = 9, version = version + 1 WHERE id = 'o'",
      "UPDATE invoices SET number = 5, status = 4, closed_at = 9, version = version + 1 WHERE id = 'o'",  // next free
      "UPDATE invoices SET number = NULL, finalized_at = NULL, status = 4, closed_at = 9, version = version + 1 "
      "WHERE id = 'o'",
      "UPDATE invoices SET status = 1, number = " + next_number +
          " + 1, finalized_at = 5, version = version + 1 "
          "WHERE id = 'd'",                                                                                  // a gap
      "UPDATE invoices SET status = 1, number = 1, finalized_at = 5, version = version + 1 WHERE id = 'd'",  // taken
      "UPDATE OR REPLACE invoices SET status = 1, number = 1, finalized_at = 5, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET status = 1, number = 0, finalized_at = 5, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET status = 1, version = version + 1 WHERE id = 'd'",  // OPEN without a number
      "UPDATE invoices SET status = 3, number = " + next_number +
          ", finalized_at = 5, closed_at = 9, version = version + 1 WHERE id = 'd'",  // numbered on a void
      "UPDATE invoices SET number = " + next_number + ", finalized_at = 5, version = version + 1 WHERE id = 'd'",
      "UPDATE invoices SET finalized_at = 6, status = 4, closed_at = 9, version = version + 1 WHERE id = 'o'",
      "UPDATE invoices SET posted_entry = 'forged', status = 4, closed_at = 9, version = version + 1 WHERE id = 'o'",
      "UPDATE invoices SET number = 2, version = version + 1 WHERE id = 'v'",
      insert_invoice("n", {{"number", "5"}}),
      insert_invoice("n", {{"number", "5"}, {"status", "1"}, {"finalized_at", "5"}}),
      // one invoice per subscription and period start
      insert_invoice("dup", {{"subscription_id", "'sa'"}, {"period_start", "0"}}),
      insert_invoice("dup", {{"subscription_id", "'sa'"}, {"period_start", "100"}, {"period_end", "200"}}),
      "INSERT OR REPLACE" + insert_invoice("dup", {{"subscription_id", "'sa'"}, {"period_start", "0"}}).substr(6),
      "INSERT OR REPLACE" + insert_invoice("dup", {{"subscription_id", "'sb'"}, {"period_start", "0"}}).substr(6),
      insert_invoice("dup", {{"subscription_id", "'sa'"}, {"period_start", "0"}}) +
          " ON CONFLICT DO UPDATE SET total_minor = 5",
      insert_invoice("dup", {{"subscription_id", "'sa'"}, {"period_start", "0"}}) + " ON CONFLICT DO NOTHING",
      "INSERT INTO invoices SELECT 'dup', " +
          std::string("NULL, account_id, subscription_id, currency, currency_places, "
                      "period_start, period_end, 0, subtotal_minor, tax_rate, "
                      "tax_minor, total_minor, NULL, NULL, NULL, 1, created_at, "
                      "NULL, NULL FROM invoices WHERE id = 'p'"),
      // ids, and rows replaced
      insert_invoice("d"),
      "INSERT OR REPLACE INTO invoices SELECT * FROM invoices WHERE id = 'o'",
      "REPLACE INTO invoices SELECT * FROM invoices WHERE id = 'p'",
      "INSERT OR REPLACE" + insert_invoice("p").substr(6),
      insert_invoice("o") + " ON CONFLICT(id) DO UPDATE SET status = 2",
      insert_invoice("o") + " ON CONFLICT DO NOTHING",
      // the status table and the version
      "UPDATE invoices SET status = 4, closed_at = 9 WHERE id = 'o'",  // a change without a new version
      "UPDATE invoices SET status = 4, closed_at = 9, version = version + 2 WHERE id = 'o'",
      "UPDATE invoices SET version = version WHERE id = 'd'",
      "UPDATE invoices SET version = 1 WHERE id = 'o'",
      "UPDATE invoices SET version = version + 1 WHERE id = 'o'",  // OPEN kept: only a DRAFT changes in place
      "UPDATE invoices SET closed_at = 10, version = version + 1 WHERE id = 'u'",  // UNCOLLECTIBLE kept
      move_invoice("p", InvoiceStatus::draft),
      move_invoice("p", InvoiceStatus::open),
      move_invoice("p", InvoiceStatus::voided),
      move_invoice("p", InvoiceStatus::uncollectible),
      "UPDATE invoices SET closed_at = 10, version = version + 1 WHERE id = 'p'",  // PAID is final
      "UPDATE invoices SET settled_entry = 'forged', version = version + 1 WHERE id = 'p'",
      move_invoice("v", InvoiceStatus::paid),
      move_invoice("x", InvoiceStatus::open),
      "UPDATE invoices SET voided_entry = NULL, version = version + 1 WHERE id = 'v'",  // VOID is final
      move_invoice("o", InvoiceStatus::draft),
      move_invoice("u", InvoiceStatus::open),
      move_invoice("d", InvoiceStatus::paid),
      move_invoice("d", InvoiceStatus::uncollectible),
      insert_invoice("n", {{"status", "1"}}),
      insert_invoice("n", {{"status", "3"}, {"closed_at", "9"}}),
      insert_invoice("n", {{"version", "2"}}),
      // what it names is stored
      insert_invoice("n", {{"account_id", "'nobody'"}}),
      insert_invoice("n", {{"subscription_id", "'nobody'"}}),
      // the CHECKs
      insert_invoice("n", {{"status", "5"}}),
      insert_invoice("n", {{"total_minor", "999"}}),
      insert_invoice("n", {{"subtotal_minor", "-9223372036854775808"}}),
      insert_invoice("n", {{"subtotal_minor", "9223372036854775807"},
                           {"tax_rate", "'0.5'"},
                           {"tax_minor", "1"},
                           {"total_minor", "-9223372036854775807"}}),      // the sum overflows
      insert_invoice("n", {{"subtotal_minor", "10.5"}}),                   // STRICT
      insert_invoice("n", {{"tax_minor", "5"}, {"total_minor", "1005"}}),  // a tax without a rate
      insert_invoice("n", {{"tax_rate", "'1.5'"}}),
      insert_invoice("n", {{"tax_rate", "'1.01'"}}),
      insert_invoice("n", {{"tax_rate", "'0.1234567'"}}),
      insert_invoice("n", {{"tax_rate", "'-0.1'"}}),
      insert_invoice("n", {{"tax_rate", "'2e-1'"}}),
      insert_invoice("n", {{"tax_rate", "'0.'"}}),
      insert_invoice("n", {{"tax_rate", "'0.1.2'"}}),
      insert_invoice("n", {{"tax_rate", "'abc'"}}),
      insert_invoice("n", {{"period_end", "0"}}),
      insert_invoice("n", {{"currency", "'U'"}}),
      insert_invoice("n", {{"currency_places", "19"}}),
      insert_invoice("n", {{"finalized_at", "5"}}),
      insert_invoice("n", {{"closed_at", "5"}}),
      insert_invoice("n", {{"posted_entry", "'e'"}}),
      insert_invoice("n", {{"settled_entry", "'e'"}}),
      insert_invoice("n", {{"voided_entry", "'e'"}}),
      insert_invoice("n", {{"posted_entry", "''"}}),
      insert_invoice("", {}),
      "UPDATE invoices SET closed_at = NULL, status = 4, version = version + 1 WHERE id = 'o'",
      "UPDATE invoices SET status = 2, closed_at = 9, voided_entry = 'e', version = version + 1 WHERE id = 'u'",
      // a line's CHECKs, on a DRAFT whose next line is 1, so that only they decide
      insert_line("d", 1, "4, 'fee', 0, 100, '1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, '', 0, 100, '1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'a' || char(10) || 'b', 0, 100, '1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'a' || char(8232), 0, 100, '1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, printf('%.*c', 513, 'd'), 0, 100, '1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 100, 99, '1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, 'abc', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1e5', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1.', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '.5', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '--1', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1-', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1.2.3', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '', '10.00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1', '10,00', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1', ' 10', 1000, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1', '10.00', -9223372036854775808, '', '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1', '10.00', 1000, 'calls', '[]'"),  // a meter on a fee
      insert_line("d", 1, "1, 'usage', 0, 100, '1', '10.00', 1000, '', '[]'"),     // usage without a meter
      insert_line("d", 1, "1, 'usage', 0, 100, '1', NULL, 1000, printf('%.*c', 65, 'm'), '[]'"),
      insert_line("d", 1, "0, 'fee', 0, 100, '1', '10.00', 499, '', " + usage_tiers),       // tiers on a fee
      insert_line("d", 1, "1, 'usage', 0, 100, '10', NULL, 500, 'calls', " + usage_tiers),  // a wrong sum
      insert_line("d", 1, "1, 'usage', 0, 100, '10', NULL, 500, 'calls', 'not json'"),
      insert_line("d", 1, "1, 'usage', 0, 100, '10', NULL, 500, 'calls', '{}'"),
      insert_line("d", 2),  // a gap
      insert_line("d", 0),  // taken
      insert_line("d", 1000),
      "INSERT OR REPLACE" + insert_line("d", 0).substr(6),
  };
  const int refused = test::refused_probes(path, probes);
  MESSAGE(refused << " of " << 2 * probes.size() << " invoice tamper probes blocked");
  CHECK(refused == static_cast<int>(2 * probes.size()));

  // The probes are well-formed: the same shapes, used as the rules use them, go in, and the repository reads them
  // back.
  {
    Raw raw(path);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    CHECK(raw.exec(insert_line("d", 1, "1, 'usage', 0, 100, '10', NULL, 499, 'calls', " + usage_tiers)) == SQLITE_OK);
    CHECK(raw.exec("UPDATE invoice_lines SET description = 'prorated fee' WHERE invoice_id = 'd' AND position = 0") ==
          SQLITE_OK);
    CHECK(raw.exec("UPDATE invoices SET status = 1, number = " + next_number +
                   ", finalized_at = 5, subtotal_minor = 1499, total_minor = 1499, version = version + 1 "
                   "WHERE id = 'd'") == SQLITE_OK);
    CHECK(raw.exec(move_invoice("o", InvoiceStatus::uncollectible)) == SQLITE_OK);
    CHECK(raw.exec(move_invoice("o", InvoiceStatus::paid)) == SQLITE_OK);
    CHECK(raw.exec("DELETE FROM invoice_lines WHERE invoice_id = 'e'") == SQLITE_OK);        // a DRAFT's lines may go
    CHECK(raw.exec(move_invoice("e", InvoiceStatus::voided)) == SQLITE_CONSTRAINT_TRIGGER);  // but not unsummed
    CHECK(raw.exec("UPDATE invoices SET subtotal_minor = 0, total_minor = 0, version = version + 1 WHERE id = 'e'") ==
          SQLITE_OK);
    CHECK(raw.exec(move_invoice("e", InvoiceStatus::voided)) == SQLITE_OK);
    CHECK(raw.exec(insert_invoice(
              "n", {{"subscription_id", "'sa'"}, {"period_start", "200"}, {"period_end", "300"}})) == SQLITE_OK);
  }
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  InvoiceRepository& r = work->invoices();
  const auto d = r.find(InvoiceId("d"));
  REQUIRE(d.has_value());
  CHECK(d->status == InvoiceStatus::open);
  CHECK(d->number == std::optional<std::uint64_t>(5));
  REQUIRE(d->lines.size() == 2);
  CHECK(d->lines[0].description == "prorated fee");
  REQUIRE(d->lines[1].tiers.size() == 1);
  CHECK(d->lines[1].tiers[0].unit_price == Decimal::parse("0.5"));
  CHECK(d->lines[1].tiers[0].amount == Money::parse("4.99 USD"));
  CHECK(d->subtotal == Money::parse("14.99 USD"));
  CHECK(r.find(InvoiceId("o"))->status == InvoiceStatus::paid);
  CHECK(r.find(InvoiceId("e"))->lines.empty());
  CHECK(r.find_for_period(SubscriptionId("sa"), Timestamp::from_unix_micros(200))->id == InvoiceId("n"));
  CHECK(r.last_number() == 5);
}

TEST_CASE("the unique key alone holds one invoice per subscription and period, and one invoice per number") {
  // With the triggers gone (a file someone edited by hand), the key still refuses the second invoice.
  const std::string path = new_file();
  Raw raw(path);
  REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
  REQUIRE(raw.exec("DROP TRIGGER invoices_new; DROP TRIGGER invoices_change") == SQLITE_OK);
  REQUIRE(raw.exec(insert_invoice("a", {{"subscription_id", "'sa'"}})) == SQLITE_OK);
  CHECK(raw.exec(insert_invoice("b", {{"subscription_id", "'sa'"}})) == SQLITE_CONSTRAINT_UNIQUE);
  CHECK(raw.exec(insert_invoice("b", {{"subscription_id", "'sa'"}, {"period_start", "1"}})) == SQLITE_OK);
  CHECK(raw.exec("UPDATE invoices SET status = 1, number = 1, finalized_at = 5 WHERE id = 'a'") == SQLITE_OK);
  CHECK(raw.exec("UPDATE invoices SET status = 1, number = 1, finalized_at = 5 WHERE id = 'b'") ==
        SQLITE_CONSTRAINT_UNIQUE);
  // Invoices without a subscription are outside the key.
  CHECK(raw.exec(insert_invoice("c")) == SQLITE_OK);
  CHECK(raw.exec(insert_invoice("d")) == SQLITE_OK);
}

TEST_CASE("a refused write through the repository leaves the unit of work usable and the rows as they were") {
  // insert and update are several statements (the row and its lines) inside a savepoint: a refusal halfway
  // rolls back to it, and the unit of work can still commit what it did before.
  const std::string path = new_file();
  {
    // A trigger stricter than the rules, so that the store refuses the second line after the row went in.
    Raw raw(path);
    REQUIRE(raw.exec("CREATE TRIGGER test_refuse_second_line BEFORE INSERT ON invoice_lines WHEN NEW.position = 1 "
                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END") == SQLITE_OK);
  }
  auto store = open_sqlite(path);
  const Currency usd("USD");
  const auto line = [&](const char* amount) {
    return InvoiceLine{.kind = InvoiceLineKind::flat_fee,
                       .description = "fee",
                       .period_start = k_t0,
                       .period_end = Timestamp::from_unix_micros(100),
                       .unit_price = Decimal::parse(amount),
                       .amount = Money(Decimal::parse(amount), usd)};
  };
  Invoice one{.id = InvoiceId("one"),
              .account_id = AccountId("acme"),
              .currency = usd,
              .period_start = k_t0,
              .period_end = Timestamp::from_unix_micros(100),
              .lines = {line("10.00")},
              .subtotal = Money::parse("10.00 USD"),
              .tax = Money::zero(usd),
              .total = Money::parse("10.00 USD"),
              .created_at = k_t0};
  Invoice two = one;
  two.id = InvoiceId("two");
  two.lines.push_back(line("5.00"));
  two.subtotal = two.total = Money::parse("15.00 USD");
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->invoices().insert(one) == InvoiceInsert::inserted);
    CHECK_THROWS_AS((void)work->invoices().insert(two), InvariantViolation);
    CHECK_FALSE(work->invoices().find(two.id).has_value());
    Invoice grown = two;
    grown.id = one.id;
    grown.version = 2;
    CHECK_THROWS_AS((void)work->invoices().update(grown), InvariantViolation);
    CHECK(work->invoices().find(one.id) == one);
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->invoices().find(one.id) == one);
  CHECK_FALSE(work->invoices().find(two.id).has_value());
}

TEST_CASE("a file at schema version 9 is migrated to 10: the invoice tables, indexes and guards, its rows kept") {
  const std::string path = new_file();
  {
    // Version 10 only added the invoice tables: without them, this is what version 9 wrote.
    Raw raw(path);
    REQUIRE(detail::sqlite::k_schema_version == 10);
    REQUIRE(raw.exec("DROP TABLE invoice_lines; DROP TABLE invoices; PRAGMA user_version = 9") == SQLITE_OK);
    REQUIRE(raw.column("SELECT name FROM sqlite_schema WHERE name LIKE 'invoice%'", 0).empty());
  }
  auto store = open_sqlite(path);
  Raw raw(path);
  CHECK(raw.column("PRAGMA user_version", 0) == std::vector<std::string>{"10"});
  CHECK(raw.column("SELECT name FROM sqlite_schema WHERE name LIKE 'invoice%' ORDER BY name", 0) ==
        std::vector<std::string>{"invoice_lines", "invoice_lines_delete", "invoice_lines_insert",
                                 "invoice_lines_update", "invoices", "invoices_by_account", "invoices_by_status",
                                 "invoices_change", "invoices_keep_identity", "invoices_new", "invoices_no_delete",
                                 "invoices_one_per_period", "invoices_open"});
  UnitOfWork work(*store, Access::write);
  CHECK(work->accounts().find(AccountId("acme")).has_value());  // the rows of version 9 are kept
  CHECK(work->plans().find_plan("pro").has_value());
  CHECK(work->subscriptions().find(SubscriptionId("sa")) == subscription("sa", "acme"));
  const Currency usd("USD");
  const Invoice invoice{.id = InvoiceId("inv"),
                        .account_id = AccountId("acme"),
                        .subscription_id = SubscriptionId("sa"),
                        .currency = usd,
                        .period_start = k_t0,
                        .period_end = Timestamp::from_unix_micros(100),
                        .subtotal = Money::zero(usd),
                        .tax = Money::zero(usd),
                        .total = Money::zero(usd),
                        .created_at = k_t0};
  REQUIRE(work->invoices().insert(invoice) == InvoiceInsert::inserted);
  CHECK(work->invoices().find_for_period(SubscriptionId("sa"), k_t0) == invoice);
  work.commit();
  CHECK((raw.exec("DELETE FROM invoices") & 0xff) == SQLITE_CONSTRAINT);
}
