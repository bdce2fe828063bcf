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
#include "enums.hpp"

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

/// The name of a value's type ("float"), for messages that must not show the value.
std::string type_name(py::handle value);

/// `parent["key"]`, quoted so that a reader can paste it back into Python: the path to a value inside a
/// nested argument (request["items"][2]["sku"]), for a TypeError that names where it sits.
std::string key_path(const std::string& parent, std::string_view key);

/// A str's UTF-8 bytes. A str with a lone surrogate has none: TypeError naming `path`.
std::string utf8_from_py(py::handle text, const std::string& path);

/// Bounds the nesting of a value a binding walks by Python's own recursion limit, so that a list that
/// contains itself is a RecursionError (`what` ends its message: " while encoding a job's payload").
class RecursionGuard {
 public:
  explicit RecursionGuard(const char* what) {
    if (Py_EnterRecursiveCall(what) != 0) throw py::error_already_set();
  }
  ~RecursionGuard() { Py_LeaveRecursiveCall(); }
  RecursionGuard(const RecursionGuard&) = delete;
  RecursionGuard& operator=(const RecursionGuard&) = delete;
};

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

/// A parameter that the binding converts itself, so that a wrong value is refused with an error naming
/// the field (decimal_from_py and the others above), shown in help() and in the guard's messages as the
/// Python type it takes, `Shown::name`. Its caster takes any object; `Shown::accepts`, when present,
/// narrows that (a callable).
template <class Shown>
struct Loose {
  py::handle value;
};

/// A result the binding builds as a Python object, shown in help() as `Shown::name`.
template <class Shown>
struct Typed {
  py::object value;
};

/// The Python types that help() shows for Loose parameters and Typed results.
namespace shown {
using py::detail::const_name;
struct DecimalLike {
  static constexpr auto name = const_name("Union[decimal.Decimal, str, int]");
};
struct CurrencyLike {
  static constexpr auto name = const_name("Union[billing.Currency, str]");
};
struct Int {
  static constexpr auto name = const_name("int");
};
struct OptionalInt {
  static constexpr auto name = const_name("Optional[int]");
};
struct DateTime {
  static constexpr auto name = const_name("datetime.datetime");
};
struct OptionalDateTime {
  static constexpr auto name = const_name("Optional[datetime.datetime]");
};
struct OptionalTimeDelta {
  static constexpr auto name = const_name("Optional[datetime.timedelta]");
};
struct TimeDelta {
  static constexpr auto name = const_name("datetime.timedelta");
};
struct AsOf {
  static constexpr auto name = const_name("Union[datetime.datetime, int, None]");
};
struct DecimalValue {
  static constexpr auto name = const_name("decimal.Decimal");
};
struct OptionalStr {
  static constexpr auto name = const_name("Optional[str]");
};
struct Path {
  static constexpr auto name = const_name("Union[str, os.PathLike[str], None]");
};
struct Money {
  static constexpr auto name = const_name("billing.Money");
};
struct Any {
  static constexpr auto name = const_name("Any");
};
struct Work {
  static constexpr auto name = const_name("Callable[[], Any]");
  static bool accepts(py::handle value) { return PyCallable_Check(value.ptr()) != 0; }
};
}  // namespace shown

using DecimalArg = Loose<shown::DecimalLike>;
using CurrencyArg = Loose<shown::CurrencyLike>;
using IntArg = Loose<shown::Int>;
using OptionalIntArg = Loose<shown::OptionalInt>;
using TimeArg = Loose<shown::DateTime>;
using OptionalTimeArg = Loose<shown::OptionalDateTime>;
using DurationArg = Loose<shown::TimeDelta>;
using OptionalDurationArg = Loose<shown::OptionalTimeDelta>;

/// A Timestamp as an aware datetime in UTC, typed for help().
inline Typed<shown::DateTime> datetime_result(Timestamp value) { return {timestamp_to_py(value)}; }
/// An optional Timestamp as a datetime or None.
inline Typed<shown::OptionalDateTime> datetime_result(const std::optional<Timestamp>& value) {
  return {value ? timestamp_to_py(*value) : py::none()};
}
/// An optional id as its text or None.
template <class IdT>
Typed<shown::OptionalStr> id_result(const std::optional<IdT>& id) {
  return {id ? py::object(py::str(id->str())) : py::object(py::none())};
}
/// An optional timestamp parameter: None, or an aware datetime.
inline std::optional<Timestamp> optional_time(const OptionalTimeArg& value, std::string_view field) {
  if (value.value.is_none()) return std::nullopt;
  return timestamp_from_py(value.value, field);
}

/// An optional count parameter (an expected_version, a quota): None, or an int from 0 to 2^64 - 1.
inline std::optional<std::uint64_t> optional_uint64(const OptionalIntArg& value, std::string_view field) {
  if (value.value.is_none()) return std::nullopt;
  return uint64_from_py(value.value, field);
}

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

template <class Shown>
struct type_caster<billing::python::Loose<Shown>> {
  PYBIND11_TYPE_CASTER(billing::python::Loose<Shown>, Shown::name);

  bool load(handle source, bool /*convert*/) {
    if (!source) return false;
    if constexpr (requires { Shown::accepts(source); }) {
      if (!Shown::accepts(source)) return false;
    }
    value.value = source;
    return true;
  }

  static handle cast(const billing::python::Loose<Shown>& loose, return_value_policy /*policy*/,
                     handle /*parent*/) {
    return loose.value.inc_ref();
  }
};

template <class Shown>
struct type_caster<billing::python::Typed<Shown>> {
  PYBIND11_TYPE_CASTER(billing::python::Typed<Shown>, Shown::name);

  bool load(handle source, bool /*convert*/) {
    if (!source) return false;
    value.value = reinterpret_borrow<object>(source);
    return true;
  }

  static handle cast(const billing::python::Typed<Shown>& typed, return_value_policy /*policy*/,
                     handle /*parent*/) {
    return typed.value.inc_ref();
  }
};

}  // namespace pybind11::detail
