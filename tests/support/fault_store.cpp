#include "fault_store.hpp"

#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "billing/storage/account_repository.hpp"
#include "billing/storage/idempotency_repository.hpp"
#include "billing/storage/invoice_repository.hpp"
#include "billing/storage/job_repository.hpp"
#include "billing/storage/order_repository.hpp"
#include "billing/storage/payment_repository.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/storage/subscription_repository.hpp"
#include "billing/storage/usage_repository.hpp"
#include "billing/storage/ledger_repository.hpp"

namespace billing::test {

class FaultHookSlot {
 public:
  void set(FaultStore::Hook before) {
    auto hook = before ? std::make_shared<const FaultStore::Hook>(std::move(before)) : nullptr;
    const std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

  // The hook runs outside the lock, so that it may replace itself, or block, without a deadlock.
  void before(std::string_view operation) const {
    std::shared_ptr<const FaultStore::Hook> hook;
    {
      const std::lock_guard lock(mutex_);
      hook = hook_;
    }
    if (hook) (*hook)(operation);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const FaultStore::Hook> hook_;
};

namespace {

using SlotPtr = std::shared_ptr<const FaultHookSlot>;

class FaultAccounts final : public AccountRepository {
 public:
  FaultAccounts(AccountRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert(const Account& account) override {
    slot_->before("accounts.insert");
    return inner_.insert(account);
  }
  std::optional<Account> find(const AccountId& id) override {
    slot_->before("accounts.find");
    return inner_.find(id);
  }
  void set_status(const AccountId& id, AccountStatus status) override {
    slot_->before("accounts.set_status");
    inner_.set_status(id, status);
  }
  void set_balances(const AccountId& id, const Balances& balances) override {
    slot_->before("accounts.set_balances");
    inner_.set_balances(id, balances);
  }
  std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) override {
    slot_->before("accounts.list");
    return inner_.list(status, after, limit);
  }

 private:
  AccountRepository& inner_;
  SlotPtr slot_;
};

class FaultLedger final : public LedgerRepository {
 public:
  FaultLedger(LedgerRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  void append(Entry entry) override {
    slot_->before("ledger.append");
    inner_.append(std::move(entry));
  }
  std::optional<Entry> find(const EntryId& id) override {
    slot_->before("ledger.find");
    return inner_.find(id);
  }
  ChainHead head() override {
    slot_->before("ledger.head");
    return inner_.head();
  }
  std::optional<EntryId> resolution_of(const EntryId& pending_id) override {
    slot_->before("ledger.resolution_of");
    return inner_.resolution_of(pending_id);
  }
  std::optional<EntryId> reversal_of(const EntryId& id) override {
    slot_->before("ledger.reversal_of");
    return inner_.reversal_of(id);
  }
  std::vector<Entry> scan(std::uint64_t after_sequence, std::size_t limit) override {
    slot_->before("ledger.scan");
    return inner_.scan(after_sequence, limit);
  }
  std::vector<Entry> for_account(const AccountId& account, std::uint64_t after_sequence, std::optional<Timestamp> from,
                                 std::optional<Timestamp> to, std::size_t limit) override {
    slot_->before("ledger.for_account");
    return inner_.for_account(account, after_sequence, from, to, limit);
  }
  Balances balances_at(const AccountId& account, std::uint64_t sequence) override {
    slot_->before("ledger.balances_at");
    return inner_.balances_at(account, sequence);
  }
  std::uint64_t sequence_at(Timestamp when) override {
    slot_->before("ledger.sequence_at");
    return inner_.sequence_at(when);
  }
  std::vector<EntryId> expired_holds(Timestamp when, std::size_t limit) override {
    slot_->before("ledger.expired_holds");
    return inner_.expired_holds(when, limit);
  }
  std::uint64_t count_expired_holds(Timestamp when) override {
    slot_->before("ledger.count_expired_holds");
    return inner_.count_expired_holds(when);
  }

 private:
  LedgerRepository& inner_;
  SlotPtr slot_;
};

class FaultIdempotency final : public IdempotencyRepository {
 public:
  FaultIdempotency(IdempotencyRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) override {
    slot_->before("idempotency.find");
    return inner_.find(scope, key);
  }
  void put(const IdempotencyRecord& record) override {
    slot_->before("idempotency.put");
    inner_.put(record);
  }
  void remove(std::string_view scope, std::string_view key) override {
    slot_->before("idempotency.remove");
    inner_.remove(scope, key);
  }
  std::size_t purge_expired(Timestamp now, std::size_t limit) override {
    slot_->before("idempotency.purge_expired");
    return inner_.purge_expired(now, limit);
  }

 private:
  IdempotencyRepository& inner_;
  SlotPtr slot_;
};

class FaultOrders final : public OrderRepository {
 public:
  FaultOrders(OrderRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert(const Order& order) override {
    slot_->before("orders.insert");
    return inner_.insert(order);
  }
  std::optional<Order> find(const OrderId& id) override {
    slot_->before("orders.find");
    return inner_.find(id);
  }
  void change_status(const OrderChange& change) override {
    slot_->before("orders.change_status");
    inner_.change_status(change);
  }
  void mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) override {
    slot_->before("orders.mark_deleted");
    inner_.mark_deleted(id, version, at);
  }
  std::vector<OrderChange> history(const OrderId& id) override {
    slot_->before("orders.history");
    return inner_.history(id);
  }
  std::vector<Order> list(const OrderFilter& filter, const std::string& after, std::size_t limit) override {
    slot_->before("orders.list");
    return inner_.list(filter, after, limit);
  }

 private:
  OrderRepository& inner_;
  SlotPtr slot_;
};

class FaultJobs final : public JobRepository {
 public:
  FaultJobs(JobRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert(const Job& job) override {
    slot_->before("jobs.insert");
    return inner_.insert(job);
  }
  std::optional<Job> find(const JobId& id) override {
    slot_->before("jobs.find");
    return inner_.find(id);
  }
  std::optional<Job> find_by_dedup_key(std::string_view kind, std::string_view dedup_key) override {
    slot_->before("jobs.find_by_dedup_key");
    return inner_.find_by_dedup_key(kind, dedup_key);
  }
  void update(const Job& job) override {
    slot_->before("jobs.update");
    inner_.update(job);
  }
  std::vector<Job> due(Timestamp now, std::span<const std::string> kinds, std::size_t limit) override {
    slot_->before("jobs.due");
    return inner_.due(now, kinds, limit);
  }
  std::vector<Job> dead_letters(const std::optional<std::string>& kind, const std::string& after,
                                std::size_t limit) override {
    slot_->before("jobs.dead_letters");
    return inner_.dead_letters(kind, after, limit);
  }
  JobCounts counts(Timestamp now) override {
    slot_->before("jobs.counts");
    return inner_.counts(now);
  }
  std::size_t purge_completed(Timestamp before, std::size_t limit) override {
    slot_->before("jobs.purge_completed");
    return inner_.purge_completed(before, limit);
  }

 private:
  JobRepository& inner_;
  SlotPtr slot_;
};

class FaultPayments final : public PaymentRepository {
 public:
  FaultPayments(PaymentRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert(const Payment& payment) override {
    slot_->before("payments.insert");
    return inner_.insert(payment);
  }
  std::optional<Payment> find(const PaymentId& id) override {
    slot_->before("payments.find");
    return inner_.find(id);
  }
  std::optional<Payment> find_by_request_key(std::string_view key) override {
    slot_->before("payments.find_by_request_key");
    return inner_.find_by_request_key(key);
  }
  void update(const Payment& payment, const PaymentChange& change) override {
    slot_->before("payments.update");
    inner_.update(payment, change);
  }
  std::vector<PaymentChange> history(const PaymentId& id) override {
    slot_->before("payments.history");
    return inner_.history(id);
  }
  std::vector<Payment> list(const PaymentFilter& filter, const std::string& after, std::size_t limit) override {
    slot_->before("payments.list");
    return inner_.list(filter, after, limit);
  }

 private:
  PaymentRepository& inner_;
  SlotPtr slot_;
};

class FaultUsage final : public UsageRepository {
 public:
  FaultUsage(UsageRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert_meter(const Meter& meter) override {
    slot_->before("usage.insert_meter");
    return inner_.insert_meter(meter);
  }
  std::optional<Meter> find_meter(std::string_view code) override {
    slot_->before("usage.find_meter");
    return inner_.find_meter(code);
  }
  std::vector<Meter> meters() override {
    slot_->before("usage.meters");
    return inner_.meters();
  }
  bool event_exists(std::string_view id) override {
    slot_->before("usage.event_exists");
    return inner_.event_exists(id);
  }
  void insert_event(const StoredUsageEvent& event) override {
    slot_->before("usage.insert_event");
    inner_.insert_event(event);
  }
  std::optional<StoredUsageEvent> find_event(std::string_view id) override {
    slot_->before("usage.find_event");
    return inner_.find_event(id);
  }
  void mark_cancelled(std::string_view id, Timestamp at) override {
    slot_->before("usage.mark_cancelled");
    inner_.mark_cancelled(id, at);
  }
  std::vector<StoredUsageEvent> events(const UsageEventQuery& query, const std::optional<UsageEventCursor>& after,
                                       std::size_t limit) override {
    slot_->before("usage.events");
    return inner_.events(query, after, limit);
  }
  std::optional<UsageAggregate> find_aggregate(const UsageAggregateKey& key) override {
    slot_->before("usage.find_aggregate");
    return inner_.find_aggregate(key);
  }
  void put_aggregate(const UsageAggregate& aggregate) override {
    slot_->before("usage.put_aggregate");
    inner_.put_aggregate(aggregate);
  }
  std::vector<UsageAggregate> aggregates(const UsageAggregateRange& range) override {
    slot_->before("usage.aggregates");
    return inner_.aggregates(range);
  }
  std::vector<UsageAggregate> aggregates_of_subjects(std::string_view meter, UsagePeriod period, Timestamp start,
                                                     Timestamp end) override {
    slot_->before("usage.aggregates_of_subjects");
    return inner_.aggregates_of_subjects(meter, period, start, end);
  }
  std::uint64_t add_distinct(const UsageAggregateKey& key, std::string_view value, std::int64_t delta) override {
    slot_->before("usage.add_distinct");
    return inner_.add_distinct(key, value, delta);
  }
  std::vector<std::string> distinct_values(const UsageAggregateRange& range) override {
    slot_->before("usage.distinct_values");
    return inner_.distinct_values(range);
  }
  UsageTotals totals(std::string_view meter) override {
    slot_->before("usage.totals");
    return inner_.totals(meter);
  }
  void put_totals(const UsageTotals& totals) override {
    slot_->before("usage.put_totals");
    inner_.put_totals(totals);
  }

 private:
  UsageRepository& inner_;
  SlotPtr slot_;
};

class FaultPlans final : public PlanRepository {
 public:
  FaultPlans(PlanRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert_plan(const StoredPlan& plan) override {
    slot_->before("plans.insert_plan");
    return inner_.insert_plan(plan);
  }
  std::optional<StoredPlan> find_plan(std::string_view code) override {
    slot_->before("plans.find_plan");
    return inner_.find_plan(code);
  }
  std::vector<StoredPlan> plans(const std::string& after, std::size_t limit) override {
    slot_->before("plans.plans");
    return inner_.plans(after, limit);
  }
  std::optional<QuotaState> find_quota(std::string_view plan, std::string_view subject) override {
    slot_->before("plans.find_quota");
    return inner_.find_quota(plan, subject);
  }
  void put_quota(const QuotaState& state) override {
    slot_->before("plans.put_quota");
    inner_.put_quota(state);
  }
  bool request_seen(std::string_view plan, std::string_view subject, std::string_view request_id) override {
    slot_->before("plans.request_seen");
    return inner_.request_seen(plan, subject, request_id);
  }
  void insert_request(std::string_view plan, std::string_view subject, std::string_view request_id,
                      Timestamp at) override {
    slot_->before("plans.insert_request");
    inner_.insert_request(plan, subject, request_id, at);
  }
  bool insert_key(const StoredApiKey& key) override {
    slot_->before("plans.insert_key");
    return inner_.insert_key(key);
  }
  std::optional<StoredApiKey> find_key(const ApiKeyId& id) override {
    slot_->before("plans.find_key");
    return inner_.find_key(id);
  }
  std::vector<ApiKey> keys(const std::optional<std::string>& subject, const std::string& after,
                           std::size_t limit) override {
    slot_->before("plans.keys");
    return inner_.keys(subject, after, limit);
  }
  void revoke_key(const ApiKeyId& id, Timestamp at) override {
    slot_->before("plans.revoke_key");
    inner_.revoke_key(id, at);
  }

 private:
  PlanRepository& inner_;
  SlotPtr slot_;
};

class FaultSubscriptions final : public SubscriptionRepository {
 public:
  FaultSubscriptions(SubscriptionRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  bool insert(const Subscription& subscription) override {
    slot_->before("subscriptions.insert");
    return inner_.insert(subscription);
  }
  std::optional<Subscription> find(const SubscriptionId& id) override {
    slot_->before("subscriptions.find");
    return inner_.find(id);
  }
  bool update(const Subscription& next) override {
    slot_->before("subscriptions.update");
    return inner_.update(next);
  }
  std::vector<Subscription> due(Timestamp as_of, Timestamp after_end, const std::string& after_id,
                                std::size_t limit) override {
    slot_->before("subscriptions.due");
    return inner_.due(as_of, after_end, after_id, limit);
  }
  std::vector<Subscription> list(const SubscriptionFilter& filter, const std::string& after,
                                 std::size_t limit) override {
    slot_->before("subscriptions.list");
    return inner_.list(filter, after, limit);
  }
  void insert_adjustment(const SubscriptionAdjustment& adjustment) override {
    slot_->before("subscriptions.insert_adjustment");
    inner_.insert_adjustment(adjustment);
  }
  std::vector<SubscriptionAdjustment> adjustments(const SubscriptionId& id, Timestamp period_start) override {
    slot_->before("subscriptions.adjustments");
    return inner_.adjustments(id, period_start);
  }

 private:
  SubscriptionRepository& inner_;
  SlotPtr slot_;
};

class FaultInvoices final : public InvoiceRepository {
 public:
  FaultInvoices(InvoiceRepository& inner, SlotPtr slot) : inner_(inner), slot_(std::move(slot)) {}

  InvoiceInsert insert(const Invoice& invoice) override {
    slot_->before("invoices.insert");
    return inner_.insert(invoice);
  }
  std::optional<Invoice> find(const InvoiceId& id) override {
    slot_->before("invoices.find");
    return inner_.find(id);
  }
  std::optional<Invoice> find_for_period(const SubscriptionId& subscription, Timestamp period_start) override {
    slot_->before("invoices.find_for_period");
    return inner_.find_for_period(subscription, period_start);
  }
  bool update(const Invoice& next) override {
    slot_->before("invoices.update");
    return inner_.update(next);
  }
  std::uint64_t last_number() override {
    slot_->before("invoices.last_number");
    return inner_.last_number();
  }
  std::vector<Invoice> list(const InvoiceFilter& filter, const std::string& after, std::size_t limit) override {
    slot_->before("invoices.list");
    return inner_.list(filter, after, limit);
  }
  std::uint64_t count_open_finalized_before(Timestamp before) override {
    slot_->before("invoices.count_open_finalized_before");
    return inner_.count_open_finalized_before(before);
  }

 private:
  InvoiceRepository& inner_;
  SlotPtr slot_;
};

// Each wrapper is made on first use and kept, so that an accessor returns the same object for the
// life of the transaction, as the wrapped one's does. The accessors themselves reach no storage and
// call no hook.
class FaultTransaction final : public Transaction {
 public:
  FaultTransaction(std::unique_ptr<Transaction> inner, SlotPtr slot)
      : inner_(std::move(inner)), slot_(std::move(slot)) {}

  void commit() override {
    slot_->before("commit");
    inner_->commit();
  }
  [[nodiscard]] Access access() const noexcept override { return inner_->access(); }
  [[nodiscard]] AccountRepository& accounts() override { return wrapped(accounts_, inner_->accounts()); }
  [[nodiscard]] LedgerRepository& ledger() override { return wrapped(ledger_, inner_->ledger()); }
  [[nodiscard]] IdempotencyRepository& idempotency() override { return wrapped(idempotency_, inner_->idempotency()); }
  [[nodiscard]] OrderRepository& orders() override { return wrapped(orders_, inner_->orders()); }
  [[nodiscard]] JobRepository& jobs() override { return wrapped(jobs_, inner_->jobs()); }
  [[nodiscard]] PaymentRepository& payments() override { return wrapped(payments_, inner_->payments()); }
  [[nodiscard]] UsageRepository& usage() override { return wrapped(usage_, inner_->usage()); }
  [[nodiscard]] PlanRepository& plans() override { return wrapped(plans_, inner_->plans()); }
  [[nodiscard]] SubscriptionRepository& subscriptions() override {
    return wrapped(subscriptions_, inner_->subscriptions());
  }
  [[nodiscard]] InvoiceRepository& invoices() override { return wrapped(invoices_, inner_->invoices()); }

 private:
  template <class Wrapper, class Repository>
  Wrapper& wrapped(std::optional<Wrapper>& wrapper, Repository& inner) {
    if (!wrapper) wrapper.emplace(inner, slot_);
    return *wrapper;
  }

  std::unique_ptr<Transaction> inner_;
  SlotPtr slot_;
  std::optional<FaultAccounts> accounts_;
  std::optional<FaultLedger> ledger_;
  std::optional<FaultIdempotency> idempotency_;
  std::optional<FaultOrders> orders_;
  std::optional<FaultJobs> jobs_;
  std::optional<FaultPayments> payments_;
  std::optional<FaultUsage> usage_;
  std::optional<FaultPlans> plans_;
  std::optional<FaultSubscriptions> subscriptions_;
  std::optional<FaultInvoices> invoices_;
};

}  // namespace

FaultStore::FaultStore(std::shared_ptr<Store> inner, Hook before)
    : inner_(std::move(inner)), slot_(std::make_shared<FaultHookSlot>()) {
  if (!inner_) throw std::invalid_argument("FaultStore: the wrapped store must not be null");
  slot_->set(std::move(before));
}

void FaultStore::set_hook(Hook before) { slot_->set(std::move(before)); }

std::unique_ptr<Transaction> FaultStore::begin(Access access) {
  slot_->before("begin");
  return std::make_unique<FaultTransaction>(inner_->begin(access), slot_);
}

FaultAt::FaultAt(std::string operation, int occurrence, std::function<void()> action)
    : state_(std::make_shared<State>()) {
  if (occurrence < 1) throw std::invalid_argument("FaultAt: occurrence counts from 1");
  state_->operation = std::move(operation);
  state_->occurrence = occurrence;
  state_->action = std::move(action);
}

void FaultAt::operator()(std::string_view operation) const {
  if (operation != state_->operation) return;
  if (state_->seen.fetch_add(1) + 1 == state_->occurrence) state_->action();
}

bool FaultAt::fired() const noexcept { return state_->seen.load() >= state_->occurrence; }

struct FaultAtCall::State {
  int call = 0;
  std::function<void()> action;
  std::atomic<int> seen{0};
  mutable std::mutex mutex;
  std::string operation;  // under mutex
};

FaultAtCall::FaultAtCall(int call, std::function<void()> action) : state_(std::make_shared<State>()) {
  if (call < 0) throw std::invalid_argument("FaultAtCall: calls count from 1 (0 only counts)");
  state_->call = call;
  state_->action = std::move(action);
}

void FaultAtCall::operator()(std::string_view operation) const {
  if (state_->seen.fetch_add(1) + 1 != state_->call) return;
  {
    const std::lock_guard lock(state_->mutex);
    state_->operation = std::string(operation);
  }
  if (state_->action) state_->action();
}

bool FaultAtCall::fired() const noexcept { return state_->call > 0 && state_->seen.load() >= state_->call; }

int FaultAtCall::calls() const noexcept { return state_->seen.load(); }

std::string FaultAtCall::operation() const {
  const std::lock_guard lock(state_->mutex);
  return state_->operation;
}

}  // namespace billing::test
