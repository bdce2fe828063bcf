// What only the SQLite adapter has: the file format (schema version, application id, pragmas), the guards
// against hand-written statements, metadata as JSON, locking between connections and processes.
// Behaviour common to every adapter lives in tests/contract/.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../../src/storage/sqlite/migrations.hpp"
#include "../../src/storage/sqlite/orders.hpp"
#include "../../src/storage/rows.hpp"
#include "../../src/storage/sqlite/testing.hpp"
#include "billing/books.hpp"
#include "billing/error.hpp"
#include "billing/storage/account_repository.hpp"
#include "billing/storage/idempotency_repository.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "billing/storage/sqlite.hpp"

using namespace billing;
using namespace std::literals;

namespace {

// A directory of its own per test, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("billing-sqlite-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A second, plain connection to the file, as another program (or a person with the sqlite3 shell) has.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5'000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  /// The result code of running `sql`.
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  [[nodiscard]] std::string error() const { return sqlite3_errmsg(db_); }

  /// The first column of the first row of `sql`, as text ("" when no row).
  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return out;
  }
  std::int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

const Timestamp k_t0 = Timestamp::parse("2026-01-01T00:00:00Z");

Account make_account(const std::string& id, const char* currency = "USD") {
  return {.id = AccountId(id),
          .currency = Currency(currency),
          .name = "Account " + id,
          .normal_side = Side::debit,
          .status = AccountStatus::active,
          .debits_must_not_exceed_credits = false,
          .credits_must_not_exceed_debits = true,
          .limit = Money::from_minor(10'000, Currency(currency)),
          .metadata = {{"plan", "pro"}},
          .created_at = k_t0,
          .balances = {}};
}

// A hand-built entry (the ledger's rules are not involved here): `amount_minor` from `from` to `to`.
Entry make_entry(std::uint64_t sequence, const std::string& id, const std::string& from, const std::string& to,
                 std::int64_t amount_minor = 125, Timestamp at = k_t0) {
  const Currency usd("USD");
  Entry entry{.id = EntryId(id), .sequence = sequence};
  entry.postings = {{AccountId(from), Side::debit, Money::from_minor(amount_minor, usd)},
                    {AccountId(to), Side::credit, Money::from_minor(amount_minor, usd)}};
  entry.description = "entry " + id;
  entry.metadata = {{"source", "test"}};
  entry.effective_at = at;
  entry.recorded_at = at;
  entry.previous_hash.fill(static_cast<std::uint8_t>(sequence - 1));
  entry.hash.fill(static_cast<std::uint8_t>(sequence));
  entry.balances_after = {{amount_minor * static_cast<std::int64_t>(sequence), 0, 0, 0},
                          {0, amount_minor * static_cast<std::int64_t>(sequence), 0, 0}};
  return entry;
}

// A store with accounts a and b and `entries` entries from a to b, committed.
std::unique_ptr<Store> seeded_store(const std::string& path, std::uint64_t entries = 2) {
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::write);
  REQUIRE(work->accounts().insert(make_account("a")));
  REQUIRE(work->accounts().insert(make_account("b")));
  for (std::uint64_t sequence = 1; sequence <= entries; ++sequence) {
    work->ledger().append(make_entry(sequence, "e" + std::to_string(sequence), "a", "b"));
  }
  work.commit();
  return store;
}

std::string pragma(Store& store, std::string_view name) {
  auto transaction = store.begin(Access::read);
  return detail::sqlite_pragma_for_testing(*transaction, name);
}

}  // namespace

// ------------------------------------------------------------------------------------------ the file

TEST_CASE("a new file gets the current schema version, the billing application id and WAL") {
  TempDir dir;
  const std::string path = dir.file("new.db");
  auto store = open_sqlite(path);
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == detail::sqlite::k_schema_version);
  CHECK(raw.integer("PRAGMA application_id") == detail::sqlite::k_application_id);
  CHECK(raw.text("PRAGMA journal_mode") == "wal");  // kept in the file, so any connection reports it
  CHECK(pragma(*store, "journal_mode") == "wal");
  CHECK(pragma(*store, "foreign_keys") == "1");  // per connection: only the store's own can tell
}

TEST_CASE("synchronous follows the durability option on the store's connections") {
  TempDir dir;
  auto full = open_sqlite(dir.file("full.db"), {.durability = Durability::full});
  auto normal = open_sqlite(dir.file("normal.db"), {.durability = Durability::normal});
  CHECK(pragma(*full, "synchronous") == "2");
  CHECK(pragma(*normal, "synchronous") == "1");
  // A second connection, opened while the first is busy, is set up the same way.
  auto held = normal->begin(Access::read);
  CHECK(pragma(*normal, "synchronous") == "1");
  CHECK(pragma(*normal, "foreign_keys") == "1");
}

TEST_CASE("reopening a current file keeps its data and version") {
  TempDir dir;
  const std::string path = dir.file("reopen.db");
  seeded_store(path).reset();
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  CHECK(work->ledger().head().sequence == 2);
  CHECK(work->accounts().find(AccountId("a")) == make_account("a"));
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == detail::sqlite::k_schema_version);
}

// A file written by the last release of schema version 2 (tests/unit/data/ledger_v2.sql.inc).
constexpr const char* k_ledger_v2 =
#include "data/ledger_v2.sql.inc"
    ;

TEST_CASE("a file written by schema version 2 is migrated to the current version and verifies") {
  TempDir dir;
  const std::string path = dir.file("v2.db");
  {
    RawDb raw(path);
    REQUIRE(raw.exec(k_ledger_v2) == SQLITE_OK);
    REQUIRE(raw.integer("PRAGMA user_version") == 2);
  }
  Books books(open_sqlite(path));
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == detail::sqlite::k_schema_version);
  CHECK(raw.text("SELECT name FROM sqlite_schema WHERE name IN ('entries', 'postings')").empty());

  const VerifyReport report = books.ledger().verify();
  CHECK_MESSAGE(report.ok, report.problem);
  CHECK(report.entries_checked == 5);
  CHECK(report.postings_checked == 10);
  CHECK(books.ledger().balance(AccountId("liabilities:wallet"))->totals == Balances{2670, 10420, 0, 0});
  // Entry 3 captured 22.50 of the 30.00 hold; the coffee (4.20) came after it.
  CHECK(books.ledger().balance_at_sequence(AccountId("income:sales"), 3)->totals == Balances{0, 2250, 0, 0});
  CHECK(books.ledger().balance_at_sequence(AccountId("income:sales"), 2)->totals == Balances{0, 0, 0, 3000});
  const auto hold = books.ledger().entry(EntryId("ride"));
  REQUIRE(hold.has_value());
  CHECK(hold->kind == EntryKind::pending);
  CHECK(hold->postings.size() == 2);
  CHECK(books.ledger().post_pending(EntryId("ride")).result == PostResult::pending_already_posted);
  CHECK(books.ledger().reverse(EntryId("coffee")).result == PostResult::already_reversed);
  const auto wallet = books.ledger().entries(AccountId("liabilities:wallet"), {.limit = 2});
  CHECK(wallet.items.size() == 2);
  CHECK(wallet.next_cursor.has_value());

  // The migrated file keeps growing as a new one would, and its guards hold.
  CHECK(books.ledger()
            .transfer({.debit = AccountId("liabilities:wallet"),
                       .credit = AccountId("income:sales"),
                       .amount = Money::parse("1.00 USD")})
            .result == PostResult::ok);
  CHECK(books.ledger().verify().ok);
  CHECK((raw.exec("UPDATE journal SET description = 'forged' WHERE sequence = 1") & 0xff) == SQLITE_CONSTRAINT);
}

