#include "invoices.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>

#include "../conflict.hpp"
#include "../integrity.hpp"
#include "../invoice_tiers.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of each table, in the order every statement here names them.
#define BILLING_INVOICE_COLUMNS(X)                                                                            \
  X(id)                                                                                                       \
  X(number)                                                                                                   \
  X(account_id)                                                                                               \
  X(subscription_id) X(currency) X(currency_places) X(period_start) X(period_end) X(status) X(subtotal_minor) \
      X(tax_rate) X(tax_minor) X(total_minor) X(posted_entry) X(settled_entry) X(voided_entry) X(version)     \
          X(created_at) X(finalized_at) X(closed_at)
#define BILLING_SQL_QUOTED(name) #name,
enum class Column : int { BILLING_INVOICE_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_INVOICE_COLUMNS(BILLING_SQL_NAME))};
constexpr std::array k_column_names{BILLING_INVOICE_COLUMNS(BILLING_SQL_QUOTED)};
#undef BILLING_INVOICE_COLUMNS

#define BILLING_LINE_COLUMNS(X) \
  X(invoice_id)                 \
  X(position)                   \
  X(kind) X(description) X(period_start) X(period_end) X(quantity) X(unit_price) X(amount_minor) X(meter) X(tiers)
enum class LineColumn : int { BILLING_LINE_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_line_columns{column_list(BILLING_LINE_COLUMNS(BILLING_SQL_NAME))};
constexpr std::array k_line_column_names{BILLING_LINE_COLUMNS(BILLING_SQL_QUOTED)};
#undef BILLING_LINE_COLUMNS
#undef BILLING_SQL_QUOTED

// Parameters are numbered as the columns, from 1.
template <class C>
int param(C column) noexcept {
  return col(column) + 1;
}

bool is_text(Column column) {
  switch (column) {
    case Column::id:
    case Column::account_id:
    case Column::subscription_id:
    case Column::currency:
    case Column::tax_rate:
    case Column::posted_entry:
    case Column::settled_entry:
    case Column::voided_entry: return true;
    default: return false;
  }
}

bool is_text(LineColumn column) {
  switch (column) {
    case LineColumn::invoice_id:
    case LineColumn::description:
    case LineColumn::quantity:
    case LineColumn::unit_price:
    case LineColumn::meter:
    case LineColumn::tiers: return true;
    default: return false;
  }
}

std::string_view type_of(bool text) { return text ? "text" : "bigint"; }

// "$n::text" or "$n::bigint": the parameter of `column`, with the type PostgreSQL is to read it as.
std::string typed(Column column) { return fmt::format("${}::{}", param(column), type_of(is_text(column))); }

// The columns that never change (the invoices_keep_identity trigger's): an update matches them instead of setting
// them. The id is the key it matches first.
constexpr Column k_identity[] = {Column::account_id,      Column::subscription_id, Column::currency,
                                 Column::currency_places, Column::period_start,    Column::period_end,
                                 Column::created_at};

bool is_identity(Column column) {
  return std::find(std::begin(k_identity), std::end(k_identity), column) != std::end(k_identity);
}

// INSERT ... SELECT <every column> when its account and its subscription (if any) are stored; a taken id or
// (subscription, period start) inserts nothing (ON CONFLICT DO NOTHING: the primary key and
// invoices_one_per_period). No row changes when it is refused; insert() then says why.
std::string insert_sql() {
  std::string values;
  for (std::size_t i = 0; i < k_column_names.size(); ++i) {
    values += fmt::format("{}{}", i == 0 ? "" : ", ", typed(static_cast<Column>(i)));
  }
  return fmt::format(
      "INSERT INTO invoices ({0}) SELECT {1} WHERE EXISTS (SELECT 1 FROM accounts WHERE id = {2}) "
      "AND ({3} IS NULL OR EXISTS (SELECT 1 FROM subscriptions WHERE id = {3})) ON CONFLICT DO NOTHING",
      k_columns, values, typed(Column::account_id), typed(Column::subscription_id));
}

// UPDATE invoices SET <every other column> WHERE the row is at the version before and holds the identity the
// caller holds. update() has checked the stored row against the rules already; the WHERE and the triggers are the
// second line.
std::string update_sql() {
  std::string set;
  std::string where = fmt::format("id = {} AND version = {} - 1", typed(Column::id), typed(Column::version));
  for (std::size_t i = 0; i < k_column_names.size(); ++i) {
    const auto column = static_cast<Column>(i);
    if (column == Column::id) continue;
    const std::string_view name = k_column_names[i];
    if (is_identity(column)) {
      where += fmt::format(" AND {} IS NOT DISTINCT FROM {}", name, typed(column));
    } else {
      set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", name, typed(column));
    }
  }
  return fmt::format("UPDATE invoices SET {} WHERE {}", set, where);
}

// The invoice columns then a line's (NULL when it has none), ordered by invoice then position: an invoice and its
// lines in one statement, so one snapshot.
std::string joined_columns() {
  std::string out;
  for (const char* name : k_column_names) out += fmt::format("{}i.{}", out.empty() ? "" : ", ", name);
  for (const char* name : k_line_column_names) out += fmt::format(", l.{}", name);
  return out;
}
const std::string k_joined_columns = joined_columns();
const std::string k_joined_lines = " LEFT JOIN invoice_lines l ON l.invoice_id = i.id ";

const std::string k_insert = insert_sql();
const std::string k_find =
    "SELECT " + k_joined_columns + " FROM invoices i" + k_joined_lines + "WHERE i.id = $1::text ORDER BY l.position";
// The partial unique index is the key of a (subscription, period start); subscription_id = $1 implies its WHERE.
const std::string k_find_for_period = "SELECT " + k_joined_columns + " FROM invoices i" + k_joined_lines +
                                      "WHERE i.subscription_id = $1::text AND i.period_start = $2::bigint "
                                      "ORDER BY l.position";
// In a write transaction: the row, locked (the lock an UPDATE takes, which lets other transactions' foreign keys to
// it go on), then its lines in a statement of their own, whose snapshot is taken once the lock is held.
const std::string k_find_locked = "SELECT " + k_columns + " FROM invoices WHERE id = $1::text FOR NO KEY UPDATE";
const std::string k_lines =
    "SELECT " + k_line_columns + " FROM invoice_lines WHERE invoice_id = $1::text ORDER BY position";
const std::string k_update = update_sql();
constexpr std::string_view k_taken =
    "SELECT EXISTS (SELECT 1 FROM invoices WHERE id = $1::text), "
    "EXISTS (SELECT 1 FROM invoices WHERE subscription_id = $2::text AND period_start = $3::bigint)";
constexpr std::string_view k_references =
    "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1::text), "
    "$2::text IS NULL OR EXISTS (SELECT 1 FROM subscriptions WHERE id = $2::text)";
constexpr std::string_view k_last_number = "SELECT coalesce(max(number), 0) FROM invoices";
// The OPEN status as the WHERE of the partial index invoices_open says it, word for word (see due() in
// subscriptions.cpp: a bound parameter would not imply the index's WHERE).
static_assert(static_cast<int>(InvoiceStatus::open) == 1);
constexpr std::string_view k_count_open =
    "SELECT count(*) FROM invoices WHERE status = 1 AND finalized_at < $1::bigint";
constexpr std::string_view k_delete_lines = "DELETE FROM invoice_lines WHERE invoice_id = $1::text";

// One listing per filter, each served by an index (the key, by_account, by_status): the page of invoices first,
// then the lines of each by the lines' key (LATERAL, and OFFSET 0 so that the planner does not flatten it into a
// join: a generic plan, which does not know the limit, would then hash the whole table of lines). $1 is the cursor,
// $2 the limit, then the account and the status, as the filter has them.
std::string list_sql(std::string_view filter) {
  return fmt::format(
      "SELECT {} FROM (SELECT {} FROM invoices WHERE {}id > $1::text ORDER BY id LIMIT $2::bigint) i "
      "LEFT JOIN LATERAL (SELECT {} FROM invoice_lines WHERE invoice_id = i.id OFFSET 0) l ON true "
      "ORDER BY i.id, l.position",
      k_joined_columns, k_columns, filter, k_line_columns);
}
const std::string k_list_all = list_sql("");
const std::string k_list_status = list_sql("status = $3::bigint AND ");
const std::string k_list_account = list_sql("account_id = $3::text AND ");
const std::string k_list_both = list_sql("account_id = $3::text AND status = $4::bigint AND ");

// The lines of an invoice in INSERTs of up to k_lines_per_insert rows each: $1 the invoice, then each line's other
// columns. libpq refuses a statement description of more than 30,000 bytes, 4 a parameter: so at most some 7,000
// parameters a statement, and k_max_invoice_lines (1000) lines take two.
constexpr std::size_t k_lines_per_insert = 500;
constexpr int k_line_params = static_cast<int>(k_line_column_names.size()) - 1;
int line_param(std::size_t line, LineColumn column) { return 1 + static_cast<int>(line) * k_line_params + col(column); }
std::string insert_lines_sql(std::size_t count) {
  std::string out = "INSERT INTO invoice_lines (" + k_line_columns + ") VALUES ";
  for (std::size_t line = 0; line < count; ++line) {
    out += line == 0 ? "($1::text" : ", ($1::text";
    for (std::size_t i = 1; i < k_line_column_names.size(); ++i) {
      const auto column = static_cast<LineColumn>(i);
      out += fmt::format(", ${}::{}", line_param(line, column), type_of(is_text(column)));
    }
    out += ')';
  }
  return out;
}

constexpr std::int64_t k_max_status = std::size(k_invoice_statuses) - 1;
constexpr std::int64_t k_max_line_kind = static_cast<std::int64_t>(InvoiceLineKind::tax);
constexpr std::int64_t k_min_minor = -std::numeric_limits<std::int64_t>::max();

std::optional<Timestamp> optional_time(const Statement& row, int column, std::string_view what) {
  if (row.is_null(column)) return std::nullopt;
  return load_time(row.int64(column), what);
}

std::optional<Decimal> optional_decimal(const Statement& row, int column, std::string_view what) {
  if (row.is_null(column)) return std::nullopt;
  return load_decimal(row.text(column), what);
}

std::optional<EntryId> optional_entry(const Statement& row, Column column, std::string_view what) {
  if (row.is_null(col(column))) return std::nullopt;
  return load_id<EntryId>(row.text(col(column)), what);
}


// ------------------------------------------------------------------------------------------ rows

Invoice read_invoice(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency = currencies(row.text(col(Column::currency)), row.int64(col(Column::currency_places)));
  const auto time = [&](Column column, std::string_view what) { return load_time(row.int64(col(column)), what); };
  const auto money = [&](Column column, std::string_view what) {
    return Money::from_minor(load_minor(row.int64(col(column)), k_min_minor, what), currency);
  };
  std::optional<std::uint64_t> number;
  if (!row.is_null(col(Column::number))) {
    number = static_cast<std::uint64_t>(load_minor(row.int64(col(Column::number)), 1, "invoice number"));
  }
  std::optional<SubscriptionId> subscription;
  if (!row.is_null(col(Column::subscription_id))) {
    subscription = load_id<SubscriptionId>(row.text(col(Column::subscription_id)), "invoice subscription id");
  }
  return Invoice{
      .id = load_id<InvoiceId>(row.text(col(Column::id)), "invoice id"),
      .number = number,
      .account_id = load_id<AccountId>(row.text(col(Column::account_id)), "invoice account id"),
      .subscription_id = subscription,
      .currency = currency,
      .period_start = time(Column::period_start, "invoice period_start"),
      .period_end = time(Column::period_end, "invoice period_end"),
      .status = load_enum<InvoiceStatus>(row.int64(col(Column::status)), k_max_status, "invoice status"),
      .lines = {},
      .subtotal = money(Column::subtotal_minor, "invoice subtotal"),
      .tax_rate = optional_decimal(row, col(Column::tax_rate), "invoice tax_rate"),
      .tax = money(Column::tax_minor, "invoice tax"),
      .total = money(Column::total_minor, "invoice total"),
      .posted_entry = optional_entry(row, Column::posted_entry, "invoice posted_entry"),
      .settled_entry = optional_entry(row, Column::settled_entry, "invoice settled_entry"),
      .voided_entry = optional_entry(row, Column::voided_entry, "invoice voided_entry"),
      .version = static_cast<std::uint64_t>(load_minor(row.int64(col(Column::version)), 1, "invoice version")),
      .created_at = time(Column::created_at, "invoice created_at"),
      .finalized_at = optional_time(row, col(Column::finalized_at), "invoice finalized_at"),
      .closed_at = optional_time(row, col(Column::closed_at), "invoice closed_at"),
  };
}

// The line in the columns from `first` on, in LineColumn's order.
InvoiceLine read_line(const Statement& row, int first, Currency currency) {
  using L = LineColumn;
  const auto at = [&](L column) { return first + col(column); };
  return InvoiceLine{
      .kind = load_enum<InvoiceLineKind>(row.int64(at(L::kind)), k_max_line_kind, "invoice line kind"),
      .description = std::string(row.text(at(L::description))),
      .period_start = load_time(row.int64(at(L::period_start)), "invoice line period_start"),
      .period_end = load_time(row.int64(at(L::period_end)), "invoice line period_end"),
      .quantity = load_decimal(row.text(at(L::quantity)), "invoice line quantity"),
      .unit_price = optional_decimal(row, at(L::unit_price), "invoice line unit_price"),
      .amount =
          Money::from_minor(load_minor(row.int64(at(L::amount_minor)), k_min_minor, "invoice line amount"), currency),
      .meter = std::string(row.text(at(L::meter))),
      .tiers = decode_tiers(row.text(at(L::tiers)), currency, "invoice line tiers"),
  };
}

template <class C, class T, class Bind>
void bind_optional(Statement& statement, C column, const std::optional<T>& value, Bind bind) {
  if (value) {
    bind(param(column), *value);
  } else {
    statement.bind_null(param(column));
  }
}

// Binds every column of `invoice`. The tax rate's text is written into `tax_rate`, which the caller keeps until
// the statement has run; the other texts are the invoice's own.
void bind_invoice(Statement& statement, const Invoice& invoice, std::string& tax_rate) {
  const auto bind_time = [&](int index, Timestamp time) { statement.bind(index, time.unix_micros()); };
  const auto bind_text = [&](int index, const auto& id) { statement.bind(index, std::string_view(id.str())); };
  statement.bind(param(Column::id), invoice.id.str());
  bind_optional(statement, Column::number, invoice.number,
                [&](int index, std::uint64_t number) { statement.bind(index, clamp_to_int64(number)); });
  statement.bind(param(Column::account_id), invoice.account_id.str());
  bind_optional(statement, Column::subscription_id, invoice.subscription_id, bind_text);
  statement.bind(param(Column::currency), invoice.currency.code());
  statement.bind(param(Column::currency_places), std::int64_t{invoice.currency.minor_units()});
  statement.bind(param(Column::period_start), invoice.period_start.unix_micros());
  statement.bind(param(Column::period_end), invoice.period_end.unix_micros());
  statement.bind(param(Column::status), static_cast<std::int64_t>(invoice.status));
  statement.bind(param(Column::subtotal_minor), invoice.subtotal.minor());
  if (invoice.tax_rate) {
    tax_rate = invoice.tax_rate->to_string();
    statement.bind(param(Column::tax_rate), tax_rate);
  } else {
    statement.bind_null(param(Column::tax_rate));
  }
  statement.bind(param(Column::tax_minor), invoice.tax.minor());
  statement.bind(param(Column::total_minor), invoice.total.minor());
  bind_optional(statement, Column::posted_entry, invoice.posted_entry, bind_text);
  bind_optional(statement, Column::settled_entry, invoice.settled_entry, bind_text);
  bind_optional(statement, Column::voided_entry, invoice.voided_entry, bind_text);
  statement.bind(param(Column::version), clamp_to_int64(invoice.version));
  statement.bind(param(Column::created_at), invoice.created_at.unix_micros());
  bind_optional(statement, Column::finalized_at, invoice.finalized_at, bind_time);
  bind_optional(statement, Column::closed_at, invoice.closed_at, bind_time);
}

}  // namespace


