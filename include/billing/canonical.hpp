// Canonical requests: a typed value tree for the parameters of a request, and the one byte string that
// an idempotency key's fingerprint covers (Idempotency::run takes it as `request`).
//
// Two trees encode alike exactly when they are the same typed value: a string never equals a number, a
// Decimal never equals an integer or a string, maps are equal whatever order their entries were added
// in, and every string is length-prefixed, so no two different trees share an encoding. A Decimal is
// compared by value: 1.0 and 1 encode alike. docs/idempotency.md ("How a request is fingerprinted")
// gives the grammar. Values are immutable once built and safe to share between threads.
//
//   const RequestValue request = RequestValue::map({
//       {"customer", RequestValue::string("alice")},
//       {"amount", RequestValue::money(Money::parse("25.00 EUR"))},
//       {"lines", RequestValue::list({RequestValue::integer(3), RequestValue::integer(4)})},
//   });
//   auto outcome = books.idempotency().run(key, canonical_encoding(request), work);
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/decimal.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

namespace billing {

class RequestValue;

/// The canonical bytes of `value`, as docs/idempotency.md defines them: equal values give equal bytes and
/// different values different bytes. Changes nothing; throws nothing but std::bad_alloc.
///
///   canonical_encoding(RequestValue::string("1"));   // "s1:1"
///   canonical_encoding(RequestValue::integer(1));    // "i1:\x01"
[[nodiscard]] std::string canonical_encoding(const RequestValue& value);

/// One value of a request: a scalar, or a list or map of values. Build it with the static functions;
/// a default-constructed value is null.
class RequestValue {
 public:
  enum class Kind : std::uint8_t { null, boolean, integer, string, bytes, decimal, money, timestamp, list, map };

  /// One entry of a map: a key (any bytes; UTF-8 from Python) and its value.
  using Entry = std::pair<std::string, RequestValue>;

  RequestValue() = default;

  [[nodiscard]] static RequestValue null() { return {}; }
  [[nodiscard]] static RequestValue boolean(bool value);
  [[nodiscard]] static RequestValue integer(std::int64_t value);
  /// A bool is boolean(), never the integer 0 or 1.
  template <class B>
  requires std::same_as<B, bool>
  static RequestValue integer(B) = delete;
  /// An integer of any size, from its two's-complement big-endian bytes (what Python's
  /// `int.to_bytes(n, "big", signed=True)` gives); redundant leading bytes are fine. Equal to integer(v)
  /// for every v that fits 64 bits. Throws InvalidArgument (field "integer") when `big_endian` is empty.
  [[nodiscard]] static RequestValue integer_from_twos_complement(std::string_view big_endian);
  /// Text, kept as the bytes given (UTF-8 from Python). Never equal to bytes() of the same bytes.
  [[nodiscard]] static RequestValue string(std::string value);
  [[nodiscard]] static RequestValue bytes(std::string value);
  /// A Decimal, by value: 1.0, 1.00 and 1 are the same value.
  [[nodiscard]] static RequestValue decimal(const Decimal& value);
  /// An amount and its currency: 1.0 USD equals 1.00 USD, never 1.00 EUR or the Decimal 1.00.
  [[nodiscard]] static RequestValue money(const Money& value);
  /// An instant (microseconds since the Unix epoch, UTC): the same instant in any zone is the same value.
  [[nodiscard]] static RequestValue timestamp(Timestamp value);
  /// An ordered list: [1, 2] and [2, 1] differ.
  [[nodiscard]] static RequestValue list(std::vector<RequestValue> items);
  /// A map with string keys, in any order. Throws InvalidArgument (field "key") when two entries have
  /// the same key, so that a map's value never depends on which duplicate wins.
  [[nodiscard]] static RequestValue map(std::vector<Entry> entries);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }

  friend std::string canonical_encoding(const RequestValue& value);

 private:
  RequestValue(Kind kind, std::string payload) noexcept : kind_(kind), payload_(std::move(payload)) {}
  void append_encoding(std::string& out) const;

  Kind kind_ = Kind::null;
  std::string payload_{};              ///< a scalar in its canonical form; for money, the amount
  std::string unit_{};                 ///< money: the currency code
  std::vector<std::string> keys_{};    ///< map: the keys, in bytewise order, none twice
  std::vector<RequestValue> items_{};  ///< list: the items; map: the values, in the order of keys_
};

}  // namespace billing
