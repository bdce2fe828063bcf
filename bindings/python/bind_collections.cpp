// Collections (docs/collections.md): billing.DunningPolicy, billing.CollectionReport, billing.CollectionSkip and
// books.collections, whose run(gateway, payment_method) charges the invoices the billing run queued.
//
// payment_method is the host's callable: given an Invoice, it returns the customer's method on file as a dict
// (card_number, expiry_month, expiry_year and cvc, or iban; email optional) or None. It is called with the GIL
// held, from inside the library call. Sensitive: the card number, CVC and IBAN it returns are read as
// payment_input.hpp reads them, and no message or repr shows them.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "billing/books.hpp"
#include "billing/collections.hpp"
#include "billing/error.hpp"
#include "convert.hpp"
#include "gateway_scope.hpp"
#include "payment_input.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace shown {
struct MethodLookup {
  static constexpr auto name = const_name("Callable[[billing.Invoice], Optional[dict]]");
};
}  // namespace shown

namespace {

// The dict's keys, and where each goes.
using Field = std::optional<std::string> PaymentMethodOnFile::*;
constexpr std::array<std::pair<std::string_view, Field>, 6> k_method_fields = {{
    {"card_number", &PaymentMethodOnFile::card_number},
    {"expiry_month", &PaymentMethodOnFile::expiry_month},
    {"expiry_year", &PaymentMethodOnFile::expiry_year},
    {"cvc", &PaymentMethodOnFile::cvc},
    {"iban", &PaymentMethodOnFile::iban},
    {"email", &PaymentMethodOnFile::email},
}};

/// What payment_method returned, as a PaymentMethodOnFile; TypeError or InvalidArgument naming the key at fault
/// (never its value). With the GIL held.
std::optional<PaymentMethodOnFile> method_from_py(const py::handle& returned) {
  if (returned.is_none()) return std::nullopt;
  if (!py::isinstance<py::dict>(returned)) type_error("payment_method()", "a dict or None", returned);
  PaymentMethodOnFile method;
  for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(returned)) {
    if (!py::isinstance<py::str>(key)) type_error("payment_method() key", "str", key);
    const std::string name = py::cast<std::string>(key);
    const auto* field = std::find_if(k_method_fields.begin(), k_method_fields.end(),
                                     [&](const auto& known) { return known.first == name; });
    if (field == k_method_fields.end()) {
      throw InvalidArgument("payment_method", "has a key that is not card_number, expiry_month, expiry_year, cvc, "
                                              "iban or email");
    }
    const std::string where = fmt::format("payment_method()[{}]", repr_of(name));
    if (value.is_none()) continue;
    const bool expiry = name.starts_with("expiry_");
    if (expiry && py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value)) {
      method.*(field->second) = std::to_string(int64_from_py(value, where));
      continue;
    }
    if (!py::isinstance<py::str>(value)) type_error(where, expiry ? "str or int" : "str", value);
    const RawText text = py::cast<RawText>(value);
    method.*(field->second) = std::string(text.view);
  }
  return method;
}

}  // namespace

