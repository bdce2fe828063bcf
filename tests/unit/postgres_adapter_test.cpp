// What only the PostgreSQL adapter has: open_postgres's checks of its options and of the schema it is given
// (another program's, a newer library's, one being created by several openers at once), schemas as
// separate stores in one database, the session settings a Durability becomes, and the guards against
// hand-written statements on the ledger's tables. Each test runs on the process's throwaway server
// (support/postgres_server.hpp), in a schema of its own. Behaviour common to every adapter lives in
// tests/contract/.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <vector>

#include <fmt/format.h>

#include "../../src/storage/postgres/testing.hpp"
#include "billing/books.hpp"
#include "billing/error.hpp"
#include "billing/storage/memory.hpp"
#include "billing/storage/postgres.hpp"
#include "support/postgres_server.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::PostgresServer;

namespace {

PostgresServer& server() { return PostgresServer::shared(); }

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The script psql runs for `sql`: errors with their SQLSTATE, rows unaligned without headers, and the
// search_path set to `schema` (when given).
std::string script(const std::string& schema, const std::string& sql) {
  std::string text = "\\set VERBOSITY verbose\n\\pset tuples_only on\n\\pset format unaligned\n";
  if (!schema.empty()) text += fmt::format("SET search_path TO \"{}\";\n", schema);
  return text + sql + ";\n";
}

// What `sql` prints, run in `schema` (or with the default search_path); REQUIREs that it succeeds.
std::string query(const std::string& schema, const std::string& sql) {
  std::string output;
  const int status = server().psql(script(schema, sql), output);
  INFO("psql: ", sql, "\n", output);
  REQUIRE(status == 0);
  return trimmed(output);
}

// The SQLSTATE of the error `sql` raised in `schema`, or "" when it went through; `output` gets psql's words.
std::string sqlstate_of(const std::string& schema, const std::string& sql, std::string& output) {
  if (server().psql(script(schema, sql), output) == 0) return "";
  const std::string_view marker = "ERROR:  ";
  const std::size_t at = output.find(marker);
  if (at == std::string::npos || output.size() < at + marker.size() + 6 || output[at + marker.size() + 5] != ':') {
    return "?????";  // psql failed without a server error (a connection problem): not a refusal
  }
  return output.substr(at + marker.size(), 5);
}

// Whether the schema `name` exists in the database.
bool schema_exists(const std::string& name) {
  std::string literal = "'";
  for (const char c : name) literal += c == '\'' ? std::string("''") : std::string(1, c);
  return query("", "SELECT count(*) FROM pg_namespace WHERE nspname = " + literal + "'") != "0";
}

std::string namespace_count() { return query("", "SELECT count(*) FROM pg_namespace"); }

// What open_postgres threw: "InvalidArgument <field>", "StorageError", another type, or "opened".
std::string refusal(const std::string& conninfo, const PostgresOptions& options) {
  try {
    (void)open_postgres(conninfo, options);
    return "opened";
  } catch (const InvalidArgument& e) {
    return "InvalidArgument " + e.field();
  } catch (const StorageError& e) {
    return std::string("StorageError: ") + e.what();
  } catch (const std::exception& e) {
    return std::string(typeid(e).name()) + ": " + e.what();
  }
}

PostgresOptions with_schema(const std::string& schema) { return {.durability = Durability::normal, .schema = schema}; }

}  // namespace

// ------------------------------------------------------------------------------------------ open_postgres

