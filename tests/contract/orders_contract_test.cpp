// Orders, on every adapter: placing them, the status table walked pair by pair, versions under races,
// listings by status and customer, deletes and their tombstones, history, and the rows a repository refuses.
#include "billing/orders.hpp"

#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <map>
#include <random>
#include <thread>

#include "adapters.hpp"
#include "billing/storage/order_repository.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;

namespace {

OrderRequest widgets(const std::string& id, const std::string& email = "ada@example.com") {
  return {.id = OrderId(id),
          .customer_name = "Ada Lovelace",
          .customer_email = email,
          .lines = {{.item = "widget", .quantity = 3, .unit_price = usd("19.99")},
                    {.item = "gift wrap", .quantity = 1, .unit_price = usd("0.01")}},
          .metadata = {{"channel", "web"}}};
}

/// Places `id` and moves it to `status` through allowed steps; returns the order there.
Order order_in(Orders& orders, const std::string& id, OrderStatus status,
               const std::string& email = "ada@example.com") {
  auto placed = orders.create(widgets(id, email));
  REQUIRE(placed.result == OrderResult::ok);
  Order order = *placed.order;
  const auto step = [&](OrderStatus to) {
    const auto moved = orders.transition(order.id, to, order.version);
    REQUIRE(moved.result == OrderResult::ok);
    order = *moved.order;
  };
  if (status == OrderStatus::processing || status == OrderStatus::completed) step(OrderStatus::processing);
  if (status == OrderStatus::completed) step(OrderStatus::completed);
  if (status == OrderStatus::cancelled) step(OrderStatus::cancelled);
  REQUIRE(order.status == status);
  return order;
}

std::vector<std::string> ids_of(const std::vector<Order>& orders) {
  std::vector<std::string> out;
  for (const Order& order : orders) out.push_back(order.id.str());
  return out;
}

/// Every id a listing gives, page by page of `limit`.
std::vector<std::string> list_all(Orders& orders, std::optional<OrderStatus> status, std::optional<std::string> email,
                                  std::size_t limit) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    const auto page = orders.list(status, email, cursor, limit);
    CHECK(page.items.size() <= limit);
    for (const auto& id : ids_of(page.items)) seen.push_back(id);
    if (!page.next_cursor) break;
    cursor = *page.next_cursor;
  }
  return seen;
}

}  // namespace

CONTRACT_TEST("placing an order stores every field with an exact total, and a retry returns it") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  const auto placed = orders.create(widgets("ord-1"));
  REQUIRE(placed.result == OrderResult::ok);
  CHECK(placed.ok());
  const Order& order = *placed.order;
  CHECK(order.total == usd("59.98"));
  CHECK(order.status == OrderStatus::pending);
  CHECK(order.version == 1);
  CHECK(order.created_at == f.clock->now());
  CHECK(order.updated_at == f.clock->now());
  CHECK_FALSE(order.deleted_at.has_value());
  CHECK(orders.get(OrderId("ord-1")) == order);

  f.clock->advance(std::chrono::minutes(1));
  const auto again = orders.create(widgets("ord-1"));
  CHECK(again.result == OrderResult::exists);
  CHECK_FALSE(again.ok());
  CHECK(again.order == order);

  OrderRequest other = widgets("ord-1");
  other.lines[0].quantity = 4;
  const auto clash = orders.create(other);
  CHECK(clash.result == OrderResult::exists_with_different_fields);
  CHECK(clash.order == order);
  CHECK(orders.get(OrderId("ord-1"))->lines[0].quantity == 3);
}

CONTRACT_TEST("an order without an id gets one from the id source") {
  auto f = fixture<Adapter>();
  OrderRequest request = widgets("unused");
  request.id.reset();
  const auto placed = f.books->orders().create(request);
  REQUIRE(placed.result == OrderResult::ok);
  CHECK(placed.order->id == OrderId("gen-000000000001"));
}

