// Usage metering: the enums (Aggregation, Granularity, RecordResult, CancelResult, MeterResult), the values
// (Meter, MeterOutcome, UsageEvent, RecordedEvent, UsageStats, UsageBucket) and books.usage. Reprs show
// codes, ids, subjects, results and figures; never a unit or an event's properties (free text a host chose).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <vector>

#include "billing/error.hpp"
#include "convert.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace {

using Release = py::call_guard<py::gil_scoped_release>;
using DecimalResult = Typed<shown::DecimalValue>;

struct OptionalDecimal {
  static constexpr auto name = py::detail::const_name("Optional[decimal.Decimal]");
};

py::object timedelta_to_py(std::chrono::microseconds span) {
  static const auto* timedelta = new py::object(py::module_::import("datetime").attr("timedelta"));  // leaked
  return (*timedelta)(py::arg("microseconds") = span.count());
}

Typed<OptionalDecimal> optional_decimal(const std::optional<Decimal>& value) {
  return {value ? decimal_to_py(*value) : py::none()};
}

std::optional<std::string> optional_text(const std::optional<Text>& value) {
  return value ? std::optional<std::string>(value->value) : std::nullopt;
}

UsageEvent usage_event(const Text& meter, const Text& subject, const DecimalArg& quantity, const Text& id,
                       const OptionalTimeArg& at, const TextMap& properties) {
  return UsageEvent{.id = id.value,
                    .meter = meter.value,
                    .subject = subject.value,
                    .quantity = decimal_from_py(quantity.value, "quantity"),
                    .at = optional_time(at, "at"),
                    .properties = properties.value};
}

// A timedelta of whole minutes as std::chrono::minutes; InvalidArgument (naming utc_offset) for part of one.
std::chrono::minutes offset_from_py(const DurationArg& value) {
  const auto span = duration_from_py(value.value, "utc_offset");
  if (span.count() % 60'000'000 != 0) throw InvalidArgument("utc_offset", "must be a whole number of minutes");
  return std::chrono::duration_cast<std::chrono::minutes>(span);
}

void bind_usage_enums(py::module_& m) {
  bind_enum<Aggregation>(m, "Aggregation",
                         "How a meter folds its events into one value per subject and bucket (docs/usage.md).\n\n"
                         "COUNT: the number of events. SUM, MIN, MAX: of their values. AVG: sum / count, to 12\n"
                         "places, HALF_EVEN. LATEST: the value of the latest event (the higher id on a tie).\n"
                         "UNIQUE_COUNT: the number of distinct values of the meter's property. An event's value\n"
                         "is its quantity, or the meter's property read as a decimal.",
                         {{"COUNT", Aggregation::count},
                          {"SUM", Aggregation::sum},
                          {"MIN", Aggregation::min},
                          {"MAX", Aggregation::max},
                          {"AVG", Aggregation::avg},
                          {"LATEST", Aggregation::latest},
                          {"UNIQUE_COUNT", Aggregation::unique_count}});
  bind_enum<Granularity>(m, "Granularity",
                         "The width of a series' buckets: MINUTE (read from the events), HOUR, DAY or MONTH\n"
                         "(calendar months; read from the running aggregates).",
                         {{"MINUTE", Granularity::minute},
                          {"HOUR", Granularity::hour},
                          {"DAY", Granularity::day},
                          {"MONTH", Granularity::month}});
  bind_enum<RecordResult>(m, "RecordResult",
                          "What recording an event did, checked in this order; only OK changed anything.\n\n"
                          "DUPLICATE: an event with this id was recorded before (cancelled or not), or earlier in\n"
                          "the same batch. UNKNOWN_METER: no meter has this code. TOO_LATE: older than now minus\n"
                          "the lateness (35 days unless configured). TOO_EARLY: later than now plus the lead (5\n"
                          "minutes). OK: counted, with every aggregate it touches.",
                          {{"OK", RecordResult::ok},
                           {"DUPLICATE", RecordResult::duplicate},
                           {"UNKNOWN_METER", RecordResult::unknown_meter},
                           {"TOO_LATE", RecordResult::too_late},
                           {"TOO_EARLY", RecordResult::too_early}});
  bind_enum<CancelResult>(m, "CancelResult",
                          "What cancelling an event did, checked in this order; only OK changed anything.\n\n"
                          "NOT_FOUND: no event has this id. ALREADY_CANCELLED. WINDOW_PASSED: it was recorded more\n"
                          "than the cancel window (24 hours unless configured) ago. OK: it no longer counts in any\n"
                          "aggregate.",
                          {{"OK", CancelResult::ok},
                           {"NOT_FOUND", CancelResult::not_found},
                           {"ALREADY_CANCELLED", CancelResult::already_cancelled},
                           {"WINDOW_PASSED", CancelResult::window_passed}});
  bind_enum<MeterResult>(m, "MeterResult",
                         "What define_meter did: OK (defined); EXISTS (a meter with this code and the same\n"
                         "definition exists); EXISTS_WITH_DIFFERENT_FIELDS (the code is taken by another\n"
                         "definition, which is returned unchanged).",
                         {{"OK", MeterResult::ok},
                          {"EXISTS", MeterResult::exists},
                          {"EXISTS_WITH_DIFFERENT_FIELDS", MeterResult::exists_with_different_fields}});
}

