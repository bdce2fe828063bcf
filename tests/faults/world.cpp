#include "world.hpp"

#include "support/scratch_dir.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/storage/account_repository.hpp"
#include "billing/storage/memory.hpp"

namespace billing::faults {
namespace {

constexpr std::string_view k_scope = "tenant";
constexpr std::uint64_t k_recent_entries = 64;  // of each account's list, the snapshot reads the last ones
const std::vector<std::string> k_keys = {"old", "charge-1"};
const OrderId k_pending_order("o-pending");
const OrderId k_busy_order("o-busy");
const std::vector<OrderId> k_orders = {k_pending_order, k_busy_order, OrderId("o-new")};
// The base's jobs, the first ids the books draw (build_base checks): one of each state the scenarios move.
const JobId k_job_done("gen-000000000001");     // completed, for purge_completed
const JobId k_job_dead("gen-000000000002");     // dead-lettered, for redrive
const JobId k_job_held("gen-000000000003");     // claimed for 10 minutes, attempts left: complete, fail
const JobId k_job_lapsing("gen-000000000004");  // claimed on its last attempt; its lease lapses at the mark
const JobId k_job_ready("gen-000000000005");    // queued and ready, dedup key "welcome"
constexpr std::uint64_t k_job_ids_probed = 32;  // the snapshot reads gen-1 .. gen-32 as jobs

const AccountId k_cash("cash");
const AccountId k_revenue("revenue");
const AccountId k_wallet("wallet");
const AccountId k_dormant("dormant");

Money usd(const char* amount) { return Money::parse(std::string(amount) + " USD"); }

void require(bool condition, std::string_view what) {
  if (!condition) throw InvariantViolation("", fmt::format("the base books could not be built: {}", what));
}

// "ok,exceeds_credits": the results of a batch, in order.
template <class Outcome>
std::string joined(const std::vector<Outcome>& outcomes) {
  std::string out;
  for (const Outcome& outcome : outcomes) out += (out.empty() ? "" : ",") + std::string(to_string(outcome.result));
  return out;
}

EntryRequest two_legs(const char* id, const AccountId& debit, const AccountId& credit, const char* amount) {
  return {.id = EntryId(id), .postings = {{debit, Side::debit, usd(amount)}, {credit, Side::credit, usd(amount)}}};
}

OrderRequest an_order(const OrderId& id) {
  return {.id = id,
          .customer_name = "Customer",
          .customer_email = "customer@example.com",
          .lines = {{.item = "widget", .quantity = 2, .unit_price = usd("4.50")},
                    {.item = "box", .quantity = 1, .unit_price = usd("0.25")}},
          .metadata = {{"channel", "web"}}};
}

std::string result_of(const OrderOutcome& outcome) { return std::string(to_string(outcome.result)); }

// The base's five jobs, in the states k_job_done ... k_job_ready name.
void enqueue_base_jobs(Books& books) {
  Jobs& jobs = books.jobs();
  const auto enqueue = [&](const JobId& expected, JobRequest request) {
    const EnqueueOutcome outcome = jobs.enqueue(request);
    require(outcome.result == EnqueueResult::ok && outcome.job->id == expected, expected.str());
  };
  const auto claim = [&](const JobId& expected, std::chrono::microseconds lease) {
    const std::optional<Job> job = jobs.claim({.lease = lease, .worker = "base-worker"});
    require(job && job->id == expected, expected.str());
    return *job;
  };
  enqueue(k_job_done, {.kind = "mail", .payload = R"({"to":"done"})"});
  require(jobs.complete(claim(k_job_done, std::chrono::minutes(10))).result == CompleteResult::ok, "k_job_done");
  enqueue(k_job_dead, {.kind = "charge", .payload = R"({"order":"o-1"})", .max_attempts = 1});
  require(jobs.fail(claim(k_job_dead, std::chrono::minutes(10)), "declined").result == FailResult::dead_lettered,
          "k_job_dead");
  enqueue(k_job_held, {.kind = "charge", .payload = R"({"order":"o-2"})", .dedup_key = "charge-o-2"});
  (void)claim(k_job_held, std::chrono::minutes(10));
  enqueue(k_job_lapsing, {.kind = "charge", .payload = R"({"order":"o-3"})", .max_attempts = 1});
  (void)claim(k_job_lapsing, std::chrono::seconds(30));
  enqueue(k_job_ready, {.kind = "mail", .payload = R"({"to":"ann"})", .dedup_key = "welcome"});
}

Job held_job(World& w) {
  const std::optional<Job> job = w.books->jobs().get(k_job_held);
  require(job.has_value(), "the held job");
  return *job;
}

}  // namespace

std::string RewindableIds::next() { return fmt::format("gen-{:012}", next_.fetch_add(1)); }

World::World(std::shared_ptr<Store> store)
    : clock(std::make_shared<ManualClock>(base_start())),
      ids(std::make_shared<RewindableIds>()),
      books(std::make_unique<Books>(std::move(store), clock, ids)) {}

void World::resume(const BaseMark& mark) {
  clock->set(mark.clock);
  ids->rewind(mark.ids);
}

Timestamp base_start() { return Timestamp::parse("2026-01-01T00:00:00Z"); }

BaseMark build_base(World& world, std::uint64_t entries) {
  Books& books = *world.books;
  const auto open = [&](const AccountId& id, Side side, bool no_overdraft) {
    require(books.accounts()
                    .create({.id = id,
                             .currency = Currency("USD"),
                             .name = "Account " + id.str(),
                             .normal_side = side,
                             .debits_must_not_exceed_credits = no_overdraft})
                    .result == AccountResult::ok,
            id.str());
  };
  open(k_cash, Side::debit, false);
  open(k_revenue, Side::credit, false);
  open(k_wallet, Side::credit, true);
  open(k_dormant, Side::debit, false);
  Ledger& ledger = books.ledger();
  const auto step = [&] { world.clock->advance(std::chrono::minutes(1)); };
  step();
  require(ledger.transfer({.id = EntryId("p1"), .debit = k_cash, .credit = k_revenue, .amount = usd("10.00")}).result ==
              PostResult::ok,
          "p1");
  step();
  require(
      ledger.transfer({.id = EntryId("fund"), .debit = k_cash, .credit = k_wallet, .amount = usd("20.00")}).result ==
          PostResult::ok,
      "fund");
  for (const auto& [id, amount] : std::vector<std::pair<const char*, const char*>>{
           {"h1", "5.00"}, {"h2", "3.00"}, {"h4", "1.00"}, {"h5", "1.00"}, {"h6", "1.00"}, {"h7", "1.00"}}) {
    step();
    require(ledger.hold(two_legs(id, k_cash, k_revenue, amount)).result == PostResult::ok, id);
  }
  step();
  require(ledger.hold(two_legs("h3", k_cash, k_revenue, "2.00"), std::chrono::hours(1)).result == PostResult::ok, "h3");
  step();
  const auto old = books.idempotency().run({.scope = std::string(k_scope), .key = "old"}, "old request", [&] {
    return std::string(to_string(
        ledger.transfer({.id = EntryId("old-charge"), .debit = k_cash, .credit = k_revenue, .amount = usd("0.50")})
            .result));
  });
  require(old.result == IdempotencyResult::executed, "the idempotency key");
  step();
  require(books.orders().create(an_order(k_pending_order)).ok(), "the pending order");
  require(books.orders().create(an_order(k_busy_order)).ok(), "the busy order");
  require(books.orders().transition(k_busy_order, OrderStatus::processing, 1, "picked").ok(), "the busy order");
  step();
  enqueue_base_jobs(books);
  step();
  std::uint64_t count = k_small_base_entries;
  while (count < entries) {
    std::vector<EntryRequest> batch;
    for (; count < entries && batch.size() < 1000; ++count) {
      batch.push_back(two_legs(fmt::format("x-{}", count + 1).c_str(), k_cash, k_revenue, "0.01"));
    }
    for (const PostOutcome& outcome : ledger.post_batch(batch)) require(outcome.result == PostResult::ok, "a filler");
  }
  return {.clock = world.clock->now(), .ids = world.ids->position()};
}

Snapshot Base::snapshot() const { return faults::snapshot(*store, path); }

Base memory_base(std::uint64_t entries) {
  Base base{.store = open_memory(), .mark = {}, .path = {}};
  World world(base.store);
  base.mark = build_base(world, entries);
  return base;
}

std::string scratch_path(std::string_view name) {
  static std::atomic<int> counter{0};
  return (test::scratch_dir("billing-faults-") / fmt::format("{}-{}.sqlite", name, counter++)).string();
}

Base sqlite_base(Durability durability, std::uint64_t entries) {
  // One file per durability and size, built once and closed (so that it holds everything, with no -wal
  // beside it); each base is a copy.
  struct Template {
    std::string path;
    BaseMark mark;
  };
  static std::mutex mutex;
  static std::map<std::pair<Durability, std::uint64_t>, Template> templates;
  Template made;
  {
    const std::lock_guard lock(mutex);
    auto found = templates.find({durability, entries});
    if (found == templates.end()) {
      Template fresh{.path = scratch_path("template"), .mark = {}};
      {
        World world(open_sqlite(fresh.path, {.durability = durability}));
        fresh.mark = build_base(world, entries);
      }
      found = templates.emplace(std::pair{durability, entries}, fresh).first;
    }
    made = found->second;
  }
  const std::string copy = scratch_path("base");
  std::filesystem::copy_file(made.path, copy);
  return {.store = open_sqlite(copy, {.durability = durability}), .mark = made.mark, .path = copy};
}

int large_base_stride() {
#if defined(__SANITIZE_ADDRESS__)
  constexpr int k_default = 8;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  constexpr int k_default = 8;
#else
  constexpr int k_default = 1;
#endif
#else
  constexpr int k_default = 1;
#endif
  const char* stride = std::getenv("BILLING_FAULT_STRIDE");
  return stride != nullptr && std::atoi(stride) > 0 ? std::atoi(stride) : k_default;
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      {"accounts.create", "ok",
       [](World& w) {
         return std::string(to_string(w.books->accounts()
                                          .create({.id = AccountId("opened"),
                                                   .currency = Currency("USD"),
                                                   .name = "Opened",
                                                   .metadata = {{"k", "v"}}})
                                          .result));
       }},
      {"accounts.set_status", "ok",
       [](World& w) {
         return std::string(to_string(w.books->accounts().set_status(k_dormant, AccountStatus::inactive).result));
       }},
      {"ledger.transfer", "ok",
       [](World& w) {
         return std::string(to_string(
             w.books->ledger()
                 .transfer({.id = EntryId("t-1"), .debit = k_cash, .credit = k_revenue, .amount = usd("1.00")})
                 .result));
       }},
      {"ledger.post", "ok",
       [](World& w) {
         return std::string(to_string(w.books->ledger()
                                          .post({.id = EntryId("post-1"),
                                                 .postings = {{k_cash, Side::debit, usd("3.00")},
                                                              {k_revenue, Side::credit, usd("2.00")},
                                                              {k_wallet, Side::credit, usd("1.00")}},
                                                 .description = "three legs",
                                                 .metadata = {{"order", "17"}}})
                                          .result));
       }},
      {"ledger.post_batch (atomic)", "ok,ok,ok",
       [](World& w) {
         return joined(w.books->ledger().post_batch({two_legs("b-1", k_cash, k_revenue, "1.00"),
                                                     two_legs("b-2", k_cash, k_wallet, "2.00"),
                                                     two_legs("b-3", k_wallet, k_revenue, "0.50")}));
       }},
      {"ledger.post_batch (independent)", "ok,exceeds_credits",
       [](World& w) {
         return joined(w.books->ledger().post_batch(
             {two_legs("i-1", k_cash, k_revenue, "1.00"), two_legs("i-2", k_wallet, k_revenue, "100.00")},
             BatchMode::independent));
       }},
      {"ledger.hold", "ok",
       [](World& w) {
         return std::string(to_string(
             w.books->ledger().hold(two_legs("hold-new", k_cash, k_revenue, "4.00"), std::chrono::hours(1)).result));
       }},
      {"ledger.post_pending (partial)", "ok",
       [](World& w) {
         return std::string(
             to_string(w.books->ledger().post_pending(EntryId("h1"), usd("2.00"), EntryId("h1-posted")).result));
       }},
      {"ledger.void_pending", "ok",
       [](World& w) {
         return std::string(to_string(w.books->ledger().void_pending(EntryId("h2"), EntryId("h2-voided")).result));
       }},
      {"ledger.post_pending_group", "ok,ok",
       [](World& w) {
         return joined(w.books->ledger().post_pending_group({EntryId("h4"), EntryId("h5")}));
       }},
      {"ledger.void_pending_group", "ok,ok",
       [](World& w) {
         return joined(w.books->ledger().void_pending_group({EntryId("h6"), EntryId("h7")}));
       }},
      {"ledger.void_expired_holds", "1",
       [](World& w) {
         w.clock->set(base_start() + std::chrono::hours(3));
         return std::to_string(w.books->ledger().void_expired_holds());
       }},
      {"ledger.reverse", "ok",
       [](World& w) {
         return std::string(
             to_string(w.books->ledger().reverse(EntryId("p1"), EntryId("p1-reversed"), "a mistake").result));
       }},
      {"idempotency.run", "executed:ok",
       [](World& w) {
         Ledger& ledger = w.books->ledger();
         const auto outcome =
             w.books->idempotency().run({.scope = std::string(k_scope), .key = "charge-1"}, "request", [&] {
               return std::string(to_string(
                   ledger
                       .transfer(
                           {.id = EntryId("charged"), .debit = k_cash, .credit = k_revenue, .amount = usd("7.00")})
                       .result));
             });
         return std::string(to_string(outcome.result)) + ":" + outcome.outcome;
       }},
      {"idempotency.purge_expired", "1",
       [](World& w) {
         w.clock->set(base_start() + std::chrono::hours(25));
         return std::to_string(w.books->idempotency().purge_expired());
       }},
      {"ledger.post_batch across SQLite's merge (entries 4,095 to 4,097)", "ok,ok,ok",
       [](World& w) {
         return joined(w.books->ledger().post_batch({two_legs("m-1", k_cash, k_revenue, "1.00"),
                                                     two_legs("m-2", k_cash, k_wallet, "2.00"),
                                                     two_legs("m-3", k_wallet, k_revenue, "0.50")}));
       },
       k_merge_base_entries},
      {"orders.create", "ok",
       [](World& w) { return result_of(w.books->orders().create(an_order(OrderId("o-new")))); }},
      {"orders.transition", "ok",
       [](World& w) {
         return result_of(w.books->orders().transition(k_pending_order, OrderStatus::processing, 1, "picked"));
       }},
      {"orders.delete", "ok", [](World& w) { return result_of(w.books->orders().remove(k_pending_order, 1)); }},
      {"orders: transition and delete in one transaction", "ok,ok",
       [](World& w) {
         auto transaction = w.books->transaction();
         const auto moved = w.books->orders().transition(k_busy_order, OrderStatus::completed, 2, "shipped");
         const auto deleted = w.books->orders().remove(k_busy_order, 3);
         transaction->commit();
         return result_of(moved) + "," + result_of(deleted);
       }},
      {"jobs.enqueue", "ok",
       [](World& w) {
         return std::string(to_string(
             w.books->jobs()
                 .enqueue({.kind = "mail", .payload = R"({"to":"bob"})", .dedup_key = "receipt-1", .max_attempts = 5})
                 .result));
       }},
      {"jobs.enqueue_batch", "duplicate,ok,ok",
       [](World& w) {
         return joined(w.books->jobs().enqueue_batch(std::vector<JobRequest>{
             {.kind = "mail", .dedup_key = "welcome"}, {.kind = "mail", .payload = "1"}, {.kind = "charge"}}));
       }},
      {"jobs.claim", "gen-000000000005",
       [](World& w) {
         const auto job = w.books->jobs().claim({.kinds = {"mail"}, .worker = "w"});
         return job ? job->id.str() : std::string("none");
       }},
      {"jobs.claim_batch (the lapsed last attempt is dead-lettered)", "1",
       [](World& w) { return std::to_string(w.books->jobs().claim_batch({.worker = "w"}, 10).size()); }},
      {"jobs.complete", "ok",
       [](World& w) { return std::string(to_string(w.books->jobs().complete(held_job(w)).result)); }},
      {"jobs.fail (a retry)", "retry_scheduled",
       [](World& w) { return std::string(to_string(w.books->jobs().fail(held_job(w), "timed out").result)); }},
      {"jobs.fail (a dead letter)", "dead_lettered",
       [](World& w) {
         return std::string(to_string(w.books->jobs().fail(held_job(w), "declined", false).result));
       }},
      {"jobs.redrive", "ok",
       [](World& w) { return std::string(to_string(w.books->jobs().redrive(k_job_dead).result)); }},
      {"jobs.purge_completed", "1",
       [](World& w) {
         return std::to_string(w.books->jobs().purge_completed(w.clock->now() + std::chrono::hours(1)));
       }},
      {"jobs: a transfer and the job it enqueues in one transaction (an outbox)", "ok,ok",
       [](World& w) {
         auto transaction = w.books->transaction();
         const auto moved = w.books->ledger().transfer(
             {.id = EntryId("paid-1"), .debit = k_cash, .credit = k_revenue, .amount = usd("2.00")});
         const auto queued = w.books->jobs().enqueue({.kind = "receipt", .payload = R"({"entry":"paid-1"})"});
         transaction->commit();
         return std::string(to_string(moved.result)) + "," + std::string(to_string(queued.result));
       }},
      {"Books::transaction (two writes, one commit)", "ok,ok",
       [](World& w) {
         auto transaction = w.books->transaction();
         const auto moved = w.books->ledger().transfer(
             {.id = EntryId("tx-1"), .debit = k_cash, .credit = k_wallet, .amount = usd("1.25")});
         const auto opened = w.books->accounts().create(
             {.id = AccountId("tx-account"), .currency = Currency("USD"), .name = "Opened in a transaction"});
         transaction->commit();
         return std::string(to_string(moved.result)) + "," + std::string(to_string(opened.result));
       }},
  };
  return all;
}