CONTRACT_TEST("a total is exact in any currency's places, and a sum beyond Money is Overflow naming the line") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  OrderRequest dinars = widgets("bhd");
  dinars.lines = {{.item = "a", .quantity = 7, .unit_price = Money::parse("0.125 BHD")},
                  {.item = "b", .quantity = 1'000'000'000, .unit_price = Money::parse("0.001 BHD")}};
  const auto placed = orders.create(dinars);
  REQUIRE(placed.result == OrderResult::ok);
  CHECK(placed.order->total == Money::parse("1000000.875 BHD"));
  CHECK(orders.get(OrderId("bhd"))->lines == dinars.lines);

  OrderRequest huge = widgets("huge");
  huge.lines = {{.item = "a", .quantity = 1, .unit_price = Money::from_minor(Money::k_max_minor, Currency("USD"))},
                {.item = "b", .quantity = 1, .unit_price = usd("0.01")}};
  try {
    (void)orders.create(huge);
    FAIL("accepted");
  } catch (const Overflow& e) {
    CHECK(e.field() == "lines[1]");
  }
  huge.lines = {
      {.item = "a", .quantity = 2, .unit_price = Money::from_minor(Money::k_max_minor / 2 + 1, Currency("USD"))}};
  CHECK_THROWS_AS((void)orders.create(huge), Overflow);
  CHECK_FALSE(orders.get(OrderId("huge")).has_value());
}

CONTRACT_TEST("bad order requests are errors naming the field, and store nothing") {
  auto f = fixture<Adapter>();
  const auto field_of = [&](const std::function<void(OrderRequest&)>& spoil) {
    OrderRequest request = widgets("bad");
    spoil(request);
    try {
      (void)f.books->orders().create(request);
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of([](OrderRequest& r) { r.customer_name = ""; }) == "customer_name");
  CHECK(field_of([](OrderRequest& r) { r.customer_name = "tab\there"; }) == "customer_name");
  CHECK(field_of([](OrderRequest& r) { r.customer_name = std::string(257, 'n'); }) == "customer_name");
  CHECK(field_of([](OrderRequest& r) { r.customer_email = "not an email"; }) == "customer_email");
  CHECK(field_of([](OrderRequest& r) { r.lines.clear(); }) == "lines");
  CHECK(field_of([](OrderRequest& r) { r.lines.assign(k_max_order_lines + 1, r.lines[0]); }) == "lines");
  CHECK(field_of([](OrderRequest& r) { r.lines[1].item = " "; }) == "lines[1].item");
  CHECK(field_of([](OrderRequest& r) { r.lines[1].item = std::string(257, 'i'); }) == "lines[1].item");
  CHECK(field_of([](OrderRequest& r) { r.lines[0].quantity = 0; }) == "lines[0].quantity");
  CHECK(field_of([](OrderRequest& r) { r.lines[0].quantity = -3; }) == "lines[0].quantity");
  CHECK(field_of([](OrderRequest& r) { r.lines[0].quantity = k_max_order_quantity + 1; }) == "lines[0].quantity");
  CHECK(field_of([](OrderRequest& r) { r.lines[1].unit_price = usd("-0.01"); }) == "lines[1].unit_price");
  CHECK(field_of([](OrderRequest& r) { r.lines[1].unit_price = Money::parse("0.01 EUR"); }) == "lines[1].unit_price");
  CHECK(field_of([](OrderRequest& r) { r.metadata = {{"", "empty key"}}; }) == "metadata");
  CHECK_FALSE(f.books->orders().get(OrderId("bad")).has_value());
  CHECK(field_of([](OrderRequest& r) { r.lines.assign(k_max_order_lines, r.lines[0]); }) == "accepted");
  try {
    OrderRequest mixed = widgets("mixed");
    mixed.lines[1].unit_price = Money::parse("0.01 EUR");
    (void)f.books->orders().create(mixed);
  } catch (const CurrencyMismatch& e) {
    CHECK(std::string(e.what()).find("EUR") != std::string::npos);
  }
}

CONTRACT_TEST("every one of the 16 (from, to) pairs is checked against the table") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  int n = 0;
  int allowed = 0;
  for (const OrderStatus from : k_order_statuses) {
    for (const OrderStatus to : k_order_statuses) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      const Order before = order_in(orders, fmt::format("ord-{}", n++), from);
      const auto history_before = orders.history(before.id);
      f.clock->advance(std::chrono::seconds(1));
      const auto outcome = orders.transition(before.id, to, before.version, "walking the table");
      REQUIRE(outcome.order.has_value());
      if (order_transition_allowed(from, to)) {
        ++allowed;
        CHECK(outcome.result == OrderResult::ok);
        CHECK(outcome.order->status == to);
        CHECK(outcome.order->version == before.version + 1);
        CHECK(outcome.order->updated_at == f.clock->now());
        CHECK(orders.get(before.id) == outcome.order);
        const auto history = orders.history(before.id);
        REQUIRE(history.size() == history_before.size() + 1);
        CHECK(history.back() == OrderChange{.order_id = before.id,
                                            .from = from,
                                            .to = to,
                                            .at = f.clock->now(),
                                            .reason = "walking the table",
                                            .version = before.version + 1});
      } else {
        CHECK(outcome.result == OrderResult::transition_forbidden);
        CHECK(outcome.order == before);
        CHECK(orders.get(before.id) == before);
        CHECK(orders.history(before.id) == history_before);
      }
    }
  }
  CHECK(n == 16);
  CHECK(allowed == 4);
  CHECK(order_transitions() ==
        std::vector<std::pair<OrderStatus, OrderStatus>>{{OrderStatus::pending, OrderStatus::processing},
                                                         {OrderStatus::pending, OrderStatus::cancelled},
                                                         {OrderStatus::processing, OrderStatus::completed},
                                                         {OrderStatus::processing, OrderStatus::cancelled}});
}

