// The billing run: billing.BillingReport, billing.BillingSkip and books.run_billing(as_of) (docs/billing_run.md).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "billing/billing_run.hpp"
#include "billing/error.hpp"
#include "convert.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

void bind_billing_run_types(py::module_& m) {
  py::class_<BillingSkip> skip(m, "BillingSkip", "A due period the billing run did not bill, and why.");
  bind_value(skip)
      .def_property_readonly(
          "subscription_id", [](const BillingSkip& s) { return s.subscription_id.str(); }, "The subscription (str).")
      .def_property_readonly(
          "period_start", [](const BillingSkip& s) { return datetime_result(s.period_start); }, "The period's start.")
      .def_readonly("reason", &BillingSkip::reason, "Why it was skipped (str).")
      .def("__repr__", [](const BillingSkip& s) {
        return fmt::format("BillingSkip(subscription_id={}, reason={})", repr_of(s.subscription_id),
                           repr_of(s.reason));
      });

  py::class_<BillingReport>(m, "BillingReport", "What books.run_billing did.")
      .def_property_readonly(
          "as_of", [](const BillingReport& r) { return datetime_result(r.as_of); }, "The date it billed up to.")
      .def_readonly("subscriptions_billed", &BillingReport::subscriptions_billed,
                    "Periods billed (int); a subscription behind by two periods counts twice.")
      .def_readonly("invoices_created", &BillingReport::invoices_created, "Invoices this run stored (int).")
      .def_readonly("trials_ended", &BillingReport::trials_ended, "Trials that ended (int).")
      .def_readonly("canceled", &BillingReport::canceled,
                    "Subscriptions canceled at the end of their last period (int).")
      .def_readonly("payment_jobs", &BillingReport::payment_jobs, "Payment jobs enqueued (int).")
      .def_readonly("totals", &BillingReport::totals, "The invoices' totals: a dict of currency code to Money.")
      .def_readonly("skipped", &BillingReport::skipped, "The BillingSkips: periods left for a later run.")
      .def_readonly("more_due", &BillingReport::more_due, "True when the run stopped at its limit with more due.")
      .def("__repr__", [](const BillingReport& r) {
        return fmt::format("BillingReport(subscriptions_billed={}, invoices_created={}, skipped={})",
                           r.subscriptions_billed, r.invoices_created, r.skipped.size());
      });
}

}  // namespace billing::python