TEST_CASE("a version 1 file is migrated to the current version, keeping its rows") {
  TempDir dir;
  const std::string path = dir.file("v1.db");
  {
    // Version 2 only added the idempotency table: without it, this is what version 1 wrote.
    RawDb raw(path);
    REQUIRE(raw.exec(k_ledger_v2) == SQLITE_OK);
    REQUIRE(raw.exec("DROP TABLE idempotency_keys; PRAGMA user_version = 1") == SQLITE_OK);
  }
  auto store = open_sqlite(path);
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == detail::sqlite::k_schema_version);
  UnitOfWork work(*store, Access::write);
  CHECK(work->ledger().head().sequence == 5);
  CHECK_FALSE(work->idempotency().find("scope", "key").has_value());
}

TEST_CASE("a file that is not SQLite is a StorageError") {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream(path) << std::string(4096, 'x') << "this is not a database\n";
  CHECK_THROWS_AS((void)open_sqlite(path), StorageError);
}

TEST_CASE("a file from a newer version of the library is a StorageError, and stays as it was") {
  TempDir dir;
  const std::string path = dir.file("future.db");
  seeded_store(path).reset();
  {
    RawDb raw(path);
    REQUIRE(raw.exec(fmt::format("PRAGMA user_version = {}", detail::sqlite::k_schema_version + 1)) == SQLITE_OK);
  }
  CHECK_THROWS_AS((void)open_sqlite(path), StorageError);
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == detail::sqlite::k_schema_version + 1);
}

// What a refused file must still be: its bytes, its modification time, and the files beside it.
struct FileState {
  std::string bytes;
  std::filesystem::file_time_type modified;
  std::vector<std::string> directory;  // the names in its directory, sorted

  static FileState of(const std::string& path) {
    FileState state;
    std::ifstream in(path, std::ios::binary);
    state.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    state.modified = std::filesystem::last_write_time(path);
    for (const auto& item : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
      state.directory.push_back(item.path().filename().string());
    }
    std::sort(state.directory.begin(), state.directory.end());
    return state;
  }
};

TEST_CASE("another program's SQLite file is refused and left untouched") {
  TempDir dir;
  const std::string path = dir.file("other.db");
  // Each as another program might leave its file: rollback journal or WAL, tables or only an id.
  const std::vector<std::pair<std::string, const char*>> files = {
      {"rollback journal, a table", "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');"},
      {"rollback journal, its own application id and no table", "PRAGMA application_id = 42;"},
      {"rollback journal, a user_version and no table", "PRAGMA user_version = 7;"},
      {"WAL, a table", "PRAGMA journal_mode = WAL; CREATE TABLE notes (body TEXT);"},
      {"truncate journal, a table and an index",
       "PRAGMA journal_mode = TRUNCATE; CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX tb ON t (b);"},
  };
  for (const auto& [file, script] : files) {
    const std::string& name = file;  // CAPTURE cannot take a structured binding on clang 14
    CAPTURE(name);
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    std::string journal_mode;
    {
      RawDb raw(path);
      REQUIRE(raw.exec(script) == SQLITE_OK);
      journal_mode = raw.text("PRAGMA journal_mode");
    }
    const FileState before = FileState::of(path);
    // The other program closed cleanly: nothing beside the file but, in TRUNCATE mode, its empty journal.
    REQUIRE(before.directory.front() == "other.db");
    REQUIRE(before.directory.size() == (journal_mode == "truncate" ? 2U : 1U));
    std::this_thread::sleep_for(10ms);  // so that a write would move the modification time
    CHECK_THROWS_AS((void)open_sqlite(path), StorageError);
    CHECK_THROWS_AS((void)open_sqlite(path, {.durability = Durability::normal}), StorageError);
    const FileState after = FileState::of(path);
    CHECK(after.directory == before.directory);  // no -wal, -shm or -journal left
    CHECK(after.bytes == before.bytes);
    CHECK(after.modified == before.modified);
    RawDb raw(path);
    // Only WAL is kept in the file; a new connection reports any rollback journal as "delete".
    CHECK(raw.text("PRAGMA journal_mode") == (journal_mode == "wal" ? "wal" : "delete"));
  }
}

TEST_CASE("an empty file becomes a billing store") {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  std::ofstream(path).close();
  REQUIRE(std::filesystem::file_size(path) == 0);
  Books books(open_sqlite(path));
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA application_id") == detail::sqlite::k_application_id);
  CHECK(raw.text("PRAGMA journal_mode") == "wal");
  CHECK(books.ledger().verify().ok);
}

