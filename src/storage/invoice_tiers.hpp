// How an invoice line's tier breakdown is kept in a text column by every SQL adapter: a JSON array with one
// object per ChargeLine. Internal to the adapters (src/storage/sqlite, src/storage/postgres); both write the
// same text, so a store moved between engines reads the same lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "billing/currency.hpp"
#include "billing/price.hpp"

namespace billing::detail {

/// A usage line's tier breakdown as the column `tiers` holds it: a JSON array with one object per ChargeLine,
/// {"kind": LineKind as its value, "tier": index or null, "start", "up_to" (or null), "quantity", "unit_price",
/// "flat_fee": decimal text, "amount_minor": integer}, written into `out` (replacing its content).
void encode_tiers(const std::vector<ChargeLine>& tiers, std::string& out);

/// The ChargeLines encode_tiers() wrote, in `currency`: JSON white space anywhere, members in any order. Throws
/// StorageError naming `what` for anything else (another shape, a member missing or twice, an escape in a
/// string, a decimal not in Decimal::to_string's form, a kind or tier out of range).
[[nodiscard]] std::vector<ChargeLine> decode_tiers(std::string_view json, Currency currency, std::string_view what);

}  // namespace billing::detail
