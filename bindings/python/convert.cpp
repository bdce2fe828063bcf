#include "convert.hpp"

#include <fmt/format.h>

#include <limits>

namespace billing::python {
namespace {

// Python objects looked up once. Leaked on purpose: destroying them after the interpreter has shut down
// would crash at exit.
const py::object& decimal_type() {
  static const auto* type = new py::object(py::module_::import("decimal").attr("Decimal"));
  return *type;
}

const py::module_& datetime_module() {
  static const auto* module = new py::module_(py::module_::import("datetime"));
  return *module;
}

const py::object& utc_epoch() {
  static const auto* epoch = new py::object(datetime_module().attr("datetime")(
      1970, 1, 1, py::arg("tzinfo") = datetime_module().attr("timezone").attr("utc")));
  return *epoch;
}

const py::object& one_microsecond() {
  static const auto* delta = new py::object(datetime_module().attr("timedelta")(py::arg("microseconds") = 1));
  return *delta;
}

[[noreturn]] void type_error(std::string_view field, std::string_view expected, py::handle got) {
  throw py::type_error(fmt::format("{}: expected {}, got {}", field, expected,
                                   py::str(py::type::of(got).attr("__name__")).cast<std::string>()));
}

}  // namespace

Decimal decimal_from_py(py::handle value, std::string_view field) {
  if (PyFloat_Check(value.ptr())) {
    throw py::type_error(
        fmt::format("{}: a float cannot hold money exactly; pass a decimal.Decimal, str or int", field));
  }
  if (PyBool_Check(value.ptr())) type_error(field, "a decimal.Decimal, str or int", value);
  if (py::isinstance<py::str>(value)) return Decimal::parse(value.cast<std::string>(), field);
  if (PyLong_Check(value.ptr()) || py::isinstance(value, decimal_type())) {
    return Decimal::parse(py::str(value).cast<std::string>(), field);
  }
  type_error(field, "a decimal.Decimal, str or int", value);
}

py::object decimal_to_py(const Decimal& value) { return decimal_type()(value.to_string()); }

Currency currency_from_py(py::handle value, std::string_view field) {
  if (py::isinstance<Currency>(value)) return value.cast<Currency>();
  if (py::isinstance<py::str>(value)) return Currency(value.cast<std::string>());
  type_error(field, "a billing.Currency or a currency code", value);
}

Timestamp timestamp_from_py(py::handle value, std::string_view field) {
  if (!py::isinstance(value, datetime_module().attr("datetime"))) type_error(field, "a datetime.datetime", value);
  if (value.attr("utcoffset")().is_none()) {
    throw py::value_error(fmt::format("{}: a naive datetime has no zone; pass one with tzinfo (such as UTC)", field));
  }
  const py::object micros = (value - utc_epoch()).attr("__floordiv__")(one_microsecond());  // exact integers
  return Timestamp::from_unix_micros(int64_from_py(micros, field));
}

py::object timestamp_to_py(Timestamp value) {
  return utc_epoch() + datetime_module().attr("timedelta")(py::arg("microseconds") = value.unix_micros());
}

Timestamp::Duration duration_from_py(py::handle value, std::string_view field) {
  if (!py::isinstance(value, datetime_module().attr("timedelta"))) type_error(field, "a datetime.timedelta", value);
  return Timestamp::Duration(int64_from_py(value.attr("__floordiv__")(one_microsecond()), field));
}

std::int64_t int64_from_py(py::handle value, std::string_view field) {
  if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) type_error(field, "an int", value);
  int overflow = 0;
  const long long result = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow != 0) throw Overflow(std::string(field), "is beyond the 64-bit range");
  if (result == -1 && PyErr_Occurred()) throw py::error_already_set();
  return result;
}

int int_from_py(py::handle value, std::string_view field) {
  const std::int64_t wide = int64_from_py(value, field);
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    throw Overflow(std::string(field), "is beyond the range of a 32-bit int");
  }
  return static_cast<int>(wide);
}

std::uint64_t uint64_from_py(py::handle value, std::string_view field) {
  if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) type_error(field, "an int", value);
  int overflow = 0;
  const long long small = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (small == -1 && overflow == 0 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow < 0 || (overflow == 0 && small < 0)) throw InvalidArgument(std::string(field), "must not be negative");
  const unsigned long long result = PyLong_AsUnsignedLongLong(value.ptr());
  if (result == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    throw Overflow(std::string(field), "is beyond the 64-bit range");
  }
  return result;
}

std::string type_name(py::handle value) { return py::str(py::type::of(value).attr("__name__")).cast<std::string>(); }

std::string key_path(const std::string& parent, std::string_view key) {
  std::string quoted;
  for (const char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return fmt::format("{}[\"{}\"]", parent, quoted);
}

std::string utf8_from_py(py::handle text, const std::string& path) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (data == nullptr) {
    PyErr_Clear();
    throw py::type_error(fmt::format("{}: a str with a lone surrogate has no UTF-8 form", path));
  }
  return {data, static_cast<std::size_t>(size)};
}

std::string path_from_py(py::handle value, std::string_view field) {
  py::object path = py::reinterpret_borrow<py::object>(value);
  if (!PyUnicode_Check(value.ptr())) {
    if (PyBytes_Check(value.ptr()) || !PyObject_HasAttrString(value.ptr(), "__fspath__")) {
      type_error(field, "a str or an os.PathLike of one", value);
    }
    path = py::reinterpret_steal<py::object>(PyOS_FSPath(value.ptr()));
    if (!path) throw py::error_already_set();
    if (!PyUnicode_Check(path.ptr())) type_error(field, "a str or an os.PathLike of one", path);
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(path.ptr(), &size);
  if (data == nullptr) throw py::error_already_set();
  std::string out(data, static_cast<std::size_t>(size));
  if (out.find('\0') != std::string::npos) {
    throw InvalidArgument(std::string(field),
                          "holds a NUL byte, which no file name can; the file opened would be "
                          "another one");
  }
  return out;
}

}  // namespace billing::python
