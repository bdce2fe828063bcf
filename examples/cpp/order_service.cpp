// The order service seed's flow, embedded: create, get, list by status, update the status, delete. Each
// step is what one HTTP handler of the seed did; here the rules (the status table, versions, who may be
// deleted) are the library's. Run: build/examples/cpp/order_service [path.db]
#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <string>

using namespace billing;

namespace {

Money usd(const char* amount) { return Money::parse(std::string(amount) + " USD"); }

void show(const char* step, const OrderOutcome& outcome) {
  if (!outcome.order) {
    fmt::print("{:<44} {}\n", step, to_string(outcome.result));
    return;
  }
  fmt::print("{:<44} {:<22} {} {:<10} v{} {}\n", step, to_string(outcome.result), outcome.order->id,
             to_string(outcome.order->status), outcome.order->version, outcome.order->total.to_string());
}

}  // namespace

int main(int argc, char** argv) {
  // A file of this run's own (two runs at once must not share one), unless one is named.
  const std::string path =
      argc > 1
          ? argv[1]
          : (std::filesystem::temp_directory_path() / fmt::format("billing-order-service-{}.db", ::getpid())).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto clock = std::make_shared<ManualClock>(Timestamp::parse("2026-03-01T09:00:00Z"));
  Books books(open_sqlite(path), clock, std::make_shared<SequentialIds>("ord-"));
  Orders& orders = books.orders();
  int failures = 0;
  const auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      fmt::print("UNEXPECTED: {}\n", what);
      ++failures;
    }
  };

  // POST /orders: three customers, the ids made by the books' IdSource.
  const auto ada = orders.create({.customer_name = "Ada Lovelace",
                                  .customer_email = "ada@example.com",
                                  .lines = {{.item = "widget", .quantity = 3, .unit_price = usd("19.99")},
                                            {.item = "gift wrap", .quantity = 1, .unit_price = usd("2.50")}}});
  const auto bob = orders.create({.customer_name = "Bob",
                                  .customer_email = "bob@example.org",
                                  .lines = {{.item = "gadget", .quantity = 1, .unit_price = usd("99.00")}}});
  const auto cy = orders.create({.customer_name = "Cy",
                                 .customer_email = "cy@example.net",
                                 .lines = {{.item = "sticker", .quantity = 10, .unit_price = usd("0.35")}}});
  show("POST /orders (Ada)", ada);
  show("POST /orders (Bob)", bob);
  show("POST /orders (Cy)", cy);
  expect(ada.ok() && bob.ok() && cy.ok(), "every order placed");
  expect(ada.order->total == usd("62.47"), "Ada's total is exact");
  try {
    (void)orders.create({.customer_name = "Eve",
                         .customer_email = "eve@localhost",
                         .lines = {{.item = "widget", .quantity = 1, .unit_price = usd("19.99")}}});
    expect(false, "a bad email is refused");
  } catch (const InvalidArgument& e) {
    fmt::print("{:<44} 400 {}\n", "POST /orders (a bad email)", e.what());
  }

  // GET /orders/{id}
  const auto got = orders.get(ada.order->id);
  fmt::print("{:<44} {} {} lines, {}\n", fmt::format("GET /orders/{}", ada.order->id), to_string(got->status),
             got->lines.size(), got->total.to_string());

  // PUT /orders/{id}/status: each update names the version its caller read.
  clock->advance(std::chrono::minutes(5));
  const auto picked = orders.transition(ada.order->id, OrderStatus::processing, ada.order->version, "picked");
  show("PUT status PROCESSING (Ada, v1)", picked);
  show("PUT status CANCELLED (Ada, stale v1)",
       orders.transition(ada.order->id, OrderStatus::cancelled, ada.order->version, "too late"));
  clock->advance(std::chrono::hours(2));
  const auto shipped = orders.transition(ada.order->id, OrderStatus::completed, picked.order->version, "shipped");
  show("PUT status COMPLETED (Ada, v2)", shipped);
  show("PUT status PENDING (Ada, v3)",
       orders.transition(ada.order->id, OrderStatus::pending, shipped.order->version, "reopen?"));
  show("PUT status PROCESSING (Bob, v1)", orders.transition(bob.order->id, OrderStatus::processing, 1, "picked"));
  expect(shipped.ok(), "Ada's order completed");

  // GET /orders?status=...: a page at a time.
  for (const OrderStatus status : k_order_statuses) {
    std::string ids;
    std::string cursor;
    for (;;) {
      const Page<Order> page = orders.list(status, std::nullopt, cursor, 2);
      for (const Order& order : page.items) ids += " " + order.id.str();
      if (!page.next_cursor) break;
      cursor = *page.next_cursor;
    }
    fmt::print("{:<44}{}\n", fmt::format("GET /orders?status={}", to_string(status)), ids.empty() ? " -" : ids);
  }
  const auto adas = orders.list(std::nullopt, std::string("ada@example.com")).items.size();
  fmt::print("{:<44} {} order{}\n", "GET /orders?customer_email=ada@example.com", adas, adas == 1 ? "" : "s");

  // DELETE /orders/{id}: not while PROCESSING; a deleted order's history stays.
  show("DELETE (Bob, PROCESSING)", orders.remove(bob.order->id));
  show("DELETE (Ada, COMPLETED, v3)", orders.remove(ada.order->id, shipped.order->version));
  show("DELETE (Ada again)", orders.remove(ada.order->id));
  expect(!orders.get(ada.order->id).has_value(), "a deleted order is gone from get()");
  for (const OrderChange& change : orders.history(ada.order->id)) {
    fmt::print("  history {}: {} -> {} at {} ({}), v{}\n", change.order_id, to_string(change.from),
               to_string(change.to), change.at.to_string(), change.reason, change.version);
  }
  expect(orders.history(ada.order->id).size() == 2, "the history stays readable");
  fmt::print("{} on {}\n", failures == 0 ? "all as expected" : "FAILED", path);
  if (argc <= 1) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  return failures == 0 ? 0 : 1;
}
