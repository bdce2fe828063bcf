// Orders: the value types (OrderStatus, OrderResult, OrderLine, Order, OrderChange), order_transitions()
// and books.orders. Reprs show ids, statuses, versions and amounts, never the customer's name or email
// (personal data) nor an item (free text).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "convert.hpp"
#include "page.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace {

struct OptionalInt {
  static constexpr auto name = py::detail::const_name("Optional[int]");
};

bool outcome_ok(const OrderOutcome& outcome) { return outcome.ok(); }

void bind_order_enums(py::module_& m) {
  bind_enum<OrderStatus>(m, "OrderStatus",
                         "Where an order is in its life.\n\n"
                         "PENDING -> PROCESSING -> COMPLETED; PENDING or PROCESSING -> CANCELLED; nothing else\n"
                         "(order_transitions() lists the pairs). COMPLETED and CANCELLED are final.",
                         {{"PENDING", OrderStatus::pending},
                          {"PROCESSING", OrderStatus::processing},
                          {"COMPLETED", OrderStatus::completed},
                          {"CANCELLED", OrderStatus::cancelled}});
  bind_enum<OrderResult>(m, "OrderResult",
                         "The outcome of an order write (docs/orders.md gives the order each call checks them in).\n\n"
                         "OK: done. EXISTS: create again with the same fields; the order is returned.\n"
                         "EXISTS_WITH_DIFFERENT_FIELDS: the id is taken by another order, which is returned.\n"
                         "NOT_FOUND: no live order has the id (never placed, or deleted).\n"
                         "TRANSITION_FORBIDDEN: the status table does not allow the change (nor one to the same\n"
                         "status). VERSION_CONFLICT: the order changed since the caller read it; the current one\n"
                         "is returned. DELETE_FORBIDDEN: the order is PROCESSING.",
                         {{"OK", OrderResult::ok},
                          {"EXISTS", OrderResult::exists},
                          {"EXISTS_WITH_DIFFERENT_FIELDS", OrderResult::exists_with_different_fields},
                          {"NOT_FOUND", OrderResult::not_found},
                          {"TRANSITION_FORBIDDEN", OrderResult::transition_forbidden},
                          {"VERSION_CONFLICT", OrderResult::version_conflict},
                          {"DELETE_FORBIDDEN", OrderResult::delete_forbidden}});
}

void bind_order_line(py::module_& m) {
  py::class_<OrderLine> line(
      m, "OrderLine",
      "One line of an order: quantity (a whole number, 1 to 1,000,000,000) of item at unit_price "
      "(Money, >= 0) each.\n\nThe limits are checked by orders.create, which names the line at "
      "fault (lines[2].quantity).");
  bind_value(line)
      .def(py::init([](const Text& item, const IntArg& quantity, const Money& unit_price) {
             return OrderLine{
                 .item = item.value, .quantity = int64_from_py(quantity.value, "quantity"), .unit_price = unit_price};
           }),
           py::arg("item"), py::arg("quantity"), py::arg("unit_price"), "OrderLine(item, quantity, unit_price).")
      .def_readonly("item", &OrderLine::item, "What is ordered (str).")
      .def_readonly("quantity", &OrderLine::quantity, "How many (int).")
      .def_readonly("unit_price", &OrderLine::unit_price, "The price of one (Money).")
      .def_property_readonly("total", &OrderLine::total,
                             "quantity * unit_price (Money), exact; Overflow beyond the range of Money.")
      .def("__repr__", [](const OrderLine& line) {
        return fmt::format("OrderLine(quantity={}, unit_price={})", line.quantity, repr_of(line.unit_price));
      });
}

