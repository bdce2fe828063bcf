#include "billing_run_workload.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "billing/billing_run.hpp"

namespace billing::stress {
namespace {

constexpr std::string_view k_basic_fee = "30.00 USD";
constexpr std::string_view k_pro_fee = "99.00 USD";

// Subscription n's start: January to March, days 1 to 28, at an hour of its own.
struct Start {
  int month = 1;
  int day = 1;
  int hour = 0;
};

Start start_of(int n) { return {.month = 1 + n % 3, .day = 1 + (n / 3) % 28, .hour = (n * 7) % 24}; }

// The start of period `index` (0 for the first) of a subscription that started at `start`: a day of the month
// every month has, so the cycle is that day of each later month at the same hour.
Timestamp period_start(Start start, int index) {
  return Timestamp::parse(fmt::format("2026-{:02}-{:02}T{:02}:00:00Z", start.month + index, start.day, start.hour));
}

std::string subscription_id(int n) { return fmt::format("sub-{:03}", n); }
std::string customer_id(int n) { return fmt::format("cust-{:02}", n % k_billing_customers); }
bool is_pro(int n) { return n % 4 == 0; }

// Every invoice, a page at a time.
std::vector<Invoice> all_invoices(Books& books) {
  std::vector<Invoice> out;
  std::optional<std::string> cursor;
  for (;;) {
    Page<Invoice> page = books.invoices().list(std::nullopt, std::nullopt, cursor, 1'000);
    std::move(page.items.begin(), page.items.end(), std::back_inserter(out));
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

std::vector<Subscription> all_subscriptions(Books& books) {
  std::vector<Subscription> out;
  std::optional<std::string> cursor;
  for (;;) {
    Page<Subscription> page = books.subscriptions().list(std::nullopt, std::nullopt, cursor, 1'000);
    std::move(page.items.begin(), page.items.end(), std::back_inserter(out));
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

// Per invoice id, how many of the entries on the revenue account (every finalisation credits it) carry it.
std::map<std::string, int> entries_by_invoice(Books& books) {
  const AccountId revenue(books.invoices().options().accounts.revenue_prefix + "USD");
  std::map<std::string, int> out;
  EntryQuery query{.limit = 1'000};
  for (;;) {
    const Page<Entry> page = books.ledger().entries(revenue, query);
    for (const Entry& entry : page.items) {
      const auto invoice = entry.metadata.find("invoice_id");
      ++out[invoice == entry.metadata.end() ? std::string("(none)") : invoice->second];
    }
    if (!page.next_cursor) return out;
    query.cursor = *page.next_cursor;
  }
}

// Claims every payment job, and counts them by payload.
std::map<std::string, int> claim_payment_jobs(Books& books) {
  const ClaimRequest request{.kinds = {std::string(k_invoice_payment_kind)}, .worker = "billing-run-check"};
  std::map<std::string, int> out;
  for (;;) {
    const std::vector<Job> jobs = books.jobs().claim_batch(request, k_max_claim_batch);
    for (const Job& job : jobs) ++out[job.payload];
    if (jobs.empty()) return out;
  }
}

std::string payment_payload(const InvoiceId& id) { return fmt::format(R"({{"invoice_id":"{}"}})", id.str()); }

// The invoices: one per due period and none besides; each OPEN, numbered, of its plan's fee, with its entry.
void check_invoices(const std::vector<Invoice>& invoices, const std::vector<DueSubscription>& due) {
  std::map<std::pair<std::string, Timestamp>, std::pair<Timestamp, Money>> expected;  // -> period end, total
  for (std::size_t n = 0; n < due.size(); ++n) {
    const DueSubscription& s = due[n];
    const Money fee = Money::parse(is_pro(static_cast<int>(n)) ? k_pro_fee : k_basic_fee);
    for (std::size_t p = 0; p < s.due_starts.size(); ++p) {
      const Timestamp end = p + 1 < s.due_starts.size() ? s.due_starts[p + 1] : s.next_start;
      expected.emplace(std::pair{s.id.str(), s.due_starts[p]}, std::pair{end, fee});
    }
  }
  std::map<std::pair<std::string, Timestamp>, int> found;
  std::uint64_t not_due = 0;
  for (const Invoice& invoice : invoices) {
    CAPTURE(invoice.id.str());
    REQUIRE(invoice.subscription_id.has_value());
    const std::pair key{invoice.subscription_id->str(), invoice.period_start};
    ++found[key];
    const auto wanted = expected.find(key);
    if (wanted == expected.end()) {
      ++not_due;
      continue;
    }
    CHECK(invoice.period_end == wanted->second.first);
    CHECK(invoice.total == wanted->second.second);
    CHECK(invoice.status == InvoiceStatus::open);
    CHECK(invoice.number.has_value());
    CHECK(invoice.posted_entry == std::optional<EntryId>(EntryId(invoice.id.str() + ":finalize")));
  }
  CHECK(not_due == 0);
  std::uint64_t missing = 0;
  std::uint64_t twice = 0;
  for (const auto& [key, _] : expected) {
    const auto seen = found.find(key);
    if (seen == found.end())
      ++missing;
    else if (seen->second > 1)
      ++twice;
  }
  CHECK(missing == 0);
  CHECK(twice == 0);
  CHECK(invoices.size() == expected.size());
}

void check_numbers(const std::vector<Invoice>& invoices) {
  std::vector<std::uint64_t> numbers;
  for (const Invoice& invoice : invoices) numbers.push_back(invoice.number.value_or(0));
  std::sort(numbers.begin(), numbers.end());
  std::vector<std::uint64_t> gapless(invoices.size());
  std::iota(gapless.begin(), gapless.end(), std::uint64_t{1});
  CHECK(numbers == gapless);
}

void check_entries(Books& books, const std::vector<Invoice>& invoices) {
  const std::map<std::string, int> entries = entries_by_invoice(books);
  std::uint64_t without_one = 0;  // invoices with no entry, or more than one
  for (const Invoice& invoice : invoices) {
    const auto counted = entries.find(invoice.id.str());
    if (counted == entries.end() || counted->second != 1) ++without_one;
    const std::optional<Entry> posted = books.ledger().entry(EntryId(invoice.id.str() + ":finalize"));
    CAPTURE(invoice.id.str());
    REQUIRE(posted.has_value());
    CHECK(posted->metadata.at("invoice_id") == invoice.id.str());
  }
  CHECK(without_one == 0);
  CHECK(entries.size() == invoices.size());  // and none carries another invoice's id, or none at all
}

void check_subscriptions(Books& books, const std::vector<DueSubscription>& due) {
  const Timestamp as_of = Timestamp::parse(k_billing_as_of);
  std::map<std::string, Subscription> stored;
  for (Subscription& s : all_subscriptions(books)) stored.emplace(s.id.str(), std::move(s));
  CHECK(stored.size() == due.size());
  for (const DueSubscription& wanted : due) {
    CAPTURE(wanted.id.str());
    const auto found = stored.find(wanted.id.str());
    REQUIRE(found != stored.end());
    const Subscription& s = found->second;
    CHECK(s.status == SubscriptionStatus::active);
    CHECK(s.period_index == static_cast<std::int64_t>(wanted.due_starts.size()));
    CHECK(s.current_period_start == wanted.next_start);
    CHECK(s.current_period_start <= as_of);
    CHECK(as_of < s.current_period_end);
  }
}

void check_payment_jobs(Books& books, const std::vector<Invoice>& invoices) {
  const std::map<std::string, int> jobs = claim_payment_jobs(books);
  std::uint64_t without_one = 0;
  for (const Invoice& invoice : invoices) {
    const auto counted = jobs.find(payment_payload(invoice.id));
    if (counted == jobs.end() || counted->second != 1) ++without_one;
  }
  CHECK(without_one == 0);
  CHECK(jobs.size() == invoices.size());
  const JobStats stats = books.jobs().stats();
  CHECK(stats.in_flight == invoices.size());  // every job claimed above, and no other
  CHECK(stats.ready + stats.scheduled + stats.dead_lettered == 0);
}

}  // namespace

std::vector<std::string> billing_run_args(const std::string& path, std::size_t limit, const std::string& gate) {
  std::vector<std::string> args{"billing-run", path, std::string(k_billing_as_of), std::to_string(limit)};
  if (!gate.empty()) args.push_back(gate);
  return args;
}

void hear(HeardRun& heard, const std::string& line) {
  std::istringstream words(line);
  std::string word;
  std::uint64_t billed = 0;
  std::uint64_t created = 0;
  std::uint64_t jobs = 0;
  words >> word;
  if (word == "ready") heard.ready = true;
  if (word != "ran" && word != "done") return;
  INFO("the writer said: ", line);
  REQUIRE(static_cast<bool>(words >> billed >> created >> jobs));
  if (word == "ran") {
    ++heard.calls;
    heard.billed += billed;
    heard.created += created;
    heard.jobs += jobs;
  } else {
    heard.done = true;
    CHECK(billed == heard.billed);
    CHECK(created == heard.created);
    CHECK(jobs == heard.jobs);
  }
}

void set_up_billing(Books& books) {
  for (int c = 0; c < k_billing_customers; ++c) {
    const AccountOutcome opened = books.accounts().create(
        {.id = AccountId(customer_id(c)), .currency = Currency("USD"), .name = fmt::format("Customer {}", c)});
    if (opened.result != AccountResult::ok) throw std::runtime_error("cannot open " + customer_id(c));
  }
  for (const auto& [code, fee] : {std::pair{"basic", k_basic_fee}, std::pair{"pro", k_pro_fee}}) {
    if (!books.plans().create({.code = code, .currency = Currency("USD"), .flat_fee = Money::parse(fee)}).ok()) {
      throw std::runtime_error(std::string("cannot create the plan ") + code);
    }
  }
  for (int n = 0; n < k_billing_subscriptions; ++n) {
    const SubscriptionOutcome made = books.subscriptions().create({.id = SubscriptionId(subscription_id(n)),
                                                                   .account_id = AccountId(customer_id(n)),
                                                                   .plan = is_pro(n) ? "pro" : "basic",
                                                                   .start = period_start(start_of(n), 0)});
    if (!made.ok()) throw std::runtime_error("cannot subscribe " + subscription_id(n));
  }
}

std::vector<DueSubscription> due_subscriptions() {
  const Timestamp as_of = Timestamp::parse(k_billing_as_of);
  std::vector<DueSubscription> out;
  for (int n = 0; n < k_billing_subscriptions; ++n) {
    DueSubscription s{.id = SubscriptionId(subscription_id(n))};
    int index = 0;
    while (period_start(start_of(n), index + 1) <= as_of) s.due_starts.push_back(period_start(start_of(n), index++));
    s.next_start = period_start(start_of(n), index);
    out.push_back(std::move(s));
  }
  return out;
}

std::uint64_t due_period_count(const std::vector<DueSubscription>& due) {
  std::uint64_t count = 0;
  for (const DueSubscription& s : due) count += s.due_starts.size();
  return count;
}

BilledCounts count_billed(Books& books) {
  BilledCounts counts{.invoices = all_invoices(books).size()};
  for (const Subscription& s : all_subscriptions(books)) counts.advanced += static_cast<std::uint64_t>(s.period_index);
  const VerifyReport report = books.ledger().verify();
  INFO("verify: ", report.problem);
  CHECK(report.ok);
  counts.entries = report.entries_checked;
  const JobStats stats = books.jobs().stats();
  counts.payment_jobs = stats.ready + stats.scheduled + stats.in_flight + stats.dead_lettered;
  return counts;
}

std::uint64_t check_billed_once(Books& books, const std::vector<DueSubscription>& due) {
  const std::vector<Invoice> invoices = all_invoices(books);
  check_invoices(invoices, due);
  check_numbers(invoices);
  check_entries(books, invoices);
  const VerifyReport report = books.ledger().verify();
  INFO("verify: ", report.problem);
  CHECK(report.ok);
  CHECK(report.entries_checked == invoices.size());
  check_subscriptions(books, due);
  check_payment_jobs(books, invoices);
  return invoices.size();
}

}  // namespace billing::stress
