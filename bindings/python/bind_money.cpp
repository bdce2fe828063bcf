// Currency, RoundingMode, Money and the exact decimal helpers.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "convert.hpp"
#include "values.hpp"

namespace billing::python {

namespace {

using DecimalResult = Typed<shown::DecimalValue>;

DecimalResult decimal_result(const Decimal& value) { return {decimal_to_py(value)}; }

Money money_from_py(const DecimalArg& amount, const CurrencyArg& currency, std::optional<RoundingMode> rounding) {
  const Decimal value = decimal_from_py(amount.value, "amount");
  const Currency unit = currency_from_py(currency.value);
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

// Money * n for a Python int n (not a bool): exact, or Overflow. Anything else is NotImplemented, so that
// Python raises its own TypeError; a fraction needs multiply(), which names its rounding.
using MoneyResult = Typed<shown::Money>;

MoneyResult not_implemented() { return {py::reinterpret_borrow<py::object>(Py_NotImplemented)}; }

MoneyResult times_int(const Money& money, const IntArg& factor) {
  if (!PyLong_Check(factor.value.ptr()) || PyBool_Check(factor.value.ptr())) return not_implemented();
  // An int is a Decimal of scale 0, so the product is exact: no rounding happens.
  return {py::cast(money.multiply(decimal_from_py(factor.value, "factor"), RoundingMode::half_even))};
}

}  // namespace

void bind_money(py::module_& m) {
  bind_enum<RoundingMode>(m, "RoundingMode",
                          "How an exact value loses places; the same rules as the decimal module's ROUND_*.\n\n"
                          "HALF_EVEN: to nearest, ties to even (the default). HALF_UP: ties away from zero.\n"
                          "HALF_DOWN: ties toward zero. UP: away from zero. DOWN: toward zero.\n"
                          "CEILING: toward positive infinity. FLOOR: toward negative infinity.",
                          {{"HALF_EVEN", RoundingMode::half_even},
                           {"HALF_UP", RoundingMode::half_up},
                           {"HALF_DOWN", RoundingMode::half_down},
                           {"UP", RoundingMode::up},
                           {"DOWN", RoundingMode::down},
                           {"CEILING", RoundingMode::ceiling},
                           {"FLOOR", RoundingMode::floor}});

  py::class_<Currency> currency(m, "Currency", "An ISO 4217 currency or a registered unit.");
  bind_value(currency)
      .def(py::init([](const Text& code) { return Currency(code.value); }), py::arg("code"),
           "The currency with this code; UnknownCurrency if none.")
      .def_property_readonly("code", &Currency::code, "The code: 'USD', or a registered unit's.")
      .def_property_readonly("numeric", &Currency::numeric, "The ISO 4217 numeric code; 0 for a registered unit.")
      .def_property_readonly("minor_units", &Currency::minor_units, "Places after the point (int): 2 for USD.")
      .def_property_readonly("name", &Currency::name, "The English name: 'US Dollar'.")
      .def_property_readonly("is_iso", &Currency::is_iso, "True for an ISO 4217 currency, False for a registered unit.")
      .def("__hash__", [](const Currency& c) { return std::hash<Currency>{}(c); })
      .def("__str__", [](const Currency& c) { return std::string(c.code()); })
      .def("__repr__", [](const Currency& c) { return py::str("Currency('{}')").format(c.code()); })
      .def(
          "__reduce__",
          [](const Currency& c) { return py::make_tuple(py::type::of<Currency>(), py::make_tuple(c.code())); },
          "Pickles as Currency(code), for every protocol.")
      .def(py::pickle([](const Currency& c) { return Text{std::string(c.code())}; },
                      [](const Text& code) { return Currency(code.value); }));

  m.def("currencies", &currencies, "Every currency: ISO 4217 by code, then registered units.");
  m.def(
      "register_unit",
      [](const Text& code, const IntArg& minor_units, const Text& name) {
        return Currency::register_unit(code.value, int_from_py(minor_units.value, "minor_units"), name.value);
      },
      py::arg("code"), py::arg("minor_units"), py::arg("name"),
      "Registers a unit that is not an ISO currency (credits, API calls) and returns its Currency.\n\n"
      "code: 2 to 16 of A-Z, 0-9 and _, starting with a letter; minor_units: 0 to 18. Registering the same\n"
      "unit again returns it; the same code with other places or name is InvalidArgument.");

  py::class_<Money> money_class(m, "Money",
                    "An exact amount in one currency, held in minor units (up to 2^63 - 1 of them).\n\n"
                    "Money + Money, Money - Money, Money * int and int * Money are exact, or raise Overflow;\n"
                    "across currencies they raise CurrencyMismatch. sum(amounts) works (0 + Money is the Money).\n"
                    "format(m, spec) takes the specs of docs/money.md: format(m, '>14,') is '  1,234.50 USD'.");
  bind_value(money_class)
      .def(py::init(&money_from_py), py::arg("amount"), py::arg("currency"), py::arg("rounding") = py::none(),
           "amount: a decimal.Decimal, str or int (never a float); currency: a Currency or its code.\n\n"
           "An amount with more places than the currency has is InvalidAmount unless rounding (a RoundingMode)\n"
           "is given.")
      .def_static(
          "from_minor",
          [](const IntArg& minor, const CurrencyArg& currency) {
            return Money::from_minor(int64_from_py(minor.value, "minor"), currency_from_py(currency.value));
          },
          py::arg("minor"), py::arg("currency"), "The Money of minor (an int) minor units: from_minor(1234, 'USD').")
      .def_static(
          "parse", [](const Text& text) { return Money::parse(text.value); }, py::arg("text"),
          "Parses the form str() prints: '12.34 USD'.")
      .def_property_readonly(
          "amount", [](const Money& money) { return decimal_result(money.amount()); },
          "The amount as a decimal.Decimal with the currency's places: Decimal('12.30').")
      .def_property_readonly("minor", &Money::minor, "The amount in minor units (int): 1230 for 12.30 USD.")
      .def_property_readonly("currency", &Money::currency, "The Currency.")
      .def(
          "__add__", [](const Money& a, const Money& b) { return a + b; }, py::is_operator())
      .def(
          "__radd__",
          [](const Money& money, const IntArg& other) -> MoneyResult {
            // sum() starts from the int 0; any other non-Money is not an amount.
            const py::handle zero = other.value;
            if (PyLong_Check(zero.ptr()) && !PyBool_Check(zero.ptr()) && PyObject_Not(zero.ptr()) == 1) {
              return {py::cast(money)};
            }
            return not_implemented();
          },
          py::arg("other"), py::is_operator(), "0 + money is money, so that sum(amounts) works.")
      .def("__mul__", &times_int, py::arg("factor"), py::is_operator(), "money * n for an int n: exact, or Overflow.")
      .def("__rmul__", &times_int, py::arg("factor"), py::is_operator(), "n * money for an int n.")
      .def(
          "__sub__", [](const Money& a, const Money& b) { return a - b; }, py::is_operator())
      .def("__neg__", [](const Money& a) { return -a; })
      .def("__abs__", [](const Money& a) { return abs(a); })
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
          [](const Money& money, const DecimalArg& factor, RoundingMode rounding) {
            return money.multiply(decimal_from_py(factor.value, "factor"), rounding);
          },
          py::arg("factor"), py::arg_v("rounding", RoundingMode::half_even, "RoundingMode.HALF_EVEN"),
          "This amount times factor (Decimal, str or int), rounded once to the currency's places.")
      .def(
          "allocate",
          [](const Money& money, const py::iterable& ratios) {
            return money.allocate(decimals_from_py(ratios, "ratios"));
          },
          py::arg("ratios"),
          "Shares (a list of Money) in proportion to ratios (1 to 10,000 Decimals, str or int, >= 0, not all 0)\n"
          "that sum exactly to this amount; the minor units left over go to the largest remainders.")
      .def(
          "split",
          [](const Money& money, const IntArg& parts) {
            const std::uint64_t count = uint64_from_py(parts.value, "parts");
            // A count beyond size_t is beyond every limit too; the library says which limit.
            return money.split(static_cast<std::size_t>(std::min<std::uint64_t>(count, SIZE_MAX)));
          },
          py::arg("parts"), "allocate() with parts (1 to 10,000) equal ratios: 10.00 split 3 ways is 3.34, 3.33, 3.33.")
      .def(
          "__reduce__",
          [](const Money& money) {
            return py::make_tuple(py::type::of<Money>(),
                                  py::make_tuple(money.amount().to_string(), money.currency().code()));
          },
          "Pickles as Money('12.34', 'USD'), for every protocol; a registered unit must be registered again\n"
          "before it is unpickled in another process.")
      .def(py::pickle([](const Money& money) { return Text{money.to_string()}; },
                      [](const Text& text) { return Money::parse(text.value); }));

