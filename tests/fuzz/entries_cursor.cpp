// Ledger::entries on a small in-memory ledger, with a cursor, limit, time window and account from the
// input: a cursor of any bytes, or one the ledger returned (for this account or another, with a suffix
// or not). Whatever the cursor's format, an answer must be a page of the account's entries as the
// storage holds them:
//  - at most `limit` items, each touching the account, recorded in [start, end);
//  - a run of consecutive entries of that list, oldest first: the first page starts at the list's
//    start, and the page after a cursor the ledger returned starts right after the entry it came from;
//  - a next cursor exactly when the page is full and more follow; without one, the run is the list's tail.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "billing/storage/ledger_repository.hpp"
#include "billing/storage/memory.hpp"
#include "harness.hpp"
#include "sample_books.hpp"

using namespace billing;

namespace {

struct World {
  std::shared_ptr<Store> store = open_memory();
  fuzz::SampleBooks sample = fuzz::sample_books(store);
  std::vector<Entry> all;  // every entry, read straight from the repository

  World() {
    fuzz::fill_sample_books(sample, 40);
    UnitOfWork work(*store, Access::read);
    all = work->ledger().scan(0, 1000);
  }
};

World& world() {
  static World instance;
  return instance;
}

bool touches(const Entry& entry, const AccountId& account) {
  return std::any_of(entry.postings.begin(), entry.postings.end(),
                     [&](const Posting& posting) { return posting.account == account; });
}

// The account's entries in [start, end), oldest first: what every page must be a run of.
std::vector<std::uint64_t> expected(const AccountId& account, const EntryQuery& query) {
  std::vector<std::uint64_t> out;
  for (const Entry& entry : world().all) {
    if (!touches(entry, account)) continue;
    if (query.start && entry.recorded_at < *query.start) continue;
    if (query.end && !(entry.recorded_at < *query.end)) continue;
    out.push_back(entry.sequence);
  }
  return out;
}

std::optional<Timestamp> pick_time(fuzz::Reader& in) {
  switch (in.below(3)) {
    case 0: return std::nullopt;
    case 1: return Timestamp::parse("2026-01-01T00:00:00Z") + std::chrono::minutes(30 * (in.byte() - 16));
    default: return Timestamp::from_unix_micros(in.i64());
  }
}

// Where `page` sits in `list`: the index of its first item. A finding unless it is a run of `list`.
std::size_t check_page(const Page<Entry>& page, const std::vector<std::uint64_t>& list, const AccountId& account,
                       const EntryQuery& query) {
  BILLING_FUZZ_CHECK(page.items.size() <= query.limit);
  for (const Entry& entry : page.items) {
    BILLING_FUZZ_CHECK(touches(entry, account));
    BILLING_FUZZ_CHECK(!query.start || !(entry.recorded_at < *query.start));
    BILLING_FUZZ_CHECK(!query.end || entry.recorded_at < *query.end);
    BILLING_FUZZ_CHECK(entry.sequence >= 1 && entry.sequence <= world().all.size());
    BILLING_FUZZ_CHECK(entry == world().all[entry.sequence - 1]);
  }
  if (page.items.empty()) {
    BILLING_FUZZ_CHECK(!page.next_cursor.has_value());
    return list.size();
  }
  const auto start = std::find(list.begin(), list.end(), page.items.front().sequence);
  BILLING_FUZZ_CHECK(start != list.end());
  const auto first = static_cast<std::size_t>(start - list.begin());
  BILLING_FUZZ_CHECK(first + page.items.size() <= list.size());
  for (std::size_t i = 0; i < page.items.size(); ++i) BILLING_FUZZ_CHECK(page.items[i].sequence == list[first + i]);
  const bool more = first + page.items.size() < list.size();
  BILLING_FUZZ_CHECK(page.next_cursor.has_value() == (more && page.items.size() == query.limit));
  if (!page.next_cursor) BILLING_FUZZ_CHECK(!more);
  return first;
}

struct RealCursor {
  std::string cursor;      // empty when the first page was the last
  std::size_t before = 0;  // how many of the account's entries come before it
};

// A cursor the ledger itself handed out: after up to `pages` + 1 pages of `account` at `limit`.
RealCursor real_cursor(const AccountId& account, std::size_t limit, std::size_t pages) {
  Ledger& ledger = world().sample.books->ledger();
  RealCursor out;
  for (std::size_t i = 0; i <= pages; ++i) {
    const Page<Entry> page = ledger.entries(account, {.cursor = out.cursor, .limit = limit});
    if (!page.next_cursor) break;
    out.cursor = *page.next_cursor;
    out.before += page.items.size();
  }
  return out;
}

void run(fuzz::Reader& in) {
  const auto& accounts = fuzz::sample_accounts();
  const std::size_t choice = in.below(accounts.size() + 2);
  std::optional<AccountId> chosen;
  if (choice < accounts.size()) {
    chosen = accounts[choice];
  } else if (choice == accounts.size()) {
    chosen = AccountId("nobody");
  } else if (!fuzz::completes([&] { chosen = AccountId(in.text(130)); })) {
    return;  // not an id
  }
  const AccountId& account = *chosen;
  EntryQuery query;
  query.limit = (static_cast<std::size_t>(in.byte()) << 8U | in.byte()) % 1003;  // 0 and 1001+ are refused
  if (in.flag()) query.limit %= 12;
  query.start = pick_time(in);
  query.end = pick_time(in);
  const std::vector<std::uint64_t> list = expected(account, query);

  // The cursor: any bytes, or the ledger's own, perhaps another account's, perhaps with bytes added.
  std::optional<std::size_t> start;  // the index in `list` the page must start at, when known
  if (in.flag()) {
    const AccountId& source = accounts[in.below(accounts.size())];
    const RealCursor real = real_cursor(source, 1 + in.below(8), in.below(6));
    query.cursor = real.cursor;
    if (source == account && !query.start && !query.end && in.byte() < 200) {
      start = real.before;
    } else {
      query.cursor += in.text(8);
    }
  } else {
    query.cursor = in.rest();
  }
  if (query.cursor.empty()) start = 0;

  Ledger& ledger = world().sample.books->ledger();
  std::optional<Page<Entry>> page;
  if (!fuzz::completes([&] { page = ledger.entries(account, query); })) return;
  const std::size_t first = check_page(*page, list, account, query);
  if (start) BILLING_FUZZ_CHECK(first == std::min(*start, list.size()));

  // The next page continues right after this one; refusing its own cursor would be a finding.
  if (page->next_cursor) {
    EntryQuery next = query;
    next.cursor = *page->next_cursor;
    const Page<Entry> following = ledger.entries(account, next);
    BILLING_FUZZ_CHECK(!following.items.empty());
    BILLING_FUZZ_CHECK(check_page(following, list, account, next) == first + page->items.size());
  }
}

}  // namespace

BILLING_FUZZ_TARGET(entries_cursor) {
  fuzz::Reader in(input);
  run(in);  // an exception that run() does not expect ends the process: a finding
}
