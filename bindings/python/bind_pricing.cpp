// Pricing: Price and its six models, Tier, Charge and ChargeLine, and the enums PriceModel, RoundAt and LineKind
// (docs/pricing.md). Quantities, unit prices, rates and tier fees are Decimals (a decimal.Decimal, str or int; a
// float is a TypeError); amounts that stand alone are Money. Every rule is the C++ library's.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "convert.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace {

struct MaybeDecimalLike {
  static constexpr auto name = py::detail::const_name("Union[decimal.Decimal, str, int, None]");
};
struct MaybeDecimal {
  static constexpr auto name = py::detail::const_name("Optional[decimal.Decimal]");
};

using DecimalResult = Typed<shown::DecimalValue>;
using MaybeDecimalResult = Typed<MaybeDecimal>;

DecimalResult decimal_result(const Decimal& value) { return {decimal_to_py(value)}; }
MaybeDecimalResult decimal_result(const std::optional<Decimal>& value) {
  return {value ? decimal_to_py(*value) : py::none()};
}

// A Decimal as the str that makes it again: '6.5'.
std::string repr_decimal(const Decimal& value) { return repr_of(value.to_string()); }

std::string repr_tier(const Tier& tier) {
  std::string out = fmt::format("Tier({}, {}", tier.up_to ? repr_decimal(*tier.up_to) : "None",
                                repr_decimal(tier.unit_price));
  if (!tier.flat_fee.is_zero()) out += fmt::format(", flat_fee={}", repr_decimal(tier.flat_fee));
  return out + ")";
}

std::string repr_tiers(std::span<const Tier> tiers) {
  std::string out = "[";
  for (std::size_t i = 0; i < tiers.size(); ++i) out += (i == 0 ? "" : ", ") + repr_tier(tiers[i]);
  return out + "]";
}

std::string repr_currency(Currency currency) { return repr_of(std::string(currency.code())); }

// The call that makes the terms: Price.graduated([Tier('5', '7'), ...], 'USD').
std::string repr_terms(const Price& price) {
  const std::string currency = repr_currency(price.currency());
  switch (price.model()) {
    case PriceModel::per_unit:
      return fmt::format("Price.per_unit({}, {})", repr_decimal(std::get<PerUnitTerms>(price.terms()).unit_price),
                         currency);
    case PriceModel::package: {
      const auto& terms = std::get<PackageTerms>(price.terms());
      std::string out = fmt::format("Price.package({}, {}", repr_decimal(terms.size), repr_of(terms.price));
      if (!terms.round_up) out += ", round_up=False";
      if (!terms.free_units.is_zero()) out += fmt::format(", free_units={}", repr_decimal(terms.free_units));
      return out + ")";
    }
    case PriceModel::graduated: return fmt::format("Price.graduated({}, {})", repr_tiers(price.tiers()), currency);
    case PriceModel::volume: return fmt::format("Price.volume({}, {})", repr_tiers(price.tiers()), currency);
    case PriceModel::percentage: {
      const auto& terms = std::get<PercentageTerms>(price.terms());
      std::string out = fmt::format("Price.percentage({}, {}", repr_decimal(terms.rate), currency);
      const std::pair<const char*, const std::optional<Money>*> options[] = {
          {"fixed_fee", &terms.fixed_fee}, {"minimum", &terms.minimum}, {"maximum", &terms.maximum}};
      for (const auto& [name, value] : options) {
        if (*value) out += fmt::format(", {}={}", name, repr_of(**value));
      }
      return out + ")";
    }
    case PriceModel::flat: return fmt::format("Price.flat({})", repr_of(std::get<FlatTerms>(price.terms()).amount));
  }
  return "Price(?)";
}

std::string repr_price(const Price& price) {
  std::string out = repr_terms(price);
  if (price.period_minimum()) out += fmt::format(".with_minimum({})", repr_of(*price.period_minimum()));
  if (price.rounding() != Rounding{}) {
    out += fmt::format(".with_rounding({}, at={})", repr_of(price.rounding().mode), repr_of(price.rounding().at));
  }
  return out;
}

