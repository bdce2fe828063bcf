// The health report printed: a table for people, and JSON whose keys never change (docs/health.md, "JSON").
#include "format.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "../text.hpp"
#include "billing/health.hpp"

namespace billing {
namespace {

// ---------------------------------------------------------------------------------------------- JSON

// `text` as a JSON string. Bytes that are not UTF-8 (a storage error may quote a path) become U+FFFD, so the
// document stays valid whatever the text held; control characters and the two JavaScript line breaks are
// escaped.
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t at = 0; at < text.size();) {
    const std::optional<detail::Utf8Char> c = detail::decode_utf8(text, at);
    if (!c) {
      out += "\\ufffd";
      ++at;
      continue;
    }
    const char32_t code = c->code_point;
    if (code == '"' || code == '\\') {
      out += '\\';
      out += static_cast<char>(code);
    } else if (code < 0x20 || code == 0x2028 || code == 0x2029) {
      out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(code));
    } else {
      out.append(text.substr(at, c->size));
    }
    at += c->size;
  }
  out += '"';
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

template <class T>
std::string json_number(const std::optional<T>& value) {
  return value ? fmt::format("{}", *value) : std::string("null");
}

std::string json_bool(const std::optional<bool>& value) {
  if (!value) return "null";
  return *value ? "true" : "false";
}

// A JSON object written key by key, in the order given.
class JsonObject {
 public:
  JsonObject& raw(std::string_view key, std::string_view value) {
    out_ += out_.size() == 1 ? "" : ",";
    append_json_string(out_, key);
    out_ += ':';
    out_ += value;
    return *this;
  }
  JsonObject& text(std::string_view key, std::string_view value) { return raw(key, json_string(value)); }
  JsonObject& number(std::string_view key, std::uint64_t value) { return raw(key, fmt::format("{}", value)); }
  [[nodiscard]] std::string done() { return std::move(out_) + '}'; }

 private:
  std::string out_ = "{";
};

// An age as whole microseconds; never negative (the report's ages are not).
std::uint64_t micros(std::chrono::microseconds age) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(age.count(), 0));
}

std::string json_checks(const std::vector<HealthCheck>& checks) {
  std::string out = "[";
  for (const HealthCheck& check : checks) {
    if (out.size() > 1) out += ',';
    out += JsonObject()
               .text("name", check.name)
               .text("status", to_string(check.status))
               .text("reason", check.reason)
               .done();
  }
  return out + ']';
}

std::string json_reasons(const std::vector<std::string>& reasons) {
  std::string out = "[";
  for (const std::string& reason : reasons) {
    if (out.size() > 1) out += ',';
    append_json_string(out, reason);
  }
  return out + ']';
}

std::string json_jobs(const std::optional<JobStats>& jobs) {
  const auto field = [&](std::uint64_t JobStats::*member) -> std::optional<std::uint64_t> {
    if (!jobs) return std::nullopt;
    return (*jobs).*member;
  };
  std::optional<std::uint64_t> age;
  if (jobs) age = micros(jobs->oldest_ready_age);
  return JsonObject()
      .raw("ready", json_number(field(&JobStats::ready)))
      .raw("scheduled", json_number(field(&JobStats::scheduled)))
      .raw("in_flight", json_number(field(&JobStats::in_flight)))
      .raw("dead_lettered", json_number(field(&JobStats::dead_lettered)))
      .raw("oldest_ready_age_us", json_number(age))
      .done();
}

std::string json_counters(const HealthCounters& counters) {
  JsonObject rejections;
  for (const auto& [code, count] : counters.rejections) rejections.number(to_string(code), count);
  return JsonObject()
      .number("entries_posted", counters.entries_posted)
      .number("rejections_total", counters.rejections_total())
      .raw("rejections", rejections.done())
      .number("events_recorded", counters.events_recorded)
      .number("event_duplicates", counters.event_duplicates)
      .number("jobs_failed", counters.jobs_failed)
      .number("jobs_dead_lettered", counters.jobs_dead_lettered)
      .done();
}

// ---------------------------------------------------------------------------------------------- table

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
  return out;
}

template <class T>
std::string figure_or_dash(const std::optional<T>& value) {
  return value ? fmt::format("{}", *value) : std::string("-");
}

