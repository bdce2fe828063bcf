// Price: what a quantity of usage costs, as pure functions on exact decimals, with the lines an invoice shows.
//
// A Price is one of six models (per unit, package, graduated tiers, volume tiers, percentage of a transaction, a
// flat recurring fee), optionally with a minimum per period and a choice of rounding. charge(quantity) returns the
// Money and one line per tier or part. Quantities, unit prices and rates are Decimals; amounts that stand alone
// (a package's price, a fixed fee, a minimum) are Money; a Decimal becomes Money only by the price's RoundingMode,
// once per line by default or once on the total (docs/pricing.md, "Rounding"). Nothing is stored. Prices and
// charges are immutable values, safe to share and to charge from any number of threads at once.
//
//   Price fonts = Price::graduated({{.up_to = Decimal(5), .unit_price = Decimal(7)},
//                                   {.up_to = Decimal(10), .unit_price = Decimal::parse("6.5")},
//                                   {.unit_price = Decimal(6)}},
//                                  Currency("USD"));
//   Charge month = fonts.charge(Decimal(6));           // 41.50 USD: 5 x 7 + 1 x 6.5, in two lines
//   Price calls = Price::per_unit(Decimal::parse("0.00025"), Currency("USD")).with_minimum(Money::parse("5 USD"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/money.hpp"
#include "billing/rounding.hpp"

namespace billing {

/// The most tiers a graduated or volume price has.
inline constexpr std::size_t k_max_price_tiers = 100;
/// The most places a unit price, a rate, a tier's flat fee, a quantity or a tier bound has (trailing zeros
/// do not count): 0.00025 USD a call has 5; Stripe's unit_amount_decimal allows 12 too.
inline constexpr int k_max_price_places = 12;
/// The largest quantity, tier bound, package size, unit price and tier flat fee: 10^18. Any charge beyond
/// the range of Money is Overflow anyway; the bound keeps every value and product inside the library's own
/// integers (docs/pricing.md, "Limits").
inline constexpr std::int64_t k_max_price_value = 1'000'000'000'000'000'000;

/// Which model a Price is; the index of its PriceTerms.
enum class PriceModel : std::uint8_t { per_unit, package, graduated, volume, percentage, flat };

/// When a Decimal becomes Money. Either way the charge's lines sum exactly to its amount.
enum class RoundAt : std::uint8_t {
  line,   ///< each line's exact amount is rounded once; the amount is the sum of the rounded lines (default)
  total,  ///< the exact lines are summed and rounded once; the rounded total is shared out to the lines by
          ///< the largest-remainder method (each line rounded down, the minor units left over one each to the
          ///< lines with the largest remainders, the earlier line on a tie)
};

/// How and when a price rounds. The default is each line, half-even.
struct Rounding {
  RoundingMode mode = RoundingMode::half_even;
  RoundAt at = RoundAt::line;

  friend bool operator==(const Rounding&, const Rounding&) = default;
};

/// One tier of a graduated or volume price. Its quantities are those above the previous tier's up_to (0 for the
/// first) up to and including its own.
struct Tier {
  std::optional<Decimal> up_to{};  ///< the last quantity of the tier; absent for the last tier only
  Decimal unit_price{};            ///< per unit, in the price's currency: >= 0, up to 12 places
  Decimal flat_fee{};              ///< once when the quantity reaches the tier, in the price's currency: >= 0