void bind_pricing_enums(py::module_& m) {
  bind_enum<PriceModel>(m, "PriceModel",
                        "Which model a Price is (Price.model).\n\n"
                        "PER_UNIT: quantity x unit price. PACKAGE: whole packages of a size, each at a price.\n"
                        "GRADUATED: each tier prices the part of the quantity in it. VOLUME: the quantity picks\n"
                        "one tier for every unit. PERCENTAGE: a rate of one transaction's amount, with a fixed\n"
                        "fee and bounds. FLAT: a fee per period, whatever the quantity.",
                        {{"PER_UNIT", PriceModel::per_unit},
                         {"PACKAGE", PriceModel::package},
                         {"GRADUATED", PriceModel::graduated},
                         {"VOLUME", PriceModel::volume},
                         {"PERCENTAGE", PriceModel::percentage},
                         {"FLAT", PriceModel::flat}});
  bind_enum<RoundAt>(m, "RoundAt",
                     "When a price's Decimals become Money; either way a charge's lines sum to its amount.\n\n"
                     "LINE: each line rounds once, and the amount is their sum (the default).\n"
                     "TOTAL: the exact lines are summed and rounded once; the lines share that total by the\n"
                     "largest-remainder method (each rounded down, the cents left over one each to the lines with\n"
                     "the largest remainders, the earlier line on a tie).",
                     {{"LINE", RoundAt::line}, {"TOTAL", RoundAt::total}});
  bind_enum<LineKind>(m, "LineKind",
                      "What a ChargeLine is.\n\n"
                      "UNITS: per unit, quantity x unit_price. TIER: a graduated tier reached, or the volume tier\n"
                      "picked (see .tier, .start and .up_to). FREE_UNITS: a package price's free units (0).\n"
                      "PACKAGES: quantity whole packages x the price of one. PERCENTAGE: the transaction's amount\n"
                      "x the rate + the fixed fee. TRANSACTION_MINIMUM, TRANSACTION_MAXIMUM: raise a percentage fee\n"
                      "to its minimum, or lower it to its maximum (a negative amount). FLAT: a flat fee.\n"
                      "MINIMUM_TRUE_UP: raises a period's charge to the price's minimum.",
                      {{"UNITS", LineKind::units},
                       {"TIER", LineKind::tier},
                       {"FREE_UNITS", LineKind::free_units},
                       {"PACKAGES", LineKind::packages},
                       {"PERCENTAGE", LineKind::percentage},
                       {"TRANSACTION_MINIMUM", LineKind::transaction_minimum},
                       {"TRANSACTION_MAXIMUM", LineKind::transaction_maximum},
                       {"FLAT", LineKind::flat},
                       {"MINIMUM_TRUE_UP", LineKind::minimum_true_up}});
}

void bind_tier(py::module_& m) {
  py::class_<Tier> tier(m, "Tier",
                        "One tier of a graduated or volume Price: the quantities above the previous tier's up_to\n"
                        "(0 for the first) up to and including its own, at unit_price each, plus flat_fee once the\n"
                        "quantity reaches it. The last tier has up_to None.\n\n"
                        "Its numbers are checked when a Price is made of it, which names the tier at fault\n"
                        "(tiers[2].up_to).");
  bind_value(tier)
      .def(py::init([](const Loose<MaybeDecimalLike>& up_to, const DecimalArg& unit_price, const DecimalArg& flat_fee) {
             return Tier{.up_to = up_to.value.is_none() ? std::nullopt
                                                        : std::optional<Decimal>(decimal_from_py(up_to.value, "up_to")),
                         .unit_price = decimal_from_py(unit_price.value, "unit_price"),
                         .flat_fee = decimal_from_py(flat_fee.value, "flat_fee")};
           }),
           py::arg("up_to"), py::arg("unit_price"), py::arg("flat_fee") = 0,
           "Tier(up_to, unit_price, flat_fee=0): up_to a decimal.Decimal, str or int (None for the last tier);\n"
           "unit_price and flat_fee in the price's currency, >= 0, up to 12 places. A float is a TypeError.")
      .def_property_readonly(
          "up_to", [](const Tier& t) { return decimal_result(t.up_to); },
          "The last quantity of the tier (decimal.Decimal), or None for the last tier.")
      .def_property_readonly(
          "unit_price", [](const Tier& t) { return decimal_result(t.unit_price); }, "The price of one unit (decimal.Decimal).")
      .def_property_readonly(
          "flat_fee", [](const Tier& t) { return decimal_result(t.flat_fee); },
          "Charged once when the quantity reaches the tier (decimal.Decimal).")
      .def("__repr__", &repr_tier);
}

