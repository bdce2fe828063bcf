// Canonical JSON for plans and prices. Every scalar is a JSON string (decimals in plain notation, normalized,
// so 6.50 and 6.5 encode alike; money as its amount in the plan's currency; enums by their to_string name),
// keys come in one fixed order, and there is no white space. The reader accepts exactly that shape: strings
// without escapes (nothing the writer writes needs one), null, true and false, arrays and objects.
#include "plan_codec.hpp"

#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail {
namespace {

// ---- writing

void quoted(std::string& out, std::string_view text) {
  out += '"';
  out += text;
  out += '"';
}
void key(std::string& out, std::string_view name) {
  if (out.back() != '{') out += ',';
  quoted(out, name);
  out += ':';
}
std::string text_of(const Decimal& value) { return value.normalized().to_string(); }
void field(std::string& out, std::string_view name, const Decimal& value) {
  key(out, name);
  quoted(out, text_of(value));
}
void field(std::string& out, std::string_view name, const std::optional<Money>& value) {
  key(out, name);
  if (value) {
    quoted(out, text_of(value->amount()));
  } else {
    out += "null";
  }
}
void field(std::string& out, std::string_view name, std::string_view text) {
  key(out, name);
  quoted(out, text);
}

void write_tiers(std::string& out, const std::vector<Tier>& tiers) {
  key(out, "tiers");
  out += '[';
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (i > 0) out += ',';
    out += '{';
    key(out, "up_to");
    if (tiers[i].up_to) {
      quoted(out, text_of(*tiers[i].up_to));
    } else {
      out += "null";
    }
    field(out, "unit_price", tiers[i].unit_price);
    field(out, "flat_fee", tiers[i].flat_fee);
    out += '}';
  }
  out += ']';
}

struct TermsWriter {
  std::string& out;
  void operator()(const PerUnitTerms& t) const { field(out, "unit_price", t.unit_price); }
  void operator()(const PackageTerms& t) const {
    field(out, "size", t.size);
    field(out, "price", std::optional<Money>(t.price));
    key(out, "round_up");
    out += t.round_up ? "true" : "false";
    field(out, "free_units", t.free_units);
  }
  void operator()(const GraduatedTerms& t) const { write_tiers(out, t.tiers); }
  void operator()(const VolumeTerms& t) const { write_tiers(out, t.tiers); }
  void operator()(const PercentageTerms& t) const {
    field(out, "rate", t.rate);
    field(out, "fixed_fee", t.fixed_fee);
    field(out, "minimum", t.minimum);
    field(out, "maximum", t.maximum);
  }
  void operator()(const FlatTerms& t) const { field(out, "amount", std::optional<Money>(t.amount)); }
};

void write_price(std::string& out, const Price& price) {
  out += '{';
  field(out, "model", to_string(price.model()));
  field(out, "currency", price.currency().code());
  field(out, "rounding", to_string(price.rounding().mode));
  field(out, "round_at", to_string(price.rounding().at));
  field(out, "period_minimum", price.period_minimum());
  std::visit(TermsWriter{out}, price.terms());
  out += '}';
}

// ---- reading

[[noreturn]] void corrupt(std::string_view why) {
  throw StorageError("plan", fmt::format("the stored plan definition is malformed: {}", why));
}

struct Json {
  enum class Kind : std::uint8_t { null, boolean, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text{};
  std::vector<Json> items{};
  std::vector<std::pair<std::string, Json>> members{};

  const Json& at(std::string_view name) const {
    if (kind != Kind::object) corrupt("an object was expected");
    for (const auto& [k, v] : members) {
      if (k == name) return v;
    }
    corrupt(fmt::format("'{}' is missing", name));
  }
  const std::string& str() const {
    if (kind != Kind::string) corrupt("a string was expected");
    return text;
  }
  bool is_null() const noexcept { return kind == Kind::null; }
};

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  Json document() {
    Json value = parse(0);
    if (pos_ != text_.size()) corrupt("text after the end");
    return value;
  }

