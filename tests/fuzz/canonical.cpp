// The canonical request encoding (canonical.hpp) on trees built from the input. A second tree is derived
// from the first by rewrites that keep its value (a map's entries in another order, 1.0 for 1, an
// integer with redundant sign bytes) or change it (a string for bytes, a byte flipped, an integer for
// the equal Decimal). Checked, without decoding anything:
//  - encoding is deterministic: the same tree, built twice or copied, gives the same bytes;
//  - the two encodings are equal exactly when the trees are the same value, as this file judges it
//    from the documentation, independently of the library's normalisation;
//  - the code is prefix-free: of two different encodings, neither starts the other;
//  - a map with a repeated key is refused with InvalidArgument naming "key".
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "billing/canonical.hpp"
#include "harness.hpp"

using namespace billing;
using Kind = RequestValue::Kind;

namespace {

constexpr int k_max_depth = 5;
constexpr std::size_t k_max_items = 4;
constexpr int k_max_nodes = 160;

// What a tree is meant to be: the builder's arguments, kept so that values can be compared here.
struct Spec {
  Kind kind = Kind::null;
  bool flag = false;        // boolean
  bool small = false;       // integer: built by integer(int64) from `number`, else from `bytes`
  std::int64_t number = 0;  // integer (small), timestamp (microseconds)
  std::string bytes;        // integer: two's complement, big-endian; string, bytes: the content
  std::optional<Decimal> decimal;
  std::optional<Money> money;
  std::vector<Spec> items;        // list items, map values
  std::vector<std::string> keys;  // map keys, parallel to items
};

Currency pick_currency(fuzz::Reader& in) {
  static const char* const codes[] = {"USD", "JPY", "BHD", "CLF", "EUR"};
  return Currency(codes[in.below(std::size(codes))]);
}

// "-12.345" from -12345 and 3 places: scales 0 to 19, either sign.
Decimal make_decimal(fuzz::Reader& in) {
  const std::int64_t number = in.i64();
  const std::uint64_t magnitude =
      number < 0 ? 0 - static_cast<std::uint64_t>(number) : static_cast<std::uint64_t>(number);
  const std::string digits = std::to_string(magnitude);
  const std::size_t places = in.below(20);
  const std::size_t padded = std::max(digits.size(), places + 1);  // at least one digit before the point
  std::string text;
  if (number < 0) text += '-';
  text.append(padded - digits.size(), '0');
  text += digits;
  if (places > 0) text.insert(text.size() - places, 1, '.');
  return Decimal::parse(text);
}

Spec generate(fuzz::Reader& in, int depth, int& nodes) {
  Spec spec;
  ++nodes;
  const bool leaf_only = depth >= k_max_depth || nodes >= k_max_nodes;
  const std::size_t choice = in.below(leaf_only ? 8 : 10);
  switch (choice) {
    case 0: spec.kind = Kind::null; break;
    case 1:
      spec.kind = Kind::boolean;
      spec.flag = in.flag();
      break;
    case 2:
      spec.kind = Kind::integer;
      spec.small = in.flag();
      if (spec.small) {
        spec.number = in.i64();
      } else {
        spec.bytes = in.text(20);
        if (spec.bytes.empty()) spec.bytes.assign(1, '\0');
      }
      break;
    case 3:
    case 4:
      spec.kind = choice == 3 ? Kind::string : Kind::bytes;
      spec.bytes = in.text(16);
      break;
    case 5:
      spec.kind = Kind::decimal;
      spec.decimal = make_decimal(in);
      break;
    case 6: {
      spec.kind = Kind::money;
      std::int64_t minor = in.i64();
      if (minor == std::numeric_limits<std::int64_t>::min()) minor = 0;
      spec.money = Money::from_minor(minor, pick_currency(in));
      break;
    }
    case 7:
      spec.kind = Kind::timestamp;
      spec.number = in.i64();
      break;
    case 8:
    case 9: {
      spec.kind = choice == 8 ? Kind::list : Kind::map;
      const std::size_t count = in.below(k_max_items + 1);
      for (std::size_t i = 0; i < count; ++i) {
        if (spec.kind == Kind::map) spec.keys.push_back(in.text(6));
        spec.items.push_back(generate(in, depth + 1, nodes));
      }
      break;
    }
  }
  return spec;
}

bool has_duplicate_key(const Spec& spec) {
  std::vector<std::string> keys = spec.keys;
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

bool any_duplicate_key(const Spec& spec) {
  if (spec.kind == Kind::map && has_duplicate_key(spec)) return true;
  return std::any_of(spec.items.begin(), spec.items.end(), any_duplicate_key);
}

// The tree `spec` describes. A map with a repeated key must be refused, naming "key": nullopt then.
std::optional<RequestValue> build(const Spec& spec) {
  switch (spec.kind) {
    case Kind::null: return RequestValue::null();
    case Kind::boolean: return RequestValue::boolean(spec.flag);
    case Kind::integer:
      return spec.small ? RequestValue::integer(spec.number) : RequestValue::integer_from_twos_complement(spec.bytes);
    case Kind::string: return RequestValue::string(spec.bytes);
    case Kind::bytes: return RequestValue::bytes(spec.bytes);
    case Kind::decimal: return RequestValue::decimal(*spec.decimal);
    case Kind::money: return RequestValue::money(*spec.money);
    case Kind::timestamp: return RequestValue::timestamp(Timestamp::from_unix_micros(spec.number));
    case Kind::list:
    case Kind::map: {
      std::vector<RequestValue> items;
      for (const Spec& item : spec.items) {
        std::optional<RequestValue> built = build(item);
        if (!built) return std::nullopt;
        items.push_back(std::move(*built));
      }
      if (spec.kind == Kind::list) return RequestValue::list(std::move(items));
      std::vector<RequestValue::Entry> entries;
      for (std::size_t i = 0; i < items.size(); ++i) entries.emplace_back(spec.keys[i], std::move(items[i]));
      try {
        RequestValue map = RequestValue::map(std::move(entries));
        BILLING_FUZZ_CHECK(!has_duplicate_key(spec));
        return map;
      } catch (const InvalidArgument& e) {
        BILLING_FUZZ_CHECK(has_duplicate_key(spec));
        BILLING_FUZZ_CHECK(e.field() == "key");
        return std::nullopt;
      }
    }
  }
  fuzz::finding("a Kind this harness does not know");
}

// An integer's two's complement, sign-extended to `width` bytes (at least its own length).
std::string widened(const Spec& spec, std::size_t width) {
  std::string bytes = spec.bytes;
  if (spec.small) {
    bytes.clear();
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((static_cast<std::uint64_t>(spec.number) >> shift) & 0xffU));
    }
  }
  const char sign = (static_cast<unsigned char>(bytes[0]) & 0x80U) != 0 ? '\xff' : '\x00';
  return std::string(width - std::min(width, bytes.size()), sign) + bytes;
}

