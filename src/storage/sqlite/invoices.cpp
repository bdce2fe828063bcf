#include "invoices.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>

#include "../integrity.hpp"
#include "../invoice_tiers.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of each table, in the order every statement here names them.
#define BILLING_INVOICE_COLUMNS(X)                                                                               \
  X(id)                                                                                                          \
  X(number)                                                                                                      \
  X(account_id) X(subscription_id) X(currency) X(currency_places) X(period_start) X(period_end) X(status)        \
      X(subtotal_minor) X(tax_rate) X(tax_minor) X(total_minor) X(posted_entry) X(settled_entry) X(voided_entry) \
          X(version) X(created_at) X(finalized_at) X(closed_at)
#define BILLING_SQL_QUOTED(name) #name,
enum class Column : int { BILLING_INVOICE_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_INVOICE_COLUMNS(BILLING_SQL_NAME))};
constexpr std::array k_column_names{BILLING_INVOICE_COLUMNS(BILLING_SQL_QUOTED)};
#undef BILLING_INVOICE_COLUMNS

#define BILLING_LINE_COLUMNS(X)                                                                                       \
  X(invoice_id)                                                                                                       \
  X(position) X(kind) X(description) X(period_start) X(period_end) X(quantity) X(unit_price) X(amount_minor) X(meter) \
      X(tiers)
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

// The columns that never change (the invoices_keep_identity trigger's): an update matches them instead of setting
// them. The id is the key it matches first.
constexpr Column k_identity[] = {Column::account_id,      Column::subscription_id, Column::currency,
                                 Column::currency_places, Column::period_start,    Column::period_end,
                                 Column::created_at};

bool is_identity(Column column) {
  return std::find(std::begin(k_identity), std::end(k_identity), column) != std::end(k_identity);
}

// "?1, ?2, ... ?n".
std::string params(std::size_t n) {
  std::string out;
  for (std::size_t i = 1; i <= n; ++i) out += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
  return out;
}

// UPDATE invoices SET <every other column> WHERE the row is at the version before and holds the identity the
// caller holds. update() has checked the stored row against the rules already; the WHERE and the triggers are the
// second line.
std::string update_sql() {
  std::string set;
  std::string where = fmt::format("id = ?{} AND version = ?{} - 1", param(Column::id), param(Column::version));
  for (std::size_t i = 0; i < k_column_names.size(); ++i) {
    const auto column = static_cast<Column>(i);
    if (column == Column::id) continue;
    const std::string_view name = k_column_names[i];
    if (is_identity(column)) {
      where += fmt::format(" AND {} IS ?{}", name, param(column));
    } else {
      set += fmt::format("{}{} = ?{}", set.empty() ? "" : ", ", name, param(column));
    }
  }
  return fmt::format("UPDATE invoices SET {} WHERE {}", set, where);
}

const std::string k_insert = "INSERT INTO invoices (" + k_columns + ") VALUES (" + params(k_column_names.size()) + ")";
const std::string k_select = "SELECT " + k_columns + " FROM invoices ";
const std::string k_find = k_select + "WHERE id = ?1";
// The partial unique index is the key of a (subscription, period start); subscription_id = ?1 implies its WHERE.
const std::string k_find_for_period =
    k_select + "INDEXED BY invoices_one_per_period WHERE subscription_id = ?1 AND period_start = ?2";
const std::string k_update = update_sql();
constexpr std::string_view k_id_taken = "SELECT 1 FROM invoices WHERE id = ?1";
constexpr std::string_view k_period_taken =
    "SELECT 1 FROM invoices INDEXED BY invoices_one_per_period WHERE subscription_id = ?1 AND period_start = ?2";
constexpr std::string_view k_account_exists = "SELECT 1 FROM accounts WHERE id = ?1";
constexpr std::string_view k_subscription_exists = "SELECT 1 FROM subscriptions WHERE id = ?1";
constexpr std::string_view k_last_number = "SELECT coalesce(max(number), 0) FROM invoices";
// The OPEN status as the WHERE of the partial index invoices_open says it, word for word (see due() in
// subscriptions.cpp: a bound parameter would not imply the index's WHERE).
static_assert(static_cast<int>(InvoiceStatus::open) == 1);
constexpr std::string_view k_count_open =
    "SELECT count(*) FROM invoices INDEXED BY invoices_open WHERE status = 1 AND finalized_at < ?1";