  friend bool operator==(const Tier&, const Tier&) = default;
};

/// A per-unit price: quantity x unit_price.
struct PerUnitTerms {
  Decimal unit_price;
  friend bool operator==(const PerUnitTerms&, const PerUnitTerms&) = default;
};
/// A package price: the quantity above free_units, divided by size and rounded up (or down) to whole packages,
/// each at `price`.
struct PackageTerms {
  Decimal size;
  Money price;
  bool round_up = true;
  Decimal free_units{};
  friend bool operator==(const PackageTerms&, const PackageTerms&) = default;
};
/// Graduated tiers: each tier prices the part of the quantity that falls in it, plus its flat fee once reached.
struct GraduatedTerms {
  std::vector<Tier> tiers;
  friend bool operator==(const GraduatedTerms&, const GraduatedTerms&) = default;
};
/// Volume tiers: the whole quantity picks one tier, whose unit price and flat fee apply to every unit.
struct VolumeTerms {
  std::vector<Tier> tiers;
  friend bool operator==(const VolumeTerms&, const VolumeTerms&) = default;
};
/// A percentage of one transaction: its amount (the quantity) x rate + fixed_fee, then raised to minimum or
/// lowered to maximum when given.
struct PercentageTerms {
  Decimal rate;  ///< a fraction from 0 to 1: 0.029 is 2.9%
  std::optional<Money> fixed_fee{};
  std::optional<Money> minimum{};
  std::optional<Money> maximum{};
  friend bool operator==(const PercentageTerms&, const PercentageTerms&) = default;
};
/// A flat fee per period, whatever the quantity.
struct FlatTerms {
  Money amount;
  friend bool operator==(const FlatTerms&, const FlatTerms&) = default;
};
/// The terms of a price, one alternative per PriceModel in its order.
using PriceTerms = std::variant<PerUnitTerms, PackageTerms, GraduatedTerms, VolumeTerms, PercentageTerms, FlatTerms>;

/// The options of Price::package().
struct PackageOptions {
  bool round_up = true;  ///< a started package counts as a whole one; false drops it
  Decimal free_units{};  ///< the first quantities, free of charge: >= 0
};

/// The options of Price::percentage(), each in the price's currency and >= 0.
struct PercentageOptions {
  std::optional<Money> fixed_fee{};  ///< added to every transaction
  std::optional<Money> minimum{};    ///< the least a transaction pays
  std::optional<Money> maximum{};    ///< the most a transaction pays; not below minimum
};

/// What a line of a charge is.
enum class LineKind : std::uint8_t {
  units,                ///< per unit: quantity x unit_price
  tier,                 ///< a graduated tier reached, or the volume tier picked: quantity x unit_price + flat_fee
  free_units,           ///< package: the free units (amount 0)
  packages,             ///< package: quantity whole packages x unit_price, the price of one
  percentage,           ///< quantity (the transaction's amount) x unit_price (the rate) + flat_fee (the fixed fee)
  transaction_minimum,  ///< raises a percentage fee to its minimum: unit_price is the difference
  transaction_maximum,  ///< lowers a percentage fee to its maximum: unit_price is the (negative) difference
  flat,                 ///< a flat fee: 1 x unit_price
  minimum_true_up,      ///< raises a period's charge to its minimum: 1 x the difference
};

/// One line of a charge, as an invoice shows it. quantity x unit_price + flat_fee is the line's exact amount;
/// `amount` is that rounded as the price says (RoundAt).
struct ChargeLine {
  LineKind kind = LineKind::units;
  std::optional<std::size_t> tier{};  ///< for a tier line, its index in the price's tiers
  Decimal start{};                    ///< for a tier line, the tier's quantities above this (the previous up_to)
  std::optional<Decimal> up_to{};     ///< for a tier line, the tier's up_to; absent for the last tier
  Decimal quantity{};
  Decimal unit_price{};
  Decimal flat_fee{};
  Money amount;

  friend bool operator==(const ChargeLine&, const ChargeLine&) = default;
};

/// What Price::charge() returns: the amount and the lines it is made of, which sum exactly to it.
struct Charge {
  Money amount;
  std::vector<ChargeLine> lines{};

  friend bool operator==(const Charge&, const Charge&) = default;
};

namespace detail {
/// A tier's numbers as integers scaled once at construction, so that a charge reads no Decimal: the bound at
/// the price's quantity scale, the unit price and the flat fee at its price scale.
struct ScaledTier {
  Decimal::Coefficient::Magnitude up_to;  ///< unused for the last tier
  Decimal::Coefficient::Magnitude unit_price;
  Decimal::Coefficient::Magnitude flat_fee;
};
}  // namespace detail

class Price {
 public:
  /// quantity x unit_price. Throws InvalidArgument (field "unit_price") for a negative price or one beyond
  /// k_max_price_value, InvalidAmount (a kind of InvalidArgument) for more than k_max_price_places places.
  [[nodiscard]] static Price per_unit(const Decimal& unit_price, Currency currency);

  /// `price` for each whole package of `size` units of the quantity above `options.free_units`, a started
  /// package rounded up (or down, with round_up false). Throws InvalidArgument naming "size" (zero, negative,
  /// beyond k_max_price_value, more than k_max_price_places places), "price" (negative) or "free_units".
  [[nodiscard]] static Price package(const Decimal& size, const Money& price, const PackageOptions& options = {});

  /// Graduated tiers: each tier charges the part of the quantity that falls in it at its unit price, plus
  /// its flat fee once the quantity reaches it (the first tier's flat fee always, as Stripe bills it).
  /// `tiers`: 1 to k_max_price_tiers; each up_to > 0 and greater than the one before, every tier but the last
  /// with one and the last without; prices and fees >= 0 with up to 12 places. Throws InvalidArgument naming
  /// the field at fault ("tiers", "tiers[2].up_to", "tiers[0].unit_price").
  [[nodiscard]] static Price graduated(std::vector<Tier> tiers, Currency currency);

