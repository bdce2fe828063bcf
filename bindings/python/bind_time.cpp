// Clocks and id sources, so that Python hosts and tests inject time and ids as C++ ones do.
#include <pybind11/pybind11.h>

#include <fmt/format.h>

#include "convert.hpp"
#include "repr.hpp"

namespace billing::python {

void bind_time(py::module_& m) {
  // Shared holders: Books keep their clock and id source alive, whoever made them.
  py::class_<Clock, std::shared_ptr<Clock>>(m, "Clock",
                                            "Where the books read the current time; pass one to billing.open(clock=).")
      .def(
          "now", [](const Clock& clock) { return datetime_result(clock.now()); },
          "The current time, as an aware datetime in UTC.")
      .def("__repr__", [](const Clock& clock) { return fmt::format("<billing.Clock at {}>", clock.now().to_string()); });
  py::class_<SystemClock, Clock, std::shared_ptr<SystemClock>>(m, "SystemClock",
                                                               "The real time; the books' clock by default.")
      .def(py::init<>(), "The system's real-time clock.")
      .def("__repr__", [](const SystemClock&) { return std::string("SystemClock()"); });
  py::class_<ManualClock, Clock, std::shared_ptr<ManualClock>>(m, "ManualClock",
                                                               "A clock that moves only when told to, for tests.")
      .def(py::init([](const OptionalTimeArg& start) {
             return std::make_shared<ManualClock>(optional_time(start, "start").value_or(Timestamp()));
           }),
           py::arg("start") = py::none(), "A clock standing at start (an aware datetime), or at the Unix epoch.")
      .def(
          "set", [](ManualClock& clock, const TimeArg& when) { clock.set(timestamp_from_py(when.value, "when")); },
          py::arg("when"), "Moves the clock to when (an aware datetime), forward or back.")
      .def(
          "advance",
          [](ManualClock& clock, const DurationArg& delta) { clock.advance(duration_from_py(delta.value, "delta")); },
          py::arg("delta"), "Moves the clock by delta (a datetime.timedelta).")
      .def("__repr__", [](const ManualClock& clock) {
        return fmt::format("ManualClock({})", repr_of(datetime_result(clock.now()).value));
      });

  py::class_<IdSource, std::shared_ptr<IdSource>>(m, "IdSource",
                                                  "Makes new, unique id strings; pass one to billing.open(ids=).")
      .def(
          "next", [](IdSource& ids) { return ids.next(); }, "A new id (str), never returned before by this source.")
      .def("__repr__", [](const IdSource&) { return std::string("<billing.IdSource>"); });
  py::class_<SequentialIds, IdSource, std::shared_ptr<SequentialIds>>(m, "SequentialIds",
                                                                      "prefix + a 12-digit counter, for tests.")
      .def(py::init([](const Text& prefix, const IntArg& start) {
             return std::make_shared<SequentialIds>(prefix.value, uint64_from_py(start.value, "start"));
           }),
           py::arg("prefix") = "id-", py::arg("start") = 1,
           "Ids prefix + 000000000001, 000000000002, ... counting from start (an int >= 0).")
      .def("__repr__", [](const SequentialIds&) { return std::string("<billing.SequentialIds>"); });
  py::class_<Uuid7Ids, IdSource, std::shared_ptr<Uuid7Ids>>(m, "Uuid7Ids",
                                                            "Time-ordered UUIDv7 strings from the given clock.")
      .def(py::init<const Clock&>(), py::arg("clock"), py::keep_alive<1, 2>(),
           "RFC 9562 UUIDv7 ids from clock's milliseconds; ids from one source strictly increase.")
      .def("__repr__", [](const Uuid7Ids&) { return std::string("<billing.Uuid7Ids>"); });
}

}  // namespace billing::python