void bind_order(py::module_& m) {
  py::class_<Order> order(m, "Order", "An order as stored: what orders.create, get and list return.");
  bind_value(order)
      .def_property_readonly(
          "id", [](const Order& o) { return o.id.str(); }, "The order's id (str).")
      .def_readonly("customer_name", &Order::customer_name, "The customer's name (str).")
      .def_readonly("customer_email", &Order::customer_email, "The customer's email (str), as given.")
      .def_readonly("lines", &Order::lines, "Its OrderLines, in the order given.")
      .def_readonly("total", &Order::total, "The sum of the lines' totals (Money), exact.")
      .def_readonly("status", &Order::status, "Where it is in its life (OrderStatus).")
      .def_readonly("version", &Order::version,
                    "1 when placed, one more with each change (int); pass it as expected_version.")
      .def_readonly("metadata", &Order::metadata, "The metadata given at creation (dict of str to str).")
      .def_property_readonly(
          "created_at", [](const Order& o) { return datetime_result(o.created_at); },
          "When it was placed, by the books' clock (aware, UTC).")
      .def_property_readonly(
          "updated_at", [](const Order& o) { return datetime_result(o.updated_at); },
          "When its version last grew (aware, UTC).")
      .def_property_readonly(
          "deleted_at", [](const Order& o) { return datetime_result(o.deleted_at); },
          "When it was deleted, or None. Only the outcomes of delete and of create with a deleted order's id\n"
          "show a deleted order; get and list never do.")
      .def("__repr__", [](const Order& o) {
        return fmt::format("Order(id={}, status={}, version={}, total={})", repr_of(o.id), repr_of(o.status), o.version,
                           repr_of(o.total));
      });

  py::class_<OrderChange> change(m, "OrderChange",
                                 "One status change in an order's history: orders.history returns them.");
  bind_value(change)
      .def_property_readonly(
          "order_id", [](const OrderChange& c) { return c.order_id.str(); }, "The order's id (str).")
      .def_readonly("from_status", &OrderChange::from, "The status before (OrderStatus).")
      .def_readonly("to_status", &OrderChange::to, "The status after (OrderStatus).")
      .def_property_readonly(
          "at", [](const OrderChange& c) { return datetime_result(c.at); },
          "When it changed, by the books' clock (aware, UTC).")
      .def_readonly("reason", &OrderChange::reason, "The reason given (str).")
      .def_readonly("version", &OrderChange::version, "The order's version after the change (int; 2 for the first).")
      .def("__repr__", [](const OrderChange& c) {
        return fmt::format("OrderChange(order_id={}, from_status={}, to_status={}, version={})", repr_of(c.order_id),
                           repr_of(c.from), repr_of(c.to), c.version);
      });

  py::class_<OrderOutcome>(m, "OrderOutcome",
                           "What an order write returns: .result (OrderResult) and .order (the order after the "
                           "call, or None for NOT_FOUND).\n\nbool(outcome) is outcome.ok.")
      .def_readonly("result", &OrderOutcome::result, "The OrderResult.")
      .def_readonly("order", &OrderOutcome::order,
                    "The Order after the call: the new or changed one for OK, the stored one otherwise, None for "
                    "NOT_FOUND.")
      .def_property_readonly("ok", &outcome_ok, "True when this call did what it asked.")
      .def("__bool__", &outcome_ok)
      .def("__repr__", [](const OrderOutcome& o) {
        return fmt::format("OrderOutcome(result={}, order={})", repr_of(o.result),
                           o.order ? repr_of(o.order->id) : std::string("None"));
      });

  bind_page<Order>(m, "OrderPage", "orders.list", "The orders of this page, in id order.");

  m.def("order_transitions", &order_transitions,
        "The (from, to) pairs of OrderStatus that the status table allows, row by row; every other pair is\n"
        "TRANSITION_FORBIDDEN.");
}

}  // namespace

void bind_order_types(py::module_& m) {
  bind_order_enums(m);
  bind_order_line(m);
  bind_order(m);
}

