// What only the SQLite payment tables have: a schema with no column that could hold a card number or a
// CVC, reads served by indexes, and CHECKs and triggers that refuse what the payment rules forbid even
// when a hand-written statement tries (the status table walked pair by pair, identity, append-only
// history, INSERT OR REPLACE). The repository's behaviour on every adapter is in
// tests/contract/payments_contract_test.cpp.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "../../src/storage/sqlite/payments.hpp"
#include "billing/payment.hpp"
#include "billing/storage/payment_repository.hpp"
#include "billing/storage/sqlite.hpp"
#include "raw_sqlite.hpp"
#include "support/scratch_dir.hpp"

using namespace billing;

namespace {

// A new file at the current schema, closed again.
std::string new_file() {
  static int counter = 0;
  const std::string path =
      (test::scratch_dir("billing-sqlite-payments-") / fmt::format("payments-{}.db", counter++)).string();
  { (void)open_sqlite(path); }
  return path;
}

using Raw = test::RawSqlite;

// An INSERT of a new card payment `id` as the repository writes it, with `overrides` (column, SQL value)
// replacing columns.
std::string insert_payment(const std::string& id, const std::map<std::string, std::string>& overrides = {}) {
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"customer_id", "'cus'"},    {"email", "NULL"},         {"currency", "'USD'"},
      {"currency_places", "2"},    {"amount_minor", "1999"},  {"status", "0"},
      {"brand", "0"},              {"last_four", "'4242'"},   {"expiry_month", "12"},
      {"expiry_year", "2030"},     {"bank_country", "NULL"},  {"bank_last_four", "NULL"},
      {"fingerprint", "''"},       {"gateway_token", "'tok'"}, {"request_key", "NULL"},
      {"debit_account", "'clearing'"}, {"credit_account", "'revenue'"}, {"description", "''"},
      {"metadata", "'{}'"},        {"attempts", "0"},         {"max_attempts", "3"},
      {"next_attempt_at", "NULL"}, {"attempt_started_at", "NULL"}, {"gateway_reference", "''"},
      {"failure_reason", "''"},    {"entry_id", "NULL"},      {"processed_at", "NULL"},
      {"version", "1"},            {"created_at", "0"},       {"updated_at", "0"}};
  return test::insert_row("payments", id, defaults, overrides);
}

// The overrides of insert_payment() that make it a bank payment: no card columns, a country and last four.
std::map<std::string, std::string> bank(const std::string& country = "'DE'", const std::string& last_four = "'3000'") {
  return {{"brand", "NULL"},          {"last_four", "NULL"},          {"expiry_month", "NULL"},
          {"expiry_year", "NULL"},    {"bank_country", country},      {"bank_last_four", last_four}};
}

// A change of payment `id` to status `to` that every CHECK accepts, so that only the triggers decide.
std::string move_payment(const std::string& id, PaymentStatus to) {
  const bool processed = to == PaymentStatus::processed;
  return fmt::format(
      "UPDATE payments SET status = {}, version = version + 1, attempts = max(attempts, 1), attempt_started_at = 1, "
      "entry_id = {}, processed_at = {}, gateway_reference = 'ch' WHERE id = '{}'",
      static_cast<int>(to), processed ? "'entry'" : "NULL", processed ? "1" : "NULL", id);
}

}  // namespace

TEST_CASE("the payment tables have no column that could hold a card number or a CVC") {
  Raw raw(new_file());
  const std::vector<std::string> columns = raw.column("SELECT name FROM pragma_table_info('payments')", 0);
  CHECK(columns == std::vector<std::string>{
                       "id",           "customer_id",     "email",           "currency",          "currency_places",
                       "amount_minor", "status",          "brand",           "last_four",         "expiry_month",
                       "expiry_year",  "bank_country",    "bank_last_four",  "fingerprint",       "gateway_token",
                       "request_key",  "debit_account",   "credit_account",  "description",       "metadata",
                       "attempts",     "max_attempts",    "next_attempt_at", "attempt_started_at", "gateway_reference",
                       "failure_reason", "entry_id",      "processed_at",    "version",           "created_at",
                       "updated_at"});
  std::vector<std::string> all = columns;
  for (const std::string& name : raw.column("SELECT name FROM pragma_table_info('payment_history')", 0)) {
    all.push_back(name);
  }
  CHECK(all.size() == columns.size() + 7);
  for (const std::string& name : all) {
    CAPTURE(name);
    for (const char* forbidden : {"card", "number", "pan", "cvc", "cvv", "security", "iban"}) {
      CHECK(name.find(forbidden) == std::string::npos);
    }
  }
  // The one text column a card's digits could be typed into by mistake is bounded to four digits.
  CHECK((raw.exec(insert_payment("p", {{"last_four", "'4242424242424242'"}})) & 0xff) == SQLITE_CONSTRAINT);
  CHECK((raw.exec(insert_payment("p", bank("'DE'", "'DE89370400440532013000'"))) & 0xff) == SQLITE_CONSTRAINT);
}

