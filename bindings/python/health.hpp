// books.health() and books.configure_health(): declared here so that bind_books.cpp adds them to Books, and
// converted and documented in bind_health.cpp with the health report's types (docs/health.md).
#pragma once

#include "convert.hpp"

namespace billing::python {

namespace shown {
struct OptionalCountBounds {
  static constexpr auto name = const_name("Optional[Tuple[Optional[int], Optional[int]]]");
};
struct OptionalAgeBounds {
  static constexpr auto name =
      const_name("Optional[Tuple[Optional[datetime.timedelta], Optional[datetime.timedelta]]]");
};
}  // namespace shown

using CountBoundsArg = Loose<shown::OptionalCountBounds>;
using AgeBoundsArg = Loose<shown::OptionalAgeBounds>;

/// billing.HealthStatus, HealthCheck, HealthCounters and HealthReport.
void bind_health_types(py::module_& m);

/// books.health(): the report, read without the GIL.
HealthReport health_report(Books& books);

/// books.configure_health(...): each argument None keeps what is configured.
void configure_health(Books& books, const CountBoundsArg& ready_jobs, const CountBoundsArg& dead_letters,
                      const AgeBoundsArg& oldest_ready_age, const CountBoundsArg& expired_holds,
                      const CountBoundsArg& overdue_invoices, const OptionalDurationArg& invoice_overdue_after);

extern const char* const k_health_doc;
extern const char* const k_configure_health_doc;

}  // namespace billing::python