TEST_CASE("a busy_timeout outside 0 to k_max_busy_timeout, or an unknown durability, is an InvalidArgument") {
  TempDir dir;
  const std::string path = dir.file("options.db");
  const auto field_of = [&](const SqliteOptions& options) -> std::string {
    try {
      (void)open_sqlite(path, options);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "(accepted)";
  };
  CHECK(field_of({.busy_timeout = -1ms}) == "busy_timeout");
  CHECK(field_of({.busy_timeout = std::chrono::milliseconds::min()}) == "busy_timeout");
  CHECK(field_of({.busy_timeout = SqliteOptions::k_max_busy_timeout + 1ms}) == "busy_timeout");
  CHECK(field_of({.busy_timeout = std::chrono::milliseconds::max()}) == "busy_timeout");
  CHECK(field_of({.durability = static_cast<Durability>(7)}) == "durability");
  CHECK_FALSE(std::filesystem::exists(path));  // refused before anything was opened
  CHECK(field_of({.busy_timeout = 0ms}) == "(accepted)");
  CHECK(field_of({.busy_timeout = SqliteOptions::k_max_busy_timeout}) == "(accepted)");
  static_assert(SqliteOptions::k_max_busy_timeout == std::chrono::hours(1));
}

TEST_CASE("a path holding a NUL byte is an InvalidArgument naming the path, and opens nothing") {
  TempDir dir;
  const std::string target = dir.file("books.db");
  for (const std::string& path : {target + std::string("\0.ignored", 9), std::string(1, '\0'), target + '\0'}) {
    CAPTURE(path.size());
    try {
      (void)open_sqlite(path);
      FAIL("accepted");
    } catch (const InvalidArgument& e) {
      CHECK(e.field() == "path");
    }
  }
  CHECK(std::filesystem::is_empty(std::filesystem::path(target).parent_path()));  // not books.db, nor its -wal
}

TEST_CASE("a path that cannot be opened is a StorageError") {
  TempDir dir;
  CHECK_THROWS_AS((void)open_sqlite(dir.file("missing-directory/store.db")), StorageError);
}

// ------------------------------------------------------------------------------------------ guards

TEST_CASE("hand-written statements cannot change or remove ledger rows, with recursive_triggers off or on") {
  TempDir dir;
  const std::string path = dir.file("tamper.db");
  // One more entry than a merge takes: the postings of entries 1-4096 are in account_postings, and
  // entry 4097 is the journal's unmerged tail.
  auto store = seeded_store(path, 4097);
  const std::string entry_columns =
      "INSERT %s INTO journal (sequence, id, kind, description, metadata, effective_at, recorded_at, "
      "previous_hash, hash, postings) VALUES ";
  const auto entry_insert = [&](const std::string& verb, const std::string& values) {
    std::string sql = entry_columns;
    sql.replace(sql.find("%s"), 2, verb);
    return sql + values;
  };
  const std::string forged = "'forged', '{}', 0, 0, zeroblob(32), zeroblob(32), x'010000')";
  const std::string posting = "INSERT %s INTO account_postings VALUES ";
  const auto posting_insert = [&](const std::string& verb, const std::string& values) {
    std::string sql = posting;
    sql.replace(sql.find("%s"), 2, verb);
    return sql + values;
  };
  const std::vector<std::string> probes = {
      // journal (entries)
      entry_insert("OR REPLACE", "(1, 'e1', 0, " + forged),
      entry_insert("OR REPLACE", "(2, 'fresh-id', 0, " + forged),  // same sequence, new id
      entry_insert("OR REPLACE", "(4098, 'e1', 0, " + forged),     // same id, next sequence
      entry_insert("", "(1, 'e1', 0, " + forged + " ON CONFLICT(sequence) DO UPDATE SET description = 'forged'"),
      entry_insert("", "(4098, 'e2', 0, " + forged + " ON CONFLICT(id) DO UPDATE SET description = 'forged'"),
      entry_insert("", "(4100, 'e4100', 0, " + forged),  // skips the sequence
      "UPDATE journal SET description = 'forged' WHERE sequence = 1",
      "UPDATE journal SET postings = x'010000' WHERE sequence = 2",
      "UPDATE OR REPLACE journal SET id = 'e2' WHERE sequence = 1",
      "DELETE FROM journal WHERE sequence = 2",
      "DELETE FROM journal",
      // account_postings (merged postings, by account)
      posting_insert("OR REPLACE", "('a', 1, 0, 0, 999, 0, 0, 0, 0)"),
      posting_insert("", "('b', 4000, 3, 1, 999, 0, 0, 0, 0)"),  // a leg added to a merged entry
      posting_insert("", "('b', 4098, 0, 1, 999, 0, 0, 0, 0)"),  // an entry that does not exist
      "REPLACE INTO account_postings VALUES ('a', 2, 0, 0, 999, 0, 0, 0, 0)",
      posting_insert("",
                     "('a', 1, 0, 0, 1, 0, 0, 0, 0) ON CONFLICT(account_id, sequence, leg) DO UPDATE SET "
                     "amount_minor = 1"),
      posting_insert("", "('a', 1, 2, 0, 1, 0, 0, 0, 0)"),  // a leg added to an old entry
      "UPDATE account_postings SET amount_minor = 1 WHERE sequence = 1",
      "DELETE FROM account_postings WHERE sequence = 1 AND leg = 1",
      // ledger_state (how far postings are merged) only moves forward, up to the head
      "UPDATE ledger_state SET merged_through = 0",
      "UPDATE ledger_state SET merged_through = 5000",
      "UPDATE ledger_state SET id = 2",
      "DELETE FROM ledger_state",
      "INSERT OR REPLACE INTO ledger_state VALUES (1, 4097)",
      "INSERT INTO ledger_state VALUES (2, 0)",
      // accounts keep their identity and are never removed or replaced
      "UPDATE accounts SET currency = 'EUR' WHERE id = 'a'",
      "UPDATE accounts SET normal_side = 1 WHERE id = 'a'",
      "UPDATE accounts SET created_at = 1 WHERE id = 'a'",
      "DELETE FROM accounts WHERE id = 'b'",
      "INSERT OR REPLACE INTO accounts VALUES ('a', 'EUR', 2, 'x', 0, 1, 0, NULL, '{}', 0, 0, 0, 0, 0)",
      "INSERT INTO accounts VALUES ('a', 'EUR', 2, 'x', 0, 1, 0, NULL, '{}', 0, 0, 0, 0, 0) "
      "ON CONFLICT(id) DO UPDATE SET currency = 'EUR'",
  };
  int blocked = 0;
  int tried = 0;
  for (const char* recursive : {"OFF", "ON"}) {
    RawDb raw(path);
    REQUIRE(raw.exec(std::string("PRAGMA recursive_triggers = ") + recursive) == SQLITE_OK);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    for (const std::string& probe : probes) {
      CAPTURE(recursive);
      CAPTURE(probe);
      const int rc = raw.exec(probe);
      ++tried;
      // A constraint (a trigger's RAISE, a CHECK or a key), not a typo in the probe, must stop it.
      CHECK_MESSAGE((rc & 0xff) == SQLITE_CONSTRAINT, raw.error());
      if ((rc & 0xff) == SQLITE_CONSTRAINT) ++blocked;
    }
  }
  MESSAGE(blocked << " of " << tried << " tamper probes blocked");
  CHECK(blocked == tried);

  // The probes are well-formed: the same shapes, used as the ledger uses them, go in.
  RawDb raw(path);
  CHECK(raw.exec(entry_insert("", "(4098, 'e4098', 0, " + forged)) == SQLITE_OK);
  CHECK(raw.exec(posting_insert("", "('a', 4098, 0, 0, 5, 0, 0, 0, 0)")) == SQLITE_OK);  // as a merge does
  CHECK(raw.exec("UPDATE ledger_state SET merged_through = 4098") == SQLITE_OK);
  CHECK(raw.exec("UPDATE accounts SET status = 2, debits_posted = 7 WHERE id = 'a'") == SQLITE_OK);

  UnitOfWork work(*store, Access::read);
  CHECK(work->ledger().find(EntryId("e1")) == make_entry(1, "e1", "a", "b"));
  CHECK(work->ledger().find(EntryId("e2")) == make_entry(2, "e2", "a", "b"));
  CHECK(work->ledger().head().sequence == 4098);
  CHECK(work->accounts().find(AccountId("a"))->currency == Currency("USD"));
}

TEST_CASE("postings read the same before and after they move to the account index") {
  TempDir dir;
  auto store = open_sqlite(dir.file("merge.db"), {.durability = Durability::normal});
  constexpr std::uint64_t k_entries = 9000;  // two merges (after 4096 and 8192 entries) and a recent tail
  {
    UnitOfWork work(*store, Access::write);
    for (const char* id : {"a", "b", "c"}) REQUIRE(work->accounts().insert(make_account(id)));
    for (std::uint64_t sequence = 1; sequence <= k_entries; ++sequence) {
      // a -> b on odd sequences, a -> c on even ones; balances_after as make_entry counts them for a.
      Entry entry = make_entry(sequence, "e" + std::to_string(sequence), "a", sequence % 2 ? "b" : "c");
      entry.balances_after[1] = {0, 125 * static_cast<std::int64_t>((sequence + 1) / 2), 0, 0};
      if (sequence % 2 == 0) entry.balances_after[1].credits_posted = 125 * static_cast<std::int64_t>(sequence / 2);
      work->ledger().append(std::move(entry));
    }
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  for (const std::uint64_t at : {1ULL, 2ULL, 4095ULL, 4096ULL, 4097ULL, 8192ULL, 8193ULL, 8999ULL, 9000ULL}) {
    CAPTURE(at);
    CHECK(work->ledger().balances_at(AccountId("a"), at) == Balances{125 * static_cast<std::int64_t>(at), 0, 0, 0});
    const std::uint64_t last_b = at % 2 ? at : at - 1;  // b's last posting at or before `at`
    CHECK(work->ledger().balances_at(AccountId("b"), at).credits_posted ==
          125 * static_cast<std::int64_t>((last_b + 1) / 2));
  }
  // Paging through c's entries crosses both merges and the recent tail, each entry once, in order.
  std::uint64_t after = 0;
  std::uint64_t seen = 0;
  for (;;) {
    const auto page = work->ledger().for_account(AccountId("c"), after, std::nullopt, std::nullopt, 700);
    for (const Entry& entry : page) {
      CHECK(entry.sequence == 2 * (seen + 1));
      ++seen;
    }
    if (page.size() < 700) break;
    after = page.back().sequence;
  }
  CHECK(seen == k_entries / 2);
}

TEST_CASE("an UPDATE of an account's currency is rejected") {
  TempDir dir;
  const std::string path = dir.file("currency.db");
  auto store = seeded_store(path, 0);
  RawDb raw(path);
  const int rc = raw.exec("UPDATE accounts SET currency = 'EUR' WHERE id = 'a'");
  CHECK((rc & 0xff) == SQLITE_CONSTRAINT);
  CHECK(raw.error().find("never change") != std::string::npos);
  CHECK(raw.text("SELECT currency FROM accounts WHERE id = 'a'") == "USD");
}

TEST_CASE("the schema's checks repeat the invariants of the value types") {
  TempDir dir;
  const std::string path = dir.file("checks.db");
  auto store = seeded_store(path, 1);
  RawDb raw(path);
  REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
  const std::string entry =
      "INSERT INTO journal (sequence, id, kind, description, metadata, effective_at, "
      "recorded_at, pending_id, expires_at, reverses, previous_hash, hash, postings) VALUES ";
  const std::string ok_tail = "zeroblob(32), zeroblob(32), x'010000')";
  for (const std::string& bad : std::vector<std::string>{
           entry + "(2, 'x', 2, '', '{}', 0, 0, NULL, NULL, NULL, " + ok_tail,    // no pending_id
           entry + "(2, 'x', 0, '', '{}', 0, 0, 'e1', NULL, NULL, " + ok_tail,    // pending_id on posted
           entry + "(2, 'x', 0, '', '{}', 0, 0, NULL, 5, NULL, " + ok_tail,       // expiry on posted
           entry + "(2, 'x', 4, '', '{}', 0, 0, NULL, NULL, NULL, " + ok_tail,    // reversal of nothing
           entry + "(2, 'x', 4, '', '{}', 0, 0, NULL, NULL, 'nope', " + ok_tail,  // unknown entry
           entry + "(2, 'x', 0, '', '{}', 0, 0, NULL, NULL, NULL, zeroblob(31), zeroblob(32), x'010000')",  // hash
           entry + "(2, 'x', 9, '', '{}', 0, 0, NULL, NULL, NULL, " + ok_tail,  // unknown kind
           entry + "(2, 'x', 0, '', 'not json', 0, 0, NULL, NULL, NULL, " + ok_tail,
           entry + "(2, 'x', 0, '', '{}', '2026-01-01', 0, NULL, NULL, NULL, " + ok_tail,                   // STRICT
           entry + "(2, 'x', 0, '', '{}', 0, 0, NULL, NULL, NULL, zeroblob(32), zeroblob(32), x'020000')",  // format
           entry + "(2, 'x', 0, '', '{}', 0, 0, NULL, NULL, NULL, zeroblob(32), zeroblob(32), 'text')",     // STRICT
           "INSERT INTO account_postings VALUES ('a', 1, 2, 0, -5, 0, 0, 0, 0)",     // negative amount
           "INSERT INTO account_postings VALUES ('a', 1, 2, 2, 5, 0, 0, 0, 0)",      // unknown side
           "INSERT INTO account_postings VALUES ('a', 1, 2, 0, 5, -1, 0, 0, 0)",     // negative total
           "INSERT INTO account_postings VALUES ('ghost', 1, 2, 0, 5, 0, 0, 0, 0)",  // no such account
           "UPDATE accounts SET debits_posted = -1 WHERE id = 'a'",
           "UPDATE accounts SET status = 4 WHERE id = 'a'",
       }) {
    CAPTURE(bad);
    const int rc = raw.exec(bad);
    CHECK_MESSAGE((rc & 0xff) == SQLITE_CONSTRAINT, raw.error());
  }
}

// ------------------------------------------------------------------------------------------ mapping

TEST_CASE("metadata is stored as JSON that SQLite can query, and reads back byte for byte") {
  TempDir dir;
  const std::string path = dir.file("metadata.db");
  auto store = open_sqlite(path);
  Account account = make_account("meta");
  account.metadata = {{"quote", "say \"hi\" \\ bye"},
                      {"control", std::string("tab\there, nul\0 and \x1f"sv)},
                      {"utf8", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
                      {"empty", ""}};
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->accounts().insert(account));
    work.commit();
  }
  RawDb raw(path);
  CHECK(raw.integer("SELECT json_valid(metadata) FROM accounts WHERE id = 'meta'") == 1);
  CHECK(raw.text("SELECT json_extract(metadata, '$.quote') FROM accounts WHERE id = 'meta'") ==
        account.metadata["quote"]);
  CHECK(raw.text("SELECT json_extract(metadata, '$.utf8') FROM accounts WHERE id = 'meta'") ==
        account.metadata["utf8"]);
  CHECK(raw.text("SELECT metadata FROM accounts WHERE id = 'meta'").find("\\u0000") != std::string::npos);
  UnitOfWork work(*store, Access::read);
  CHECK(work->accounts().find(AccountId("meta"))->metadata == account.metadata);
}

TEST_CASE("metadata written by other tools decodes every JSON escape, surrogate pairs included") {
  TempDir dir;
  const std::string path = dir.file("escapes.db");
  auto store = open_sqlite(path);
  {
    RawDb raw(path);
    REQUIRE(raw.exec("INSERT INTO accounts VALUES ('raw', 'USD', 2, 'raw', 0, 1, 0, NULL, "
                     "json_object('built', 'by sqlite', 'n', char(10)), 0, 0, 0, 0, 0)") == SQLITE_OK);
    REQUIRE(raw.exec(R"(INSERT INTO accounts VALUES ('esc', 'USD', 2, 'esc', 0, 1, 0, NULL, )"
                     R"('{ "emoji" : "\ud83d\ude00", "e": "\u00E9", "ctl": "\u0001", "short": "\/\b\f\n\r\t\"\\" } ', )"
                     R"(0, 0, 0, 0, 0))") == SQLITE_OK);
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->accounts().find(AccountId("raw"))->metadata == Metadata{{"built", "by sqlite"}, {"n", "\n"}});
  CHECK(work->accounts().find(AccountId("esc"))->metadata ==
        Metadata{{"emoji", "\xf0\x9f\x98\x80"}, {"e", "\xc3\xa9"}, {"ctl", "\x01"}, {"short", "/\b\f\n\r\t\"\\"}});
}

