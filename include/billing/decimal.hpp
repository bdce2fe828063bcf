// Decimal: an exact base-10 number for rates, unit prices and quantities.
//
// A Decimal is a coefficient (a sign and a 128-bit magnitude) and a scale (places after the point): 12.340
// is (12340, 3). It keeps the scale it was given, so "12.340" prints back as "12.340", while 12.34 == 12.340.
// Addition, subtraction and multiplication are exact or throw; nothing drops places unless the caller
// names a RoundingMode. There is no conversion from float or double. Values are immutable and safe to
// share between threads.
//
//   Decimal price = Decimal::parse("0.00025");          // 0.00025, scale 5
//   Decimal cost = price * 1200;                         // 0.30000, exact
//   Decimal each = divide(Decimal(10), Decimal(3), 4, RoundingMode::half_even);  // 3.3333
//
// fmt::format("{}", value) needs billing/format.hpp: this header includes no third-party header.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "billing/error.hpp"
#include "billing/rounding.hpp"

namespace billing {

class Decimal {
 public:
  /// A Decimal's coefficient: a sign and a magnitude below 2^128, so that its range, +-(2^128 - 1), is
  /// symmetric and negation never overflows. Integers convert to it implicitly; a zero has no sign.
  ///
  ///   Decimal::from_coefficient(-1234, 2);                  // -12.34
  class Coefficient {
   public:
    __extension__ using Magnitude = unsigned __int128;

    /// Zero.
    constexpr Coefficient() noexcept = default;

    /// The integer `value`. Implicit so that `from_coefficient(1234, 2)` reads naturally.
    template <std::integral I>
    requires(!std::same_as<I, bool>) constexpr Coefficient(I value)
    noexcept  // NOLINT(google-explicit-constructor)
        : Coefficient(magnitude_of(value), is_below_zero(value)) {}

    /// `magnitude`, negated when `negative` (a zero stays unsigned).
    [[nodiscard]] static constexpr Coefficient from_magnitude(Magnitude magnitude, bool negative = false) noexcept {
      return {magnitude, negative};
    }

    [[nodiscard]] constexpr Magnitude magnitude() const noexcept { return (Magnitude{high_} << 64) | low_; }
    /// Below zero.
    [[nodiscard]] constexpr bool is_negative() const noexcept { return negative_; }
    /// -1, 0 or +1.
    [[nodiscard]] constexpr int sign() const noexcept { return negative_ ? -1 : (is_zero() ? 0 : 1); }
    [[nodiscard]] constexpr bool is_zero() const noexcept { return (low_ | high_) == 0; }

    friend constexpr Coefficient operator-(const Coefficient& value) noexcept {
      return {value.magnitude(), !value.negative_};
    }
    friend constexpr bool operator==(const Coefficient& a, const Coefficient& b) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const Coefficient& a, const Coefficient& b) noexcept {
      if (a.negative_ != b.negative_) return a.negative_ ? std::strong_ordering::less : std::strong_ordering::greater;
      if (a.magnitude() == b.magnitude()) return std::strong_ordering::equal;
      return (a.magnitude() < b.magnitude()) != a.negative_ ? std::strong_ordering::less
                                                            : std::strong_ordering::greater;
    }

   private:
    friend class Decimal;

    template <class I>
    static constexpr bool is_below_zero(I value) noexcept {
      if constexpr (std::is_signed_v<I>) {
        return value < 0;
      } else {
        return false;
      }
    }
    // Through the unsigned type, so that the most negative value of any signed type has its magnitude.
    template <class I>
    static constexpr Magnitude magnitude_of(I value) noexcept {
      return is_below_zero(value) ? Magnitude(0) - static_cast<Magnitude>(value) : static_cast<Magnitude>(value);
    }

    constexpr Coefficient(Magnitude magnitude, bool negative) noexcept
        : low_(static_cast<std::uint64_t>(magnitude)),
          high_(static_cast<std::uint64_t>(magnitude >> 64)),
          negative_(negative && magnitude != 0) {}

    // Two 64-bit halves rather than one unsigned __int128: 8-byte alignment, so a Coefficient is 24 bytes
    // (not 32), and copies are plain 8-byte moves that the processor forwards from store to load.
    std::uint64_t low_ = 0;
    std::uint64_t high_ = 0;
    bool negative_ = false;
  };

  /// The most places a Decimal holds. Any value with up to 38 significant digits fits, so every value with
  /// 18 integer digits and 12 places does, with room to spare.
  static constexpr int k_max_scale = 30;
  /// The largest coefficient magnitude, 2^128 - 1 (about 3.4e38). Beyond it arithmetic throws Overflow.
  [[nodiscard]] static constexpr Coefficient max_coefficient() noexcept {
    return Coefficient::from_magnitude(~Coefficient::Magnitude{0});
  }

  /// Zero, scale 0.
  constexpr Decimal() noexcept = default;

  /// An integer, scale 0. Implicit so that `price * 3` reads naturally.
  template <std::integral I>
  requires(!std::same_as<I, bool>) constexpr Decimal(I value)
  noexcept  // NOLINT(google-explicit-constructor)
      : Decimal(Coefficient(value), 0) {}

  /// Binary floating point cannot hold 0.1 exactly; parse a string instead.
  template <std::floating_point F>
  Decimal(F) = delete;

  /// The value coefficient * 10^-scale. Throws InvalidArgument (field "scale") unless 0 <= scale <= k_max_scale.
  [[nodiscard]] static Decimal from_coefficient(Coefficient coefficient, int scale);

