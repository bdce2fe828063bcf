// How an immutable value type (Money, Posting, Entry, Order, Job, ...) behaves in Python: == compares
// values and is False against another type, and copy.copy and copy.deepcopy give the value itself, since
// nothing can change it (docs/python.md, "Reprs").
#pragma once

#include <pybind11/pybind11.h>

namespace billing::python {

namespace py = pybind11;

/// Defines __eq__ (an operator, so `value == 1` is False), __copy__ and __deepcopy__ on `cls`. A class that
/// also hashes defines __hash__ after this call.
template <class T>
py::class_<T>& bind_value(py::class_<T>& cls) {
  return cls
      .def(
          "__eq__", [](const T& a, const T& b) { return a == b; }, py::is_operator())
      .def("__copy__", [](const T& value) { return value; })
      .def(
          "__deepcopy__", [](const T& value, const py::dict&) { return value; }, py::arg("memo"));
}

}  // namespace billing::python
