#include "accounts.hpp"

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of an account row, in the order every statement here names them.
#define BILLING_ACCOUNT_COLUMNS(X)                                                                      \
  X(id)                                                                                                 \
  X(currency)                                                                                           \
  X(currency_places) X(name) X(normal_side) X(status) X(flags) X(limit_minor) X(metadata) X(created_at) \
      X(debits_posted) X(credits_posted) X(debits_pending) X(credits_pending)
enum class Column : int { BILLING_ACCOUNT_COLUMNS(BILLING_SQL_ENUM) };

const std::string k_columns{column_list(BILLING_ACCOUNT_COLUMNS(BILLING_SQL_NAME))};
const std::string k_insert = "INSERT INTO accounts (" + k_columns +
                             ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 "
                             "WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE id = ?1)";
const std::string k_find = "SELECT " + k_columns + " FROM accounts WHERE id = ?1";
const std::string k_list =
    "SELECT " + k_columns + " FROM accounts WHERE id > ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id LIMIT ?3";
#undef BILLING_ACCOUNT_COLUMNS

constexpr std::string_view k_set_status = "UPDATE accounts SET status = ?2 WHERE id = ?1";
constexpr std::string_view k_set_balances =
    "UPDATE accounts SET debits_posted = ?2, credits_posted = ?3, debits_pending = ?4, credits_pending = ?5 "
    "WHERE id = ?1";

constexpr std::int64_t k_flag_debits_must_not_exceed_credits = 1;
constexpr std::int64_t k_flag_credits_must_not_exceed_debits = 2;

Account read_account(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency =
      currencies(row.text(col(Column::currency)), row.int64(col(Column::currency_places)));
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
  statement->run("insert an account");
  return connection.changes() == 1;
}

std::optional<Account> Accounts::find(const AccountId& id) {
  StatementLease query = session_.read().statement(k_find);
  query->bind(1, id.str());
  if (!query->step("find an account")) return std::nullopt;
  CurrencyLookup currencies;
  return read_account(*query, currencies);
}

void Accounts::set_status(const AccountId& id, AccountStatus status) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_set_status);
  statement->bind(1, id.str());
  statement->bind(2, static_cast<std::int64_t>(status));
  statement->run("set an account's status");
  if (connection.changes() == 0) integrity::missing_account(id);
}

void Accounts::set_balances(const AccountId& id, const Balances& balances) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_set_balances);
  statement->bind(1, id.str());
  bind_balances(*statement, 2, balances);
  statement->run("set an account's balances");
  if (connection.changes() == 0) integrity::missing_account(id);
}

std::vector<Account> Accounts::list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) {
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

}  // namespace billing::detail::sqlite
