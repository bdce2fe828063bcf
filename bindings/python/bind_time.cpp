// Clocks and id sources, so that Python hosts and tests inject time and ids as C++ ones do.
#include <pybind11/pybind11.h>

#include "convert.hpp"

namespace billing::python {

void bind_time(py::module_& m) {
  // Shared holders: Books keep their clock and id source alive, whoever made them.
  py::class_<Clock, std::shared_ptr<Clock>>(m, "Clock", "Where services read the current time.")
      .def(
          "now", [](const Clock& clock) { return timestamp_to_py(clock.now()); }, "The current time, aware, UTC.");
  py::class_<SystemClock, Clock, std::shared_ptr<SystemClock>>(m, "SystemClock", "The real time.").def(py::init<>());
  py::class_<ManualClock, Clock, std::shared_ptr<ManualClock>>(m, "ManualClock",
                                                               "A clock that moves only when told to.")
      .def(py::init([](py::handle start) {
             return std::make_shared<ManualClock>(start.is_none() ? Timestamp() : timestamp_from_py(start, "start"));
           }),
           py::arg("start") = py::none())
      .def(
          "set", [](ManualClock& clock, py::handle when) { clock.set(timestamp_from_py(when, "when")); },
          py::arg("when"))
      .def(
          "advance", [](ManualClock& clock, py::handle delta) { clock.advance(duration_from_py(delta, "delta")); },
          py::arg("delta"));

  py::class_<IdSource, std::shared_ptr<IdSource>>(m, "IdSource", "Makes new, unique id strings.")
      .def("next", [](IdSource& ids) { return ids.next(); });
  py::class_<SequentialIds, IdSource, std::shared_ptr<SequentialIds>>(m, "SequentialIds",
                                                                      "prefix + a 12-digit counter, for tests.")
      .def(py::init([](const Text& prefix, py::handle start) {
             return std::make_shared<SequentialIds>(prefix.value, uint64_from_py(start, "start"));
           }),
           py::arg("prefix") = "id-", py::arg("start") = 1);
  py::class_<Uuid7Ids, IdSource, std::shared_ptr<Uuid7Ids>>(m, "Uuid7Ids",
                                                            "Time-ordered UUIDv7 strings from the given clock.")
      .def(py::init<const Clock&>(), py::arg("clock"), py::keep_alive<1, 2>());
}

}  // namespace billing::python
