#include "billing/entry.hpp"

#include <openssl/evp.h>

#include <charconv>

#include "billing/error.hpp"

namespace billing {
namespace {

// Length-prefixed fields ("5:hello"), so that no two different entries encode alike.
void put(std::string& out, std::string_view field) {
  char length[24];
  const auto end = std::to_chars(length, length + sizeof length, field.size()).ptr;
  out.append(length, end);
  out += ':';
  out += field;
}

void put(std::string& out, std::int64_t number) {
  char digits[24];
  put(out, std::string_view(
               digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, number).ptr - digits)));
}

void put_optional(std::string& out, const std::optional<std::string_view>& field) {
  if (field) {
    out += '+';
    put(out, *field);
  } else {
    out += '-';
  }
}

// SHA-256 looked up once, and one digest context per thread: fetching the algorithm by name on every
// call cost a third of the hash.
struct Sha256 {
  EVP_MD* algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~Sha256() {
    EVP_MD_CTX_free(context);
    EVP_MD_free(algorithm);
  }
};

}  // namespace

std::string to_hex(const Hash& hash) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (std::uint8_t byte : hash) {
    out += k_digits[byte >> 4];
    out += k_digits[byte & 0x0F];
  }
  return out;
}

std::string_view to_string(EntryKind kind) noexcept {
  switch (kind) {
    case EntryKind::posted: return "POSTED";
    case EntryKind::pending: return "PENDING";
    case EntryKind::post_pending: return "POST_PENDING";
    case EntryKind::void_pending: return "VOID_PENDING";
    case EntryKind::reversal: return "REVERSAL";
  }
  return "?";
}

namespace detail {

namespace {

// The encoding written into `out`, which keeps its capacity: the hot path hashes without allocating.
void encode_into(const Entry& entry, std::string& out) {
  out.clear();
  out += "billing-entry-v1;";
  put(out, static_cast<std::int64_t>(entry.sequence));
  put(out, entry.id.str());
  put(out, static_cast<std::int64_t>(entry.kind));
  put(out, static_cast<std::int64_t>(entry.postings.size()));
  for (const Posting& posting : entry.postings) {
    put(out, posting.account.str());
    put(out, static_cast<std::int64_t>(posting.side));
    put(out, posting.amount.minor());
    put(out, posting.amount.currency().code());
  }
  put(out, entry.description);
  put(out, static_cast<std::int64_t>(entry.metadata.size()));
  for (const auto& [key, value] : entry.metadata) {
    put(out, key);
    put(out, value);
  }
  put(out, entry.effective_at.unix_micros());
  put(out, entry.recorded_at.unix_micros());
  put_optional(out, entry.pending_id ? std::optional<std::string_view>(entry.pending_id->str()) : std::nullopt);
  if (entry.expires_at) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, entry.expires_at->unix_micros()).ptr;
    put_optional(out, std::string_view(digits, static_cast<std::size_t>(end - digits)));
  } else {
    put_optional(out, std::nullopt);
  }
  put_optional(out, entry.reverses ? std::optional<std::string_view>(entry.reverses->str()) : std::nullopt);
}

}  // namespace

std::string canonical_encoding(const Entry& entry) {
  std::string out;
  encode_into(entry, out);
  return out;
}

Hash sha256(std::initializer_list<std::string_view> parts) {
  thread_local Sha256 sha;
  Hash digest{};
  unsigned int size = 0;
  bool ok = sha.algorithm != nullptr && sha.context != nullptr &&
            EVP_DigestInit_ex2(sha.context, sha.algorithm, nullptr) == 1;
  for (std::string_view part : parts) ok = ok && EVP_DigestUpdate(sha.context, part.data(), part.size()) == 1;
  if (!ok || EVP_DigestFinal_ex(sha.context, digest.data(), &size) != 1 || size != digest.size()) {
    throw InvariantViolation("hash", "libcrypto failed to compute SHA-256");
  }
  return digest;
}

Hash chain_hash(const Entry& entry) {
  thread_local std::string encoded;
  encode_into(entry, encoded);
  const std::string_view previous(reinterpret_cast<const char*>(entry.previous_hash.data()),
                                  entry.previous_hash.size());
  return sha256({previous, encoded});
}

}  // namespace detail
}  // namespace billing
