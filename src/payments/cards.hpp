// What the payment checks share inside the library (billing/payment_validation.hpp is the public face).
#pragma once

#include <string_view>

#include "billing/payment_validation.hpp"

namespace billing::detail {

/// The lengths a brand's numbers have, for a message: "13, 16 or 19", "15".
[[nodiscard]] std::string_view card_lengths_text(CardBrand brand) noexcept;

}  // namespace billing::detail