std::vector<std::string> invoice_reads_for_testing() {
  return {k_find_for_period,
          k_list_all,
          k_list_account,
          k_list_status,
          k_list_both,
          k_find,
          k_update,
          k_lines,
          std::string(k_last_number),
          std::string(k_count_open)};
}

std::vector<Invoice> Invoices::read_joined(Statement& query, std::string_view operation) {
  constexpr int k_first_line = static_cast<int>(k_column_names.size());
  std::vector<Invoice> out;
  CurrencyLookup currencies;
  while (query.step(operation)) {
    if (out.empty() || out.back().id.str() != query.text(col(Column::id))) {
      out.push_back(read_invoice(query, currencies));
    }
    if (query.is_null(k_first_line + col(LineColumn::position))) continue;  // an invoice without lines
    out.back().lines.push_back(read_line(query, k_first_line, out.back().currency));
  }
  return out;
}

std::optional<InvoiceInsert> Invoices::taken(const Invoice& invoice) {
  StatementLease query = session_.read().statement(k_taken);
  query->bind(1, invoice.id.str());
  if (invoice.subscription_id) {
    query->bind(2, invoice.subscription_id->str());
  } else {
    query->bind_null(2);
  }
  query->bind(3, invoice.period_start.unix_micros());
  if (!query->step("find an invoice's keys")) return std::nullopt;
  if (query->text(0) == "t") return InvoiceInsert::id_taken;
  if (query->text(1) == "t") return InvoiceInsert::period_taken;
  return std::nullopt;
}

