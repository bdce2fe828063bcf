#include "ledger.hpp"

#include <algorithm>
#include <tuple>

#include "../integrity.hpp"
#include "postings_blob.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of a journal row, in the order every statement here names them.
#define BILLING_JOURNAL_COLUMNS(X)                                                                                   \
  X(sequence)                                                                                                        \
  X(id)                                                                                                              \
  X(kind)                                                                                                            \
  X(description) X(metadata) X(effective_at) X(recorded_at) X(pending_id) X(expires_at) X(reverses) X(previous_hash) \
      X(hash) X(postings)
#define BILLING_SQL_JOURNAL_NAME(name) ", j." #name
enum class Column : int { BILLING_JOURNAL_COLUMNS(BILLING_SQL_ENUM) };
constexpr std::string_view k_columns = column_list(BILLING_JOURNAL_COLUMNS(BILLING_SQL_NAME));
constexpr std::string_view k_qualified_columns = column_list(BILLING_JOURNAL_COLUMNS(BILLING_SQL_JOURNAL_NAME));
#undef BILLING_SQL_JOURNAL_NAME
#undef BILLING_JOURNAL_COLUMNS

// The columns of an account_postings row.
#define BILLING_ACCOUNT_POSTING_COLUMNS(X) \
  X(account_id)                            \
  X(sequence) X(leg) X(side) X(amount_minor) X(debits_posted) X(credits_posted) X(debits_pending) X(credits_pending)
enum class PostingColumn : int { BILLING_ACCOUNT_POSTING_COLUMNS(BILLING_SQL_ENUM) };
constexpr std::string_view k_posting_columns = column_list(BILLING_ACCOUNT_POSTING_COLUMNS(BILLING_SQL_NAME));
#undef BILLING_ACCOUNT_POSTING_COLUMNS

// Parameters are numbered as the columns, from 1.
int param(Column column) noexcept { return col(column) + 1; }
int param(PostingColumn column) noexcept { return col(column) + 1; }

const std::string k_insert_entry =
    fmt::format("INSERT INTO journal ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", k_columns);
const std::string k_insert_posting =
    fmt::format("INSERT INTO account_postings ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", k_posting_columns);
constexpr std::string_view k_account_currency = "SELECT currency FROM accounts WHERE id = ?1";
// Every this many entries, the postings of the entries not merged yet go into account_postings, in key
// order (see migrations/v3_journal.inc): often enough that a reader's walk of the journal's tail stays
// short, rarely enough that each account's last index page is written once per merge rather than once
// per posting.
constexpr std::uint64_t k_merge_entries = 4096;
constexpr std::string_view k_merged_through = "SELECT merged_through FROM ledger_state";
constexpr std::string_view k_set_merged_through = "UPDATE ledger_state SET merged_through = ?1";
// The journal's tail: the entries whose postings are not in account_postings yet, newest or oldest first.
constexpr std::string_view k_tail_postings =
    "SELECT sequence, postings FROM journal WHERE sequence > ?1 AND sequence <= ?2 ORDER BY sequence DESC";
const std::string k_tail_entries =
    fmt::format("SELECT {} FROM journal WHERE sequence > ?1 ORDER BY sequence", k_columns);
constexpr std::string_view k_entry_exists = "SELECT 1 FROM journal WHERE id = ?1";

const std::string k_find_entry = fmt::format("SELECT {} FROM journal WHERE id = ?1", k_columns);
const std::string k_scan_entries =
    fmt::format("SELECT {} FROM journal WHERE sequence > ?1 ORDER BY sequence LIMIT ?2", k_columns);
// An account's merged entries; every merged entry is older than the journal's tail. DISTINCT folds two
// legs of one entry.
const std::string k_merged_entries_for_account = fmt::format(
    "SELECT {} FROM journal AS j WHERE j.sequence IN (SELECT DISTINCT a.sequence FROM account_postings AS a "
    "JOIN journal AS r ON r.sequence = a.sequence WHERE a.account_id = ?1 AND a.sequence > ?2 "
    "AND (?3 IS NULL OR r.recorded_at >= ?3) AND (?4 IS NULL OR r.recorded_at < ?4) ORDER BY a.sequence LIMIT ?5) "
    "ORDER BY j.sequence",
    k_qualified_columns);

constexpr std::string_view k_head = "SELECT sequence, hash, recorded_at FROM journal ORDER BY sequence DESC LIMIT 1";
constexpr std::string_view k_resolution_of = "SELECT id FROM journal WHERE pending_id = ?1";
constexpr std::string_view k_reversal_of = "SELECT id FROM journal WHERE reverses = ?1";
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
constexpr std::string_view k_count_expired_holds =
    "SELECT count(*) FROM journal AS e INDEXED BY journal_expires_at WHERE e.expires_at <= ?1 AND e.kind = 1 "
    "AND NOT EXISTS (SELECT 1 FROM journal AS r WHERE r.pending_id = e.id)";

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

// Whether a blob has a leg on `account`; the totals after its last such leg into `after`.
bool last_leg_on(std::span<const std::uint8_t> blob, std::string_view account, Balances& after) {
  PostingsReader legs(blob);
  bool found = false;
  for (BlobLeg leg; legs.next(leg);) {
    if (leg.account != account) continue;
    after = leg.after;
    found = true;
  }
  return found;
}

// Steps a load to the end, one entry per row.
std::vector<Entry> read_entries(Statement& rows, std::string_view operation) {
  std::vector<Entry> out;
  CurrencyLookup currencies;
  while (rows.step(operation)) out.push_back(read_entry(rows, currencies));
  return out;
}

}  // namespace

