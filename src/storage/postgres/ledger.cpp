#include "ledger.hpp"

#include <algorithm>
#include <vector>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of a journal row, then those of a postings row, in the order every statement here names
// them. An entry is read as one row per leg (its journal row joined to its postings, in leg order), its
// journal columns repeated on each; an entry without postings as one row whose posting columns are NULL.
#define BILLING_JOURNAL_COLUMNS(X) \
  X(sequence)                      \
  X(id)                            \
  X(kind)                          \
  X(description)                   \
  X(metadata) X(effective_at) X(recorded_at) X(pending_id) X(expires_at) X(reverses) X(previous_hash) X(hash)
#define BILLING_POSTING_COLUMNS(X) \
  X(leg)                           \
  X(account_id)                    \
  X(side) X(amount_minor) X(currency) X(debits_posted) X(credits_posted) X(debits_pending) X(credits_pending)
#define BILLING_SQL_JOURNAL_NAME(name) ", j." #name
#define BILLING_SQL_POSTING_NAME(name) ", p." #name
enum class Column : int { BILLING_JOURNAL_COLUMNS(BILLING_SQL_ENUM) BILLING_POSTING_COLUMNS(BILLING_SQL_ENUM) };
constexpr std::string_view k_journal_columns = column_list(BILLING_JOURNAL_COLUMNS(BILLING_SQL_NAME));
constexpr std::string_view k_posting_columns = column_list(BILLING_POSTING_COLUMNS(BILLING_SQL_NAME));
// Every column of an entry's rows, from journal rows `j` joined to their postings `p` (with_legs()).
constexpr std::string_view k_entry_columns =
    column_list(BILLING_JOURNAL_COLUMNS(BILLING_SQL_JOURNAL_NAME) BILLING_POSTING_COLUMNS(BILLING_SQL_POSTING_NAME));
#undef BILLING_SQL_POSTING_NAME
#undef BILLING_SQL_JOURNAL_NAME
#undef BILLING_POSTING_COLUMNS
#undef BILLING_JOURNAL_COLUMNS

// Parameters of append(): the journal's columns as $1 to $12, then each leg's from k_first_leg_param on,
// k_leg_params apiece (its columns after `leg`, which the SQL writes as a constant).
int param(Column column) noexcept { return col(column) + 1; }
constexpr int k_first_leg_param = 13;
constexpr int k_leg_params = 8;
int leg_param(std::size_t leg, Column column) noexcept {
  return k_first_leg_param + static_cast<int>(leg) * k_leg_params + (col(column) - col(Column::account_id));
}