void bind_meter(py::module_& m) {
  py::class_<Meter> meter(m, "Meter",
                          "A meter as stored: what is counted and how it aggregates. Made by\n"
                          "books.usage.define_meter; its definition never changes.");
  bind_value(meter)
      .def_readonly("code", &Meter::code, "The meter's code (str), as events name it.")
      .def_readonly("aggregation", &Meter::aggregation, "Its Aggregation.")
      .def_readonly("unit", &Meter::unit, "What one unit is, for people (str; may be \"\").")
      .def_readonly("property", &Meter::property,
                    "The event property aggregated instead of the quantity, or None.")
      .def_readonly("group_by", &Meter::group_by, "The event property whose values split the aggregates, or None.")
      .def_property_readonly(
          "created_at", [](const Meter& meter) { return datetime_result(meter.created_at); }, "When it was defined.")
      .def("__repr__", [](const Meter& meter) {
        return fmt::format("Meter(code={}, aggregation={})", repr_of(meter.code), repr_of(meter.aggregation));
      });

  py::class_<MeterOutcome>(m, "MeterOutcome",
                           "What define_meter returns: .result (MeterResult) and .meter (the stored meter, for every\n"
                           "result). bool(outcome) is outcome.ok.")
      .def_readonly("result", &MeterOutcome::result, "What happened (MeterResult).")
      .def_readonly("meter", &MeterOutcome::meter, "The stored Meter.")
      .def_property_readonly(
          "ok", [](const MeterOutcome& o) { return o.result == MeterResult::ok; },
          "True when this call defined the meter (OK).")
      .def("__bool__", [](const MeterOutcome& o) { return o.result == MeterResult::ok; })
      .def("__repr__", [](const MeterOutcome& o) {
        return fmt::format("MeterOutcome(result={}, meter={})", repr_of(o.result), repr_of(o.meter.code));
      });
}

