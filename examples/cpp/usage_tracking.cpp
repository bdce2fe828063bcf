// The usage-tracking seed: record (user, usage) events, then read each user's stats and the average usage
// across all users. Every event is written with its raw row and every aggregate it touches in one unit of
// work, so a batch retried after a failure counts each event once: the retry below is all duplicate.
// On an embedded SQLite file, with a manual clock so that the events fall in known hours.
// Run: build/examples/cpp/usage_tracking
#include <billing/billing.hpp>
#include <billing/format.hpp>
#include <billing/storage/sqlite.hpp>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

using namespace billing;
using namespace std::chrono_literals;

namespace {

struct Use {
  const char* user;
  const char* amount;
};
constexpr Use k_usage[] = {{"alice", "12.5"}, {"bob", "3"},  {"alice", "7.25"},
                           {"carol", "40"},   {"bob", "1.75"}, {"alice", "0.5"}};

std::string names(const std::vector<RecordResult>& results) {
  std::string out;
  for (const RecordResult result : results) out += fmt::format("{}{}", out.empty() ? "" : " ", to_string(result));
  return out;
}

std::string or_none(const std::optional<Decimal>& value) { return value ? value->to_string() : "none"; }

}  // namespace

int main() {
  const std::string path = (std::filesystem::temp_directory_path() / "billing-usage-tracking-example.db").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  const Timestamp noon = Timestamp::parse("2026-03-02T12:00:00Z");
  auto clock = std::make_shared<ManualClock>(noon);
  int status = 1;
  {
    Books books(open_sqlite(path), clock);
    (void)books.usage().define_meter({.code = "usage", .aggregation = Aggregation::sum, .unit = "GB"});

    fmt::print("record (user, usage), one event a quarter of an hour apart:\n");
    std::vector<UsageEvent> events;
    for (std::size_t i = 0; i < std::size(k_usage); ++i) {
      events.push_back({.id = fmt::format("evt-{}", i), .meter = "usage", .subject = k_usage[i].user,
                        .quantity = Decimal::parse(k_usage[i].amount),
                        .at = noon - std::chrono::minutes(15 * static_cast<int>(i))});
    }
    const std::vector<RecordResult> results = books.usage().record_batch(events);
    fmt::print("  {}\n", names(results));
    const std::vector<RecordResult> retry = books.usage().record_batch(events);
    fmt::print("  the same batch again: {}\n", names(retry));

    fmt::print("per user:\n");
    std::set<std::string> users;
    for (const Use& use : k_usage) users.insert(use.user);
    for (const std::string& user : users) {
      fmt::print("  {:<6} {:>8} GB\n", user, books.usage().total("usage", user).to_string());
    }
    const UsageStats stats = books.usage().stats("usage");
    fmt::print("across all users: {} users, {} events, {} GB\n", stats.subjects, stats.events, stats.total.to_string());
    fmt::print("  average usage across all users: {} GB\n", or_none(stats.average_per_subject));
    fmt::print("  average per event:              {} GB\n", or_none(stats.average_per_event));

    fmt::print("per hour, every user together:\n");
    for (const UsageBucket& bucket : books.usage().series("usage", noon - 2h, noon, Granularity::hour)) {
      fmt::print("  {} {:>6} GB in {} events\n", bucket.start.to_string(), bucket.value.to_string(), bucket.events);
    }

    fmt::print("cancel evt-3 (carol's 40 GB): {}\n", to_string(books.usage().cancel("evt-3")));
    const UsageStats after = books.usage().stats("usage");
    fmt::print("  now {} users, {} GB, average {} GB\n", after.subjects, after.total.to_string(),
               or_none(after.average_per_subject));
    bool ok = after.subjects == 2;
    for (const RecordResult result : results) ok = ok && result == RecordResult::ok;
    for (const RecordResult result : retry) ok = ok && result == RecordResult::duplicate;
    status = ok ? 0 : 1;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return status;
}
