// The payment life cycle with the store failing at each of its calls in turn, on every adapter. A charge
// sits between two units of work, so a failure leaves one of two states and never a third:
//  - before the charge left (the first unit of work): the payment as it was, and the gateway not called;
//  - after it (the settling unit of work): PROCESSING, with no ledger entry and no retry job, until
//    reconcile() (once charge_timeout has passed) settles it from the gateway's own record.
// Either way the recovery ends where a run without faults ends, and nothing is charged twice. create and
// redrive are single units of work: a failure there changes nothing, and their retry works.
#include <doctest/doctest.h>

#include <filesystem>

#include <fmt/format.h>

#include "billing/books.hpp"
#include "billing/storage/memory.hpp"
#include "billing/storage/sqlite.hpp"
#include "support/fault_store.hpp"
#include "support/scratch_dir.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::FaultAtCall;
using billing::test::FaultStore;

namespace {

struct MemoryAdapter {
  static constexpr const char* k_name = "memory";
  static std::shared_ptr<Store> open() { return open_memory(); }
};

struct SqliteAdapter {
  static constexpr const char* k_name = "sqlite";
  static std::shared_ptr<Store> open() {  // a fresh file each time
    static const std::filesystem::path dir = test::scratch_dir("payment-faults");
    static int runs = 0;
    return open_sqlite((dir / fmt::format("run-{}.db", ++runs)).string(), {.durability = Durability::normal});
  }
};

const PaymentRequest k_request{.input = {.amount = "19.99", .currency = "USD", .customer_id = "cus_42",
                                         .card_number = "4242424242424242", .expiry_month = "12",
                                         .expiry_year = "2030", .cvc = "123"}};

void fail() { throw StorageError("", "the disk went away"); }

/// Books behind a FaultStore, with a manual clock, a scripted gateway and one payment created.
struct Shop {
  std::shared_ptr<FaultStore> faults;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z"));
  Books books;
  ScriptedGateway gateway;
  PaymentId id{"none"};

  Shop(std::shared_ptr<Store> store, std::vector<ScriptStep> script)
      : faults(std::make_shared<FaultStore>(std::move(store))),
        books(faults, clock, std::make_shared<SequentialIds>("gen-")),
        gateway(std::move(script)) {}

  void create() {
    const PaymentOutcome created = books.payments().create(k_request, gateway);
    REQUIRE(created.ok());
    id = created.payment->id;
  }
  Payment payment() { return *books.payments().get(id); }
  std::uint64_t entries() { return books.ledger().verify().entries_checked; }
  std::uint64_t queued() { return books.jobs().stats().scheduled + books.jobs().stats().ready; }
};

/// How many store calls `write` makes on a fresh shop, without faults.
template <class Adapter, class Setup, class Write>
int calls_of(std::vector<ScriptStep> script, Setup setup, Write write) {
  Shop shop(Adapter::open(), std::move(script));
  setup(shop);
  const FaultAtCall counter(0, nullptr);
  shop.faults->set_hook(counter);
  write(shop);
  shop.faults->set_hook(nullptr);
  return counter.calls();
}

}  // namespace

