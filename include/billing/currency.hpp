// Currency: an ISO 4217 currency, or a unit a host registers (credits, API calls), with its minor units.
//
// A Currency is a handle to an entry of a process-wide table that is never shrunk, so it is as cheap to
// copy and compare as a pointer and stays valid for the life of the process. Looking up and registering
// are safe from any thread.
//
//   Currency usd("USD");                                   // 2 places
//   Currency credits = Currency::register_unit("CREDITS", 3, "Prepaid credits");
//
// fmt::format("{}", value) needs billing/format.hpp: this header includes no third-party header.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace billing {

namespace detail {
struct CurrencyRecord {
  std::string code;
  int numeric;  // 0 for a registered unit
  int minor_units;
  std::string name;
  bool iso;
};
}  // namespace detail

class Currency {
 public:
  /// The most minor units (places) a registered unit may have: 10^18 minor units still fit a Money.
  static constexpr int k_max_minor_units = 18;
  /// The longest name a registered unit may have, in bytes of UTF-8.
  static constexpr std::size_t k_max_name_bytes = 64;
  /// The most units one process may register. Units are process-wide and never removed, so a host that
  /// registers one per request (or per tenant) would grow the table without end.
  static constexpr std::size_t k_max_registered_units = 1000;

  /// The currency with alphabetic code `code` ("USD", case-sensitive). Throws UnknownCurrency (field
  /// "currency") when it is neither in the ISO 4217 table nor registered.
  explicit Currency(std::string_view code);

  /// The currency with code `code`, or nullopt.
  [[nodiscard]] static std::optional<Currency> find(std::string_view code) noexcept;

  /// Registers a unit of account that is not an ISO currency, and returns it.
  /// `code` is 2 to 16 characters of A-Z, 0-9 and '_', starting with a letter, and not an ISO code;
  /// `minor_units` is 0..k_max_minor_units; `name` is 1 to k_max_name_bytes bytes of UTF-8 without control
  /// characters, and not only white space. Registering the same code again with the same places and name
  /// returns the existing unit; with other places or another name it throws InvalidArgument (field "code").
  /// Beyond k_max_registered_units units it throws InvalidArgument (field "code"). Each check comes before
  /// any change; a refused call registers nothing.
  static Currency register_unit(std::string_view code, int minor_units, std::string_view name);

  [[nodiscard]] std::string_view code() const noexcept { return record_->code; }
  /// The ISO 4217 numeric code (840 for USD), or 0 for a registered unit.
  [[nodiscard]] int numeric() const noexcept { return record_->numeric; }
  /// Places after the point: 2 for USD, 0 for JPY, 3 for BHD, 4 for CLF.
  [[nodiscard]] int minor_units() const noexcept { return record_->minor_units; }
  [[nodiscard]] std::string_view name() const noexcept { return record_->name; }
  [[nodiscard]] bool is_iso() const noexcept { return record_->iso; }

  friend bool operator==(Currency a, Currency b) noexcept { return a.record_ == b.record_; }

 private:
  explicit Currency(const detail::CurrencyRecord* record) noexcept : record_(record) {}

  const detail::CurrencyRecord* record_;
};

/// Every currency: the ISO 4217 table sorted by code, then the registered units in order of registration.
[[nodiscard]] std::vector<Currency> currencies();

}  // namespace billing

template <>
struct std::hash<billing::Currency> {
  std::size_t operator()(billing::Currency currency) const noexcept {
    return std::hash<std::string_view>{}(currency.code());
  }
};
