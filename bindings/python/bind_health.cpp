// The health report: billing.HealthStatus, HealthCheck, HealthCounters, HealthReport, and what books.health()
// and books.configure_health() convert (docs/health.md). Reprs show statuses, check names and counts, never a
// reason's text (a storage error may quote a path).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "billing/health.hpp"
#include "convert.hpp"
#include "enums.hpp"
#include "health.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {
namespace {

namespace shown_here {
using py::detail::const_name;
struct Rejections {
  static constexpr auto name = const_name("Dict[billing.PostResult, int]");
};
}  // namespace shown_here

// As bind_jobs.cpp, bind_plans.cpp and bind_usage.cpp each have it (a candidate for convert.hpp).
py::object timedelta_to_py(std::chrono::microseconds span) {
  static const auto* timedelta = new py::object(py::module_::import("datetime").attr("timedelta"));  // leaked
  return (*timedelta)(py::arg("microseconds") = span.count());
}

[[noreturn]] void refuse_bounds(const std::string& field, const char* items, py::handle value) {
  throw py::type_error(
      fmt::format("{}: expected a tuple (degraded, unhealthy) of {} or None, got {}", field, items, type_name(value)));
}

// A (degraded, unhealthy) pair: a tuple of two items, each read by `read(item, field)` or None (never).
template <class T, class Read>
std::pair<std::optional<T>, std::optional<T>> bounds_from_py(py::handle value, const std::string& field,
                                                             const char* items, Read read) {
  if (!PyTuple_Check(value.ptr()) || PyTuple_GET_SIZE(value.ptr()) != 2) refuse_bounds(field, items, value);
  const auto item = [&](Py_ssize_t i, const char* bound) -> std::optional<T> {
    const py::handle held = PyTuple_GET_ITEM(value.ptr(), i);
    if (held.is_none()) return std::nullopt;
    return read(held, field + "." + bound);
  };
  return {item(0, "degraded"), item(1, "unhealthy")};
}

void set_count_bounds(CountBounds& bounds, const CountBoundsArg& arg, const std::string& field) {
  if (arg.value.is_none()) return;
  const auto [degraded, unhealthy] = bounds_from_py<std::uint64_t>(
      arg.value, field, "int", [](py::handle item, const std::string& name) { return uint64_from_py(item, name); });
  bounds = {.degraded = degraded, .unhealthy = unhealthy};
}

void set_age_bounds(AgeBounds& bounds, const AgeBoundsArg& arg, const std::string& field) {
  if (arg.value.is_none()) return;
  const auto [degraded, unhealthy] = bounds_from_py<std::chrono::microseconds>(
      arg.value, field, "datetime.timedelta",
      [](py::handle item, const std::string& name) { return duration_from_py(item, name); });
  bounds = {.degraded = degraded, .unhealthy = unhealthy};
}

std::string failing(const HealthReport& report) {
  std::vector<std::string> names;
  for (const HealthCheck& check : report.checks) {
    if (check.status != HealthStatus::healthy) names.push_back(check.name);
  }
  return repr_of(py::cast(names));
}

[[noreturn]] void no_truth(const char* what) {
  throw py::type_error(fmt::format("{} has no truth value: compare .status with a HealthStatus", what));
}

void bind_check(py::module_& m) {
  py::class_<HealthCheck> cls(m, "HealthCheck", "One graded figure of a HealthReport: its name, status and reason.");
  bind_value(cls)
      .def_readonly("name", &HealthCheck::name,
                    "What it grades (str): storage, integrity, ready_jobs, dead_letters, oldest_ready_age,\n"
                    "expired_holds or overdue_invoices.")
      .def_property_readonly(
          "status", [](const HealthCheck& c) { return c.status; }, "Its grade (HealthStatus).")
      .def_readonly("reason", &HealthCheck::reason,
                    "Why it is not HEALTHY, for people (str); \"\" when it is. A figure the store could not give\n"
                    "is UNHEALTHY with a reason that starts \"not measured: \".")
      .def("__bool__", [](const HealthCheck&) -> bool { no_truth("HealthCheck"); })
      .def("__repr__",
           [](const HealthCheck& c) { return fmt::format("HealthCheck({}, {})", repr_of(c.name), repr_of(c.status)); });
}

void bind_counters(py::module_& m) {
  py::class_<HealthCounters> cls(m, "HealthCounters",
                                 "What these books counted since they were opened, in this process: entries, events\n"
                                 "and failed jobs once committed; rejections and duplicates as they were returned.");
  bind_value(cls)
      .def_readonly("entries_posted", &HealthCounters::entries_posted,
                    "Ledger entries appended (int): posts, holds, their posts and voids, reversals.")
      .def_readonly("events_recorded", &HealthCounters::events_recorded, "Usage events stored (int).")
      .def_readonly("event_duplicates", &HealthCounters::event_duplicates,
                    "Usage events refused as the duplicate of a stored id (int).")
      .def_readonly("jobs_failed", &HealthCounters::jobs_failed, "Failed attempts reported by jobs.fail() (int).")
      .def_readonly("jobs_dead_lettered", &HealthCounters::jobs_dead_lettered,
                    "Jobs moved to the dead letters (int), by fail() or by a last lease that ran out.")
      .def_property_readonly(
          "rejections",
          [](const HealthCounters& c) {
            py::dict out;
            for (const auto& [code, count] : c.rejections) out[py::cast(code)] = count;
            return Typed<shown_here::Rejections>{std::move(out)};
          },
          "Ledger entries refused, by code: a dict of every PostResult but OK and EXISTS to an int, zeros\n"
          "included.")
      .def_property_readonly(
          "rejections_total", [](const HealthCounters& c) { return c.rejections_total(); },
          "The sum of rejections (int).")
      .def("__repr__", [](const HealthCounters& c) {
        return fmt::format(
            "HealthCounters(entries_posted={}, rejections={}, events_recorded={}, event_duplicates={}, "
            "jobs_failed={}, jobs_dead_lettered={})",
            c.entries_posted, c.rejections_total(), c.events_recorded, c.event_duplicates, c.jobs_failed,
            c.jobs_dead_lettered);
      });
}

void bind_report(py::module_& m) {
  py::class_<HealthReport> cls(m, "HealthReport",
                               "books.health(): one report for a health endpoint or a dashboard (docs/health.md).\n\n"
                               "str(report) is the table; report.to_json() the JSON an HTTP host returns as it is.\n"
                               "bool(report) is a TypeError: compare .status with a HealthStatus.");
  bind_value(cls)
      .def_property_readonly(
          "status", [](const HealthReport& r) { return r.status; }, "The worst status of the checks (HealthStatus).")
      .def_property_readonly(
          "checked_at", [](const HealthReport& r) { return datetime_result(r.checked_at); },
          "When it was read, by the books' clock.")
      .def_property_readonly(
          "counting_since", [](const HealthReport& r) { return datetime_result(r.counting_since); },
          "When the books were opened: where the counters start.")
      .def_readonly("storage_reachable", &HealthReport::storage_reachable,
                    "True when a read began and read the ledger's head (bool).")
      .def_readonly("integrity_ok", &HealthReport::integrity_ok,
                    "True when the newest entries re-hash and link to the stored head; None when not measured.")
      .def_readonly("ledger_entries", &HealthReport::ledger_entries,
                    "The ledger's length (int), or None when not measured.")
      .def_readonly("entries_verified", &HealthReport::entries_verified,
                    "How many of the newest entries the integrity check re-hashed (int, at most 16), or None.")
      .def_readonly("jobs", &HealthReport::jobs, "The queue's JobStats, or None when not measured.")
      .def_readonly("expired_holds", &HealthReport::expired_holds,
                    "Holds past their expiry, neither posted nor voided (int), or None.")
      .def_readonly("overdue_invoices", &HealthReport::overdue_invoices,
                    "OPEN invoices finalised longer ago than invoice_overdue_after (int), or None.")
      .def_property_readonly(
          "invoice_overdue_after",
          [](const HealthReport& r) { return Typed<shown::TimeDelta>{timedelta_to_py(r.invoice_overdue_after)}; },
          "How long after finalising an OPEN invoice is overdue (datetime.timedelta).")
      .def_readonly("counters", &HealthReport::counters, "The HealthCounters since the books were opened.")
      .def_readonly("checks", &HealthReport::checks,
                    "The HealthChecks, always these seven in this order: storage, integrity, ready_jobs,\n"
                    "dead_letters, oldest_ready_age, expired_holds, overdue_invoices.")
      .def_property_readonly(
          "reasons", [](const HealthReport& r) { return r.reasons(); },
          "\"name: reason\" for each check that is not HEALTHY (a list of str).")
      .def(
          "to_json", [](const HealthReport& r) { return r.to_json(); },
          "The report as one JSON object (str) with the same keys every time: exact integers, ages in\n"
          "microseconds (keys ending _us), RFC 3339 times, null for what was not measured.")
      .def(
          "to_table", [](const HealthReport& r) { return r.to_table(); },
          "The report as a table for people (str), one line per check and per counter; str(report) is the same.")
      .def("__str__", [](const HealthReport& r) { return r.to_table(); })
      .def("__bool__", [](const HealthReport&) -> bool { no_truth("HealthReport"); })
      .def("__repr__", [](const HealthReport& r) {
        return fmt::format("HealthReport(status={}, failing={})", repr_of(r.status), failing(r));
      });
}

}  // namespace

