// The canonical encoding of a RequestValue. Every value is a one-byte tag and a self-delimiting payload
// (a length-prefixed blob, or a count of self-delimiting parts), so the code is prefix-free and a
// concatenation decodes one way only; each scalar is normalised when the value is built, so each value
// has one payload. Together: equal values, equal bytes; different values, different bytes.
#include "billing/canonical.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing {
namespace {

// The tags, as docs/idempotency.md lists them. Once a fingerprint is stored they can never change.
constexpr char k_null = 'n';
constexpr char k_true = 't';
constexpr char k_false = 'f';
constexpr char k_integer = 'i';
constexpr char k_string = 's';
constexpr char k_bytes = 'b';
constexpr char k_decimal = 'd';
constexpr char k_money = 'm';
constexpr char k_timestamp = 'T';
constexpr char k_list = 'L';
constexpr char k_map = 'M';

bool high_bit(char byte) { return (static_cast<unsigned char>(byte) & 0x80U) != 0; }

// The shortest two's-complement form of the same integer, at least one byte (as DER writes INTEGER):
// a leading 0x00 before a byte without its high bit, or 0xff before one with it, says nothing.
std::string shortest_twos_complement(std::string_view big_endian) {
  std::size_t start = 0;
  while (start + 1 < big_endian.size()) {
    const char lead = big_endian[start];
    const bool redundant =
        (lead == '\x00' && !high_bit(big_endian[start + 1])) || (lead == '\xff' && high_bit(big_endian[start + 1]));
    if (!redundant) break;
    ++start;
  }
  return std::string(big_endian.substr(start));
}

void append_count(std::string& out, std::size_t count) {
  out += std::to_string(count);
  out += ':';
}

void append_blob(std::string& out, std::string_view bytes) {
  append_count(out, bytes.size());
  out += bytes;
}

void append_tagged_blob(std::string& out, char tag, std::string_view bytes) {
  out += tag;
  append_blob(out, bytes);
}

}  // namespace

RequestValue RequestValue::boolean(bool value) { return {Kind::boolean, std::string(1, value ? k_true : k_false)}; }

RequestValue RequestValue::integer(std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);  // two's complement, by C++20's definition
  std::array<char, 8> big_endian{};
  for (std::size_t i = 0; i < big_endian.size(); ++i) {
    big_endian[i] = static_cast<char>((bits >> (56U - 8U * i)) & 0xffU);
  }
  return {Kind::integer, shortest_twos_complement(std::string_view(big_endian.data(), big_endian.size()))};
}

RequestValue RequestValue::integer_from_twos_complement(std::string_view big_endian) {
  if (big_endian.empty()) throw InvalidArgument("integer", "needs at least one byte");
  return {Kind::integer, shortest_twos_complement(big_endian)};
}

RequestValue RequestValue::string(std::string value) { return {Kind::string, std::move(value)}; }

RequestValue RequestValue::bytes(std::string value) { return {Kind::bytes, std::move(value)}; }

RequestValue RequestValue::decimal(const Decimal& value) {
  // One text per value: 1.0 and 1 are "1", 0.00 and -0 are "0".
  return {Kind::decimal, value.normalized().to_string()};
}

RequestValue RequestValue::money(const Money& value) {
  RequestValue out(Kind::money, value.amount().to_string());  // always the currency's places
  out.unit_ = std::string(value.currency().code());
  return out;
}

RequestValue RequestValue::timestamp(Timestamp value) { return {Kind::timestamp, std::to_string(value.unix_micros())}; }

RequestValue RequestValue::list(std::vector<RequestValue> items) {
  RequestValue out(Kind::list, {});
  out.items_ = std::move(items);
  return out;
}

RequestValue RequestValue::map(std::vector<Entry> entries) {
  // std::string orders by unsigned bytes (char_traits<char>::lt), which is the order the encoding needs.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.first < b.first; });
  const auto duplicate = std::adjacent_find(entries.begin(), entries.end(),
                                            [](const Entry& a, const Entry& b) { return a.first == b.first; });
  if (duplicate != entries.end()) throw InvalidArgument("key", fmt::format("'{}' appears twice", duplicate->first));
  RequestValue out(Kind::map, {});
  out.keys_.reserve(entries.size());
  out.items_.reserve(entries.size());
  for (Entry& entry : entries) {
    out.keys_.push_back(std::move(entry.first));
    out.items_.push_back(std::move(entry.second));
  }
  return out;
}

std::string canonical_encoding(const RequestValue& value) {
  std::string out;
  value.append_encoding(out);
  return out;
}

// Appends rather than returns, so that a tree is written into one buffer, not one string per node.
void RequestValue::append_encoding(std::string& out) const {
  switch (kind_) {
    case Kind::null: out += k_null; break;
    case Kind::boolean: out += payload_; break;  // the payload is the tag: k_true or k_false
    case Kind::integer: append_tagged_blob(out, k_integer, payload_); break;
    case Kind::string: append_tagged_blob(out, k_string, payload_); break;
    case Kind::bytes: append_tagged_blob(out, k_bytes, payload_); break;
    case Kind::decimal: append_tagged_blob(out, k_decimal, payload_); break;
    case Kind::money:
      append_tagged_blob(out, k_money, unit_);
      append_blob(out, payload_);
      break;
    case Kind::timestamp: append_tagged_blob(out, k_timestamp, payload_); break;
    case Kind::list:
      out += k_list;
      append_count(out, items_.size());
      for (const RequestValue& item : items_) item.append_encoding(out);
      break;
    case Kind::map:
      out += k_map;
      append_count(out, items_.size());
      for (std::size_t i = 0; i < items_.size(); ++i) {
        append_blob(out, keys_[i]);
        items_[i].append_encoding(out);
      }
      break;
  }
}

}  // namespace billing
