// Formatting: fmt formatters for the value types, so that fmt::format("{}", money) prints what
// to_string() does. Kept out of the value headers, which include no third-party header, so that a host
// pays for fmt (about 50,000 preprocessed lines of <fmt/format.h>) only where it formats; billing.hpp
// includes this header. The formatters hold no state and are safe to use from any thread.
//
//   #include <billing/format.hpp>
//   fmt::print("{} costs {:>12}\n", Currency("USD"), Money::parse("19.99 USD"));   // "USD costs    19.99 USD"
//
// Each formats the text of to_string() (or code(), or str()) and takes the format specs of a string:
// width, fill and alignment ("{:>12}", "{:*<8}").
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

/// "12.340", "-0.05": Decimal::to_string().
template <>
struct fmt::formatter<billing::Decimal> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const billing::Decimal& value, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(value.to_string(), ctx);
  }
};

/// "USD": Currency::code().
template <>
struct fmt::formatter<billing::Currency> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(billing::Currency currency, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(currency.code(), ctx);
  }
};

/// "12.34 USD": Money::to_string().
template <>
struct fmt::formatter<billing::Money> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const billing::Money& money, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(money.to_string(), ctx);
  }
};

/// "2026-11-21T23:52:24Z": Timestamp::to_string().
template <>
struct fmt::formatter<billing::Timestamp> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(billing::Timestamp when, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(when.to_string(), ctx);
  }
};

/// The id's text: Id::str().
template <class Tag>
struct fmt::formatter<billing::Id<Tag>> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const billing::Id<Tag>& id, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(id.str(), ctx);
  }
};
