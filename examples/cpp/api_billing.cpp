// The usage-based API billing seed: API keys on a plan with a quota of 10,000 calls a month and a throttle of
// 100 calls a second, usage per key, and graduated pricing tiers. A key is created on the plan, calls go past
// the throttle (RATE_LIMITED) and past the quota (QUOTA_EXCEEDED), and the month is priced from each key's
// usage total. Each allowed call is recorded on the plan's meter in the same unit of work as the quota, so the
// invoice counts exactly the calls that were let through.
// On an embedded SQLite file, with a manual clock so that a second of calls takes no time.
// Run: build/examples/cpp/api_billing
#include <billing/billing.hpp>
#include <billing/format.hpp>
#include <billing/storage/sqlite.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

using namespace billing;
using namespace std::chrono_literals;

namespace {

const Currency usd("USD");

// What the seed's gateway does for each request: the key from the secret (401 without one), then the
// key's plan decides (429 when denied). Usage is kept per key, so the key id is the quota's subject.
std::optional<QuotaDecision> handle(Books& books, std::string_view secret) {
  const std::optional<ApiKey> key = books.api_keys().authenticate(secret);
  if (!key) return std::nullopt;
  return books.quotas().consume({.subject = key->id.str(), .plan = key->plan});
}

std::string duration_text(std::chrono::microseconds d) {
  if (d < 1s) return d % 1ms == 0us ? fmt::format("{} ms", d / 1ms) : fmt::format("{} us", d.count());
  const auto days = d / 24h;
  const auto hours = d % 24h / 1h;
  const auto minutes = d % 1h / 1min;
  const auto seconds = d % 1min / 1s;
  return fmt::format("{} days, {}:{:02}:{:02}.{:06}", days, hours, minutes, seconds, (d % 1s).count());
}

std::string authenticated(Books& books, std::string_view secret) {
  const std::optional<ApiKey> key = books.api_keys().authenticate(secret);
  return key ? fmt::format("{} ({} on {})", key->id, key->subject, key->plan) : "none";
}

std::string tier_label(const ChargeLine& line) {
  return line.up_to ? fmt::format("calls {} to {}", line.start + Decimal(1), *line.up_to)
                    : fmt::format("calls above {}", line.start);
}

// One key's month as invoice lines: a line per tier reached, the plan's flat fee, and the total.
Money print_invoice(const Plan& plan, const ApiKey& key, const Decimal& calls) {
  const Charge usage = plan.charges.at("api_calls").charge(calls);
  const Money fee = plan.flat_fee.value_or(Money::zero(plan.currency));
  fmt::print("{} ({}): {} calls\n", key.id, key.subject, calls);
  for (const ChargeLine& line : usage.lines) {
    fmt::print("  {:<22} {:>6} x {:<6} = {:>10}\n", tier_label(line), line.quantity, line.unit_price, line.amount);
  }
  const Money total = usage.amount + fee;
  fmt::print("  {:<40}{:>10}\n  {:<40}{:>10}\n", "monthly fee", fee, "total", total);
  return total;
}

}  // namespace

