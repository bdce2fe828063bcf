#include "billing/rounding.hpp"

#include <doctest/doctest.h>

using billing::RoundingMode;

TEST_CASE("every rounding mode has a name that parses back") {
  for (RoundingMode mode : billing::k_rounding_modes) {
    CHECK(billing::rounding_mode_from_string(billing::to_string(mode)) == mode);
  }
  CHECK(billing::to_string(RoundingMode::half_even) == "HALF_EVEN");
  CHECK_FALSE(billing::rounding_mode_from_string("half_even").has_value());
  CHECK_FALSE(billing::rounding_mode_from_string("BANKERS").has_value());
}

TEST_CASE("an exact value never moves, whatever the mode") {
  for (RoundingMode mode : billing::k_rounding_modes) {
    CHECK_FALSE(billing::detail::round_away(mode, false, false, -1, true));
    CHECK_FALSE(billing::detail::round_away(mode, true, false, -1, false));
  }
}
