// A job payload that names one id, {"<field>":"<id>"} with the id's field name (Tag::k_field): a payment's
// retry ({"payment_id":...}) and an invoice's payment ({"invoice_id":...}). JSON, as every job payload from
// Python is; an id is printable ASCII, so only its quotes and backslashes need escaping.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/id.hpp"

namespace billing::detail {

template <class Tag>
[[nodiscard]] std::string id_payload(const Id<Tag>& id) {
  std::string payload = fmt::format(R"({{"{}":")", Tag::k_field);
  for (const char c : id.str()) {
    if (c == '"' || c == '\\') payload += '\\';
    payload += c;
  }
  payload += R"("})";
  return payload;
}

/// The id a payload that id_payload() made names, or nullopt for any other payload.
template <class Tag>
[[nodiscard]] std::optional<Id<Tag>> payload_id(std::string_view payload) {
  const std::string head = fmt::format(R"({{"{}":")", Tag::k_field);
  constexpr std::string_view tail = R"("})";
  if (payload.size() < head.size() + tail.size() || !payload.starts_with(head) || !payload.ends_with(tail)) {
    return std::nullopt;
  }
  const std::string_view quoted = payload.substr(head.size(), payload.size() - head.size() - tail.size());
  std::string id;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 1 < quoted.size()) ++i;
    else if (quoted[i] == '"' || quoted[i] == '\\') return std::nullopt;
    id += quoted[i];
  }
  try {
    return Id<Tag>(std::move(id));
  } catch (const InvalidArgument&) {
    return std::nullopt;
  }
}

}  // namespace billing::detail