// One listing per filter, each served by an index, named (INDEXED BY) as subscriptions do. ?1 is the cursor, ?2
// the limit, ?3 the status, ?4 the account.
constexpr std::string_view k_list_suffix = "id > ?1 ORDER BY id LIMIT ?2";
const std::string k_list_all = k_select + "WHERE " + std::string(k_list_suffix);
const std::string k_list_status =
    k_select + "INDEXED BY invoices_by_status WHERE status = ?3 AND " + std::string(k_list_suffix);
const std::string k_list_account =
    k_select + "INDEXED BY invoices_by_account WHERE account_id = ?4 AND " + std::string(k_list_suffix);
const std::string k_list_both =
    k_select + "INDEXED BY invoices_by_account WHERE account_id = ?4 AND status = ?3 AND " + std::string(k_list_suffix);

const std::string k_lines = "SELECT " + k_line_columns + " FROM invoice_lines WHERE invoice_id = ?1 ORDER BY position";
const std::string k_insert_line =
    "INSERT INTO invoice_lines (" + k_line_columns + ") VALUES (" + params(k_line_column_names.size()) + ")";
constexpr std::string_view k_delete_lines = "DELETE FROM invoice_lines WHERE invoice_id = ?1";

constexpr std::int64_t k_max_status = std::size(k_invoice_statuses) - 1;
constexpr std::int64_t k_max_line_kind = static_cast<std::int64_t>(InvoiceLineKind::tax);
constexpr std::int64_t k_min_minor = -std::numeric_limits<std::int64_t>::max();

template <class C>
std::optional<Timestamp> optional_time(const Statement& row, C column, std::string_view what) {
  if (row.is_null(col(column))) return std::nullopt;
  return load_time(row.int64(col(column)), what);
}

template <class C>
std::optional<Decimal> optional_decimal(const Statement& row, C column, std::string_view what) {
  if (row.is_null(col(column))) return std::nullopt;
  return load_decimal(row.text(col(column)), what);
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
      .tax_rate = optional_decimal(row, Column::tax_rate, "invoice tax_rate"),
      .tax = money(Column::tax_minor, "invoice tax"),
      .total = money(Column::total_minor, "invoice total"),
      .posted_entry = optional_entry(row, Column::posted_entry, "invoice posted_entry"),
      .settled_entry = optional_entry(row, Column::settled_entry, "invoice settled_entry"),
      .voided_entry = optional_entry(row, Column::voided_entry, "invoice voided_entry"),
      .version = static_cast<std::uint64_t>(load_minor(row.int64(col(Column::version)), 1, "invoice version")),
      .created_at = time(Column::created_at, "invoice created_at"),
      .finalized_at = optional_time(row, Column::finalized_at, "invoice finalized_at"),
      .closed_at = optional_time(row, Column::closed_at, "invoice closed_at"),
  };
}

