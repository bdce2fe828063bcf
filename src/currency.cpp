#include "billing/currency.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "text.hpp"

namespace billing {
namespace {

struct IsoRow {
  const char* code;
  int numeric;
  int minor_units;
  const char* name;
};

constexpr IsoRow k_iso_rows[] = {
#include "iso4217_table.inc"
};

// Sorted by code, built once; never changes, so it is read without a lock.
const std::vector<detail::CurrencyRecord>& iso_records() {
  static const auto records = [] {
    std::vector<detail::CurrencyRecord> out;
    out.reserve(std::size(k_iso_rows));
    for (const IsoRow& row : k_iso_rows) out.push_back({row.code, row.numeric, row.minor_units, row.name, true});
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
    return out;
  }();
  return records;
}

const detail::CurrencyRecord* find_iso(std::string_view code) noexcept {
  const auto& records = iso_records();
  const auto it = std::lower_bound(records.begin(), records.end(), code,
                                   [](const detail::CurrencyRecord& r, std::string_view c) { return r.code < c; });
  return it != records.end() && it->code == code ? &*it : nullptr;
}

// Registered units. A deque never moves its elements, so handles stay valid as it grows.
struct Registry {
  std::shared_mutex mutex;
  std::deque<detail::CurrencyRecord> records;
  std::map<std::string, const detail::CurrencyRecord*, std::less<>> by_code;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

bool valid_unit_code(std::string_view code) {
  if (code.size() < 2 || code.size() > 16 || code[0] < 'A' || code[0] > 'Z') return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

// A code as an error message may quote it: only when it could be a code at all, so that a long or binary
// string given by mistake is never copied into a message.
std::string quoted(std::string_view code) {
  const bool plain =
      code.size() <= 16 && std::all_of(code.begin(), code.end(), [](char c) { return c > ' ' && c <= '~'; });
  return plain ? fmt::format("'{}'", code) : fmt::format("a {}-byte text", code.size());
}

}  // namespace

Currency::Currency(std::string_view code) {
  const auto found = find(code);
  if (!found) {
    throw UnknownCurrency("currency", fmt::format("{} is not an ISO 4217 code or a registered unit", quoted(code)));
  }
  record_ = found->record_;
}

std::optional<Currency> Currency::find(std::string_view code) noexcept {
  if (const auto* iso = find_iso(code)) return Currency(iso);
  Registry& reg = registry();
  std::shared_lock lock(reg.mutex);
  const auto it = reg.by_code.find(code);
  if (it == reg.by_code.end()) return std::nullopt;
  return Currency(it->second);
}

Currency Currency::register_unit(std::string_view code, int minor_units, std::string_view name) {
  if (!valid_unit_code(code)) {
    throw InvalidArgument(
        "code", fmt::format("{} is not 2-16 characters of A-Z, 0-9 and _ starting with a letter", quoted(code)));
  }
  if (find_iso(code) != nullptr) {
    throw InvalidArgument("code", fmt::format("'{}' is an ISO 4217 currency and cannot be registered", code));
  }
  if (minor_units < 0 || minor_units > k_max_minor_units) {
    throw InvalidArgument("minor_units", fmt::format("{} is outside 0..{}", minor_units, k_max_minor_units));
  }
  detail::validate_name(name, "name", k_max_name_bytes);

  Registry& reg = registry();
  std::unique_lock lock(reg.mutex);
  if (const auto it = reg.by_code.find(code); it != reg.by_code.end()) {
    const detail::CurrencyRecord& existing = *it->second;
    if (existing.minor_units != minor_units || existing.name != name) {
      throw InvalidArgument("code", fmt::format("'{}' is already registered with {} places as '{}'", code,
                                                existing.minor_units, existing.name));
    }
    return Currency(&existing);
  }
  if (reg.records.size() >= k_max_registered_units) {
    throw InvalidArgument("code", fmt::format("{} units are registered already, the most one process may register",
                                              k_max_registered_units));
  }
  const auto& record =
      reg.records.emplace_back(detail::CurrencyRecord{std::string(code), 0, minor_units, std::string(name), false});
  reg.by_code.emplace(record.code, &record);
  return Currency(&record);
}

std::vector<Currency> currencies() {
  std::vector<Currency> out;
  for (const auto& record : iso_records()) out.push_back(Currency(record.code));
  Registry& reg = registry();
  std::shared_lock lock(reg.mutex);
  for (const auto& record : reg.records) out.push_back(Currency(record.code));
  return out;
}

}  // namespace billing
