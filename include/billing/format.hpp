// Formatting: fmt formatters for the value types, so that fmt::format("{}", money) prints what
// to_string() does. Kept out of the value headers, which include no third-party header, so that a host
// pays for fmt (<fmt/format.h> is 69,000 preprocessed lines) only where it formats; billing.hpp
// includes this header. The formatters hold no state and are safe to use from any thread.
//
//   #include <billing/format.hpp>
//   fmt::print("{} costs {:>12}\n", Currency("USD"), Money::parse("19.99 USD"));   // "USD costs    19.99 USD"
//
// Each formats the text of to_string() (or code(), or str()) and takes the format specs of a string:
// width, fill and alignment ("{:>12}", "{:*<8}").
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

namespace billing::detail {

/// The text each value type formats as: what its to_string(), code() or str() gives.
inline std::string format_text(const Decimal& value) { return value.to_string(); }  // "12.340", "-0.05"
inline std::string format_text(const Money& value) { return value.to_string(); }    // "12.34 USD"
inline std::string format_text(Timestamp value) { return value.to_string(); }       // "2026-11-21T23:52:24Z"
inline std::string_view format_text(Currency value) { return value.code(); }        // "USD"
template <class Tag>
std::string_view format_text(const Id<Tag>& value) {
  return value.str();
}

/// fmt's formatter of a string applied to a value's text, so that width, fill and alignment work as for a
/// string.
template <class T>
struct TextFormatter : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const T& value, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(format_text(value), ctx);
  }
};

}  // namespace billing::detail

template <>
struct fmt::formatter<billing::Decimal> : billing::detail::TextFormatter<billing::Decimal> {};
template <>
struct fmt::formatter<billing::Money> : billing::detail::TextFormatter<billing::Money> {};
template <>
struct fmt::formatter<billing::Currency> : billing::detail::TextFormatter<billing::Currency> {};
template <>
struct fmt::formatter<billing::Timestamp> : billing::detail::TextFormatter<billing::Timestamp> {};
template <class Tag>
struct fmt::formatter<billing::Id<Tag>> : billing::detail::TextFormatter<billing::Id<Tag>> {};