void bind_collections(py::module_& m) {
  py::class_<DunningPolicy> policy(m, "DunningPolicy",
                                   "What dunning does once an invoice's payment failed for good (declined, or an\n"
                                   "error on its last attempt): books.collections.configure() sets it.");
  bind_value(policy)
      .def_readonly("invoice_uncollectible", &DunningPolicy::invoice_uncollectible,
                    "The invoice OPEN -> UNCOLLECTIBLE; its receivable stays on the customer's account (bool).")
      .def_readonly("subscription_past_due", &DunningPolicy::subscription_past_due,
                    "The invoice's subscription ACTIVE -> PAST_DUE; it is still billed (bool).")
      .def_readonly("deactivate_account", &DunningPolicy::deactivate_account,
                    "The customer's account ACTIVE -> INACTIVE: the ledger refuses its postings, so its later\n"
                    "periods are skipped until the host reactivates it (bool).")
      .def("__repr__", [](const DunningPolicy& p) {
        return fmt::format("DunningPolicy(invoice_uncollectible={}, subscription_past_due={}, deactivate_account={})",
                           p.invoice_uncollectible ? "True" : "False", p.subscription_past_due ? "True" : "False",
                           p.deactivate_account ? "True" : "False");
      });

  py::class_<CollectionSkip> skip(m, "CollectionSkip", "An invoice books.collections.run() did not charge, and why.");
  bind_value(skip)
      .def_property_readonly(
          "invoice_id", [](const CollectionSkip& s) { return s.invoice_id.str(); }, "The invoice (str).")
      .def_readonly("reason", &CollectionSkip::reason, "Why (str): 'no payment method on file', 'the invoice is paid'.")
      .def("__repr__", [](const CollectionSkip& s) {
        return fmt::format("CollectionSkip(invoice_id={}, reason={})", repr_of(s.invoice_id), repr_of(s.reason));
      });

  py::class_<CollectionReport>(m, "CollectionReport", "What books.collections.run() did.")
      .def_readonly("jobs", &CollectionReport::jobs, "Invoice payment jobs claimed (int).")
      .def_readonly("payments_created", &CollectionReport::payments_created,
                    "Payments created for invoices (int); a rerun finds them and creates none.")
      .def_readonly("retries", &CollectionReport::retries, "Due retries of invoice payments processed (int).")
      .def_readonly("paid", &CollectionReport::paid, "Invoices paid by this run's charges (int).")
      .def_readonly("retrying", &CollectionReport::retrying,
                    "Charges that failed with attempts left: a retry is scheduled (int).")
      .def_readonly("dunned", &CollectionReport::dunned,
                    "Invoices whose payment failed for good, or that had no usable method: dunned (int).")
      .def_readonly("unknown", &CollectionReport::unknown,
                    "Charges with no answer yet; books.payments.reconcile() settles them (int).")
      .def_readonly("skipped", &CollectionReport::skipped, "The CollectionSkips: invoices not charged, and why.")
      .def("__repr__", [](const CollectionReport& r) {
        return fmt::format("CollectionReport(jobs={}, paid={}, retrying={}, dunned={}, unknown={}, skipped={})", r.jobs,
                           r.paid, r.retrying, r.dunned, r.unknown, r.skipped.size());
      });

  py::class_<Collections>(m, "Collections",
                          "Invoices' payments and dunning: books.collections (docs/collections.md). The invoice\n"
                          "follows its payment in the unit of work that settles the payment, however it is settled.")
      .def(
          "configure",
          [](Collections& collections, bool invoice_uncollectible, bool subscription_past_due, bool deactivate_account) {
            collections.configure({.invoice_uncollectible = invoice_uncollectible,
                                   .subscription_past_due = subscription_past_due,
                                   .deactivate_account = deactivate_account});
          },
          py::kw_only(), py::arg("invoice_uncollectible").noconvert() = true,
          py::arg("subscription_past_due").noconvert() = true, py::arg("deactivate_account").noconvert() = false,
          "Sets the dunning policy (a DunningPolicy's three flags); set it once at start-up.")
      .def_property_readonly("policy", &Collections::policy, "The dunning policy now (DunningPolicy).")
      .def(
          "run",
          [](Collections& collections, PaymentGateway& gateway, const Loose<shown::MethodLookup>& payment_method,
             const IntArg& limit) {
            if (!PyCallable_Check(payment_method.value.ptr())) {
              type_error("payment_method", "a callable", payment_method.value);
            }
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            const auto callable = py::reinterpret_borrow<py::object>(payment_method.value);
            const PaymentMethodLookup lookup = [callable](const Invoice& invoice) {
              const py::gil_scoped_acquire hold;
              return method_from_py(callable(invoice));
            };
            return GatewayScope().run([&] { return collections.run(gateway, lookup, count); });
          },
          py::arg("gateway"), py::arg("payment_method"), py::kw_only(), py::arg("limit") = k_max_collection_run,
          "Claims up to limit (1 to 1,000) due 'invoice.payment' jobs, and for each OPEN invoice creates its payment\n"
          "once (the customer's account credited) with the method payment_method(invoice) returns (a dict of\n"
          "card_number, expiry_month, expiry_year, cvc, or iban, and email; or None when there is none on file),\n"
          "and sends its first charge through gateway; then processes the due payment retries. An approval pays\n"
          "the invoice; a decline, or an error on the last attempt, duns it by the policy; no method on file, or\n"
          "one that fails validation, duns it at once. Returns a CollectionReport. card_number, cvc and iban are\n"
          "sensitive: no message or repr shows them.")
      .def("__repr__", [](const Collections&) { return std::string("<billing.Collections: books.collections>"); });
}

}  // namespace billing::python