void Invoices::name_missing_reference(const Invoice& invoice) {
  StatementLease query = session_.read().statement(k_references);
  query->bind(1, invoice.account_id.str());
  if (invoice.subscription_id) {
    query->bind(2, invoice.subscription_id->str());
  } else {
    query->bind_null(2);
  }
  if (!query->step("find what an invoice names")) return;
  if (query->text(0) != "t") integrity::missing_account(invoice.account_id);
  if (query->text(1) != "t") integrity::missing_subscription(*invoice.subscription_id);
}

void Invoices::insert_lines(const InvoiceId& id, const std::vector<InvoiceLine>& lines) {
  using L = LineColumn;
  Connection& connection = session_.write();
  // The texts bound outlive each statement's run (declared before its lease, so released after it), reserved for
  // the statement's lines so that none moves while others are bound.
  std::vector<std::string> texts;
  for (std::size_t first = 0; first < lines.size(); first += k_lines_per_insert) {
    const std::size_t count = std::min(k_lines_per_insert, lines.size() - first);
    texts.clear();
    texts.reserve(count * 3);
    StatementLease statement = connection.statement(insert_lines_sql(count));
    statement->bind(1, id.str());
    for (std::size_t i = 0; i < count; ++i) {
      const InvoiceLine& line = lines[first + i];
      const auto at = [&](L column) { return line_param(i, column); };
      statement->bind(at(L::position), static_cast<std::int64_t>(first + i));
      statement->bind(at(L::kind), static_cast<std::int64_t>(line.kind));
      statement->bind(at(L::description), line.description);
      statement->bind(at(L::period_start), line.period_start.unix_micros());
      statement->bind(at(L::period_end), line.period_end.unix_micros());
      statement->bind(at(L::quantity), texts.emplace_back(line.quantity.to_string()));
      if (line.unit_price) {
        statement->bind(at(L::unit_price), texts.emplace_back(line.unit_price->to_string()));
      } else {
        statement->bind_null(at(L::unit_price));
      }
      statement->bind(at(L::amount_minor), line.amount.minor());
      statement->bind(at(L::meter), line.meter);
      std::string& tiers = texts.emplace_back();
      encode_tiers(line.tiers, tiers);
      statement->bind(at(L::tiers), tiers);
    }
    statement->run("insert an invoice's lines");
  }
}

