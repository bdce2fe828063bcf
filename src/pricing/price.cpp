#include "billing/price.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "wide_int.hpp"

// How a charge is computed (docs/pricing.md, "Rounding"): every number of the price was scaled once to integers
// at construction (unit prices, flat fees and the rate at the price scale P, tier bounds at the bound scale U).
// A charge scales the quantity to Qs = max(its places, U), and forms each line's exact amount,
// quantity x unit price + flat fee, as one integer at the exact scale S = max(Qs + P, the currency's places).
// Dividing it by D = 10^(S - currency places) splits it into whole minor units and a remainder; the line (or the
// total) rounds from that split once, by the price's mode. Nothing is rounded on the way, and nothing passes
// through a Decimal: 128-bit integers when the line fits them (every realistic charge), 256-bit ones otherwise.
namespace billing {
namespace {

using detail::Int256;
using detail::Magnitude;
using detail::ScaledTier;

[[noreturn]] void throw_charge_overflow() {
  throw Overflow("quantity", fmt::format("the charge passes the largest amount of Money ({} minor units)",
                                         Money::k_max_minor));
}

Magnitude pow10(int n) {
  BILLING_ASSERT(n >= 0 && n <= 38);
  return detail::k_pow10[static_cast<std::size_t>(n)];
}

// The places of `value` without its trailing zeros (12.340 has 2).
int places_of(const Decimal& value) { return value.scale() == 0 ? 0 : value.normalized().scale(); }

// Checks what every number of a price must be: >= 0, at most k_max_price_value, at most k_max_price_places places.
void check_number(const Decimal& value, const std::string& field) {
  if (value.sign() < 0) throw InvalidArgument(field, fmt::format("{} is negative", value.to_string()));
  if (value > Decimal(k_max_price_value)) {
    throw InvalidArgument(field, fmt::format("{} is beyond the largest the pricing takes ({})", value.to_string(),
                                             k_max_price_value));
  }
  if (places_of(value) > k_max_price_places) {
    throw InvalidAmount(field, fmt::format("{} has more than the {} places a price takes", value.to_string(),
                                           k_max_price_places));
  }
}

// `value` (checked) as an integer at `scale` places, scale >= its places: exact, below 10^30.
Magnitude at_scale(const Decimal& value, int scale) {
  const Magnitude magnitude = value.coefficient().magnitude();
  if (scale >= value.scale()) return magnitude * pow10(scale - value.scale());
  return magnitude / pow10(value.scale() - scale);  // only trailing zeros go
}

void check_money(const Money& amount, Currency currency, const std::string& field) {
  if (amount.currency() != currency) {
    throw CurrencyMismatch(field, fmt::format("is in {}, and the price in {}; a price has one currency",
                                              amount.currency().code(), currency.code()));
  }
  if (amount.sign() < 0) throw InvalidArgument(field, fmt::format("{} is negative", amount.to_string()));
}

void check_tiers(const std::vector<Tier>& tiers) {
  if (tiers.empty() || tiers.size() > k_max_price_tiers) {
    throw InvalidArgument("tiers", fmt::format("needs 1 to {} tiers, got {}", k_max_price_tiers, tiers.size()));
  }
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const Tier& tier = tiers[i];
    const std::string at = fmt::format("tiers[{}]", i);
    const bool last = i + 1 == tiers.size();
    if (last && tier.up_to) {
      throw InvalidArgument(at + ".up_to", "the last tier has no up_to: it takes every quantity above the one before");
    }
    if (!last && !tier.up_to) throw InvalidArgument(at + ".up_to", "only the last tier may have no up_to");
    if (tier.up_to) {
      check_number(*tier.up_to, at + ".up_to");
      if (i == 0 && tier.up_to->is_zero()) throw InvalidArgument(at + ".up_to", "must be greater than 0");
      if (i > 0 && *tier.up_to <= *tiers[i - 1].up_to) {
        throw InvalidArgument(at + ".up_to", fmt::format("{} is not greater than tiers[{}].up_to ({})",
                                                         tier.up_to->to_string(), i - 1,
                                                         tiers[i - 1].up_to->to_string()));
      }
    }
    check_number(tier.unit_price, at + ".unit_price");
    check_number(tier.flat_fee, at + ".flat_fee");
  }
}

// -------------------------------------------------------------------------------------------- a line's amount

// An exact non-negative amount at the exact scale, as whole minor units (rounded down) and what is left below
// one minor unit, in units of the exact scale (below D).
struct Split {
  std::int64_t minor;
  Magnitude remainder;
};

// The powers of ten of one charge that bring each part of a line to the exact scale S, and split it.
struct Scales {
  Magnitude unit_shift;  // 10^(S - Qs - P): quantity x unit price to S
  Magnitude fee_shift;   // 10^(S - P): a tier's flat fee to S
  Magnitude divisor;     // D = 10^(S - currency places): what splits S into minor units, and brings them to S
};

Scales scales_for(int quantity_scale, int price_scale, int currency_places) {
  const int exact = std::max(quantity_scale + price_scale, currency_places);
  return {pow10(exact - quantity_scale - price_scale), pow10(exact - price_scale), pow10(exact - currency_places)};
}

Split split_minor(std::int64_t minor) { return {minor, 0}; }

// a x b x a_b_shift + c x c_shift, split by `divisor`, when a line's numbers pass 128 bits on the way (they stay
// below 10^30 each, so 256 bits always hold the exact amount).
[[gnu::noinline]] Split split_wide(Magnitude a, Magnitude b, Magnitude a_b_shift, Magnitude c, Magnitude c_shift,
                                   Magnitude divisor) {
  const auto wide = [](Magnitude value) {
    return detail::to_wide<Int256>(Decimal::Coefficient::from_magnitude(value));
  };
  const Int256 exact = wide(a) * wide(b) * wide(a_b_shift) + wide(c) * wide(c_shift);
  const Int256 quotient = exact / wide(divisor);
  if (quotient > Int256(Money::k_max_minor)) throw_charge_overflow();
  return {static_cast<std::int64_t>(quotient), detail::to_coefficient(exact % wide(divisor), "quantity").magnitude()};
}

// a x b x a_b_shift + c x c_shift, split by `divisor`: on 128 bits when it fits.
Split split(Magnitude a, Magnitude b, Magnitude a_b_shift, Magnitude c, Magnitude c_shift, Magnitude divisor) {
  Magnitude product = 0;
  Magnitude fee = 0;
  Magnitude exact = 0;
  if (__builtin_mul_overflow(a, b, &product) || __builtin_mul_overflow(product, a_b_shift, &product) ||
      __builtin_mul_overflow(c, c_shift, &fee) || __builtin_add_overflow(product, fee, &exact)) [[unlikely]] {
    return split_wide(a, b, a_b_shift, c, c_shift, divisor);
  }
  const auto [quotient, remainder] = detail::divide_magnitudes(exact, divisor);
  if (quotient > static_cast<Magnitude>(Money::k_max_minor)) throw_charge_overflow();
  return {static_cast<std::int64_t>(quotient), remainder};
}

// Whether `minor` whole units and `remainder` of `divisor` round up to minor + 1 by `mode`.
bool rounds_away(RoundingMode mode, std::int64_t minor, Magnitude remainder, Magnitude divisor) {
  const Magnitude rest = divisor - remainder;
  const int vs_half = remainder < rest ? -1 : (remainder == rest ? 0 : 1);
  return detail::round_away(mode, false, remainder != 0, vs_half, (minor & 1) != 0);
}

std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) throw_charge_overflow();
  return sum;
}

