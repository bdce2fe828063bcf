// Email addresses: the one syntax check that every area taking an address shares (payment validation,
// orders' customer email). Pure functions; they allocate nothing and are safe from any thread.
//
//   billing::is_valid_email("ada@example.com");            // true
//   billing::email_problem("ada@localhost");               // "has no dot in its domain"
#pragma once

#include <cstddef>
#include <string_view>

namespace billing {

/// The longest address accepted, in bytes: RFC 5321's 256-byte path less its angle brackets.
inline constexpr std::size_t k_max_email_bytes = 254;
/// The longest part before the @, in bytes (RFC 5321, 4.5.3.1.1).
inline constexpr std::size_t k_max_email_local_bytes = 64;

/// Why `text` is not an address in the grammar below, as a phrase to follow the field's name ("has no @"),
/// or empty when it is one. The phrase never quotes the text. The grammar (docs/payments.md) is RFC 5322's
/// dot-atom before the @ and an RFC 1123 host name of two or more labels after it, in ASCII:
///
///   address = local "@" domain            ; 1 to 254 bytes
///   local   = atom *("." atom)            ; 1 to 64 bytes
///   atom    = 1*atext                     ; atext: A-Z a-z 0-9 ! # $ % & ' * + - / = ? ^ _ ` { | } ~
///   domain  = label 1*("." label)         ; the last label begins with a letter
///   label   = 1 to 63 of A-Z a-z 0-9 "-", neither first nor last a "-"
///
/// Refused, though RFC 5322 has them: quoted local parts ("a b"@example.com), comments, address literals
/// (user@[192.0.2.1]), a domain of one label (user@localhost), a trailing dot, and non-ASCII text (an
/// internationalised domain is given in its xn-- form).
[[nodiscard]] std::string_view email_problem(std::string_view text) noexcept;

/// Whether `text` is an address in the grammar of email_problem().
[[nodiscard]] inline bool is_valid_email(std::string_view text) noexcept { return email_problem(text).empty(); }

}  // namespace billing