TEST_CASE("every payment read is served by an index, never a scan of the table or a sort") {
  const std::string path = new_file();
  Raw raw(path);
  const std::vector<std::string> reads = detail::sqlite::payment_reads_for_testing();
  REQUIRE(reads.size() == 8);
  const std::vector<std::string> expected = {
      "SEARCH payments USING PRIMARY KEY",        "SEARCH payments USING INDEX payments_by_status",
      "SEARCH payments USING INDEX payments_by_customer", "SEARCH payments USING INDEX payments_by_customer",
      "SEARCH payments USING INDEX payments_by_request_key", "SEARCH payments USING PRIMARY KEY",
      "SEARCH payments USING PRIMARY KEY",        "SEARCH payment_history USING PRIMARY KEY"};
  for (const char* analyzed : {"without statistics", "after ANALYZE"}) {
    if (std::string_view(analyzed) == "after ANALYZE") {
      // Statistics that would tempt a planner to scan: many payments, one status and one customer.
      for (int i = 0; i < 200; ++i) REQUIRE(raw.exec(insert_payment(fmt::format("p{:03}", i))) == SQLITE_OK);
      REQUIRE(raw.exec("ANALYZE") == SQLITE_OK);
    }
    for (std::size_t i = 0; i < reads.size(); ++i) {
      CAPTURE(analyzed);
      CAPTURE(reads[i]);
      std::string plan;
      for (const std::string& line : raw.plan(reads[i])) plan += line + "; ";
      CAPTURE(plan);
      CHECK(plan.find(expected[i]) != std::string::npos);
      CHECK(plan.find("SCAN") == std::string::npos);
      CHECK(plan.find("TEMP B-TREE") == std::string::npos);  // the index gives id order; nothing is sorted
    }
  }
}

TEST_CASE("a hand-written status change is allowed exactly where k_payment_transitions allows it: all 36 pairs") {
  const std::string path = new_file();
  int allowed = 0;
  int n = 0;
  for (const char* recursive : {"OFF", "ON"}) {
    Raw raw(path);
    REQUIRE(raw.exec(std::string("PRAGMA recursive_triggers = ") + recursive) == SQLITE_OK);
    for (const PaymentStatus from : k_payment_statuses) {
      for (const PaymentStatus to : k_payment_statuses) {
        CAPTURE(recursive);
        CAPTURE(to_string(from));
        CAPTURE(to_string(to));
        const std::string id = fmt::format("p{}", n++);
        REQUIRE(raw.exec(insert_payment(id)) == SQLITE_OK);
        if (from != PaymentStatus::validated) REQUIRE(raw.exec(move_payment(id, PaymentStatus::processing)) == SQLITE_OK);
        if (from != PaymentStatus::validated && from != PaymentStatus::processing) {
          REQUIRE(raw.exec(move_payment(id, from)) == SQLITE_OK);
        }
        const int rc = raw.exec(move_payment(id, to));
        CAPTURE(raw.error());
        if (payment_transition_allowed(from, to)) {
          ++allowed;
          CHECK(rc == SQLITE_OK);
        } else {
          CHECK(rc == SQLITE_CONSTRAINT_TRIGGER);
        }
      }
    }
  }
  CHECK(n == 72);
  CHECK(allowed == 22);
}