TEST_CASE("metadata that is not a JSON object of strings is a StorageError") {
  for (const char* bad : {"", "[]", R"({"a":1})", R"({"a":"b",})", R"({"a":"b"} x)", R"({"a":"b","a":"c"})",
                          R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})", R"({"a":"\x"})",
                          R"({"a":"\u12"})", "{\"a\":\"\x01\"}", R"({"a":"open)", R"({"a" "b"})"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS((void)detail::decode_metadata(bad, "a test"), StorageError);
  }
  std::string encoded;
  detail::encode_metadata({}, encoded);
  CHECK(encoded == "{}");
  detail::encode_metadata({{"a\"", "\x01\\"}}, encoded);
  CHECK(encoded == R"({"a\"":"\u0001\\"})");
}

TEST_CASE("an account in a currency this process does not know is a StorageError naming the code") {
  TempDir dir;
  const std::string path = dir.file("unit.db");
  auto store = open_sqlite(path);
  {
    RawDb raw(path);
    REQUIRE(raw.exec("INSERT INTO accounts VALUES ('gems', 'GEMS_NOT_KNOWN', 0, 'g', 0, 1, 0, NULL, '{}', "
                     "0, 0, 0, 0, 0)") == SQLITE_OK);
    REQUIRE(raw.exec("INSERT INTO accounts VALUES ('odd', 'USD', 3, 'o', 0, 1, 0, NULL, '{}', 0, 0, 0, 0, 0)") ==
            SQLITE_OK);
  }
  UnitOfWork work(*store, Access::read);
  try {
    (void)work->accounts().find(AccountId("gems"));
    FAIL("loaded an account in an unknown currency");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("GEMS_NOT_KNOWN") != std::string::npos);
  }
  // Known, but with other places than the file says: its amounts would be misread.
  CHECK_THROWS_AS((void)work->accounts().find(AccountId("odd")), StorageError);
}

