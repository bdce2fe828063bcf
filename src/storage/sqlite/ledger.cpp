#include "ledger.hpp"

#include "../integrity.hpp"
#include "rows.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of an entry row and of a posting row, in the order every statement here names them.
// An entry load joins the two: one row per posting, the entry's columns first.
#define BILLING_ENTRY_COLUMNS(X)                                                                                  \
  X(sequence)                                                                                                     \
  X(id) X(kind) X(description) X(metadata) X(effective_at) X(recorded_at) X(pending_id) X(expires_at) X(reverses) \
      X(previous_hash) X(hash)
#define BILLING_POSTING_COLUMNS(X)                                                                       \
  X(leg)                                                                                                 \
  X(account_id) X(side) X(amount_minor) X(currency) X(debits_posted) X(credits_posted) X(debits_pending) \
      X(credits_pending)
#define BILLING_SQL_ENTRY_NAME(name) ", e." #name
#define BILLING_SQL_POSTING_NAME(name) ", p." #name

enum class EntryColumn : int { BILLING_ENTRY_COLUMNS(BILLING_SQL_ENUM) count };
// In a joined load the posting columns follow the entry's: `after_entry_` puts `leg` at EntryColumn::count.
enum class PostingColumn : int {
  after_entry_ = col(EntryColumn::count) - 1,
  BILLING_POSTING_COLUMNS(BILLING_SQL_ENUM)
};

constexpr std::string_view k_entry_columns = column_list(BILLING_ENTRY_COLUMNS(BILLING_SQL_NAME));
constexpr std::string_view k_posting_columns = column_list(BILLING_POSTING_COLUMNS(BILLING_SQL_NAME));
const std::string k_joined = "SELECT " +
                             std::string(column_list(BILLING_ENTRY_COLUMNS(BILLING_SQL_ENTRY_NAME)
                                                         BILLING_POSTING_COLUMNS(BILLING_SQL_POSTING_NAME))) +
                             " FROM entries AS e LEFT JOIN postings AS p ON p.sequence = e.sequence ";
#undef BILLING_SQL_POSTING_NAME
#undef BILLING_SQL_ENTRY_NAME
#undef BILLING_POSTING_COLUMNS
#undef BILLING_ENTRY_COLUMNS

int param(EntryColumn column) noexcept { return col(column) + 1; }
// A posting row's parameters: ?1 is its sequence, then the posting columns.
int param(PostingColumn column) noexcept { return col(column) - col(EntryColumn::count) + 2; }

const std::string k_insert_entry = fmt::format(
    "INSERT INTO entries ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12)",
    k_entry_columns);
const std::string k_insert_posting = fmt::format(
    "INSERT INTO postings (sequence, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", k_posting_columns);
constexpr std::string_view k_entry_exists = "SELECT 1 FROM entries WHERE id = ?1";

// LEFT JOIN: an entry never lacks postings, but if a file says otherwise the entry still loads.
const std::string k_find_entry = k_joined + "WHERE e.id = ?1 ORDER BY p.leg";
// Bounding the page by its last sequence (not LIMIT on the joined rows) lets both loads walk the
// entries and then each entry's postings in key order, with no sort.
const std::string k_scan_entries = k_joined +
                                   "WHERE e.sequence > ?1 AND e.sequence <= (SELECT max(sequence) FROM "
                                   "(SELECT sequence FROM entries WHERE sequence > ?1 ORDER BY sequence LIMIT ?2)) "
                                   "ORDER BY e.sequence, p.leg";
const std::string k_entries_for_account =
    k_joined +
    "WHERE e.sequence IN (SELECT DISTINCT a.sequence FROM postings AS a JOIN entries AS r ON r.sequence = a.sequence"
    " WHERE a.account_id = ?1 AND a.sequence > ?2"
    " AND (?3 IS NULL OR r.recorded_at >= ?3) AND (?4 IS NULL OR r.recorded_at < ?4)"
    " ORDER BY a.sequence LIMIT ?5) "
    "ORDER BY e.sequence, p.leg";

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

