// The in-memory adapter. One writer at a time (an exclusive lock held for the transaction's life),
// readers share. Every change pushes its inverse onto an undo log, which a transaction that does not
// commit runs backwards: the same all-or-nothing units of work as the SQLite adapter.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <variant>

#include "billing/error.hpp"
#include "billing/storage/memory.hpp"

namespace billing {
namespace {

struct PostingRef {
  std::uint64_t sequence;
  std::size_t leg;
};

struct State {
  std::map<std::string, Account, std::less<>> accounts;
  std::deque<Entry> entries;  // entries[i].sequence == i + 1; a deque never moves what it holds
  std::unordered_map<std::string, std::uint64_t> sequence_by_id;
  std::unordered_map<std::string, std::string> resolution_by_hold;
  std::unordered_map<std::string, std::string> reversal_by_entry;
  std::unordered_map<std::string, std::vector<PostingRef>> postings_by_account;
  std::set<std::pair<std::int64_t, std::uint64_t>> holds_by_expiry;              // (expires_at, sequence), unresolved
  std::map<std::pair<std::string, std::string>, IdempotencyRecord> idempotency;  // by (scope, key)
};

class MemoryStore;

class MemoryTransaction final : public Transaction,
                                public AccountRepository,
                                public LedgerRepository,
                                public IdempotencyRepository {
 public:
  MemoryTransaction(State& state, std::shared_mutex& mutex, Access access) : state_(state), access_(access) {
    if (access == Access::write) {
      write_lock_ = std::unique_lock(mutex);
    } else {
      read_lock_ = std::shared_lock(mutex);
    }
  }

  ~MemoryTransaction() override {
    if (committed_) return;
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
  }

  void commit() override {
    if (committed_) throw Misuse("transaction", "is already committed");
    committed_ = true;
    undo_.clear();
    if (write_lock_.owns_lock()) write_lock_.unlock();
    if (read_lock_.owns_lock()) read_lock_.unlock();
  }

  Access access() const noexcept override { return access_; }
  AccountRepository& accounts() override { return *this; }
  LedgerRepository& ledger() override { return *this; }
  IdempotencyRepository& idempotency() override { return *this; }

  // ---------------------------------------------------------------------------------------- accounts
  bool insert(const Account& account) override {
    require_write();
    const auto [it, inserted] = state_.accounts.emplace(account.id.str(), account);
    if (inserted) undo_.emplace_back([this, key = it->first] { state_.accounts.erase(key); });
    return inserted;
  }

  std::optional<Account> find(const AccountId& id) override {
    require_open();
    const auto it = state_.accounts.find(id.str());
    if (it == state_.accounts.end()) return std::nullopt;
    return it->second;
  }

  void set_status(const AccountId& id, AccountStatus status) override {
    Account& account = existing_account(id);
    undo_.emplace_back([&account, old = account.status] { account.status = old; });
    account.status = status;
  }

  void set_balances(const AccountId& id, const Balances& balances) override {
    Account& account = existing_account(id);
    undo_.emplace_back([&account, old = account.balances] { account.balances = old; });
    account.balances = balances;
  }

  std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) override {
    require_open();
    std::vector<Account> out;
    for (auto it = state_.accounts.upper_bound(after); it != state_.accounts.end() && out.size() < limit; ++it) {
      if (!status || it->second.status == *status) out.push_back(it->second);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------- ledger
  void append(Entry entry) override {
    require_write();
    if (entry.sequence != state_.entries.size() + 1) {
      throw InvariantViolation("sequence",
                               fmt::format("entry {} does not follow {}", entry.sequence, state_.entries.size()));
    }
    if (state_.sequence_by_id.contains(entry.id.str())) {
      throw InvariantViolation("entry_id", fmt::format("entry '{}' already exists", entry.id.str()));
    }
    BILLING_ASSERT(entry.balances_after.size() == entry.postings.size());
    const Entry& stored = state_.entries.emplace_back(std::move(entry));
    state_.sequence_by_id.emplace(stored.id.str(), stored.sequence);
    for (std::size_t leg = 0; leg < stored.postings.size(); ++leg) {
      state_.postings_by_account[stored.postings[leg].account.str()].push_back({stored.sequence, leg});
    }
    // One small closure per entry (no captured strings, so std::function does not allocate).
    undo_.emplace_back([this] {
      const Entry& last = state_.entries.back();
      for (const Posting& posting : last.postings) state_.postings_by_account[posting.account.str()].pop_back();
      state_.sequence_by_id.erase(last.id.str());
      state_.entries.pop_back();
    });
    index_links(stored);
  }

  std::optional<Entry> find(const EntryId& id) override {
    require_open();
    const auto it = state_.sequence_by_id.find(id.str());
    if (it == state_.sequence_by_id.end()) return std::nullopt;
    return state_.entries[it->second - 1];
  }

  ChainHead head() override {
    require_open();
    if (state_.entries.empty()) return {};
    const Entry& last = state_.entries.back();
    return {last.sequence, last.hash, last.recorded_at};
  }

  std::optional<EntryId> resolution_of(const EntryId& pending_id) override {
    return link(state_.resolution_by_hold, pending_id);
  }

  std::optional<EntryId> reversal_of(const EntryId& id) override { return link(state_.reversal_by_entry, id); }

  std::vector<Entry> scan(std::uint64_t after_sequence, std::size_t limit) override {
    require_open();
    std::vector<Entry> out;
    for (std::uint64_t seq = after_sequence + 1; seq <= state_.entries.size() && out.size() < limit; ++seq) {
      out.push_back(state_.entries[seq - 1]);
    }
    return out;
  }

  std::vector<Entry> for_account(const AccountId& account, std::uint64_t after_sequence, std::optional<Timestamp> from,
                                 std::optional<Timestamp> to, std::size_t limit) override {
    require_open();
    std::vector<Entry> out;
    const auto it = state_.postings_by_account.find(account.str());
    if (it == state_.postings_by_account.end()) return out;
    const auto& refs = it->second;
    auto ref = std::upper_bound(refs.begin(), refs.end(), after_sequence,
                                [](std::uint64_t seq, const PostingRef& r) { return seq < r.sequence; });
    std::uint64_t last_added = 0;
    for (; ref != refs.end() && out.size() < limit; ++ref) {
      if (ref->sequence == last_added) continue;  // two legs of one entry on this account
      const Entry& entry = state_.entries[ref->sequence - 1];
      if ((from && entry.recorded_at < *from) || (to && !(entry.recorded_at < *to))) continue;
      out.push_back(entry);
      last_added = ref->sequence;
    }
    return out;
  }

  Balances balances_at(const AccountId& account, std::uint64_t sequence) override {
    require_open();
    const auto it = state_.postings_by_account.find(account.str());
    if (it == state_.postings_by_account.end()) return {};
    const auto& refs = it->second;
    auto ref = std::upper_bound(refs.begin(), refs.end(), sequence,
                                [](std::uint64_t seq, const PostingRef& r) { return seq < r.sequence; });
    if (ref == refs.begin()) return {};
    --ref;
    return state_.entries[ref->sequence - 1].balances_after[ref->leg];
  }

  std::uint64_t sequence_at(Timestamp when) override {
    require_open();
    // recorded_at never decreases along the sequence, so the entries are sorted by it.
    const auto it = std::upper_bound(state_.entries.begin(), state_.entries.end(), when,
                                     [](Timestamp t, const Entry& e) { return t < e.recorded_at; });
    return static_cast<std::uint64_t>(it - state_.entries.begin());
  }

  std::vector<EntryId> expired_holds(Timestamp when, std::size_t limit) override {
    require_open();
    std::vector<std::uint64_t> sequences;
    for (const auto& [expires, sequence] : state_.holds_by_expiry) {
      if (expires > when.unix_micros()) break;
      sequences.push_back(sequence);
    }
    std::sort(sequences.begin(), sequences.end());
    if (sequences.size() > limit) sequences.resize(limit);
    std::vector<EntryId> out;
    for (std::uint64_t sequence : sequences) out.push_back(state_.entries[sequence - 1].id);
    return out;
  }

  // ---------------------------------------------------------------------------------------- idempotency
  std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) override {
    require_open();
    const auto it = state_.idempotency.find({std::string(scope), std::string(key)});
    if (it == state_.idempotency.end()) return std::nullopt;
    return it->second;
  }

  void put(const IdempotencyRecord& record) override {
    require_write();
    const auto id = std::make_pair(record.scope, record.key);
    restore_on_rollback(id);
    state_.idempotency.insert_or_assign(id, record);
  }

  void remove(std::string_view scope, std::string_view key) override {
    require_write();
    const auto id = std::make_pair(std::string(scope), std::string(key));
    restore_on_rollback(id);
    state_.idempotency.erase(id);
  }

  std::size_t purge_expired(Timestamp now, std::size_t limit) override {
    require_write();
    std::vector<std::pair<std::string, std::string>> expired;
    for (const auto& [id, record] : state_.idempotency) {
      if (expired.size() == limit) break;
      if (!(now < record.expires_at)) expired.push_back(id);
    }
    for (const auto& id : expired) remove(id.first, id.second);
    return expired.size();
  }

 private:
  // Remembers how (scope, key) stood before this transaction touched it.
  void restore_on_rollback(const std::pair<std::string, std::string>& id) {
    const auto it = state_.idempotency.find(id);
    std::optional<IdempotencyRecord> before;
    if (it != state_.idempotency.end()) before = it->second;
    undo_.emplace_back([this, id, before] {
      if (before) {
        state_.idempotency.insert_or_assign(id, *before);
      } else {
        state_.idempotency.erase(id);
      }
    });
  }

  void require_open() const {
    if (committed_) throw Misuse("transaction", "is already committed");
  }

  void require_write() const {
    require_open();
    if (access_ != Access::write) throw Misuse("transaction", "is read-only");
  }

  Account& existing_account(const AccountId& id) {
    require_write();
    const auto it = state_.accounts.find(id.str());
    if (it == state_.accounts.end()) {
      throw InvariantViolation("account_id", fmt::format("account '{}' does not exist", id.str()));
    }
    return it->second;
  }

  std::optional<EntryId> link(const std::unordered_map<std::string, std::string>& links, const EntryId& id) {
    require_open();
    const auto it = links.find(id.str());
    if (it == links.end()) return std::nullopt;
    return EntryId(it->second);
  }

  // Keeps the hold, resolution and reversal indexes, which a relational store has as columns.
  void index_links(const Entry& entry) {
    if (entry.kind == EntryKind::pending && entry.expires_at) {
      const auto key = std::make_pair(entry.expires_at->unix_micros(), entry.sequence);
      state_.holds_by_expiry.insert(key);
      undo_.emplace_back([this, key] { state_.holds_by_expiry.erase(key); });
    }
    if (entry.pending_id) {
      add_link(state_.resolution_by_hold, *entry.pending_id, entry.id);
      const auto hold = state_.sequence_by_id.find(entry.pending_id->str());
      if (hold != state_.sequence_by_id.end() && state_.entries[hold->second - 1].expires_at) {
        const auto key = std::make_pair(state_.entries[hold->second - 1].expires_at->unix_micros(), hold->second);
        if (state_.holds_by_expiry.erase(key) == 1) {
          undo_.emplace_back([this, key] { state_.holds_by_expiry.insert(key); });
        }
      }
    }
    if (entry.reverses) add_link(state_.reversal_by_entry, *entry.reverses, entry.id);
  }

  void add_link(std::unordered_map<std::string, std::string>& links, const EntryId& from, const EntryId& to) {
    if (!links.emplace(from.str(), to.str()).second) {
      throw InvariantViolation("entry_id", fmt::format("entry '{}' is already resolved or reversed", from.str()));
    }
    undo_.emplace_back([&links, key = from.str()] { links.erase(key); });
  }

  State& state_;
  Access access_;
  std::unique_lock<std::shared_mutex> write_lock_;
  std::shared_lock<std::shared_mutex> read_lock_;
  std::vector<std::function<void()>> undo_;
  bool committed_ = false;
};

class MemoryStore final : public Store {
 public:
  std::unique_ptr<Transaction> begin(Access access) override {
    return std::make_unique<MemoryTransaction>(state_, mutex_, access);
  }

 private:
  std::shared_mutex mutex_;
  State state_;
};

}  // namespace

std::unique_ptr<Store> open_memory() { return std::make_unique<MemoryStore>(); }

}  // namespace billing