  /// The longest text parse() reads; longer text is refused before it is read.
  static constexpr std::size_t k_max_text_bytes = 160;

  /// Parses "12.34", "-0.5", "+7", ".5", "1E-7" or "2.5e3": an optional sign, digits with at most one point
  /// that has a digit after it ("5." is refused), then an optional exponent of 1 to 4 digits. The scale is
  /// the number of places written, less the exponent (never below 0). Throws InvalidAmount naming `field`
  /// when the text is not such a number or is longer than k_max_text_bytes, and Overflow when it needs more
  /// than k_max_scale places or a larger coefficient.
  [[nodiscard]] static Decimal parse(std::string_view text, std::string_view field = "decimal");

  [[nodiscard]] constexpr Coefficient coefficient() const noexcept {
    Coefficient out;
    out.low_ = low_;
    out.high_ = high_;
    out.negative_ = negative_;
    return out;
  }
  [[nodiscard]] constexpr int scale() const noexcept { return scale_; }
  /// -1, 0 or +1.
  [[nodiscard]] constexpr int sign() const noexcept { return negative_ ? -1 : (is_zero() ? 0 : 1); }
  [[nodiscard]] constexpr bool is_zero() const noexcept { return (low_ | high_) == 0; }

  /// This value with exactly `places` places. Adding places is exact; removing them rounds by `mode`.
  /// Throws InvalidArgument for places outside [0, k_max_scale], Overflow if the result does not fit.
  [[nodiscard]] Decimal round(int places, RoundingMode mode) const;

  /// The same value with trailing zeros after the point removed: 12.3400 -> 12.34, 100 -> 100, 0.00 -> 0.
  [[nodiscard]] Decimal normalized() const;

  /// Plain notation with the value's own scale, never an exponent: "12.340", "-0.05", "100".
  [[nodiscard]] std::string to_string() const;

  /// A hash equal for equal values (12.34 and 12.340 hash alike).
  [[nodiscard]] std::size_t hash() const noexcept;

  /// Exact arithmetic. The result's scale is the larger scale (sums) or the sum of scales (products, after
  /// trailing zeros beyond k_max_scale are dropped). Throws Overflow when the exact result does not fit.
  friend Decimal operator+(const Decimal& a, const Decimal& b) {
    // Inline at one scale, the common case of a running total: a 128-bit add or subtract of magnitudes.
    if (a.scale_ != b.scale_) return add_aligning(a, b);
    const Coefficient::Magnitude x = a.magnitude();
    const Coefficient::Magnitude y = b.magnitude();
    if (a.negative_ == b.negative_) {
      Coefficient::Magnitude sum = 0;
      if (__builtin_add_overflow(x, y, &sum)) [[unlikely]] {
        throw_overflow();
      }
      return {Coefficient::from_magnitude(sum, a.negative_), a.scale_};
    }
    return x >= y ? Decimal(Coefficient::from_magnitude(x - y, a.negative_), a.scale_)
                  : Decimal(Coefficient::from_magnitude(y - x, b.negative_), a.scale_);
  }
  friend Decimal operator-(const Decimal& a, const Decimal& b) { return a + (-b); }
  friend Decimal operator*(const Decimal& a, const Decimal& b);
  Decimal& operator+=(const Decimal& other) { return *this = *this + other; }
  Decimal& operator-=(const Decimal& other) { return *this = *this - other; }
  Decimal& operator*=(const Decimal& other) { return *this = *this * other; }
  friend constexpr Decimal operator-(const Decimal& value) noexcept { return {-value.coefficient(), value.scale_}; }
  friend constexpr Decimal abs(const Decimal& value) noexcept {
    return {Coefficient::from_magnitude(value.magnitude()), value.scale_};
  }

  /// Compares values, whatever their scales.
  friend bool operator==(const Decimal& a, const Decimal& b) noexcept { return (a <=> b) == 0; }
  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept;

 private:
  constexpr Decimal(Coefficient coefficient, int scale) noexcept
      : low_(coefficient.low_), high_(coefficient.high_), scale_(scale), negative_(coefficient.negative_) {}

  [[nodiscard]] constexpr Coefficient::Magnitude magnitude() const noexcept {
    return (Coefficient::Magnitude{high_} << 64) | low_;
  }
  /// a + b for two scales: the smaller is aligned to the larger first.
  [[nodiscard]] static Decimal add_aligning(const Decimal& a, const Decimal& b);
  [[noreturn]] static void throw_overflow();

  // The coefficient's parts and the scale side by side: 24 bytes.
  std::uint64_t low_ = 0;
  std::uint64_t high_ = 0;
  int scale_ = 0;
  bool negative_ = false;  // never for a zero
};

/// dividend / divisor with exactly `places` places, rounded by `mode`. Throws DivisionByZero (field
/// "divisor") for a zero divisor, InvalidArgument for places outside [0, Decimal::k_max_scale], Overflow
/// when the quotient does not fit.
[[nodiscard]] Decimal divide(const Decimal& dividend, const Decimal& divisor, int places, RoundingMode mode);

/// a * b with exactly `places` places, rounded by `mode`: the product is formed exactly first, so it is
/// rounded once. For products whose exact form needs more than k_max_scale places.
[[nodiscard]] Decimal multiply(const Decimal& a, const Decimal& b, int places, RoundingMode mode);

}  // namespace billing

template <>
struct std::hash<billing::Decimal> {
  std::size_t operator()(const billing::Decimal& value) const noexcept { return value.hash(); }
};