void bind_charge(py::module_& m) {
  py::class_<ChargeLine> line(m, "ChargeLine",
                              "One line of a Charge, as an invoice shows it: quantity x unit_price + flat_fee is its\n"
                              "exact amount, and amount is that as Money, rounded as the price says.");
  bind_value(line)
      .def_readonly("kind", &ChargeLine::kind, "What the line is (LineKind).")
      .def_readonly("tier", &ChargeLine::tier, "For a TIER line, the tier's index in the price's tiers; else None.")
      .def_property_readonly(
          "start", [](const ChargeLine& l) { return decimal_result(l.start); },
          "For a TIER line, the tier takes the quantities above this (the previous tier's up_to, or 0).")
      .def_property_readonly(
          "up_to", [](const ChargeLine& l) { return decimal_result(l.up_to); },
          "For a TIER line, the tier's up_to (None for the last tier); else None.")
      .def_property_readonly(
          "quantity", [](const ChargeLine& l) { return decimal_result(l.quantity); },
          "Units in the tier, packages, the transaction's amount, or 1 for a fee (decimal.Decimal).")
      .def_property_readonly(
          "unit_price", [](const ChargeLine& l) { return decimal_result(l.unit_price); },
          "The price of one (the rate, for PERCENTAGE), as a decimal.Decimal.")
      .def_property_readonly(
          "flat_fee", [](const ChargeLine& l) { return decimal_result(l.flat_fee); },
          "The tier's flat fee or the transaction's fixed fee (decimal.Decimal).")
      .def_readonly("amount", &ChargeLine::amount, "The line's amount (Money).")
      .def("__repr__", [](const ChargeLine& l) {
        std::string tier = l.tier ? fmt::format(", tier={}", *l.tier) : "";
        return fmt::format("ChargeLine({}{}, quantity={}, unit_price={}, amount={})", repr_of(l.kind), tier,
                           repr_decimal(l.quantity), repr_decimal(l.unit_price), repr_of(l.amount));
      });

  py::class_<Charge> charge(m, "Charge",
                            "What Price.charge returns: .amount (Money) and .lines (ChargeLines), which sum exactly\n"
                            "to the amount.");
  bind_value(charge)
      .def_readonly("amount", &Charge::amount, "The amount charged (Money).")
      .def_readonly("lines", &Charge::lines, "The ChargeLines, in order: tiers first, then any adjustment.")
      .def("__repr__", [](const Charge& c) {
        return fmt::format("Charge(amount={}, {})", repr_of(c.amount), count_of(c.lines.size(), "line"));
      });
}

