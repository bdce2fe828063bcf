// Payments: validation of a payment request (validate_payment, PaymentPolicy, the report and its parts,
// CardBrand, ValidationCode, and the card and IBAN checks). The payment life cycle is in
// bind_payment_lifecycle.cpp; both read a request's text as payment_input.hpp does.
//
// Card numbers, CVCs and IBANs are sensitive (docs/python.md, "Sensitive parameters"): every text of a
// request is read as RawText, whose conversion never raises an exception that holds the text (a lone
// surrogate becomes bytes that are not UTF-8, which the field's checks refuse by name), and no repr here
// shows any of them.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "convert.hpp"
#include "payment_input.hpp"
#include "repr.hpp"

namespace billing::python {

namespace shown {
struct OptionalClock {
  static constexpr auto name = const_name("Optional[billing.Clock]");
};
struct OptionalDecimalLike {
  static constexpr auto name = const_name("Union[decimal.Decimal, str, int, None]");
};
struct OptionalCurrencies {
  static constexpr auto name = const_name("Optional[Iterable[Union[billing.Currency, str]]]");
};
struct OptionalBrands {
  static constexpr auto name = const_name("Optional[Iterable[billing.CardBrand]]");
};
struct OptionalDecimal {
  static constexpr auto name = const_name("Optional[decimal.Decimal]");
};
}  // namespace shown

void type_error(std::string_view field, std::string_view expected, py::handle got) {
  throw py::type_error(fmt::format("{}: expected {}, got {}", field, expected, type_name(got)));
}

namespace {

// The most bits an int amount or expiry may have: beyond, its digits could not be fewer than any limit,
// and Python would take long to print them (it refuses past 4,300 digits).
constexpr std::size_t k_max_int_bits = 4096;

bool is_int(py::handle value) { return PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr()); }

// An int as its decimal digits, as a request body would carry it.
RawText int_text(py::handle value, std::string_view field) {
  if (py::int_(value.attr("bit_length")()).cast<std::size_t>() > k_max_int_bits) {
    throw Overflow(std::string(field), fmt::format("is an int of more than {} bits", k_max_int_bits));
  }
  py::str digits(value);
  return py::cast<RawText>(digits);
}

// What an amount may be: its text (a str as given, a Decimal or an int as str() writes it). A float or bool is
// a TypeError, as for every amount of the module.
RawText amount_text(py::handle value) {
  if (PyFloat_Check(value.ptr())) {
    throw py::type_error("amount: a float cannot hold money exactly; pass a str, decimal.Decimal or int");
  }
  if (PyUnicode_Check(value.ptr())) return py::cast<RawText>(value);
  if (is_int(value)) return int_text(value, "amount");
  if (py::isinstance(value, py::module_::import("decimal").attr("Decimal"))) return py::cast<RawText>(py::str(value));
  type_error("amount", "a str, decimal.Decimal or int", value);
}

RawText currency_text(py::handle value) {
  if (PyUnicode_Check(value.ptr())) return py::cast<RawText>(value);
  if (py::isinstance<Currency>(value)) return py::cast<RawText>(py::str(value.attr("code")));
  type_error("currency", "a billing.Currency or a currency code (str)", value);
}

std::optional<RawText> expiry_text(py::handle value, std::string_view field) {
  if (value.is_none()) return std::nullopt;
  if (PyUnicode_Check(value.ptr())) return py::cast<RawText>(value);
  if (is_int(value)) return int_text(value, field);
  type_error(field, "a str, an int or None", value);
}

std::optional<std::string_view> view(const std::optional<RawText>& text) {
  return text ? std::optional(text->view) : std::nullopt;
}

}  // namespace

