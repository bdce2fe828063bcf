// Conversions between Python values and billing's value types, shared by every binding file.
// Conversion only: no rule of the library is checked here.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "billing/billing.hpp"

namespace billing::python {

namespace py = pybind11;

/// A decimal.Decimal, str or int as an exact Decimal. A float (or bool) raises TypeError naming `field`.
Decimal decimal_from_py(py::handle value, std::string_view field);
/// A Decimal as a decimal.Decimal with the same digits and places.
py::object decimal_to_py(const Decimal& value);

/// A Currency or a currency code as a Currency.
Currency currency_from_py(py::handle value, std::string_view field = "currency");

/// An aware datetime as a Timestamp. A naive datetime raises ValueError: its zone is unknown.
Timestamp timestamp_from_py(py::handle value, std::string_view field);
/// A Timestamp as an aware datetime in UTC.
py::object timestamp_to_py(Timestamp value);
/// A datetime.timedelta as exact microseconds.
Timestamp::Duration duration_from_py(py::handle value, std::string_view field);

/// A Python int as int64, raising billing.Overflow (through the translator) when it does not fit. A bool
/// or any other type is a TypeError naming `field`.
std::int64_t int64_from_py(py::handle value, std::string_view field);
/// A Python int as an int (places, a unit's minor units): TypeError for a bool or another type, Overflow
/// beyond the range of an int.
int int_from_py(py::handle value, std::string_view field);
/// A Python int that counts or numbers something (a limit, a number of parts, a sequence) as uint64:
/// TypeError for a bool or another type, InvalidArgument (naming `field`) when negative, Overflow beyond
/// 64 bits. How many is too many is the library's rule, checked in C++.
std::uint64_t uint64_from_py(py::handle value, std::string_view field);

/// False for an instance of a bound class made by Cls.__new__(Cls) without __init__, which holds no value
/// (pybind11 would lend it uninitialised memory); true for anything else. The module's guard checks every
/// argument and the items of list, tuple and dict arguments; a conversion that reaches deeper checks here.
bool holds_value(py::handle value);

/// A path for a file: a str or an os.PathLike that gives one. TypeError naming `field` for bytes or
/// another type; InvalidArgument when it holds a NUL byte, which a C path cannot (the file opened would
/// be another one, named by the text before the NUL).
std::string path_from_py(py::handle value, std::string_view field);

/// A Python str, and never bytes: the type of every text parameter of the bindings. (pybind11's own
/// std::string conversion takes bytes too, so that b"cash" would name an account.) A wrong type fails the
/// call's conversion, which the module's guard reports as a TypeError naming the parameter (guard.cpp).
struct Text {
  std::string value;
};

/// A dict of str to str, for metadata; bytes keys or values, or another mapping type, are refused as Text.
struct TextMap {
  Metadata value;
};

/// An optional Text as an optional id of type IdT.
template <class IdT>
std::optional<IdT> optional_id(const std::optional<Text>& value) {
  if (!value) return std::nullopt;
  return IdT(value->value);
}

}  // namespace billing::python

namespace pybind11::detail {

template <>
struct type_caster<billing::python::Text> {
  PYBIND11_TYPE_CASTER(billing::python::Text, const_name("str"));

  bool load(handle source, bool /*convert*/) {
    if (!source || !PyUnicode_Check(source.ptr())) return false;
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(source.ptr(), &size);
    if (data == nullptr) throw error_already_set();  // a lone surrogate: Python's UnicodeEncodeError says so
    value.value.assign(data, static_cast<std::size_t>(size));
    return true;
  }

  static handle cast(const billing::python::Text& text, return_value_policy /*policy*/, handle /*parent*/) {
    return PyUnicode_DecodeUTF8(text.value.data(), static_cast<Py_ssize_t>(text.value.size()), nullptr);
  }
};

template <>
struct type_caster<billing::python::TextMap> {
  PYBIND11_TYPE_CASTER(billing::python::TextMap, const_name("Dict[str, str]"));

  bool load(handle source, bool convert) {
    if (!source || !PyDict_Check(source.ptr())) return false;
    value.value.clear();
    PyObject* key = nullptr;
    PyObject* item = nullptr;
    for (Py_ssize_t at = 0; PyDict_Next(source.ptr(), &at, &key, &item) != 0;) {
      make_caster<billing::python::Text> key_text;
      make_caster<billing::python::Text> item_text;
      if (!key_text.load(key, convert) || !item_text.load(item, convert)) return false;
      value.value.insert_or_assign(cast_op<billing::python::Text&&>(std::move(key_text)).value,
                                   cast_op<billing::python::Text&&>(std::move(item_text)).value);
    }
    return true;
  }

  static handle cast(const billing::python::TextMap& map, return_value_policy policy, handle parent) {
    return make_caster<billing::Metadata>::cast(map.value, policy, parent);
  }
};

}  // namespace pybind11::detail
