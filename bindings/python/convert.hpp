// Conversions between Python values and billing's value types, shared by every binding file.
// Conversion only: no rule of the library is checked here.
#pragma once

#include <pybind11/pybind11.h>

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

/// A Python int as int64, raising billing.Overflow (through the translator) when it does not fit.
std::int64_t int64_from_py(py::handle value, std::string_view field);

/// An id of type IdT from an optional string (None stays absent).
template <class IdT>
std::optional<IdT> optional_id(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return IdT(*value);
}

}  // namespace billing::python