// Whether two specs are the same value, by canonical.hpp's rules.
bool same(const Spec& a, const Spec& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::null: return true;
    case Kind::boolean: return a.flag == b.flag;
    case Kind::integer: {
      const std::size_t width = std::max<std::size_t>({a.bytes.size(), b.bytes.size(), 8}) + 1;
      return widened(a, width) == widened(b, width);
    }
    case Kind::string:
    case Kind::bytes: return a.bytes == b.bytes;
    case Kind::decimal: return *a.decimal == *b.decimal;
    case Kind::money: return *a.money == *b.money;
    case Kind::timestamp: return a.number == b.number;
    case Kind::list:
      return a.items.size() == b.items.size() && std::equal(a.items.begin(), a.items.end(), b.items.begin(), same);
    case Kind::map: {
      if (a.items.size() != b.items.size()) return false;
      std::map<std::string, const Spec*> by_key;
      for (std::size_t i = 0; i < b.items.size(); ++i) by_key.emplace(b.keys[i], &b.items[i]);
      for (std::size_t i = 0; i < a.items.size(); ++i) {
        const auto found = by_key.find(a.keys[i]);
        if (found == by_key.end() || !same(a.items[i], *found->second)) return false;
      }
      return true;
    }
  }
  return false;
}

// The same value written another way.
void rewrite_same(Spec& spec, fuzz::Reader& in) {
  switch (spec.kind) {
    case Kind::integer:
      if (spec.small) {
        spec.bytes = widened(spec, 8 + in.below(4));
        spec.small = false;
      } else {
        spec.bytes = widened(spec, spec.bytes.size() + 1 + in.below(3));
      }
      break;
    case Kind::decimal: {
      const int places = std::min(Decimal::k_max_scale, spec.decimal->scale() + 1 + static_cast<int>(in.below(4)));
      (void)fuzz::completes([&] { spec.decimal = spec.decimal->round(places, RoundingMode::half_even); });
      break;
    }
    case Kind::map:
      std::reverse(spec.keys.begin(), spec.keys.end());
      std::reverse(spec.items.begin(), spec.items.end());
      break;
    default: break;
  }
}

