// The SQLite adapter: a pool of connections, one per concurrent transaction, and repositories that map
// the value types to the rows of schema.cpp with cached prepared statements.
//
// Why the pieces look as they do:
//  - A connection serves one transaction at a time, so it runs without SQLite's mutex, and its statement
//    cache never needs a lock; the pool's mutex is taken only to hand connections out and back.
//  - Writers BEGIN IMMEDIATE: they queue for the write lock up front (under the busy timeout) instead of
//    failing halfway through when a read lock cannot be upgraded.
//  - A transaction remembers the chain head it has read or written: its snapshot (or its write lock)
//    cannot change under it, so append() checks the sequence without a query.
#include <algorithm>
#include <limits>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/storage/sqlite.hpp"
#include "schema.hpp"
#include "sqlite_store.hpp"
#include "statement.hpp"

namespace billing {
namespace {

using detail::sqlite::Connection;
using detail::sqlite::Statement;
using detail::sqlite::StatementLease;

// ------------------------------------------------------------------------------------------ SQL

constexpr std::string_view k_begin_write = "BEGIN IMMEDIATE";
constexpr std::string_view k_begin_read = "BEGIN";
constexpr std::string_view k_commit = "COMMIT";
constexpr std::string_view k_rollback = "ROLLBACK";

// Account columns, in the order read_account() reads them.
constexpr std::string_view k_insert_account =
    "INSERT INTO accounts (id, currency, currency_places, name, normal_side, status, flags, limit_minor, metadata, "
    "created_at, debits_posted, credits_posted, debits_pending, credits_pending) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 "
    "WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE id = ?1)";
constexpr std::string_view k_find_account =
    "SELECT id, currency, currency_places, name, normal_side, status, flags, limit_minor, metadata, created_at, "
    "debits_posted, credits_posted, debits_pending, credits_pending FROM accounts WHERE id = ?1";
constexpr std::string_view k_list_accounts =
    "SELECT id, currency, currency_places, name, normal_side, status, flags, limit_minor, metadata, created_at, "
    "debits_posted, credits_posted, debits_pending, credits_pending FROM accounts "
    "WHERE id > ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id LIMIT ?3";
constexpr std::string_view k_set_status = "UPDATE accounts SET status = ?2 WHERE id = ?1";
constexpr std::string_view k_set_balances =
    "UPDATE accounts SET debits_posted = ?2, credits_posted = ?3, debits_pending = ?4, credits_pending = ?5 "
    "WHERE id = ?1";

constexpr std::string_view k_insert_entry =
    "INSERT INTO entries (sequence, id, kind, description, metadata, effective_at, recorded_at, pending_id, "
    "expires_at, reverses, previous_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr std::string_view k_insert_posting =
    "INSERT INTO postings (sequence, leg, account_id, side, amount_minor, currency, debits_posted, credits_posted, "
    "debits_pending, credits_pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view k_entry_exists = "SELECT 1 FROM entries WHERE id = ?1";

// Entry loads return one row per posting (entry columns 0-11, posting columns 12-20), ordered by sequence
// and leg, so a page of entries costs one statement. LEFT JOIN: an entry never lacks postings, but if a
// file says otherwise the entry still loads.
#define BILLING_ENTRY_COLUMNS                                                                                    \
  "e.sequence, e.id, e.kind, e.description, e.metadata, e.effective_at, e.recorded_at, e.pending_id, "           \
  "e.expires_at, e.reverses, e.previous_hash, e.hash, p.leg, p.account_id, p.side, p.amount_minor, p.currency, " \
  "p.debits_posted, p.credits_posted, p.debits_pending, p.credits_pending"
constexpr std::string_view k_find_entry = "SELECT " BILLING_ENTRY_COLUMNS
                                          " FROM entries AS e LEFT JOIN postings AS p ON p.sequence = e.sequence "
                                          "WHERE e.id = ?1 ORDER BY p.leg";
// Bounding the page by its last sequence (not LIMIT on the joined rows) lets both loads walk the
// entries and then each entry's postings in key order, with no sort.
constexpr std::string_view k_scan_entries =
    "SELECT " BILLING_ENTRY_COLUMNS
    " FROM entries AS e LEFT JOIN postings AS p ON p.sequence = e.sequence "
    "WHERE e.sequence > ?1 AND e.sequence <= (SELECT max(sequence) FROM "
    "(SELECT sequence FROM entries WHERE sequence > ?1 ORDER BY sequence LIMIT ?2)) "
    "ORDER BY e.sequence, p.leg";
constexpr std::string_view k_entries_for_account =
    "SELECT " BILLING_ENTRY_COLUMNS
    " FROM entries AS e LEFT JOIN postings AS p ON p.sequence = e.sequence "
    "WHERE e.sequence IN (SELECT DISTINCT a.sequence FROM postings AS a JOIN entries AS r ON r.sequence = a.sequence"
    " WHERE a.account_id = ?1 AND a.sequence > ?2"
    " AND (?3 IS NULL OR r.recorded_at >= ?3) AND (?4 IS NULL OR r.recorded_at < ?4)"
    " ORDER BY a.sequence LIMIT ?5) "
    "ORDER BY e.sequence, p.leg";
#undef BILLING_ENTRY_COLUMNS

constexpr std::string_view k_head = "SELECT sequence, hash, recorded_at FROM entries ORDER BY sequence DESC LIMIT 1";
constexpr std::string_view k_resolution_of = "SELECT id FROM entries WHERE pending_id = ?1";
constexpr std::string_view k_reversal_of = "SELECT id FROM entries WHERE reverses = ?1";
constexpr std::string_view k_balances_at =
    "SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM postings "
    "WHERE account_id = ?1 AND sequence <= ?2 ORDER BY sequence DESC, leg DESC LIMIT 1";
// recorded_at never decreases along the sequence, so the last entry by (recorded_at, sequence) at or
// before `when` is the one with the largest sequence; the index answers it without a range scan.
constexpr std::string_view k_sequence_at =
    "SELECT sequence FROM entries WHERE recorded_at <= ?1 ORDER BY recorded_at DESC, sequence DESC LIMIT 1";
// INDEXED BY: without statistics the planner would rather scan every entry in sequence order than sort
// the few expired holds.
constexpr std::string_view k_expired_holds =
    "SELECT e.id FROM entries AS e INDEXED BY entries_expires_at WHERE e.expires_at <= ?1 AND e.kind = 1 "
    "AND NOT EXISTS (SELECT 1 FROM entries AS r WHERE r.pending_id = e.id) ORDER BY e.sequence LIMIT ?2";

constexpr std::string_view k_find_idempotency =
    "SELECT fingerprint, state, outcome, owner, created_at, lease_until, expires_at FROM idempotency_keys "
    "WHERE scope = ?1 AND key = ?2";
constexpr std::string_view k_put_idempotency =
    "INSERT OR REPLACE INTO idempotency_keys (scope, key, fingerprint, state, outcome, owner, created_at, "
    "lease_until, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view k_remove_idempotency = "DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2";
constexpr std::string_view k_purge_idempotency =
    "DELETE FROM idempotency_keys WHERE (scope, key) IN "
    "(SELECT scope, key FROM idempotency_keys WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";

// ------------------------------------------------------------------------------------------ values

constexpr std::int64_t k_flag_debits_must_not_exceed_credits = 1;
constexpr std::int64_t k_flag_credits_must_not_exceed_debits = 2;

// SQLite integers are signed; a sequence or limit beyond int64 means "no bound".
std::int64_t clamp_to_int64(std::uint64_t value) noexcept {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

[[noreturn]] void throw_corrupt(std::string_view what, std::string_view why) {
  throw StorageError("", fmt::format("the database holds an invalid {}: {}", what, why));
}

template <class IdT>
IdT load_id(std::string_view text, std::string_view what) {
  try {
    return IdT(std::string(text));
  } catch (const InvalidArgument& e) {
    throw_corrupt(what, e.what());
  }
}

template <class Enum>
Enum load_enum(std::int64_t value, std::int64_t max, std::string_view what) {
  if (value < 0 || value > max) throw_corrupt(what, fmt::format("{} is out of range", value));
  return static_cast<Enum>(value);
}

Timestamp load_time(std::int64_t micros) noexcept { return Timestamp::from_unix_micros(micros); }

// Remembers the last currency it resolved: the postings of a page are mostly in one or two currencies.
class CurrencyLookup {
 public:
  Currency operator()(std::string_view code) {
    if (last_ && last_->code() == code) return *last_;
    last_ = Currency::find(code);
    if (!last_) {
      throw StorageError("currency", fmt::format("the database uses currency '{}', which is neither ISO 4217 nor "
                                                 "registered in this process; register the unit with "
                                                 "Currency::register_unit before loading it",
                                                 code));
    }
    return *last_;
  }

 private:
  std::optional<Currency> last_;
};

Balances read_balances(const Statement& row, int first) noexcept {
  return {row.int64(first), row.int64(first + 1), row.int64(first + 2), row.int64(first + 3)};
}

void bind_balances(Statement& statement, int first, const Balances& balances) {
  statement.bind(first, balances.debits_posted);
  statement.bind(first + 1, balances.credits_posted);
  statement.bind(first + 2, balances.debits_pending);
  statement.bind(first + 3, balances.credits_pending);
}

Account read_account(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency = currencies(row.text(1));
  if (row.int64(2) != currency.minor_units()) {
    throw StorageError("currency", fmt::format("the database stores {} with {} places, but this process has it with "
                                               "{}; its amounts would be misread",
                                               currency.code(), row.int64(2), currency.minor_units()));
  }
  const std::int64_t flags = row.int64(6);
  return Account{
      .id = load_id<AccountId>(row.text(0), "account id"),
      .currency = currency,
      .name = std::string(row.text(3)),
      .normal_side = load_enum<Side>(row.int64(4), 1, "normal side"),
      .status = load_enum<AccountStatus>(row.int64(5), 3, "account status"),
      .debits_must_not_exceed_credits = (flags & k_flag_debits_must_not_exceed_credits) != 0,
      .credits_must_not_exceed_debits = (flags & k_flag_credits_must_not_exceed_debits) != 0,
      .limit = row.is_null(7) ? std::nullopt : std::optional<Money>(Money::from_minor(row.int64(7), currency)),
      .metadata = detail::sqlite::decode_metadata(row.text(8), "an account"),
      .created_at = load_time(row.int64(9)),
      .balances = read_balances(row, 10),
  };
}

Hash load_hash(std::span<const std::uint8_t> bytes, std::string_view what) {
  Hash hash{};
  if (bytes.size() != hash.size()) throw_corrupt(what, fmt::format("{} bytes instead of 32", bytes.size()));
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

// Columns 0-11 of an entry load.
Entry read_entry(const Statement& row) {
  Entry entry{.id = load_id<EntryId>(row.text(1), "entry id")};
  entry.sequence = static_cast<std::uint64_t>(row.int64(0));
  entry.kind = load_enum<EntryKind>(row.int64(2), 4, "entry kind");
  entry.description = row.text(3);
  entry.metadata = detail::sqlite::decode_metadata(row.text(4), "an entry");
  entry.effective_at = load_time(row.int64(5));
  entry.recorded_at = load_time(row.int64(6));
  if (!row.is_null(7)) entry.pending_id = load_id<EntryId>(row.text(7), "pending id");
  if (!row.is_null(8)) entry.expires_at = load_time(row.int64(8));
  if (!row.is_null(9)) entry.reverses = load_id<EntryId>(row.text(9), "reversed entry id");
  entry.previous_hash = load_hash(row.blob(10), "previous hash");
  entry.hash = load_hash(row.blob(11), "hash");
  return entry;
}

// Columns 12-20 of an entry load: one posting, appended to `entry`.
void read_posting(const Statement& row, Entry& entry, CurrencyLookup& currencies) {
  if (row.int64(12) != static_cast<std::int64_t>(entry.postings.size())) {
    throw_corrupt("posting", fmt::format("entry {} lacks leg {}", entry.sequence, entry.postings.size()));
  }
  const Currency currency = currencies(row.text(16));
  entry.postings.push_back(Posting{
      .account = load_id<AccountId>(row.text(13), "posting account id"),
      .side = load_enum<Side>(row.int64(14), 1, "posting side"),
      .amount = Money::from_minor(row.int64(15), currency),
  });
  entry.balances_after.push_back(read_balances(row, 17));
}

// Steps an entry load to the end and gathers its rows into entries.
std::vector<Entry> read_entries(Statement& rows, std::string_view operation) {
  std::vector<Entry> out;
  CurrencyLookup currencies;
  while (rows.step(operation)) {
    if (out.empty() || out.back().sequence != static_cast<std::uint64_t>(rows.int64(0))) {
      out.push_back(read_entry(rows));
    }
    if (!rows.is_null(12)) read_posting(rows, out.back(), currencies);
  }
  return out;
}

// ------------------------------------------------------------------------------------------ the pool

class ConnectionPool {
 public:
  ConnectionPool(std::string path, const SqliteOptions& options) : path_(std::move(path)), options_(options) {}

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  [[nodiscard]] std::unique_ptr<Connection> open() const {
    return std::make_unique<Connection>(path_, options_.durability == Durability::full, options_.busy_timeout);
  }

  /// An idle connection, or a new one when every connection is busy.
  [[nodiscard]] std::unique_ptr<Connection> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
    }
    return open();  // outside the lock: opening touches the file system
  }

  /// Takes back a connection that holds no transaction; anything else (or no room) closes it, and
  /// closing rolls back whatever it still held.
  void release(std::unique_ptr<Connection> connection) noexcept {
    if (connection == nullptr || connection->in_transaction()) return;
    try {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(connection));
    } catch (...) {  // NOLINT(bugprone-empty-catch): dropping the connection is the fallback
    }
  }

