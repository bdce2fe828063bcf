#include "ledger.hpp"

#include "../integrity.hpp"
#include "postings_blob.hpp"
#include "rows.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of a journal row, in the order every statement here names them.
#define BILLING_JOURNAL_COLUMNS(X)                                                                          \
  X(sequence)                                                                                               \
  X(id)                                                                                                     \
  X(kind) X(description) X(metadata) X(effective_at) X(recorded_at) X(pending_id) X(expires_at) X(reverses) \
      X(previous_hash) X(hash) X(postings)
#define BILLING_SQL_JOURNAL_NAME(name) ", j." #name
enum class Column : int { BILLING_JOURNAL_COLUMNS(BILLING_SQL_ENUM) };
constexpr std::string_view k_columns = column_list(BILLING_JOURNAL_COLUMNS(BILLING_SQL_NAME));
constexpr std::string_view k_qualified_columns = column_list(BILLING_JOURNAL_COLUMNS(BILLING_SQL_JOURNAL_NAME));
#undef BILLING_SQL_JOURNAL_NAME
#undef BILLING_JOURNAL_COLUMNS

// The columns of a recent_postings row (account_postings has the same, keyed by account first).
#define BILLING_ACCOUNT_POSTING_COLUMNS(X) \
  X(sequence)                              \
  X(leg) X(account_id) X(side) X(amount_minor) X(debits_posted) X(credits_posted) X(debits_pending) X(credits_pending)
enum class PostingColumn : int { BILLING_ACCOUNT_POSTING_COLUMNS(BILLING_SQL_ENUM) };
constexpr std::string_view k_posting_columns = column_list(BILLING_ACCOUNT_POSTING_COLUMNS(BILLING_SQL_NAME));
#undef BILLING_ACCOUNT_POSTING_COLUMNS

// Parameters are numbered as the columns, from 1.
int param(Column column) noexcept { return col(column) + 1; }
int param(PostingColumn column) noexcept { return col(column) + 1; }

const std::string k_insert_entry =
    fmt::format("INSERT INTO journal ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", k_columns);
const std::string k_insert_posting =
    fmt::format("INSERT INTO recent_postings ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", k_posting_columns);
// After this many entries, recent postings move to the account-major index in one statement (see
// migrations/v3_journal.inc): often enough that a reader's scan of recent_postings stays short, rarely
// enough that each account's last index page is written once per merge rather than once per posting.
constexpr std::uint64_t k_merge_entries = 4096;
constexpr std::string_view k_first_recent = "SELECT min(sequence) FROM recent_postings";
const std::string k_merge =
    fmt::format("INSERT INTO account_postings ({0}) SELECT {0} FROM recent_postings ORDER BY account_id, sequence, leg",
                k_posting_columns);
constexpr std::string_view k_clear_recent = "DELETE FROM recent_postings";
constexpr std::string_view k_entry_exists = "SELECT 1 FROM journal WHERE id = ?1";

const std::string k_find_entry = fmt::format("SELECT {} FROM journal WHERE id = ?1", k_columns);
const std::string k_scan_entries =
    fmt::format("SELECT {} FROM journal WHERE sequence > ?1 ORDER BY sequence LIMIT ?2", k_columns);
// An account's entries, from either place its postings are in; every merged posting is older than every
// recent one, so the merged page comes first. DISTINCT folds two legs of one entry.
constexpr std::string_view k_account_sequences =
    "SELECT DISTINCT a.sequence FROM {0} AS a JOIN journal AS r ON r.sequence = a.sequence WHERE a.account_id = ?1 "
    "AND a.sequence > ?2 AND (?3 IS NULL OR r.recorded_at >= ?3) AND (?4 IS NULL OR r.recorded_at < ?4) "
    "ORDER BY a.sequence LIMIT ?5";
const std::string k_merged_entries_for_account =
    fmt::format("SELECT {} FROM journal AS j WHERE j.sequence IN ({}) ORDER BY j.sequence", k_qualified_columns,
                fmt::format(fmt::runtime(k_account_sequences), "account_postings"));
const std::string k_recent_entries_for_account =
    fmt::format("SELECT {} FROM journal AS j WHERE j.sequence IN ({}) ORDER BY j.sequence", k_qualified_columns,
                fmt::format(fmt::runtime(k_account_sequences), "recent_postings"));

