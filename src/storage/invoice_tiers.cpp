#include "invoice_tiers.hpp"

#include <cstdint>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "rows.hpp"

namespace billing::detail {
namespace {

constexpr std::int64_t k_max_charge_kind = static_cast<std::int64_t>(LineKind::minimum_true_up);
constexpr std::int64_t k_min_minor = -std::numeric_limits<std::int64_t>::max();

void append_decimal(std::string& out, std::string_view key, const std::optional<Decimal>& value) {
  // Decimal text is digits, a point and a minus: nothing to escape.
  out += fmt::format(",\"{}\":", key);
  out += value ? fmt::format("\"{}\"", value->to_string()) : std::string("null");
}

// Reads the JSON that encode_tiers() writes; anything else is StorageError.
class TiersReader {
 public:
  TiersReader(std::string_view json, Currency currency, std::string_view what)
      : json_(json), currency_(currency), what_(what) {}

  std::vector<ChargeLine> read() {
    std::vector<ChargeLine> out;
    expect('[');
    if (!consume(']')) {
      do {
        if (out.size() > k_max_price_tiers) fail("more tier lines than a price makes");
        out.push_back(read_charge_line());
      } while (consume(','));
      expect(']');
    }
    skip_space();
    if (pos_ != json_.size()) fail("text after the array");
    return out;
  }

 private:
  // The members of one ChargeLine, each exactly once, in any order.
  ChargeLine read_charge_line() {
    enum Member : unsigned { kind, tier, start, up_to, quantity, unit_price, flat_fee, amount_minor, count };
    constexpr std::array<std::string_view, count> k_names = {"kind",     "tier",       "start",    "up_to",
                                                             "quantity", "unit_price", "flat_fee", "amount_minor"};
    std::array<bool, count> seen{};
    LineKind line_kind{};
    std::optional<std::size_t> tier_index;
    std::optional<Decimal> bound;
    std::array<Decimal, 4> decimals{};  // start, quantity, unit_price, flat_fee
    std::int64_t minor = 0;
    expect('{');
    do {
      const std::string_view key = read_string();
      const auto found = std::find(k_names.begin(), k_names.end(), key);
      if (found == k_names.end()) fail("a member that a tier line does not have");
      const auto member = static_cast<Member>(found - k_names.begin());
      if (seen[member]) fail("a member twice");
      seen[member] = true;
      expect(':');
      switch (member) {
        case kind: line_kind = load_enum<LineKind>(read_integer(), k_max_charge_kind, what_); break;
        case tier:
          if (!consume_null()) {
            const std::int64_t index = read_integer();
            if (index < 0 || index >= static_cast<std::int64_t>(k_max_price_tiers)) fail("a tier index out of range");
            tier_index = static_cast<std::size_t>(index);
          }
          break;
        case up_to:
          if (!consume_null()) bound = read_decimal();
          break;
        case start: decimals[0] = read_decimal(); break;
        case quantity: decimals[1] = read_decimal(); break;
        case unit_price: decimals[2] = read_decimal(); break;
        case flat_fee: decimals[3] = read_decimal(); break;
        case amount_minor: minor = load_minor(read_integer(), k_min_minor, what_); break;
        case count: break;
      }
    } while (consume(','));
    expect('}');
    if (std::find(seen.begin(), seen.end(), false) != seen.end()) fail("a tier line without all its members");
    return ChargeLine{.kind = line_kind,
                      .tier = tier_index,
                      .start = decimals[0],
                      .up_to = bound,
                      .quantity = decimals[1],
                      .unit_price = decimals[2],
                      .flat_fee = decimals[3],
                      .amount = Money::from_minor(minor, currency_)};
  }

  [[noreturn]] void fail(std::string_view why) const {
    throw_corrupt(what_, fmt::format("the tier breakdown is not what the library writes: {} (at byte {})", why, pos_));
  }

  void skip_space() {
    while (pos_ < json_.size() &&
           (json_[pos_] == ' ' || json_[pos_] == '\t' || json_[pos_] == '\n' || json_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool consume(char wanted) {
    skip_space();
    if (pos_ >= json_.size() || json_[pos_] != wanted) return false;
    ++pos_;
    return true;
  }
  void expect(char wanted) {
    if (!consume(wanted)) fail(fmt::format("expected '{}'", wanted));
  }
  bool consume_null() {
    skip_space();
    if (json_.substr(pos_, 4) != "null") return false;
    pos_ += 4;
    return true;
  }
  // A string without escapes: the library writes keys and decimal text only.
  std::string_view read_string() {
    expect('"');
    const std::size_t first = pos_;
    while (pos_ < json_.size() && json_[pos_] != '"') {
      if (json_[pos_] == '\\' || static_cast<unsigned char>(json_[pos_]) < 0x20) fail("an escape or control character");
      ++pos_;
    }
    if (pos_ >= json_.size()) fail("an unterminated string");
    return json_.substr(first, pos_++ - first);
  }
  Decimal read_decimal() { return load_decimal(read_string(), what_); }
  std::int64_t read_integer() {
    skip_space();
    const bool negative = pos_ < json_.size() && json_[pos_] == '-';
    if (negative) ++pos_;
    const std::size_t first = pos_;
    std::uint64_t magnitude = 0;
    constexpr auto k_limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    for (; pos_ < json_.size() && json_[pos_] >= '0' && json_[pos_] <= '9'; ++pos_) {
      const auto digit = static_cast<std::uint64_t>(json_[pos_] - '0');
      if (magnitude > (k_limit - digit) / 10) fail("an integer beyond 64 bits");
      magnitude = magnitude * 10 + digit;
    }
    if (pos_ == first) fail("expected an integer");
    return negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  }

  std::string_view json_;
  Currency currency_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

}  // namespace

void encode_tiers(const std::vector<ChargeLine>& tiers, std::string& out) {
  out.clear();  // not `out = "["`: gcc 12 then warns of an overlapping memcpy that cannot happen (-Wrestrict)
  out.push_back('[');
  for (const ChargeLine& line : tiers) {
    if (out.size() > 1) out += ',';
    out += fmt::format("{{\"kind\":{},\"tier\":", static_cast<int>(line.kind));
    out += line.tier ? std::to_string(*line.tier) : std::string("null");
    append_decimal(out, "start", line.start);
    append_decimal(out, "up_to", line.up_to);
    append_decimal(out, "quantity", line.quantity);
    append_decimal(out, "unit_price", line.unit_price);
    append_decimal(out, "flat_fee", line.flat_fee);
    out += fmt::format(",\"amount_minor\":{}}}", line.amount.minor());
  }
  out += ']';
}

std::vector<ChargeLine> decode_tiers(std::string_view json, Currency currency, std::string_view what) {
  return TiersReader(json, currency, what).read();
}

}  // namespace billing::detail