Entry read_entry(const Statement& row) {
  const auto at = [](EntryColumn column) { return col(column); };
  Entry entry{.id = load_id<EntryId>(row.text(at(EntryColumn::id)), "entry id")};
  entry.sequence = static_cast<std::uint64_t>(row.int64(at(EntryColumn::sequence)));
  entry.kind = load_enum<EntryKind>(row.int64(at(EntryColumn::kind)), 4, "entry kind");
  entry.description = row.text(at(EntryColumn::description));
  entry.metadata = decode_metadata(row.text(at(EntryColumn::metadata)), "an entry");
  entry.effective_at = load_time(row.int64(at(EntryColumn::effective_at)));
  entry.recorded_at = load_time(row.int64(at(EntryColumn::recorded_at)));
  if (!row.is_null(at(EntryColumn::pending_id))) {
    entry.pending_id = load_id<EntryId>(row.text(at(EntryColumn::pending_id)), "pending id");
  }
  if (!row.is_null(at(EntryColumn::expires_at))) entry.expires_at = load_time(row.int64(at(EntryColumn::expires_at)));
  if (!row.is_null(at(EntryColumn::reverses))) {
    entry.reverses = load_id<EntryId>(row.text(at(EntryColumn::reverses)), "reversed entry id");
  }
  entry.previous_hash = load_hash(row.blob(at(EntryColumn::previous_hash)), "previous hash");
  entry.hash = load_hash(row.blob(at(EntryColumn::hash)), "hash");
  return entry;
}

// The posting columns of a joined row: one posting, appended to `entry`.
void read_posting(const Statement& row, Entry& entry, CurrencyLookup& currencies) {
  const auto at = [](PostingColumn column) { return col(column); };
  if (row.int64(at(PostingColumn::leg)) != static_cast<std::int64_t>(entry.postings.size())) {
    throw_corrupt("posting", fmt::format("entry {} lacks leg {}", entry.sequence, entry.postings.size()));
  }
  const Currency currency = currencies(row.text(at(PostingColumn::currency)));
  entry.postings.push_back(Posting{
      .account = load_id<AccountId>(row.text(at(PostingColumn::account_id)), "posting account id"),
      .side = load_enum<Side>(row.int64(at(PostingColumn::side)), 1, "posting side"),
      .amount = Money::from_minor(row.int64(at(PostingColumn::amount_minor)), currency),
  });
  entry.balances_after.push_back(read_balances(row, at(PostingColumn::debits_posted)));
}

// Steps a joined load to the end and gathers its rows into entries.
std::vector<Entry> read_entries(Statement& rows, std::string_view operation) {
  std::vector<Entry> out;
  CurrencyLookup currencies;
  while (rows.step(operation)) {
    if (out.empty() || out.back().sequence != static_cast<std::uint64_t>(rows.int64(col(EntryColumn::sequence)))) {
      out.push_back(read_entry(rows));
    }
    if (!rows.is_null(col(PostingColumn::leg))) read_posting(rows, out.back(), currencies);
  }
  return out;
}

}  // namespace

const ChainHead& Ledger::cached_head() {
  if (!head_) {
    StatementLease query = session_.read().statement(k_head);
    head_ = query->step("read the chain head")
                ? ChainHead{static_cast<std::uint64_t>(query->int64(0)), load_hash(query->blob(1), "hash"),
                            load_time(query->int64(2))}
                : ChainHead{};
  }
  return *head_;
}

void Ledger::append(Entry entry) {
  Connection& connection = session_.write();
  integrity::check_appendable(entry, cached_head().sequence);
  insert_entry_row(connection, entry);
  try {
    insert_posting_rows(connection, entry);
  } catch (...) {
    session_.mark_broken();  // the entry row is in; without its postings it must never commit
    throw;
  }
  head_ = ChainHead{entry.sequence, entry.hash, entry.recorded_at};
}

void Ledger::insert_entry_row(Connection& connection, const Entry& entry) {
  std::string& metadata = connection.scratch();
  encode_metadata(entry.metadata, metadata);
  StatementLease statement = connection.statement(k_insert_entry);
  statement->bind(param(EntryColumn::sequence), clamp_to_int64(entry.sequence));
  statement->bind(param(EntryColumn::id), entry.id.str());
  statement->bind(param(EntryColumn::kind), static_cast<std::int64_t>(entry.kind));
  statement->bind(param(EntryColumn::description), entry.description);
  statement->bind(param(EntryColumn::metadata), metadata);
  statement->bind(param(EntryColumn::effective_at), entry.effective_at.unix_micros());
  statement->bind(param(EntryColumn::recorded_at), entry.recorded_at.unix_micros());
  if (entry.pending_id) statement->bind(param(EntryColumn::pending_id), entry.pending_id->str());
  if (entry.expires_at) statement->bind(param(EntryColumn::expires_at), entry.expires_at->unix_micros());
  if (entry.reverses) statement->bind(param(EntryColumn::reverses), entry.reverses->str());
  statement->bind_blob(param(EntryColumn::previous_hash), entry.previous_hash);
  statement->bind_blob(param(EntryColumn::hash), entry.hash);
  try {
    statement->run("append an entry");
  } catch (const InvariantViolation&) {
    // Name the usual cause the way the domain does; anything else keeps the database's own words.
    if (entry_id_where(k_entry_exists, entry.id)) integrity::duplicate_entry(entry.id);
    throw;
  }
}