// One statement appends an entry, with no error for any refusal the domain may catch and go on from:
//  - `checks` reads, in the snapshot before the inserts, whether the id is taken, the hold resolved or the
//    entry reversed already, and how many legs are on a stored account in their own currency;
//  - `entry` inserts the journal row only when all is well, and `added` the legs of the row it inserted
//    (none when it inserted none);
//  - the result is `checks`, which tells append() whether the entry is in and, when not, why.
// The legs are a VALUES list, so the statement text depends on their number: one prepared statement per
// number of legs, its text built once per thread.
const std::string& append_sql(std::size_t legs) {
  thread_local std::vector<std::string> built;
  if (built.size() <= legs) built.resize(legs + 1);
  std::string& sql = built[legs];
  if (!sql.empty()) return sql;
  sql = fmt::format("WITH legs ({}) AS (", k_posting_columns);
  if (legs == 0) {
    sql +=
        "SELECT NULL::bigint, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint, "
        "NULL::bigint, NULL::bigint WHERE false";
  } else {
    sql += "VALUES ";
    for (std::size_t leg = 0; leg < legs; ++leg) {
      const int p = leg_param(leg, Column::account_id);
      sql += fmt::format(
          "{}({}::bigint, ${}::text, ${}::bigint, ${}::bigint, ${}::text, ${}::bigint, ${}::bigint, "
          "${}::bigint, ${}::bigint)",
          leg == 0 ? "" : ", ", leg, p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
    }
  }
  sql += fmt::format(
      "), checks AS (SELECT EXISTS (SELECT 1 FROM journal WHERE id = $2::text) AS taken, "
      "EXISTS (SELECT 1 FROM journal WHERE pending_id = $8::text) AS resolved, "
      "EXISTS (SELECT 1 FROM journal WHERE reverses = $10::text) AS reversed, "
      "(SELECT count(*) FROM legs AS l WHERE (SELECT a.currency FROM accounts AS a WHERE a.id = l.account_id) = "
      "l.currency) AS fitting), "
      "entry AS (INSERT INTO journal ({}) SELECT $1::bigint, $2::text, $3::bigint, $4::text, $5::text, $6::bigint, "
      "$7::bigint, $8::text, $9::bigint, $10::text, $11::bytea, $12::bytea FROM checks "
      "WHERE NOT taken AND NOT resolved AND NOT reversed AND fitting = {} RETURNING sequence), "
      "added AS (INSERT INTO postings (sequence, {}) SELECT entry.sequence, l.* FROM entry CROSS JOIN legs AS l) "
      "SELECT taken, resolved, reversed, fitting FROM checks",
      k_journal_columns, legs, k_posting_columns);
  return sql;
}

constexpr std::string_view k_account_currency = "SELECT currency FROM accounts WHERE id = $1::text";

// The rows of the entries in `j`: each joined to its legs, one row per leg, by a lateral probe of
// postings_entry per entry (OFFSET 0 keeps the planner from flattening it into a hash join over every
// posting). Queries by entry say `sequence + 0`, the expression postings_entry indexes (see
// migrations/v1_accounts_and_ledger.inc).
std::string with_legs(std::string_view entries) {
  return fmt::format(
      "SELECT {} FROM {} AS j LEFT JOIN LATERAL (SELECT * FROM postings AS l WHERE l.sequence + 0 = j.sequence "
      "OFFSET 0) AS p ON true ORDER BY j.sequence, p.leg",
      k_entry_columns, entries);
}

const std::string k_find_entry = with_legs("(SELECT * FROM journal WHERE id = $1::text)");
const std::string k_scan_entries =
    with_legs("(SELECT * FROM journal WHERE sequence > $1::bigint ORDER BY sequence LIMIT $2::bigint)");
// An account's entries in sequence order, one index probe each: `steps` walks its postings_account keys
// from one entry to the next (min() of the next sequence, whatever number of legs an entry has on the
// account), and stops at the first entry recorded at or after `to` (recorded_at never decreases along the
// sequence). The journal row of each comes by a lateral probe. The steps come in sequence order and the
// LIMIT takes the first of them as they come: an ORDER BY there would make the planner run every step
// before the first row (the outer ORDER BY sorts only the page).
const std::string k_entries_for_account = fmt::format(
    "WITH RECURSIVE steps (sequence) AS ("
    "SELECT (SELECT min(sequence) FROM postings WHERE account_id = $1::text AND sequence > $2::bigint) "
    "UNION ALL "
    "SELECT (SELECT min(n.sequence) FROM postings AS n WHERE n.account_id = $1::text AND n.sequence > s.sequence) "
    "FROM steps AS s WHERE s.sequence IS NOT NULL AND ($4::bigint IS NULL OR "
    "(SELECT r.recorded_at FROM journal AS r WHERE r.sequence = s.sequence) < $4::bigint)) "
    "{}",
    with_legs("(SELECT e.* FROM steps AS s CROSS JOIN LATERAL (SELECT * FROM journal AS r WHERE r.sequence = "
              "s.sequence LIMIT 1) AS e WHERE ($3::bigint IS NULL OR e.recorded_at >= $3::bigint) AND "
              "($4::bigint IS NULL OR e.recorded_at < $4::bigint) LIMIT $5::bigint)"));

constexpr std::string_view k_head = "SELECT sequence, hash, recorded_at FROM journal ORDER BY sequence DESC LIMIT 1";
constexpr std::string_view k_resolution_of = "SELECT id FROM journal WHERE pending_id = $1::text";
constexpr std::string_view k_reversal_of = "SELECT id FROM journal WHERE reverses = $1::text";
// From postings_account, walked backwards from (account, sequence): the only index whose order the query can
// use (postings_entry indexes sequence + 0).
constexpr std::string_view k_balances_at =
    "SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM postings "
    "WHERE account_id = $1::text AND sequence <= $2::bigint ORDER BY sequence DESC, leg DESC LIMIT 1";
// recorded_at never decreases along the gapless sequence, so sequence_at() bisects the sequence with point
// lookups (about 20 for a million entries) in one recursive statement, instead of keeping an index on
// recorded_at, which would cost every append an insert. The answer is in [low, high]: every entry up to
// low was recorded at or before $1. The last row has low = high; a gap in the sequence ends the walk early,
// with no such row.
constexpr std::string_view k_sequence_at =
    "WITH RECURSIVE bisect (low, high) AS ("
    "SELECT 0::bigint, coalesce((SELECT max(sequence) FROM journal), 0) "
    "UNION ALL "
    "SELECT CASE WHEN j.recorded_at <= $1::bigint THEN m.middle ELSE b.low END, "
    "CASE WHEN j.recorded_at <= $1::bigint THEN b.high ELSE m.middle - 1 END "
    "FROM bisect AS b CROSS JOIN LATERAL (SELECT b.low + (b.high - b.low + 1) / 2 AS middle) AS m "
    "JOIN journal AS j ON j.sequence = m.middle WHERE b.low < b.high) "
    "SELECT low FROM bisect WHERE low >= high";
constexpr std::string_view k_expired_holds =
    "SELECT e.id FROM journal AS e WHERE e.expires_at <= $1::bigint AND e.kind = 1 "
    "AND NOT EXISTS (SELECT 1 FROM journal AS r WHERE r.pending_id = e.id) ORDER BY e.sequence LIMIT $2::bigint";
constexpr std::string_view k_count_expired_holds =
    "SELECT count(*) FROM journal AS e WHERE e.expires_at <= $1::bigint AND e.kind = 1 "
    "AND NOT EXISTS (SELECT 1 FROM journal AS r WHERE r.pending_id = e.id)";

// What the SQLite adapter's CHECKs on the journal refuse, and the PostgreSQL schema leaves to this check
// (a table CHECK costs an append as much as its row; see migrations/v1_accounts_and_ledger.inc): a
// resolution names its hold, a reversal its entry, neither names itself, and only a hold expires.
void check_links(const Entry& entry) {
  const bool resolves = entry.kind == EntryKind::post_pending || entry.kind == EntryKind::void_pending;
  if (entry.pending_id.has_value() != resolves || entry.reverses.has_value() != (entry.kind == EntryKind::reversal) ||
      (entry.expires_at && entry.kind != EntryKind::pending) || (entry.pending_id && *entry.pending_id == entry.id) ||
      (entry.reverses && *entry.reverses == entry.id)) {
    throw InvariantViolation("kind", fmt::format("entry '{}' of kind {} names a hold, a reversed entry or an expiry "
                                                 "that its kind does not have",
                                                 entry.id.str(), to_string(entry.kind)));
  }
}

// The journal columns of the current row, without postings.
Entry read_entry_row(const Statement& row) {
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
  return entry;
}

// The posting columns of the current row, as the entry's next leg.
void read_leg(const Statement& row, Entry& entry, CurrencyLookup& currencies) {
  if (row.int64(col(Column::leg)) != static_cast<std::int64_t>(entry.postings.size())) {
    throw_corrupt("postings", fmt::format("the legs of entry {} are not numbered 0, 1, 2 ...", entry.sequence));
  }
  const Side side = load_enum<Side>(row.int64(col(Column::side)), 1, "posting side");
  const std::int64_t amount = load_minor(row.int64(col(Column::amount_minor)), 1, "posting amount");
  entry.postings.push_back(
      Posting{.account = load_id<AccountId>(row.text(col(Column::account_id)), "posting account id"),
              .side = side,
              .amount = Money::from_minor(amount, currencies(row.text(col(Column::currency))))});
  entry.balances_after.push_back(read_balances(row, col(Column::debits_posted)));
}

// Steps a load to the end: rows in (sequence, leg) order, one entry per sequence. An entry without
// postings comes as one row whose posting columns are NULL.
std::vector<Entry> read_entries(Statement& rows, std::string_view operation) {
  std::vector<Entry> out;
  CurrencyLookup currencies;
  while (rows.step(operation)) {
    const auto sequence = static_cast<std::uint64_t>(rows.int64(col(Column::sequence)));
    if (out.empty() || out.back().sequence != sequence) out.push_back(read_entry_row(rows));
    if (!rows.is_null(col(Column::leg))) read_leg(rows, out.back(), currencies);
  }
  return out;
}

}  // namespace