 private:
  std::string path_;
  SqliteOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// ------------------------------------------------------------------------------------------ transaction

class SqliteTransaction;

class SqliteAccounts final : public AccountRepository {
 public:
  explicit SqliteAccounts(SqliteTransaction& transaction) noexcept : transaction_(transaction) {}

  bool insert(const Account& account) override;
  std::optional<Account> find(const AccountId& id) override;
  void set_status(const AccountId& id, AccountStatus status) override;
  void set_balances(const AccountId& id, const Balances& balances) override;
  std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) override;

 private:
  SqliteTransaction& transaction_;
};

class SqliteLedger final : public LedgerRepository {
 public:
  explicit SqliteLedger(SqliteTransaction& transaction) noexcept : transaction_(transaction) {}

  void append(Entry entry) override;
  std::optional<Entry> find(const EntryId& id) override;
  ChainHead head() override;
  std::optional<EntryId> resolution_of(const EntryId& pending_id) override;
  std::optional<EntryId> reversal_of(const EntryId& id) override;
  std::vector<Entry> scan(std::uint64_t after_sequence, std::size_t limit) override;
  std::vector<Entry> for_account(const AccountId& account, std::uint64_t after_sequence, std::optional<Timestamp> from,
                                 std::optional<Timestamp> to, std::size_t limit) override;
  Balances balances_at(const AccountId& account, std::uint64_t sequence) override;
  std::uint64_t sequence_at(Timestamp when) override;
  std::vector<EntryId> expired_holds(Timestamp when, std::size_t limit) override;

