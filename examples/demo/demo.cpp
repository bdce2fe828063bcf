// The demo: a month of a small API business, end to end, on an embedded SQLite file in the working directory.
//
//   1. plans (a flat fee, graduated usage tiers, a monthly quota), 300 customers, their subscriptions and API keys;
//   2. a month of API traffic: over 1,000,000 usage events in batches, each batch authenticated by its API key,
//      checked against the customer's quota and recorded in one unit of work with it;
//   3. a few orders moved through their status table;
//   4. the billing run on April 1: one invoice per subscription and period, numbered and posted to the ledger;
//   5. collections through the scripted gateway: approvals, declines, transient errors retried on the job queue,
//      dead letters and dunning;
//   6. the invoices, the trial balance, the health report, verify, and a ledger-cli journal to check it with.
//
// Run it again on the same file: every event is a duplicate, every invoice exists, and nothing is billed or
// charged twice. The same flow in Python: examples/demo/demo.py.
//
// Run: build/examples/demo/demo [path (billing-demo.db)] [--events N (at least N events; 1,000,000)]
#include <billing/billing.hpp>
#include <billing/format.hpp>
#include <billing/storage/sqlite.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

using namespace billing;
using namespace std::chrono_literals;

namespace {

const Currency usd("USD");
const Timestamp k_month_start = Timestamp::parse("2026-03-01T00:00:00Z");
const Timestamp k_month_end = Timestamp::parse("2026-04-01T00:00:00Z");
constexpr int k_customers = 300;
constexpr std::uint64_t k_batch = 500;  // calls per request batch

std::string customer_id(int n) { return fmt::format("cus_{:04}", n); }
bool on_growth(int n) { return n % 5 == 0; }   // 60 customers on growth, 240 on starter
bool in_trial(int n) { return n % 10 == 3; }   // 30 start with a 14-day trial
bool no_card(int n) { return n == 7; }         // no payment method on file
bool expired_card(int n) { return n == 11; }   // a card that expired in January

/// The calls a customer makes in a month, before scaling: starter 1,000 to 3,500 (a few go past the 6,000 quota),
/// growth 7,500 to 12,000.
std::uint64_t monthly_calls(int n) {
  if (on_growth(n)) return 7500 + static_cast<std::uint64_t>(n * 37 % 10) * 500;
  if (n % 41 == 0) return 8000;
  return 1000 + static_cast<std::uint64_t>(n * 13 % 6) * 500;
}

Money dollars(const char* amount) { return Money(Decimal::parse(amount), usd); }

// ------------------------------------------------------------------------------------------ output

void heading(std::string_view title) { fmt::print("\n== {}\n", title); }

/// 1040000 as "1,040,000".
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

/// A progress bar on a terminal, and a line every quarter otherwise (a log, a CI job).
class Progress {
 public:
  Progress(std::string label, std::uint64_t total) : label_(std::move(label)), total_(total), tty_(isatty(1) != 0) {}

  void update(std::uint64_t done) {
    const std::uint64_t percent = done * 100 / std::max<std::uint64_t>(total_, 1);
    if (tty_) {
      const std::size_t filled = percent * 40 / 100;
      fmt::print("\r  {} [{}{}] {:3}%  {:>9} of {}", label_, std::string(filled, '#'), std::string(40 - filled, '.'),
                 percent, grouped(done), grouped(total_));
      if (done == total_) fmt::print("\n");
      std::fflush(stdout);
    } else if (percent >= next_line_ || done == total_) {
      fmt::print("  {}: {:3}% ({} of {})\n", label_, percent, grouped(done), grouped(total_));
      next_line_ = percent / 25 * 25 + 25;
    }
  }

 private:
  std::string label_;
  std::uint64_t total_;
  bool tty_;
  std::uint64_t next_line_ = 25;
};

// ------------------------------------------------------------------------------------------ 1. the business

void define_plans(Books& books) {
  (void)books.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count, .unit = "call"});
  (void)books.usage().define_meter({.code = "quota_calls", .aggregation = Aggregation::sum, .unit = "call"});
  // Graduated: the first `free` calls cost nothing, then `rate` up to `up_to`, then `beyond`.
  const auto tiers = [](const char* free, const char* up_to, const char* rate, const char* beyond) {
    return Price::graduated({Tier{.up_to = Decimal::parse(free), .unit_price = Decimal(0)},
                             Tier{.up_to = Decimal::parse(up_to), .unit_price = Decimal::parse(rate)},
                             Tier{.unit_price = Decimal::parse(beyond)}},
                            usd);
  };
  (void)books.plans().create({.code = "starter", .currency = usd, .flat_fee = dollars("19.00"), .quota = 6000,
                              .quota_meter = "quota_calls", .charges = {{"api_calls", tiers("1000", "5000", "0.002", "0.001")}}});
  (void)books.plans().create({.code = "growth", .currency = usd, .flat_fee = dollars("99.00"), .quota = 40000,
                              .quota_meter = "quota_calls",
                              .charges = {{"api_calls", tiers("10000", "25000", "0.0015", "0.0008")}}});
}

