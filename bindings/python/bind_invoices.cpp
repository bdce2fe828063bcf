// Invoices: billing.Invoice, its lines, outcomes and enums, and books.invoices (docs/invoices.md). Reprs show
// ids, numbers, statuses and amounts, never line descriptions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/invoices.hpp"
#include "convert.hpp"
#include "enums.hpp"
#include "page.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {
namespace {

namespace shown_here {
using py::detail::const_name;
struct OptionalDecimalLike {
  static constexpr auto name = const_name("Union[decimal.Decimal, str, int, None]");
};
}  // namespace shown_here

Typed<shown::DecimalValue> decimal_value(const Decimal& value) { return {decimal_to_py(value)}; }

using Step = InvoiceOutcome (Invoices::*)(const InvoiceId&, std::optional<std::uint64_t>);

template <Step step>
InvoiceOutcome run_step(Invoices& invoices, const Text& id, const OptionalIntArg& expected_version) {
  const InvoiceId key(id.value);
  const std::optional<std::uint64_t> version = optional_uint64(expected_version, "expected_version");
  py::gil_scoped_release release;
  return (invoices.*step)(key, version);
}

}  // namespace

void bind_invoice_types(py::module_& m) {
  bind_enum<InvoiceStatus>(m, "InvoiceStatus",
                           "Where an invoice is in its life: DRAFT (its lines may change), OPEN (finalised: numbered\n"
                           "and posted), PAID, VOID (reversed) and UNCOLLECTIBLE (written off; may still be paid or\n"
                           "voided).",
                           {{"DRAFT", InvoiceStatus::draft},
                            {"OPEN", InvoiceStatus::open},
                            {"PAID", InvoiceStatus::paid},
                            {"VOID", InvoiceStatus::voided},
                            {"UNCOLLECTIBLE", InvoiceStatus::uncollectible}});
  bind_enum<InvoiceLineKind>(m, "InvoiceLineKind",
                             "What an invoice line bills: FLAT_FEE (a plan's fee for the period), USAGE (a meter's\n"
                             "usage, priced, with its tiers), ADJUSTMENT (proration and the like), TAX.",
                             {{"FLAT_FEE", InvoiceLineKind::flat_fee},
                              {"USAGE", InvoiceLineKind::usage},
                              {"ADJUSTMENT", InvoiceLineKind::adjustment},
                              {"TAX", InvoiceLineKind::tax}});
  bind_enum<InvoiceResult>(m, "InvoiceResult",
                           "What an invoice step did, checked in this order: NOT_FOUND, TRANSITION_FORBIDDEN,\n"
                           "EMPTY (finalising an invoice with no lines), VERSION_CONFLICT, REJECTED (the ledger\n"
                           "refused the posting: see .reason; nothing changed), OK.",
                           {{"OK", InvoiceResult::ok},
                            {"NOT_FOUND", InvoiceResult::not_found},
                            {"TRANSITION_FORBIDDEN", InvoiceResult::transition_forbidden},
                            {"EMPTY", InvoiceResult::empty},
                            {"VERSION_CONFLICT", InvoiceResult::version_conflict},
                            {"REJECTED", InvoiceResult::rejected}});

  py::class_<InvoiceLine> line(m, "InvoiceLine", "One line of an invoice.");
  bind_value(line)
      .def_readonly("kind", &InvoiceLine::kind, "An InvoiceLineKind.")
      .def_readonly("description", &InvoiceLine::description, "What it bills (str).")
      .def_property_readonly(
          "period_start", [](const InvoiceLine& l) { return datetime_result(l.period_start); }, "The period it bills.")
      .def_property_readonly(
          "period_end", [](const InvoiceLine& l) { return datetime_result(l.period_end); }, "The period's end.")
      .def_property_readonly(
          "quantity", [](const InvoiceLine& l) { return decimal_value(l.quantity); },
          "Units billed (decimal.Decimal; 1 for a fee).")
      .def_property_readonly(
          "unit_price",
          [](const InvoiceLine& l) -> std::optional<Typed<shown::DecimalValue>> {
            if (!l.unit_price) return std::nullopt;
            return decimal_value(*l.unit_price);
          },
          "The price of one unit (decimal.Decimal), or None for tiered usage.")
      .def_readonly("amount", &InvoiceLine::amount, "The line's Money; negative for a credit.")
      .def_readonly("meter", &InvoiceLine::meter, "The meter of a usage line (str), else ''.")
      .def_readonly("tiers", &InvoiceLine::tiers, "A usage line's breakdown: the ChargeLines of its Price.")
      .def("__repr__", [](const InvoiceLine& l) {
        return fmt::format("InvoiceLine(kind={}, quantity={}, amount={})", repr_of(l.kind),
                           repr_of(decimal_to_py(l.quantity)), repr_of(l.amount));
      });

  py::class_<Invoice> invoice(m, "Invoice", "An invoice (docs/invoices.md). Its version grows with every change.");
  bind_value(invoice)
      .def_property_readonly(
          "id", [](const Invoice& i) { return i.id.str(); }, "Its id (str).")
      .def_readonly("number", &Invoice::number, "Its number in the books' gapless sequence (int), once finalised.")
      .def_property_readonly(
          "number_text",
          [](const Invoice& i) -> std::optional<std::string> {
            if (!i.number) return std::nullopt;
            return invoice_number(*i.number);
          },
          "The number as printed: 'INV-000001', or None before finalising.")
      .def_property_readonly(
          "account_id", [](const Invoice& i) { return i.account_id.str(); }, "The customer's account id (str).")
      .def_property_readonly(
          "subscription_id", [](const Invoice& i) { return id_result(i.subscription_id); },
          "The subscription it bills (str), or None.")
      .def_readonly("currency", &Invoice::currency, "Its Currency.")
      .def_property_readonly(
          "period_start", [](const Invoice& i) { return datetime_result(i.period_start); }, "The period it bills.")
      .def_property_readonly(
          "period_end", [](const Invoice& i) { return datetime_result(i.period_end); }, "The period's end.")
      .def_readonly("status", &Invoice::status, "Its InvoiceStatus.")
      .def_readonly("lines", &Invoice::lines, "Its InvoiceLines; the tax line, when there is one, last.")
      .def_readonly("subtotal", &Invoice::subtotal, "The sum of every line but tax (Money).")
      .def_property_readonly(
          "tax_rate",
          [](const Invoice& i) -> std::optional<Typed<shown::DecimalValue>> {
            if (!i.tax_rate) return std::nullopt;
            return decimal_value(*i.tax_rate);
          },
          "The tax rate (decimal.Decimal, 0.2 is 20%), or None.")
      .def_readonly("tax", &Invoice::tax, "subtotal x tax_rate, half to even (Money).")
      .def_readonly("total", &Invoice::total, "subtotal + tax (Money).")
      .def_property_readonly(
          "posted_entry", [](const Invoice& i) { return id_result(i.posted_entry); },
          "The ledger entry finalising posted (str), or None.")
      .def_property_readonly(
          "settled_entry", [](const Invoice& i) { return id_result(i.settled_entry); },
          "The ledger entry of its payment (str), or None.")
      .def_property_readonly(
          "voided_entry", [](const Invoice& i) { return id_result(i.voided_entry); },
          "The reversal voiding posted (str), or None.")
      .def_readonly("version", &Invoice::version, "1 when created, one more with each change (int).")
      .def_property_readonly(
          "created_at", [](const Invoice& i) { return datetime_result(i.created_at); }, "When it was made.")
      .def_property_readonly(
          "finalized_at", [](const Invoice& i) { return datetime_result(i.finalized_at); }, "When it was finalised.")
      .def_property_readonly(
          "closed_at", [](const Invoice& i) { return datetime_result(i.closed_at); },
          "When it became PAID, VOID or UNCOLLECTIBLE.")
      .def("__repr__", [](const Invoice& i) {
        return fmt::format("Invoice(id={}, number={}, account_id={}, status={}, total={})", repr_of(i.id),
                           i.number ? repr_of(invoice_number(*i.number)) : std::string("None"),
                           repr_of(i.account_id.str()), repr_of(i.status), repr_of(i.total));
      });

  py::class_<InvoiceOutcome>(m, "InvoiceOutcome", "What an invoice step returns. bool(outcome) is outcome.ok.")
      .def_readonly("result", &InvoiceOutcome::result, "An InvoiceResult.")
      .def_readonly("invoice", &InvoiceOutcome::invoice, "The Invoice after the step, as stored when refused.")
      .def_readonly("reason", &InvoiceOutcome::reason, "For REJECTED: the ledger's PostResult, by name (str).")
      .def_property_readonly("ok", &InvoiceOutcome::ok, "True when the step was taken (result OK).")
      .def("__bool__", &InvoiceOutcome::ok)
      .def("__repr__", [](const InvoiceOutcome& o) {
        return fmt::format("InvoiceOutcome(result={}, invoice={})", repr_of(o.result),
                           o.invoice ? repr_of(o.invoice->id) : std::string("None"));
      });

  bind_page<Invoice>(m, "InvoicePage", "books.invoices.list", "The invoices of this page, in id order.");
  m.def("invoice_transitions", &invoice_transitions,
        "The (from, to) pairs of InvoiceStatus that the status table allows, row by row.");
}

