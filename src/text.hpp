// The rules every free-text input shares (account and unit names, descriptions, metadata): valid
// UTF-8, a documented length in bytes, no control characters, and (for names) something visible.
// Internal: each area calls these with its own field name and limit, and documents both.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace billing::detail {

/// Throws InvalidArgument naming `field` unless `text` is 1 to `max_bytes` bytes of UTF-8 with no control
/// character (U+0000-U+001F, U+007F-U+009F, U+2028, U+2029) and at least one character that is not white
/// space or an invisible format character. The message never quotes the text.
void validate_name(std::string_view text, std::string_view field, std::size_t max_bytes);

/// Throws InvalidArgument naming `field` unless `text` is at most `max_bytes` bytes of UTF-8 with no control
/// character, as above. Empty text is fine.
void validate_line(std::string_view text, std::string_view field, std::size_t max_bytes);

/// Throws InvalidArgument naming `field` unless `text` is at most `max_bytes` bytes of valid UTF-8.
void validate_utf8(std::string_view text, std::string_view field, std::size_t max_bytes);

/// One character decoded from UTF-8, and the bytes it took.
struct Utf8Char {
  char32_t code_point;
  std::size_t size;
};

/// The character that starts at byte `at` of `text` (at < text.size()), or nullopt for a malformed
/// sequence: an overlong form, a surrogate, a code point beyond U+10FFFF, or a truncated one (RFC 3629's
/// well-formed UTF-8 only). Allocates nothing.
[[nodiscard]] std::optional<Utf8Char> decode_utf8(std::string_view text, std::size_t at) noexcept;

/// U+0000-U+001F, U+007F-U+009F, U+2028 and U+2029: what every free-text rule refuses.
[[nodiscard]] bool is_control_character(char32_t c) noexcept;

/// What validate_name() would say about `text` ("is only white space"), or nullopt when it is a name.
[[nodiscard]] std::optional<std::string> name_problem(std::string_view text, std::size_t max_bytes);
/// What validate_line() would say about `text`, or nullopt when it is fine.
[[nodiscard]] std::optional<std::string> line_problem(std::string_view text, std::size_t max_bytes);
/// What validate_utf8() would say about `text`, or nullopt when it is fine.
[[nodiscard]] std::optional<std::string> utf8_problem(std::string_view text, std::size_t max_bytes);

}  // namespace billing::detail