// Amounts and totals that the CHECKs keep in range can still be out of range in a damaged file, or in a
// postings blob, which no CHECK reads. They must be a StorageError, not an Overflow from Money (-2^63) or
// a total that the ledger would add to. Found by the sqlite_rows fuzz harness (tests/fuzz).
TEST_CASE("an amount or total out of range in the file is a StorageError, not an Overflow") {
  TempDir dir;
  const std::string path = dir.file("range.db");
  auto store = seeded_store(path, 2);
  const auto blob = [](std::int64_t amount, std::int64_t total) {
    const auto le = [](std::int64_t value) {
      std::string out;
      for (int i = 0; i < 8; ++i) out += fmt::format("{:02x}", (static_cast<std::uint64_t>(value) >> (8 * i)) & 0xffU);
      return out;
    };
    std::string hex = "010200";                 // format 1, two legs
    for (const char* account : {"61", "62"}) {  // accounts "a" and "b"
      hex += "00" + le(amount) + le(total) + le(0) + le(0) + le(0) + "03555344" + "01" + account;
    }
    return "x'" + hex + "'";
  };
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"an amount of -2^63", blob(std::numeric_limits<std::int64_t>::min(), 0)},
      {"an amount of 0", blob(0, 0)},
      {"a negative total", blob(125, -1)},
  };
  std::uint64_t sequence = 2;
  for (const auto& [what, postings] : forged) {
    const std::string& name = what;  // CAPTURE cannot take a structured binding on clang 14
    CAPTURE(name);
    ++sequence;
    {
      RawDb raw(path);
      REQUIRE_MESSAGE(raw.exec(fmt::format("INSERT INTO journal (sequence, id, kind, description, metadata, "
                                           "effective_at, recorded_at, previous_hash, hash, postings) VALUES "
                                           "({0}, 'forged-{0}', 0, '', '{{}}', 0, 0, zeroblob(32), zeroblob(32), {1})",
                                           sequence, postings)) == SQLITE_OK,
                      raw.error());
    }
    UnitOfWork work(*store, Access::read);
    CHECK_THROWS_AS((void)work->ledger().find(EntryId(fmt::format("forged-{}", sequence))), StorageError);
  }
  {
    // A damaged page can hold what the CHECKs refuse; ignore_check_constraints writes one on purpose.
    RawDb raw(path);
    REQUIRE(raw.exec("PRAGMA ignore_check_constraints = ON") == SQLITE_OK);
    REQUIRE(raw.exec("UPDATE accounts SET debits_posted = -9223372036854775808 WHERE id = 'a'") == SQLITE_OK);
    REQUIRE(raw.exec("UPDATE accounts SET limit_minor = -9223372036854775808 WHERE id = 'b'") == SQLITE_OK);
  }
  UnitOfWork work(*store, Access::read);
  CHECK_THROWS_AS((void)work->accounts().find(AccountId("a")), StorageError);
  CHECK_THROWS_AS((void)work->accounts().find(AccountId("b")), StorageError);
}