Connection& Ledger::reader() {
  session_.lock_ledger();
  return session_.read();
}

const ChainHead& Ledger::cached_head() {
  if (!head_) {
    StatementLease query = reader().statement(k_head);
    head_ = query->step("read the chain head")
                ? ChainHead{static_cast<std::uint64_t>(query->int64(0)), load_hash(query->blob(1), "hash"),
                            load_time(query->int64(2))}
                : ChainHead{};
  }
  return *head_;
}

void Ledger::append(Entry entry) {
  Connection& connection = session_.write();
  session_.lock_ledger();
  integrity::check_appendable(entry, cached_head().sequence);
  check_links(entry);
  std::string& metadata = connection.scratch();
  encode_metadata(entry.metadata, metadata);
  StatementLease statement = connection.statement(append_sql(entry.postings.size()));
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
  for (std::size_t leg = 0; leg < entry.postings.size(); ++leg) {
    const Posting& posting = entry.postings[leg];
    statement->bind(leg_param(leg, Column::account_id), posting.account.str());
    statement->bind(leg_param(leg, Column::side), static_cast<std::int64_t>(posting.side));
    statement->bind(leg_param(leg, Column::amount_minor), posting.amount.minor());
    statement->bind(leg_param(leg, Column::currency), posting.amount.currency().code());
    bind_balances(*statement, leg_param(leg, Column::debits_posted), entry.balances_after[leg]);
  }
  if (!statement->step("append an entry")) throw StorageError("", "append an entry: the statement returned no row");
  const bool taken = statement->text(0) == "t";
  const bool resolved = statement->text(1) == "t";
  const bool reversed = statement->text(2) == "t";
  const bool fitting = statement->int64(3) == static_cast<std::int64_t>(entry.postings.size());
  if (taken || resolved || reversed || !fitting) refuse(connection, entry, taken, resolved, reversed);
  head_ = ChainHead{entry.sequence, entry.hash, entry.recorded_at};
}

