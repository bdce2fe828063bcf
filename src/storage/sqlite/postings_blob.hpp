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
#include "../rows.hpp"
#include "connection.hpp"

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

/// One leg of a blob, as views into it (valid while the blob is).
struct BlobLeg {
  std::string_view account;
  Side side = Side::debit;
  std::int64_t amount_minor = 0;
  std::string_view currency;
  Balances after{};
};

/// Reads a blob leg by leg without allocating. The constructor and next() throw StorageError for a blob
/// this library did not write (another format, a short or long blob, an invalid side).
class PostingsReader {
 public:
  explicit PostingsReader(std::span<const std::uint8_t> blob);

  [[nodiscard]] std::size_t legs() const noexcept { return legs_; }
  /// The next leg into `leg`; false after the last (and then the blob must have ended).
  bool next(BlobLeg& leg);

 private:
  [[nodiscard]] std::span<const std::uint8_t> take(std::size_t size);
  [[nodiscard]] std::int64_t i64();
  [[nodiscard]] std::string_view text();

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
  std::size_t legs_ = 0;
  std::size_t read_ = 0;
};

/// The blob of `entry`'s postings and balances_after, written into `out`.
void encode_postings(const Entry& entry, std::string& out);

/// Reads a blob into entry.postings and entry.balances_after. Throws StorageError for a blob this
/// library did not write (another format, a short or long blob, an invalid id, side or currency).
void decode_postings(std::span<const std::uint8_t> blob, Entry& entry, CurrencyLookup& currencies);

}  // namespace billing::detail::sqlite