RequestText::RequestText(const Loose<shown::AmountLike>& amount, const CurrencyArg& currency,
                         const RawText& customer_id, const std::optional<RawText>& card_number,
                         const Loose<shown::ExpiryLike>& expiry_month, const Loose<shown::ExpiryLike>& expiry_year,
                         const std::optional<RawText>& cvc, const std::optional<RawText>& iban,
                         const std::optional<RawText>& email)
    : amount_(amount_text(amount.value)),
      currency_(currency_text(currency.value)),
      expiry_month_(expiry_text(expiry_month.value, "expiry_month")),
      expiry_year_(expiry_text(expiry_year.value, "expiry_year")),
      input_{.amount = amount_.view,
             .currency = currency_.view,
             .customer_id = customer_id.view,
             .email = view(email),
             .card_number = view(card_number),
             .expiry_month = view(expiry_month_),
             .expiry_year = view(expiry_year_),
             .cvc = view(cvc),
             .iban = view(iban)} {}

const PaymentPolicy* policy_from_py(const Loose<shown::OptionalPolicy>& policy) {
  if (policy.value.is_none()) return nullptr;
  if (!py::isinstance<PaymentPolicy>(policy.value)) type_error("policy", "a billing.PaymentPolicy or None", policy.value);
  return &policy.value.cast<const PaymentPolicy&>();
}

