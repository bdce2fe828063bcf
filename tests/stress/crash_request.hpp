// The one request that crash_points_test.cpp and billing_stress_writer's crash-at mode both send under
// the key "k": the parent's retry must be the same request as the dead child's, or it would be a mismatch.
// Where the child dies is tests/support/crash_points.hpp's business; the work must stay one transfer and
// no idempotency call of its own, as the crash points assume.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "billing/books.hpp"

namespace billing::stress {

inline constexpr std::string_view k_crash_request = "charge customer 5.00 USD to merchant";
inline const IdempotencyKey k_crash_key{.scope = "stress", .key = "k"};
/// Both processes start their manual clocks here, so the parent sees the child's lease as live.
inline constexpr std::string_view k_crash_start = "2026-01-01T00:00:00Z";

/// The work under the key: one transfer with an id from the IdSource (so a second run would be a second
/// entry, not an `exists`), described as "<result>:<entry id>".
inline std::string charge_customer(Books& books) {
  const auto posted = books.ledger().transfer(
      {.debit = AccountId("customer"), .credit = AccountId("merchant"), .amount = Money::parse("5.00 USD")});
  return fmt::format("{}:{}", to_string(posted.result), posted.entry ? posted.entry->id.str() : "-");
}

}  // namespace billing::stress