void bind_events(py::module_& m) {
  py::class_<UsageEvent> event(m, "UsageEvent",
                               "One usage event, for books.usage.record_batch: the arguments of record.");
  bind_value(event)
      .def(py::init(&usage_event), py::arg("meter"), py::arg("subject"), py::arg("quantity"), py::kw_only(),
           py::arg("id"), py::arg("at") = py::none(), py::arg("properties") = py::dict(),
           "UsageEvent(meter, subject, quantity, *, id, at=None, properties={}): quantity is a decimal.Decimal,\n"
           "str or int (a float is a TypeError); at an aware datetime (now when None); properties a dict of\n"
           "str to str. The limits are checked when it is recorded, naming the field ([3].id in a batch).")
      .def_readonly("id", &UsageEvent::id, "The event's id (str): it deduplicates, forever.")
      .def_readonly("meter", &UsageEvent::meter, "The meter's code (str).")
      .def_readonly("subject", &UsageEvent::subject, "Who used it (str): a user, an API key, a customer.")
      .def_property_readonly(
          "quantity", [](const UsageEvent& e) { return DecimalResult{decimal_to_py(e.quantity)}; },
          "How much (decimal.Decimal, with its places).")
      .def_property_readonly(
          "at", [](const UsageEvent& e) { return datetime_result(e.at); },
          "When it happened (aware, UTC), or None for now.")
      .def_readonly("properties", &UsageEvent::properties, "Its properties (a new dict of str to str on each read).")
      .def("__repr__", [](const UsageEvent& e) {
        return fmt::format("UsageEvent({}, {}, {}, id={})", repr_of(e.meter), repr_of(e.subject),
                           repr_of(decimal_to_py(e.quantity)), repr_of(e.id));
      });

  py::class_<RecordedEvent> recorded(m, "RecordedEvent",
                                     "An event as stored: books.usage.event(id). .event is the UsageEvent with its\n"
                                     "time set.");
  bind_value(recorded)
      .def_readonly("event", &RecordedEvent::event, "The UsageEvent, with .at set.")
      .def_property_readonly(
          "recorded_at", [](const RecordedEvent& e) { return datetime_result(e.recorded_at); }, "When it was recorded.")
      .def_property_readonly(
          "cancelled_at", [](const RecordedEvent& e) { return datetime_result(e.cancelled_at); },
          "When it was cancelled, or None.")
      .def_property_readonly(
          "cancelled", [](const RecordedEvent& e) { return e.cancelled_at.has_value(); },
          "True once cancelled: it no longer counts.")
      .def("__repr__", [](const RecordedEvent& e) {
        return fmt::format("RecordedEvent(id={}, cancelled={})", repr_of(e.event.id),
                           e.cancelled_at ? "True" : "False");
      });
}

void bind_reads(py::module_& m) {
  py::class_<UsageStats> stats(m, "UsageStats",
                               "A meter's figures across subjects: books.usage.stats(). total is the sum of the\n"
                               "subjects' values; average_per_subject = total / subjects (the seed's \"average usage\n"
                               "across all users\") and average_per_event = the sum of the events' values / events,\n"
                               "each to 12 places, HALF_EVEN, or None when there is nothing to divide by.");
  bind_value(stats)
      .def_readonly("subjects", &UsageStats::subjects, "Subjects with at least one event that counts (int).")
      .def_readonly("events", &UsageStats::events, "Events that count (int).")
      .def_property_readonly(
          "total", [](const UsageStats& s) { return DecimalResult{decimal_to_py(s.total)}; },
          "The sum of the subjects' values (decimal.Decimal).")
      .def_property_readonly(
          "average_per_subject", [](const UsageStats& s) { return optional_decimal(s.average_per_subject); },
          "total / subjects (decimal.Decimal), or None without subjects.")
      .def_property_readonly(
          "average_per_event", [](const UsageStats& s) { return optional_decimal(s.average_per_event); },
          "The sum of the events' values / events (decimal.Decimal), or None without events.")
      .def("__repr__", [](const UsageStats& s) {
        return fmt::format("UsageStats(subjects={}, events={}, total={}, average_per_subject={}, "
                           "average_per_event={})",
                           s.subjects, s.events, repr_of(decimal_to_py(s.total)),
                           repr_of(optional_decimal(s.average_per_subject).value),
                           repr_of(optional_decimal(s.average_per_event).value));
      });

  py::class_<UsageBucket> bucket(m, "UsageBucket",
                                 "One bucket of a series: [start, end), the meter's aggregate over its events\n"
                                 "(zero when empty) and how many there were.");
  bind_value(bucket)
      .def_property_readonly(
          "start", [](const UsageBucket& b) { return datetime_result(b.start); }, "Where it begins (aware, UTC).")
      .def_property_readonly(
          "end", [](const UsageBucket& b) { return datetime_result(b.end); }, "Where the next begins (aware, UTC).")
      .def_property_readonly(
          "value", [](const UsageBucket& b) { return DecimalResult{decimal_to_py(b.value)}; },
          "The aggregate over its events (decimal.Decimal).")
      .def_readonly("events", &UsageBucket::events, "How many events it holds (int).")
      .def("__repr__", [](const UsageBucket& b) {
        return fmt::format("UsageBucket(start={}, value={}, events={})", repr_of(timestamp_to_py(b.start)),
                           repr_of(decimal_to_py(b.value)), b.events);
      });
}

}  // namespace