// ------------------------------------------------------------------------------------------- the tally of lines

// Adds up a charge's lines as they are split, rounding each (RoundAt::line) or the total (RoundAt::total), and
// keeps the lines when asked for them. Lines that never round (packages, flat fees, the adjustments) enter as
// whole minor units.
class Tally {
 public:
  Tally(Currency currency, Rounding rounding, Magnitude divisor, std::vector<ChargeLine>* lines)
      : currency_(currency), rounding_(rounding), divisor_(divisor), lines_(lines) {}

  // `describe(amount)` makes the line; it runs only when the lines are kept.
  template <class Describe>
  void add(Split split, Describe&& describe) {
    std::int64_t shown = split.minor;
    if (rounding_.at == RoundAt::line) {
      if (rounds_away(rounding_.mode, split.minor, split.remainder, divisor_)) shown = checked_add(shown, 1);
      total_ = checked_add(total_, shown);
    } else {
      total_ = checked_add(total_, split.minor);  // the whole units; the remainders round once in finish()
      remainders_sum_ += split.remainder;          // below 100 x 10^24: no overflow
    }
    if (lines_ != nullptr) {
      lines_->push_back(describe(Money::from_minor(shown, currency_)));
      if (rounding_.at == RoundAt::total) remainders_.push_back(split.remainder);
    }
  }