constexpr std::string_view k_head = "SELECT sequence, hash, recorded_at FROM journal ORDER BY sequence DESC LIMIT 1";
constexpr std::string_view k_resolution_of = "SELECT id FROM journal WHERE pending_id = ?1";
constexpr std::string_view k_reversal_of = "SELECT id FROM journal WHERE reverses = ?1";
// Recent postings first: when the account has one at or before the point, it is the newest.
constexpr std::string_view k_recent_balances_at =
    "SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM recent_postings "
    "WHERE sequence <= ?2 AND account_id = ?1 ORDER BY sequence DESC, leg DESC LIMIT 1";
constexpr std::string_view k_merged_balances_at =
    "SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM account_postings "
    "WHERE account_id = ?1 AND sequence <= ?2 ORDER BY sequence DESC, leg DESC LIMIT 1";
// recorded_at never decreases along the sequence, so the last entry by (recorded_at, sequence) at or
// before `when` is the one with the largest sequence; the index answers it without a range scan.
// recorded_at never decreases along the gapless sequence, so sequence_at() bisects the sequence with
// point lookups (about 20 for a million entries) instead of keeping an index on recorded_at, which
// cost every append an insert (bench/schema_variants.py).
constexpr std::string_view k_recorded_at = "SELECT recorded_at FROM journal WHERE sequence = ?1";
// INDEXED BY: without statistics the planner would rather scan every entry in sequence order than sort
// the few expired holds.
constexpr std::string_view k_expired_holds =
    "SELECT e.id FROM journal AS e INDEXED BY journal_expires_at WHERE e.expires_at <= ?1 AND e.kind = 1 "
    "AND NOT EXISTS (SELECT 1 FROM journal AS r WHERE r.pending_id = e.id) ORDER BY e.sequence LIMIT ?2";

Entry read_entry(const Statement& row, CurrencyLookup& currencies) {
  const auto at = [](Column column) { return col(column); };
  Entry entry{.id = load_id<EntryId>(row.text(at(Column::id)), "entry id")};
  entry.sequence = static_cast<std::uint64_t>(row.int64(at(Column::sequence)));
  entry.kind = load_enum<EntryKind>(row.int64(at(Column::kind)), 4, "entry kind");
  entry.description = row.text(at(Column::description));
  entry.metadata = decode_metadata(row.text(at(Column::metadata)), "an entry");
  entry.effective_at = load_time(row.int64(at(Column::effective_at)));
  entry.recorded_at = load_time(row.int64(at(Column::recorded_at)));
  if (!row.is_null(at(Column::pending_id))) {
    entry.pending_id = load_id<EntryId>(row.text(at(Column::pending_id)), "pending id");
  }
  if (!row.is_null(at(Column::expires_at))) entry.expires_at = load_time(row.int64(at(Column::expires_at)));
  if (!row.is_null(at(Column::reverses))) {
    entry.reverses = load_id<EntryId>(row.text(at(Column::reverses)), "reversed entry id");
  }
  entry.previous_hash = load_hash(row.blob(at(Column::previous_hash)), "previous hash");
  entry.hash = load_hash(row.blob(at(Column::hash)), "hash");
  decode_postings(row.blob(at(Column::postings)), entry, currencies);
  return entry;
}

// Steps a load to the end, one entry per row.
std::vector<Entry> read_entries(Statement& rows, std::string_view operation) {
  std::vector<Entry> out;
  CurrencyLookup currencies;
  while (rows.step(operation)) out.push_back(read_entry(rows, currencies));
  return out;
}

}  // namespace

const ChainHead& Ledger::cached_head() {
  if (!first_recent_read_) {
    StatementLease query = session_.read().statement(k_first_recent);
    if (query->step("find the first recent posting") && !query->is_null(0)) {
      first_recent_ = static_cast<std::uint64_t>(query->int64(0));
    }
    first_recent_read_ = true;
  }
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
    if (!first_recent_) first_recent_ = entry.sequence;
    if (entry.sequence - *first_recent_ + 1 >= k_merge_entries) merge_recent(connection);
  } catch (...) {
    session_.mark_broken();  // the entry row is in; without its postings it must never commit
    throw;
  }
  head_ = ChainHead{entry.sequence, entry.hash, entry.recorded_at};
}