 private:
  void insert_entry_row(Connection& connection, const Entry& entry);
  void insert_posting_rows(Connection& connection, const Entry& entry);
  std::optional<EntryId> entry_id_where(std::string_view sql, const EntryId& id);

  SqliteTransaction& transaction_;
};

class SqliteIdempotency final : public IdempotencyRepository {
 public:
  explicit SqliteIdempotency(SqliteTransaction& transaction) noexcept : transaction_(transaction) {}

  std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) override;
  void put(const IdempotencyRecord& record) override;
  void remove(std::string_view scope, std::string_view key) override;
  std::size_t purge_expired(Timestamp now, std::size_t limit) override;

 private:
  SqliteTransaction& transaction_;
};

class SqliteTransaction final : public Transaction {
 public:
  /// Takes over `connection`, on which BEGIN already ran.
  SqliteTransaction(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> connection,
                    Access access) noexcept
      : pool_(std::move(pool)), connection_(std::move(connection)), access_(access) {}

  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  ~SqliteTransaction() override {
    if (!finished_) roll_back();
    pool_->release(std::move(connection_));
  }

  void commit() override {
    Connection& connection = open_connection();
    finished_ = true;
    if (broken_) {
      roll_back();
      throw Misuse("transaction", "an append failed halfway, so this transaction could only roll back; it did");
    }
    try {
      connection.run(k_commit, "commit");
    } catch (...) {
      if (connection.in_transaction()) roll_back();  // a failed COMMIT can leave the transaction open
      throw;
    }
  }