CONTRACT_TEST("a stale version is a conflict that changes nothing and returns the order as it is") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  const Order placed = *orders.create(widgets("ord-1")).order;
  const auto first = orders.transition(placed.id, OrderStatus::processing, placed.version);
  REQUIRE(first.result == OrderResult::ok);
  // A second caller who read version 1 too: its change would overwrite the first one's.
  const auto stale = orders.transition(placed.id, OrderStatus::cancelled, placed.version, "too late");
  CHECK(stale.result == OrderResult::version_conflict);
  CHECK(stale.order == first.order);
  CHECK(orders.get(placed.id) == first.order);
  CHECK(orders.history(placed.id).size() == 1);
  // Versions are checked before the table: a stale caller learns it is stale, whatever it asked for.
  CHECK(orders.transition(placed.id, OrderStatus::pending, 1).result == OrderResult::version_conflict);
  CHECK(orders.transition(placed.id, OrderStatus::completed, 7).result == OrderResult::version_conflict);
  CHECK(orders.transition(placed.id, OrderStatus::completed, first.order->version).result == OrderResult::ok);
  CHECK(orders.transition(OrderId("nobody"), OrderStatus::processing, 1).result == OrderResult::not_found);
  CHECK_FALSE(orders.transition(OrderId("nobody"), OrderStatus::processing, 1).order.has_value());
}

CONTRACT_TEST("bad transition arguments are errors naming the field, before anything is read") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  const Order placed = *orders.create(widgets("ord-1")).order;
  const auto field_of = [&](OrderStatus to, const std::string& reason) {
    try {
      (void)orders.transition(placed.id, to, placed.version, reason);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of(static_cast<OrderStatus>(4), "") == "to");
  CHECK(field_of(OrderStatus::processing, "new\nline") == "reason");
  CHECK(field_of(OrderStatus::processing, std::string(k_max_order_reason_bytes + 1, 'r')) == "reason");
  CHECK(orders.get(placed.id) == placed);
  CHECK(field_of(OrderStatus::processing, std::string(k_max_order_reason_bytes, 'r')) == "accepted");
}

CONTRACT_TEST("a delete is allowed while PENDING, COMPLETED or CANCELLED, and forbidden while PROCESSING") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  int n = 0;
  for (const OrderStatus status : k_order_statuses) {
    CAPTURE(to_string(status));
    const Order before = order_in(orders, fmt::format("ord-{}", n++), status);
    f.clock->advance(std::chrono::seconds(1));
    const auto outcome = orders.remove(before.id, before.version);
    REQUIRE(outcome.order.has_value());
    if (status == OrderStatus::processing) {
      CHECK(outcome.result == OrderResult::delete_forbidden);
      CHECK(outcome.order == before);
      CHECK(orders.get(before.id) == before);
    } else {
      CHECK(outcome.result == OrderResult::ok);
      CHECK(outcome.order->status == status);
      CHECK(outcome.order->version == before.version + 1);
      CHECK(outcome.order->deleted_at == f.clock->now());
      CHECK(outcome.order->updated_at == f.clock->now());
      CHECK_FALSE(orders.get(before.id).has_value());
    }
  }
  CHECK(k_order_deletable == std::array<bool, 4>{true, false, true, true});
}

