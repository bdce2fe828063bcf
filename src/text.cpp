#include "text.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>

#include "billing/error.hpp"

namespace billing::detail {
namespace {

// Space separators (Unicode Zs) and the invisible characters that render as nothing at all.
bool is_blank(char32_t c) {
  return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200D) || c == 0x202F || c == 0x205F ||
         c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

// What is wrong with `text`, or nullopt: its length, its encoding and, when `refuse_controls`, a control
// character, and, when `need_visible`, that nothing in it is visible. Never quotes the text: a name may be
// someone's personal data, and the byte position is enough to find the fault.
std::optional<std::string> problem(std::string_view text, std::size_t max_bytes, bool refuse_controls,
                                   bool need_visible) {
  if (need_visible && text.empty()) return fmt::format("must be 1 to {} bytes, not empty", max_bytes);
  if (text.size() > max_bytes) return fmt::format("is {} bytes, more than the {} allowed", text.size(), max_bytes);
  bool visible = false;
  for (std::size_t at = 0; at < text.size();) {
    const auto decoded = decode_utf8(text, at);
    if (!decoded) return fmt::format("byte {} is not valid UTF-8", at);
    if (refuse_controls && is_control_character(decoded->code_point)) {
      return fmt::format("the character at byte {} is a control character (U+{:04X})", at,
                         static_cast<std::uint32_t>(decoded->code_point));
    }
    visible = visible || !is_blank(decoded->code_point);
    at += decoded->size;
  }
  if (need_visible && !visible) return std::string("is only white space");
  return std::nullopt;
}

void check(std::optional<std::string> found, std::string_view field) {
  if (found) throw InvalidArgument(std::string(field), *found);
}

}  // namespace

std::optional<Utf8Char> decode_utf8(std::string_view text, std::size_t at) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return Utf8Char{lead, 1};
  std::size_t size = 0;
  char32_t code_point = 0;
  char32_t least = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    size = 2, code_point = lead & 0x1Fu, least = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    size = 3, code_point = lead & 0x0Fu, least = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    size = 4, code_point = lead & 0x07u, least = 0x10000;
  } else {
    return std::nullopt;
  }
  if (at + size > text.size()) return std::nullopt;
  for (std::size_t i = 1; i < size; ++i) {
    if ((byte(at + i) & 0xC0u) != 0x80u) return std::nullopt;
    code_point = (code_point << 6) | (byte(at + i) & 0x3Fu);
  }
  if (code_point < least || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return std::nullopt;
  }
  return Utf8Char{code_point, size};
}

bool is_control_character(char32_t c) noexcept {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

std::optional<std::string> name_problem(std::string_view text, std::size_t max_bytes) {
  return problem(text, max_bytes, true, true);
}

std::optional<std::string> line_problem(std::string_view text, std::size_t max_bytes) {
  return problem(text, max_bytes, true, false);
}

std::optional<std::string> utf8_problem(std::string_view text, std::size_t max_bytes) {
  return problem(text, max_bytes, false, false);
}

void validate_name(std::string_view text, std::string_view field, std::size_t max_bytes) {
  check(problem(text, max_bytes, true, true), field);
}

void validate_line(std::string_view text, std::string_view field, std::size_t max_bytes) {
  check(problem(text, max_bytes, true, false), field);
}

void validate_utf8(std::string_view text, std::string_view field, std::size_t max_bytes) {
  check(problem(text, max_bytes, false, false), field);
}

}  // namespace billing::detail