  [[nodiscard]] Access access() const noexcept override { return access_; }
  [[nodiscard]] AccountRepository& accounts() override { return accounts_; }
  [[nodiscard]] LedgerRepository& ledger() override { return ledger_; }
  [[nodiscard]] IdempotencyRepository& idempotency() override { return idempotency_; }

  /// The connection, for reads. Throws Misuse after commit.
  [[nodiscard]] Connection& open_connection() {
    if (finished_) throw Misuse("transaction", "is already committed");
    return *connection_;
  }
  /// The connection, for writes. Throws Misuse after commit and in a read transaction.
  [[nodiscard]] Connection& writable_connection() {
    Connection& connection = open_connection();
    if (access_ != Access::write) throw Misuse("transaction", "is read-only");
    return connection;
  }

  /// The chain head as this transaction sees it, read once: neither a snapshot nor a held write lock
  /// lets it change underneath.
  [[nodiscard]] const ChainHead& head() {
    if (!head_) head_ = read_head(open_connection());
    return *head_;
  }
  void advance_head(const Entry& entry) noexcept { head_ = ChainHead{entry.sequence, entry.hash, entry.recorded_at}; }

  /// Marks a write that stopped after changing some rows: the transaction may no longer commit.
  void mark_broken() noexcept { broken_ = true; }