int main() {
  const std::string path = (std::filesystem::temp_directory_path() / "billing-api-billing-example.db").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  const Timestamp start = Timestamp::parse("2026-03-28T09:00:00Z");
  auto clock = std::make_shared<ManualClock>(start);
  bool ok = false;
  {
    // synchronous=NORMAL: a power cut may lose the last few counted calls, which a throttle can afford.
    Books books(open_sqlite(path, {.durability = Durability::normal}), clock, std::make_shared<SequentialIds>(""));
    (void)books.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count, .unit = "call"});
    // The first 1,000 calls free, the next 4,000 at 0.002 USD, the rest at 0.001 USD.
    const Price calls_price = Price::graduated({Tier{.up_to = Decimal(1'000), .unit_price = Decimal(0)},
                                                Tier{.up_to = Decimal(5'000), .unit_price = Decimal::parse("0.002")},
                                                Tier{.unit_price = Decimal::parse("0.001")}},
                                               usd);
    const PlanOutcome created = books.plans().create({.code = "api-pro", .currency = usd,
                                                      .flat_fee = Money::parse("29.00 USD"), .quota = 10'000,
                                                      .quota_meter = "api_calls", .rate_per_second = Decimal(100),
                                                      .burst = 100, .charges = {{"api_calls", calls_price}}});
    const Plan& plan = created.plan;
    fmt::print("plan {}: {} a month, {} calls a month, {} calls/s (burst {})\n", plan.code, *plan.flat_fee,
               *plan.quota, *plan.rate_per_second, *plan.burst);

    // The secret is handed to the customer once; only its hash is stored, and only the key id is printed.
    std::vector<NewApiKey> keys;
    for (const char* customer : {"acme", "globex", "initech"}) keys.push_back(books.api_keys().create(customer, "api-pro"));
    for (const NewApiKey& issued : keys) fmt::print("  key {} for {}\n", issued.key.id, issued.key.subject);
    const std::string& acme = keys[0].secret;
    const std::string& globex = keys[1].secret;
    const std::string& initech = keys[2].secret;
    std::string wrong = acme;
    wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
    fmt::print("authenticate acme's secret:  {}\n", authenticated(books, acme));
    fmt::print("authenticate a wrong secret: {}\n", authenticated(books, wrong));
    ok = !books.api_keys().authenticate(wrong);

    // initech makes 300 calls, then its key is revoked.
    for (int i = 0; i < 300; ++i, clock->advance(10ms)) ok = handle(books, initech).value().allowed() && ok;
    const RevokeResult revoked = books.api_keys().revoke(keys[2].key.id);
    fmt::print("initech: 300 calls, then revoke {}: {}; its secret now: {}\n", keys[2].key.id, to_string(revoked),
               authenticated(books, initech));
    ok = ok && revoked == RevokeResult::ok && !handle(books, initech);

    // A burst of 120 calls in one instant: the bucket holds 100.
    int allowed = 0;
    std::optional<QuotaDecision> denied;
    for (int i = 0; i < 120; ++i) {
      const QuotaDecision decision = handle(books, acme).value();
      if (decision.allowed()) ++allowed;
      else if (!denied) denied = decision;
    }
    fmt::print("acme, 120 calls at once: {} allowed, {} {} (retry after {})\n", allowed, 120 - allowed,
               to_string(denied->reason), duration_text(denied->retry_after));
    ok = ok && allowed == 100 && denied->reason == QuotaReason::rate_limited && denied->retry_after == 10ms;

    // Then steady at the throttle's rate, globex at a quarter of it, until acme's quota runs out.
    std::uint64_t acme_allowed = 0;
    std::uint64_t globex_allowed = 0;
    QuotaDecision last{};
    for (std::uint64_t tick = 0;; ++tick) {
      clock->advance(10ms);
      last = handle(books, acme).value();
      if (!last.allowed()) break;
      ++acme_allowed;
      if (tick % 4 == 0 && handle(books, globex).value().allowed()) ++globex_allowed;
    }
    fmt::print("then one call each 10 ms: acme {} more, globex {}\n", acme_allowed, globex_allowed);
    const Timestamp reset = clock->now() + last.retry_after;
    fmt::print("acme's next call at {}: {}, remaining {}\n", clock->now(), to_string(last.reason),
               last.remaining.value_or(0));
    fmt::print("  retry after {} (at {})\n", duration_text(last.retry_after), reset);
    ok = ok && last.reason == QuotaReason::quota_exceeded && reset == next_period_start(PlanInterval::month, start);

    // March is over: the quota starts again with April.
    clock->set(reset);
    const QuotaDecision april = handle(books, acme).value();
    fmt::print("acme on {}: {}, remaining {}\n", reset, to_string(april.reason), april.remaining.value_or(0));

    // Price March from the usage each key recorded in it.
    const Timestamp month_start = period_start(PlanInterval::month, start);
    fmt::print("\ninvoices for {} to {}\n", month_start, reset);
    Money billed = Money::zero(usd);
    for (const NewApiKey& issued : keys) {
      const Decimal calls = books.usage().total("api_calls", issued.key.id.str(), month_start, reset);
      billed += print_invoice(plan, issued.key, calls);
    }
    fmt::print("billed in all: {}\n", billed);
    ok = ok && books.usage().total("api_calls", keys[0].key.id.str(), month_start, reset) == Decimal(10'000);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return ok ? 0 : 1;
}