void Ledger::insert_posting_rows(Connection& connection, const Entry& entry) {
  StatementLease statement = connection.statement(k_insert_posting);
  statement->bind(1, clamp_to_int64(entry.sequence));
  for (std::size_t leg = 0; leg < entry.postings.size(); ++leg) {
    const Posting& posting = entry.postings[leg];
    statement->bind(param(PostingColumn::leg), static_cast<std::int64_t>(leg));
    statement->bind(param(PostingColumn::account_id), posting.account.str());
    statement->bind(param(PostingColumn::side), static_cast<std::int64_t>(posting.side));
    statement->bind(param(PostingColumn::amount_minor), posting.amount.minor());
    statement->bind(param(PostingColumn::currency), posting.amount.currency().code());
    bind_balances(*statement, param(PostingColumn::debits_posted), entry.balances_after[leg]);
    statement->run("append a posting");
    statement->rewind();  // keeps ?1; the rest is bound again for the next leg
  }
}

std::optional<Entry> Ledger::find(const EntryId& id) {
  StatementLease query = session_.read().statement(k_find_entry);
  query->bind(1, id.str());
  std::vector<Entry> found = read_entries(*query, "find an entry");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

ChainHead Ledger::head() { return cached_head(); }

std::optional<EntryId> Ledger::entry_id_where(std::string_view sql, const EntryId& id) {
  StatementLease query = session_.read().statement(sql);
  query->bind(1, id.str());
  if (!query->step("look up an entry")) return std::nullopt;
  return load_id<EntryId>(query->text(0), "entry id");
}

std::optional<EntryId> Ledger::resolution_of(const EntryId& pending_id) {
  return entry_id_where(k_resolution_of, pending_id);
}

std::optional<EntryId> Ledger::reversal_of(const EntryId& id) { return entry_id_where(k_reversal_of, id); }

std::vector<Entry> Ledger::scan(std::uint64_t after_sequence, std::size_t limit) {
  StatementLease query = session_.read().statement(k_scan_entries);
  query->bind(1, clamp_to_int64(after_sequence));
  query->bind(2, clamp_to_int64(limit));
  return read_entries(*query, "scan entries");
}

std::vector<Entry> Ledger::for_account(const AccountId& account, std::uint64_t after_sequence,
                                       std::optional<Timestamp> from, std::optional<Timestamp> to, std::size_t limit) {
  StatementLease query = session_.read().statement(k_entries_for_account);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(after_sequence));
  if (from) query->bind(3, from->unix_micros());
  if (to) query->bind(4, to->unix_micros());
  query->bind(5, clamp_to_int64(limit));
  return read_entries(*query, "list an account's entries");
}

Balances Ledger::balances_at(const AccountId& account, std::uint64_t sequence) {
  StatementLease query = session_.read().statement(k_balances_at);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(sequence));
  if (!query->step("read balances as of a sequence")) return {};
  return read_balances(*query, 0);
}

std::uint64_t Ledger::sequence_at(Timestamp when) {
  StatementLease query = session_.read().statement(k_sequence_at);
  query->bind(1, when.unix_micros());
  if (!query->step("find the sequence at a time")) return 0;
  return static_cast<std::uint64_t>(query->int64(0));
}

std::vector<EntryId> Ledger::expired_holds(Timestamp when, std::size_t limit) {
  StatementLease query = session_.read().statement(k_expired_holds);
  query->bind(1, when.unix_micros());
  query->bind(2, clamp_to_int64(limit));
  std::vector<EntryId> out;
  while (query->step("find expired holds")) out.push_back(load_id<EntryId>(query->text(0), "entry id"));
  return out;
}

}  // namespace billing::detail::sqlite
