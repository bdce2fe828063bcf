// How bound values print (docs/python.md, "Reprs"): `Name(part, key=part, ...)`, each part as Python's
// own repr() shows it, so that a repr reads as the call that would make the value. Ids, amounts, enums,
// counts and times are shown; free text (descriptions, metadata) and anything sensitive never are.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <type_traits>

#include "billing/id.hpp"

namespace billing::python {

namespace py = pybind11;

/// repr() of the Python value pybind11 makes of `value`: 'cash', Money('1.00', 'USD'), None, 3.
template <class T>
std::string repr_of(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return py::str(py::cast(value)).template cast<std::string>();  // PostResult.OK, as code names it
  } else {
    return py::repr(py::cast(value)).template cast<std::string>();
  }
}

/// repr() of a Python object.
inline std::string repr_of(const py::object& value) { return py::repr(value).cast<std::string>(); }

/// An id as its quoted text: 'order-17'.
template <class Tag>
std::string repr_of(const Id<Tag>& id) {
  return repr_of(id.str());
}

/// An optional value, or None.
template <class T>
std::string repr_of(const std::optional<T>& value) {
  return value ? repr_of(*value) : std::string("None");
}

/// "3 items" for a page or list, which a repr summarises rather than prints whole.
inline std::string count_of(std::size_t size, const char* what) {
  return std::to_string(size) + " " + what + (size == 1 ? "" : "s");
}

}  // namespace billing::python
