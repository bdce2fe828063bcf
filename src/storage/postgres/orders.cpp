#include "orders.hpp"

#include <iterator>

#include <fmt/format.h>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of an order row, in the order every statement here names them.
#define BILLING_ORDER_COLUMNS(X)                                                                             \
  X(id)                                                                                                      \
  X(customer_name)                                                                                           \
  X(customer_email)                                                                                          \
  X(currency) X(currency_places) X(total_minor) X(status) X(version) X(metadata) X(created_at) X(updated_at) \
      X(deleted_at)
// The columns of a line that a read joins to its order's.
#define BILLING_ORDER_LINE_COLUMNS(X) X(position) X(item) X(quantity) X(unit_price_minor)
#define BILLING_SQL_ORDER_NAME(name) ", o." #name
#define BILLING_SQL_LINE_NAME(name) ", l." #name
// A read's row: the order's columns, then one line's (NULL for an order without lines, which is corrupt).
enum class Column : int { BILLING_ORDER_COLUMNS(BILLING_SQL_ENUM) BILLING_ORDER_LINE_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_ORDER_COLUMNS(BILLING_SQL_NAME))};
const std::string k_row_columns{
    column_list(BILLING_ORDER_COLUMNS(BILLING_SQL_ORDER_NAME) BILLING_ORDER_LINE_COLUMNS(BILLING_SQL_LINE_NAME))};
#undef BILLING_SQL_LINE_NAME
#undef BILLING_SQL_ORDER_NAME
#undef BILLING_ORDER_LINE_COLUMNS
#undef BILLING_ORDER_COLUMNS