// The figure a check grades, as the table shows it.
std::string figure(const HealthReport& report, std::string_view check) {
  const std::optional<JobStats>& jobs = report.jobs;
  if (check == "storage") return report.storage_reachable ? "reachable" : "unreachable";
  if (check == "integrity") {
    if (!report.entries_verified || !report.ledger_entries) return "-";
    if (*report.ledger_entries == 0) return "no entries yet";
    return fmt::format("{} newest of {} entries re-hashed", *report.entries_verified, *report.ledger_entries);
  }
  if (!jobs && (check == "ready_jobs" || check == "dead_letters" || check == "oldest_ready_age")) return "-";
  if (check == "ready_jobs")
    return fmt::format("{} ({} scheduled, {} in flight)", jobs->ready, jobs->scheduled, jobs->in_flight);
  if (check == "dead_letters") return fmt::format("{}", jobs->dead_lettered);
  if (check == "oldest_ready_age") return detail::duration_text(jobs->oldest_ready_age);
  if (check == "expired_holds") return figure_or_dash(report.expired_holds);
  if (check == "overdue_invoices") {
    if (!report.overdue_invoices) return "-";
    return fmt::format("{} (open, finalised over {} ago)", *report.overdue_invoices,
                       detail::duration_text(report.invoice_overdue_after));
  }
  return "-";
}

std::string rejections_text(const HealthCounters& counters) {
  std::string out = fmt::format("{}", counters.rejections_total());
  std::string parts;
  for (const auto& [code, count] : counters.rejections) {
    if (count == 0) continue;
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", to_string(code), count);
  }
  return parts.empty() ? out : fmt::format("{} ({})", out, parts);
}

}  // namespace

namespace detail {

std::string duration_text(std::chrono::microseconds age) {
  if (age.count() < 0) return "-" + duration_text(-age);
  constexpr std::int64_t k_second = 1'000'000;
  constexpr std::array<std::pair<std::int64_t, const char*>, 3> k_units{
      {{86'400 * k_second, "d"}, {3'600 * k_second, "h"}, {60 * k_second, "m"}}};
  std::int64_t left = age.count();
  std::string out;
  for (const auto& [size, unit] : k_units) {
    if (left < size) continue;
    out += fmt::format("{}{}{}", out.empty() ? "" : " ", left / size, unit);
    left %= size;
  }
  if (left == 0 && !out.empty()) return out;
  std::string seconds = fmt::format("{}", left / k_second);
  if (const std::int64_t fraction = left % k_second; fraction != 0) {
    std::string digits = fmt::format("{:06}", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    seconds += "." + digits;
  }
  return out + (out.empty() ? "" : " ") + seconds + "s";
}

}  // namespace detail

std::string HealthReport::to_json() const {
  return JsonObject()
      .text("status", to_string(status))
      .text("checked_at", checked_at.to_string())
      .text("counting_since", counting_since.to_string())
      .raw("reasons", json_reasons(reasons()))
      .raw("checks", json_checks(checks))
      .raw("storage", JsonObject()
                          .raw("reachable", json_bool(storage_reachable))
                          .raw("integrity_ok", json_bool(integrity_ok))
                          .raw("ledger_entries", json_number(ledger_entries))
                          .raw("entries_verified", json_number(entries_verified))
                          .done())
      .raw("jobs", json_jobs(jobs))
      .raw("holds", JsonObject().raw("expired", json_number(expired_holds)).done())
      .raw("invoices", JsonObject()
                           .raw("overdue", json_number(overdue_invoices))
                           .number("overdue_after_us", micros(invoice_overdue_after))
                           .done())
      .raw("counters", json_counters(counters))
      .done();
}

std::string HealthReport::to_table() const {
  std::size_t name_width = 5;  // "check"
  std::size_t figure_width = 6;
  std::vector<std::string> figures;
  for (const HealthCheck& check : checks) {
    figures.push_back(figure(*this, check.name));
    name_width = std::max(name_width, check.name.size());
    figure_width = std::max(figure_width, figures.back().size());
  }
  std::string out = fmt::format("health: {} at {}\n", upper(to_string(status)), checked_at.to_string());
  const auto row = [&](std::string_view name, std::string_view grade, std::string_view shown, std::string_view why) {
    std::string line = fmt::format("  {:<{}}  {:<9}  {:<{}}  {}", name, name_width, grade, shown, figure_width, why);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + '\n';
  };
  row("check", "status", "figure", "reason");
  for (std::size_t i = 0; i < checks.size(); ++i) {
    row(checks[i].name, upper(to_string(checks[i].status)), figures[i], checks[i].reason);
  }
  out += fmt::format("counters since {}\n", counting_since.to_string());
  const std::array<std::pair<const char*, std::string>, 6> lines{{
      {"entries_posted", fmt::format("{}", counters.entries_posted)},
      {"rejections", rejections_text(counters)},
      {"events_recorded", fmt::format("{}", counters.events_recorded)},
      {"event_duplicates", fmt::format("{}", counters.event_duplicates)},
      {"jobs_failed", fmt::format("{}", counters.jobs_failed)},
      {"jobs_dead_lettered", fmt::format("{}", counters.jobs_dead_lettered)},
  }};
  for (const auto& [name, value] : lines) out += fmt::format("  {:<18}  {}\n", name, value);
  return out;
}

}  // namespace billing
