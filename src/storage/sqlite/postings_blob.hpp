// The postings of one entry as the bytes of the journal's `postings` column (schema version 3): each leg's
// account, side, amount, currency and the account's totals after it, in leg order. Internal to the
// adapter; the format never changes once written (a new one would take a new first byte).
//
//   byte 0          format, 1
//   bytes 1-2       legs, u16 little-endian
//   per leg         side u8 (0 debit, 1 credit), amount_minor i64, debits_posted, credits_posted,
//                   debits_pending, credits_pending i64 (all little-endian), currency code (u8 length,
//                   bytes), account id (u8 length, bytes)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "billing/entry.hpp"
#include "rows.hpp"

namespace billing::detail::sqlite {

/// Appends legs to a postings blob.
class PostingsWriter {
 public:
  /// Starts a blob in `out` (replacing its content) for `legs` legs.
  PostingsWriter(std::string& out, std::size_t legs);

  void add(std::string_view account, Side side, std::int64_t amount_minor, std::string_view currency,
           const Balances& after);

 private:
  void put_i64(std::int64_t value);
  void put_text(std::string_view text);

  std::string& out_;
};

/// The blob of `entry`'s postings and balances_after, written into `out`.
void encode_postings(const Entry& entry, std::string& out);

/// Reads a blob into entry.postings and entry.balances_after. Throws StorageError for a blob this
/// library did not write (another format, a short or long blob, an invalid id, side or currency).
void decode_postings(std::span<const std::uint8_t> blob, Entry& entry, CurrencyLookup& currencies);

}  // namespace billing::detail::sqlite