  // The amount of the lines added so far, rounded as the price says; with RoundAt::total, the kept lines get
  // their share of it. Call once, before adjust().
  Money finish() {
    if (rounding_.at == RoundAt::total) {
      const auto [whole, remainder] = detail::divide_magnitudes(remainders_sum_, divisor_);
      const std::int64_t floors = total_;
      total_ = checked_add(total_, static_cast<std::int64_t>(whole));  // whole < 100
      if (rounds_away(rounding_.mode, total_, remainder, divisor_)) total_ = checked_add(total_, 1);
      if (lines_ != nullptr) share_out(total_ - floors);
    }
    return Money::from_minor(total_, currency_);
  }

  // Adds a line that moves the finished total to `target` (a minimum or a maximum), in whole minor units.
  template <class Describe>
  Money adjust(std::int64_t target, Describe&& describe) {
    const std::int64_t difference = target - total_;  // both within +-(2^63 - 1) and >= 0: no overflow
    if (lines_ != nullptr) lines_->push_back(describe(difference));
    total_ = target;
    return Money::from_minor(total_, currency_);
  }

 private:
  // The largest-remainder method: `left_over` minor units, one each to the lines with the largest remainders
  // (the earlier line on a tie). left_over never passes the number of lines with a remainder (RoundAt::total).
  void share_out(std::int64_t left_over) {
    BILLING_ASSERT(left_over >= 0 && static_cast<std::size_t>(left_over) <= remainders_.size());
    std::vector<std::size_t> order(remainders_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return remainders_[a] > remainders_[b]; });
    for (std::size_t k = 0; k < static_cast<std::size_t>(left_over); ++k) {
      BILLING_ASSERT(remainders_[order[k]] != 0);
      ChargeLine& line = (*lines_)[order[k]];
      line.amount = Money::from_minor(line.amount.minor() + 1, currency_);
    }
  }

  Currency currency_;
  Rounding rounding_;
  Magnitude divisor_;
  std::vector<ChargeLine>* lines_;
  std::int64_t total_ = 0;
  Magnitude remainders_sum_ = 0;
  std::vector<Magnitude> remainders_{};
};

Decimal scaled_decimal(Magnitude value, int scale) {
  // A whole quantity below 2^63 (the common case) through the inline constructor: from_coefficient's
  // out-of-line call costs a store-to-load stall per line.
  if (scale == 0 && value <= static_cast<Magnitude>(INT64_MAX)) return Decimal(static_cast<std::int64_t>(value));
  return Decimal::from_coefficient(Decimal::Coefficient::from_magnitude(value), scale);
}

// The quantity a charge takes, checked, at `scale` places (at least its own).
struct ScaledQuantity {
  Magnitude value;
  int scale;
};

ScaledQuantity checked_quantity(const Decimal& quantity, int bound_scale) {
  if (quantity.sign() < 0) throw InvalidArgument("quantity", fmt::format("{} is negative", quantity.to_string()));
  if (quantity.scale() > k_max_price_places || quantity > Decimal(k_max_price_value)) {
    check_number(quantity, "quantity");  // says which limit
  }
  const int scale = std::max(places_of(quantity), bound_scale);
  return {at_scale(quantity, scale), scale};
}

}  // namespace

// -------------------------------------------------------------------------------------------- construction

