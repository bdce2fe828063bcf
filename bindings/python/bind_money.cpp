// Currency, RoundingMode, Money and the exact decimal helpers.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "convert.hpp"

namespace billing::python {

namespace {

Money money_from_py(py::handle amount, py::handle currency, std::optional<RoundingMode> rounding) {
  const Decimal value = decimal_from_py(amount, "amount");
  const Currency unit = currency_from_py(currency);
  return rounding ? Money(value, unit, *rounding) : Money(value, unit);
}

// At most one value past the library's limit is read, so that a long (or endless) iterable costs no more
// than the call that refuses it; C++ then refuses the list by its length.
std::vector<Decimal> decimals_from_py(const py::iterable& values, std::string_view field) {
  std::vector<Decimal> out;
  for (py::handle value : values) {
    out.push_back(decimal_from_py(value, field));
    if (out.size() > Money::k_max_parts) break;
  }
  return out;
}

py::object money_repr(const Money& money) {
  return py::str("Money('{}', '{}')").format(money.amount().to_string(), money.currency().code());
}

}  // namespace

void bind_money(py::module_& m) {
  py::enum_<RoundingMode>(m, "RoundingMode", "How an exact value loses places; the same rules as the decimal module.")
      .value("HALF_EVEN", RoundingMode::half_even, "to nearest, ties to even (the default)")
      .value("HALF_UP", RoundingMode::half_up, "to nearest, ties away from zero")
      .value("HALF_DOWN", RoundingMode::half_down, "to nearest, ties toward zero")
      .value("UP", RoundingMode::up, "away from zero")
      .value("DOWN", RoundingMode::down, "toward zero")
      .value("CEILING", RoundingMode::ceiling, "toward positive infinity")
      .value("FLOOR", RoundingMode::floor, "toward negative infinity");

  py::class_<Currency>(m, "Currency", "An ISO 4217 currency or a registered unit.")
      .def(py::init([](const Text& code) { return Currency(code.value); }), py::arg("code"),
           "The currency with this code; UnknownCurrency if none.")
      .def_property_readonly("code", &Currency::code)
      .def_property_readonly("numeric", &Currency::numeric, "ISO numeric code, 0 for a registered unit")
      .def_property_readonly("minor_units", &Currency::minor_units, "places after the point")
      .def_property_readonly("name", &Currency::name)
      .def_property_readonly("is_iso", &Currency::is_iso)
      .def("__eq__", [](const Currency& a, const Currency& b) { return a == b; })
      .def("__eq__", [](const Currency&, py::handle) { return false; })
      .def("__hash__", [](const Currency& c) { return std::hash<Currency>{}(c); })
      .def("__str__", [](const Currency& c) { return std::string(c.code()); })
      .def("__repr__", [](const Currency& c) { return py::str("Currency('{}')").format(c.code()); })
      .def(py::pickle([](const Currency& c) { return Text{std::string(c.code())}; },
                      [](const Text& code) { return Currency(code.value); }));

  m.def("currencies", &currencies, "Every currency: ISO 4217 by code, then registered units.");
  m.def(
      "register_unit",
      [](const Text& code, py::handle minor_units, const Text& name) {
        return Currency::register_unit(code.value, int_from_py(minor_units, "minor_units"), name.value);
      },
      py::arg("code"), py::arg("minor_units"), py::arg("name"),
      "Registers a unit that is not an ISO currency (credits, API calls) and returns it.");

  py::class_<Money>(m, "Money", "An exact amount in one currency, held in minor units.")
      .def(py::init(&money_from_py), py::arg("amount"), py::arg("currency"), py::arg("rounding") = py::none(),
           "amount: decimal.Decimal, str or int (never float); currency: code or Currency.")
      .def_static(
          "from_minor",
          [](py::handle minor, py::handle currency) {
            return Money::from_minor(int64_from_py(minor, "minor"), currency_from_py(currency));
          },
          py::arg("minor"), py::arg("currency"))
      .def_static(
          "parse", [](const Text& text) { return Money::parse(text.value); }, py::arg("text"), "Parses '12.34 USD'.")
      .def_property_readonly("amount", [](const Money& money) { return decimal_to_py(money.amount()); })
      .def_property_readonly("minor", &Money::minor)
      .def_property_readonly("currency", &Money::currency)
      .def(
          "__add__", [](const Money& a, const Money& b) { return a + b; }, py::is_operator())
      .def(
          "__sub__", [](const Money& a, const Money& b) { return a - b; }, py::is_operator())
      .def("__neg__", [](const Money& a) { return -a; })
      .def("__abs__", [](const Money& a) { return abs(a); })
      .def(
          "__eq__", [](const Money& a, const Money& b) { return a == b; }, py::is_operator())
      .def(
          "__ne__", [](const Money& a, const Money& b) { return a != b; }, py::is_operator())
      .def(
          "__lt__", [](const Money& a, const Money& b) { return a < b; }, py::is_operator())
      .def(
          "__le__", [](const Money& a, const Money& b) { return a <= b; }, py::is_operator())
      .def(
          "__gt__", [](const Money& a, const Money& b) { return a > b; }, py::is_operator())
      .def(
          "__ge__", [](const Money& a, const Money& b) { return a >= b; }, py::is_operator())
      .def("__hash__", [](const Money& money) { return std::hash<Money>{}(money); })
      .def("__bool__", [](const Money& money) { return !money.is_zero(); })
      .def("__str__", &Money::to_string)
      .def("__repr__", &money_repr)
      .def(
          "multiply",
          [](const Money& money, py::handle factor, RoundingMode rounding) {
            return money.multiply(decimal_from_py(factor, "factor"), rounding);
          },
          py::arg("factor"), py::arg("rounding") = RoundingMode::half_even,
          "This amount times factor (Decimal, str or int), rounded once to the currency's places.")
      .def(
          "allocate",
          [](const Money& money, const py::iterable& ratios) {
            return money.allocate(decimals_from_py(ratios, "ratios"));
          },
          py::arg("ratios"), "Shares in proportion to ratios that sum exactly to this amount.")
      .def(
          "split",
          [](const Money& money, py::handle parts) {
            const std::uint64_t count = uint64_from_py(parts, "parts");
            // A count beyond size_t is beyond every limit too; the library says which limit.
            return money.split(static_cast<std::size_t>(std::min<std::uint64_t>(count, SIZE_MAX)));
          },
          py::arg("parts"), "allocate() with equal ratios.")
      .def(py::pickle([](const Money& money) { return Text{money.to_string()}; },
                      [](const Text& text) { return Money::parse(text.value); }));

  m.def(
      "quantize",
      [](py::handle value, py::handle places, RoundingMode rounding) {
        return decimal_to_py(decimal_from_py(value, "value").round(int_from_py(places, "places"), rounding));
      },
      py::arg("value"), py::arg("places"), py::arg("rounding"),
      "value with exactly `places` places, rounded by the library's own exact arithmetic.");
  m.def(
      "divide",
      [](py::handle dividend, py::handle divisor, py::handle places, RoundingMode rounding) {
        return decimal_to_py(divide(decimal_from_py(dividend, "dividend"), decimal_from_py(divisor, "divisor"),
                                    int_from_py(places, "places"), rounding));
      },
      py::arg("dividend"), py::arg("divisor"), py::arg("places"), py::arg("rounding"),
      "dividend / divisor with exactly `places` places, rounded once.");
  m.def(
      "multiply",
      [](py::handle a, py::handle b, py::handle places, RoundingMode rounding) {
        return decimal_to_py(
            multiply(decimal_from_py(a, "a"), decimal_from_py(b, "b"), int_from_py(places, "places"), rounding));
      },
      py::arg("a"), py::arg("b"), py::arg("places"), py::arg("rounding"),
      "a * b with exactly `places` places, rounded once.");
}

}  // namespace billing::python
