// The grammar of a customer email, as orders checks it (docs/orders.md, "Emails"): a dot-atom local
// part, '@', and a domain name of two or more labels. Internal to the orders area.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace billing::detail {

/// What is wrong with `text` as an email ("has no '@'"), or nullopt when it is one. The problem never
/// quotes the text: an email is personal data.
[[nodiscard]] std::optional<std::string> email_problem(std::string_view text);

/// Throws InvalidArgument naming `field` unless email_problem(text) finds nothing.
void validate_email(std::string_view text, std::string_view field);

}  // namespace billing::detail