  m.def(
      "quantize",
      [](const DecimalArg& value, const IntArg& places, RoundingMode rounding) {
        return decimal_result(
            decimal_from_py(value.value, "value").round(int_from_py(places.value, "places"), rounding));
      },
      py::arg("value"), py::arg("places"), py::arg("rounding"),
      "value (a decimal.Decimal, str or int) with exactly places (0 to 30) places, rounded by rounding, as a\n"
      "decimal.Decimal; the library's own exact arithmetic, the same as Money uses.");
  m.def(
      "divide",
      [](const DecimalArg& dividend, const DecimalArg& divisor, const IntArg& places, RoundingMode rounding) {
        return decimal_result(divide(decimal_from_py(dividend.value, "dividend"),
                                     decimal_from_py(divisor.value, "divisor"), int_from_py(places.value, "places"),
                                     rounding));
      },
      py::arg("dividend"), py::arg("divisor"), py::arg("places"), py::arg("rounding"),
      "dividend / divisor with exactly places (0 to 30) places, rounded once, as a decimal.Decimal.\n\n"
      "A zero divisor is DivisionByZero.");
  m.def(
      "multiply",
      [](const DecimalArg& a, const DecimalArg& b, const IntArg& places, RoundingMode rounding) {
        return decimal_result(multiply(decimal_from_py(a.value, "a"), decimal_from_py(b.value, "b"),
                                       int_from_py(places.value, "places"), rounding));
      },
      py::arg("a"), py::arg("b"), py::arg("places"), py::arg("rounding"),
      "a * b with exactly places (0 to 30) places, rounded once, as a decimal.Decimal.");
}

}  // namespace billing::python