const char* const k_health_doc =
    "The health report (HealthReport): whether the store answers and its newest entries re-hash, the job\n"
    "queue's depths and its oldest ready job's age, expired holds not yet voided, overdue invoices, and the\n"
    "counters since the books were opened, each graded by the thresholds of configure_health(). Only reads;\n"
    "never raises for a failing store: the report is UNHEALTHY and says why.";

const char* const k_configure_health_doc =
    "Sets the bounds that grade the report; an argument left None keeps what is configured.\n\n"
    "ready_jobs, dead_letters, expired_holds, overdue_invoices: (degraded, unhealthy), each an int or None\n"
    "(never); a figure strictly above a bound reaches its grade, so 0 means \"any at all\". oldest_ready_age:\n"
    "the same with datetime.timedelta bounds from zero to 366 days. invoice_overdue_after: a timedelta, more\n"
    "than zero, at most 366 days. Defaults: ready_jobs (10000, 100000), dead_letters (0, 1000),\n"
    "oldest_ready_age (5 minutes, 1 hour), expired_holds (1000, None), overdue_invoices (None, None),\n"
    "invoice_overdue_after 30 days. InvalidArgument names the bound at fault (ready_jobs.unhealthy when it\n"
    "is below the degraded one); nothing changes then.";

void bind_health_types(py::module_& m) {
  bind_enum<HealthStatus>(m, "HealthStatus",
                          "A health grade, best to worst: HEALTHY (every figure within its bounds), DEGRADED (a\n"
                          "figure beyond its degraded bound: it needs a look) and UNHEALTHY (the store failed, its\n"
                          "chain does not check out, or a figure is beyond its unhealthy bound).",
                          {{"HEALTHY", HealthStatus::healthy},
                           {"DEGRADED", HealthStatus::degraded},
                           {"UNHEALTHY", HealthStatus::unhealthy}});
  bind_check(m);
  bind_counters(m);
  bind_report(m);
}

HealthReport health_report(Books& books) {
  py::gil_scoped_release release;
  return books.health().report();
}

void configure_health(Books& books, const CountBoundsArg& ready_jobs, const CountBoundsArg& dead_letters,
                      const AgeBoundsArg& oldest_ready_age, const CountBoundsArg& expired_holds,
                      const CountBoundsArg& overdue_invoices, const OptionalDurationArg& invoice_overdue_after) {
  HealthThresholds thresholds = books.health().thresholds();
  set_count_bounds(thresholds.ready_jobs, ready_jobs, "ready_jobs");
  set_count_bounds(thresholds.dead_letters, dead_letters, "dead_letters");
  set_age_bounds(thresholds.oldest_ready_age, oldest_ready_age, "oldest_ready_age");
  set_count_bounds(thresholds.expired_holds, expired_holds, "expired_holds");
  set_count_bounds(thresholds.overdue_invoices, overdue_invoices, "overdue_invoices");
  if (!invoice_overdue_after.value.is_none()) {
    thresholds.invoice_overdue_after = duration_from_py(invoice_overdue_after.value, "invoice_overdue_after");
  }
  books.health().configure(thresholds);
}

}  // namespace billing::python