// A time no Timestamp text form covers could be neither printed nor exported (an InvalidArgument from
// export_journal, found by the sqlite_open fuzz harness): reading it is a StorageError.
TEST_CASE("a stored time outside years 0001 to 9999 is a StorageError") {
  TempDir dir;
  const std::string path = dir.file("time.db");
  auto store = seeded_store(path, 1);
  {
    RawDb raw(path);
    REQUIRE(raw.exec("INSERT INTO journal (sequence, id, kind, description, metadata, effective_at, recorded_at, "
                     "previous_hash, hash, postings) SELECT 2, 'late', 0, '', '{}', 253402300800000000, 0, "
                     "zeroblob(32), zeroblob(32), postings FROM journal WHERE sequence = 1") == SQLITE_OK);
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->ledger().find(EntryId("e1")).has_value());
  CHECK_THROWS_AS((void)work->ledger().find(EntryId("late")), StorageError);
}

TEST_CASE("a registered unit round-trips, and balances_at takes an entry's later leg on one account") {
  TempDir dir;
  auto store = open_sqlite(dir.file("legs.db"));
  const Currency credits = Currency::register_unit("SQLT_CREDITS", 3, "Test credits");
  UnitOfWork work(*store, Access::write);
  REQUIRE(work->accounts().insert(make_account("x", "SQLT_CREDITS")));
  REQUIRE(work->accounts().insert(make_account("y", "SQLT_CREDITS")));
  Entry entry{.id = EntryId("three-legs"), .sequence = 1};
  entry.postings = {{AccountId("x"), Side::debit, Money::from_minor(5, credits)},
                    {AccountId("y"), Side::credit, Money::from_minor(7, credits)},
                    {AccountId("x"), Side::debit, Money::from_minor(2, credits)}};
  entry.balances_after = {{5, 0, 0, 0}, {0, 7, 0, 0}, {7, 0, 0, 0}};
  work->ledger().append(entry);
  CHECK(work->ledger().find(EntryId("three-legs")) == entry);
  CHECK(work->ledger().balances_at(AccountId("x"), 1) == Balances{7, 0, 0, 0});
  CHECK(work->ledger().for_account(AccountId("x"), 0, std::nullopt, std::nullopt, 10).size() == 1);
  CHECK(work->accounts().find(AccountId("x"))->limit == Money::from_minor(10'000, credits));
}

TEST_CASE("idempotency records round-trip byte for byte; purging takes the oldest expiries first") {
  TempDir dir;
  auto store = open_sqlite(dir.file("idempotency.db"));
  const auto record = [](std::string key, std::int64_t expires_s) {
    IdempotencyRecord out{.scope = "tenant", .key = std::move(key)};
    out.fingerprint.fill(7);
    out.state = IdempotencyRecord::State::completed;
    out.outcome = std::string("{\"ok\":true}\0tail"sv);
    out.owner = "owner-1";
    out.created_at = k_t0;
    out.lease_until = k_t0 + std::chrono::seconds(30);
    out.expires_at = k_t0 + std::chrono::seconds(expires_s);
    return out;
  };
  {
    UnitOfWork work(*store, Access::write);
    for (int i = 0; i < 5; ++i) work->idempotency().put(record("k" + std::to_string(i), 10 - i));
    work->idempotency().put(record("k0", 100));  // replaces
    work.commit();
  }
  UnitOfWork work(*store, Access::write);
  CHECK(work->idempotency().find("tenant", "k0") == record("k0", 100));
  CHECK_FALSE(work->idempotency().find("other", "k0").has_value());
  // k1 to k4 expire at 9, 8, 7 and 6 s.
  CHECK(work->idempotency().purge_expired(k_t0 + std::chrono::seconds(7), 10) == 2);  // k4, k3
  CHECK_FALSE(work->idempotency().find("tenant", "k3").has_value());
  CHECK(work->idempotency().find("tenant", "k2").has_value());
  CHECK(work->idempotency().purge_expired(k_t0 + std::chrono::seconds(50), 1) == 1);  // the earliest: k2
  CHECK_FALSE(work->idempotency().find("tenant", "k2").has_value());
  CHECK(work->idempotency().find("tenant", "k1").has_value());
  // An empty scope is a scope like any other, even as a string_view without storage.
  IdempotencyRecord unscoped = record("k5", 100);
  unscoped.scope.clear();
  work->idempotency().put(unscoped);
  CHECK(work->idempotency().find(std::string_view(), "k5") == unscoped);
  work->idempotency().remove("tenant", "k1");
  work->idempotency().remove("tenant", "never-there");
  CHECK_FALSE(work->idempotency().find("tenant", "k1").has_value());
  work.commit();
  UnitOfWork reader(*store, Access::read);
  CHECK_THROWS_AS(reader->idempotency().put(record("k9", 1)), Misuse);
}

// ------------------------------------------------------------------------------------------ errors

TEST_CASE("append refuses a wrong sequence or a used id, and the unit of work stays usable") {
  TempDir dir;
  auto store = seeded_store(dir.file("append.db"), 1);
  {
    UnitOfWork work(*store, Access::write);
    try {
      work->ledger().append(make_entry(3, "e3", "a", "b"));
      FAIL("skipped a sequence");
    } catch (const InvariantViolation& e) {
      CHECK(e.field() == "sequence");
    }
    Entry reused = make_entry(2, "e1", "a", "b");
    try {
      work->ledger().append(reused);
      FAIL("reused an id");
    } catch (const InvariantViolation& e) {
      CHECK(e.field() == "entry_id");
    }
    work->ledger().append(make_entry(2, "e2", "a", "b"));
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->ledger().head().sequence == 2);
}

TEST_CASE("an append naming a missing account or another currency writes nothing; the unit of work goes on") {
  TempDir dir;
  auto store = seeded_store(dir.file("refused.db"), 1);
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->accounts().insert(make_account("c")));
    REQUIRE(work->accounts().insert(make_account("euro", "EUR")));
    CHECK_THROWS_AS(work->ledger().append(make_entry(2, "e2", "a", "ghost")), InvariantViolation);
    CHECK_THROWS_AS(work->ledger().append(make_entry(2, "e2", "a", "euro")), InvariantViolation);
    CHECK_FALSE(work->ledger().find(EntryId("e2")).has_value());
    work->ledger().append(make_entry(2, "e2", "a", "c"));
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->ledger().head().sequence == 2);
  CHECK(work->accounts().find(AccountId("c")).has_value());
}