/// Opens the customers and their subscriptions (both idempotent by id), and gives each customer a fresh API
/// key, revoking the one a previous run gave (the secret is shown once, so a rerun rotates keys). Returns the
/// secrets, by customer number; reports whether the customers existed already.
std::vector<std::string> open_customers(Books& books, bool& existed) {
  existed = false;
  std::vector<std::string> secrets(k_customers + 1);
  for (int n = 1; n <= k_customers; ++n) {
    const std::string id = customer_id(n);
    const AccountOutcome opened =
        books.accounts().create({.id = AccountId(id), .currency = usd, .name = fmt::format("Customer {:04}", n)});
    existed = existed || opened.result == AccountResult::exists;
    (void)books.subscriptions().create({.id = SubscriptionId("sub_" + id.substr(4)),
                                        .account_id = AccountId(id),
                                        .plan = on_growth(n) ? "growth" : "starter",
                                        .start = k_month_start,
                                        .trial_days = in_trial(n) ? 14u : 0u});
    for (const ApiKey& old : books.api_keys().list(id).items) {
      if (old.status == ApiKeyStatus::active) (void)books.api_keys().revoke(old.id);
    }
    secrets[static_cast<std::size_t>(n)] = books.api_keys().create(id, on_growth(n) ? "growth" : "starter").secret;
  }
  return secrets;
}

// ------------------------------------------------------------------------------------------ 2. the traffic

struct Traffic {
  std::uint64_t recorded = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t over_quota = 0;  // calls refused with QUOTA_EXCEEDED
  std::uint64_t unauthorized = 0;
};

struct Batch {
  int customer = 0;
  int serial = 0;  // the customer's n-th batch
  std::uint64_t calls = 0;
};

/// Every customer's month as batches of k_batch calls, interleaved so that the month's traffic is spread evenly;
/// scaled to about `events` calls in all.
std::vector<Batch> schedule(std::uint64_t events) {
  std::uint64_t natural = 0;
  for (int n = 1; n <= k_customers; ++n) natural += monthly_calls(n);
  std::vector<std::vector<Batch>> per_customer(k_customers + 1);
  std::size_t longest = 0;
  for (int n = 1; n <= k_customers; ++n) {
    const std::uint64_t share = (monthly_calls(n) * events + natural - 1) / natural;  // rounded up, so >= events
    const std::uint64_t calls = std::max<std::uint64_t>(1, (share + k_batch - 1) / k_batch) * k_batch;
    for (std::uint64_t i = 0; i < calls / k_batch; ++i) {
      per_customer[static_cast<std::size_t>(n)].push_back({n, static_cast<int>(i), k_batch});
    }
    longest = std::max(longest, per_customer[static_cast<std::size_t>(n)].size());
  }
  std::vector<Batch> batches;
  for (std::size_t round = 0; round < longest; ++round) {
    for (int n = 1; n <= k_customers; ++n) {
      const auto& mine = per_customer[static_cast<std::size_t>(n)];
      if (round < mine.size()) batches.push_back(mine[round]);
    }
  }
  return batches;
}

/// One request batch at the API's edge: the key from the secret (401 without one), then the quota for the whole
/// batch and the batch's events in one unit of work, so that a batch counts against the quota exactly when its
/// events are recorded. A retried batch (the same request id and event ids) consumes and records nothing again.
void handle(Books& books, const std::string& secret, const Batch& batch, Timestamp at, Traffic& traffic) {
  const std::optional<ApiKey> key = books.api_keys().authenticate(secret);
  if (!key) {
    traffic.unauthorized += batch.calls;
    return;
  }
  std::vector<UsageEvent> events;
  events.reserve(batch.calls);
  for (std::uint64_t i = 0; i < batch.calls; ++i) {
    events.push_back({.id = fmt::format("evt_{}_{}_{}", key->subject, batch.serial, i),
                      .meter = "api_calls",
                      .subject = key->subject,
                      .quantity = Decimal(1),
                      .at = at + std::chrono::microseconds(i)});
  }
  auto work = books.transaction();
  const QuotaDecision decision = books.quotas().consume({.subject = key->subject, .plan = key->plan,
                                                         .units = batch.calls,
                                                         .request_id = fmt::format("batch_{}", batch.serial)});
  if (!decision.allowed()) {
    traffic.over_quota += batch.calls;
    return;  // rolls back: nothing consumed, nothing recorded
  }
  for (const RecordResult result : books.usage().record_batch(events)) {
    (result == RecordResult::ok ? traffic.recorded : traffic.duplicates) += 1;
  }
  work->commit();
}

