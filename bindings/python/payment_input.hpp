// The text of a payment request as validate_payment() and books.payments.create() take it from Python: the
// amount, currency and expiry in the types a host has, and every text as RawText.
//
// Card numbers, CVCs and IBANs are sensitive (docs/python.md, "Sensitive parameters"): every text of a
// request is read as RawText, whose conversion never raises an exception that holds the text (a lone
// surrogate becomes bytes that are not UTF-8, which the field's checks refuse by name).
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string_view>

#include "convert.hpp"

namespace billing::python {

/// A str, viewed as UTF-8 for the length of a call without a copy. A str that UTF-8 cannot encode (a lone
/// surrogate) is kept as the bytes Python's "surrogatepass" gives, which are not valid UTF-8: a check then
/// refuses it by field, and no UnicodeEncodeError (whose .object would be the whole text) is raised.
struct RawText {
  py::object keep;  // what `view` points into
  std::string_view view;
};

namespace shown {
struct AmountLike {
  static constexpr auto name = const_name("Union[str, decimal.Decimal, int]");
};
struct ExpiryLike {
  static constexpr auto name = const_name("Union[str, int, None]");
};
struct OptionalPolicy {
  static constexpr auto name = const_name("Optional[billing.PaymentPolicy]");
};
}  // namespace shown

/// TypeError "field: expected <expected>, got <type>": the value itself is never shown.
[[noreturn]] void type_error(std::string_view field, std::string_view expected, py::handle got);

/// The PaymentPolicy a `policy=` argument holds, or nullptr for None; a TypeError naming `policy` for
/// anything else.
const PaymentPolicy* policy_from_py(const Loose<shown::OptionalPolicy>& policy);

/// The fields of a payment request as a PaymentInput of views, which stay valid while this object and the
/// RawText arguments it was made from live. Raises TypeError naming the field for a wrong type (a float
/// amount), Overflow for an int of more than 4,096 bits; every other problem is the checks' to report.
class RequestText {
 public:
  RequestText(const Loose<shown::AmountLike>& amount, const CurrencyArg& currency, const RawText& customer_id,
              const std::optional<RawText>& card_number, const Loose<shown::ExpiryLike>& expiry_month,
              const Loose<shown::ExpiryLike>& expiry_year, const std::optional<RawText>& cvc,
              const std::optional<RawText>& iban, const std::optional<RawText>& email);
  RequestText(const RequestText&) = delete;
  RequestText& operator=(const RequestText&) = delete;

  [[nodiscard]] const PaymentInput& input() const noexcept { return input_; }

 private:
  RawText amount_;
  RawText currency_;
  std::optional<RawText> expiry_month_;
  std::optional<RawText> expiry_year_;
  PaymentInput input_;
};

}  // namespace billing::python

namespace pybind11::detail {

template <>
struct type_caster<billing::python::RawText> {
  PYBIND11_TYPE_CASTER(billing::python::RawText, const_name("str"));

  bool load(handle source, bool /*convert*/) {
    if (!source || !PyUnicode_Check(source.ptr())) return false;
    Py_ssize_t size = 0;
    if (const char* data = PyUnicode_AsUTF8AndSize(source.ptr(), &size)) {
      value.keep = reinterpret_borrow<object>(source);
      value.view = std::string_view(data, static_cast<std::size_t>(size));
      return true;
    }
    PyErr_Clear();
    object bytes = reinterpret_steal<object>(PyUnicode_AsEncodedString(source.ptr(), "utf-8", "surrogatepass"));
    if (!bytes) {
      PyErr_Clear();
      return false;
    }
    value.view =
        std::string_view(PyBytes_AS_STRING(bytes.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.ptr())));
    value.keep = std::move(bytes);
    return true;
  }

  static handle cast(const billing::python::RawText& text, return_value_policy /*policy*/, handle /*parent*/) {
    return PyUnicode_DecodeUTF8(text.view.data(), static_cast<Py_ssize_t>(text.view.size()), "surrogateescape");
  }
};

}  // namespace pybind11::detail
