#include "payments.hpp"

#include <algorithm>
#include <array>
#include <iterator>

#include <fmt/format.h>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of each table, in the order every statement here names them, with their SQL type.
#define BILLING_PAYMENT_COLUMNS(X)                                                                                   \
  X(id, text)                                                                                                        \
  X(customer_id, text)                                                                                               \
  X(email, text) X(currency, text) X(currency_places, bigint) X(amount_minor, bigint) X(status, bigint)             \
      X(brand, bigint) X(last_four, text) X(expiry_month, bigint) X(expiry_year, bigint) X(bank_country, text)     \
          X(bank_last_four, text) X(fingerprint, text) X(gateway_token, text) X(request_key, text)                 \
              X(debit_account, text) X(credit_account, text) X(description, text) X(metadata, text)                \
                  X(attempts, bigint) X(max_attempts, bigint) X(next_attempt_at, bigint)                           \
                      X(attempt_started_at, bigint) X(gateway_reference, text) X(failure_reason, text)             \
                          X(entry_id, text) X(processed_at, bigint) X(version, bigint) X(created_at, bigint)       \
                              X(updated_at, bigint)
#define BILLING_PAYMENT_ENUM(name, type) BILLING_SQL_ENUM(name)
#define BILLING_PAYMENT_NAME(name, type) BILLING_SQL_NAME(name)
#define BILLING_PAYMENT_QUOTED(name, type) #name,
#define BILLING_PAYMENT_TYPE(name, type) #type,
enum class Column : int { BILLING_PAYMENT_COLUMNS(BILLING_PAYMENT_ENUM) };
const std::string k_columns{column_list(BILLING_PAYMENT_COLUMNS(BILLING_PAYMENT_NAME))};
constexpr std::array k_column_names{BILLING_PAYMENT_COLUMNS(BILLING_PAYMENT_QUOTED)};
constexpr std::array k_column_types{BILLING_PAYMENT_COLUMNS(BILLING_PAYMENT_TYPE)};
#undef BILLING_PAYMENT_TYPE
#undef BILLING_PAYMENT_QUOTED
#undef BILLING_PAYMENT_NAME
#undef BILLING_PAYMENT_ENUM
#undef BILLING_PAYMENT_COLUMNS