#define BILLING_ORDER_HISTORY_COLUMNS(X) X(order_id) X(version) X(from_status) X(to_status) X(at) X(reason)
enum class ChangeColumn : int { BILLING_ORDER_HISTORY_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_change_columns{column_list(BILLING_ORDER_HISTORY_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_ORDER_HISTORY_COLUMNS

// Parameters of the insert are numbered as the columns, from 1; the lines follow as three arrays.
int param(Column column) noexcept { return col(column) + 1; }
constexpr int k_items = 12;
constexpr int k_quantities = 13;
constexpr int k_unit_prices = 14;

// The order and its lines in one statement: when the id is taken, the CTE inserts no order, so no line
// either, and no row changes.
const std::string k_insert =
    "WITH inserted AS (INSERT INTO orders (" + k_columns +
    ") VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::text, "
    "$10::bigint, $11::bigint, NULL) ON CONFLICT (id) DO NOTHING RETURNING id) "
    "INSERT INTO order_lines (order_id, position, item, quantity, unit_price_minor) "
    "SELECT inserted.id, line.position - 1, line.item, line.quantity, line.unit_price_minor FROM inserted, "
    "unnest($12::text::text[], $13::text::bigint[], $14::text::bigint[]) WITH ORDINALITY "
    "AS line (item, quantity, unit_price_minor, position)";
// An order with its lines, one row per line. A write transaction locks the order's row: what it read is
// what its change_status() or mark_deleted() will find.
const std::string k_find = "SELECT " + k_row_columns +
                           " FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id WHERE o.id = $1::text "
                           "ORDER BY l.position";
const std::string k_find_for_update = k_find + " FOR UPDATE OF o";
// The version in the WHERE clause holds under concurrent writers: an UPDATE that waited for another one
// reads the row again, and matches no row when that one moved it. The history row is inserted only for
// the row moved.
const std::string k_change_status =
    "WITH moved AS (UPDATE orders SET status = $3::bigint, version = $4::bigint, updated_at = $5::bigint "
    "WHERE id = $1::text AND status = $2::bigint AND version = $4::bigint - 1 AND deleted_at IS NULL RETURNING id) "
    "INSERT INTO order_history (" +
    k_change_columns + ") SELECT id, $4::bigint, $2::bigint, $3::bigint, $5::bigint, $6::text FROM moved";
const std::string k_history =
    "SELECT " + k_change_columns + " FROM order_history WHERE order_id = $1::text ORDER BY version";

// The statuses k_order_deletable allows, as an SQL list: "0, 2, 3".
std::string deletable_statuses() {
  std::string out;
  for (const OrderStatus status : k_order_statuses) {
    if (!order_deletable(status)) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(static_cast<int>(status));
  }
  return out;
}
const std::string k_mark_deleted =
    "UPDATE orders SET version = $2::bigint + 1, updated_at = $3::bigint, deleted_at = $3::bigint "
    "WHERE id = $1::text AND version = $2::bigint AND deleted_at IS NULL AND status IN (" +
    deletable_statuses() + ")";

// One listing per filter, each served by an index (the primary key, orders_by_status, orders_by_email):
// `$3 IS NULL OR status = $3` would make it scan. The page of orders is chosen first, then joined to its
// lines, so that one round trip reads the page. $1 is the cursor, $2 the limit, then the filter's values.
std::string listing(std::string_view where) {
  return fmt::format("SELECT {} FROM (SELECT {} FROM orders WHERE {}deleted_at IS NULL AND id > $1::text ORDER BY id "
                     "LIMIT $2::bigint) o LEFT JOIN order_lines l ON l.order_id = o.id ORDER BY o.id, l.position",
                     k_row_columns, k_columns, where);
}
const std::string k_list_all = listing("");
const std::string k_list_status = listing("status = $3::bigint AND ");
const std::string k_list_email = listing("customer_email = $3::text AND ");
const std::string k_list_both = listing("customer_email = $3::text AND status = $4::bigint AND ");

constexpr std::int64_t k_max_status = 3;

/// The items of `lines` as an array literal of text ("{"a","b\"c"}"), every element quoted (so a comma, a
/// brace, a space or NULL in an item is only text), for a $n::text::text[].
std::string item_array(const std::vector<OrderLine>& lines) {
  std::string out = "{";
  for (const OrderLine& line : lines) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (const char c : line.item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

/// The quantities or the unit prices of `lines` as an array literal ("{3,1}"), for a $n::text::bigint[].
template <class Value>
std::string integer_array(const std::vector<OrderLine>& lines, Value value) {
  std::string out = "{";
  for (const OrderLine& line : lines) {
    if (out.size() > 1) out += ',';
    fmt::format_to(std::back_inserter(out), "{}", value(line));
  }
  out += '}';
  return out;
}

Order read_order(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency = currencies(row.text(col(Column::currency)), row.int64(col(Column::currency_places)));
  const int deleted_at = col(Column::deleted_at);
  return Order{
      .id = load_id<OrderId>(row.text(col(Column::id)), "order id"),
      .customer_name = std::string(row.text(col(Column::customer_name))),
      .customer_email = std::string(row.text(col(Column::customer_email))),
      .lines = {},
      .total = Money::from_minor(load_minor(row.int64(col(Column::total_minor)), 0, "order total"), currency),
      .status = load_enum<OrderStatus>(row.int64(col(Column::status)), k_max_status, "order status"),
      .version = static_cast<std::uint64_t>(load_minor(row.int64(col(Column::version)), 1, "order version")),
      .metadata = decode_metadata(row.text(col(Column::metadata)), "an order"),
      .created_at = load_time(row.int64(col(Column::created_at))),
      .updated_at = load_time(row.int64(col(Column::updated_at))),
      .deleted_at = row.is_null(deleted_at) ? std::nullopt : std::optional(load_time(row.int64(deleted_at))),
  };
}

/// Appends the line on `row` (the next by position) to `order`.
void read_line(const Statement& row, Order& order) {
  if (row.is_null(col(Column::position))) return;  // no line at all: finish() says so
  if (row.int64(col(Column::position)) != static_cast<std::int64_t>(order.lines.size())) {
    throw_corrupt("order lines", "a position is missing");
  }
  order.lines.push_back(OrderLine{
      .item = std::string(row.text(col(Column::item))),
      .quantity = load_minor(row.int64(col(Column::quantity)), 1, "order quantity"),
      .unit_price = Money::from_minor(load_minor(row.int64(col(Column::unit_price_minor)), 0, "unit price"),
                                      order.total.currency()),
  });
}

/// Throws StorageError unless `order`'s lines, all read, are there and sum to its total.
void finish(const Order& order) {
  if (order.lines.empty()) throw_corrupt("order lines", "an order has none");
  // The guards cannot stop a line appended by hand to a stored order; the total would no longer be theirs.
  if (order_total(order.lines) != order.total) throw_corrupt("order lines", "they do not sum to the order's total");
}

/// The orders on the rows of `query` (one row per line, an order's rows together), with their lines.
std::vector<Order> read_orders(Statement& query, std::string_view operation) {
  std::vector<Order> out;
  CurrencyLookup currencies;
  while (query.step(operation)) {
    if (out.empty() || out.back().id.str() != query.text(col(Column::id))) {
      if (!out.empty()) finish(out.back());
      out.push_back(read_order(query, currencies));
    }
    read_line(query, out.back());
  }
  if (!out.empty()) finish(out.back());
  return out;
}

OrderChange read_change(const Statement& row) {
  return OrderChange{
      .order_id = load_id<OrderId>(row.text(col(ChangeColumn::order_id)), "order id"),
      .from = load_enum<OrderStatus>(row.int64(col(ChangeColumn::from_status)), k_max_status, "order status"),
      .to = load_enum<OrderStatus>(row.int64(col(ChangeColumn::to_status)), k_max_status, "order status"),
      .at = load_time(row.int64(col(ChangeColumn::at))),
      .reason = std::string(row.text(col(ChangeColumn::reason))),
      .version = static_cast<std::uint64_t>(load_minor(row.int64(col(ChangeColumn::version)), 2, "order version")),
  };
}

void bind_status(Statement& statement, int index, OrderStatus status) {
  statement.bind(index, static_cast<std::int64_t>(status));
}

}  // namespace

std::vector<std::string> order_listing_sql() { return {k_list_all, k_list_status, k_list_email, k_list_both}; }

bool Orders::insert(const Order& order) {
  Connection& connection = session_.write();
  integrity::check_new_order(order);
  std::string& metadata = connection.scratch();
  encode_metadata(order.metadata, metadata);
  const std::string items = item_array(order.lines);
  const std::string quantities = integer_array(order.lines, [](const OrderLine& line) { return line.quantity; });
  const std::string unit_prices =
      integer_array(order.lines, [](const OrderLine& line) { return line.unit_price.minor(); });
  StatementLease statement = connection.statement(k_insert);
  statement->bind(param(Column::id), order.id.str());
  statement->bind(param(Column::customer_name), order.customer_name);
  statement->bind(param(Column::customer_email), order.customer_email);
  statement->bind(param(Column::currency), order.total.currency().code());
  statement->bind(param(Column::currency_places), std::int64_t{order.total.currency().minor_units()});
  statement->bind(param(Column::total_minor), order.total.minor());
  bind_status(*statement, param(Column::status), order.status);
  statement->bind(param(Column::version), clamp_to_int64(order.version));
  statement->bind(param(Column::metadata), metadata);
  statement->bind(param(Column::created_at), order.created_at.unix_micros());
  statement->bind(param(Column::updated_at), order.updated_at.unix_micros());
  statement->bind(k_items, items);
  statement->bind(k_quantities, quantities);
  statement->bind(k_unit_prices, unit_prices);
  // One row per line when the order was stored (check_new_order saw one or more), none when its id is taken.
  return statement->run("insert an order") != 0;
}

std::optional<Order> Orders::find_with(Connection& connection, const std::string& sql, const OrderId& id) {
  StatementLease query = connection.statement(sql);
  query->bind(1, id.str());
  std::vector<Order> found = read_orders(*query, "find an order");
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<Order> Orders::find(const OrderId& id) {
  Connection& connection = session_.read();
  if (!session_.writing()) return find_with(connection, k_find, id);
  if (std::optional<Order> order = find_with(connection, k_find_for_update, id)) return order;
  // No such order yet: a writer that goes on to insert it (create's find, then insert) must take turns
  // with another doing the same, so lock its id and look again, seeing what committed meanwhile.
  session_.lock_key("orders", id.str());
  return find_with(connection, k_find_for_update, id);
}

void Orders::change_status(const OrderChange& change) {
  Connection& connection = session_.write();
  integrity::check_order_change(change);
  StatementLease statement = connection.statement(k_change_status);
  statement->bind(1, change.order_id.str());
  bind_status(*statement, 2, change.from);
  bind_status(*statement, 3, change.to);
  statement->bind(4, clamp_to_int64(change.version));
  statement->bind(5, change.at.unix_micros());
  statement->bind(6, change.reason);
  // One statement moves the row and appends its history row, or changes nothing.
  if (statement->run("change an order's status") != 1) integrity::order_not_at(change.order_id, change.version - 1);
}

void Orders::mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_mark_deleted);
  statement->bind(1, id.str());
  statement->bind(2, clamp_to_int64(version));
  statement->bind(3, at.unix_micros());
  if (statement->run("delete an order") != 1) integrity::order_not_at(id, version);
}

std::vector<OrderChange> Orders::history(const OrderId& id) {
  StatementLease query = session_.read().statement(k_history);
  query->bind(1, id.str());
  std::vector<OrderChange> out;
  while (query->step("read an order's history")) out.push_back(read_change(*query));
  return out;
}

std::vector<Order> Orders::list(const OrderFilter& filter, const std::string& after, std::size_t limit) {
  Connection& connection = session_.read();
  const std::string& sql = filter.customer_email ? (filter.status ? k_list_both : k_list_email)
                                                 : (filter.status ? k_list_status : k_list_all);
  StatementLease query = connection.statement(sql);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  if (filter.customer_email) {
    query->bind(3, *filter.customer_email);
    if (filter.status) bind_status(*query, 4, *filter.status);
  } else if (filter.status) {
    bind_status(*query, 3, *filter.status);
  }
  return read_orders(*query, "list orders");
}

}  // namespace billing::detail::postgres
