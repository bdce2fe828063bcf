// The guard in front of every function this module binds. pybind11 2.10 has two faults that no single
// binding can fix on its own:
//  - `Cls.__new__(Cls)` makes an instance with no C++ value, and a method called on it reads through a
//    null pointer: the interpreter crashes;
//  - a call whose arguments do not convert raises a TypeError that prints the repr of every argument,
//    which would put a card number or a secret into logs.
// install_guard() puts one trampoline in front of pybind11's dispatcher for every function of the module
// (module functions, methods, properties and operators of every class), present and future, so no
// binding can forget it. On the success path it costs a few pointer compares per argument (some 20 ns a
// call); the message for a failed call is built only after the call failed. docs/python.md gives the
// conventions it keeps.
#include <fmt/format.h>
#include <pybind11/pybind11.h>

#include <string>

#include "billing/error.hpp"

namespace billing::python {
namespace py = pybind11;

namespace {

using py::detail::function_record;
using Dispatcher = PyObject* (*)(PyObject*, PyObject*, PyObject*);

Dispatcher g_dispatcher = nullptr;    // pybind11's own: one function serves every binding
PyTypeObject* g_metaclass = nullptr;  // pybind11's metaclass: the type of every bound class

const function_record* record_of(PyObject* capsule) {
  auto* record = static_cast<const function_record*>(
      PyCapsule_GetPointer(capsule, py::detail::get_function_record_capsule_name()));
  if (record == nullptr) PyErr_Clear();
  return record;
}

// Whether a pybind11 instance was ever given its C++ value. False after Cls.__new__(Cls) without
// __init__: pybind11 would then lend such an instance uninitialised memory as its value. Every instance
// that is constructed, cast from C++ or a reference to a value owned elsewhere (books.ledger) is
// registered; one made by __new__ alone never is.
bool initialised(PyObject* self) {
  auto* instance = reinterpret_cast<py::detail::instance*>(self);
  if (instance->simple_layout) return instance->simple_instance_registered;  // the common case, no lookup
  for (const auto& part : py::detail::values_and_holders(instance)) {
    if (!part.instance_registered()) return false;
  }
  return true;
}

bool is_bound_instance(PyObject* object) { return Py_TYPE(Py_TYPE(object)) == g_metaclass; }

// Whether `value`, or (one level down) an item of a list, tuple or dict `value`, is a bound instance made
// by __new__ alone: the arguments a binding would read as a C++ value. Deeper values are converted by
// code that checks them itself (holds_value(), convert.hpp).
bool empty_instance_in(PyObject* value) {
  if (is_bound_instance(value)) return !initialised(value);
  if (PyList_Check(value) || PyTuple_Check(value)) {
    const Py_ssize_t size = PySequence_Fast_GET_SIZE(value);
    PyObject** items = PySequence_Fast_ITEMS(value);
    for (Py_ssize_t i = 0; i < size; ++i) {
      if (is_bound_instance(items[i]) && !initialised(items[i])) return true;
    }
    return false;
  }
  if (PyDict_Check(value)) {
    PyObject* key = nullptr;
    PyObject* item = nullptr;
    for (Py_ssize_t at = 0; PyDict_Next(value, &at, &key, &item) != 0;) {
      if (is_bound_instance(item) && !initialised(item)) return true;
    }
  }
  return false;
}

// "Money" for billing._billing.Money.
std::string short_name(const PyTypeObject* type) {
  const std::string name = type->tp_name == nullptr ? "?" : type->tp_name;
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// "Ledger.transfer" or "billing.open": how a message names the function.
std::string qualified_name(const function_record& record) {
  if (record.scope && PyType_Check(record.scope.ptr())) {
    return short_name(reinterpret_cast<PyTypeObject*>(record.scope.ptr())) + "." + record.name;
  }
  return std::string("billing.") + record.name;
}

void refuse(const std::string& message) { PyErr_SetString(PyExc_TypeError, message.c_str()); }

std::string explain(const function_record& record, PyObject* args, PyObject* kwargs, bool name_only,
                    const std::string& fallback);

// Whether the call may go on. An uninitialised self (made by __new__ alone) never reaches a method, and an
// initialised one never reaches __init__ or __setstate__ again (pybind11 would ignore the second
// construction without a word, and pickle's __setstate__ must not rewrite a value others may hold). No
// argument made by __new__ alone reaches any function.
bool call_is_fit(const function_record& record, PyObject* args, PyObject* kwargs) {
  const Py_ssize_t count = PyTuple_GET_SIZE(args);
  Py_ssize_t first_argument = 0;
  if (record.is_method && count > 0 && record.scope && PyType_Check(record.scope.ptr())) {
    PyObject* self = PyTuple_GET_ITEM(args, 0);
    if (PyObject_TypeCheck(self, reinterpret_cast<PyTypeObject*>(record.scope.ptr()))) {
      first_argument = 1;
      const bool ready = initialised(self);
      if (ready == record.is_constructor) {
        const std::string cls = short_name(Py_TYPE(self));
        if (ready) {
          refuse(
              fmt::format("{}(): this {} is already initialised; make a new one instead", qualified_name(record), cls));
        } else {
          refuse(fmt::format("{}(): this {} was made by {}.__new__ without __init__ and holds no value",
                             qualified_name(record), cls, cls));
        }
        return false;
      }
    }
  }
  bool empty = false;
  for (Py_ssize_t i = first_argument; i < count && !empty; ++i) empty = empty_instance_in(PyTuple_GET_ITEM(args, i));
  if (kwargs != nullptr && !empty) {
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    for (Py_ssize_t at = 0; !empty && PyDict_Next(kwargs, &at, &key, &value) != 0;) empty = empty_instance_in(value);
  }
  if (empty) {  // named by the same check that names a wrong type, which knows the parameters
    refuse(explain(record, args, kwargs, true,
                   fmt::format("{}(): an argument was made by __new__ without __init__ and holds no value",
                               qualified_name(record))));
    return false;
  }
  return true;
}

bool is_generic_type_error() {
  if (!PyErr_ExceptionMatches(PyExc_TypeError)) return false;
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  bool generic = false;
  if (value != nullptr) {
    PyObject* text = PyObject_Str(value);
    if (text != nullptr) {
      const char* utf8 = PyUnicode_AsUTF8(text);
      const std::string message = utf8 == nullptr ? "" : utf8;
      generic = message.find("(): incompatible function arguments") != std::string::npos ||
                message.find("(): incompatible constructor arguments") != std::string::npos;
      Py_DECREF(text);
    }
    PyErr_Clear();
  }
  PyErr_Restore(type, value, traceback);
  return generic;
}

// The message for a call pybind11 could not match, from billing/_arguments.py, which names the first
// parameter whose argument has the wrong type (or is missing, or is one too many) and the type it
// expects. It never shows a value. Without the package (the extension imported on its own), the message
// gives the signature only.
std::string explain(const function_record& record, PyObject* args, PyObject* kwargs, bool name_only,
                    const std::string& fallback) {
  try {
    py::list signatures;
    for (const function_record* it = &record; it != nullptr; it = it->next) {
      signatures.append(py::str(it->signature == nullptr ? "(...)" : it->signature));
    }
    const py::object arguments = py::module_::import("billing._arguments");
    py::object message =
        arguments.attr("explain")(qualified_name(record), signatures, py::reinterpret_borrow<py::tuple>(args),
                                  kwargs == nullptr ? py::dict() : py::reinterpret_borrow<py::dict>(kwargs), name_only);
    return message.is_none() ? fallback : message.cast<std::string>();
  } catch (const py::error_already_set&) {
    return fallback;
  } catch (const py::cast_error&) {
    return fallback;
  }
}

PyObject* guarded(PyObject* capsule, PyObject* args, PyObject* kwargs) {
  const function_record* record = record_of(capsule);
  if (record != nullptr && !call_is_fit(*record, args, kwargs)) return nullptr;
  PyObject* result = g_dispatcher(capsule, args, kwargs);
  if (result == nullptr && record != nullptr && is_generic_type_error()) {
    PyErr_Clear();  // its message holds the repr of every argument
    std::string signature = record->signature == nullptr ? "(...)" : record->signature;
    const std::string message =
        explain(*record, args, kwargs, false, qualified_name(*record) + "(): the arguments do not match " + signature);
    PyErr_SetString(PyExc_TypeError, message.c_str());
  }
  return result;
}

// Puts the trampoline in front of `function` when it is a pybind11 function (or wraps one).
void guard_callable(PyObject* function) {
  if (function == nullptr) return;
  if (PyInstanceMethod_Check(function)) return guard_callable(PyInstanceMethod_GET_FUNCTION(function));
  if (!PyCFunction_Check(function)) return;
  PyObject* capsule = PyCFunction_GET_SELF(function);
  if (capsule == nullptr || !PyCapsule_CheckExact(capsule)) return;
  if (!py::detail::is_function_record_capsule(py::reinterpret_borrow<py::capsule>(capsule))) return;
  PyMethodDef* def = reinterpret_cast<PyCFunctionObject*>(function)->m_ml;
  const auto current = reinterpret_cast<Dispatcher>(reinterpret_cast<void (*)()>(def->ml_meth));
  if (current == &guarded) return;
  if (g_dispatcher == nullptr) g_dispatcher = current;
  BILLING_ASSERT(current == g_dispatcher);  // every pybind11 function shares one dispatcher
  def->ml_meth = reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&guarded));
}

void guard_attribute(py::handle value) {
  PyObject* object = value.ptr();
  if (PyObject_TypeCheck(object, &PyProperty_Type)) {  // pybind11's static property derives from it
    for (const char* part : {"fget", "fset", "fdel"}) {
      const py::object accessor = value.attr(part);
      guard_callable(accessor.ptr());
    }
    return;
  }
  if (PyObject_TypeCheck(object, &PyStaticMethod_Type) || PyObject_TypeCheck(object, &PyClassMethod_Type)) {
    const py::object function = value.attr("__func__");
    guard_callable(function.ptr());
    return;
  }
  guard_callable(object);
}

}  // namespace

bool holds_value(py::handle value) { return !is_bound_instance(value.ptr()) || initialised(value.ptr()); }

void install_guard(py::module_& m) {
  g_metaclass = py::detail::get_internals().default_metaclass;
  for (const auto item : m.attr("__dict__").cast<py::dict>()) {
    const py::handle value = item.second;
    if (PyType_Check(value.ptr()) && py::detail::get_type_info(reinterpret_cast<PyTypeObject*>(value.ptr()))) {
      const auto members = py::reinterpret_borrow<py::dict>(reinterpret_cast<PyTypeObject*>(value.ptr())->tp_dict);
      for (const auto member : members) guard_attribute(member.second);
    } else {
      guard_callable(value.ptr());
    }
  }
  // For billing/_arguments.py, which names an argument made by __new__ alone. Bound after the others, so
  // that it is not guarded: it must accept exactly the arguments the guard refuses.
  m.def("_initialised", &holds_value);
}

}  // namespace billing::python