InvoiceLine read_line(const Statement& row, Currency currency) {
  using L = LineColumn;
  return InvoiceLine{
      .kind = load_enum<InvoiceLineKind>(row.int64(col(L::kind)), k_max_line_kind, "invoice line kind"),
      .description = std::string(row.text(col(L::description))),
      .period_start = load_time(row.int64(col(L::period_start)), "invoice line period_start"),
      .period_end = load_time(row.int64(col(L::period_end)), "invoice line period_end"),
      .quantity = load_decimal(row.text(col(L::quantity)), "invoice line quantity"),
      .unit_price = optional_decimal(row, L::unit_price, "invoice line unit_price"),
      .amount =
          Money::from_minor(load_minor(row.int64(col(L::amount_minor)), k_min_minor, "invoice line amount"), currency),
      .meter = std::string(row.text(col(L::meter))),
      .tiers = decode_tiers(row.text(col(L::tiers)), currency, "invoice line tiers"),
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
// the statement is reset; the other texts are the invoice's own.
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

// A write of several statements as one: a refusal halfway rolls back to where it began, so the rows are as they
// were and the transaction may go on. Only when that rollback itself fails is the transaction marked broken.
class Savepoint {
 public:
  Savepoint(Session& session, Connection& connection) : session_(session), connection_(connection) {
    connection_.run("SAVEPOINT invoice_write", "begin an invoice write");
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint() {
    if (released_) return;
    sqlite3* db = connection_.handle();
    if (sqlite3_exec(db, "ROLLBACK TO invoice_write", nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_exec(db, "RELEASE invoice_write", nullptr, nullptr, nullptr) != SQLITE_OK) {
      session_.mark_broken();  // the write may have stopped halfway: this transaction must not commit
    }
  }
  void release() {
    connection_.run("RELEASE invoice_write", "end an invoice write");
    released_ = true;
  }

 private:
  Session& session_;
  Connection& connection_;
  bool released_ = false;
};

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

std::optional<InvoiceInsert> Invoices::taken(const Invoice& invoice) {
  Connection& connection = session_.read();
  {
    StatementLease query = connection.statement(k_id_taken);
    query->bind(1, invoice.id.str());
    if (query->step("find an invoice id")) return InvoiceInsert::id_taken;
  }
  if (!invoice.subscription_id) return std::nullopt;
  StatementLease query = connection.statement(k_period_taken);
  query->bind(1, invoice.subscription_id->str());
  query->bind(2, invoice.period_start.unix_micros());
  if (query->step("find the invoice of a period")) return InvoiceInsert::period_taken;
  return std::nullopt;
}

void Invoices::name_missing_reference(const Invoice& invoice) {
  Connection& connection = session_.read();
  const auto exists = [&](std::string_view sql, std::string_view key) {
    StatementLease query = connection.statement(sql);
    query->bind(1, key);
    return query->step("find what an invoice names");
  };
  if (!exists(k_account_exists, invoice.account_id.str())) integrity::missing_account(invoice.account_id);
  if (invoice.subscription_id && !exists(k_subscription_exists, invoice.subscription_id->str())) {
    integrity::missing_subscription(*invoice.subscription_id);
  }
}

void Invoices::write_lines(const InvoiceId& id, const std::vector<InvoiceLine>& lines, bool replace) {
  Connection& connection = session_.write();
  if (replace) {
    StatementLease statement = connection.statement(k_delete_lines);
    statement->bind(1, id.str());
    statement->run("remove a draft invoice's lines");
  }
  // The texts bound outlive the statement's use of them (declared first, so released last).
  std::string quantity;
  std::string unit_price;
  std::string& tiers = connection.scratch();
  StatementLease statement = connection.statement(k_insert_line);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const InvoiceLine& line = lines[i];
    using L = LineColumn;
    quantity = line.quantity.to_string();
    encode_tiers(line.tiers, tiers);
    statement->bind(param(L::invoice_id), id.str());
    statement->bind(param(L::position), static_cast<std::int64_t>(i));
    statement->bind(param(L::kind), static_cast<std::int64_t>(line.kind));
    statement->bind(param(L::description), line.description);
    statement->bind(param(L::period_start), line.period_start.unix_micros());
    statement->bind(param(L::period_end), line.period_end.unix_micros());
    statement->bind(param(L::quantity), quantity);
    if (line.unit_price) {
      unit_price = line.unit_price->to_string();
      statement->bind(param(L::unit_price), unit_price);
    } else {
      statement->bind_null(param(L::unit_price));
    }
    statement->bind(param(L::amount_minor), line.amount.minor());
    statement->bind(param(L::meter), line.meter);
    statement->bind(param(L::tiers), tiers);
    statement->run("insert an invoice line");
    statement->rewind();
  }
}

InvoiceInsert Invoices::insert(const Invoice& invoice) {
  Connection& connection = session_.write();
  integrity::check_new_invoice(invoice);
  if (const std::optional<InvoiceInsert> refused = taken(invoice)) return *refused;
  try {
    Savepoint savepoint(session_, connection);
    {
      std::string tax_rate;
      StatementLease statement = connection.statement(k_insert);
      bind_invoice(*statement, invoice, tax_rate);
      statement->run("insert an invoice");
    }
    write_lines(invoice.id, invoice.lines, false);
    savepoint.release();
  } catch (const InvariantViolation&) {
    // Rolled back to before the INSERT. The row passed the checks above, so the store refused what it names, or
    // (were anything to write between the look and the INSERT) one of its keys: say which, as the memory adapter
    // would.
    if (const std::optional<InvoiceInsert> refused = taken(invoice)) return *refused;
    name_missing_reference(invoice);
    throw;
  }
  return InvoiceInsert::inserted;
}

std::vector<Invoice> Invoices::read_all(Statement& query, std::string_view operation) {
  std::vector<Invoice> out;
  CurrencyLookup currencies;
  while (query.step(operation)) out.push_back(read_invoice(query, currencies));
  Connection& connection = session_.read();
  for (Invoice& invoice : out) {
    StatementLease lines = connection.statement(k_lines);
    lines->bind(1, invoice.id.str());
    while (lines->step("read an invoice's lines")) invoice.lines.push_back(read_line(*lines, invoice.currency));
  }
  return out;
}

std::optional<Invoice> Invoices::find(const InvoiceId& id) {
  StatementLease query = session_.read().statement(k_find);
  query->bind(1, id.str());
  std::vector<Invoice> found = read_all(*query, "find an invoice");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<Invoice> Invoices::find_for_period(const SubscriptionId& subscription, Timestamp period_start) {
  StatementLease query = session_.read().statement(k_find_for_period);
  query->bind(1, subscription.str());
  query->bind(2, period_start.unix_micros());
  std::vector<Invoice> found = read_all(*query, "find the invoice of a period");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

bool Invoices::update(const Invoice& next) {
  Connection& connection = session_.write();
  integrity::check_invoice(next);
  const std::optional<Invoice> stored = find(next.id);
  if (!stored || stored->version + 1 != next.version) return false;
  integrity::check_invoice_update(*stored, next, last_number());
  Savepoint savepoint(session_, connection);
  // Lines first: they may change only while the stored row is a DRAFT, and the row's move out of DRAFT checks
  // that they sum to its totals.
  if (!integrity::same_invoice_lines(stored->lines, next.lines)) write_lines(next.id, next.lines, true);
  {
    std::string tax_rate;
    StatementLease statement = connection.statement(k_update);
    bind_invoice(*statement, next, tax_rate);
    statement->run("update an invoice");
  }
  BILLING_ASSERT(connection.changes() == 1);  // read at this version and identity in this transaction
  savepoint.release();
  return true;
}

std::uint64_t Invoices::last_number() {
  StatementLease query = session_.read().statement(k_last_number);
  const std::int64_t last = query->step("read the last invoice number") ? query->int64(0) : 0;
  return static_cast<std::uint64_t>(load_minor(last, 0, "invoice number"));
}

std::vector<Invoice> Invoices::list(const InvoiceFilter& filter, const std::string& after, std::size_t limit) {
  const std::string& sql =
      filter.account_id ? (filter.status ? k_list_both : k_list_account) : (filter.status ? k_list_status : k_list_all);
  StatementLease query = session_.read().statement(sql);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  if (filter.status) query->bind(3, static_cast<std::int64_t>(*filter.status));
  if (filter.account_id) query->bind(4, filter.account_id->str());
  return read_all(*query, "list invoices");
}

std::uint64_t Invoices::count_open_finalized_before(Timestamp before) {
  StatementLease query = session_.read().statement(k_count_open);
  query->bind(1, before.unix_micros());
  const std::int64_t count = query->step("count overdue invoices") ? query->int64(0) : 0;
  return static_cast<std::uint64_t>(load_minor(count, 0, "invoice count"));
}

}  // namespace billing::detail::sqlite