InvoiceInsert Invoices::insert(const Invoice& invoice) {
  Connection& connection = session_.write();
  integrity::check_new_invoice(invoice);
  std::int64_t inserted = 0;
  {
    std::string tax_rate;
    StatementLease statement = connection.statement(k_insert);
    bind_invoice(*statement, invoice, tax_rate);
    inserted = statement->run("insert an invoice");
  }
  if (inserted != 1) {
    // Nothing stored: one of its keys is taken, or what it names is not stored. Say which, as the memory adapter
    // would (a taken key first, whatever the row names).
    if (const std::optional<InvoiceInsert> refused = taken(invoice)) return *refused;
    name_missing_reference(invoice);
    // A key was taken by a writer that committed after the INSERT looked and that the look above missed: only a
    // row removed in between (never) would get here. Run the unit again.
    throw Conflict("", fmt::format("invoice '{}' was neither inserted nor found", invoice.id.str()));
  }
  if (!invoice.lines.empty()) {
    try {
      insert_lines(invoice.id, invoice.lines);
    } catch (...) {
      session_.mark_broken();  // the row is in without its lines: this transaction must not commit
      throw;
    }
  }
  held_ = invoice;  // inserted by this transaction: no other sees it, let alone changes it
  return InvoiceInsert::inserted;
}