TEST_CASE("a writer that cannot get the lock within the busy timeout gets a StorageError; readers go on") {
  TempDir dir;
  const std::string path = dir.file("locked.db");
  seeded_store(path, 1).reset();
  auto store = open_sqlite(path, {.busy_timeout = std::chrono::milliseconds(100)});
  RawDb other(path);
  REQUIRE(other.exec("BEGIN IMMEDIATE") == SQLITE_OK);
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)store->begin(Access::write);
    FAIL("began a write while another connection held the lock");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("locked") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(90));
  {
    UnitOfWork reader(*store, Access::read);
    CHECK(reader->ledger().head().sequence == 1);
  }
  REQUIRE(other.exec("ROLLBACK") == SQLITE_OK);
  UnitOfWork writer(*store, Access::write);  // the connection that timed out is fine afterwards
  writer->ledger().append(make_entry(2, "e2", "a", "b"));
  writer.commit();
}

TEST_CASE("a read unit of work keeps its snapshot while a writer commits") {
  TempDir dir;
  auto store = seeded_store(dir.file("snapshot.db"), 1);
  UnitOfWork reader(*store, Access::read);
  REQUIRE(reader->ledger().scan(0, 10).size() == 1);
  {
    UnitOfWork writer(*store, Access::write);
    writer->ledger().append(make_entry(2, "e2", "a", "b"));
    writer.commit();
  }
  CHECK(reader->ledger().scan(0, 10).size() == 1);
  UnitOfWork later(*store, Access::read);
  CHECK(later->ledger().scan(0, 10).size() == 2);
}

TEST_CASE("a transaction may outlive its store") {
  TempDir dir;
  auto store = seeded_store(dir.file("outlive.db"), 1);
  auto transaction = store->begin(Access::write);
  store.reset();
  transaction->ledger().append(make_entry(2, "e2", "a", "b"));
  transaction->commit();
}

// ------------------------------------------------------------------------------------------ concurrency