Traffic simulate(Books& books, ManualClock& clock, const std::vector<std::string>& secrets, std::uint64_t events) {
  const std::vector<Batch> batches = schedule(events);
  std::uint64_t total = 0;
  for (const Batch& b : batches) total += b.calls;
  Progress progress("usage events", total);
  Traffic traffic;
  const auto month = k_month_end - k_month_start;
  std::uint64_t done = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const Timestamp at = k_month_start + month * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(batches.size());
    clock.set(at);
    handle(books, secrets[static_cast<std::size_t>(batches[i].customer)], batches[i], at, traffic);
    done += batches[i].calls;
    if (i % 20 == 0 || i + 1 == batches.size()) progress.update(done);
  }
  // A stolen key's request, for the record: refused before it reaches the quota.
  handle(books, "bk_live_not_a_key", {.customer = 0, .serial = 0, .calls = 1}, k_month_end - 1s, traffic);
  return traffic;
}

// ------------------------------------------------------------------------------------------ 3. orders

void move_orders(Books& books) {
  struct Story {
    const char* id;
    const char* customer;
    std::vector<OrderStatus> moves;
  };
  const std::vector<Story> stories = {
      {"ord_0001", "Ada Lovelace", {OrderStatus::processing, OrderStatus::completed}},
      {"ord_0002", "Grace Hopper", {OrderStatus::processing, OrderStatus::completed}},
      {"ord_0003", "Alan Turing", {OrderStatus::cancelled}},
      {"ord_0004", "Edsger Dijkstra", {OrderStatus::processing}},
      {"ord_0005", "Barbara Liskov", {}},
  };
  for (const Story& story : stories) {
    OrderOutcome order = books.orders().create(
        {.id = OrderId(story.id), .customer_name = story.customer,
         .customer_email = fmt::format("{}@example.com", std::string_view(story.id).substr(4)),
         .lines = {{.item = "Support plan, 1 year", .quantity = 1, .unit_price = dollars("480.00")},
                   {.item = "Onboarding hours", .quantity = 3, .unit_price = dollars("150.00")}}});
    if (order.result != OrderResult::ok) {
      fmt::print("  {} {:<16} {:>10}  {} (placed and moved by an earlier run)\n", story.id, story.customer,
                 order.order->total, to_string(order.order->status));
      continue;
    }
    std::string path(to_string(order.order->status));
    for (const OrderStatus to : story.moves) {
      const OrderOutcome moved = books.orders().transition(order.order->id, to, order.order->version, "demo");
      if (moved.ok()) order = moved;
      path += moved.ok() ? fmt::format(" -> {}", to_string(to)) : fmt::format(" (-> {}: {})", to_string(to),
                                                                              to_string(moved.result));
    }
    fmt::print("  {} {:<16} {:>10}  {}\n", story.id, story.customer, order.order->total, path);
  }
}

// ------------------------------------------------------------------------------------------ 5. collections

/// The scripted gateway's answers, in the order charges arrive: the first round charges every invoice once
/// (every 23rd declined, every 17th an error, one timeout); the errors' first retries (one in three fails again);
/// their second retries (all fail: dead letters).
ScriptedGateway make_gateway(std::size_t invoices) {
  std::vector<ScriptStep> script;
  std::size_t errors = 0;
  for (std::size_t i = 0; i < invoices; ++i) {
    const ScriptStep step = i % 23 == 5 ? ScriptStep::decline
                            : i % 17 == 9 ? ScriptStep::error
                            : i == 42     ? ScriptStep::timeout
                                          : ScriptStep::approve;
    errors += step == ScriptStep::error ? 1 : 0;
    script.push_back(step);
  }
  std::size_t again = 0;
  for (std::size_t i = 0; i < errors; ++i) {
    const bool fails = i % 3 == 0;
    again += fails ? 1 : 0;
    script.push_back(fails ? ScriptStep::error : ScriptStep::approve);
  }
  for (std::size_t i = 0; i < again; ++i) script.push_back(ScriptStep::error);
  return ScriptedGateway(std::move(script));
}

