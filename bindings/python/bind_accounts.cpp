// Accounts: the value types (Side, AccountStatus, Balances, Account) and books.accounts.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "convert.hpp"
#include "page.hpp"
#include "repr.hpp"

namespace billing::python {

namespace {

template <class Outcome>
std::string outcome_repr(const char* name, const Outcome& outcome) {
  return fmt::format("{}(result={}, account={})", name, repr_of(outcome.result),
                     outcome.account ? repr_of(outcome.account->id) : std::string("None"));
}

}  // namespace

void bind_account_types(py::module_& m) {
  bind_enum<Side>(m, "Side", "A posting's side, and the side an account's balance normally grows on.",
                  {{"DEBIT", Side::debit}, {"CREDIT", Side::credit}});
  bind_enum<AccountStatus>(m, "AccountStatus",
                           "The account life cycle; only ACTIVE accepts postings.\n\n"
                           "PENDING -> ACTIVE; ACTIVE -> INACTIVE or CLOSED; INACTIVE -> ACTIVE or CLOSED.",
                           {{"PENDING", AccountStatus::pending},
                            {"ACTIVE", AccountStatus::active},
                            {"INACTIVE", AccountStatus::inactive},
                            {"CLOSED", AccountStatus::closed}});
  bind_enum<AccountResult>(m, "AccountResult",
                           "The outcome of accounts.create.\n\n"
                           "OK: opened. EXISTS: the same request again; the account is returned.\n"
                           "EXISTS_WITH_DIFFERENT_FIELDS: the id is taken by another account, which is returned.",
                           {{"OK", AccountResult::ok},
                            {"EXISTS", AccountResult::exists},
                            {"EXISTS_WITH_DIFFERENT_FIELDS", AccountResult::exists_with_different_fields}});
  bind_enum<StatusResult>(m, "StatusResult",
                          "The outcome of a status change.\n\n"
                          "OK: changed, or already in that status. ACCOUNT_NOT_FOUND: no account has the id.\n"
                          "TRANSITION_FORBIDDEN: the life cycle does not allow it. BALANCE_NOT_ZERO: closing\n"
                          "needs posted debits equal to credits and nothing pending.",
                          {{"OK", StatusResult::ok},
                           {"ACCOUNT_NOT_FOUND", StatusResult::account_not_found},
                           {"TRANSITION_FORBIDDEN", StatusResult::transition_forbidden},
                           {"BALANCE_NOT_ZERO", StatusResult::balance_not_zero}});

  py::class_<Balances>(m, "Balances", "An account's running totals, in minor units of its currency; each is >= 0.")
      .def_readonly("debits_posted", &Balances::debits_posted, "Posted debits (int, minor units).")
      .def_readonly("credits_posted", &Balances::credits_posted, "Posted credits (int, minor units).")
      .def_readonly("debits_pending", &Balances::debits_pending, "Debits held by pending entries (int).")
      .def_readonly("credits_pending", &Balances::credits_pending, "Credits held by pending entries (int).")
      .def(
          "__eq__", [](const Balances& a, const Balances& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const Balances& b) {
        return fmt::format("Balances(debits_posted={}, credits_posted={}, debits_pending={}, credits_pending={})",
                           b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending);
      });

  py::class_<Account>(m, "Account", "An account as stored: what accounts.create, get and list return.")
      .def_property_readonly(
          "id", [](const Account& a) { return a.id.str(); }, "The account's id (str).")
      .def_readonly("currency", &Account::currency, "Every posting to the account is in this Currency.")
      .def_readonly("name", &Account::name, "The name given at creation (str).")
      .def_readonly("normal_side", &Account::normal_side, "The Side its balance normally grows on.")
      .def_readonly("status", &Account::status, "Where it is in its life cycle (AccountStatus).")
      .def_readonly("debits_must_not_exceed_credits", &Account::debits_must_not_exceed_credits,
                    "True when debits may not pass credits posted by more than the limit.")
      .def_readonly("credits_must_not_exceed_debits", &Account::credits_must_not_exceed_debits,
                    "True when credits may not pass debits posted by more than the limit.")
      .def_readonly("limit", &Account::limit, "The credit line or overdraft (Money), or None for 0.")
      .def_readonly("metadata", &Account::metadata, "The metadata given at creation (dict of str to str).")
      .def_property_readonly(
          "created_at", [](const Account& a) { return datetime_result(a.created_at); },
          "When it was opened, by the books' clock (aware, UTC).")
      .def_readonly("balances", &Account::balances, "Its running totals (Balances).")
      .def_property_readonly("net_balance", &Account::net_balance,
                             "Posted balance on the normal side (Money): debits - credits for a debit-normal "
                             "account, else the reverse.")
      .def_property_readonly("available", &Account::available,
                             "How much more may be posted against the constrained side before the limit stops "
                             "it (Money), or None when the account has no balance constraint.")
      .def(
          "__eq__", [](const Account& a, const Account& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const Account& a) {
        return fmt::format("Account(id={}, currency={}, status={})", repr_of(a.id), repr_of(a.currency.code()),
                           repr_of(a.status));
      });

  py::class_<AccountOutcome>(m, "AccountOutcome",
                             "What accounts.create returns: .result (AccountResult) and .account (the stored "
                             "Account, for every result).\n\nbool(outcome) is outcome.ok.")
      .def_readonly("result", &AccountOutcome::result, "The AccountResult.")
      .def_readonly("account", &AccountOutcome::account, "The stored Account.")
      .def_property_readonly(
          "ok", [](const AccountOutcome& o) { return o.result == AccountResult::ok; },
          "True when the account was opened by this call.")
      .def("__bool__", [](const AccountOutcome& o) { return o.result == AccountResult::ok; })
      .def("__repr__", [](const AccountOutcome& o) { return outcome_repr("AccountOutcome", o); });
  py::class_<StatusOutcome>(m, "StatusOutcome",
                            "What a status change returns: .result (StatusResult) and .account (the account "
                            "after the change, or None when not found).\n\nbool(outcome) is outcome.ok.")
      .def_readonly("result", &StatusOutcome::result, "The StatusResult.")
      .def_readonly("account", &StatusOutcome::account, "The Account after the change, or None when not found.")
      .def_property_readonly(
          "ok", [](const StatusOutcome& o) { return o.result == StatusResult::ok; },
          "True when the account is now in the status asked for.")
      .def("__bool__", [](const StatusOutcome& o) { return o.result == StatusResult::ok; })
      .def("__repr__", [](const StatusOutcome& o) { return outcome_repr("StatusOutcome", o); });
  bind_page<Account>(m, "AccountPage", "accounts.list", "The accounts of this page, in id order.");
}

void bind_accounts(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;
  py::class_<Accounts>(m, "Accounts", "Opening accounts and their life cycle: books.accounts.")
      .def(
          "create",
          [](Accounts& accounts, const CurrencyArg& currency, const Text& name, const std::optional<Text>& id,
             Side normal_side, AccountStatus status, bool debits_must_not_exceed_credits,
             bool credits_must_not_exceed_debits, std::optional<Money> limit, TextMap metadata) {
            AccountRequest request{.id = optional_id<AccountId>(id),
                                   .currency = currency_from_py(currency.value),
                                   .name = name.value,
                                   .normal_side = normal_side,
                                   .status = status,
                                   .debits_must_not_exceed_credits = debits_must_not_exceed_credits,
                                   .credits_must_not_exceed_debits = credits_must_not_exceed_debits,
                                   .limit = std::move(limit),
                                   .metadata = std::move(metadata.value)};
            py::gil_scoped_release release;
            return accounts.create(request);
          },
          py::arg("currency"), py::arg("name"), py::kw_only(), py::arg("id") = py::none(),
          py::arg_v("normal_side", Side::debit, "Side.DEBIT"),
          py::arg_v("status", AccountStatus::active, "AccountStatus.ACTIVE"),
          py::arg("debits_must_not_exceed_credits").noconvert() = false,
          py::arg("credits_must_not_exceed_debits").noconvert() = false, py::arg("limit") = py::none(),
          py::arg("metadata") = py::dict(),
          "Opens an account and returns an AccountOutcome.\n\n"
          "id is made by the books' IdSource when None. status is PENDING or ACTIVE. A limit (Money, >= 0, in\n"
          "the account's currency) needs exactly one of the two balance flags. The same request again returns\n"
          "the account with AccountResult.EXISTS. InvalidArgument names the field at fault, and nothing is\n"
          "stored then.")
      .def(
          "get", [](Accounts& accounts, const Text& id) { return accounts.get(AccountId(id.value)); }, py::arg("id"),
          Release(), "The Account with this id, or None.")
      .def(
          "list",
          [](Accounts& accounts, std::optional<AccountStatus> status, const Text& cursor, const IntArg& limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            py::gil_scoped_release release;
            return accounts.list(status, cursor.value, count);
          },
          py::arg("status") = py::none(), py::arg("cursor") = "", py::arg("limit") = 100,
          "One AccountPage of up to limit (1 to 1,000) accounts in id order, only those with status when given.\n"
          "cursor is the previous page's next_cursor, or \"\" for the first page.")
      .def(
          "set_status",
          [](Accounts& accounts, const Text& id, AccountStatus status) {
            return accounts.set_status(AccountId(id.value), status);
          },
          py::arg("id"), py::arg("status"), Release(),
          "Moves the account to status if its life cycle allows it; returns a StatusOutcome.")
      .def(
          "activate",
          [](Accounts& a, const Text& id) { return a.set_status(AccountId(id.value), AccountStatus::active); },
          py::arg("id"), Release(), "set_status(id, AccountStatus.ACTIVE).")
      .def(
          "deactivate",
          [](Accounts& a, const Text& id) { return a.set_status(AccountId(id.value), AccountStatus::inactive); },
          py::arg("id"), Release(), "set_status(id, AccountStatus.INACTIVE): postings are refused until activated.")
      .def(
          "close", [](Accounts& a, const Text& id) { return a.set_status(AccountId(id.value), AccountStatus::closed); },
          py::arg("id"), Release(),
          "set_status(id, AccountStatus.CLOSED), for good; needs a zero balance and nothing pending.")
      .def("__repr__", [](const Accounts&) { return std::string("<billing.Accounts: books.accounts>"); });
}

}  // namespace billing::python