namespace {

PaymentReport validate(const Loose<shown::AmountLike>& amount, const CurrencyArg& currency, const RawText& customer_id,
                       const std::optional<RawText>& card_number, const Loose<shown::ExpiryLike>& expiry_month,
                       const Loose<shown::ExpiryLike>& expiry_year, const std::optional<RawText>& cvc,
                       const std::optional<RawText>& iban, const std::optional<RawText>& email,
                       const Loose<shown::OptionalPolicy>& policy, const Loose<shown::OptionalClock>& clock) {
  static const PaymentPolicy k_default_policy;
  static const SystemClock k_system_clock;
  const PaymentPolicy* const given = policy_from_py(policy);
  if (!clock.value.is_none() && !py::isinstance<Clock>(clock.value)) {
    type_error("clock", "a billing.Clock or None", clock.value);
  }
  const RequestText request(amount, currency, customer_id, card_number, expiry_month, expiry_year, cvc, iban, email);
  return validate_payment(
      request.input(), given != nullptr ? *given : k_default_policy,
      clock.value.is_none() ? static_cast<const Clock&>(k_system_clock) : clock.value.cast<const Clock&>());
}

// Reads at most `limit` + 1 items of an iterable, so that an endless one costs no more than the refusal.
std::vector<py::object> bounded_items(py::handle values, std::string_view field, std::size_t limit,
                                      std::string_view expected) {
  if (PyUnicode_Check(values.ptr()) || PyBytes_Check(values.ptr()) || !py::isinstance<py::iterable>(values)) {
    type_error(field, expected, values);
  }
  std::vector<py::object> items;  // owned: a generator's items live no longer than its next step
  for (py::handle item : py::reinterpret_borrow<py::iterable>(values)) {
    items.push_back(py::reinterpret_borrow<py::object>(item));
    if (items.size() > limit) break;
  }
  return items;
}

std::optional<std::vector<Currency>> currencies_from_py(py::handle values) {
  if (values.is_none()) return std::nullopt;
  std::vector<Currency> out;
  const auto items = bounded_items(values, "currencies", PaymentPolicy::k_max_currencies,
                                   "an iterable of billing.Currency or currency codes (str)");
  for (std::size_t at = 0; at < items.size(); ++at) {
    const std::string field = fmt::format("currencies[{}]", at);
    if (!PyUnicode_Check(items[at].ptr())) {
      out.push_back(currency_from_py(items[at], field));
      continue;
    }
    // Not Currency(code), whose message quotes a code of up to 16 characters: a card number given here by
    // mistake would be quoted.
    const std::optional<Currency> found = Currency::find(py::cast<RawText>(items[at]).view);
    if (!found) throw UnknownCurrency(field, "is not a known currency code");
    out.push_back(*found);
  }
  return out;
}

std::optional<std::vector<CardBrand>> brands_from_py(py::handle values) {
  if (values.is_none()) return std::nullopt;
  std::vector<CardBrand> out;
  std::size_t at = 0;
  for (const py::object& item :
       bounded_items(values, "brands", k_card_brand_count, "an iterable of billing.CardBrand")) {
    py::detail::make_caster<CardBrand> brand;
    if (!brand.load(item, false)) type_error(fmt::format("brands[{}]", at), "a billing.CardBrand", item);
    out.push_back(py::detail::cast_op<CardBrand>(brand));
    ++at;
  }
  return out;
}

PaymentPolicy make_policy(const Loose<shown::OptionalDecimalLike>& max_amount,
                          const Loose<shown::OptionalCurrencies>& currencies,
                          const Loose<shown::OptionalBrands>& brands) {
  std::optional<Decimal> max;
  if (!max_amount.value.is_none()) {
    try {
      max = PyUnicode_Check(max_amount.value.ptr())
                ? Decimal::parse(py::cast<RawText>(max_amount.value).view, "max_amount")
                : decimal_from_py(max_amount.value, "max_amount");
    } catch (const InvalidAmount&) {
      // Decimal::parse quotes the text it refuses; a card number given here by mistake must not be.
      throw InvalidAmount("max_amount", "is not a decimal number such as 1000.00");
    }
  }
  return {max, currencies_from_py(currencies.value), brands_from_py(brands.value)};
}

std::string policy_repr(const PaymentPolicy& policy) {
  std::string currencies = "None";
  if (policy.currencies()) {
    std::vector<std::string> codes;
    for (const Currency& c : *policy.currencies()) codes.push_back(repr_of(std::string(c.code())));
    currencies = fmt::format("[{}]", fmt::join(codes, ", "));
  }
  std::string brands = "None";
  if (policy.brands()) {
    std::vector<std::string> names;
    for (const CardBrand b : *policy.brands()) names.push_back(repr_of(b));
    brands = fmt::format("[{}]", fmt::join(names, ", "));
  }
  const std::string max = policy.max_amount() ? repr_of(decimal_to_py(*policy.max_amount())) : "None";
  return fmt::format("PaymentPolicy(max_amount={}, currencies={}, brands={})", max, currencies, brands);
}

std::string field_error_repr(const FieldError& e) {
  return fmt::format("FieldError({}, {})", repr_of(std::string(e.field_name())), repr_of(e.code()));
}

std::string card_repr(const CardDetails& card) {
  return fmt::format("CardDetails(brand={}, last_four={}, expiry_month={}, expiry_year={})", repr_of(card.brand()),
                     repr_of(std::string(card.last_four())), card.expiry_month(), card.expiry_year());
}

std::string report_repr(const PaymentReport& report) {
  if (report.ok()) {
    return fmt::format("PaymentReport(ok=True, card={})", report.card ? card_repr(*report.card) : "None");
  }
  std::vector<std::string> errors;
  for (const FieldError& e : report.errors) errors.push_back(field_error_repr(e));
  return fmt::format("PaymentReport(ok=False, errors=[{}])", fmt::join(errors, ", "));
}

void bind_validation_code(py::module_& m) {
  bind_enum<ValidationCode>(
      m, "ValidationCode",
      "Why a field of a payment request is broken (docs/payments.md gives each field's checks in order):\n\n"
      "MISSING: required with another field given (an expiry with a card number). TOO_LONG: beyond the field's\n"
      "limit, checked first. EMPTY: given empty. INVALID_FORMAT: not of the field's syntax. NOT_POSITIVE: an\n"
      "amount of zero or less. TOO_MANY_PLACES: more places than the currency. TOO_LARGE: above the policy's\n"
      "max_amount or a Money's range. UNKNOWN_CURRENCY, CURRENCY_NOT_ACCEPTED. CONTROL_CHARACTER: in a customer\n"
      "id. INVALID_LENGTH: digits or characters of a length the field, brand or country has not. CHECKSUM: Luhn\n"
      "(a card) or mod-97 (an IBAN) fails. UNKNOWN_BRAND, BRAND_NOT_ACCEPTED. OUT_OF_RANGE: a month outside 1-12,\n"
      "a year over 50 years ahead. EXPIRED: the expiry month has ended. UNKNOWN_COUNTRY: no IBAN registry country.\n"
      "CONFLICT: a card and an IBAN together.",
      {{"MISSING", ValidationCode::missing},
       {"TOO_LONG", ValidationCode::too_long},
       {"EMPTY", ValidationCode::empty},
       {"INVALID_FORMAT", ValidationCode::invalid_format},
       {"NOT_POSITIVE", ValidationCode::not_positive},
       {"TOO_MANY_PLACES", ValidationCode::too_many_places},
       {"TOO_LARGE", ValidationCode::too_large},
       {"UNKNOWN_CURRENCY", ValidationCode::unknown_currency},
       {"CURRENCY_NOT_ACCEPTED", ValidationCode::currency_not_accepted},
       {"CONTROL_CHARACTER", ValidationCode::control_character},
       {"INVALID_LENGTH", ValidationCode::invalid_length},
       {"CHECKSUM", ValidationCode::checksum},
       {"UNKNOWN_BRAND", ValidationCode::unknown_brand},
       {"BRAND_NOT_ACCEPTED", ValidationCode::brand_not_accepted},
       {"OUT_OF_RANGE", ValidationCode::out_of_range},
       {"EXPIRED", ValidationCode::expired},
       {"UNKNOWN_COUNTRY", ValidationCode::unknown_country},
       {"CONFLICT", ValidationCode::conflict}});
}

}  // namespace