void bind_price(py::module_& m) {
  py::class_<Price> price(m, "Price",
                          "What a quantity costs: one of six models, made by Price.per_unit, package, graduated,\n"
                          "volume, percentage or flat, optionally with_minimum and with_rounding. charge(quantity)\n"
                          "returns the Money and a line per tier. Rounding is HALF_EVEN once per line unless\n"
                          "with_rounding says otherwise. Prices are immutable; docs/pricing.md has every rule.");
  bind_value(price)
      .def_static(
          "per_unit",
          [](const DecimalArg& unit_price, const CurrencyArg& currency) {
            return Price::per_unit(decimal_from_py(unit_price.value, "unit_price"), currency_from_py(currency.value));
          },
          py::arg("unit_price"), py::arg("currency"),
          "quantity x unit_price (a decimal.Decimal, str or int, >= 0, up to 12 places: '0.00025' a call).")
      .def_static(
          "package",
          [](const DecimalArg& size, const Money& package_price, bool round_up, const DecimalArg& free_units) {
            return Price::package(decimal_from_py(size.value, "size"), package_price,
                                  {.round_up = round_up, .free_units = decimal_from_py(free_units.value, "free_units")});
          },
          py::arg("size"), py::arg("price"), py::kw_only(), py::arg("round_up").noconvert() = true,
          py::arg("free_units") = 0,
          "price (Money) for each whole package of size (> 0) units of the quantity above free_units; a started\n"
          "package counts as a whole one unless round_up is False. Stripe's transform_quantity.")
      .def_static(
          "graduated",
          [](std::vector<Tier> tiers, const CurrencyArg& currency) {
            return Price::graduated(std::move(tiers), currency_from_py(currency.value));
          },
          py::arg("tiers"), py::arg("currency"),
          "Graduated tiers (1 to 100 Tiers, up_to increasing, the last one None): each tier charges the part of\n"
          "the quantity in it, plus its flat fee once reached (the first tier's always).")
      .def_static(
          "volume",
          [](std::vector<Tier> tiers, const CurrencyArg& currency) {
            return Price::volume(std::move(tiers), currency_from_py(currency.value));
          },
          py::arg("tiers"), py::arg("currency"),
          "Volume tiers: the quantity picks the first tier whose up_to it does not pass, and every unit costs that\n"
          "tier's unit price, plus its flat fee.")
      .def_static(
          "percentage",
          [](const DecimalArg& rate, const CurrencyArg& currency, const std::optional<Money>& fixed_fee,
             const std::optional<Money>& minimum, const std::optional<Money>& maximum) {
            return Price::percentage(decimal_from_py(rate.value, "rate"), currency_from_py(currency.value),
                                     {.fixed_fee = fixed_fee, .minimum = minimum, .maximum = maximum});
          },
          py::arg("rate"), py::arg("currency"), py::kw_only(), py::arg("fixed_fee") = py::none(),
          py::arg("minimum") = py::none(), py::arg("maximum") = py::none(),
          "A fee on one transaction, whose amount is the quantity charged: amount x rate + fixed_fee, raised to\n"
          "minimum or lowered to maximum (Money in the currency). rate is a fraction from 0 to 1: '0.029' is 2.9%.")
      .def_static(
          "flat", [](const Money& amount) { return Price::flat(amount); }, py::arg("amount"),
          "amount (Money, >= 0) per period, whatever the quantity.")
      .def(
          "with_minimum", [](const Price& p, const Money& amount) { return p.with_minimum(amount); },
          py::arg("amount"),
          "This price with a minimum per period (Money in its currency): a charge below it gains a\n"
          "MINIMUM_TRUE_UP line that raises it to the minimum.")
      .def(
          "with_rounding",
          [](const Price& p, RoundingMode rounding, RoundAt at) {
            return p.with_rounding({.mode = rounding, .at = at});
          },
          py::arg_v("rounding", RoundingMode::half_even, "RoundingMode.HALF_EVEN"), py::kw_only(),
          py::arg_v("at", RoundAt::line, "RoundAt.LINE"),
          "This price rounding by rounding, once per line (RoundAt.LINE) or once on the total (RoundAt.TOTAL).")
      .def(
          "charge", [](const Price& p, const DecimalArg& quantity) { return p.charge(decimal_from_py(quantity.value, "quantity")); },
          py::arg("quantity"),
          "What quantity (a decimal.Decimal, str or int, >= 0, up to 12 places; a transaction's amount for a\n"
          "percentage price) costs: a Charge with .amount and .lines. Overflow when it passes the range of Money.")
      .def(
          "amount", [](const Price& p, const DecimalArg& quantity) { return p.amount(decimal_from_py(quantity.value, "quantity")); },
          py::arg("quantity"), "charge(quantity).amount (Money), without building the lines.")
      .def_property_readonly("model", &Price::model, "Which model it is (PriceModel).")
      .def_property_readonly("currency", &Price::currency, "Its currency (Currency).")
      .def_property_readonly(
          "tiers", [](const Price& p) { return std::vector<Tier>(p.tiers().begin(), p.tiers().end()); },
          "The Tiers of a graduated or volume price (a list); [] for the other models.")
      .def_property_readonly(
          "period_minimum", [](const Price& p) { return p.period_minimum(); },
          "The minimum per period (Money), or None.")
      .def_property_readonly(
          "rounding", [](const Price& p) { return p.rounding().mode; }, "How it rounds (RoundingMode).")
      .def_property_readonly(
          "round_at", [](const Price& p) { return p.rounding().at; }, "When it rounds (RoundAt).")
      .def("__repr__", &repr_price);
}

}  // namespace

void bind_pricing(py::module_& m) {
  bind_pricing_enums(m);
  bind_tier(m);
  bind_charge(m);
  bind_price(m);
}

}  // namespace billing::python
