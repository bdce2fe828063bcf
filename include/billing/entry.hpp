// Entry: one append-only record of the double-entry ledger: two or more postings that balance per
// currency, with its place in the hash chain.
//
// Plain values; the rules that accept entries live in ledger.hpp. Safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/account.hpp"

namespace billing {

struct EntryIdTag {
  static constexpr std::string_view k_field = "entry_id";
};
using EntryId = Id<EntryIdTag>;

/// A SHA-256 digest.
using Hash = std::array<std::uint8_t, 32>;
/// Lower-case hex of a digest.
[[nodiscard]] std::string to_hex(const Hash& hash);

/// One leg of an entry: an amount debited or credited to one account, in that account's currency.
/// The amount is always positive; the side says which way it moves.
struct Posting {
  AccountId account;
  Side side{};
  Money amount;

  friend bool operator==(const Posting&, const Posting&) = default;
};

/// What an entry does to its accounts' balances.
enum class EntryKind : std::uint8_t {
  posted,        ///< moves posted balances
  pending,       ///< a hold: moves pending balances until posted or voided
  post_pending,  ///< captures a hold (in full or in part): releases its pending amounts, posts its own
  void_pending,  ///< releases a hold without posting anything
  reversal,      ///< the mirror of an earlier posted entry, which it names
};

[[nodiscard]] std::string_view to_string(EntryKind kind) noexcept;

/// A stored entry. Entries are never changed or removed; a correction is a reversal entry.
struct Entry {
  EntryId id;
  std::uint64_t sequence = 0;  ///< 1, 2, 3 ... in the order the ledger accepted them
  EntryKind kind = EntryKind::posted;
  std::vector<Posting> postings{};
  std::string description{};
  Metadata metadata{};
  Timestamp effective_at{};               ///< when the movement counts for the business (may be back-dated)
  Timestamp recorded_at{};                ///< when the ledger accepted it; never decreases along the sequence
  std::optional<EntryId> pending_id{};    ///< post_pending and void_pending: the hold they resolve
  std::optional<Timestamp> expires_at{};  ///< pending: when the hold can no longer be posted
  std::optional<EntryId> reverses{};      ///< reversal: the entry it mirrors
  Hash previous_hash{};                   ///< the hash of entry sequence - 1 (zeros for the first)
  Hash hash{};                            ///< SHA-256 over previous_hash and the canonical encoding
  /// Each posting's account totals just after it was applied, in posting order.
  std::vector<Balances> balances_after{};

  friend bool operator==(const Entry&, const Entry&) = default;
};

namespace detail {
/// The canonical, unambiguous byte encoding of an entry's content that the hash covers: every field
/// except the hashes and balances_after, each length-prefixed.
[[nodiscard]] std::string canonical_encoding(const Entry& entry);
/// SHA-256 of the parts, one after another.
[[nodiscard]] Hash sha256(std::initializer_list<std::string_view> parts);
/// SHA-256 of previous_hash followed by canonical_encoding(entry).
[[nodiscard]] Hash chain_hash(const Entry& entry);
}  // namespace detail

}  // namespace billing
