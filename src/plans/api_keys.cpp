// API keys' rules: a secret of 32 bytes from OpenSSL's CSPRNG, shown once; only its SHA-256 is stored. The
// secret carries the key's public id, so authenticate() finds the row by primary key (an index seek) and
// then compares hashes in constant time. docs/plans.md, "API keys", has the format and why a plain SHA-256
// (no slow KDF) is right for a secret with 256 bits of entropy.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>

#include <fmt/format.h>

#include "billing/entry.hpp"
#include "billing/error.hpp"
#include "billing/plans.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/storage/store.hpp"
#include "context.hpp"
#include "plan_rules.hpp"
#include "text.hpp"

namespace billing {
namespace {

constexpr std::string_view k_prefix = "bk_live_";
constexpr std::size_t k_secret_bytes = 32;
constexpr std::size_t k_encoded_bytes = 52;  // ceil(256 / 5) base32 characters, no padding
constexpr std::size_t k_max_secret_text = k_prefix.size() + ApiKeyId::k_max_size + 1 + k_encoded_bytes;
constexpr std::string_view k_base32 = "abcdefghijklmnopqrstuvwxyz234567";  // RFC 4648, lower case

std::string base32(const std::array<unsigned char, k_secret_bytes>& bytes) {
  std::string out;
  out.reserve(k_encoded_bytes);
  unsigned buffer = 0;
  int bits = 0;
  for (const unsigned char byte : bytes) {
    buffer = (buffer << 8U) | byte;
    bits += 8;
    while (bits >= 5) {
      out += k_base32[(buffer >> static_cast<unsigned>(bits - 5)) & 0x1FU];
      bits -= 5;
    }
  }
  if (bits > 0) out += k_base32[(buffer << static_cast<unsigned>(5 - bits)) & 0x1FU];
  buffer = 0;
  return out;
}

Hash secret_hash(std::string_view secret) { return detail::sha256({"billing api key v1", std::string_view("\0", 1), secret}); }

void validate_subject(std::string_view subject) {
  if (subject.empty()) throw InvalidArgument("subject", "must not be empty");
  detail::validate_line(subject, "subject", k_max_quota_subject_bytes);
}

// The key id a secret carries, or nullopt when it is not in the format create() writes. Reads only the
// secret's length, prefix and separator, never its random part, before the hash is compared.
std::optional<ApiKeyId> id_in(std::string_view secret) {
  if (secret.size() > k_max_secret_text || secret.size() < k_prefix.size() + 2 + k_encoded_bytes) return std::nullopt;
  if (secret.substr(0, k_prefix.size()) != k_prefix) return std::nullopt;
  const std::size_t separator = secret.size() - k_encoded_bytes - 1;
  if (secret[separator] != '_') return std::nullopt;
  const std::string_view id = secret.substr(k_prefix.size(), separator - k_prefix.size());
  if (id.empty()) return std::nullopt;
  for (const char c : id) {
    if (c <= ' ' || c > '~') return std::nullopt;
  }
  return ApiKeyId(std::string(id));
}

}  // namespace

NewApiKey ApiKeys::create(std::string_view subject, std::string_view plan) {
  validate_subject(subject);
  detail::validate_code(plan, "plan", k_max_plan_code_bytes);
  return context_.write([&](UnitOfWork& work) {
    if (!plans_.get(work, plan)) throw InvalidArgument("plan", "names no plan");
    std::array<unsigned char, k_secret_bytes> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
      throw InvariantViolation("secret", "OpenSSL's random generator failed");
    }
    ApiKey key{.id = ApiKeyId("key_" + context_.ids().next()), .subject = std::string(subject),
               .plan = std::string(plan), .created_at = context_.clock().now()};
    std::string secret = fmt::format("{}{}_{}", k_prefix, key.id.str(), base32(random));
    OPENSSL_cleanse(random.data(), random.size());
    if (!work->plans().insert_key({key, secret_hash(secret)})) {
      throw InvariantViolation("key_id", "the id source gave an id that a key has already");
    }
    return NewApiKey{std::move(key), std::move(secret)};
  });
}

std::optional<ApiKey> ApiKeys::authenticate(std::string_view secret) {
  const std::optional<ApiKeyId> id = id_in(secret);
  if (!id) return std::nullopt;
  const std::optional<StoredApiKey> row =
      context_.read([&](UnitOfWork& work) { return work->plans().find_key(*id); });
  const Hash presented = secret_hash(secret);
  // An unknown id is compared too, against a hash no secret has, so both paths do the same work.
  static constexpr Hash k_dummy{};
  const Hash& expected = row ? row->secret_hash : k_dummy;
  const bool equal = CRYPTO_memcmp(presented.data(), expected.data(), presented.size()) == 0;
  if (!row || !equal || row->key.status != ApiKeyStatus::active) return std::nullopt;
  return row->key;
}

RevokeResult ApiKeys::revoke(const ApiKeyId& id) {
  return context_.write([&](UnitOfWork& work) {
    const std::optional<StoredApiKey> row = work->plans().find_key(id);
    if (!row) return RevokeResult::not_found;
    if (row->key.status == ApiKeyStatus::revoked) return RevokeResult::already_revoked;
    work->plans().revoke_key(id, context_.clock().now());
    return RevokeResult::ok;
  });
}

std::optional<ApiKey> ApiKeys::get(const ApiKeyId& id) {
  return context_.read([&](UnitOfWork& work) -> std::optional<ApiKey> {
    auto row = work->plans().find_key(id);
    if (!row) return std::nullopt;
    return row->key;
  });
}

Page<ApiKey> ApiKeys::list(const std::optional<std::string>& subject, const std::optional<std::string>& cursor,
                           std::size_t limit) {
  detail::check_page_limit(limit);
  if (subject) validate_subject(*subject);
  if (cursor) (void)ApiKeyId(*cursor);
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->plans().keys(subject, cursor.value_or(""), limit + 1), limit,
                             [](const ApiKey& key) { return key.id.str(); });
  });
}

}  // namespace billing