TEST_CASE("open_postgres refuses each bad option as InvalidArgument naming its field, and creates nothing") {
  const std::string before = namespace_count();
  struct Case {
    const char* what;
    std::string conninfo;
    PostgresOptions options;
    const char* field;
  };
  const std::string good = server().conninfo();
  std::vector<Case> cases;
  for (const std::string& schema :
       {std::string(), std::string("Billing"), std::string("1books"), std::string("books-2"), std::string("bo oks"),
        std::string(64, 'a'), std::string("a\"; DROP SCHEMA public; --"), std::string("caf\xc3\xa9"),
        std::string("pg\0x", 4)}) {
    cases.push_back({"schema", good, with_schema(schema), "schema"});
  }
  const auto fresh = [&](auto change) {
    PostgresOptions options = with_schema(server().unique_schema());
    change(options);
    return options;
  };
  cases.push_back(
      {"lock_timeout -1 ms", good, fresh([](PostgresOptions& o) { o.lock_timeout = -1ms; }), "lock_timeout"});
  cases.push_back({"lock_timeout over the maximum", good,
                   fresh([](PostgresOptions& o) { o.lock_timeout = PostgresOptions::k_max_lock_timeout + 1ms; }),
                   "lock_timeout"});
  cases.push_back(
      {"max_connections 0", good, fresh([](PostgresOptions& o) { o.max_connections = 0; }), "max_connections"});
  cases.push_back({"max_connections over the maximum", good,
                   fresh([](PostgresOptions& o) { o.max_connections = PostgresOptions::k_max_connections + 1; }),
                   "max_connections"});
  cases.push_back(
      {"conflict_retries -1", good, fresh([](PostgresOptions& o) { o.conflict_retries = -1; }), "conflict_retries"});
  cases.push_back({"conflict_retries over the maximum", good,
                   fresh([](PostgresOptions& o) { o.conflict_retries = PostgresOptions::k_max_conflict_retries + 1; }),
                   "conflict_retries"});
  cases.push_back({"durability out of range", good,
                   fresh([](PostgresOptions& o) { o.durability = static_cast<Durability>(7); }), "durability"});
  for (const std::string& conninfo :
       {std::string("host"), std::string("host=/tmp user='unterminated"), std::string("nosuchoption=1"),
        std::string("postgresql://[::1"), std::string("postgresql://billing@/postgres?nosuchparameter=1"),
        good + std::string(" \0 password=x", 13)}) {
    cases.push_back({"conninfo", conninfo, with_schema(server().unique_schema()), "conninfo"});
  }

  int refused = 0;
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CAPTURE(c.conninfo);
    CAPTURE(c.options.schema);
    CHECK(refusal(c.conninfo, c.options) == std::string("InvalidArgument ") + c.field);
    if (c.options.schema.find('\0') == std::string::npos) CHECK_FALSE(schema_exists(c.options.schema));
    ++refused;
  }
  CHECK(namespace_count() == before);  // no schema was created by any of them

  // The bounds themselves are valid, and so is the longest name.
  const std::string longest = "_" + std::string(62, 'z');
  CHECK(refusal(good, {.schema = longest,
                       .lock_timeout = PostgresOptions::k_max_lock_timeout,
                       .max_connections = PostgresOptions::k_max_connections,
                       .conflict_retries = PostgresOptions::k_max_conflict_retries}) == "opened");
  CHECK(
      refusal(good,
              {.schema = server().unique_schema(), .lock_timeout = 0ms, .max_connections = 1, .conflict_retries = 0}) ==
      "opened");
  MESSAGE(refused, " bad options refused, none created a schema");
}

TEST_CASE("open_postgres on an unreachable server is a StorageError whose message holds no password") {
  const std::string secret = "hunter2-s3cret";
  for (const std::string& conninfo :
       {fmt::format("host=/nonexistent/billing-no-server port=5432 user=billing password={} dbname=postgres "
                    "connect_timeout=2",
                    secret),
        fmt::format("postgresql://billing:{}@127.0.0.1:1/postgres?connect_timeout=2", secret),
        fmt::format("host=/nonexistent/billing-no-server user=billing password='{} with spaces' dbname=postgres",
                    secret)}) {
    CAPTURE(conninfo);
    bool storage_error = false;
    std::string message;
    try {
      (void)open_postgres(conninfo, with_schema(server().unique_schema()));
    } catch (const StorageError& e) {
      storage_error = true;
      message = e.what();
    } catch (const std::exception& e) {
      message = std::string(typeid(e).name()) + ": " + e.what();
    }
    CAPTURE(message);
    CHECK(storage_error);
    CHECK(message.find(secret) == std::string::npos);
    CHECK(message.find("hunter2") == std::string::npos);
  }
}