 private:
  static constexpr int k_max_depth = 8;

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void expect(char c) {
    if (peek() != c) corrupt(fmt::format("'{}' expected at byte {}", c, pos_));
    ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::string string() {
    expect('"');
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\\' || c < 0x20) corrupt(fmt::format("byte {} is an escape or a control character", pos_));
      ++pos_;
    }
    std::string out(text_.substr(start, pos_ - start));
    expect('"');
    return out;
  }
  Json parse(int depth) {
    if (depth > k_max_depth) corrupt("nested too deep");
    Json value;
    const char c = peek();
    if (c == '"') {
      value.kind = Json::Kind::string;
      value.text = string();
    } else if (c == '[') {
      value.kind = Json::Kind::array;
      ++pos_;
      while (peek() != ']') {
        if (!value.items.empty()) expect(',');
        value.items.push_back(parse(depth + 1));
      }
      ++pos_;
    } else if (c == '{') {
      value.kind = Json::Kind::object;
      ++pos_;
      while (peek() != '}') {
        if (!value.members.empty()) expect(',');
        std::string name = string();
        expect(':');
        value.members.emplace_back(std::move(name), parse(depth + 1));
      }
      ++pos_;
    } else if (literal("null")) {
    } else if (literal("true")) {
      value.kind = Json::Kind::boolean;
      value.boolean = true;
    } else if (literal("false")) {
      value.kind = Json::Kind::boolean;
    } else {
      corrupt(fmt::format("unexpected byte {}", pos_));
    }
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

Decimal decimal(const Json& value) { return Decimal::parse(value.str(), "plan"); }
std::optional<Money> money(const Json& value, Currency currency) {
  if (value.is_null()) return std::nullopt;
  return Money(decimal(value), currency);
}

template <class Enum, std::size_t N>
Enum named(const Json& value, const Enum (&all)[N]) {
  for (const Enum e : all) {
    if (to_string(e) == value.str()) return e;
  }
  corrupt("an unknown name");
}

constexpr PriceModel k_models[] = {PriceModel::per_unit,   PriceModel::package,    PriceModel::graduated,
                                   PriceModel::volume,     PriceModel::percentage, PriceModel::flat};
constexpr RoundAt k_round_ats[] = {RoundAt::line, RoundAt::total};
constexpr PlanInterval k_intervals[] = {PlanInterval::day, PlanInterval::week, PlanInterval::month,
                                        PlanInterval::year};

std::vector<Tier> read_tiers(const Json& value) {
  const Json& list = value.at("tiers");
  if (list.kind != Json::Kind::array) corrupt("tiers is not a list");
  std::vector<Tier> tiers;
  for (const Json& item : list.items) {
    const Json& up_to = item.at("up_to");
    tiers.push_back({.up_to = up_to.is_null() ? std::nullopt : std::optional<Decimal>(decimal(up_to)),
                     .unit_price = decimal(item.at("unit_price")),
                     .flat_fee = decimal(item.at("flat_fee"))});
  }
  return tiers;
}

Price read_terms(const Json& value, PriceModel model, Currency currency) {
  switch (model) {
    case PriceModel::per_unit:
      return Price::per_unit(decimal(value.at("unit_price")), currency);
    case PriceModel::package: {
      const Json& round_up = value.at("round_up");
      if (round_up.kind != Json::Kind::boolean) corrupt("round_up is not a boolean");
      return Price::package(decimal(value.at("size")), *money(value.at("price"), currency),
                            {.round_up = round_up.boolean, .free_units = decimal(value.at("free_units"))});
    }
    case PriceModel::graduated:
      return Price::graduated(read_tiers(value), currency);
    case PriceModel::volume:
      return Price::volume(read_tiers(value), currency);
    case PriceModel::percentage:
      return Price::percentage(decimal(value.at("rate")), currency,
                               {.fixed_fee = money(value.at("fixed_fee"), currency),
                                .minimum = money(value.at("minimum"), currency),
                                .maximum = money(value.at("maximum"), currency)});
    case PriceModel::flat:
      return Price::flat(*money(value.at("amount"), currency));
  }
  corrupt("an unknown model");
}

Price read_price(const Json& value) {
  const Currency currency(value.at("currency").str());
  Price price = read_terms(value, named(value.at("model"), k_models), currency);
  price = price.with_rounding({.mode = named(value.at("rounding"), k_rounding_modes),
                               .at = named(value.at("round_at"), k_round_ats)});
  if (auto minimum = money(value.at("period_minimum"), currency)) price = price.with_minimum(*minimum);
  return price;
}

std::uint64_t count(const Json& value) {
  const std::string& text = value.str();
  if (text.empty() || text.size() > 19) corrupt("a count is out of range");
  std::uint64_t out = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') corrupt("a count is not a number");
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return out;
}

// Whatever a valid-looking document holds, the library's own checks (Price's factories, Money, Currency)
// may still refuse it: that is a damaged row too.
template <class F>
auto guarded(F&& read) {
  try {
    return read();
  } catch (const StorageError&) {
    throw;
  } catch (const Error& e) {
    corrupt(e.what());
  }
}

}  // namespace

std::string encode_price(const Price& price) {
  std::string out;
  write_price(out, price);
  return out;
}

Price decode_price(std::string_view encoded) {
  return guarded([&] { return read_price(Reader(encoded).document()); });
}

std::string encode_plan(const Plan& plan) {
  std::string out = "{";
  field(out, "v", "1");
  field(out, "currency", plan.currency.code());
  field(out, "interval", to_string(plan.interval));
  field(out, "flat_fee", plan.flat_fee);
  key(out, "quota");
  out += plan.quota ? fmt::format("\"{}\"", *plan.quota) : "null";
  key(out, "quota_meter");
  out += plan.quota_meter ? fmt::format("\"{}\"", *plan.quota_meter) : "null";
  key(out, "rate_per_second");
  out += plan.rate_per_second ? fmt::format("\"{}\"", text_of(*plan.rate_per_second)) : "null";
  key(out, "burst");
  out += plan.burst ? fmt::format("\"{}\"", *plan.burst) : "null";
  key(out, "charges");
  out += '{';
  for (const auto& [meter, price] : plan.charges) {
    key(out, meter);
    write_price(out, price);
  }
  out += "}}";
  return out;
}

Plan decode_plan(std::string_view encoded, std::string code, Timestamp created_at) {
  return guarded([&] {
    const Json doc = Reader(encoded).document();
    if (doc.at("v").str() != "1") corrupt("an unknown version");
    const Currency currency(doc.at("currency").str());
    Plan plan{.code = std::move(code), .currency = currency, .created_at = created_at};
    plan.interval = named(doc.at("interval"), k_intervals);
    plan.flat_fee = money(doc.at("flat_fee"), currency);
    if (const Json& q = doc.at("quota"); !q.is_null()) plan.quota = count(q);
    if (const Json& m = doc.at("quota_meter"); !m.is_null()) plan.quota_meter = m.str();
    if (const Json& r = doc.at("rate_per_second"); !r.is_null()) plan.rate_per_second = decimal(r);
    if (const Json& b = doc.at("burst"); !b.is_null()) plan.burst = count(b);
    const Json& charges = doc.at("charges");
    if (charges.kind != Json::Kind::object) corrupt("charges is not an object");
    for (const auto& [meter, price] : charges.members) plan.charges.emplace(meter, read_price(price));
    return plan;
  });
}

}  // namespace billing::detail