TEST_CASE_TEMPLATE("process, failed at each storage call: before the charge nothing moved; after it, reconcile "
                   "settles it once",
                   Adapter, MemoryAdapter, SqliteAdapter) {
  for (const ScriptStep answer : {ScriptStep::approve, ScriptStep::error, ScriptStep::decline}) {
    CAPTURE(to_string(answer));
    const auto setup = [](Shop& shop) { shop.create(); };
    const int calls = calls_of<Adapter>({answer}, setup, [](Shop& shop) {
      (void)shop.books.payments().process(shop.id, shop.gateway);
    });
    REQUIRE(calls > 4);
    int before_charge = 0;
    int after_charge = 0;
    for (int call = 1; call <= calls; ++call) {
      CAPTURE(call);
      Shop shop(Adapter::open(), {answer});
      setup(shop);
      const FaultAtCall fault(call, fail);
      shop.faults->set_hook(fault);
      CHECK_THROWS_AS((void)shop.books.payments().process(shop.id, shop.gateway), StorageError);
      shop.faults->set_hook(nullptr);
      REQUIRE(fault.fired());

      const Payment left = shop.payment();
      CHECK(shop.entries() == 0);
      CHECK(shop.queued() == 0);
      if (shop.gateway.charge_calls() == 0) {
        ++before_charge;
        CHECK(left.status == PaymentStatus::validated);
        CHECK(left.version == 1);
        CHECK(shop.books.payments().process(shop.id, shop.gateway).ok());
      } else {
        ++after_charge;
        CHECK(left.status == PaymentStatus::processing);
        CHECK(shop.books.payments().reconcile(shop.gateway).empty());  // it may still be in flight
        shop.clock->advance(5min);
        REQUIRE(shop.books.payments().reconcile(shop.gateway).size() == 1);
      }
      const Payment settled = shop.payment();
      CHECK(shop.gateway.charge_calls() == 1);
      CHECK(shop.gateway.charges().size() == (answer == ScriptStep::approve ? 1U : 0U));
      switch (answer) {
        case ScriptStep::approve:
          CHECK(settled.status == PaymentStatus::processed);
          CHECK(shop.entries() == 1);
          break;
        case ScriptStep::error:  // the gateway has no charge: a retry is due, on the queue
          CHECK(settled.status == PaymentStatus::validated);
          CHECK(shop.queued() == 1);
          break;
        default:
          // A decline the process did not live to store: the gateway remembers it, and reconcile reads it back.
          CHECK(settled.status == PaymentStatus::failed);
          CHECK(shop.entries() == 0);
          break;
      }
      CHECK(shop.books.ledger().verify().ok);
    }
    CHECK(before_charge > 0);
    CHECK(after_charge > 0);
    MESSAGE(std::string(Adapter::k_name), " process(", to_string(answer), "): ", calls, " fault points, ", before_charge,
            " before the charge, ", after_charge, " after it");
  }
}

TEST_CASE_TEMPLATE("create and redrive, failed at each storage call, change nothing, and their retry works", Adapter,
                   MemoryAdapter, SqliteAdapter) {
  const auto nothing = [](Shop&) {};
  const auto create = [](Shop& shop) { shop.create(); };
  const int create_calls = calls_of<Adapter>({}, nothing, create);
  for (int call = 1; call <= create_calls; ++call) {
    CAPTURE(call);
    Shop shop(Adapter::open(), {});
    const FaultAtCall fault(call, fail);
    shop.faults->set_hook(fault);
    CHECK_THROWS_AS(shop.create(), StorageError);
    shop.faults->set_hook(nullptr);
    CHECK(shop.books.payments().list().items.empty());
    CHECK_FALSE(shop.books.accounts().get(AccountId("payments:clearing:USD")).has_value());
    shop.create();
    CHECK(shop.payment().status == PaymentStatus::validated);
  }

  const auto dead = [](Shop& shop) {
    shop.books.payments().configure({.max_attempts = 1});
    shop.create();
    REQUIRE(shop.books.payments().process(shop.id, shop.gateway).payment->status == PaymentStatus::dead_lettered);
  };
  const auto redrive = [](Shop& shop) { REQUIRE(shop.books.payments().redrive(shop.id).ok()); };
  const int redrive_calls = calls_of<Adapter>({ScriptStep::error}, dead, redrive);
  for (int call = 1; call <= redrive_calls; ++call) {
    CAPTURE(call);
    Shop shop(Adapter::open(), {ScriptStep::error});
    dead(shop);
    const Payment before = shop.payment();
    const FaultAtCall fault(call, fail);
    shop.faults->set_hook(fault);
    CHECK_THROWS_AS((void)shop.books.payments().redrive(shop.id), StorageError);
    shop.faults->set_hook(nullptr);
    CHECK(shop.payment() == before);
    CHECK(shop.queued() == 0);
    redrive(shop);
    CHECK(shop.queued() == 1);
  }
  MESSAGE(std::string(Adapter::k_name), ": create ", create_calls, " fault points, redrive ", redrive_calls);
}
