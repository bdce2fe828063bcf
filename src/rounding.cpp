#include "billing/rounding.hpp"

namespace billing {

std::string_view to_string(RoundingMode mode) noexcept {
  switch (mode) {
    case RoundingMode::half_even: return "HALF_EVEN";
    case RoundingMode::half_up: return "HALF_UP";
    case RoundingMode::half_down: return "HALF_DOWN";
    case RoundingMode::up: return "UP";
    case RoundingMode::down: return "DOWN";
    case RoundingMode::ceiling: return "CEILING";
    case RoundingMode::floor: return "FLOOR";
  }
  return "?";
}

std::optional<RoundingMode> rounding_mode_from_string(std::string_view name) noexcept {
  for (RoundingMode mode : k_rounding_modes) {
    if (to_string(mode) == name) return mode;
  }
  return std::nullopt;
}

}  // namespace billing
