// billing::Error and its subclasses as a Python hierarchy under billing.BillingError, with .code and
// .field on every instance. The one place where C++ exceptions become Python ones.
#include <pybind11/pybind11.h>

#include <map>

#include "billing/error.hpp"
#include "enums.hpp"

namespace billing::python {

namespace py = pybind11;

namespace {

// The Python class for each code. Leaked on purpose, like every object kept past interpreter shutdown.
std::map<ErrorCode, PyObject*>& classes() {
  static auto* by_code = new std::map<ErrorCode, PyObject*>();
  return *by_code;
}

PyObject* define(py::module_& m, const char* name, const char* doc, py::tuple bases) {
  const std::string qualified = std::string("billing.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));
  return type;
}

py::tuple bases(std::initializer_list<PyObject*> types) {
  py::tuple out(types.size());
  std::size_t i = 0;
  for (PyObject* type : types) out[i++] = py::reinterpret_borrow<py::object>(type);
  return out;
}

void raise(const Error& error) {
  PyObject* type = classes().at(error.code());
  py::object instance = py::reinterpret_borrow<py::object>(type)(error.what());
  instance.attr("code") = py::cast(error.code());
  instance.attr("field") = py::str(error.field());
  PyErr_SetObject(type, instance.ptr());
}

}  // namespace

void bind_errors(py::module_& m) {
  bind_enum<ErrorCode>(m, "ErrorCode",
                       "What went wrong; every billing.BillingError carries one as .code, to switch on.",
                       {{"INVALID_ARGUMENT", ErrorCode::invalid_argument},
                        {"UNKNOWN_CURRENCY", ErrorCode::unknown_currency},
                        {"INVALID_AMOUNT", ErrorCode::invalid_amount},
                        {"CURRENCY_MISMATCH", ErrorCode::currency_mismatch},
                        {"OVERFLOW", ErrorCode::overflow},
                        {"DIVISION_BY_ZERO", ErrorCode::division_by_zero},
                        {"STORAGE", ErrorCode::storage},
                        {"INVARIANT_VIOLATION", ErrorCode::invariant_violation},
                        {"MISUSE", ErrorCode::misuse},
                        {"IDEMPOTENCY_MISMATCH", ErrorCode::idempotency_mismatch},
                        {"IDEMPOTENCY_CONFLICT", ErrorCode::idempotency_conflict}});

  auto& by_code = classes();
  PyObject* root =
      define(m, "BillingError", "The root of every billing error; has .code and .field.", bases({PyExc_Exception}));
  PyObject* invalid = define(m, "InvalidArgument", "A field of the input is malformed; .field names it.",
                             bases({root, PyExc_ValueError}));
  by_code[ErrorCode::invalid_argument] = invalid;
  by_code[ErrorCode::unknown_currency] =
      define(m, "UnknownCurrency", "A code that is neither ISO 4217 nor registered.", bases({invalid}));
  by_code[ErrorCode::invalid_amount] =
      define(m, "InvalidAmount", "Not a number, or more places than allowed.", bases({invalid}));
  by_code[ErrorCode::currency_mismatch] =
      define(m, "CurrencyMismatch", "Arithmetic or comparison across currencies.", bases({root, PyExc_ValueError}));
  by_code[ErrorCode::overflow] =
      define(m, "Overflow", "A result beyond the documented range.", bases({root, PyExc_ArithmeticError}));
  by_code[ErrorCode::division_by_zero] =
      define(m, "DivisionByZero", "A division or allocation by zero.", bases({root, PyExc_ZeroDivisionError}));
  by_code[ErrorCode::storage] = define(m, "StorageError", "The storage engine failed.", bases({root}));
  by_code[ErrorCode::invariant_violation] =
      define(m, "InvariantViolation", "A guaranteed rule was found broken: a bug or tampering.", bases({root}));
  by_code[ErrorCode::misuse] = define(m, "Misuse", "The API was called out of order.", bases({root}));
  by_code[ErrorCode::idempotency_mismatch] =
      define(m, "IdempotencyMismatch", "An idempotency key reused for another request.", bases({root}));
  by_code[ErrorCode::idempotency_conflict] =
      define(m, "IdempotencyConflict", "An idempotency key held by a request still in flight.", bases({root}));

  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const Error& error) {
      raise(error);
    }
  });
}

}  // namespace billing::python
