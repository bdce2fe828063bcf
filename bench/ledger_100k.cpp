// A whole-process benchmark against ledger-cli: 1,000 accounts and 100,000 two-leg transfers posted into
// a new SQLite file in 100 batches of 1,000 (hash chain on), then every account's balance printed, one
// "<account> <net>" line each. bench/ledger_vs_cli.py times it beside `ledger -f journal bal` on the
// same transfers, which it generates with the same splitmix64 stream, and checks the balances agree.
//
//   ledger_100k /tmp/books.db [--durability full|normal]
#include <billing/books.hpp>
#include <billing/storage/sqlite.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "splitmix64.hpp"

namespace {

using billing::AccountId;
using billing::Books;
using billing::Currency;
using billing::EntryRequest;
using billing::Money;
using billing::Side;

constexpr int k_accounts = 1000;
constexpr int k_batches = 100;
constexpr int k_batch = 1000;
constexpr std::uint64_t k_seed = 2026;
constexpr std::uint64_t k_max_amount_minor = 100'000;  // 0.01 to 1,000.00 USD

using billing::bench::SplitMix64;

int usage() {
  std::fputs("usage: ledger_100k DB_PATH [--durability full|normal]\n  DB_PATH must not exist yet.\n", stderr);
  return 2;
}

std::vector<AccountId> open_accounts(Books& books) {
  std::vector<AccountId> ids;
  const auto work = books.transaction();
  for (int i = 0; i < k_accounts; ++i) {
    ids.emplace_back(fmt::format("a{:04}", i));
    const auto outcome =
        books.accounts().create({.id = ids.back(), .currency = Currency("USD"), .name = ids.back().str()});
    if (outcome.result != billing::AccountResult::ok) throw std::runtime_error("could not open " + ids.back().str());
  }
  work->commit();
  return ids;
}

// Per transfer: the debit account, then the credit account (never the same), then the amount.
std::vector<EntryRequest> next_batch(SplitMix64& random, const std::vector<AccountId>& ids) {
  std::vector<EntryRequest> batch;
  batch.reserve(k_batch);
  for (int i = 0; i < k_batch; ++i) {
    const std::uint64_t debit = random.next() % k_accounts;
    const std::uint64_t credit = (debit + 1 + random.next() % (k_accounts - 1)) % k_accounts;
    const Money amount =
        Money::from_minor(static_cast<std::int64_t>(1 + random.next() % k_max_amount_minor), Currency("USD"));
    batch.push_back({.postings = {{ids[debit], Side::debit, amount}, {ids[credit], Side::credit, amount}}});
  }
  return batch;
}

void print_balances(Books& books) {
  std::string out;
  std::string after;
  for (;;) {
    const auto page = books.accounts().list(std::nullopt, after, 1000);
    for (const billing::Account& account : page.items) {
      fmt::format_to(std::back_inserter(out), "{} {}\n", account.id.str(), account.net_balance().amount().to_string());
    }
    if (!page.next_cursor) break;
    after = *page.next_cursor;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) return usage();
  const std::string path = argv[1];
  billing::SqliteOptions options;
  if (argc == 4) {
    const std::string_view flag = argv[2], value = argv[3];
    if (flag != "--durability" || (value != "full" && value != "normal")) return usage();
    options.durability = value == "full" ? billing::Durability::full : billing::Durability::normal;
  }
  if (std::filesystem::exists(path)) {
    fmt::print(stderr, "ledger_100k: {} exists; it posts into a new file only\n", path);
    return 2;
  }
  try {
    Books books(billing::open_sqlite(path, options),
                std::make_shared<billing::ManualClock>(billing::Timestamp::parse("2026-11-22T00:00:00Z")),
                std::make_shared<billing::SequentialIds>("t"));
    const std::vector<AccountId> ids = open_accounts(books);
    SplitMix64 random(k_seed);
    for (int b = 0; b < k_batches; ++b) {
      const auto outcomes = books.ledger().post_batch(next_batch(random, ids));
      if (outcomes.front().result != billing::PostResult::ok) {
        fmt::print(stderr, "ledger_100k: batch {} rejected: {}\n", b, billing::to_string(outcomes.front().result));
        return 1;
      }
    }
    print_balances(books);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ledger_100k: {}\n", e.what());
    return 1;
  }
  return 0;
}