void Ledger::merge_recent(Connection& connection) {
  connection.run(k_merge, "merge recent postings into the account index");
  connection.run(k_clear_recent, "clear merged recent postings");
  first_recent_ = std::nullopt;
}

void Ledger::insert_entry_row(Connection& connection, const Entry& entry) {
  std::string& metadata = connection.scratch();
  encode_metadata(entry.metadata, metadata);
  encode_postings(entry, postings_);
  StatementLease statement = connection.statement(k_insert_entry);
  statement->bind(param(Column::sequence), clamp_to_int64(entry.sequence));
  statement->bind(param(Column::id), entry.id.str());
  statement->bind(param(Column::kind), static_cast<std::int64_t>(entry.kind));
  statement->bind(param(Column::description), entry.description);
  statement->bind(param(Column::metadata), metadata);
  statement->bind(param(Column::effective_at), entry.effective_at.unix_micros());
  statement->bind(param(Column::recorded_at), entry.recorded_at.unix_micros());
  if (entry.pending_id) statement->bind(param(Column::pending_id), entry.pending_id->str());
  if (entry.expires_at) statement->bind(param(Column::expires_at), entry.expires_at->unix_micros());
  if (entry.reverses) statement->bind(param(Column::reverses), entry.reverses->str());
  statement->bind_blob(param(Column::previous_hash), entry.previous_hash);
  statement->bind_blob(param(Column::hash), entry.hash);
  statement->bind_blob(param(Column::postings),
                       std::span(reinterpret_cast<const std::uint8_t*>(postings_.data()), postings_.size()));
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
  statement->bind(param(PostingColumn::sequence), clamp_to_int64(entry.sequence));
  for (std::size_t leg = 0; leg < entry.postings.size(); ++leg) {
    const Posting& posting = entry.postings[leg];
    statement->bind(param(PostingColumn::account_id), posting.account.str());
    statement->bind(param(PostingColumn::leg), static_cast<std::int64_t>(leg));
    statement->bind(param(PostingColumn::side), static_cast<std::int64_t>(posting.side));
    statement->bind(param(PostingColumn::amount_minor), posting.amount.minor());
    bind_balances(*statement, param(PostingColumn::debits_posted), entry.balances_after[leg]);
    statement->run("append a posting");
    statement->rewind();  // keeps the sequence; the rest is bound again for the next leg
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
  const auto page = [&](const std::string& sql, std::size_t wanted) {
    StatementLease query = session_.read().statement(sql);
    query->bind(1, account.str());
    query->bind(2, clamp_to_int64(after_sequence));
    if (from) query->bind(3, from->unix_micros());
    if (to) query->bind(4, to->unix_micros());
    query->bind(5, clamp_to_int64(wanted));
    return read_entries(*query, "list an account's entries");
  };
  std::vector<Entry> out = page(k_merged_entries_for_account, limit);
  if (out.size() < limit) {
    std::vector<Entry> recent = page(k_recent_entries_for_account, limit - out.size());
    out.insert(out.end(), std::make_move_iterator(recent.begin()), std::make_move_iterator(recent.end()));
  }
  return out;
}

Balances Ledger::balances_at(const AccountId& account, std::uint64_t sequence) {
  for (const std::string_view sql : {k_recent_balances_at, k_merged_balances_at}) {
    StatementLease query = session_.read().statement(sql);
    query->bind(1, account.str());
    query->bind(2, clamp_to_int64(sequence));
    if (query->step("read balances as of a sequence")) return read_balances(*query, 0);
  }
  return {};
}

std::uint64_t Ledger::sequence_at(Timestamp when) {
  StatementLease query = session_.read().statement(k_recorded_at);
  const auto recorded_at = [&](std::uint64_t sequence) {
    query->bind(1, clamp_to_int64(sequence));
    if (!query->step("find the sequence at a time")) throw_corrupt("journal", "the sequence has a gap");
    const std::int64_t micros = query->int64(0);
    query->rewind();
    return micros;
  };
  // The answer is in [low, high]: every entry up to low was recorded at or before `when`.
  std::uint64_t low = 0;
  std::uint64_t high = cached_head().sequence;
  while (low < high) {
    const std::uint64_t middle = low + (high - low + 1) / 2;
    if (recorded_at(middle) <= when.unix_micros()) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  return low;
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