 private:
  static ChainHead read_head(Connection& connection) {
    StatementLease query = connection.statement(k_head);
    if (!query->step("read the chain head")) return {};
    return ChainHead{static_cast<std::uint64_t>(query->int64(0)), load_hash(query->blob(1), "hash"),
                     load_time(query->int64(2))};
  }

  void roll_back() noexcept {
    try {
      connection_->run(k_rollback, "roll back");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the pool will not take a connection still in a transaction
    }
  }

  std::shared_ptr<ConnectionPool> pool_;
  std::unique_ptr<Connection> connection_;
  Access access_;
  bool finished_ = false;
  bool broken_ = false;
  std::optional<ChainHead> head_;
  SqliteAccounts accounts_{*this};
  SqliteLedger ledger_{*this};
  SqliteIdempotency idempotency_{*this};
};

// ------------------------------------------------------------------------------------------ accounts

bool SqliteAccounts::insert(const Account& account) {
  Connection& connection = transaction_.writable_connection();
  if (account.limit && account.limit->currency() != account.currency) {
    throw InvariantViolation("limit",
                             fmt::format("the limit of account '{}' is in {}, the account in {}", account.id.str(),
                                         account.limit->currency().code(), account.currency.code()));
  }
  std::string& metadata = connection.scratch();
  detail::sqlite::encode_metadata(account.metadata, metadata);
  const std::int64_t flags = (account.debits_must_not_exceed_credits ? k_flag_debits_must_not_exceed_credits : 0) |
                             (account.credits_must_not_exceed_debits ? k_flag_credits_must_not_exceed_debits : 0);
  StatementLease statement = connection.statement(k_insert_account);
  statement->bind(1, account.id.str());
  statement->bind(2, account.currency.code());
  statement->bind(3, std::int64_t{account.currency.minor_units()});
  statement->bind(4, account.name);
  statement->bind(5, static_cast<std::int64_t>(account.normal_side));
  statement->bind(6, static_cast<std::int64_t>(account.status));
  statement->bind(7, flags);
  if (account.limit) {
    statement->bind(8, account.limit->minor());
  } else {
    statement->bind_null(8);
  }
  statement->bind(9, metadata);
  statement->bind(10, account.created_at.unix_micros());
  bind_balances(*statement, 11, account.balances);
  statement->run("insert an account");
  return connection.changes() == 1;
}