TEST_CASE("hand-written statements cannot break a payment's rules, with recursive_triggers off or on") {
  const std::string path = new_file();
  {
    Raw raw(path);
    REQUIRE(raw.exec(insert_payment("v", {{"request_key", "'key-v'"}})) == SQLITE_OK);
    REQUIRE(raw.exec(insert_payment("w")) == SQLITE_OK);
    REQUIRE(raw.exec(move_payment("w", PaymentStatus::processing)) == SQLITE_OK);
    REQUIRE(raw.exec("INSERT INTO payment_history VALUES ('w', 2, 0, 1, 1, 'attempt 1', 1)") == SQLITE_OK);
    REQUIRE(raw.exec(insert_payment("d")) == SQLITE_OK);
    REQUIRE(raw.exec(move_payment("d", PaymentStatus::processing)) == SQLITE_OK);
    REQUIRE(raw.exec(move_payment("d", PaymentStatus::processed)) == SQLITE_OK);
  }
  const std::vector<std::string> probes = {
      // the status table and the version
      "UPDATE payments SET status = 1 WHERE id = 'v'",  // a change without a new version
      "UPDATE payments SET status = 1, attempts = 1, attempt_started_at = 1, version = version + 2 WHERE id = 'v'",
      "UPDATE payments SET version = version + 1 WHERE id = 'v'",  // no change of status
      "UPDATE payments SET version = 1 WHERE id = 'w'",
      "UPDATE payments SET failure_reason = 'x' WHERE id = 'd'",  // PROCESSED is final
      "UPDATE payments SET status = 0, entry_id = NULL, processed_at = NULL, version = version + 1 WHERE id = 'd'",
      // identity
      "UPDATE payments SET id = 'renamed', status = 1, attempts = 1, attempt_started_at = 1, version = 2 WHERE id = 'v'",
      "UPDATE payments SET customer_id = 'eve' WHERE id = 'w'",
      "UPDATE payments SET email = 'eve@example.com' WHERE id = 'w'",
      "UPDATE payments SET amount_minor = 1 WHERE id = 'w'",
      "UPDATE payments SET currency = 'EUR' WHERE id = 'w'",
      "UPDATE payments SET currency_places = 3 WHERE id = 'w'",
      "UPDATE payments SET brand = 1 WHERE id = 'w'",
      "UPDATE payments SET last_four = '1111' WHERE id = 'w'",
      "UPDATE payments SET expiry_month = 1 WHERE id = 'w'",
      "UPDATE payments SET expiry_year = 2031 WHERE id = 'w'",
      "UPDATE payments SET fingerprint = '' WHERE id = 'w'",
      "UPDATE payments SET gateway_token = 'tok2' WHERE id = 'w'",
      "UPDATE payments SET request_key = 'stolen' WHERE id = 'w'",
      "UPDATE payments SET debit_account = 'mine' WHERE id = 'w'",
      "UPDATE payments SET credit_account = 'mine' WHERE id = 'w'",
      "UPDATE payments SET description = 'changed' WHERE id = 'w'",
      "UPDATE payments SET metadata = '{\"a\":\"b\"}' WHERE id = 'w'",
      "UPDATE payments SET max_attempts = 100 WHERE id = 'w'",
      "UPDATE payments SET created_at = 7 WHERE id = 'w'",
      "UPDATE OR REPLACE payments SET request_key = 'key-v' WHERE id = 'w'",
      // rows are never removed or replaced, a request key is one payment's, and a new one is VALIDATED
      "DELETE FROM payments WHERE id = 'd'",
      "DELETE FROM payments",
      "INSERT OR REPLACE INTO payments SELECT * FROM payments WHERE id = 'v'",
      "REPLACE INTO payments SELECT * FROM payments WHERE id = 'd'",
      insert_payment("x", {{"request_key", "'key-v'"}}),
      "INSERT OR REPLACE" + insert_payment("x", {{"request_key", "'key-v'"}}).substr(6),
      insert_payment("v") + " ON CONFLICT(id) DO UPDATE SET description = 'eve'",
      insert_payment("x", {{"status", "1"}, {"attempts", "1"}, {"attempt_started_at", "1"}}),
      insert_payment("x", {{"version", "2"}}),
      insert_payment("x", {{"attempts", "1"}}),
      // the CHECKs
      insert_payment("x", {{"status", "6"}}),
      insert_payment("x", {{"amount_minor", "0"}}),
      insert_payment("x", {{"attempts", "4"}}),
      insert_payment("x", {{"max_attempts", "0"}}),
      insert_payment("x", {{"max_attempts", "'three'"}}),  // STRICT
      insert_payment("x", {{"brand", "8"}}),
      insert_payment("x", {{"last_four", "'42a2'"}}),
      insert_payment("x", {{"expiry_month", "13"}}),
      insert_payment("x", {{"expiry_year", "30"}}),
      insert_payment("x", {{"expiry_month", "NULL"}}),  // a card is brand, last four and expiry, all of them
      insert_payment("x", {{"bank_country", "'DE'"}, {"bank_last_four", "'3000'"}}),  // a card and a bank
      insert_payment("x", bank("NULL", "NULL")),  // neither
      insert_payment("x", bank("'de'")),
      insert_payment("x", bank("'D1'")),
      insert_payment("x", bank("'DE'", "'30 0'")),
      insert_payment("x", {{"fingerprint", "'ABC'"}}),
      insert_payment("x", {{"fingerprint", "printf('%.*c', 64, 'A')"}}),
      insert_payment("x", {{"fingerprint", "printf('%.*c', 65, 'a')"}}),
      insert_payment("x", {{"customer_id", "''"}}),
      insert_payment("x", {{"customer_id", "printf('%.*c', 129, 'c')"}}),
      insert_payment("x", {{"email", "'not an email'"}}),
      insert_payment("x", {{"request_key", "''"}}),
      insert_payment("x", {{"gateway_token", "printf('%.*c', 256, 't')"}}),
      insert_payment("x", {{"description", "printf('%.*c', 1025, 'd')"}}),
      insert_payment("x", {{"metadata", "'[]'"}}),
      insert_payment("x", {{"entry_id", "'e'"}}),
      insert_payment("x", {{"processed_at", "1"}}),
      "UPDATE payments SET status = 2, processed_at = NULL, version = version + 1 WHERE id = 'w'",
      "UPDATE payments SET status = 0, entry_id = 'e', version = version + 1 WHERE id = 'w'",
      "UPDATE payments SET status = 1, attempts = 1, attempt_started_at = NULL, version = version + 1 WHERE id = 'v'",
      // history is append-only, and records the payment's current change
      "UPDATE payment_history SET reason = 'forged' WHERE payment_id = 'w'",
      "DELETE FROM payment_history WHERE payment_id = 'w'",
      "DELETE FROM payment_history",
      "INSERT OR REPLACE INTO payment_history VALUES ('w', 2, 0, 1, 1, 'forged', 1)",
      "INSERT INTO payment_history VALUES ('w', 2, 0, 1, 1, 'x', 1) ON CONFLICT DO UPDATE SET reason = 'forged'",
      "INSERT INTO payment_history VALUES ('w', 3, 1, 2, 1, 'not the payment''s change', 1)",
      "INSERT INTO payment_history VALUES ('d', 3, 1, 2, 1, 'another attempt count', 2)",
      "INSERT INTO payment_history VALUES ('v', 2, 0, 2, 1, 'a pair the table forbids', 1)",
      "INSERT INTO payment_history VALUES ('nobody', 2, 0, 1, 1, 'no such payment', 1)",
  };
  const int refused = test::refused_probes(path, probes);
  MESSAGE(refused << " of " << 2 * probes.size() << " payment tamper probes blocked");
  CHECK(refused == static_cast<int>(2 * probes.size()));

  // The probes are well-formed: the same shapes, used as the rules use them, go in, and the repository reads
  // them back.
  Raw raw(path);
  REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
  CHECK(raw.exec(move_payment("v", PaymentStatus::processing)) == SQLITE_OK);
  CHECK(raw.exec("INSERT INTO payment_history VALUES ('v', 2, 0, 1, 1, 'by hand', 1)") == SQLITE_OK);
  CHECK(raw.exec(insert_payment("x", {{"request_key", "'key-x'"}})) == SQLITE_OK);
  CHECK(raw.exec(insert_payment("y", bank())) == SQLITE_OK);
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  const auto v = work->payments().find(PaymentId("v"));
  REQUIRE(v.has_value());
  CHECK(v->status == PaymentStatus::processing);
  CHECK(v->request_key == "key-v");
  CHECK(work->payments().history(PaymentId("v")).size() == 1);
  CHECK(work->payments().find_by_request_key("key-x")->id == PaymentId("x"));
  CHECK(work->payments().find(PaymentId("y"))->bank_account == BankAccountDetails{.country = "DE", .last_four = "3000"});
  CHECK(work->payments().find(PaymentId("d"))->entry_id == EntryId("entry"));
}
