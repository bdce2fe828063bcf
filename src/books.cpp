#include "billing/books.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "billing/error.hpp"
#include "context.hpp"

namespace billing {

namespace detail {

Context::Context(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock, std::shared_ptr<IdSource> ids)
    : store_(std::move(store)), clock_(std::move(clock)), ids_(std::move(ids)) {
  if (!store_) throw InvalidArgument("store", "must not be null");
  if (!clock_) clock_ = std::make_shared<SystemClock>();
  if (!ids_) ids_ = std::make_shared<Uuid7Ids>(*clock_);
}

UnitOfWork* Context::ambient() {
  std::lock_guard lock(mutex_);
  const auto it = ambient_.find(std::this_thread::get_id());
  return it == ambient_.end() ? nullptr : it->second;
}

UnitOfWork* Context::write_ambient() {
  UnitOfWork* open = ambient();
  if (open != nullptr && open->committed()) {
    throw Misuse("transaction", "was committed; this thread may write again once the transaction has ended");
  }
  return open;
}

void Context::back_off(int retry) {
  // Jitter keeps the losers of one race from meeting again at the same instant; it is no id and no
  // time of the books, so it needs no injection.
  thread_local std::minstd_rand jitter(std::random_device{}());
  const int ceiling_us = 1000 << std::min(retry, 6);
  std::uniform_int_distribution<int> pause(ceiling_us / 2, ceiling_us);
  std::this_thread::sleep_for(std::chrono::microseconds(pause(jitter)));
}

void Context::set_ambient(UnitOfWork* work) {
  std::lock_guard lock(mutex_);
  if (work == nullptr) {
    ambient_.erase(std::this_thread::get_id());
  } else {
    ambient_[std::this_thread::get_id()] = work;
  }
}

}  // namespace detail

BooksTransaction::BooksTransaction(detail::Context& context, Access access)
    : context_(context), work_(context.store(), access) {
  context_.set_ambient(&work_);
}

BooksTransaction::~BooksTransaction() { context_.set_ambient(nullptr); }

// The thread stays bound to the committed unit of work until the transaction ends, so that a write in
// between is refused (Context::write_ambient) rather than committed on its own.
void BooksTransaction::commit() {
  if (work_.committed()) throw Misuse("transaction", "is already committed");
  work_.commit();
}

Books::Books(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock, std::shared_ptr<IdSource> ids)
    : context_(std::make_unique<detail::Context>(std::move(store), std::move(clock), std::move(ids))),
      accounts_(*context_),
      ledger_(*context_),
      idempotency_(*context_),
      health_(*context_),
      orders_(*context_),
      jobs_(*context_),
      payments_(*context_, accounts_, ledger_, jobs_),
      usage_(*context_),
      plans_(*context_, usage_),
      quotas_(*context_, plans_, usage_),
      api_keys_(*context_, plans_),
      subscriptions_(*context_, accounts_, plans_),
      invoices_(*context_, accounts_, ledger_, plans_, subscriptions_, usage_),
      billing_(*context_, subscriptions_, invoices_, jobs_),
      collections_(*context_, accounts_, invoices_, subscriptions_, payments_, jobs_) {
  // An invoice follows its payment in the unit of work that settles the payment, whoever settles it.
  payments_.on_settled([this](UnitOfWork& work, const Payment& payment) { collections_.payment_settled(work, payment); });
}

Books::~Books() = default;

std::unique_ptr<BooksTransaction> Books::transaction() {
  if (context_->ambient() != nullptr) {
    throw Misuse("transaction", "this thread already has one, open or committed but not yet ended");
  }
  return std::unique_ptr<BooksTransaction>(new BooksTransaction(*context_, Access::write));
}

const Clock& Books::clock() const noexcept { return context_->clock(); }

IdSource& Books::ids() noexcept { return context_->ids(); }

}  // namespace billing