std::optional<Account> SqliteAccounts::find(const AccountId& id) {
  StatementLease query = transaction_.open_connection().statement(k_find_account);
  query->bind(1, id.str());
  if (!query->step("find an account")) return std::nullopt;
  CurrencyLookup currencies;
  return read_account(*query, currencies);
}

void SqliteAccounts::set_status(const AccountId& id, AccountStatus status) {
  Connection& connection = transaction_.writable_connection();
  StatementLease statement = connection.statement(k_set_status);
  statement->bind(1, id.str());
  statement->bind(2, static_cast<std::int64_t>(status));
  statement->run("set an account's status");
  if (connection.changes() == 0) {
    throw InvariantViolation("account_id", fmt::format("account '{}' does not exist", id.str()));
  }
}

void SqliteAccounts::set_balances(const AccountId& id, const Balances& balances) {
  Connection& connection = transaction_.writable_connection();
  StatementLease statement = connection.statement(k_set_balances);
  statement->bind(1, id.str());
  bind_balances(*statement, 2, balances);
  statement->run("set an account's balances");
  if (connection.changes() == 0) {
    throw InvariantViolation("account_id", fmt::format("account '{}' does not exist", id.str()));
  }
}

std::vector<Account> SqliteAccounts::list(std::optional<AccountStatus> status, const std::string& after,
                                          std::size_t limit) {
  StatementLease query = transaction_.open_connection().statement(k_list_accounts);
  query->bind(1, after);
  if (status) {
    query->bind(2, static_cast<std::int64_t>(*status));
  } else {
    query->bind_null(2);
  }
  query->bind(3, clamp_to_int64(limit));
  std::vector<Account> out;
  CurrencyLookup currencies;
  while (query->step("list accounts")) out.push_back(read_account(*query, currencies));
  return out;
}

// ------------------------------------------------------------------------------------------ ledger

void SqliteLedger::append(Entry entry) {
  Connection& connection = transaction_.writable_connection();
  if (entry.balances_after.size() != entry.postings.size()) {
    throw InvariantViolation("balances_after",
                             fmt::format("entry '{}' has {} postings but {} balances_after", entry.id.str(),
                                         entry.postings.size(), entry.balances_after.size()));
  }
  const std::uint64_t head = transaction_.head().sequence;
  if (entry.sequence != head + 1) {
    throw InvariantViolation("sequence", fmt::format("entry {} does not follow {}", entry.sequence, head));
  }
  insert_entry_row(connection, entry);
  try {
    insert_posting_rows(connection, entry);
  } catch (...) {
    transaction_.mark_broken();  // the entry row is in; without its postings it must never commit
    throw;
  }
  transaction_.advance_head(entry);
}

void SqliteLedger::insert_entry_row(Connection& connection, const Entry& entry) {
  std::string& metadata = connection.scratch();
  detail::sqlite::encode_metadata(entry.metadata, metadata);
  StatementLease statement = connection.statement(k_insert_entry);
  statement->bind(1, clamp_to_int64(entry.sequence));
  statement->bind(2, entry.id.str());
  statement->bind(3, static_cast<std::int64_t>(entry.kind));
  statement->bind(4, entry.description);
  statement->bind(5, metadata);
  statement->bind(6, entry.effective_at.unix_micros());
  statement->bind(7, entry.recorded_at.unix_micros());
  if (entry.pending_id) statement->bind(8, entry.pending_id->str());
  if (entry.expires_at) statement->bind(9, entry.expires_at->unix_micros());
  if (entry.reverses) statement->bind(10, entry.reverses->str());
  statement->bind_blob(11, entry.previous_hash);
  statement->bind_blob(12, entry.hash);
  try {
    statement->run("append an entry");
  } catch (const InvariantViolation&) {
    // Name the usual cause the way the domain does; anything else keeps the database's own words.
    if (entry_id_where(k_entry_exists, entry.id)) {
      throw InvariantViolation("entry_id", fmt::format("entry '{}' already exists", entry.id.str()));
    }
    throw;
  }
}