void bind_invoices(py::module_& m) {
  py::class_<Invoices>(m, "Invoices", "Invoices: books.invoices (docs/invoices.md).")
      .def(
          "configure",
          [](Invoices& invoices, const Loose<shown_here::OptionalDecimalLike>& tax_rate) {
            InvoiceOptions options = invoices.options();
            options.tax_rate = std::nullopt;
            if (!tax_rate.value.is_none()) options.tax_rate = decimal_from_py(tax_rate.value, "tax_rate");
            invoices.configure(options);
          },
          py::kw_only(), py::arg("tax_rate") = py::none(),
          "Sets the tax rate applied to invoices built from subscriptions from now on (0 to 1, up to 6 places;\n"
          "None for no tax).")
      .def(
          "get",
          [](Invoices& invoices, const Text& id) {
            const InvoiceId key(id.value);
            py::gil_scoped_release release;
            return invoices.get(key);
          },
          py::arg("id"), "The Invoice with this id, or None.")
      .def(
          "list",
          [](Invoices& invoices, const std::optional<Text>& account_id, std::optional<InvoiceStatus> status,
             const Text& cursor, const IntArg& limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            const std::optional<AccountId> account = optional_id<AccountId>(account_id);
            std::optional<std::string> after;
            if (!cursor.value.empty()) after = cursor.value;
            py::gil_scoped_release release;
            return invoices.list(account, status, after, count);
          },
          py::arg("account_id") = py::none(), py::arg("status") = py::none(), py::arg("cursor") = "",
          py::arg("limit") = 100,
          "One InvoicePage of up to limit (1 to 1,000) invoices in id order, of account_id and in status only\n"
          "when given. cursor is the previous page's next_cursor, or \"\" for the first page.")
      .def(
          "preview",
          [](Invoices& invoices, const Text& subscription_id) {
            const SubscriptionId key(subscription_id.value);
            py::gil_scoped_release release;
            return invoices.preview(key);
          },
          py::arg("subscription_id"),
          "The Invoice the subscription's current period would get, computed now; nothing is written.")
      .def(
          "create_for_period",
          [](Invoices& invoices, const Text& subscription_id) {
            const SubscriptionId key(subscription_id.value);
            py::gil_scoped_release release;
            return invoices.create_for_period(key);
          },
          py::arg("subscription_id"),
          "Stores the DRAFT invoice of the subscription's current period, once: a second call returns the same\n"
          "invoice. Returns an InvoiceOutcome.")
      .def("finalize", &run_step<&Invoices::finalize>, py::arg("id"), py::kw_only(),
           py::arg("expected_version") = py::none(),
           "DRAFT -> OPEN: the next number of the gapless sequence, and the ledger entry (the customer's account\n"
           "debited with the total, revenue and tax payable credited). Returns an InvoiceOutcome.")
      .def("mark_paid", &run_step<&Invoices::mark_paid>, py::arg("id"), py::kw_only(),
           py::arg("expected_version") = py::none(),
           "OPEN or UNCOLLECTIBLE -> PAID: posts the settlement (cash debited, the customer's account credited).")
      .def("void", &run_step<&Invoices::void_invoice>, py::arg("id"), py::kw_only(),
           py::arg("expected_version") = py::none(),
           "DRAFT, OPEN or UNCOLLECTIBLE -> VOID: reverses the finalising entry, if any.")
      .def("mark_uncollectible", &run_step<&Invoices::mark_uncollectible>, py::arg("id"), py::kw_only(),
           py::arg("expected_version") = py::none(), "OPEN -> UNCOLLECTIBLE (written off); posts nothing.")
      .def("__repr__", [](const Invoices&) { return std::string("<billing.Invoices: books.invoices>"); });
}

}  // namespace billing::python