void bind_usage_types(py::module_& m) {
  bind_usage_enums(m);
  bind_meter(m);
  bind_events(m);
  bind_reads(m);
}

void bind_usage(py::module_& m) {
  // Leaked, as every object the module holds past shutdown (convert.cpp).
  static const auto* no_offset = new py::object(py::module_::import("datetime").attr("timedelta")(0));
  py::class_<Usage>(m, "Usage", "Usage metering in the store: books.usage (docs/usage.md).")
      .def(
          "define_meter",
          [](Usage& usage, const Text& code, Aggregation aggregation, const Text& unit,
             const std::optional<Text>& property, const std::optional<Text>& group_by) {
            const MeterRequest request{.code = code.value,
                                       .aggregation = aggregation,
                                       .unit = unit.value,
                                       .property = optional_text(property),
                                       .group_by = optional_text(group_by)};
            py::gil_scoped_release release;
            return usage.define_meter(request);
          },
          py::arg("code"), py::arg("aggregation"), py::kw_only(), py::arg("unit") = "",
          py::arg("property") = py::none(), py::arg("group_by") = py::none(),
          "Defines a meter; returns a MeterOutcome (EXISTS when it is defined alike already).\n\n"
          "code: 1 to 64 of A-Z a-z 0-9 _ . : -, starting with a letter. unit: up to 64 bytes. property: the\n"
          "event property aggregated instead of the quantity (UNIQUE_COUNT needs one). group_by: an event\n"
          "property whose values split the aggregates (not the property). InvalidArgument names the field.")
      .def(
          "meter", [](Usage& usage, const Text& code) { return usage.meter(code.value); }, py::arg("code"),
          Release(), "The Meter with this code, or None.")
      .def(
          "meters", [](Usage& usage) { return usage.meters(); }, Release(), "Every Meter, by code.")
      .def(
          "record",
          [](Usage& usage, const Text& meter, const Text& subject, const DecimalArg& quantity, const Text& id,
             const OptionalTimeArg& at, const TextMap& properties) {
            const UsageEvent event = usage_event(meter, subject, quantity, id, at, properties);
            py::gil_scoped_release release;
            return usage.record(event);
          },
          py::arg("meter"), py::arg("subject"), py::arg("quantity"), py::kw_only(), py::arg("id"),
          py::arg("at") = py::none(), py::arg("properties") = py::dict(),
          "Records one event with every aggregate it touches, in one unit of work; returns a RecordResult.\n"
          "Inside `with books.transaction():` it commits or rolls back with the block.\n\n"
          "quantity: decimal.Decimal, str or int (a float is a TypeError). id: 1 to 255 bytes, deduplicating\n"
          "forever. subject: 1 to 255 bytes. at: an aware datetime from 1970 to 2200 (now when None).\n"
          "properties: up to 32 pairs, keys 1 to 64 bytes, values up to 256. InvalidArgument names the field\n"
          "(properties.tokens when the meter's property is missing or not a decimal); Overflow when an\n"
          "aggregate would pass the range of Decimal. Nothing is stored then.")
      .def(
          "record_batch", [](Usage& usage, const std::vector<UsageEvent>& events) { return usage.record_batch(events); },
          py::arg("events"), Release(),
          "Records up to 10,000 UsageEvents in one unit of work; returns one RecordResult per event, in order\n"
          "(a later event with an earlier one's id is DUPLICATE). InvalidArgument names the event at fault,\n"
          "such as [3].id, before anything is stored.")
      .def(
          "cancel", [](Usage& usage, const Text& id) { return usage.cancel(id.value); }, py::arg("id"), Release(),
          "Cancels an event: it stops counting in every aggregate it touched (count and sum are decremented;\n"
          "min, max, latest and unique counts recomputed). Returns a CancelResult.")
      .def(
          "event", [](Usage& usage, const Text& id) { return usage.event(id.value); }, py::arg("id"), Release(),
          "The RecordedEvent with this id (cancelled or not), or None.")
      .def(
          "total",
          [](Usage& usage, const Text& meter, const Text& subject, const OptionalTimeArg& start,
             const OptionalTimeArg& end, const std::optional<Text>& group) {
            const std::optional<Timestamp> from = optional_time(start, "start");
            const std::optional<Timestamp> to = optional_time(end, "end");
            const std::optional<std::string> of_group = optional_text(group);
            Decimal value;
            {
              py::gil_scoped_release release;
              value = usage.total(meter.value, subject.value, from, to, of_group);
            }
            return DecimalResult{decimal_to_py(value)};
          },
          py::arg("meter"), py::arg("subject"), py::kw_only(), py::arg("start") = py::none(),
          py::arg("end") = py::none(), py::arg("group") = py::none(),
          "The meter's aggregate for subject (and one value of its group_by property, when given) over the\n"
          "events at or after start and before end (aware datetimes; all time when both are None, read in\n"
          "constant time). Zero when there are none. InvalidArgument for an unknown meter or end before start.")
      .def(
          "stats",
          [](Usage& usage, const Text& meter, const OptionalTimeArg& start, const OptionalTimeArg& end) {
            const std::optional<Timestamp> from = optional_time(start, "start");
            const std::optional<Timestamp> to = optional_time(end, "end");
            py::gil_scoped_release release;
            return usage.stats(meter.value, from, to);
          },
          py::arg("meter"), py::kw_only(), py::arg("start") = py::none(), py::arg("end") = py::none(),
          "The meter's UsageStats across subjects: over all time in constant time, or over [start, end).")
      .def(
          "series",
          [](Usage& usage, const Text& meter, const std::optional<Text>& subject, const TimeArg& start,
             const TimeArg& end, Granularity granularity, const DurationArg& utc_offset) {
            const Timestamp from = timestamp_from_py(start.value, "start");
            const Timestamp to = timestamp_from_py(end.value, "end");
            const std::chrono::minutes offset = offset_from_py(utc_offset);
            const std::optional<std::string> who = optional_text(subject);
            py::gil_scoped_release release;
            return usage.series(meter.value, from, to, granularity, who, offset);
          },
          py::arg("meter"), py::kw_only(), py::arg("subject") = py::none(), py::arg("start"), py::arg("end"),
          py::arg("granularity"), py::arg_v("utc_offset", *no_offset, "datetime.timedelta(0)"),
          "A list of UsageBuckets, one per granularity step from the step that holds start up to end, empty\n"
          "ones included, for subject or across subjects. Buckets begin at UTC plus utc_offset (a whole number\n"
          "of minutes, -18h to +18h: at +05:30 a day begins at 18:30 UTC). At most 10,000 buckets.")
      .def(
          "configure",
          [](Usage& usage, const OptionalDurationArg& lateness, const OptionalDurationArg& lead,
             const OptionalDurationArg& cancel_window) {
            UsageOptions options = usage.options();
            if (!lateness.value.is_none()) options.lateness = duration_from_py(lateness.value, "lateness");
            if (!lead.value.is_none()) options.lead = duration_from_py(lead.value, "lead");
            if (!cancel_window.value.is_none()) {
              options.cancel_window = duration_from_py(cancel_window.value, "cancel_window");
            }
            usage.configure(options);
          },
          py::kw_only(), py::arg("lateness") = py::none(), py::arg("lead") = py::none(),
          py::arg("cancel_window") = py::none(),
          "The windows, each a datetime.timedelta (None keeps it): lateness, how old an event may be (35 days;\n"
          "0 < lateness <= 366 days); lead, how far ahead (5 minutes; up to 24 hours); cancel_window, how long\n"
          "after recording an event may be cancelled (24 hours; up to 366 days). Set once at start-up.")
      .def_property_readonly(
          "lateness", [](const Usage& usage) { return Typed<shown::TimeDelta>{timedelta_to_py(usage.options().lateness)}; },
          "How old an event may be when recorded (datetime.timedelta).")
      .def_property_readonly(
          "lead", [](const Usage& usage) { return Typed<shown::TimeDelta>{timedelta_to_py(usage.options().lead)}; },
          "How far ahead of now an event may be (datetime.timedelta).")
      .def_property_readonly(
          "cancel_window",
          [](const Usage& usage) { return Typed<shown::TimeDelta>{timedelta_to_py(usage.options().cancel_window)}; },
          "How long after recording an event may be cancelled (datetime.timedelta).")
      .def("__repr__", [](const Usage&) { return std::string("<billing.Usage: books.usage>"); });
}

}  // namespace billing::python