CONTRACT_TEST("a deleted order leaves get and every listing, keeps its history, and its id is not reused") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  const Order done = order_in(orders, "done", OrderStatus::completed);
  (void)order_in(orders, "kept", OrderStatus::completed);
  const auto history = orders.history(done.id);
  REQUIRE(history.size() == 2);

  CHECK(orders.remove(done.id, done.version - 1).result == OrderResult::version_conflict);
  const auto deleted = orders.remove(done.id);  // no version: any will do
  REQUIRE(deleted.result == OrderResult::ok);
  CHECK_FALSE(orders.get(done.id).has_value());
  CHECK(ids_of(orders.list().items) == std::vector<std::string>{"kept"});
  CHECK(ids_of(orders.list(OrderStatus::completed).items) == std::vector<std::string>{"kept"});
  CHECK(ids_of(orders.list(std::nullopt, std::string("ada@example.com")).items) == std::vector<std::string>{"kept"});
  CHECK(ids_of(orders.list(OrderStatus::completed, std::string("ada@example.com")).items) ==
        std::vector<std::string>{"kept"});
  CHECK(orders.history(done.id) == history);

  CHECK(orders.remove(done.id).result == OrderResult::not_found);
  CHECK(orders.transition(done.id, OrderStatus::cancelled, deleted.order->version).result == OrderResult::not_found);
  const auto again = orders.create(widgets("done"));
  CHECK(again.result == OrderResult::exists);
  CHECK(again.order == deleted.order);
  CHECK(orders.history(OrderId("never")).empty());
}

CONTRACT_TEST("orders list by status, by customer email or both, a page at a time, in id order") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  std::map<std::string, std::pair<OrderStatus, std::string>> expected;
  for (int i = 0; i < 30; ++i) {
    const std::string id = fmt::format("ord-{:02}", (i * 7) % 30);  // placed out of id order
    const std::string email = i % 3 == 0 ? "bob@example.org" : "ada@example.com";
    const OrderStatus status = k_order_statuses[static_cast<std::size_t>(i % 4)];
    const Order order = order_in(orders, id, status, email);
    if (i % 5 == 4 && status != OrderStatus::processing) {
      REQUIRE(orders.remove(order.id).result == OrderResult::ok);  // a tombstone the listings skip
    } else {
      expected[id] = {status, email};
    }
  }
  const auto want = [&](std::optional<OrderStatus> status, std::optional<std::string> email) {
    std::vector<std::string> out;
    for (const auto& [id, what] : expected) {
      if ((!status || what.first == *status) && (!email || what.second == *email)) out.push_back(id);
    }
    return out;
  };
  for (const std::size_t limit : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{1000}}) {
    CAPTURE(limit);
    CHECK(list_all(orders, std::nullopt, std::nullopt, limit) == want(std::nullopt, std::nullopt));
    for (const OrderStatus status : k_order_statuses) {
      CHECK(list_all(orders, status, std::nullopt, limit) == want(status, std::nullopt));
      for (const std::string email : {"ada@example.com", "bob@example.org", "nobody@example.net"}) {
        CHECK(list_all(orders, status, email, limit) == want(status, email));
        CHECK(list_all(orders, std::nullopt, email, limit) == want(std::nullopt, email));
      }
    }
  }
  const auto full = orders.list(std::nullopt, std::nullopt, "", 1000);
  CHECK_FALSE(full.next_cursor.has_value());
  CHECK(full.items.size() == expected.size());
  CHECK(full.items.front() == orders.get(full.items.front().id));  // lines and all
}

CONTRACT_TEST("bad listing arguments are errors naming the field") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  const auto field_of = [&](const std::function<void()>& list) {
    try {
      list();
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of([&] { (void)orders.list(std::nullopt, std::nullopt, "", 0); }) == "limit");
  CHECK(field_of([&] { (void)orders.list(std::nullopt, std::nullopt, "", 1001); }) == "limit");
  CHECK(field_of([&] { (void)orders.list(std::nullopt, std::nullopt, "has space"); }) == "cursor");
  CHECK(field_of([&] { (void)orders.list(std::nullopt, std::string("@example.com")); }) == "customer_email");
  CHECK(field_of([&] { (void)orders.list(static_cast<OrderStatus>(9)); }) == "status");
  CHECK(field_of([&] { (void)orders.list(std::nullopt, std::nullopt, "", 1000); }) == "accepted");
}