void SqliteLedger::insert_posting_rows(Connection& connection, const Entry& entry) {
  StatementLease statement = connection.statement(k_insert_posting);
  statement->bind(1, clamp_to_int64(entry.sequence));
  for (std::size_t leg = 0; leg < entry.postings.size(); ++leg) {
    const Posting& posting = entry.postings[leg];
    statement->bind(2, static_cast<std::int64_t>(leg));
    statement->bind(3, posting.account.str());
    statement->bind(4, static_cast<std::int64_t>(posting.side));
    statement->bind(5, posting.amount.minor());
    statement->bind(6, posting.amount.currency().code());
    bind_balances(*statement, 7, entry.balances_after[leg]);
    statement->run("append a posting");
    statement->rewind();  // keeps ?1; the rest is bound again for the next leg
  }
}

std::optional<Entry> SqliteLedger::find(const EntryId& id) {
  StatementLease query = transaction_.open_connection().statement(k_find_entry);
  query->bind(1, id.str());
  std::vector<Entry> found = read_entries(*query, "find an entry");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

ChainHead SqliteLedger::head() { return transaction_.head(); }

std::optional<EntryId> SqliteLedger::entry_id_where(std::string_view sql, const EntryId& id) {
  StatementLease query = transaction_.open_connection().statement(sql);
  query->bind(1, id.str());
  if (!query->step("look up an entry")) return std::nullopt;
  return load_id<EntryId>(query->text(0), "entry id");
}

std::optional<EntryId> SqliteLedger::resolution_of(const EntryId& pending_id) {
  return entry_id_where(k_resolution_of, pending_id);
}

std::optional<EntryId> SqliteLedger::reversal_of(const EntryId& id) { return entry_id_where(k_reversal_of, id); }

std::vector<Entry> SqliteLedger::scan(std::uint64_t after_sequence, std::size_t limit) {
  StatementLease query = transaction_.open_connection().statement(k_scan_entries);
  query->bind(1, clamp_to_int64(after_sequence));
  query->bind(2, clamp_to_int64(limit));
  return read_entries(*query, "scan entries");
}

std::vector<Entry> SqliteLedger::for_account(const AccountId& account, std::uint64_t after_sequence,
                                             std::optional<Timestamp> from, std::optional<Timestamp> to,
                                             std::size_t limit) {
  StatementLease query = transaction_.open_connection().statement(k_entries_for_account);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(after_sequence));
  if (from) query->bind(3, from->unix_micros());
  if (to) query->bind(4, to->unix_micros());
  query->bind(5, clamp_to_int64(limit));
  return read_entries(*query, "list an account's entries");
}

Balances SqliteLedger::balances_at(const AccountId& account, std::uint64_t sequence) {
  StatementLease query = transaction_.open_connection().statement(k_balances_at);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(sequence));
  if (!query->step("read balances as of a sequence")) return {};
  return read_balances(*query, 0);
}

std::uint64_t SqliteLedger::sequence_at(Timestamp when) {
  StatementLease query = transaction_.open_connection().statement(k_sequence_at);
  query->bind(1, when.unix_micros());
  if (!query->step("find the sequence at a time")) return 0;
  return static_cast<std::uint64_t>(query->int64(0));
}

std::vector<EntryId> SqliteLedger::expired_holds(Timestamp when, std::size_t limit) {
  StatementLease query = transaction_.open_connection().statement(k_expired_holds);
  query->bind(1, when.unix_micros());
  query->bind(2, clamp_to_int64(limit));
  std::vector<EntryId> out;
  while (query->step("find expired holds")) out.push_back(load_id<EntryId>(query->text(0), "entry id"));
  return out;
}

// ------------------------------------------------------------------------------------------ idempotency