void bind_payments(py::module_& m) {
  bind_enum<CardBrand>(m, "CardBrand",
                       "A card's brand, by the leading digits of its number (docs/payments.md has the ranges):\n"
                       "VISA, MASTERCARD, AMEX (American Express), DISCOVER, JCB, DINERS_CLUB, UNIONPAY, MAESTRO.",
                       {{"VISA", CardBrand::visa},
                        {"MASTERCARD", CardBrand::mastercard},
                        {"AMEX", CardBrand::amex},
                        {"DISCOVER", CardBrand::discover},
                        {"JCB", CardBrand::jcb},
                        {"DINERS_CLUB", CardBrand::diners_club},
                        {"UNIONPAY", CardBrand::unionpay},
                        {"MAESTRO", CardBrand::maestro}});
  bind_validation_code(m);

  py::class_<FieldError>(m, "FieldError",
                         "One broken field of a payment request (a value, not an exception): .field, .code and\n"
                         ".message, which an HTTP host may return as they are. The message starts with the field\n"
                         "and never holds a card number, a CVC or an IBAN.")
      .def_property_readonly(
          "field", [](const FieldError& e) { return std::string(e.field_name()); },
          "The field at fault (str): 'amount', 'currency', 'customer_id', 'email', 'card_number',\n"
          "'expiry_month', 'expiry_year', 'cvc' or 'iban'.")
      .def_property_readonly("code", &FieldError::code, "Why (ValidationCode).")
      .def_property_readonly(
          "message", [](const FieldError& e) { return std::string(e.message()); },
          "For people (str): 'card_number: fails the Luhn check'. Code branches on .code, never on this.")
      .def(
          "__eq__", [](const FieldError& a, const FieldError& b) { return a == b; }, py::is_operator())
      .def("__repr__", &field_error_repr);

  py::class_<CardDetails>(m, "CardDetails",
                          "What a report keeps of a card: its brand, last four digits and expiry; never the\n"
                          "number or the CVC.")
      .def_property_readonly("brand", &CardDetails::brand, "The CardBrand.")
      .def_property_readonly(
          "last_four", [](const CardDetails& c) { return std::string(c.last_four()); },
          "The number's last four digits (str), for display: '4242'.")
      .def_property_readonly("expiry_month", &CardDetails::expiry_month, "The expiry month (int, 1 to 12).")
      .def_property_readonly("expiry_year", &CardDetails::expiry_year, "The expiry year (int, four digits).")
      .def(
          "__eq__", [](const CardDetails& a, const CardDetails& b) { return a == b; }, py::is_operator())
      .def("__repr__", &card_repr);

  py::class_<PaymentReport>(m, "PaymentReport",
                            "What validate_payment() found: .ok, .errors (every broken field, one FieldError each, in\n"
                            "field order), .card and .amount. bool(report) is report.ok.")
      .def_property_readonly(
          "ok", [](const PaymentReport& r) { return r.ok(); }, "True when no field is broken.")
      .def_property_readonly(
          "errors", [](const PaymentReport& r) { return std::vector<FieldError>(r.errors.begin(), r.errors.end()); },
          "The broken fields (a list of FieldError), in the order amount, currency, customer_id, email,\n"
          "card_number, expiry_month, expiry_year, cvc, iban; empty when ok.")
      .def_readonly("card", &PaymentReport::card,
                    "The card's CardDetails when the number passed and the expiry reads as a month and a year\n"
                    "(an expired card too, so that a host can say which card expired); else None.")
      .def_readonly("amount", &PaymentReport::amount,
                    "The amount as Money in the currency when both passed; else None.")
      .def("__bool__", [](const PaymentReport& r) { return r.ok(); })
      .def("__repr__", &report_repr);

  py::class_<PaymentPolicy>(m, "PaymentPolicy",
                            "What a host accepts, for validate_payment(policy=): immutable once made.")
      .def(py::init(&make_policy), py::arg("max_amount") = py::none(), py::arg("currencies") = py::none(),
           py::arg("brands") = py::none(),
           "max_amount: the largest amount accepted, in the request's own currency (a decimal.Decimal, str or\n"
           "int, more than zero; None: any a Money holds). currencies: 1 to 256 Currency objects or codes, each\n"
           "once (None: every known currency). brands: 1 to 8 CardBrand members, each once (None: every brand).\n"
           "Anything else is InvalidArgument naming the field; a float max_amount is a TypeError.")
      .def_property_readonly(
          "max_amount",
          [](const PaymentPolicy& p) -> Typed<shown::OptionalDecimal> {
            return {p.max_amount() ? decimal_to_py(*p.max_amount()) : py::none()};
          },
          "The largest amount accepted (decimal.Decimal), or None.")
      .def_property_readonly(
          "currencies", [](const PaymentPolicy& p) { return p.currencies(); },
          "The currencies accepted (a list of Currency, in the order given), or None for every one.")
      .def_property_readonly(
          "brands", [](const PaymentPolicy& p) { return p.brands(); },
          "The card brands accepted (a list of CardBrand, in the order given), or None for every one.")
      .def("__repr__", &policy_repr);

  m.def("validate_payment", &validate, py::kw_only(), py::arg("amount"), py::arg("currency"), py::arg("customer_id"),
        py::arg("card_number") = py::none(), py::arg("expiry_month") = py::none(), py::arg("expiry_year") = py::none(),
        py::arg("cvc") = py::none(), py::arg("iban") = py::none(), py::arg("email") = py::none(),
        py::arg("policy") = py::none(), py::arg("clock") = py::none(),
        "Checks a payment request as a request body carries it and reports every broken field at once\n"
        "(a PaymentReport); bad input is a report, never an exception.\n\n"
        "amount: a str, decimal.Decimal or int (a float is a TypeError); currency: a code or a Currency;\n"
        "customer_id: 1 to 128 characters. Optional: email; card_number (spaces and dashes allowed), which\n"
        "needs expiry_month and expiry_year (a str or an int: 12, '12', 2030, '30') and cvc; or iban (spaces\n"
        "allowed), not both. policy: a PaymentPolicy (None: any currency, amount and brand); clock: the Clock\n"
        "that expiry is judged by (None: the system clock). card_number, cvc and iban are sensitive: no message\n"
        "or repr shows them. docs/payments.md lists every check and code.");
  m.def(
      "card_brand", [](const RawText& number) { return card_brand(number.view); }, py::arg("number"),
      "The CardBrand of a card number's leading digits (spaces and dashes allowed), whatever its length and\n"
      "check digit, so that a form can show it as digits are typed; None when no brand's range holds them.");
  m.def(
      "is_valid_card_number", [](const RawText& number) { return is_valid_card_number(number.view); },
      py::arg("number"),
      "True for a card number of a known brand, of a length that brand has, that passes Luhn (spaces and\n"
      "dashes allowed), as validate_payment() checks it with the default policy.");
  m.def(
      "is_valid_iban", [](const RawText& iban) { return is_valid_iban(iban.view); }, py::arg("iban"),
      "True for an IBAN of a country of the SWIFT IBAN registry, of that country's length, whose check digits\n"
      "pass mod 97 (spaces allowed, letters of either case).");
}

}  // namespace billing::python