TEST_CASE("threads share one store: writers take turns, nothing is lost") {
  TempDir dir;
  auto store = open_sqlite(dir.file("threads.db"), {.durability = Durability::normal});
  constexpr int k_threads = 4;
  constexpr int k_per_thread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        try {
          UnitOfWork work(*store, Access::write);
          if (!work->accounts().insert(make_account(fmt::format("t{}-{:02}", t, i)))) ++failures;
          work.commit();
          UnitOfWork reader(*store, Access::read);
          if (!reader->accounts().find(AccountId(fmt::format("t{}-{:02}", t, i)))) ++failures;
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  UnitOfWork work(*store, Access::read);
  CHECK(work->accounts().list(std::nullopt, "", 1'000).size() == k_threads * k_per_thread);
}

TEST_CASE("processes that open a new file at the same moment all succeed and migrate it once") {
  TempDir dir;
  const std::string path = dir.file("race.db");
  constexpr int k_processes = 4;
  int start_gate[2];  // the children wait until the parent closes the write end, then all go at once
  REQUIRE(::pipe(start_gate) == 0);
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The child never returns into doctest: it reports through its exit status only.
      ::close(start_gate[1]);
      char ignored = 0;
      while (::read(start_gate[0], &ignored, 1) > 0) {
      }
      int status = 0;
      try {
        auto store = open_sqlite(path);
        UnitOfWork work(*store, Access::write);
        if (!work->accounts().insert(make_account("p" + std::to_string(p)))) status = 2;
        work.commit();
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
    children.push_back(child);
  }
  ::close(start_gate[0]);
  ::close(start_gate[1]);
  for (const pid_t child : children) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto store = open_sqlite(path);
  UnitOfWork work(*store, Access::read);
  CHECK(work->accounts().list(std::nullopt, "", 10).size() == k_processes);
  RawDb raw(path);
  CHECK(raw.integer("PRAGMA user_version") == detail::sqlite::k_schema_version);
}

TEST_CASE("sequence_at bisects the journal: the last entry recorded at or before a time") {
  TempDir dir;
  auto store = open_sqlite(dir.file("bisect.db"), {.durability = Durability::normal});
  constexpr std::uint64_t k_entries = 100;
  const auto recorded = [](std::uint64_t sequence) {
    return k_t0 + std::chrono::minutes(sequence / 3);  // three entries a minute, some at the same instant
  };
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->accounts().insert(make_account("a")));
    REQUIRE(work->accounts().insert(make_account("b")));
    for (std::uint64_t sequence = 1; sequence <= k_entries; ++sequence) {
      work->ledger().append(make_entry(sequence, "e" + std::to_string(sequence), "a", "b", 125, recorded(sequence)));
    }
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  for (int minute = -1; minute <= 40; ++minute) {
    for (const auto offset : {std::chrono::microseconds(-1), std::chrono::microseconds(0)}) {
      const Timestamp when = k_t0 + std::chrono::minutes(minute) + offset;
      std::uint64_t expected = 0;
      for (std::uint64_t sequence = 1; sequence <= k_entries; ++sequence) {
        if (!(when < recorded(sequence))) expected = sequence;
      }
      CAPTURE(minute);
      CHECK(work->ledger().sequence_at(when) == expected);
    }
  }
}

// ------------------------------------------------------------------------------------------ orders

namespace {

// Books on a new file with four orders: "p" PENDING, "w" PROCESSING, "c" COMPLETED, and "d" deleted.
std::unique_ptr<Books> order_books(const std::string& path) {
  auto books = std::make_unique<Books>(open_sqlite(path), std::make_shared<ManualClock>(k_t0));
  Orders& orders = books->orders();
  for (const char* id : {"p", "w", "c", "d"}) {
    REQUIRE(orders
                .create({.id = OrderId(id),
                         .customer_name = "Ada",
                         .customer_email = "ada@example.com",
                         .lines = {{.item = "widget", .quantity = 2, .unit_price = Money::parse("1.50 USD")}}})
                .ok());
  }
  REQUIRE(orders.transition(OrderId("w"), OrderStatus::processing, 1).ok());
  REQUIRE(orders.transition(OrderId("c"), OrderStatus::processing, 1).ok());
  REQUIRE(orders.transition(OrderId("c"), OrderStatus::completed, 2).ok());
  REQUIRE(orders.remove(OrderId("d")).ok());
  return books;
}

}  // namespace

TEST_CASE("every order listing is served by an index, never a scan of the table") {
  TempDir dir;
  const std::string path = dir.file("plans.db");
  auto books = order_books(path);
  RawDb raw(path);
  const std::vector<std::string> listings = detail::sqlite::order_listing_sql();
  REQUIRE(listings.size() == 4);
  const std::vector<std::string> expected = {"USING PRIMARY KEY", "USING INDEX orders_by_status",
                                             "USING INDEX orders_by_email", "USING INDEX orders_by_email"};
  for (const char* analyzed : {"without statistics", "after ANALYZE"}) {
    if (std::string_view(analyzed) == "after ANALYZE") REQUIRE(raw.exec("ANALYZE") == SQLITE_OK);
    for (std::size_t i = 0; i < listings.size(); ++i) {
      CAPTURE(analyzed);
      CAPTURE(listings[i]);
      std::string plan;
      sqlite3_stmt* statement = nullptr;
      REQUIRE(sqlite3_prepare_v2(raw.handle(), ("EXPLAIN QUERY PLAN " + listings[i]).c_str(), -1, &statement,
                                 nullptr) == SQLITE_OK);
      while (sqlite3_step(statement) == SQLITE_ROW) {
        plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
        plan += "; ";
      }
      sqlite3_finalize(statement);
      CAPTURE(plan);
      CHECK(plan.find("SEARCH orders " + expected[i]) != std::string::npos);
      CHECK(plan.find("SCAN") == std::string::npos);
      CHECK(plan.find("TEMP B-TREE") == std::string::npos);  // the index gives id order; nothing is sorted
    }
  }
}

TEST_CASE("hand-written statements cannot break an order's rules, with recursive_triggers off or on") {
  TempDir dir;
  const std::string path = dir.file("orders-tamper.db");
  auto books = order_books(path);
  const std::string row = "'Ada', 'ada@example.com', 'USD', 2, 300, %d, 1, '{}', 0, 0, NULL)";
  const auto order_row = [&](const std::string& id, int status) {
    std::string values = row;
    values.replace(values.find("%d"), 2, std::to_string(status));
    return "('" + id + "', " + values;
  };
  const std::vector<std::string> probes = {
      // the status table, the version and the tombstone
      "UPDATE orders SET status = 2, version = version + 1 WHERE id = 'p'",  // PENDING -> COMPLETED
      "UPDATE orders SET status = 0, version = version + 1 WHERE id = 'c'",  // back from a final status
      "UPDATE orders SET status = 1, version = version + 1 WHERE id = 'w'",  // the same status is no change...
      "UPDATE orders SET status = 3 WHERE id = 'p'",                          // a change without a new version
      "UPDATE orders SET version = version + 2, status = 1 WHERE id = 'p'",
      "UPDATE orders SET version = 1 WHERE id = 'c'",
      "UPDATE orders SET deleted_at = 5, version = version + 1 WHERE id = 'w'",  // deleted while PROCESSING
      "UPDATE orders SET deleted_at = 5, status = 3, version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET deleted_at = NULL, version = version + 1 WHERE id = 'd'",
      "UPDATE orders SET status = 3, version = version + 1 WHERE id = 'd'",
      // identity
      "UPDATE orders SET customer_email = 'eve@example.com', version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET customer_name = 'Eve', version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET total_minor = 1, version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET currency = 'EUR', version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET metadata = '{\"a\":\"b\"}', version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET created_at = 7, version = version + 1 WHERE id = 'p'",
      "UPDATE orders SET id = 'q', version = version + 1 WHERE id = 'p'",
      // rows are never removed or replaced, and a new one is PENDING at version 1
      "DELETE FROM orders WHERE id = 'd'",
      "DELETE FROM orders",
      "INSERT OR REPLACE INTO orders VALUES " + order_row("p", 0),
      "REPLACE INTO orders VALUES " + order_row("d", 0),
      "INSERT INTO orders VALUES " + order_row("p", 0) + " ON CONFLICT(id) DO UPDATE SET customer_name = 'Eve'",
      "INSERT INTO orders VALUES " + order_row("new", 2),
      "INSERT INTO orders VALUES ('new', 'Ada', 'ada@example.com', 'USD', 2, 300, 0, 1, '{}', 0, 0, 9)",
      // lines are append-only
      "UPDATE order_lines SET quantity = 200 WHERE order_id = 'p'",
      "UPDATE order_lines SET unit_price_minor = 1 WHERE order_id = 'c'",
      "DELETE FROM order_lines WHERE order_id = 'p'",
      "INSERT OR REPLACE INTO order_lines VALUES ('p', 0, 'widget', 200, 150)",
      "INSERT INTO order_lines VALUES ('p', 0, 'widget', 2, 150) ON CONFLICT DO UPDATE SET quantity = 200",
      "INSERT INTO order_lines VALUES ('p', 1, 'widget', 0, 150)",
      "INSERT INTO order_lines VALUES ('nobody', 0, 'widget', 1, 150)",
      // history is append-only, and records the order's current change
      "UPDATE order_history SET reason = 'forged' WHERE order_id = 'c'",
      "UPDATE order_history SET to_status = 3 WHERE order_id = 'c' AND version = 3",
      "DELETE FROM order_history WHERE order_id = 'c'",
      "INSERT OR REPLACE INTO order_history VALUES ('c', 3, 1, 3, 0, 'forged')",
      "INSERT INTO order_history VALUES ('c', 4, 1, 3, 0, 'not the order''s change')",
      "INSERT INTO order_history VALUES ('p', 2, 0, 2, 0, 'a pair the table forbids')",
      "INSERT INTO order_history VALUES ('p', 2, 0, 1, 0, 'a change the order has not made')",
  };
  int blocked = 0;
  int tried = 0;
  for (const char* recursive : {"OFF", "ON"}) {
    RawDb raw(path);
    REQUIRE(raw.exec(std::string("PRAGMA recursive_triggers = ") + recursive) == SQLITE_OK);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    for (const std::string& probe : probes) {
      CAPTURE(recursive);
      CAPTURE(probe);
      const int rc = raw.exec(probe);
      ++tried;
      CHECK_MESSAGE((rc & 0xff) == SQLITE_CONSTRAINT, raw.error());
      if ((rc & 0xff) == SQLITE_CONSTRAINT) ++blocked;
    }
  }
  MESSAGE(blocked << " of " << tried << " order tamper probes blocked");
  CHECK(blocked == tried);

  // The probes are well-formed: the same shapes, used as the rules use them, go in.
  RawDb raw(path);
  REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
  CHECK(raw.exec("UPDATE orders SET status = 1, version = version + 1, updated_at = 9 WHERE id = 'p'") == SQLITE_OK);
  CHECK(raw.exec("INSERT INTO order_history VALUES ('p', 2, 0, 1, 9, 'by hand')") == SQLITE_OK);
  CHECK(raw.exec("UPDATE orders SET deleted_at = 9, version = version + 1 WHERE id = 'c'") == SQLITE_OK);
  CHECK(raw.exec("INSERT INTO orders VALUES " + order_row("new", 0)) == SQLITE_OK);
  CHECK(raw.exec("INSERT INTO order_lines VALUES ('new', 0, 'widget', 2, 150)") == SQLITE_OK);

  const auto order = books->orders().get(OrderId("p"));
  REQUIRE(order.has_value());
  CHECK(order->status == OrderStatus::processing);
  CHECK(order->version == 2);
  CHECK(order->lines == std::vector<OrderLine>{{.item = "widget", .quantity = 2, .unit_price = Money::parse("1.50 USD")}});
  CHECK(books->orders().history(OrderId("c")).size() == 2);
  CHECK_FALSE(books->orders().get(OrderId("c")).has_value());
}
