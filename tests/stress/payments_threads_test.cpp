// Threads race for the same payments: 4 threads each try to process all 200 payments, then race through
// rounds of reconcile() and run_due() while the gateway answers errors, timeouts, declines and approvals.
// Nothing may be charged twice: the gateway sees each payment's key in at most one charge, every processed
// payment has exactly one ledger entry, the clearing account holds exactly the processed amounts, and every
// payment ends settled (processed, failed or dead-lettered).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/payments.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

namespace {

constexpr int k_threads = 4;
constexpr int k_payments = 200;
constexpr int k_max_rounds = 12;

std::vector<ScriptStep> mixed_script() {
  std::vector<ScriptStep> script;
  for (int i = 0; i < 3 * k_payments; ++i) {
    constexpr ScriptStep k_cycle[] = {ScriptStep::error, ScriptStep::approve, ScriptStep::timeout,
                                      ScriptStep::approve, ScriptStep::decline, ScriptStep::error};
    script.push_back(k_cycle[i % 6]);
  }
  return script;
}

struct Race {
  std::atomic<int> exceptions{0};
  std::mutex mutex;
  std::string first_problem;

  void problem(const std::string& what) {
    exceptions.fetch_add(1);
    const std::lock_guard lock(mutex);
    if (first_problem.empty()) first_problem = what;
  }
};

template <class Body>
void run_threads(Race& race, Body body) {
  std::latch start(k_threads);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        body(i);
      } catch (const std::exception& e) {
        race.problem(e.what());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

std::size_t unsettled(Payments& payments) {
  std::size_t count = 0;
  for (PaymentStatus status : {PaymentStatus::validated, PaymentStatus::processing, PaymentStatus::unknown}) {
    count += payments.list(status, std::nullopt, "", 1000).items.size();
  }
  return count;
}

}  // namespace

TEST_CASE_TEMPLATE("4 threads race to process, retry and reconcile 200 payments: none is charged twice", Adapter,
                   MemoryStore, SqliteStore) {
  TempDir dir(std::string("payments-threads-") + Adapter::k_name);
  auto clock = std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z"));
  Books books(Adapter::open(dir), clock, std::make_shared<SequentialIds>("pay-"));
  ScriptedGateway gateway(mixed_script());
  std::vector<PaymentId> ids;
  for (int i = 0; i < k_payments; ++i) {
    const std::string amount = fmt::format("{}.{:02}", 1 + i % 50, i % 100);
    const PaymentOutcome created =
        books.payments().create({.input = {.amount = amount, .currency = "USD", .customer_id = "cus",
                                           .card_number = "4242424242424242", .expiry_month = "12",
                                           .expiry_year = "2030", .cvc = "123"}},
                                gateway);
    REQUIRE(created.result == PaymentResult::ok);
    ids.push_back(created.payment->id);
  }
  Race race;
  const auto began = std::chrono::steady_clock::now();
  std::atomic<int> processed_by_call{0};
  std::atomic<int> refused{0};
  run_threads(race, [&](int thread) {
    std::vector<PaymentId> order = ids;
    std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(thread)));
    for (const PaymentId& id : order) {
      const PaymentOutcome outcome = books.payments().process(id, gateway);
      (outcome.ok() ? processed_by_call : refused).fetch_add(1);
    }
  });
  // Each attempt went to one thread; a payment back in VALIDATED after an error may be sent again at once
  // by a thread that comes to it later (process() does not wait for next_attempt_at; run_due() does).
  CHECK(processed_by_call.load() >= k_payments);
  CHECK(processed_by_call.load() + refused.load() == k_threads * k_payments);

  int rounds = 0;
  for (; rounds < k_max_rounds && unsettled(books.payments()) > 0; ++rounds) {
    clock->advance(2h);
    run_threads(race, [&](int /*thread*/) {
      (void)books.payments().reconcile(gateway, 1000);
      while (!books.payments().run_due(gateway, 10).empty()) {
      }
    });
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  INFO("first problem: ", race.first_problem);
  CHECK(race.exceptions.load() == 0);
  CHECK(unsettled(books.payments()) == 0);
  std::map<std::string, int> charges_per_key;
  for (const ScriptedCharge& charge : gateway.charges()) ++charges_per_key[charge.idempotency_key];
  int charged_twice = 0;
  for (const auto& [key, count] : charges_per_key) charged_twice += count > 1;
  CHECK(charged_twice == 0);

  std::map<PaymentStatus, int> ends;
  Money processed_total(Decimal::parse("0"), Currency("USD"));
  for (const PaymentId& id : ids) {
    const Payment payment = *books.payments().get(id);
    ++ends[payment.status];
    if (payment.status == PaymentStatus::processed) {
      CHECK(payment.entry_id.has_value());
      CHECK(charges_per_key.count(payment.charge_key()) == 1);
      processed_total = processed_total + payment.amount;
    }
  }
  CHECK(static_cast<std::size_t>(ends[PaymentStatus::processed]) == charges_per_key.size());
  CHECK(books.ledger().balance(AccountId("payments:clearing:USD"))->net == processed_total);
  CHECK(books.ledger().verify().ok);
  CHECK(ends[PaymentStatus::processed] > 0);
  CHECK(ends[PaymentStatus::failed] > 0);
  MESSAGE(std::string(Adapter::k_name), ": threads=", k_threads, " payments=", k_payments,
          " processed=", ends[PaymentStatus::processed], " failed=", ends[PaymentStatus::failed],
          " dead_lettered=", ends[PaymentStatus::dead_lettered], " charge_calls=", gateway.charge_calls(),
          " charges=", gateway.charges().size(), " rounds=", rounds, " elapsed_ms=", elapsed_ms);
}
