// What the area's three services share: the grammar of codes (plans, meters), and text checks. Internal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace billing::detail {

/// What is wrong with `code` as a code (1 to max_bytes of A-Z a-z 0-9 _ . : -, starting with a letter), or
/// nullopt. Never quotes the code.
[[nodiscard]] std::optional<std::string> code_problem(std::string_view code, std::size_t max_bytes);
/// Throws InvalidArgument naming `field` with code_problem's words.
void validate_code(std::string_view code, std::string_view field, std::size_t max_bytes);

}  // namespace billing::detail
