#include "rows.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail {
namespace {

// ------------------------------------------------------------------------------------------ metadata

constexpr char k_hex_digits[] = "0123456789abcdef";

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied; copied in runs, not one by one
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.data() + run, i - run);
    if (byte == '"' || byte == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(byte));
    } else {
      out.append("\\u00");
      out.push_back(k_hex_digits[byte >> 4]);
      out.push_back(k_hex_digits[byte & 0xf]);
    }
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

class MetadataReader {
 public:
  MetadataReader(std::string_view json, std::string_view what) : json_(json), what_(what) {}

  Metadata read() {
    Metadata out;
    skip_space();
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
    } else {
      for (;;) {
        skip_space();
        std::string key = read_string();
        skip_space();
        expect(':');
        skip_space();
        std::string value = read_string();
        if (!out.emplace(std::move(key), std::move(value)).second) fail("a key appears twice");
        skip_space();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != json_.size()) fail("text after the object");
    return out;
  }

 private:
  [[noreturn]] void fail(std::string_view why) const {
    throw StorageError("", fmt::format("{} has malformed metadata at byte {}: {}", what_, pos_, why));
  }

  [[nodiscard]] char peek() const noexcept { return pos_ < json_.size() ? json_[pos_] : '\0'; }

  void expect(char wanted) {
    if (peek() != wanted || pos_ >= json_.size()) fail(fmt::format("expected '{}'", wanted));
    ++pos_;
  }

  void skip_space() noexcept {
    while (pos_ < json_.size() &&
           (json_[pos_] == ' ' || json_[pos_] == '\t' || json_[pos_] == '\n' || json_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::string read_string() {
    if (peek() != '"') fail("expected a string (metadata keys and values are strings)");
    ++pos_;
    std::string out;
    for (;;) {
      const std::size_t run = pos_;
      while (pos_ < json_.size() && json_[pos_] != '"' && json_[pos_] != '\\' &&
             static_cast<unsigned char>(json_[pos_]) >= 0x20) {
        ++pos_;
      }
      out.append(json_.data() + run, pos_ - run);
      if (pos_ >= json_.size()) fail("unterminated string");
      const char c = json_[pos_++];
      if (c == '"') return out;
      if (c != '\\') fail("a control character inside a string");
      read_escape(out);
    }
  }

  void read_escape(std::string& out) {
    if (pos_ >= json_.size()) fail("unterminated escape");
    const char c = json_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/': out.push_back(c); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': append_utf8(out, read_code_point()); return;
      default: fail("an unknown escape");
    }
  }

  // After "\u": one code point, joining a surrogate pair written as two escapes.
  std::uint32_t read_code_point() {
    const std::uint32_t unit = read_hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) fail("a low surrogate without a high one");
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    if (json_.substr(pos_, 2) != "\\u") fail("a high surrogate without a low one");
    pos_ += 2;
    const std::uint32_t low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail("a high surrogate without a low one");
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  std::uint32_t read_hex4() {
    if (pos_ + 4 > json_.size()) fail("a \\u escape needs four hex digits");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = json_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("a \\u escape needs four hex digits");
      }
    }
    return value;
  }

  static void append_utf8(std::string& out, std::uint32_t code_point) {
    const auto put = [&out](std::uint32_t byte) { out.push_back(static_cast<char>(byte)); };
    if (code_point < 0x80) {
      put(code_point);
    } else if (code_point < 0x800) {
      put(0xC0 | (code_point >> 6));
      put(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
      put(0xE0 | (code_point >> 12));
      put(0x80 | ((code_point >> 6) & 0x3F));
      put(0x80 | (code_point & 0x3F));
    } else {
      put(0xF0 | (code_point >> 18));
      put(0x80 | ((code_point >> 12) & 0x3F));
      put(0x80 | ((code_point >> 6) & 0x3F));
      put(0x80 | (code_point & 0x3F));
    }
  }

  std::string_view json_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

}  // namespace

void throw_corrupt(std::string_view what, std::string_view why) {
  throw StorageError("", fmt::format("the database holds an invalid {}: {}", what, why));
}

Hash load_hash(std::span<const std::uint8_t> bytes, std::string_view what) {
  Hash hash{};
  if (bytes.size() != hash.size()) throw_corrupt(what, fmt::format("{} bytes instead of 32", bytes.size()));
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

Currency CurrencyLookup::operator()(std::string_view code) {
  if (last_ && last_->code() == code) return *last_;
  last_ = Currency::find(code);
  if (!last_) {
    throw StorageError("currency", fmt::format("the database uses currency '{}', which is neither ISO 4217 nor "
                                               "registered in this process; register the unit with "
                                               "Currency::register_unit before loading it",
                                               code));
  }
  return *last_;
}

Currency CurrencyLookup::operator()(std::string_view code, std::int64_t places) {
  const Currency currency = (*this)(code);
  if (places != currency.minor_units()) {
    throw StorageError("currency", fmt::format("the database stores {} with {} places, but this process has it with "
                                               "{}; its amounts would be misread",
                                               currency.code(), places, currency.minor_units()));
  }
  return currency;
}

Decimal load_decimal(std::string_view text, std::string_view what) {
  std::optional<Decimal> value;
  try {
    value = Decimal::parse(text, what);
  } catch (const Error& e) {
    throw_corrupt(what, e.what());
  }
  if (value->to_string() != text) throw_corrupt(what, "a decimal not in the plain form the library writes");
  return *value;
}

void encode_metadata(const Metadata& metadata, std::string& out) {
  out.clear();
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : metadata) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, value);
  }
  out.push_back('}');
}

Metadata decode_metadata(std::string_view json, std::string_view what) { return MetadataReader(json, what).read(); }

}  // namespace billing::detail