std::optional<Invoice> Invoices::find_locked(const InvoiceId& id) {
  Connection& connection = session_.write();
  std::optional<Invoice> found;
  {
    StatementLease query = connection.statement(k_find_locked);
    query->bind(1, id.str());
    if (!query->step("find an invoice")) return std::nullopt;
    CurrencyLookup currencies;
    found = read_invoice(*query, currencies);
  }
  StatementLease lines = connection.statement(k_lines);
  lines->bind(1, id.str());
  while (lines->step("read an invoice's lines")) found->lines.push_back(read_line(*lines, 0, found->currency));
  held_ = found;
  return found;
}

std::optional<Invoice> Invoices::find(const InvoiceId& id) {
  Connection& connection = session_.read();
  if (session_.writing()) {
    if (held_ && held_->id == id) return held_;
    return find_locked(id);
  }
  StatementLease query = connection.statement(k_find);
  query->bind(1, id.str());
  std::vector<Invoice> found = read_joined(*query, "find an invoice");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<Invoice> Invoices::find_for_period(const SubscriptionId& subscription, Timestamp period_start) {
  StatementLease query = session_.read().statement(k_find_for_period);
  query->bind(1, subscription.str());
  query->bind(2, period_start.unix_micros());
  std::vector<Invoice> found = read_joined(*query, "find the invoice of a period");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

bool Invoices::update(const Invoice& next) {
  Connection& connection = session_.write();
  integrity::check_invoice(next);
  if (!held_ || held_->id != next.id) (void)find_locked(next.id);  // holds it from here on, when it is stored
  if (!held_ || held_->id != next.id || held_->version + 1 != next.version) return false;
  const Invoice& stored = *held_;
  // The highest number matters only to an invoice that gets its number now; only then is the numbering locked.
  const bool numbered = !stored.number && next.number;
  integrity::check_invoice_update(stored, next, numbered ? last_number() : 0);
  // Lines first: they may change only while the stored row is a DRAFT, and the row's move out of DRAFT checks
  // that they sum to its totals.
  const bool rewrite = !integrity::same_invoice_lines(stored.lines, next.lines);
  try {
    if (rewrite) {
      {
        StatementLease statement = connection.statement(k_delete_lines);
        statement->bind(1, next.id.str());
        statement->run("remove a draft invoice's lines");
      }
      if (!next.lines.empty()) insert_lines(next.id, next.lines);
    }
    std::string tax_rate;
    StatementLease statement = connection.statement(k_update);
    bind_invoice(*statement, next, tax_rate);
    const std::int64_t changed = statement->run("update an invoice");
    BILLING_ASSERT(changed == 1);  // held at this version and identity by this transaction
  } catch (...) {
    held_.reset();
    if (rewrite) session_.mark_broken();  // the lines may have changed without the row
    throw;
  }
  if (numbered) last_number_ = *next.number;
  held_ = next;
  return true;
}

std::uint64_t Invoices::last_number() {
  Connection& connection = session_.read();
  if (session_.writing()) {
    if (last_number_) return *last_number_;
    // Before the read: a writer that numbers an invoice holds the lock until it commits, so what this reads is
    // the highest number, and stays so until this transaction ends.
    session_.lock_key("invoices", "number");
  }
  StatementLease query = connection.statement(k_last_number);
  const std::int64_t last = query->step("read the last invoice number") ? query->int64(0) : 0;
  const auto number = static_cast<std::uint64_t>(load_minor(last, 0, "invoice number"));
  if (session_.writing()) last_number_ = number;
  return number;
}

std::vector<Invoice> Invoices::list(const InvoiceFilter& filter, const std::string& after, std::size_t limit) {
  const std::string& sql =
      filter.account_id ? (filter.status ? k_list_both : k_list_account) : (filter.status ? k_list_status : k_list_all);
  StatementLease query = session_.read().statement(sql);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  int next = 3;
  if (filter.account_id) query->bind(next++, filter.account_id->str());
  if (filter.status) query->bind(next, static_cast<std::int64_t>(*filter.status));
  return read_joined(*query, "list invoices");
}

std::uint64_t Invoices::count_open_finalized_before(Timestamp before) {
  StatementLease query = session_.read().statement(k_count_open);
  query->bind(1, before.unix_micros());
  const std::int64_t count = query->step("count overdue invoices") ? query->int64(0) : 0;
  return static_cast<std::uint64_t>(load_minor(count, 0, "invoice count"));
}

}  // namespace billing::detail::postgres
