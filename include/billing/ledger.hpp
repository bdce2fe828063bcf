// Ledger: the double-entry, append-only journal. Every accepted entry is correct forever: its postings
// balance per currency, its accounts were active and within their limits, and it is chained by hash to
// the entry before it. Nothing is ever changed or removed; a mistake is corrected by a reversal.
//
// Posting returns a PostResult (an expected outcome) and throws only for malformed input or failures.
// A rejected entry leaves nothing behind. Reach it through Books::ledger(); safe to share between threads.
//
//   auto outcome = books.ledger().transfer({.debit = cash, .credit = revenue, .amount = Money::parse("9.99 USD")});
//   if (outcome.result == PostResult::ok) fmt::print("entry {}\n", outcome.entry->id);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/accounts.hpp"
#include "billing/entry.hpp"

namespace billing {

namespace detail {
struct Operation;
}

/// The outcome of posting an entry. The codes are checked in this order, and the first that applies is
/// returned (as TigerBeetle documents create_transfers):
///
///  1. exists, exists_with_different_fields  - the entry id is taken (by a stored entry or an earlier
///     entry of the same batch). Same content: the original is returned, so a retry is safe.
///  2. unbalanced                            - debits != credits in some currency
///  3. pending_not_found ... partial_needs_two_legs, entry_not_found ... not_reversible
///                                           - post/void of a hold, or reversal, on a missing or
///                                             unsuitable entry
///  4. account_not_found, account_pending, account_inactive, account_closed, currency_mismatch
///                                           - per posting, in posting order
///  5. overflow, exceeds_credits, exceeds_debits, exceeds_limit
///                                           - per account, in posting order
///  6. batch_failed                          - in an atomic batch, another entry was rejected
enum class PostResult : std::uint8_t {
  ok,
  exists,
  exists_with_different_fields,
  unbalanced,
  pending_not_found,       ///< no hold has this id (or the entry is not a hold)
  pending_already_posted,  ///< the hold was posted before
  pending_already_voided,  ///< the hold was voided before
  pending_expired,         ///< the hold's timeout passed; it can only be voided
  exceeds_pending_amount,  ///< a partial post asked for more than the hold
  partial_needs_two_legs,  ///< a partial amount was given for a hold of more than two postings
  entry_not_found,         ///< reversal of an entry that does not exist
  already_reversed,        ///< the entry was reversed before
  not_reversible,          ///< holds and voids are released, not reversed; reversals are not reversed
  account_not_found,
  account_pending,
  account_inactive,
  account_closed,
  currency_mismatch,  ///< a posting's currency is not its account's
  overflow,           ///< a running total would pass the range of Money
  exceeds_credits,    ///< debits would exceed credits on a "debits must not exceed credits" account
  exceeds_debits,     ///< credits would exceed debits on a "credits must not exceed debits" account
  exceeds_limit,      ///< as the two above, beyond the account's limit
  batch_failed,
};

[[nodiscard]] std::string_view to_string(PostResult result) noexcept;

/// The result of one entry. `entry` is the stored entry for ok, exists and exists_with_different_fields
/// (the original), and absent otherwise; `account` names the account at fault for the account and
/// balance codes.
struct [[nodiscard]] PostOutcome {
  PostResult result{};
  std::optional<Entry> entry{};
  std::optional<AccountId> account{};
};

/// What one call may ask of the ledger. Each is checked before any work starts, and a call beyond one
/// throws InvalidArgument naming the field; docs/ledger.md and docs/python.md list them.
inline constexpr std::size_t k_max_postings = 1024;           ///< postings in one entry (at least 2)
inline constexpr std::size_t k_max_description_bytes = 1024;  ///< UTF-8, no control characters
inline constexpr std::size_t k_max_batch = 10'000;            ///< entries in post_batch, holds in a group
inline constexpr std::chrono::microseconds k_max_hold_timeout = std::chrono::hours(24 * 366);
/// effective_at lies in [k_effective_at_min, k_effective_at_end): from the Unix epoch (so that every
/// exported entry follows the accounts' opening directives) to 2200-01-01T00:00:00Z, before which no real
/// movement of money falls and beyond which sit sentinels such as datetime.max.
inline constexpr Timestamp k_effective_at_min = Timestamp::from_unix_micros(0);
inline constexpr Timestamp k_effective_at_end = Timestamp::from_unix_micros(7'258'118'400'000'000);

/// A new entry: two or more postings that balance per currency.
///
/// No entry may debit and credit the same account: on that account such an entry nets out, yet it would
/// grow both of its running totals; one posting of the net amount says the same. That holds for every
/// door (post, post_batch, transfer, hold): the ledger refuses it as malformed input, an InvalidArgument
/// naming the later posting ("postings[1].account"). Several postings on one side of an account are fine.
struct EntryRequest {
  std::optional<EntryId> id{};      ///< made by the IdSource when absent; give one to make retries safe
  std::vector<Posting> postings{};  ///< 2 to k_max_postings
  std::string description{};        ///< up to k_max_description_bytes of UTF-8, no control characters
  Metadata metadata{};
  /// Now when absent; else within [k_effective_at_min, k_effective_at_end).
  std::optional<Timestamp> effective_at{};
};

/// The common two-posting case: `amount` leaves `credit` and arrives in `debit`. The same rules as
/// EntryRequest's, field by field.
///
///   books.ledger().transfer({.debit = AccountId("cash"), .credit = AccountId("sales"),
///                            .amount = Money::parse("59.97 USD"), .description = "Order 17"});
struct TransferRequest {
  std::optional<EntryId> id{};  ///< made by the IdSource when absent; give one to make retries safe
  AccountId debit;              ///< the account the amount arrives in
  AccountId credit;             ///< the account it leaves; not `debit`
  Money amount;                 ///< more than zero, in both accounts' currency
  std::string description{};    ///< up to k_max_description_bytes of UTF-8, no control characters
  Metadata metadata{};
  /// Now when absent; else within [k_effective_at_min, k_effective_at_end).
  std::optional<Timestamp> effective_at{};
};

/// How a batch treats a rejected entry.
enum class BatchMode : std::uint8_t {
  atomic,       ///< all or nothing: one rejection rejects the rest with batch_failed
  independent,  ///< each entry stands alone
};

/// An account's balances as of now or a past point.
struct AccountBalance {
  AccountId account;
  Currency currency;
  Balances totals{};  ///< running totals, in minor units
  Money debits_posted, credits_posted, debits_pending, credits_pending;
  Money net;                         ///< posted, on the account's normal side
  std::optional<Money> available{};  ///< room under the balance constraint (now only), if any
  std::uint64_t as_of_sequence{};    ///< the last entry counted
};

/// Entries of one account, oldest first, recorded in [start, end).
struct EntryQuery {
  std::optional<Timestamp> start{};  ///< recorded at or after
  std::optional<Timestamp> end{};    ///< recorded before; not before start
  /// Empty, or the previous page's next_cursor for this account. A cursor names the account it was made
  /// for, so that one from another account's listing is refused rather than read as a position here.
  std::string cursor{};
  std::size_t limit = 100;  ///< 1 to 1,000
};

/// What verify() found.
struct VerifyReport {
  bool ok = true;
  std::uint64_t entries_checked = 0;
  std::uint64_t postings_checked = 0;
  std::uint64_t accounts_checked = 0;
  std::optional<std::uint64_t> first_bad_sequence{};  ///< the first entry whose hash, balance or totals broke
  std::string problem{};                              ///< what broke there, for people
  Hash head_hash{};                                   ///< the last entry's hash, to compare with a copy
};

/// Plain-text journal formats that independent tools read.
enum class ExportFormat : std::uint8_t {
  ledger,     ///< ledger-cli and hledger
  beancount,  ///< beancount
};

class Ledger {
 public:
  explicit Ledger(detail::Context& context) noexcept : context_(context) {}

  /// Posts one entry. Throws InvalidArgument (naming the field, such as "postings[1].amount") for
  /// fewer than two or more than k_max_postings postings, a non-positive amount, an account both debited
  /// and credited, an over-long or control-character description, bad metadata or an effective_at outside
  /// its window (EntryRequest). Nothing is posted then.
  PostOutcome post(const EntryRequest& request);
  /// Posts a two-posting entry. Throws InvalidArgument (field "credit") when debit and credit are the same
  /// account, the rule every entry follows (EntryRequest), and otherwise as post() does.
  PostOutcome transfer(const TransferRequest& request);
  /// Posts many entries in one unit of work, one outcome per entry in order. Input errors in any entry
  /// throw before anything is posted, named by the entry's index ("[3].postings"); so do more than
  /// k_max_batch entries (field "entries").
  std::vector<PostOutcome> post_batch(const std::vector<EntryRequest>& requests, BatchMode mode = BatchMode::atomic);

  /// Places a hold: the postings move pending balances only. With a timeout (more than zero, at most
  /// k_max_hold_timeout), the hold can no longer be posted once it has passed (it can still be voided).
  PostOutcome hold(const EntryRequest& request, std::optional<std::chrono::microseconds> timeout = std::nullopt);
  /// Posts a hold in full, or, for a two-posting hold, `amount` of it (the rest is released).
  /// `id` names the new entry (made by the IdSource when absent).
  PostOutcome post_pending(const EntryId& pending_id, std::optional<Money> amount = std::nullopt,
                           std::optional<EntryId> id = std::nullopt);
  /// Releases a hold without posting it.
  PostOutcome void_pending(const EntryId& pending_id, std::optional<EntryId> id = std::nullopt);
  /// Posts (in full) or voids a group of holds in one unit of work, one outcome per hold. Throws
  /// InvalidArgument (field "pending_ids") for more than k_max_batch holds.
  std::vector<PostOutcome> post_pending_group(const std::vector<EntryId>& pending_ids,
                                              BatchMode mode = BatchMode::atomic);
  std::vector<PostOutcome> void_pending_group(const std::vector<EntryId>& pending_ids,
                                              BatchMode mode = BatchMode::atomic);
  /// Voids every hold whose timeout has passed. Returns how many it voided.
  std::size_t void_expired_holds();

  /// Appends the mirror of a posted entry (every side flipped), linked to it. An entry is reversed
  /// at most once; this is the only way to correct one.
  PostOutcome reverse(const EntryId& entry_id, std::optional<EntryId> id = std::nullopt, std::string description = "");

  /// The entry with `id`, or nullopt.
  [[nodiscard]] std::optional<Entry> entry(const EntryId& id);
  /// An account's balances now (constant time). nullopt means only that no account has this id: an
  /// account without postings has zero balances. The same holds for balance_at and balance_at_sequence,
  /// which give zero balances for a point before the account's first posting.
  [[nodiscard]] std::optional<AccountBalance> balance(const AccountId& account);
  /// As of the last entry recorded at or before `when`.
  [[nodiscard]] std::optional<AccountBalance> balance_at(const AccountId& account, Timestamp when);
  /// As of entry `sequence` (after it was applied); a sequence beyond the last entry answers as of the last
  /// entry, and as_of_sequence says which that was.
  [[nodiscard]] std::optional<AccountBalance> balance_at_sequence(const AccountId& account, std::uint64_t sequence);

  /// One page of an account's entries. Throws InvalidArgument naming the field for a limit outside
  /// 1..1,000 ("limit"), an end before the start ("end"), or a cursor this ledger did not return for this
  /// account ("cursor").
  [[nodiscard]] Page<Entry> entries(const AccountId& account, const EntryQuery& query = {});

  /// Walks the whole chain: re-derives every hash and every running total from the postings, and
  /// compares them with what is stored. Never throws for a broken ledger; the report says what broke.
  [[nodiscard]] VerifyReport verify();

  /// The journal of the whole ledger, or of entries touching one account, as text. Holds and voids
  /// appear as comments; posted amounts as transactions, so a tool's balances equal posted balances.
  /// Account ids become account names by an escaping that is injective in each format (docs/ledger.md,
  /// "Export"): two accounts never share a name, and each name decodes back to its id.
  [[nodiscard]] std::string export_journal(ExportFormat format, std::optional<AccountId> account = std::nullopt);

 private:
  std::vector<PostOutcome> run(const std::vector<detail::Operation>& operations, BatchMode mode);
  detail::Context& context_;
};

}  // namespace billing
