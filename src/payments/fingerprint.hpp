// The keyed fingerprint of a card or a bank account: how a host recognises a repeat card without keeping
// its number (PCI DSS 3.5.1 allows "keyed cryptographic hashes of the entire PAN"). Internal.
#pragma once

#include <string>
#include <string_view>

#include "billing/payment_gateway.hpp"

namespace billing::detail {

/// HMAC-SHA256 under `secret` of "card:" and the card's digits, or "iban:" and the IBAN (no spaces, upper
/// case), as 64 lower-case hex digits; empty when `secret` is empty. The same card gives the same
/// fingerprint under one secret, whatever its spaces, dashes, expiry or CVC. Throws InvariantViolation when
/// libcrypto fails.
[[nodiscard]] std::string payment_fingerprint(std::string_view secret, const PaymentMethod& method);

}  // namespace billing::detail
