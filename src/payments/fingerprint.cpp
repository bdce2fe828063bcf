#include "fingerprint.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "billing/error.hpp"

namespace billing::detail {

std::string payment_fingerprint(std::string_view secret, const PaymentMethod& method) {
  if (secret.empty()) return {};
  // The message lives on the stack and is wiped before it goes: it holds the full number.
  std::array<unsigned char, 5 + 34> message{};
  const std::string_view prefix = method.is_card() ? "card:" : "iban:";
  const std::string_view body = method.is_card() ? method.card_number() : method.iban();
  std::size_t size = 0;
  for (const char c : prefix) message[size++] = static_cast<unsigned char>(c);
  for (const char c : body) message[size++] = static_cast<unsigned char>(c);

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  const unsigned char* done = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), message.data(), size,
                                   digest.data(), &digest_size);
  OPENSSL_cleanse(message.data(), message.size());
  if (done == nullptr || digest_size != 32) {
    throw InvariantViolation("fingerprint", "libcrypto failed to compute HMAC-SHA256");
  }
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest_size);
  for (unsigned int i = 0; i < digest_size; ++i) {
    hex += k_hex[digest[i] >> 4U];
    hex += k_hex[digest[i] & 0x0FU];
  }
  return hex;
}

}  // namespace billing::detail