// What the SQLite adapter keeps beside the journal, read through a connection of the test's own.
std::string sqlite_index(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* query = nullptr;
    const char* sql =
        "SELECT (SELECT merged_through FROM ledger_state), count(*), total(amount_minor), "
        "total(debits_posted + credits_posted + debits_pending + credits_pending) FROM account_postings";
    if (sqlite3_prepare_v2(db, sql, -1, &query, nullptr) == SQLITE_OK && sqlite3_step(query) == SQLITE_ROW) {
      out =
          fmt::format("merged through {}; {} postings, amounts sum {}, totals sum {}", sqlite3_column_int64(query, 0),
                      sqlite3_column_int64(query, 1), sqlite3_column_double(query, 2), sqlite3_column_double(query, 3));
    }
    sqlite3_finalize(query);
  }
  if (out.empty()) out = fmt::format("unreadable: {}", db != nullptr ? sqlite3_errmsg(db) : "no memory");
  sqlite3_close_v2(db);
  return out;
}

Snapshot snapshot(Store& store, const std::string& sqlite_path) {
  UnitOfWork work(store, Access::read);
  Snapshot out;
  out.accounts = work->accounts().list(std::nullopt, "", 1000);
  const ChainHead head = work->ledger().head();
  out.head_sequence = head.sequence;
  out.head_hash = head.hash;
  out.entries = work->ledger().scan(0, 10'000);
  // A write appends, so what it can touch in an account's list is the end of it; the SQLite digest
  // covers the part merged into account_postings.
  const std::uint64_t recent = head.sequence > k_recent_entries ? head.sequence - k_recent_entries : 0;
  for (const Account& account : out.accounts) {
    std::vector<std::uint64_t> sequences;
    for (const Entry& entry : work->ledger().for_account(account.id, recent, std::nullopt, std::nullopt, 10'000)) {
      sequences.push_back(entry.sequence);
    }
    out.by_account.push_back(std::move(sequences));
  }
  if (!sqlite_path.empty()) out.sqlite_index = sqlite_index(sqlite_path);
  for (const std::string& key : k_keys) {
    std::optional<IdempotencyRecord> record = work->idempotency().find(k_scope, key);
    // A claim's owner token is random per run: whether there is one is what two runs can share.
    if (record && !record->owner.empty()) record->owner = "(an owner)";
    out.keys.push_back(std::move(record));
  }
  for (const OrderId& id : k_orders) {
    out.orders.push_back(work->orders().find(id));
    out.order_history.push_back(work->orders().history(id));
  }
  for (std::uint64_t n = 1; n <= k_job_ids_probed; ++n) {
    std::optional<Job> job = work->jobs().find(JobId(fmt::format("gen-{:012}", n)));
    // A claim's token is random per run: whether there is one is what two runs can share.
    if (job && !job->token.empty()) job->token = "(a token)";
    out.jobs.push_back(std::move(job));
  }
  return out;
}

std::string Snapshot::summary() const {
  std::size_t keys_held = 0;
  for (const auto& key : keys) keys_held += key.has_value() ? 1 : 0;
  std::uint64_t versions = 0;  // of the orders, summed: each write to one adds 1
  for (const auto& order : orders) versions += order ? order->version : 0;
  std::size_t job_count = 0;
  std::uint64_t attempts = 0;
  for (const auto& job : jobs) {
    job_count += job ? 1 : 0;
    attempts += job ? job->attempts : 0;
  }
  return fmt::format("{} accounts, head {}, {} entries, {} of {} keys, order versions sum {}, {} jobs with {} "
                     "attempts{}{}",
                     accounts.size(), head_sequence, entries.size(), keys_held, keys.size(), versions, job_count,
                     attempts, sqlite_index.empty() ? "" : "; ", sqlite_index);
}

}  // namespace billing::faults
