// How a plan's definition is stored: canonical JSON of its parts, prices included, so that an adapter keeps
// it as one text column and equal definitions encode alike (docs/plans.md, "What is stored"). Internal to
// the library.
#pragma once

#include <string>
#include <string_view>

#include "billing/plan.hpp"
#include "billing/price.hpp"

namespace billing::detail {

/// The canonical JSON of a plan's definition (everything but its code and created_at).
[[nodiscard]] std::string encode_plan(const Plan& plan);
/// The plan `encoded` holds, with `code` and `created_at`. Throws StorageError (field "plan") for text that
/// encode_plan() would not write.
[[nodiscard]] Plan decode_plan(std::string_view encoded, std::string code, Timestamp created_at);

/// One price as canonical JSON, and back (the same failure).
[[nodiscard]] std::string encode_price(const Price& price);
[[nodiscard]] Price decode_price(std::string_view encoded);

}  // namespace billing::detail