Price::Price(PriceTerms terms, Currency currency) : terms_(std::move(terms)), currency_(currency) {
  const auto keep_tiers = [this](const std::vector<Tier>& tiers) {
    for (const Tier& tier : tiers) {
      price_scale_ = std::max({price_scale_, places_of(tier.unit_price), places_of(tier.flat_fee)});
      if (tier.up_to) bound_scale_ = std::max(bound_scale_, places_of(*tier.up_to));
    }
    for (const Tier& tier : tiers) {
      scaled_.push_back({tier.up_to ? at_scale(*tier.up_to, bound_scale_) : 0, at_scale(tier.unit_price, price_scale_),
                         at_scale(tier.flat_fee, price_scale_)});
    }
  };
  if (const auto* per_unit = std::get_if<PerUnitTerms>(&terms_)) {
    keep_tiers({Tier{.unit_price = per_unit->unit_price}});
  } else if (const auto* graduated = std::get_if<GraduatedTerms>(&terms_)) {
    keep_tiers(graduated->tiers);
  } else if (const auto* volume = std::get_if<VolumeTerms>(&terms_)) {
    keep_tiers(volume->tiers);
  } else if (const auto* percentage = std::get_if<PercentageTerms>(&terms_)) {
    keep_tiers({Tier{.unit_price = percentage->rate}});
  } else if (const auto* package = std::get_if<PackageTerms>(&terms_)) {
    bound_scale_ = std::max(places_of(package->size), places_of(package->free_units));
  }
}

Price Price::per_unit(const Decimal& unit_price, Currency currency) {
  check_number(unit_price, "unit_price");
  return {PerUnitTerms{unit_price}, currency};
}

Price Price::package(const Decimal& size, const Money& price, const PackageOptions& options) {
  check_number(size, "size");
  if (size.is_zero()) throw InvalidArgument("size", "must be greater than 0");
  check_money(price, price.currency(), "price");
  check_number(options.free_units, "free_units");
  return {PackageTerms{size, price, options.round_up, options.free_units}, price.currency()};
}

Price Price::graduated(std::vector<Tier> tiers, Currency currency) {
  check_tiers(tiers);
  return {GraduatedTerms{std::move(tiers)}, currency};
}

Price Price::volume(std::vector<Tier> tiers, Currency currency) {
  check_tiers(tiers);
  return {VolumeTerms{std::move(tiers)}, currency};
}

Price Price::percentage(const Decimal& rate, Currency currency, const PercentageOptions& options) {
  check_number(rate, "rate");
  if (rate > Decimal(1)) {
    throw InvalidArgument("rate", fmt::format("{} is more than 1 (100%); a rate is a fraction: 0.029 for 2.9%",
                                              rate.to_string()));
  }
  if (options.fixed_fee) check_money(*options.fixed_fee, currency, "fixed_fee");
  if (options.minimum) check_money(*options.minimum, currency, "minimum");
  if (options.maximum) check_money(*options.maximum, currency, "maximum");
  if (options.minimum && options.maximum && *options.maximum < *options.minimum) {
    throw InvalidArgument("maximum", fmt::format("{} is below the minimum {}", options.maximum->to_string(),
                                                 options.minimum->to_string()));
  }
  return {PercentageTerms{rate, options.fixed_fee, options.minimum, options.maximum}, currency};
}

Price Price::flat(const Money& amount) {
  check_money(amount, amount.currency(), "amount");
  return {FlatTerms{amount}, amount.currency()};
}

Price Price::with_minimum(const Money& minimum) const {
  check_money(minimum, currency_, "minimum");
  Price out = *this;
  out.period_minimum_ = minimum;
  return out;
}

Price Price::with_rounding(Rounding rounding) const {
  Price out = *this;
  out.rounding_ = rounding;
  return out;
}

std::span<const Tier> Price::tiers() const noexcept {
  if (const auto* graduated = std::get_if<GraduatedTerms>(&terms_)) return graduated->tiers;
  if (const auto* volume = std::get_if<VolumeTerms>(&terms_)) return volume->tiers;
  return {};
}

// -------------------------------------------------------------------------------------------- charging

namespace {

// Everything one charge reads, and the tally it adds its lines to.
struct Run {
  const Price& price;
  std::span<const Tier> tiers;
  std::span<const ScaledTier> scaled;
  ScaledQuantity quantity;
  Scales scales;
  Tally& tally;

