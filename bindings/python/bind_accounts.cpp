// Accounts: the value types (Side, AccountStatus, Balances, Account) and books.accounts.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "convert.hpp"

namespace billing::python {

void bind_account_types(py::module_& m) {
  py::enum_<Side>(m, "Side", "A posting's side, and the side an account's balance normally grows on.")
      .value("DEBIT", Side::debit)
      .value("CREDIT", Side::credit);
  py::enum_<AccountStatus>(m, "AccountStatus", "The account life cycle; only ACTIVE accepts postings.")
      .value("PENDING", AccountStatus::pending)
      .value("ACTIVE", AccountStatus::active)
      .value("INACTIVE", AccountStatus::inactive)
      .value("CLOSED", AccountStatus::closed);
  py::enum_<AccountResult>(m, "AccountResult", "The outcome of accounts.create.")
      .value("OK", AccountResult::ok)
      .value("EXISTS", AccountResult::exists)
      .value("EXISTS_WITH_DIFFERENT_FIELDS", AccountResult::exists_with_different_fields);
  py::enum_<StatusResult>(m, "StatusResult", "The outcome of a status change.")
      .value("OK", StatusResult::ok)
      .value("ACCOUNT_NOT_FOUND", StatusResult::account_not_found)
      .value("TRANSITION_FORBIDDEN", StatusResult::transition_forbidden)
      .value("BALANCE_NOT_ZERO", StatusResult::balance_not_zero);

  py::class_<Balances>(m, "Balances", "Running totals in minor units.")
      .def_readonly("debits_posted", &Balances::debits_posted)
      .def_readonly("credits_posted", &Balances::credits_posted)
      .def_readonly("debits_pending", &Balances::debits_pending)
      .def_readonly("credits_pending", &Balances::credits_pending)
      .def("__eq__", [](const Balances& a, const Balances& b) { return a == b; })
      .def("__repr__", [](const Balances& b) {
        return fmt::format("Balances(debits_posted={}, credits_posted={}, debits_pending={}, credits_pending={})",
                           b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending);
      });

  py::class_<Account>(m, "Account", "An account as stored.")
      .def_property_readonly("id", [](const Account& a) { return a.id.str(); })
      .def_readonly("currency", &Account::currency)
      .def_readonly("name", &Account::name)
      .def_readonly("normal_side", &Account::normal_side)
      .def_readonly("status", &Account::status)
      .def_readonly("debits_must_not_exceed_credits", &Account::debits_must_not_exceed_credits)
      .def_readonly("credits_must_not_exceed_debits", &Account::credits_must_not_exceed_debits)
      .def_readonly("limit", &Account::limit)
      .def_readonly("metadata", &Account::metadata)
      .def_property_readonly("created_at", [](const Account& a) { return timestamp_to_py(a.created_at); })
      .def_readonly("balances", &Account::balances)
      .def_property_readonly("net_balance", &Account::net_balance)
      .def_property_readonly("available", &Account::available)
      .def("__eq__", [](const Account& a, const Account& b) { return a == b; })
      .def("__repr__", [](const Account& a) {
        return fmt::format("Account(id='{}', currency='{}', status={})", a.id.str(), a.currency.code(),
                           to_string(a.status));
      });

  py::class_<AccountOutcome>(m, "AccountOutcome")
      .def_readonly("result", &AccountOutcome::result)
      .def_readonly("account", &AccountOutcome::account);
  py::class_<StatusOutcome>(m, "StatusOutcome")
      .def_readonly("result", &StatusOutcome::result)
      .def_readonly("account", &StatusOutcome::account);
  py::class_<Page<Account>>(m, "AccountPage")
      .def_readonly("items", &Page<Account>::items)
      .def_readonly("next_cursor", &Page<Account>::next_cursor);
}

void bind_accounts(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;
  py::class_<Accounts>(m, "Accounts", "Opening accounts and their life cycle: books.accounts.")
      .def(
          "create",
          [](Accounts& accounts, py::handle currency, const Text& name, const std::optional<Text>& id, Side normal_side,
             AccountStatus status, bool debits_must_not_exceed_credits, bool credits_must_not_exceed_debits,
             std::optional<Money> limit, TextMap metadata) {
            AccountRequest request{.id = optional_id<AccountId>(id),
                                   .currency = currency_from_py(currency),
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
          py::arg("normal_side") = Side::debit, py::arg("status") = AccountStatus::active,
          py::arg("debits_must_not_exceed_credits").noconvert() = false,
          py::arg("credits_must_not_exceed_debits").noconvert() = false, py::arg("limit") = py::none(),
          py::arg("metadata") = py::dict(),
          "Opens an account; the same request again returns it with AccountResult.EXISTS.")
      .def(
          "get", [](Accounts& accounts, const Text& id) { return accounts.get(AccountId(id.value)); }, py::arg("id"),
          Release())
      .def(
          "list",
          [](Accounts& accounts, std::optional<AccountStatus> status, const Text& cursor, py::handle limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit, "limit"));
            py::gil_scoped_release release;
            return accounts.list(status, cursor.value, count);
          },
          py::arg("status") = py::none(), py::arg("cursor") = "", py::arg("limit") = 100)
      .def(
          "set_status",
          [](Accounts& accounts, const Text& id, AccountStatus status) {
            return accounts.set_status(AccountId(id.value), status);
          },
          py::arg("id"), py::arg("status"), Release())
      .def(
          "activate",
          [](Accounts& a, const Text& id) { return a.set_status(AccountId(id.value), AccountStatus::active); },
          py::arg("id"), Release())
      .def(
          "deactivate",
          [](Accounts& a, const Text& id) { return a.set_status(AccountId(id.value), AccountStatus::inactive); },
          py::arg("id"), Release())
      .def(
          "close", [](Accounts& a, const Text& id) { return a.set_status(AccountId(id.value), AccountStatus::closed); },
          py::arg("id"), Release());
}

}  // namespace billing::python