std::optional<IdempotencyRecord> SqliteIdempotency::find(std::string_view scope, std::string_view key) {
  StatementLease query = transaction_.open_connection().statement(k_find_idempotency);
  query->bind(1, scope);
  query->bind(2, key);
  if (!query->step("find an idempotency key")) return std::nullopt;
  return IdempotencyRecord{
      .scope = std::string(scope),
      .key = std::string(key),
      .fingerprint = load_hash(query->blob(0), "idempotency fingerprint"),
      .state = load_enum<IdempotencyRecord::State>(query->int64(1), 1, "idempotency state"),
      .outcome = std::string(query->text(2)),
      .owner = std::string(query->text(3)),
      .created_at = load_time(query->int64(4)),
      .lease_until = load_time(query->int64(5)),
      .expires_at = load_time(query->int64(6)),
  };
}

void SqliteIdempotency::put(const IdempotencyRecord& record) {
  StatementLease statement = transaction_.writable_connection().statement(k_put_idempotency);
  statement->bind(1, record.scope);
  statement->bind(2, record.key);
  statement->bind_blob(3, record.fingerprint);
  statement->bind(4, static_cast<std::int64_t>(record.state));
  statement->bind(5, record.outcome);
  statement->bind(6, record.owner);
  statement->bind(7, record.created_at.unix_micros());
  statement->bind(8, record.lease_until.unix_micros());
  statement->bind(9, record.expires_at.unix_micros());
  statement->run("store an idempotency key");
}

void SqliteIdempotency::remove(std::string_view scope, std::string_view key) {
  StatementLease statement = transaction_.writable_connection().statement(k_remove_idempotency);
  statement->bind(1, scope);
  statement->bind(2, key);
  statement->run("remove an idempotency key");
}

std::size_t SqliteIdempotency::purge_expired(Timestamp now, std::size_t limit) {
  Connection& connection = transaction_.writable_connection();
  StatementLease statement = connection.statement(k_purge_idempotency);
  statement->bind(1, now.unix_micros());
  statement->bind(2, clamp_to_int64(limit));
  statement->run("purge expired idempotency keys");
  return static_cast<std::size_t>(connection.changes());
}

// ------------------------------------------------------------------------------------------ the store

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<ConnectionPool> pool) noexcept : pool_(std::move(pool)) {}

  std::unique_ptr<Transaction> begin(Access access) override {
    std::unique_ptr<Connection> connection = pool_->acquire();
    try {
      if (access == Access::write) {
        connection->run(k_begin_write, "begin a write transaction");
      } else {
        connection->run(k_begin_read, "begin a read transaction");
      }
    } catch (...) {
      pool_->release(std::move(connection));  // nothing began; the connection is as good as before
      throw;
    }
    return std::make_unique<SqliteTransaction>(pool_, std::move(connection), access);
  }

 private:
  // Shared with every transaction, so a transaction that outlives the store can still hand back its
  // connection.
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, const SqliteOptions& options) {
  if (sqlite3_libversion_number() < detail::sqlite::k_min_sqlite_version) {
    throw StorageError(
        "", fmt::format("open_sqlite needs SQLite 3.37 or newer; this process has {}", sqlite3_libversion()));
  }
  auto pool = std::make_shared<ConnectionPool>(path, options);
  try {
    std::unique_ptr<Connection> first = pool->open();
    first->enable_wal();
    detail::sqlite::migrate(*first);
    pool->release(std::move(first));
  } catch (const StorageError& e) {
    throw StorageError(e.field(), fmt::format("open_sqlite('{}'): {}", path, e.what()));
  }
  return std::make_unique<SqliteStore>(std::move(pool));
}

namespace detail {

std::string sqlite_pragma_for_testing(Transaction& transaction, std::string_view name) {
  auto* sqlite = dynamic_cast<SqliteTransaction*>(&transaction);
  if (sqlite == nullptr) throw Misuse("transaction", "is not an SQLite transaction");
  StatementLease query = sqlite->open_connection().statement(fmt::format("PRAGMA {}", name));
  return query->step("read a pragma") ? std::string(query->text(0)) : std::string();
}

}  // namespace detail

}  // namespace billing