  // The line of tier `index` (or the one unit price) for `units` of the quantity, at the quantity's scale.
  void add_units(LineKind kind, std::optional<std::size_t> index, Magnitude units) const {
    const ScaledTier& numbers = scaled[index.value_or(0)];
    const Split exact = split(units, numbers.unit_price, scales.unit_shift, numbers.flat_fee, scales.fee_shift,
                              scales.divisor);
    tally.add(exact, [&](Money amount) {
      ChargeLine line{.kind = kind, .quantity = scaled_decimal(units, quantity.scale), .amount = amount};
      if (index) {
        const Tier& tier = tiers[*index];
        line.tier = index;
        line.start = *index == 0 ? Decimal() : *tiers[*index - 1].up_to;
        line.up_to = tier.up_to;
        line.unit_price = tier.unit_price;
        line.flat_fee = tier.flat_fee;
      } else {
        line.unit_price = std::get<PerUnitTerms>(price.terms()).unit_price;
      }
      return line;
    });
  }

  // A tier's up_to at the quantity's scale.
  [[nodiscard]] Magnitude bound(std::size_t index, int bound_scale) const {
    return scaled[index].up_to * pow10(quantity.scale - bound_scale);
  }

  void graduated(int bound_scale) const {
    const Magnitude q = quantity.value;
    Magnitude start = 0;
    for (std::size_t i = 0; i < scaled.size(); ++i) {
      const bool last = i + 1 == scaled.size();
      const Magnitude up_to = last ? q : bound(i, bound_scale);
      add_units(LineKind::tier, i, std::min(q, up_to) - start);
      if (last || q <= up_to) return;  // the next tier starts above this one's up_to: not reached
      start = up_to;
    }
  }

  void volume(int bound_scale) const {
    std::size_t i = 0;
    while (i + 1 < scaled.size() && quantity.value > bound(i, bound_scale)) ++i;
    add_units(LineKind::tier, i, quantity.value);
  }

  void package(const PackageTerms& terms) const {
    const Magnitude free = at_scale(terms.free_units, quantity.scale);
    const Magnitude size = at_scale(terms.size, quantity.scale);
    const Magnitude billable = quantity.value > free ? quantity.value - free : 0;
    Magnitude packages = billable / size;
    if (terms.round_up && billable % size != 0) ++packages;
    if (!terms.free_units.is_zero()) {
      tally.add(split_minor(0), [&](Money amount) {
        return ChargeLine{.kind = LineKind::free_units,
                          .quantity = scaled_decimal(std::min(quantity.value, free), quantity.scale),
                          .amount = amount};
      });
    }
    std::int64_t minor = 0;
    if (terms.price.minor() != 0 &&
        (packages > static_cast<Magnitude>(Money::k_max_minor) ||
         __builtin_mul_overflow(static_cast<std::int64_t>(packages), terms.price.minor(), &minor))) {
      throw_charge_overflow();
    }
    tally.add(split_minor(minor), [&](Money amount) {
      return ChargeLine{.kind = LineKind::packages,
                        .quantity = scaled_decimal(packages, 0),
                        .unit_price = terms.price.amount(),
                        .amount = amount};
    });
  }

  void percentage(const PercentageTerms& terms) const {
    const std::int64_t fixed = terms.fixed_fee ? terms.fixed_fee->minor() : 0;
    const Split exact = split(quantity.value, scaled[0].unit_price, scales.unit_shift, static_cast<Magnitude>(fixed),
                              scales.divisor, scales.divisor);
    tally.add(exact, [&](Money amount) {
      return ChargeLine{.kind = LineKind::percentage,
                        .quantity = scaled_decimal(quantity.value, quantity.scale),
                        .unit_price = terms.rate,
                        .flat_fee = terms.fixed_fee ? terms.fixed_fee->amount() : Decimal(),
                        .amount = amount};
    });
  }

