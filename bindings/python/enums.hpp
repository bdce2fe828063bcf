// The library's C++ enums as real Python enum.Enum classes (docs/python.md, "Enums"): `Side['DEBIT']`
// works, the members iterate, compare by identity and pickle, and each member's value is its name in
// lower case (`Side.DEBIT.value == "debit"`), the spelling the C++ to_string() functions use.
//
// Each enum is declared once at the bottom of this file (BILLING_PYTHON_ENUM), which gives pybind11 a
// caster for it, and defined at module import by bind_enum() in the file of its area.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <vector>

#include "billing/billing.hpp"
#include "billing/storage/sqlite.hpp"

namespace billing::python {

namespace py = pybind11;

template <class E>
struct EnumMember {
  const char* name;  // as Python spells it: "DEBIT"
  E value;
};

/// The Python class of a C++ enum and its members, indexed by the C++ value. Filled once by bind_enum;
/// the objects are kept for the life of the process, like every object the module holds past shutdown.
template <class E>
struct PythonEnum {
  static inline PyObject* type = nullptr;
  static inline std::vector<PyObject*> members;
};

/// enum.Enum(name, members) as billing.<name>, with `doc` as its docstring, added to `m`. Each member's
/// value is its name in lower case.
py::object make_enum(py::module_& m, const char* name, const char* doc, const std::vector<std::string>& names);

template <class E>
void bind_enum(py::module_& m, const char* name, const char* doc, const std::vector<EnumMember<E>>& members) {
  std::vector<std::string> names;
  names.reserve(members.size());
  for (const auto& member : members) names.emplace_back(member.name);
  py::object cls = make_enum(m, name, doc, names);
  auto& table = PythonEnum<E>::members;
  for (const auto& member : members) {
    const auto index = static_cast<std::size_t>(member.value);
    if (index >= table.size()) table.resize(index + 1, nullptr);
    table[index] = py::object(cls.attr(member.name)).release().ptr();
  }
  PythonEnum<E>::type = cls.release().ptr();
}

/// What the casters share: a member of the bound class becomes its C++ value, and back. Nothing else
/// converts (not the value string, not an int), so a wrong argument is the guard's TypeError.
template <class E>
struct EnumCaster {
  PYBIND11_TYPE_CASTER(E, py::detail::const_name("enum"));

  bool load(py::handle source, bool /*convert*/) {
    if (!source || PythonEnum<E>::type == nullptr ||
        Py_TYPE(source.ptr()) != reinterpret_cast<PyTypeObject*>(PythonEnum<E>::type)) {
      return false;
    }
    const auto& table = PythonEnum<E>::members;
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (table[i] == source.ptr()) {
        value = static_cast<E>(i);
        return true;
      }
    }
    return false;
  }

  static py::handle cast(E member, py::return_value_policy /*policy*/, py::handle /*parent*/) {
    const auto index = static_cast<std::size_t>(member);
    const auto& table = PythonEnum<E>::members;
    if (index >= table.size() || table[index] == nullptr) {
      PyErr_SetString(PyExc_SystemError, "billing: a C++ enum value has no Python member");
      return nullptr;
    }
    return py::handle(table[index]).inc_ref();
  }
};

}  // namespace billing::python

// help() shows the enum by its public name.
#define BILLING_PYTHON_ENUM(Type, Name)                                  \
  namespace pybind11::detail {                                           \
  template <>                                                            \
  struct type_caster<Type> : billing::python::EnumCaster<Type> {         \
    static constexpr auto name = const_name("billing." Name);            \
  };                                                                     \
  }

BILLING_PYTHON_ENUM(billing::ErrorCode, "ErrorCode")
BILLING_PYTHON_ENUM(billing::RoundingMode, "RoundingMode")
BILLING_PYTHON_ENUM(billing::Side, "Side")
BILLING_PYTHON_ENUM(billing::AccountStatus, "AccountStatus")
BILLING_PYTHON_ENUM(billing::AccountResult, "AccountResult")
BILLING_PYTHON_ENUM(billing::StatusResult, "StatusResult")
BILLING_PYTHON_ENUM(billing::EntryKind, "EntryKind")
BILLING_PYTHON_ENUM(billing::PostResult, "PostResult")
BILLING_PYTHON_ENUM(billing::BatchMode, "BatchMode")
BILLING_PYTHON_ENUM(billing::Durability, "Durability")
BILLING_PYTHON_ENUM(billing::CardBrand, "CardBrand")
BILLING_PYTHON_ENUM(billing::ValidationCode, "ValidationCode")
BILLING_PYTHON_ENUM(billing::OrderStatus, "OrderStatus")
BILLING_PYTHON_ENUM(billing::OrderResult, "OrderResult")
BILLING_PYTHON_ENUM(billing::JobStatus, "JobStatus")
BILLING_PYTHON_ENUM(billing::EnqueueResult, "EnqueueResult")
BILLING_PYTHON_ENUM(billing::CompleteResult, "CompleteResult")
BILLING_PYTHON_ENUM(billing::FailResult, "FailResult")
BILLING_PYTHON_ENUM(billing::RedriveResult, "RedriveResult")
BILLING_PYTHON_ENUM(billing::PaymentStatus, "PaymentStatus")
BILLING_PYTHON_ENUM(billing::PaymentResult, "PaymentResult")
BILLING_PYTHON_ENUM(billing::ChargeStatus, "ChargeStatus")
BILLING_PYTHON_ENUM(billing::ScriptStep, "ScriptStep")
BILLING_PYTHON_ENUM(billing::PriceModel, "PriceModel")
BILLING_PYTHON_ENUM(billing::RoundAt, "RoundAt")
BILLING_PYTHON_ENUM(billing::LineKind, "LineKind")
BILLING_PYTHON_ENUM(billing::Aggregation, "Aggregation")
BILLING_PYTHON_ENUM(billing::Granularity, "Granularity")
BILLING_PYTHON_ENUM(billing::RecordResult, "RecordResult")
BILLING_PYTHON_ENUM(billing::CancelResult, "CancelResult")
BILLING_PYTHON_ENUM(billing::MeterResult, "MeterResult")
BILLING_PYTHON_ENUM(billing::PlanInterval, "PlanInterval")
BILLING_PYTHON_ENUM(billing::PlanResult, "PlanResult")
BILLING_PYTHON_ENUM(billing::QuotaReason, "QuotaReason")
BILLING_PYTHON_ENUM(billing::ApiKeyStatus, "ApiKeyStatus")
BILLING_PYTHON_ENUM(billing::RevokeResult, "RevokeResult")
BILLING_PYTHON_ENUM(billing::SubscriptionStatus, "SubscriptionStatus")
BILLING_PYTHON_ENUM(billing::SubscriptionResult, "SubscriptionResult")
BILLING_PYTHON_ENUM(billing::SubscriptionChangeResult, "SubscriptionChangeResult")
BILLING_PYTHON_ENUM(billing::Proration, "Proration")
BILLING_PYTHON_ENUM(billing::InvoiceStatus, "InvoiceStatus")
BILLING_PYTHON_ENUM(billing::InvoiceLineKind, "InvoiceLineKind")
BILLING_PYTHON_ENUM(billing::InvoiceResult, "InvoiceResult")
BILLING_PYTHON_ENUM(billing::HealthStatus, "HealthStatus")

#undef BILLING_PYTHON_ENUM
