#include "accounts.hpp"

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of an account row, in the order every statement here names them.
#define BILLING_ACCOUNT_COLUMNS(X)                                                                    \
  X(id)                                                                                               \
  X(currency)                                                                                         \
  X(currency_places)                                                                                  \
  X(name) X(normal_side) X(status) X(flags) X(limit_minor) X(metadata) X(created_at) X(debits_posted) \
      X(credits_posted) X(debits_pending) X(credits_pending)
enum class Column : int { BILLING_ACCOUNT_COLUMNS(BILLING_SQL_ENUM) };

const std::string k_columns{column_list(BILLING_ACCOUNT_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_ACCOUNT_COLUMNS

// ON CONFLICT DO NOTHING: a taken id stores nothing and raises nothing, so the transaction goes on.
const std::string k_insert = "INSERT INTO accounts (" + k_columns +
                             ") VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::bigint, $6::bigint, $7::bigint, "
                             "$8::bigint, $9::text, $10::bigint, $11::bigint, $12::bigint, $13::bigint, $14::bigint) "
                             "ON CONFLICT (id) DO NOTHING";
const std::string k_find = "SELECT " + k_columns + " FROM accounts WHERE id = $1::text";
const std::string k_list = "SELECT " + k_columns +
                           " FROM accounts WHERE id > $1::text AND ($2::bigint IS NULL OR status = $2::bigint) "
                           "ORDER BY id LIMIT $3::bigint";

constexpr std::string_view k_set_status = "UPDATE accounts SET status = $2::bigint WHERE id = $1::text";
constexpr std::string_view k_set_balances =
    "UPDATE accounts SET debits_posted = $2::bigint, credits_posted = $3::bigint, debits_pending = $4::bigint, "
    "credits_pending = $5::bigint WHERE id = $1::text";

constexpr std::int64_t k_flag_debits_must_not_exceed_credits = 1;
constexpr std::int64_t k_flag_credits_must_not_exceed_debits = 2;

Account read_account(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency = currencies(row.text(col(Column::currency)), row.int64(col(Column::currency_places)));
  const std::int64_t flags = row.int64(col(Column::flags));
  const int limit = col(Column::limit_minor);
  return Account{
      .id = load_id<AccountId>(row.text(col(Column::id)), "account id"),
      .currency = currency,
      .name = std::string(row.text(col(Column::name))),
      .normal_side = load_enum<Side>(row.int64(col(Column::normal_side)), 1, "normal side"),
      .status = load_enum<AccountStatus>(row.int64(col(Column::status)), 3, "account status"),
      .debits_must_not_exceed_credits = (flags & k_flag_debits_must_not_exceed_credits) != 0,
      .credits_must_not_exceed_debits = (flags & k_flag_credits_must_not_exceed_debits) != 0,
      .limit = row.is_null(limit) ? std::nullopt
                                  : std::optional<Money>(
                                        Money::from_minor(load_minor(row.int64(limit), 0, "account limit"), currency)),
      .metadata = decode_metadata(row.text(col(Column::metadata)), "an account"),
      .created_at = load_time(row.int64(col(Column::created_at))),
      .balances = read_balances(row, col(Column::debits_posted)),
  };
}

// Parameters are numbered as the columns, from 1.
int param(Column column) noexcept { return col(column) + 1; }

}  // namespace

bool Accounts::insert(const Account& account) {
  Connection& connection = session_.write();
  integrity::check_account(account);
  std::string& metadata = connection.scratch();
  encode_metadata(account.metadata, metadata);
  const std::int64_t flags = (account.debits_must_not_exceed_credits ? k_flag_debits_must_not_exceed_credits : 0) |
                             (account.credits_must_not_exceed_debits ? k_flag_credits_must_not_exceed_debits : 0);
  StatementLease statement = connection.statement(k_insert);
  statement->bind(param(Column::id), account.id.str());
  statement->bind(param(Column::currency), account.currency.code());
  statement->bind(param(Column::currency_places), std::int64_t{account.currency.minor_units()});
  statement->bind(param(Column::name), account.name);
  statement->bind(param(Column::normal_side), static_cast<std::int64_t>(account.normal_side));
  statement->bind(param(Column::status), static_cast<std::int64_t>(account.status));
  statement->bind(param(Column::flags), flags);
  if (account.limit) {
    statement->bind(param(Column::limit_minor), account.limit->minor());
  } else {
    statement->bind_null(param(Column::limit_minor));
  }
  statement->bind(param(Column::metadata), metadata);
  statement->bind(param(Column::created_at), account.created_at.unix_micros());
  bind_balances(*statement, param(Column::debits_posted), account.balances);
  return statement->run("insert an account") == 1;
}

// In a write transaction the ledger lock comes first: the caller may act on the balances and status it
// reads (post against them, close the account, insert it when absent), and every writer of an account row
// holds that lock, so the row stays as read until this transaction ends. No FOR UPDATE is needed on top.
std::optional<Account> Accounts::find(const AccountId& id) {
  session_.lock_ledger();
  StatementLease query = session_.read().statement(k_find);
  query->bind(1, id.str());
  if (!query->step("find an account")) return std::nullopt;
  CurrencyLookup currencies;
  return read_account(*query, currencies);
}

void Accounts::set_status(const AccountId& id, AccountStatus status) {
  Connection& connection = session_.write();
  session_.lock_ledger();  // a status decides what the ledger may post: it changes between ledger writers only
  StatementLease statement = connection.statement(k_set_status);
  statement->bind(1, id.str());
  statement->bind(2, static_cast<std::int64_t>(status));
  if (statement->run("set an account's status") == 0) integrity::missing_account(id);
}

void Accounts::set_balances(const AccountId& id, const Balances& balances) {
  Connection& connection = session_.write();
  session_.lock_ledger();
  StatementLease statement = connection.statement(k_set_balances);
  statement->bind(1, id.str());
  bind_balances(*statement, 2, balances);
  if (statement->run("set an account's balances") == 0) integrity::missing_account(id);
}

std::vector<Account> Accounts::list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) {
  session_.lock_ledger();  // the rows carry balances: a writer reads them as the ledger's writers leave them
  StatementLease query = session_.read().statement(k_list);
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

}  // namespace billing::detail::postgres