  void flat(const FlatTerms& terms) const {
    tally.add(split_minor(terms.amount.minor()), [&](Money amount) {
      return ChargeLine{.kind = LineKind::flat, .quantity = Decimal(1), .unit_price = terms.amount.amount(),
                        .amount = amount};
    });
  }
};

// A line that adds `difference` minor units, shown as 1 x the difference.
ChargeLine adjustment(LineKind kind, std::int64_t difference, Currency currency) {
  const Money amount = Money::from_minor(difference, currency);
  return ChargeLine{.kind = kind, .quantity = Decimal(1), .unit_price = amount.amount(), .amount = amount};
}

// charge() and amount() in one: the lines go to `lines` when it is not null.
Money charge_into(const Price& price, std::span<const ScaledTier> scaled, int price_scale, int bound_scale,
                  const Decimal& quantity, std::vector<ChargeLine>* lines) {
  const ScaledQuantity q = checked_quantity(quantity, bound_scale);
  const Currency currency = price.currency();
  const Scales scales = scales_for(q.scale, price_scale, currency.minor_units());
  Tally tally(currency, price.rounding(), scales.divisor, lines);
  const Run run{price, price.tiers(), scaled, q, scales, tally};
  switch (price.model()) {
    case PriceModel::per_unit: run.add_units(LineKind::units, std::nullopt, q.value); break;
    case PriceModel::package: run.package(std::get<PackageTerms>(price.terms())); break;
    case PriceModel::graduated: run.graduated(bound_scale); break;
    case PriceModel::volume: run.volume(bound_scale); break;
    case PriceModel::percentage: run.percentage(std::get<PercentageTerms>(price.terms())); break;
    case PriceModel::flat: run.flat(std::get<FlatTerms>(price.terms())); break;
  }
  Money total = tally.finish();
  if (const auto* terms = std::get_if<PercentageTerms>(&price.terms())) {
    const auto clamp = [&](LineKind kind, const Money& target) {
      total = tally.adjust(target.minor(), [&](std::int64_t d) { return adjustment(kind, d, currency); });
    };
    if (terms->minimum && total < *terms->minimum) clamp(LineKind::transaction_minimum, *terms->minimum);
    if (terms->maximum && total > *terms->maximum) clamp(LineKind::transaction_maximum, *terms->maximum);
  }
  if (const auto& minimum = price.period_minimum(); minimum && total < *minimum) {
    total = tally.adjust(minimum->minor(),
                         [&](std::int64_t d) { return adjustment(LineKind::minimum_true_up, d, currency); });
  }
  return total;
}

}  // namespace

Charge Price::charge(const Decimal& quantity) const {
  std::vector<ChargeLine> lines;
  lines.reserve(scaled_.size() + 3);  // a line per tier (or the two of a package) and the adjustments: one allocation
  Money amount = charge_into(*this, scaled_, price_scale_, bound_scale_, quantity, &lines);
  return Charge{amount, std::move(lines)};
}

Money Price::amount(const Decimal& quantity) const {
  return charge_into(*this, scaled_, price_scale_, bound_scale_, quantity, nullptr);
}

// -------------------------------------------------------------------------------------------- names

std::string_view to_string(PriceModel model) noexcept {
  switch (model) {
    case PriceModel::per_unit: return "per_unit";
    case PriceModel::package: return "package";
    case PriceModel::graduated: return "graduated";
    case PriceModel::volume: return "volume";
    case PriceModel::percentage: return "percentage";
    case PriceModel::flat: return "flat";
  }
  return "?";
}

std::string_view to_string(RoundAt at) noexcept {
  switch (at) {
    case RoundAt::line: return "line";
    case RoundAt::total: return "total";
  }
  return "?";
}

std::string_view to_string(LineKind kind) noexcept {
  switch (kind) {
    case LineKind::units: return "units";
    case LineKind::tier: return "tier";
    case LineKind::free_units: return "free_units";
    case LineKind::packages: return "packages";
    case LineKind::percentage: return "percentage";
    case LineKind::transaction_minimum: return "transaction_minimum";
    case LineKind::transaction_maximum: return "transaction_maximum";
    case LineKind::flat: return "flat";
    case LineKind::minimum_true_up: return "minimum_true_up";
  }
  return "?";
}

}  // namespace billing