void bind_orders(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;
  py::class_<Orders>(m, "Orders", "Placing orders and moving them through their status table: books.orders.")
      .def(
          "create",
          [](Orders& orders, const Text& customer_name, const Text& customer_email, std::vector<OrderLine> lines,
             const std::optional<Text>& id, TextMap metadata) {
            const OrderRequest request{.id = optional_id<OrderId>(id),
                                       .customer_name = customer_name.value,
                                       .customer_email = customer_email.value,
                                       .lines = std::move(lines),
                                       .metadata = std::move(metadata.value)};
            py::gil_scoped_release release;
            return orders.create(request);
          },
          py::arg("customer_name"), py::arg("customer_email"), py::arg("lines"), py::kw_only(),
          py::arg("id") = py::none(), py::arg("metadata") = py::dict(),
          "Places a PENDING order at version 1 and returns an OrderOutcome.\n\n"
          "lines: 1 to 1,000 OrderLines in one currency; the total is their exact sum. id is made by the books'\n"
          "IdSource when None. An id that is taken (also by a deleted order) returns the stored order with\n"
          "EXISTS or EXISTS_WITH_DIFFERENT_FIELDS. InvalidArgument names the field at fault (customer_email,\n"
          "lines[1].quantity), CurrencyMismatch a line in another currency, and nothing is stored then.")
      .def(
          "get", [](Orders& orders, const Text& id) { return orders.get(OrderId(id.value)); }, py::arg("id"), Release(),
          "The live Order with this id, or None (also for a deleted one).")
      .def(
          "list",
          [](Orders& orders, std::optional<OrderStatus> status, const std::optional<Text>& customer_email,
             const Text& cursor, const IntArg& limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            std::optional<std::string> email;
            if (customer_email) email = customer_email->value;
            py::gil_scoped_release release;
            return orders.list(status, email, cursor.value, count);
          },
          py::arg("status") = py::none(), py::arg("customer_email") = py::none(), py::arg("cursor") = "",
          py::arg("limit") = 100,
          "One OrderPage of up to limit (1 to 1,000) live orders in id order, only those in status and of\n"
          "customer_email (matched exactly) when given. cursor is the previous page's next_cursor, or \"\".")
      .def(
          "transition",
          [](Orders& orders, const Text& id, OrderStatus to, const IntArg& expected_version, const Text& reason) {
            const std::uint64_t version = uint64_from_py(expected_version.value, "expected_version");
            py::gil_scoped_release release;
            return orders.transition(OrderId(id.value), to, version, reason.value);
          },
          py::arg("id"), py::arg("to"), py::kw_only(), py::arg("expected_version"), py::arg("reason") = "",
          "Moves the order to status `to` if its version is still expected_version and the table allows it;\n"
          "returns an OrderOutcome. Checked in order: NOT_FOUND, VERSION_CONFLICT, TRANSITION_FORBIDDEN (also\n"
          "for the status it has), OK. On OK the version grows by one and the change joins the history.\n"
          "reason: up to 1,024 bytes, no control characters.")
      .def(
          "delete",
          [](Orders& orders, const Text& id, const Loose<OptionalInt>& expected_version) {
            std::optional<std::uint64_t> version;
            if (!expected_version.value.is_none()) {
              version = uint64_from_py(expected_version.value, "expected_version");
            }
            py::gil_scoped_release release;
            return orders.remove(OrderId(id.value), version);
          },
          py::arg("id"), py::kw_only(), py::arg("expected_version") = py::none(),
          "Deletes the order: get and list no longer show it, and its history stays readable. Returns an\n"
          "OrderOutcome; checked in order: NOT_FOUND (also when deleted already), VERSION_CONFLICT (only when\n"
          "expected_version is given), DELETE_FORBIDDEN (while PROCESSING), OK.")
      .def(
          "history", [](Orders& orders, const Text& id) { return orders.history(OrderId(id.value)); }, py::arg("id"),
          Release(), "The order's OrderChanges, oldest first; also for a deleted order. [] when it has none.")
      .def("__repr__", [](const Orders&) { return std::string("<billing.Orders: books.orders>"); });
}

}  // namespace billing::python