void Ledger::refuse(Connection& connection, const Entry& entry, bool taken, bool resolved, bool reversed) {
  for (const Posting& posting : entry.postings) {
    StatementLease query = connection.statement(k_account_currency);
    query->bind(1, posting.account.str());
    if (!query->step("find a posting's account")) integrity::missing_account(posting.account);
    integrity::check_posting_currency(posting, query->text(0));
  }
  if (taken) integrity::duplicate_entry(entry.id);
  if (resolved) integrity::already_linked(*entry.pending_id);
  if (reversed) integrity::already_linked(*entry.reverses);
  throw InvariantViolation("account_id",
                           fmt::format("the accounts of entry '{}' changed while it was appended", entry.id.str()));
}

std::optional<Entry> Ledger::find(const EntryId& id) {
  StatementLease query = reader().statement(k_find_entry);
  query->bind(1, id.str());
  std::vector<Entry> found = read_entries(*query, "find an entry");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

ChainHead Ledger::head() { return cached_head(); }

std::optional<EntryId> Ledger::entry_id_where(std::string_view sql, const EntryId& id) {
  StatementLease query = reader().statement(sql);
  query->bind(1, id.str());
  if (!query->step("look up an entry")) return std::nullopt;
  return load_id<EntryId>(query->text(0), "entry id");
}

std::optional<EntryId> Ledger::resolution_of(const EntryId& pending_id) {
  return entry_id_where(k_resolution_of, pending_id);
}

std::optional<EntryId> Ledger::reversal_of(const EntryId& id) { return entry_id_where(k_reversal_of, id); }

std::vector<Entry> Ledger::scan(std::uint64_t after_sequence, std::size_t limit) {
  StatementLease query = reader().statement(k_scan_entries);
  query->bind(1, clamp_to_int64(after_sequence));
  query->bind(2, clamp_to_int64(limit));
  return read_entries(*query, "scan entries");
}

std::vector<Entry> Ledger::for_account(const AccountId& account, std::uint64_t after_sequence,
                                       std::optional<Timestamp> from, std::optional<Timestamp> to, std::size_t limit) {
  StatementLease query = reader().statement(k_entries_for_account);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(after_sequence));
  if (from) query->bind(3, from->unix_micros());
  if (to) query->bind(4, to->unix_micros());
  query->bind(5, clamp_to_int64(limit));
  return read_entries(*query, "list an account's entries");
}

Balances Ledger::balances_at(const AccountId& account, std::uint64_t sequence) {
  StatementLease query = reader().statement(k_balances_at);
  query->bind(1, account.str());
  query->bind(2, clamp_to_int64(sequence));
  if (query->step("read balances as of a sequence")) return read_balances(*query, 0);
  return {};
}

std::uint64_t Ledger::sequence_at(Timestamp when) {
  StatementLease query = reader().statement(k_sequence_at);
  query->bind(1, when.unix_micros());
  if (!query->step("find the sequence at a time")) throw_corrupt("journal", "the sequence has a gap");
  return static_cast<std::uint64_t>(query->int64(0));
}

std::vector<EntryId> Ledger::expired_holds(Timestamp when, std::size_t limit) {
  StatementLease query = reader().statement(k_expired_holds);
  query->bind(1, when.unix_micros());
  query->bind(2, clamp_to_int64(limit));
  std::vector<EntryId> out;
  while (query->step("find expired holds")) out.push_back(load_id<EntryId>(query->text(0), "entry id"));
  return out;
}

std::uint64_t Ledger::count_expired_holds(Timestamp when) {
  StatementLease query = reader().statement(k_count_expired_holds);
  query->bind(1, when.unix_micros());
  const std::int64_t count = query->step("count expired holds") ? query->int64(0) : 0;
  return static_cast<std::uint64_t>(std::max<std::int64_t>(count, 0));
}

}  // namespace billing::detail::postgres