std::uint64_t Ledger::merged_through() {
  if (!merged_through_) {
    StatementLease query = session_.read().statement(k_merged_through);
    if (!query->step("read how far postings are merged")) throw_corrupt("ledger_state", "it has no row");
    merged_through_ = static_cast<std::uint64_t>(query->int64(0));
  }
  return *merged_through_;
}

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
  check_accounts(connection, entry);
  insert_entry_row(connection, entry);
  head_ = ChainHead{entry.sequence, entry.hash, entry.recorded_at};
  if (entry.sequence - merged_through() < k_merge_entries) return;
  try {
    merge(connection);
  } catch (...) {
    session_.mark_broken();  // the merge stopped halfway; its rows must never commit
    throw;
  }
}

void Ledger::check_accounts(Connection& connection, const Entry& entry) {
  for (const Posting& posting : entry.postings) {
    const auto known = currencies_.find(posting.account.str());
    std::string currency;
    if (known != currencies_.end()) {
      currency = known->second;
    } else {
      StatementLease query = connection.statement(k_account_currency);
      query->bind(1, posting.account.str());
      if (!query->step("find a posting's account")) integrity::missing_account(posting.account);
      currency = query->text(0);
      currencies_.emplace(posting.account.str(), currency);  // accounts never change currency or leave
    }
    integrity::check_posting_currency(posting, currency);
  }
}

void Ledger::merge(Connection& connection) {
  struct Row {
    std::string account;
    std::int64_t sequence;
    std::int64_t leg;
    BlobLeg fields;
  };
  std::vector<Row> rows;
  {
    StatementLease tail = connection.statement(k_tail_postings);
    tail->bind(1, clamp_to_int64(merged_through()));
    tail->bind(2, clamp_to_int64(cached_head().sequence));
    while (tail->step("read the postings to merge")) {
      PostingsReader legs(tail->blob(1));
      std::int64_t leg_index = 0;
      for (BlobLeg leg; legs.next(leg); ++leg_index) {
        rows.push_back({std::string(leg.account), tail->int64(0), leg_index, leg});
        rows.back().fields.account = {};
        rows.back().fields.currency = {};  // both view the row just stepped past
      }
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.account, a.sequence, a.leg) < std::tie(b.account, b.sequence, b.leg);
  });
  StatementLease insert = connection.statement(k_insert_posting);
  for (const Row& row : rows) {
    insert->bind(param(PostingColumn::account_id), row.account);
    insert->bind(param(PostingColumn::sequence), row.sequence);
    insert->bind(param(PostingColumn::leg), row.leg);
    insert->bind(param(PostingColumn::side), static_cast<std::int64_t>(row.fields.side));
    insert->bind(param(PostingColumn::amount_minor), row.fields.amount_minor);
    bind_balances(*insert, param(PostingColumn::debits_posted), row.fields.after);
    insert->run("merge postings into the account index");
    insert->rewind();
  }
  StatementLease advance = connection.statement(k_set_merged_through);
  advance->bind(1, clamp_to_int64(cached_head().sequence));
  advance->run("record how far postings are merged");
  merged_through_ = cached_head().sequence;
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
  std::vector<Entry> out;
  const std::uint64_t merged = merged_through();
  if (after_sequence < merged) {
    StatementLease query = session_.read().statement(k_merged_entries_for_account);
    query->bind(1, account.str());
    query->bind(2, clamp_to_int64(after_sequence));
    if (from) query->bind(3, from->unix_micros());
    if (to) query->bind(4, to->unix_micros());
    query->bind(5, clamp_to_int64(limit));
    out = read_entries(*query, "list an account's entries");
  }
  if (out.size() >= limit) return out;
  StatementLease tail = session_.read().statement(k_tail_entries);
  tail->bind(1, clamp_to_int64(std::max(after_sequence, merged)));
  CurrencyLookup currencies;
  Balances ignored{};
  while (out.size() < limit && tail->step("list an account's recent entries")) {
    if (!last_leg_on(tail->blob(col(Column::postings)), account.str(), ignored)) continue;
    const Timestamp recorded = load_time(tail->int64(col(Column::recorded_at)));
    if ((from && recorded < *from) || (to && !(recorded < *to))) continue;
    out.push_back(read_entry(*tail, currencies));
  }
  return out;
}

Balances Ledger::balances_at(const AccountId& account, std::uint64_t sequence) {
  const std::uint64_t merged = merged_through();
  if (sequence > merged) {
    StatementLease tail = session_.read().statement(k_tail_postings);
    tail->bind(1, clamp_to_int64(merged));
    tail->bind(2, clamp_to_int64(sequence));
    Balances after{};
    while (tail->step("read balances as of a sequence")) {
      if (last_leg_on(tail->blob(1), account.str(), after)) return after;
    }
  }
  StatementLease query = session_.read().statement(k_merged_balances_at);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(std::min(sequence, merged)));
  if (query->step("read balances as of a sequence")) return read_balances(*query, 0);
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

std::uint64_t Ledger::count_expired_holds(Timestamp when) {
  StatementLease query = session_.read().statement(k_count_expired_holds);
  query->bind(1, when.unix_micros());
  const std::int64_t count = query->step("count expired holds") ? query->int64(0) : 0;
  return static_cast<std::uint64_t>(std::max<std::int64_t>(count, 0));
}

}  // namespace billing::detail::sqlite
