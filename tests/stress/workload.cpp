#include "workload.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace billing::stress {
namespace {

constexpr int k_kill_accounts = 4;

// SplitMix64: a good spread from consecutive inputs, the same on every platform.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

Money usd(std::int64_t minor) { return Money::from_minor(minor, Currency("USD")); }

void open(Books& books, AccountRequest request) {
  const std::string id = request.id->str();
  const auto outcome = books.accounts().create(request);
  if (outcome.result != AccountResult::ok) throw std::runtime_error("cannot open account " + id);
}

}  // namespace

PlannedTransfer plan_transfer(std::string_view id_prefix, int worker, int n) {
  const std::uint64_t r = mix((static_cast<std::uint64_t>(worker) << 32U) | static_cast<std::uint32_t>(n));
  const auto pick = static_cast<int>(r % 100);
  const auto amount_minor = static_cast<std::int64_t>((r >> 8U) % 900) + 100;  // 1.00 to 9.99
  PlannedTransfer planned{.request = {.id = EntryId(fmt::format("{}{}-{}", id_prefix, worker, n)),
                                      .debit = AccountId("cash"),
                                      .credit = AccountId("cash"),
                                      .amount = usd(amount_minor)}};
  TransferRequest& t = planned.request;
  const AccountId mine(fmt::format("plain-{}", worker));
  if (pick < 48) {
    planned.flow = Flow::hot_spend;
    t.debit = AccountId(std::string(k_hot_wallet));
    t.credit = AccountId("merchant");
  } else if (pick < 80) {
    planned.flow = Flow::hot_deposit;
    t.credit = AccountId(std::string(k_hot_wallet));
    t.amount = usd(amount_minor / 2);  // deposits are smaller than spends: the wallet drains to its limit
  } else if (pick < 92) {
    planned.flow = Flow::plain;
    t.debit = n % 2 == 0 ? mine : AccountId("pool");
    t.credit = n % 2 == 0 ? AccountId("pool") : mine;
  } else {
    planned.flow = Flow::euro;
    t.debit = AccountId(n % 2 == 0 ? "eur-a" : "eur-b");
    t.credit = AccountId(n % 2 == 0 ? "eur-b" : "eur-a");
    t.amount = Money::from_minor(amount_minor, Currency("EUR"));
  }
  return planned;
}

void open_accounts(Books& books, int workers) {
  const Currency usd_code("USD");
  open(books, {.id = AccountId(std::string(k_hot_wallet)),
               .currency = usd_code,
               .name = "Hot wallet",
               .normal_side = Side::credit,
               .debits_must_not_exceed_credits = true,
               .limit = usd(k_hot_limit_minor)});
  open(books, {.id = AccountId("cash"), .currency = usd_code, .name = "Cash"});
  open(books, {.id = AccountId("merchant"), .currency = usd_code, .name = "Merchant", .normal_side = Side::credit});
  open(books, {.id = AccountId("pool"), .currency = usd_code, .name = "Pool"});
  for (int w = 0; w < workers; ++w) {
    open(books, {.id = AccountId(fmt::format("plain-{}", w)), .currency = usd_code, .name = "Plain"});
  }
  open(books, {.id = AccountId("eur-a"), .currency = Currency("EUR"), .name = "Euro A"});
  open(books, {.id = AccountId("eur-b"), .currency = Currency("EUR"), .name = "Euro B"});
  const auto funded = books.ledger().transfer({.id = EntryId("fund-hot"),
                                               .debit = AccountId("cash"),
                                               .credit = AccountId(std::string(k_hot_wallet)),
                                               .amount = usd(k_hot_funding_minor)});
  if (funded.result != PostResult::ok) throw std::runtime_error("cannot fund the hot wallet");
}

void open_kill_accounts(Books& books) {
  for (int i = 0; i < k_kill_accounts; ++i) {
    open(books, {.id = AccountId(fmt::format("kill-{}", i)), .currency = Currency("USD"), .name = "Kill"});
  }
}

void open_job_accounts(Books& books) {
  open(books, {.id = AccountId(std::string(k_job_from)), .currency = Currency("USD"), .name = "Job effects from"});
  open(books, {.id = AccountId(std::string(k_job_to)), .currency = Currency("USD"), .name = "Job effects to"});
}

CompleteResult run_job(Books& books, const Job& job) {
  const auto work = books.transaction();
  const PostOutcome moved = books.ledger().transfer({.debit = AccountId(std::string(k_job_to)),
                                                     .credit = AccountId(std::string(k_job_from)),
                                                     .amount = usd(1),
                                                     .metadata = {{"job", job.id.str()}}});
  if (moved.result != PostResult::ok) throw std::runtime_error("a job's transfer was refused");
  const CompleteOutcome done = books.jobs().complete(job);
  if (done.result == CompleteResult::ok) work->commit();  // else the transfer rolls back with the unit
  return done.result;
}

std::vector<EntryRequest> kill_batch(std::uint64_t first, std::size_t size) {
  std::vector<EntryRequest> batch;
  batch.reserve(size);
  for (std::uint64_t n = first; n < first + size; ++n) {
    const Money amount = usd(static_cast<std::int64_t>(mix(n) % 10'000) + 1);
    const AccountId debit(fmt::format("kill-{}", n % k_kill_accounts));
    const AccountId credit(fmt::format("kill-{}", (n + 1) % k_kill_accounts));
    batch.push_back({.id = EntryId(fmt::format("k-{}", n)),
                     .postings = {{debit, Side::debit, amount}, {credit, Side::credit, amount}},
                     .description = fmt::format("kill test {}", n)});
  }
  return batch;
}

std::uint64_t kill_sequence_of(std::string_view id) {
  if (!id.starts_with("k-")) return 0;
  std::uint64_t n = 0;
  const auto [end, error] = std::from_chars(id.data() + 2, id.data() + id.size(), n);
  return error == std::errc() && end == id.data() + id.size() ? n : 0;
}

}  // namespace billing::stress