CONTRACT_TEST("order writes join the thread's transaction, and roll back with it") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  {
    auto transaction = f.books->transaction();
    const Order placed = *orders.create(widgets("dropped")).order;
    REQUIRE(orders.transition(placed.id, OrderStatus::processing, 1).result == OrderResult::ok);
    CHECK(orders.get(placed.id)->status == OrderStatus::processing);  // reads join it too
  }
  CHECK_FALSE(orders.get(OrderId("dropped")).has_value());
  CHECK(orders.history(OrderId("dropped")).empty());
  CHECK(orders.create(widgets("dropped")).result == OrderResult::ok);  // the id was never taken
  {
    auto transaction = f.books->transaction();
    REQUIRE(orders.transition(OrderId("dropped"), OrderStatus::cancelled, 1).result == OrderResult::ok);
    REQUIRE(orders.remove(OrderId("dropped"), 2).result == OrderResult::ok);
    const Order kept = *orders.create(widgets("kept")).order;
    transaction->commit();
    CHECK(kept.version == 1);
  }
  CHECK_FALSE(orders.get(OrderId("dropped")).has_value());
  CHECK(orders.history(OrderId("dropped")).size() == 1);
  CHECK(orders.get(OrderId("kept")).has_value());
}

CONTRACT_TEST("an order repository refuses rows the rules could never produce, and stores nothing then") {
  auto store = Adapter::open();
  const Timestamp t = Timestamp::parse("2026-01-01T00:00:00Z");
  const Order good{.id = OrderId("o"),
                   .customer_name = "Ada",
                   .customer_email = "ada@example.com",
                   .lines = {{.item = "widget", .quantity = 2, .unit_price = usd("1.50")}},
                   .total = usd("3.00"),
                   .created_at = t,
                   .updated_at = t};
  const auto refused = [&](const std::function<void(OrderRepository&)>& write) {
    UnitOfWork work(*store, Access::write);
    try {
      write(work->orders());
    } catch (const InvariantViolation& e) {
      return e.field();
    }
    work.commit();
    return std::string("stored");
  };
  const auto with = [&](const std::function<void(Order&)>& spoil) {
    Order order = good;
    spoil(order);
    return order;
  };
  CHECK(refused([&](OrderRepository& r) { (void)r.insert(with([](Order& o) { o.total = usd("3.01"); })); }) == "total");
  CHECK(refused([&](OrderRepository& r) { (void)r.insert(with([](Order& o) { o.lines.clear(); })); }) == "lines");
  CHECK(refused([&](OrderRepository& r) {
          (void)r.insert(with([](Order& o) { o.status = OrderStatus::completed; }));
        }) == "status");
  CHECK(refused([&](OrderRepository& r) { (void)r.insert(with([](Order& o) { o.version = 2; })); }) == "status");
  CHECK(refused([&](OrderRepository& r) { (void)r.insert(with([&](Order& o) { o.deleted_at = t; })); }) ==
        "updated_at");
  CHECK(refused([&](OrderRepository& r) { REQUIRE(r.insert(good)); }) == "stored");
  CHECK(refused([&](OrderRepository& r) { CHECK_FALSE(r.insert(good)); }) == "stored");

  const auto change = [&](OrderStatus from, OrderStatus to, std::uint64_t version) {
    return OrderChange{.order_id = good.id, .from = from, .to = to, .at = t, .reason = "", .version = version};
  };
  CHECK(refused([&](OrderRepository& r) {
          r.change_status(change(OrderStatus::pending, OrderStatus::completed, 2));
        }) == "status");
  CHECK(refused([&](OrderRepository& r) { r.change_status(change(OrderStatus::pending, OrderStatus::pending, 2)); }) ==
        "status");
  CHECK(refused([&](OrderRepository& r) {
          r.change_status(change(OrderStatus::pending, OrderStatus::processing, 3));
        }) == "version");
  CHECK(refused([&](OrderRepository& r) {
          r.change_status(change(OrderStatus::processing, OrderStatus::completed, 2));
        }) == "version");
  CHECK(refused([&](OrderRepository& r) {
          r.change_status({.order_id = OrderId("none"),
                           .from = OrderStatus::pending,
                           .to = OrderStatus::processing,
                           .at = t,
                           .reason = "",
                           .version = 2});
        }) == "version");
  CHECK(refused([&](OrderRepository& r) {
          r.change_status(change(OrderStatus::pending, OrderStatus::processing, 2));
        }) == "stored");
  CHECK(refused([&](OrderRepository& r) { r.mark_deleted(good.id, 2, t); }) == "version");  // PROCESSING
  CHECK(refused([&](OrderRepository& r) { r.mark_deleted(good.id, 1, t); }) == "version");  // stale
  CHECK(refused([&](OrderRepository& r) {
          r.change_status(change(OrderStatus::processing, OrderStatus::cancelled, 3));
        }) == "stored");
  CHECK(refused([&](OrderRepository& r) { r.mark_deleted(good.id, 3, t); }) == "stored");
  CHECK(refused([&](OrderRepository& r) { r.mark_deleted(good.id, 4, t); }) == "version");  // deleted already

  UnitOfWork work(*store, Access::read);
  const auto stored = work->orders().find(good.id);
  REQUIRE(stored.has_value());
  CHECK(stored->version == 4);
  CHECK(stored->status == OrderStatus::cancelled);
  CHECK(stored->deleted_at == t);
  CHECK(work->orders().history(good.id).size() == 2);
  CHECK(work->orders().list({}, "", 10).empty());
}