// Usually another value.
void rewrite_other(Spec& spec, fuzz::Reader& in) {
  switch (spec.kind) {
    case Kind::null: spec.kind = Kind::boolean; break;
    case Kind::boolean: spec.flag = !spec.flag; break;
    case Kind::integer:
      if (spec.small) {
        spec.kind = Kind::decimal;  // the same number, but a Decimal never equals an integer
        spec.decimal = Decimal(spec.number);
      } else {
        spec.bytes.back() = static_cast<char>(spec.bytes.back() ^ (1 + in.below(255)));
      }
      break;
    case Kind::string: spec.kind = Kind::bytes; break;
    case Kind::bytes:
      if (spec.bytes.empty() || in.flag()) {
        spec.bytes.push_back(static_cast<char>(in.byte()));
      } else {
        spec.bytes[in.below(spec.bytes.size())] ^= static_cast<char>(1 + in.below(255));
      }
      break;
    case Kind::decimal:
      spec.kind = Kind::string;
      spec.bytes = spec.decimal->to_string();
      break;
    case Kind::money:
      spec.kind = Kind::decimal;
      spec.decimal = spec.money->amount();
      break;
    case Kind::timestamp: spec.number ^= static_cast<std::int64_t>(1 + in.below(255)); break;
    case Kind::list:
      if (spec.items.empty()) {
        spec.kind = Kind::map;
      } else {
        spec.items.pop_back();
      }
      break;
    case Kind::map:
      if (spec.keys.empty()) {
        spec.kind = Kind::list;
      } else {
        spec.keys[in.below(spec.keys.size())] += static_cast<char>(in.byte());
      }
      break;
  }
}

Spec derive(const Spec& from, fuzz::Reader& in) {
  Spec spec = from;
  switch (in.below(4)) {
    case 0: break;
    case 1: rewrite_same(spec, in); break;
    case 2: rewrite_other(spec, in); break;
    default:
      for (Spec& item : spec.items) item = derive(item, in);
      break;
  }
  return spec;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

void check(fuzz::Reader& in) {
  int nodes = 0;
  const Spec a = generate(in, 0, nodes);
  const Spec b = derive(a, in);
  const std::optional<RequestValue> tree_a = build(a);
  const std::optional<RequestValue> tree_b = build(b);
  BILLING_FUZZ_CHECK(tree_a.has_value() == !any_duplicate_key(a));
  BILLING_FUZZ_CHECK(tree_b.has_value() == !any_duplicate_key(b));
  if (!tree_a || !tree_b) return;

  const std::string bytes_a = canonical_encoding(*tree_a);
  const std::string bytes_b = canonical_encoding(*tree_b);
  BILLING_FUZZ_CHECK(canonical_encoding(*build(a)) == bytes_a);  // deterministic
  const RequestValue copy = *tree_a;
  BILLING_FUZZ_CHECK(canonical_encoding(copy) == bytes_a);

  const bool equal_values = same(a, b);
  BILLING_FUZZ_CHECK((bytes_a == bytes_b) == equal_values);
  if (!equal_values) BILLING_FUZZ_CHECK(!starts_with(bytes_a, bytes_b) && !starts_with(bytes_b, bytes_a));
  // Wrapping keeps the verdict: in a list, and as the value of one key.
  const auto wrap = [](const RequestValue& value) {
    return canonical_encoding(RequestValue::list({value, RequestValue::map({{"k", value}})}));
  };
  BILLING_FUZZ_CHECK((wrap(*tree_a) == wrap(*tree_b)) == equal_values);
}

}  // namespace

BILLING_FUZZ_TARGET(canonical) {
  fuzz::Reader in(input);
  BILLING_FUZZ_CHECK(fuzz::completes([&] { check(in); }));
}