  /// Volume tiers: the quantity picks the first tier whose up_to it does not pass (the last when it passes
  /// them all), and every unit costs that tier's unit price, plus its flat fee. Refuses what graduated() does.
  [[nodiscard]] static Price volume(std::vector<Tier> tiers, Currency currency);

  /// A fee on one transaction, whose amount is the quantity charged: amount x rate + fixed_fee, raised to the
  /// minimum or lowered to the maximum. `rate` is a fraction from 0 to 1 (0.029 for 2.9%) with up to 12 places.
  /// Throws InvalidArgument naming "rate", "fixed_fee", "minimum" or "maximum" (negative, or a maximum below the
  /// minimum), and CurrencyMismatch naming the option in another currency.
  [[nodiscard]] static Price percentage(const Decimal& rate, Currency currency,
                                        const PercentageOptions& options = {});

  /// `amount` each period, whatever the quantity. Throws InvalidArgument (field "amount") when negative.
  [[nodiscard]] static Price flat(const Money& amount);

  /// This price with a minimum per period: a charge below it gains a LineKind::minimum_true_up line that
  /// raises it to `minimum`. Throws CurrencyMismatch (field "minimum") for another currency and InvalidArgument
  /// when negative; this price is unchanged either way.
  [[nodiscard]] Price with_minimum(const Money& minimum) const;

  /// This price rounding by `rounding` instead (RoundingMode::half_even at each line by default). Package and flat
  /// charges are exact and never round; a percentage charge has one line to round, so `at` changes nothing there.
  [[nodiscard]] Price with_rounding(Rounding rounding) const;

  /// What `quantity` costs, with its lines. The quantity is usage (calls, GB-hours: fractional is fine), or a
  /// transaction's amount in the price's currency for a percentage price; a flat price ignores it. Throws
  /// InvalidArgument (field "quantity") when negative or beyond k_max_price_value, InvalidAmount for more than
  /// k_max_price_places places, and Overflow (field "quantity") when the charge passes the range of Money. A
  /// charge never rounds more than once per line, and its lines always sum to its amount.
  [[nodiscard]] Charge charge(const Decimal& quantity) const;

  /// The amount charge(quantity) returns, without building its lines (no allocation); the same failures.
  [[nodiscard]] Money amount(const Decimal& quantity) const;

  /// Which model this is: the index of terms().
  [[nodiscard]] PriceModel model() const noexcept { return static_cast<PriceModel>(terms_.index()); }
  /// The terms as given to the factory (a std::variant; std::get<GraduatedTerms>(price.terms()).tiers).
  [[nodiscard]] const PriceTerms& terms() const noexcept { return terms_; }
  /// The currency of every amount the price charges.
  [[nodiscard]] Currency currency() const noexcept { return currency_; }
  /// The tiers of a graduated or volume price; empty for the other models.
  [[nodiscard]] std::span<const Tier> tiers() const noexcept;
  /// The minimum per period, if any (with_minimum).
  [[nodiscard]] const std::optional<Money>& period_minimum() const noexcept { return period_minimum_; }
  /// How and when it rounds (with_rounding); Rounding{} by default.
  [[nodiscard]] Rounding rounding() const noexcept { return rounding_; }

  /// Equal terms (by value: 6.5 == 6.50), currency, minimum and rounding.
  friend bool operator==(const Price& a, const Price& b) noexcept {
    return a.currency_ == b.currency_ && a.terms_ == b.terms_ && a.period_minimum_ == b.period_minimum_ &&
           a.rounding_ == b.rounding_;
  }

 private:
  Price(PriceTerms terms, Currency currency);

  PriceTerms terms_;
  Currency currency_;
  std::optional<Money> period_minimum_{};
  Rounding rounding_{};
  // Set once by the constructor from terms_, read by charge(): the places every price number is scaled to,
  // the places of the tier bounds, and each tier (or the one unit price, or the rate) scaled.
  int price_scale_ = 0;
  int bound_scale_ = 0;
  std::vector<detail::ScaledTier> scaled_{};
};

/// The lower-case names of the values, as Python's enum values spell them: "per_unit", "total", "minimum_true_up".
[[nodiscard]] std::string_view to_string(PriceModel model) noexcept;
[[nodiscard]] std::string_view to_string(RoundAt at) noexcept;
[[nodiscard]] std::string_view to_string(LineKind kind) noexcept;

}  // namespace billing