std::optional<PaymentMethodOnFile> card_on_file(const Invoice& invoice) {
  const int n = std::atoi(invoice.account_id.str().c_str() + 4);
  if (no_card(n)) return std::nullopt;
  return PaymentMethodOnFile{.card_number = "4242 4242 4242 4242", .expiry_month = expired_card(n) ? "1" : "12",
                             .expiry_year = expired_card(n) ? "2026" : "2030", .cvc = "123",
                             .email = fmt::format("billing@customer-{:04}.example.com", n)};
}

void print_round(std::string_view name, const CollectionReport& r) {
  fmt::print("  {:<26} jobs {:>3}  new payments {:>3}  retries {:>3}  paid {:>3}  retrying {:>3}  dunned {:>3}  "
             "unknown {:>2}\n",
             name, r.jobs, r.payments_created, r.retries, r.paid, r.retrying, r.dunned, r.unknown);
  for (std::size_t i = 0; i < r.skipped.size() && i < 3; ++i) {
    fmt::print("      {}: {}\n", r.skipped[i].invoice_id, r.skipped[i].reason);
  }
  if (r.skipped.size() > 3) fmt::print("      ... and {} more\n", r.skipped.size() - 3);
}

void collect(Books& books, ManualClock& clock, std::size_t invoices) {
  ScriptedGateway gateway = make_gateway(invoices);
  books.payments().configure({.max_attempts = 3, .base_delay = 10min, .max_delay = 1h});
  clock.set(k_month_end + 1h);
  print_round("first charges", books.collections().run(gateway, card_on_file));
  const std::vector<PaymentOutcome> reconciled = books.payments().reconcile(gateway);
  fmt::print("  {:<26} {} payment(s) whose answer was lost, looked up: {}\n", "reconcile", reconciled.size(),
             reconciled.empty() ? "none" : to_string(reconciled.front().payment->status));
  clock.advance(2h);
  print_round("retries, 2 hours later", books.collections().run(gateway, card_on_file));
  clock.advance(2h);
  print_round("retries, 4 hours later", books.collections().run(gateway, card_on_file));
  fmt::print("  gateway: {} charges sent, {} taken\n", gateway.charge_calls(), gateway.charges().size());
}

// ------------------------------------------------------------------------------------------ 6. reports