CONTRACT_TEST("threads racing to move the same orders lose no update: every success is one version and one change") {
  auto f = fixture<Adapter>();
  Orders& orders = f.books->orders();
  constexpr int k_orders = 40;
  constexpr int k_threads = 4;
  for (int i = 0; i < k_orders; ++i) REQUIRE(orders.create(widgets(fmt::format("race-{:02}", i))).ok());
  std::atomic<int> successes{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> unexpected{0};
  // One thread's turn on an order it has read: pick a next status the table allows and write with the
  // version read; on a conflict read again. Each thread moves the order as far as it can.
  const auto race = [&](Order order, std::mt19937& random, int thread) {
    for (;; order = *orders.get(order.id)) {
      std::vector<OrderStatus> next;
      for (const OrderStatus to : k_order_statuses) {
        if (order_transition_allowed(order.status, to)) next.push_back(to);
      }
      if (next.empty()) return;
      const OrderStatus to = next[random() % next.size()];
      const auto outcome = orders.transition(order.id, to, order.version, fmt::format("thread {}", thread));
      if (outcome.result == OrderResult::ok) {
        ++successes;
      } else if (outcome.result == OrderResult::version_conflict) {
        ++conflicts;
      } else {
        ++unexpected;
        return;
      }
    }
  };
  // Every thread reads each order before any writes it, so that they all hold version 1 at once: one
  // wins, and the others must see a conflict, however the threads are scheduled.
  std::barrier start(k_threads);
  std::barrier have_read(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      for (int i = 0; i < k_orders; ++i) {
        const OrderId id(fmt::format("race-{:02}", i));
        start.arrive_and_wait();
        std::optional<Order> read = orders.get(id);
        have_read.arrive_and_wait();
        try {
          race(read.value(), random, t);
        } catch (const std::exception&) {
          ++unexpected;  // asserted after the join: a doctest failure must not be thrown in a thread
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(unexpected.load() == 0);
  int changes = 0;
  for (int i = 0; i < k_orders; ++i) {
    const OrderId id(fmt::format("race-{:02}", i));
    const Order order = *orders.get(id);
    const auto history = orders.history(id);
    CHECK(order.version == 1 + history.size());
    OrderStatus at = OrderStatus::pending;
    for (std::size_t v = 0; v < history.size(); ++v) {
      CHECK(history[v].version == v + 2);
      CHECK(history[v].from == at);  // each change starts where the one before it ended
      at = history[v].to;
    }
    CHECK(at == order.status);
    CHECK_FALSE(order_transition_allowed(order.status, OrderStatus::completed));
    CHECK_FALSE(order_transition_allowed(order.status, OrderStatus::cancelled));
    changes += static_cast<int>(history.size());
  }
  CHECK(changes == successes.load());
  CHECK(conflicts.load() >= (k_threads - 1) * k_orders);  // at least every first write but one per order
  MESSAGE(fmt::format("{}: {} transitions, {} version conflicts", Adapter::k_name, successes.load(), conflicts.load()));
}