#define BILLING_PAYMENT_HISTORY_COLUMNS(X) X(payment_id) X(version) X(from_status) X(to_status) X(at) X(reason) X(attempt)
enum class ChangeColumn : int { BILLING_PAYMENT_HISTORY_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_change_columns{column_list(BILLING_PAYMENT_HISTORY_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_PAYMENT_HISTORY_COLUMNS

// Parameters are numbered as the columns, from 1; the update's own come after the last column.
template <class C>
int param(C column) noexcept {
  return col(column) + 1;
}
constexpr int k_columns_count = static_cast<int>(k_column_names.size());
constexpr int k_from = k_columns_count + 1;    // change.from
constexpr int k_at = k_columns_count + 2;      // change.at
constexpr int k_reason = k_columns_count + 3;  // change.reason

// "$n::type" for the column's parameter.
std::string typed(Column column) {
  return fmt::format("${}::{}", param(column), k_column_types[static_cast<std::size_t>(col(column))]);
}

// What a change of status sets; every other column is what the row must still hold.
constexpr Column k_moving[] = {Column::status,          Column::attempts,       Column::next_attempt_at,
                               Column::attempt_started_at, Column::gateway_reference, Column::failure_reason,
                               Column::entry_id,        Column::processed_at,   Column::version,
                               Column::updated_at};

bool moves(Column column) { return std::find(std::begin(k_moving), std::end(k_moving), column) != std::end(k_moving); }

// "$1::text, $2::text, ... $n::bigint" for the n columns.
std::string all_params() {
  std::string out;
  for (int i = 0; i < k_columns_count; ++i) out += (i == 0 ? "" : ", ") + typed(static_cast<Column>(i));
  return out;
}

// One statement: UPDATE payments SET <the moving columns> WHERE <every other column IS NOT DISTINCT FROM what
// the caller holds> AND the row is at the version before and in the change's from status, then the history
// row for the row moved. The WHERE clause holds under concurrent writers: an UPDATE that waited for another
// one reads the row again as that one left it. No row changes when the stored one differs; update() then
// says why, in the memory adapter's words. (The history row's version, to and attempt are the payment's
// version, status and attempts: check_payment_change() made sure the change says so.)
std::string update_sql() {
  std::string set;
  std::string where = fmt::format("id = {} AND version = {} - 1 AND status = ${}::bigint", typed(Column::id),
                                  typed(Column::version), k_from);
  for (int i = 0; i < k_columns_count; ++i) {
    const auto column = static_cast<Column>(i);
    if (column == Column::id) continue;
    const std::string_view name = k_column_names[static_cast<std::size_t>(i)];
    if (moves(column)) {
      set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", name, typed(column));
    } else {
      where += fmt::format(" AND {} IS NOT DISTINCT FROM {}", name, typed(column));
    }
  }
  return fmt::format("WITH moved AS (UPDATE payments SET {} WHERE {} RETURNING id) "
                     "INSERT INTO payment_history ({}) SELECT id, {}, ${}::bigint, {}, ${}::bigint, ${}::text, {} "
                     "FROM moved",
                     set, where, k_change_columns, typed(Column::version), k_from, typed(Column::status), k_at,
                     k_reason, typed(Column::attempts));
}

// One statement: the row is inserted unless its id is taken (ON CONFLICT) or another payment holds its
// request key (held; insert() has locked the key, so no writer of the key races this one). It answers how
// many rows it inserted, whether the id was taken before, and whether the key was held, so that a refusal
// never lets a guard fire (which would abort the transaction).
const std::string k_insert = fmt::format(
    "WITH held AS (SELECT 1 FROM payments WHERE request_key = {0} AND id <> {1}), "
    "inserted AS (INSERT INTO payments ({2}) SELECT {3} WHERE NOT EXISTS (SELECT 1 FROM held) "
    "ON CONFLICT (id) DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM inserted), EXISTS (SELECT 1 FROM payments WHERE id = {1})::int, "
    "EXISTS (SELECT 1 FROM held)::int",
    typed(Column::request_key), typed(Column::id), k_columns, all_params());
const std::string k_find = "SELECT " + k_columns + " FROM payments WHERE id = $1::text";
const std::string k_find_for_update = k_find + " FOR UPDATE";
// payments_by_request_key serves it: request_key = $1 implies the index's request_key IS NOT NULL.
const std::string k_find_by_request_key = "SELECT " + k_columns + " FROM payments WHERE request_key = $1::text";
const std::string k_update = update_sql();
const std::string k_history =
    "SELECT " + k_change_columns + " FROM payment_history WHERE payment_id = $1::text ORDER BY version";

// One listing per filter, each served by an index (the primary key, payments_by_status,
// payments_by_customer). $1 is the cursor, $2 the limit, then the filter's values.
const std::string k_list_select = "SELECT " + k_columns + " FROM payments WHERE ";
constexpr std::string_view k_list_suffix = "id > $1::text ORDER BY id LIMIT $2::bigint";
const std::string k_list_all = k_list_select + std::string(k_list_suffix);
const std::string k_list_status = k_list_select + "status = $3::bigint AND " + std::string(k_list_suffix);
const std::string k_list_customer = k_list_select + "customer_id = $3::text AND " + std::string(k_list_suffix);
const std::string k_list_both =
    k_list_select + "customer_id = $3::text AND status = $4::bigint AND " + std::string(k_list_suffix);

constexpr std::int64_t k_max_status = std::size(k_payment_statuses) - 1;
constexpr std::int64_t k_max_brand = k_card_brand_count - 1;

std::optional<std::string> optional_text(const Statement& row, Column column) {
  if (row.is_null(col(column))) return std::nullopt;
  return std::string(row.text(col(column)));
}

std::optional<Timestamp> optional_time(const Statement& row, Column column, std::string_view what) {
  if (row.is_null(col(column))) return std::nullopt;
  return load_time(row.int64(col(column)), what);
}

std::uint32_t load_attempts(std::int64_t value, std::string_view what) {
  if (value < 0 || value > k_max_job_attempts) throw_corrupt(what, fmt::format("{} is out of range", value));
  return static_cast<std::uint32_t>(value);
}

std::optional<CardDetails> read_card(const Statement& row) {
  if (row.is_null(col(Column::brand))) return std::nullopt;
  const std::string_view last_four = row.text(col(Column::last_four));
  if (last_four.size() != 4) throw_corrupt("payment card", "the last four are not four digits");
  return CardDetails(load_enum<CardBrand>(row.int64(col(Column::brand)), k_max_brand, "card brand"), last_four,
                     static_cast<int>(row.int64(col(Column::expiry_month))),
                     static_cast<int>(row.int64(col(Column::expiry_year))));
}

std::optional<BankAccountDetails> read_bank_account(const Statement& row) {
  if (row.is_null(col(Column::bank_country))) return std::nullopt;
  return BankAccountDetails{.country = std::string(row.text(col(Column::bank_country))),
                            .last_four = std::string(row.text(col(Column::bank_last_four)))};
}

Payment read_payment(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency = currencies(row.text(col(Column::currency)), row.int64(col(Column::currency_places)));
  const std::optional<std::string> entry_id = optional_text(row, Column::entry_id);
  return Payment{
      .id = load_id<PaymentId>(row.text(col(Column::id)), "payment id"),
      .customer_id = std::string(row.text(col(Column::customer_id))),
      .email = optional_text(row, Column::email),
      .amount = Money::from_minor(load_minor(row.int64(col(Column::amount_minor)), 1, "payment amount"), currency),
      .status = load_enum<PaymentStatus>(row.int64(col(Column::status)), k_max_status, "payment status"),
      .card = read_card(row),
      .bank_account = read_bank_account(row),
      .fingerprint = std::string(row.text(col(Column::fingerprint))),
      .gateway_token = std::string(row.text(col(Column::gateway_token))),
      .request_key = optional_text(row, Column::request_key),
      .debit_account = load_id<AccountId>(row.text(col(Column::debit_account)), "payment debit account"),
      .credit_account = load_id<AccountId>(row.text(col(Column::credit_account)), "payment credit account"),
      .description = std::string(row.text(col(Column::description))),
      .metadata = decode_metadata(row.text(col(Column::metadata)), "a payment"),
      .attempts = load_attempts(row.int64(col(Column::attempts)), "payment attempts"),
      .max_attempts = load_attempts(row.int64(col(Column::max_attempts)), "payment max_attempts"),
      .next_attempt_at = optional_time(row, Column::next_attempt_at, "payment next_attempt_at"),
      .attempt_started_at = optional_time(row, Column::attempt_started_at, "payment attempt_started_at"),
      .gateway_reference = std::string(row.text(col(Column::gateway_reference))),
      .failure_reason = std::string(row.text(col(Column::failure_reason))),
      .entry_id = entry_id ? std::optional(load_id<EntryId>(*entry_id, "payment entry id")) : std::nullopt,
      .processed_at = optional_time(row, Column::processed_at, "payment processed_at"),
      .version = static_cast<std::uint64_t>(load_minor(row.int64(col(Column::version)), 1, "payment version")),
      .created_at = load_time(row.int64(col(Column::created_at)), "payment created_at"),
      .updated_at = load_time(row.int64(col(Column::updated_at)), "payment updated_at"),
  };
}

PaymentChange read_change(const Statement& row) {
  return PaymentChange{
      .payment_id = load_id<PaymentId>(row.text(col(ChangeColumn::payment_id)), "payment id"),
      .from = load_enum<PaymentStatus>(row.int64(col(ChangeColumn::from_status)), k_max_status, "payment status"),
      .to = load_enum<PaymentStatus>(row.int64(col(ChangeColumn::to_status)), k_max_status, "payment status"),
      .at = load_time(row.int64(col(ChangeColumn::at)), "payment change time"),
      .reason = std::string(row.text(col(ChangeColumn::reason))),
      .version = static_cast<std::uint64_t>(load_minor(row.int64(col(ChangeColumn::version)), 2, "payment version")),
      .attempt = load_attempts(row.int64(col(ChangeColumn::attempt)), "payment attempt"),
  };
}

void bind_status(Statement& statement, int index, PaymentStatus status) {
  statement.bind(index, static_cast<std::int64_t>(status));
}

void bind_optional(Statement& statement, Column column, const std::optional<std::string>& text) {
  if (text) {
    statement.bind(param(column), *text);
  } else {
    statement.bind_null(param(column));
  }
}

void bind_optional(Statement& statement, Column column, const std::optional<Timestamp>& time) {
  if (time) {
    statement.bind(param(column), time->unix_micros());
  } else {
    statement.bind_null(param(column));
  }
}

void bind_method(Statement& statement, const Payment& payment) {
  if (const auto& card = payment.card) {
    statement.bind(param(Column::brand), static_cast<std::int64_t>(card->brand()));
    statement.bind(param(Column::last_four), card->last_four());
    statement.bind(param(Column::expiry_month), std::int64_t{card->expiry_month()});
    statement.bind(param(Column::expiry_year), std::int64_t{card->expiry_year()});
  } else {
    for (const Column column : {Column::brand, Column::last_four, Column::expiry_month, Column::expiry_year}) {
      statement.bind_null(param(column));
    }
  }
  if (const auto& bank = payment.bank_account) {
    statement.bind(param(Column::bank_country), bank->country);
    statement.bind(param(Column::bank_last_four), bank->last_four);
  } else {
    statement.bind_null(param(Column::bank_country));
    statement.bind_null(param(Column::bank_last_four));
  }
}

// Binds every column of `payment`; `metadata` is its encoding, kept alive by the caller until the statement
// is reset.
void bind_payment(Statement& statement, const Payment& payment, const std::string& metadata) {
  statement.bind(param(Column::id), payment.id.str());
  statement.bind(param(Column::customer_id), payment.customer_id);
  bind_optional(statement, Column::email, payment.email);
  statement.bind(param(Column::currency), payment.amount.currency().code());
  statement.bind(param(Column::currency_places), std::int64_t{payment.amount.currency().minor_units()});
  statement.bind(param(Column::amount_minor), payment.amount.minor());
  bind_status(statement, param(Column::status), payment.status);
  bind_method(statement, payment);
  statement.bind(param(Column::fingerprint), payment.fingerprint);
  statement.bind(param(Column::gateway_token), payment.gateway_token);
  bind_optional(statement, Column::request_key, payment.request_key);
  statement.bind(param(Column::debit_account), payment.debit_account.str());
  statement.bind(param(Column::credit_account), payment.credit_account.str());
  statement.bind(param(Column::description), payment.description);
  statement.bind(param(Column::metadata), metadata);
  statement.bind(param(Column::attempts), std::int64_t{payment.attempts});
  statement.bind(param(Column::max_attempts), std::int64_t{payment.max_attempts});
  bind_optional(statement, Column::next_attempt_at, payment.next_attempt_at);
  bind_optional(statement, Column::attempt_started_at, payment.attempt_started_at);
  statement.bind(param(Column::gateway_reference), payment.gateway_reference);
  statement.bind(param(Column::failure_reason), payment.failure_reason);
  if (payment.entry_id) {
    statement.bind(param(Column::entry_id), payment.entry_id->str());
  } else {
    statement.bind_null(param(Column::entry_id));
  }
  bind_optional(statement, Column::processed_at, payment.processed_at);
  statement.bind(param(Column::version), clamp_to_int64(payment.version));
  statement.bind(param(Column::created_at), payment.created_at.unix_micros());
  statement.bind(param(Column::updated_at), payment.updated_at.unix_micros());
}

}  // namespace

std::vector<std::string> payment_reads_for_testing() {
  return {k_list_all, k_list_status, k_list_customer, k_list_both, k_find_by_request_key, k_find, k_update, k_history};
}

void Payments::lock_request_key(std::string_view key) {
  if (!session_.writing()) return;
  if (request_key_locked_ && key == locked_request_key_) return;  // held since create's find_by_request_key
  session_.lock_key("payments.request_key", key);
  locked_request_key_.assign(key);
  request_key_locked_ = true;
}

bool Payments::insert(const Payment& payment) {
  Connection& connection = session_.write();
  integrity::check_new_payment(payment);
  if (payment.request_key) lock_request_key(*payment.request_key);
  std::string& metadata = connection.scratch();
  encode_metadata(payment.metadata, metadata);
  StatementLease statement = connection.statement(k_insert);
  bind_payment(*statement, payment, metadata);
  if (!statement->step("insert a payment")) return false;
  if (statement->int64(0) == 1) {
    connection.set_changes(1);
    return true;
  }
  connection.set_changes(0);
  // Not inserted. An id taken comes first, as on the other adapters; then the request key, in the memory
  // adapter's words. (Neither: another transaction inserted the id since this statement began.)
  if (statement->int64(1) == 0 && statement->int64(2) != 0) integrity::duplicate_request_key();
  return false;
}

std::optional<Payment> Payments::find_with(Connection& connection, const std::string& sql, const PaymentId& id) {
  StatementLease query = connection.statement(sql);
  query->bind(1, id.str());
  if (!query->step("find a payment")) return std::nullopt;
  CurrencyLookup currencies;
  return read_payment(*query, currencies);
}

std::optional<Payment> Payments::find(const PaymentId& id) {
  Connection& connection = session_.read();
  if (!session_.writing()) return find_with(connection, k_find, id);
  if (std::optional<Payment> payment = find_with(connection, k_find_for_update, id)) return payment;
  // No such payment yet: a writer that goes on to insert it (create's find, then insert) must take turns
  // with another doing the same, so lock its id and look again, seeing what committed meanwhile.
  session_.lock_key("payments.id", id.str());
  return find_with(connection, k_find_for_update, id);
}

std::optional<Payment> Payments::find_by_request_key(std::string_view key) {
  Connection& connection = session_.read();
  // Create reads, then inserts: a writer locks the key first, so another create under it waits for this
  // one's commit and then finds its payment.
  lock_request_key(key);
  StatementLease query = connection.statement(k_find_by_request_key);
  query->bind(1, key);
  if (!query->step("find a payment by its request key")) return std::nullopt;
  CurrencyLookup currencies;
  return read_payment(*query, currencies);
}

void Payments::update(const Payment& payment, const PaymentChange& change) {
  Connection& connection = session_.write();
  integrity::check_payment_change(payment, change);
  {
    std::string& metadata = connection.scratch();
    encode_metadata(payment.metadata, metadata);
    StatementLease statement = connection.statement(k_update);
    bind_payment(*statement, payment, metadata);
    bind_status(*statement, k_from, change.from);
    statement->bind(k_at, change.at.unix_micros());
    statement->bind(k_reason, change.reason);
    // One statement moves the row and appends its history row, or changes nothing.
    if (statement->run("change a payment's status") == 1) return;
  }
  // Nothing changed: find out why, in the words the memory adapter uses.
  const std::optional<Payment> stored = find(payment.id);
  if (!stored) integrity::missing_payment(payment.id);
  integrity::check_payment_update(*stored, payment, change);
  BILLING_ASSERT(false && "a payment update matched no row, yet the stored row allows it");
}

std::vector<PaymentChange> Payments::history(const PaymentId& id) {
  StatementLease query = session_.read().statement(k_history);
  query->bind(1, id.str());
  std::vector<PaymentChange> out;
  while (query->step("read a payment's history")) out.push_back(read_change(*query));
  return out;
}

std::vector<Payment> Payments::list(const PaymentFilter& filter, const std::string& after, std::size_t limit) {
  const std::string& sql = filter.customer_id ? (filter.status ? k_list_both : k_list_customer)
                                              : (filter.status ? k_list_status : k_list_all);
  StatementLease query = session_.read().statement(sql);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  if (filter.customer_id) {
    query->bind(3, *filter.customer_id);
    if (filter.status) bind_status(*query, 4, *filter.status);
  } else if (filter.status) {
    bind_status(*query, 3, *filter.status);
  }
  std::vector<Payment> out;
  CurrencyLookup currencies;
  while (query->step("list payments")) out.push_back(read_payment(*query, currencies));
  return out;
}

}  // namespace billing::detail::postgres