TEST_CASE("two schemas in one database are two separate stores") {
  const std::string first = server().unique_schema();
  const std::string second = server().unique_schema();
  Books one(open_postgres(server().conninfo(), with_schema(first)));
  Books two(open_postgres(server().conninfo(), with_schema(second)));
  for (const char* id : {"shared", "other"}) {
    REQUIRE(one.accounts().create({.id = AccountId(id), .currency = Currency("USD"), .name = id}).result ==
            AccountResult::ok);
  }
  REQUIRE(one.ledger()
              .transfer({.id = EntryId("e1"),
                         .debit = AccountId("shared"),
                         .credit = AccountId("other"),
                         .amount = Money::parse("5.00 USD")})
              .result == PostResult::ok);

  CHECK_FALSE(two.accounts().get(AccountId("shared")).has_value());
  CHECK_FALSE(two.ledger().entry(EntryId("e1")).has_value());
  // The same ids mean other things in the other schema.
  REQUIRE(two.accounts().create({.id = AccountId("shared"), .currency = Currency("EUR"), .name = "x"}).result ==
          AccountResult::ok);
  CHECK(one.accounts().get(AccountId("shared"))->currency == Currency("USD"));
  CHECK(two.accounts().get(AccountId("shared"))->currency == Currency("EUR"));
  CHECK(one.ledger().verify().entries_checked == 1);
  CHECK(two.ledger().verify().entries_checked == 0);
  CHECK(query(first, "SELECT count(*) FROM journal") == "1");
  CHECK(query(second, "SELECT count(*) FROM journal") == "0");
  CHECK(query(second, "SELECT currency FROM accounts") == "EUR");
}

TEST_CASE("a schema holding another program's tables is refused, and left as it was") {
  const std::string schema = server().unique_schema();
  (void)query("", fmt::format("CREATE SCHEMA {0}; CREATE TABLE {0}.customers (id integer PRIMARY KEY); "
                              "INSERT INTO {0}.customers VALUES (7)",
                              schema));
  const std::string result = refusal(server().conninfo(), with_schema(schema));
  CAPTURE(result);
  CHECK(result.starts_with("StorageError"));
  CHECK(result.find("another program") != std::string::npos);
  CHECK(query("", fmt::format("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                              "WHERE schemaname = '{}'",
                              schema)) == "customers");
  CHECK(query(schema, "SELECT id FROM customers") == "7");
}

