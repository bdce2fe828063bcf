// Rounding modes: how an exact value loses places, always by the caller's explicit choice.
//
// The semantics match Python's decimal module (ROUND_HALF_EVEN and friends) and the IEEE 754 names.
// Plain values; safe to share between threads.
#pragma once

#include <optional>
#include <string_view>

namespace billing {

/// How to drop places. HALF_EVEN is the library's default wherever a default exists.
///
///   value   HALF_EVEN HALF_UP HALF_DOWN UP  DOWN CEILING FLOOR
///    2.5        2        3       2       3   2     3      2
///   -2.5       -2       -3      -2      -3  -2    -2     -3
///    2.4        2        2       2       3   2     3      2
enum class RoundingMode {
  half_even,  ///< to nearest; ties to the even neighbour (banker's rounding)
  half_up,    ///< to nearest; ties away from zero
  half_down,  ///< to nearest; ties toward zero
  up,         ///< away from zero
  down,       ///< toward zero (truncate)
  ceiling,    ///< toward positive infinity
  floor,      ///< toward negative infinity
};

/// Every mode, in declaration order.
inline constexpr RoundingMode k_rounding_modes[] = {
    RoundingMode::half_even, RoundingMode::half_up, RoundingMode::half_down, RoundingMode::up,
    RoundingMode::down,      RoundingMode::ceiling, RoundingMode::floor};

/// The upper-case name, such as "HALF_EVEN".
[[nodiscard]] std::string_view to_string(RoundingMode mode) noexcept;

/// The mode named `name` ("HALF_EVEN", case-sensitive), or nullopt.
[[nodiscard]] std::optional<RoundingMode> rounding_mode_from_string(std::string_view name) noexcept;

namespace detail {

/// Whether a truncated quotient moves one step away from zero, given the sign of the exact value, whether
/// the discarded remainder is non-zero, how it compares with half the divisor (-1, 0, +1), and whether
/// the truncated quotient is odd. One rule for every integer width.
[[nodiscard]] constexpr bool round_away(RoundingMode mode, bool negative, bool inexact, int vs_half,
                                        bool quotient_odd) noexcept {
  if (!inexact) return false;
  switch (mode) {
    case RoundingMode::up: return true;
    case RoundingMode::down: return false;
    case RoundingMode::ceiling: return !negative;
    case RoundingMode::floor: return negative;
    case RoundingMode::half_up: return vs_half >= 0;
    case RoundingMode::half_down: return vs_half > 0;
    case RoundingMode::half_even: return vs_half > 0 || (vs_half == 0 && quotient_odd);
  }
  return false;
}

}  // namespace detail
}  // namespace billing
