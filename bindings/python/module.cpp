// billing._billing: the compiled half of `import billing`. Each area binds itself in its own file; types
// are registered before the functions that mention them.
#include <pybind11/pybind11.h>

#include "billing/version.hpp"

namespace billing::python {
namespace py = pybind11;
void bind_errors(py::module_& m);
void bind_money(py::module_& m);
void bind_time(py::module_& m);
void bind_pricing(py::module_& m);
void bind_account_types(py::module_& m);
void bind_accounts(py::module_& m);
void bind_ledger_types(py::module_& m);
void bind_ledger(py::module_& m);
void bind_order_types(py::module_& m);
void bind_job_types(py::module_& m);
void bind_orders(py::module_& m);
void bind_jobs(py::module_& m);
void bind_payments(py::module_& m);
void bind_payment_types(py::module_& m);
void bind_payment_service(py::module_& m);
void bind_usage_types(py::module_& m);
void bind_usage(py::module_& m);
void bind_plan_types(py::module_& m);
void bind_plans(py::module_& m);
void bind_subscription_types(py::module_& m);
void bind_subscriptions(py::module_& m);
void bind_invoice_types(py::module_& m);
void bind_invoices(py::module_& m);
void bind_collections(py::module_& m);
void bind_billing_run_types(py::module_& m);
void bind_health_types(py::module_& m);
void bind_books(py::module_& m);
void install_guard(py::module_& m);
}  // namespace billing::python

PYBIND11_MODULE(_billing, m) {
  m.doc() = "Exact money, ledgers and billing rules; see the billing package for the public names.";
  m.attr("__version__") = billing::k_version;
  // Classes and functions take their __module__ from the module's __name__ as they are bound. Naming them
  // billing.Money rather than billing._billing.Money makes help(), signatures and pickles use the public
  // name (pickle finds billing.Money, which the package re-exports). The real name is put back at the end.
  m.attr("__name__") = "billing";
  billing::python::bind_errors(m);
  billing::python::bind_money(m);
  billing::python::bind_time(m);
  billing::python::bind_pricing(m);  // before the areas whose types name a Price
  billing::python::bind_account_types(m);  // types first, so that functions can name them
  billing::python::bind_ledger_types(m);
  billing::python::bind_order_types(m);
  billing::python::bind_job_types(m);
  billing::python::bind_accounts(m);
  billing::python::bind_ledger(m);
  billing::python::bind_orders(m);
  billing::python::bind_jobs(m);
  billing::python::bind_payments(m);
  billing::python::bind_payment_types(m);
  billing::python::bind_payment_service(m);
  billing::python::bind_usage_types(m);
  billing::python::bind_usage(m);
  billing::python::bind_plan_types(m);
  billing::python::bind_plans(m);
  billing::python::bind_subscription_types(m);
  billing::python::bind_subscriptions(m);
  billing::python::bind_invoice_types(m);
  billing::python::bind_invoices(m);
  billing::python::bind_billing_run_types(m);
  billing::python::bind_collections(m);
  billing::python::bind_health_types(m);  // before Books, whose health() returns a HealthReport
  billing::python::bind_books(m);
  billing::python::install_guard(m);  // last: it guards every function bound above
  m.attr("__name__") = "billing._billing";
}