TEST_CASE("a schema written by a newer version of the library is refused, and left as it was") {
  const std::string schema = server().unique_schema();
  { (void)open_postgres(server().conninfo(), with_schema(schema)); }
  const std::string versions =
      query(schema, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations");
  (void)query(schema, "INSERT INTO schema_migrations (version) VALUES (999)");
  const std::string result = refusal(server().conninfo(), with_schema(schema));
  CAPTURE(result);
  CHECK(result.starts_with("StorageError"));
  CHECK(result.find("999") != std::string::npos);
  CHECK(query(schema, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations") ==
        versions + ",999");
}

TEST_CASE("threads opening one fresh schema at once all succeed, and each migration runs once") {
  constexpr int k_openers = 6;
  constexpr int k_rounds = 3;
  const std::string reference = server().unique_schema();
  { (void)open_postgres(server().conninfo(), with_schema(reference)); }
  const std::string versions_sql = "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations";
  const std::string expected = query(reference, versions_sql);
  REQUIRE(expected.starts_with("1,"));

  for (int round = 0; round < k_rounds; ++round) {
    CAPTURE(round);
    const std::string schema = server().unique_schema();
    std::latch start(k_openers);
    std::vector<std::string> outcomes(k_openers);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < k_openers; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        outcomes[t] = refusal(server().conninfo(), with_schema(schema));
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& outcome : outcomes) CHECK(outcome == "opened");
    CHECK(query(schema, versions_sql) == expected);  // version is the key: a second run would have failed
    CHECK(query(schema, "SELECT count(*) FROM ledger_head") == "1");
  }
  MESSAGE(k_rounds, " rounds of ", k_openers, " openers at once; versions ", expected);
}

TEST_CASE("a store opened by a role that is not a superuser cannot change its own ledger rows, by privilege") {
  // The triggers guard against every role (the tamper probes above, as the superuser the server was made
  // with); an ordinary owner loses the privilege too, so its UPDATE fails before any trigger runs.
  const std::string role = "app_" + server().unique_schema();
  (void)query("", fmt::format("CREATE ROLE {0} LOGIN NOSUPERUSER; GRANT CREATE ON DATABASE postgres TO {0}", role));
  const std::string schema = server().unique_schema();
  {
    auto store = open_postgres(server().conninfo() + " user=" + role, with_schema(schema));
    Books books(std::move(store));
    REQUIRE(books.accounts().create({.id = AccountId("a"), .currency = Currency("USD"), .name = "a"}).result ==
            AccountResult::ok);
    REQUIRE(books.accounts()
                .create({.id = AccountId("b"), .currency = Currency("USD"), .name = "b", .normal_side = Side::credit})
                .result == AccountResult::ok);
    REQUIRE(books.ledger()
                .transfer({.debit = AccountId("a"), .credit = AccountId("b"), .amount = Money::parse("5.00 USD")})
                .result == PostResult::ok);
  }
  for (const char* privilege : {"UPDATE", "DELETE", "TRUNCATE"}) {
    for (const char* table : {"journal", "postings"}) {
      CAPTURE(privilege);
      CAPTURE(table);
      CHECK(query(schema, fmt::format("SELECT has_table_privilege('{}', '{}.{}', '{}')", role, schema, table,
                                      privilege)) == "f");
    }
  }
  CHECK(query(schema, fmt::format("SELECT has_table_privilege('{}', '{}.accounts', 'UPDATE')", role, schema)) ==
        "t");  // balances change
  std::string output;
  CHECK(sqlstate_of(schema, fmt::format("SET ROLE {}; UPDATE journal SET description = 'forged'", role), output) ==
        "42501");  // insufficient_privilege
  CHECK(query(schema, "SELECT count(*) FROM journal WHERE description = 'forged'") == "0");
}

TEST_CASE("Durability full and normal are synchronous_commit on and off on every connection") {
  // A pair, not a structured binding: clang 14 cannot capture a binding in CAPTURE's lambda.
  for (const auto& setting : {std::pair{Durability::full, "on"}, std::pair{Durability::normal, "off"}}) {
    const Durability durability = setting.first;
    const std::string expected = setting.second;
    CAPTURE(expected);
    const std::string schema = server().unique_schema();
    auto store =
        open_postgres(server().conninfo(), {.durability = durability, .schema = schema, .lock_timeout = 250ms});
    for (const Access access : {Access::read, Access::write}) {
      UnitOfWork work(*store, access);
      CHECK(detail::postgres_setting_for_testing(*work, "synchronous_commit") == expected);
      const std::string search_path = detail::postgres_setting_for_testing(*work, "search_path");
      CHECK((search_path == schema || search_path == fmt::format("\"{}\"", schema)));
      CHECK(detail::postgres_setting_for_testing(*work, "lock_timeout") == "250ms");
    }
  }
  // lock_timeout 0 means "fail at once": 1 ms to the server, for which 0 means "wait for ever".
  auto at_once = open_postgres(server().conninfo(), {.schema = server().unique_schema(), .lock_timeout = 0ms});
  UnitOfWork work(*at_once, Access::read);
  CHECK(detail::postgres_setting_for_testing(*work, "synchronous_commit") == "on");  // full is the default
  CHECK(detail::postgres_setting_for_testing(*work, "lock_timeout") == "1ms");

  auto memory = open_memory();
  UnitOfWork other(*memory, Access::read);
  CHECK_THROWS_AS((void)detail::postgres_setting_for_testing(*other, "synchronous_commit"), Misuse);
}

// ------------------------------------------------------------------------------------------ guards

namespace {

struct Probe {
  const char* table;
  std::string sql;
};

// Every kind of statement that would change or remove a stored ledger row, or forge one beside them.
std::vector<Probe> tamper_probes() {
  const std::string journal_columns =
      "id, kind, description, metadata, effective_at, recorded_at, pending_id, expires_at, reverses, previous_hash, "
      "hash";
  const std::string posting_columns =
      "account_id, side, amount_minor, currency, debits_posted, credits_posted, debits_pending, credits_pending";
  return {
      // journal (entries)
      {"journal", "UPDATE journal SET description = 'forged' WHERE sequence = 1"},
      {"journal", "UPDATE journal SET hash = previous_hash WHERE sequence = 2"},
      {"journal", "UPDATE journal SET id = 'forged' WHERE sequence = 3"},
      {"journal", "UPDATE journal SET sequence = sequence + 100"},
      {"journal", "UPDATE journal SET metadata = '{\"forged\":\"yes\"}'"},
      {"journal", "DELETE FROM journal WHERE sequence = 10"},
      {"journal", "DELETE FROM journal"},
      {"journal", "WITH gone AS (DELETE FROM journal WHERE sequence = 1 RETURNING sequence) SELECT count(*) FROM gone"},
      {"journal", "TRUNCATE journal"},
      {"journal", "TRUNCATE journal, postings CASCADE"},
      {"journal", "INSERT INTO journal (sequence, " + journal_columns + ") SELECT sequence, " + journal_columns +
                      " FROM journal WHERE sequence = 1 ON CONFLICT (sequence) DO UPDATE SET description = 'forged'"},
      {"journal", "INSERT INTO journal (sequence, " + journal_columns + ") SELECT sequence + 1000, " + journal_columns +
                      " FROM journal WHERE sequence = 2 ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.previous_hash"},
      {"journal", "INSERT INTO journal (sequence, " + journal_columns + ") SELECT sequence, " + journal_columns +
                      " FROM journal ON CONFLICT (sequence) DO UPDATE SET kind = EXCLUDED.kind"},
      {"journal",
       "MERGE INTO journal AS j USING (SELECT 1 AS s) AS v ON j.sequence = v.s "
       "WHEN MATCHED THEN UPDATE SET description = 'forged'"},
      {"journal", "MERGE INTO journal AS j USING (SELECT 10 AS s) AS v ON j.sequence = v.s WHEN MATCHED THEN DELETE"},
      {"journal", "INSERT INTO journal (sequence, " + journal_columns + ") SELECT sequence + 100, 'forged'" +
                      journal_columns.substr(2) + " FROM journal WHERE sequence = 1"},  // skips the sequence
      // postings
      {"postings", "UPDATE postings SET amount_minor = amount_minor + 1 WHERE sequence = 1"},
      {"postings", "UPDATE postings SET account_id = 'c' WHERE sequence = 1 AND leg = 1"},
      {"postings", "UPDATE postings SET debits_posted = 0"},
      {"postings", "DELETE FROM postings WHERE sequence = 1 AND leg = 1"},
      {"postings", "DELETE FROM postings"},
      {"postings", "TRUNCATE postings"},
      {"postings",
       "INSERT INTO postings SELECT * FROM postings WHERE sequence = 1 "
       "ON CONFLICT (account_id, sequence, leg) DO UPDATE SET amount_minor = 1"},
      {"postings",
       "INSERT INTO postings SELECT * FROM postings "
       "ON CONFLICT ON CONSTRAINT postings_account DO UPDATE SET side = 1 - postings.side"},
      {"postings", "MERGE INTO postings AS p USING (SELECT 1 AS s) AS v ON p.sequence = v.s WHEN MATCHED THEN DELETE"},
      {"postings", "INSERT INTO postings (sequence, leg, " + posting_columns + ") SELECT sequence, 2, " +
                       posting_columns +
                       " FROM postings WHERE sequence = 1 AND leg = 0"},  // a leg added to an old entry
      {"postings", "INSERT INTO postings (sequence, leg, " + posting_columns + ") SELECT sequence + 1000, 0, " +
                       posting_columns +
                       " FROM postings WHERE sequence = 1 AND leg = 0"},  // a leg of an entry that does not exist
      // the chain head's lock row
      {"ledger_head", "UPDATE ledger_head SET id = 1"},
      {"ledger_head", "DELETE FROM ledger_head"},
      {"ledger_head", "TRUNCATE ledger_head"},
      {"ledger_head", "INSERT INTO ledger_head VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 1"},
      // accounts keep their identity and are never removed
      {"accounts", "UPDATE accounts SET currency = 'EUR' WHERE id = 'a'"},
      {"accounts", "UPDATE accounts SET normal_side = 1 - normal_side WHERE id = 'a'"},
      {"accounts", "UPDATE accounts SET created_at = 1 WHERE id = 'a'"},
      {"accounts", "UPDATE accounts SET id = 'z' WHERE id = 'b'"},
      {"accounts", "DELETE FROM accounts WHERE id = 'b'"},
      {"accounts", "TRUNCATE accounts CASCADE"},
      {"accounts",
       "INSERT INTO accounts SELECT * FROM accounts WHERE id = 'a' "
       "ON CONFLICT (id) DO UPDATE SET currency = 'EUR'"},
  };
}

// A digest of every row of the guarded tables, in key order.
std::string ledger_digest(const std::string& schema) {
  return query(schema,
               "SELECT concat_ws(' ', "
               "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.sequence), '')) FROM journal AS t), "
               "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.sequence, t.leg), '')) FROM postings AS t), "
               "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM accounts AS t), "
               "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM ledger_head AS t), "
               "(SELECT count(*) FROM journal), (SELECT count(*) FROM postings))");
}

}  // namespace

TEST_CASE("hand-written statements cannot change or remove ledger rows") {
  constexpr int k_entries = 10;
  const std::string schema = server().unique_schema();
  auto store = std::shared_ptr<Store>(open_postgres(server().conninfo(), with_schema(schema)));
  Books books(store);
  REQUIRE(books.accounts().create({.id = AccountId("a"), .currency = Currency("USD"), .name = "a"}).result ==
          AccountResult::ok);
  for (const char* id : {"b", "c"}) {
    REQUIRE(books.accounts()
                .create({.id = AccountId(id), .currency = Currency("USD"), .name = id, .normal_side = Side::credit})
                .result == AccountResult::ok);
  }
  for (int n = 1; n <= k_entries; ++n) {
    REQUIRE(books.ledger()
                .transfer({.id = EntryId(fmt::format("e{}", n)),
                           .debit = AccountId("a"),
                           .credit = AccountId(n % 2 != 0 ? "b" : "c"),
                           .amount = Money::parse("1.25 USD")})
                .result == PostResult::ok);
  }
  const std::string before = ledger_digest(schema);
  REQUIRE(before.ends_with(fmt::format(" {} {}", k_entries, 2 * k_entries)));
  // Whether the test's role may switch the guards off, to show that each probe would change rows without them.
  const bool superuser = query("", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t";

  int blocked = 0;
  int tried = 0;
  int well_formed = 0;
  for (const Probe& probe : tamper_probes()) {
    CAPTURE(probe.sql);
    std::string output;
    const std::string state = sqlstate_of(schema, probe.sql, output);
    CAPTURE(output);
    ++tried;
    // A trigger's RAISE (P0001) or a constraint (class 23), not a typo in the probe (class 42), must stop it.
    const bool refused = state == "P0001" || state.starts_with("23");
    CHECK_MESSAGE(refused, probe.table, ": SQLSTATE '", state, "'");
    if (refused) ++blocked;
    if (superuser && state == "P0001") {
      std::string unguarded;
      const int status = server().psql(
          script(schema, "BEGIN; SET LOCAL session_replication_role = replica; " + probe.sql + "; ROLLBACK"),
          unguarded);
      CHECK_MESSAGE(status == 0, "with the triggers off the probe still fails, so it proves nothing: ", unguarded);
      if (status == 0) ++well_formed;
    }
  }
  MESSAGE(blocked << " of " << tried << " tamper probes blocked");
  if (superuser)
    MESSAGE(well_formed << " of them went through with the triggers off, inside a rolled-back transaction");
  CHECK(blocked == tried);

  CHECK(ledger_digest(schema) == before);
  const VerifyReport report = books.ledger().verify();
  INFO("verify: ", report.problem);
  CHECK(report.ok);
  CHECK(report.entries_checked == k_entries);
  for (int n = 1; n <= k_entries; ++n) CHECK(books.ledger().entry(EntryId(fmt::format("e{}", n))).has_value());
  CHECK(books.accounts().get(AccountId("a"))->currency == Currency("USD"));
  CHECK(books.accounts().get(AccountId("b")).has_value());
  // The store still writes after them: the guards refused the probes, not the ledger.
  CHECK(books.ledger()
            .transfer({.id = EntryId("after"),
                       .debit = AccountId("a"),
                       .credit = AccountId("b"),
                       .amount = Money::parse("1.00 USD")})
            .result == PostResult::ok);
}