void print_invoices(Books& books) {
  std::map<InvoiceStatus, std::pair<std::size_t, Money>> by_status;
  std::vector<Invoice> all;
  for (std::optional<std::string> cursor;;) {
    const Page<Invoice> page = books.invoices().list(std::nullopt, std::nullopt, cursor, 1000);
    all.insert(all.end(), page.items.begin(), page.items.end());
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  std::sort(all.begin(), all.end(), [](const Invoice& a, const Invoice& b) { return a.number < b.number; });
  fmt::print("  {:<11} {:<9} {:<10} {:>8} {:>10} {:>10}  {}\n", "number", "customer", "period", "calls", "usage",
             "total", "status");
  std::size_t shown = 0;
  for (const Invoice& invoice : all) {
    auto [at, fresh] = by_status.try_emplace(invoice.status, 0, Money::zero(usd));
    at->second.first += 1;
    at->second.second += invoice.total;
    const bool interesting = invoice.status != InvoiceStatus::paid;
    if (shown >= 14 || (shown >= 8 && !interesting)) continue;
    ++shown;
    Decimal calls(0);
    Money usage = Money::zero(usd);
    for (const InvoiceLine& line : invoice.lines) {
      if (line.kind != InvoiceLineKind::usage) continue;
      calls = line.quantity;
      usage = line.amount;
    }
    fmt::print("  {:<11} {:<9} {:<10} {:>8} {:>10} {:>10}  {}\n",
               invoice.number ? invoice_number(*invoice.number) : "-", invoice.account_id,
               invoice.period_start.to_string().substr(0, 10), calls, usage, invoice.total, to_string(invoice.status));
  }
  fmt::print("  ... {} invoices in all:", all.size());
  for (const auto& [status, tally] : by_status) fmt::print("  {} {} ({})", tally.first, to_string(status), tally.second);
  fmt::print("\n");
}

void print_trial_balance(Books& books) {
  // Customers in one line (300 accounts); every other account on its own.
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> rows;
  for (std::string cursor;;) {
    const Page<Account> page = books.accounts().list(std::nullopt, cursor, 1000);
    for (const Account& account : page.items) {
      const AccountBalance balance = *books.ledger().balance(account.id);
      const bool customer = account.id.str().starts_with("cus_");
      auto& row = rows[customer ? "customers (receivable, 300 accounts)" : account.id.str()];
      row.first += balance.totals.debits_posted;
      row.second += balance.totals.credits_posted;
    }
    if (!page.next_cursor) break;
    cursor = *page.next_cursor;
  }
  std::int64_t debits = 0;
  std::int64_t credits = 0;
  fmt::print("  {:<38} {:>14} {:>14}\n", "account", "debits", "credits");
  for (const auto& [name, totals] : rows) {
    if (totals.first == 0 && totals.second == 0) continue;
    fmt::print("  {:<38} {:>14} {:>14}\n", name, Money(Decimal::from_coefficient(totals.first, 2), usd),
               Money(Decimal::from_coefficient(totals.second, 2), usd));
    debits += totals.first;
    credits += totals.second;
  }
  fmt::print("  {:<38} {:>14} {:>14}  {}\n", "total", Money(Decimal::from_coefficient(debits, 2), usd),
             Money(Decimal::from_coefficient(credits, 2), usd), debits == credits ? "balanced" : "NOT BALANCED");
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "billing-demo.db";
  std::uint64_t events = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--events" && i + 1 < argc) {
      events = std::strtoull(argv[++i], nullptr, 10);
    } else {
      path = arg;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  auto clock = std::make_shared<ManualClock>(k_month_start);
  Books books(open_sqlite(path), clock);
  fmt::print("billing demo on {} (SQLite), simulating March 2026\n", path);

  heading("1. plans, customers, subscriptions, API keys");
  define_plans(books);
  bool rerun = false;
  const std::vector<std::string> secrets = open_customers(books, rerun);
  fmt::print("  plans starter ($19/month, 6,000 calls) and growth ($99/month, 40,000 calls), graduated usage tiers\n");
  fmt::print("  {} customers, {} subscriptions ({} in a 14-day trial), {} API keys{}\n", k_customers, k_customers,
             k_customers / 10, k_customers, rerun ? " (rotated: this file was set up by an earlier run)" : "");

  heading("2. a month of API traffic");
  const Traffic traffic = simulate(books, *clock, secrets, events);
  fmt::print("  recorded {}, duplicates {} (a retried batch, or a rerun, counts once), over quota {}, "
             "unauthorized {}\n",
             grouped(traffic.recorded), grouped(traffic.duplicates), grouped(traffic.over_quota),
             grouped(traffic.unauthorized));

  heading("3. orders");
  move_orders(books);

  heading("4. the billing run, April 1");
  clock->set(k_month_end);
  const BillingReport billed = books.billing().run(k_month_end);
  fmt::print("  periods billed {}, invoices created {}, trials ended {}, payment jobs {}, total {}\n",
             billed.subscriptions_billed, billed.invoices_created, billed.trials_ended, billed.payment_jobs,
             billed.totals.contains("USD") ? billed.totals.at("USD") : Money::zero(usd));
  for (const BillingSkip& skip : billed.skipped) fmt::print("  skipped {}: {}\n", skip.subscription_id, skip.reason);

  heading("5. collections through the scripted gateway");
  collect(books, *clock, billed.invoices_created);

  heading("6. invoices");
  print_invoices(books);
  heading("trial balance");
  print_trial_balance(books);
  heading("health");
  fmt::print("{}", books.health().report().to_table());
  heading("verify");
  const VerifyReport verified = books.ledger().verify();
  fmt::print("  {}: {} entries, {} postings, {} accounts checked{}\n", verified.ok ? "ok" : "BROKEN",
             verified.entries_checked, verified.postings_checked, verified.accounts_checked,
             verified.ok ? "" : ": " + verified.problem);
  const std::string journal = path + ".ledger";
  std::ofstream(journal) << books.ledger().export_journal(ExportFormat::ledger);
  fmt::print("  ledger-cli journal: {}\n  check it: ledger -f {} bal\n", journal, journal);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool billed_twice = rerun && (billed.invoices_created != 0 || traffic.recorded != 0);
  fmt::print("\n{} in {:.1f} s.{}\n", billed_twice ? "FAILED: a rerun billed again" : "done", seconds,
             rerun ? " This file was billed before: nothing was recorded, billed or charged twice." : "");
  return verified.ok && !billed_twice ? 0 : 1;
}
