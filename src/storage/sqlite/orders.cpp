#include "orders.hpp"

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of each table, in the order every statement here names them.
#define BILLING_ORDER_COLUMNS(X)                                                                             \
  X(id)                                                                                                      \
  X(customer_name)                                                                                           \
  X(customer_email)                                                                                          \
  X(currency) X(currency_places) X(total_minor) X(status) X(version) X(metadata) X(created_at) X(updated_at) \
      X(deleted_at)
enum class Column : int { BILLING_ORDER_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_ORDER_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_ORDER_COLUMNS

#define BILLING_ORDER_LINE_COLUMNS(X) X(order_id) X(position) X(item) X(quantity) X(unit_price_minor)
enum class LineColumn : int { BILLING_ORDER_LINE_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_line_columns{column_list(BILLING_ORDER_LINE_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_ORDER_LINE_COLUMNS

#define BILLING_ORDER_HISTORY_COLUMNS(X) X(order_id) X(version) X(from_status) X(to_status) X(at) X(reason)
enum class ChangeColumn : int { BILLING_ORDER_HISTORY_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_change_columns{column_list(BILLING_ORDER_HISTORY_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_ORDER_HISTORY_COLUMNS

// Parameters are numbered as the columns, from 1.
template <class C>
int param(C column) noexcept {
  return col(column) + 1;
}

const std::string k_insert = "INSERT INTO orders (" + k_columns +
                             ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 "
                             "WHERE NOT EXISTS (SELECT 1 FROM orders WHERE id = ?1)";
const std::string k_insert_line = "INSERT INTO order_lines (" + k_line_columns + ") VALUES (?1, ?2, ?3, ?4, ?5)";
const std::string k_find = "SELECT " + k_columns + " FROM orders WHERE id = ?1";
const std::string k_lines = "SELECT " + k_line_columns + " FROM order_lines WHERE order_id = ?1 ORDER BY position";
constexpr std::string_view k_change_status =
    "UPDATE orders SET status = ?3, version = ?4, updated_at = ?5 "
    "WHERE id = ?1 AND status = ?2 AND version = ?4 - 1 AND deleted_at IS NULL";
const std::string k_insert_change =
    "INSERT INTO order_history (" + k_change_columns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const std::string k_history = "SELECT " + k_change_columns + " FROM order_history WHERE order_id = ?1 ORDER BY version";

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
    "UPDATE orders SET version = ?2 + 1, updated_at = ?3, deleted_at = ?3 "
    "WHERE id = ?1 AND version = ?2 AND deleted_at IS NULL AND status IN (" +
    deletable_statuses() + ")";

// One listing per filter, each served by an index: `?2 IS NULL OR status = ?2` would make it scan. Without
// statistics the planner would rather walk the primary key in id order and filter a customer's orders out
// of all of them, so the filtered listings name their index (INDEXED BY): a schema that lost it fails to
// prepare them instead of quietly scanning. ?1 is the cursor, ?2 the limit, ?3 the status, ?4 the email.
const std::string k_list_select = "SELECT " + k_columns + " FROM orders ";
const std::string k_list_suffix = "deleted_at IS NULL AND id > ?1 ORDER BY id LIMIT ?2";
const std::string k_list_all = k_list_select + "WHERE " + k_list_suffix;
const std::string k_list_status = k_list_select + "INDEXED BY orders_by_status WHERE status = ?3 AND " + k_list_suffix;
const std::string k_list_email =
    k_list_select + "INDEXED BY orders_by_email WHERE customer_email = ?4 AND " + k_list_suffix;
const std::string k_list_both =
    k_list_select + "INDEXED BY orders_by_email WHERE customer_email = ?4 AND status = ?3 AND " + k_list_suffix;

constexpr std::int64_t k_max_status = 3;

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
  {
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
    statement->bind_null(param(Column::deleted_at));
    statement->run("insert an order");
    if (connection.changes() != 1) return false;
  }
  try {
    StatementLease line = connection.statement(k_insert_line);
    for (std::size_t i = 0; i < order.lines.size(); ++i) {
      line->bind(param(LineColumn::order_id), order.id.str());
      line->bind(param(LineColumn::position), static_cast<std::int64_t>(i));
      line->bind(param(LineColumn::item), order.lines[i].item);
      line->bind(param(LineColumn::quantity), order.lines[i].quantity);
      line->bind(param(LineColumn::unit_price_minor), order.lines[i].unit_price.minor());
      line->run("insert an order line");
      line->rewind();
    }
  } catch (...) {
    session_.mark_broken();  // the order is stored without all its lines: this transaction must not commit
    throw;
  }
  return true;
}

std::optional<Order> Orders::find(const OrderId& id) {
  Connection& connection = session_.read();
  std::optional<Order> order;
  {
    StatementLease query = connection.statement(k_find);
    query->bind(1, id.str());
    if (!query->step("find an order")) return std::nullopt;
    CurrencyLookup currencies;
    order = read_order(*query, currencies);
  }
  attach_lines(connection, *order);
  return order;
}

void Orders::change_status(const OrderChange& change) {
  Connection& connection = session_.write();
  integrity::check_order_change(change);
  {
    StatementLease statement = connection.statement(k_change_status);
    statement->bind(1, change.order_id.str());
    bind_status(*statement, 2, change.from);
    bind_status(*statement, 3, change.to);
    statement->bind(4, clamp_to_int64(change.version));
    statement->bind(5, change.at.unix_micros());
    statement->run("change an order's status");
    if (connection.changes() != 1) integrity::order_not_at(change.order_id, change.version - 1);
  }
  StatementLease statement = connection.statement(k_insert_change);
  statement->bind(param(ChangeColumn::order_id), change.order_id.str());
  statement->bind(param(ChangeColumn::version), clamp_to_int64(change.version));
  bind_status(*statement, param(ChangeColumn::from_status), change.from);
  bind_status(*statement, param(ChangeColumn::to_status), change.to);
  statement->bind(param(ChangeColumn::at), change.at.unix_micros());
  statement->bind(param(ChangeColumn::reason), change.reason);
  try {
    statement->run("record an order's status change");
  } catch (...) {
    session_.mark_broken();  // the order moved without its history row: this transaction must not commit
    throw;
  }
}

void Orders::mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_mark_deleted);
  statement->bind(1, id.str());
  statement->bind(2, clamp_to_int64(version));
  statement->bind(3, at.unix_micros());
  statement->run("delete an order");
  if (connection.changes() != 1) integrity::order_not_at(id, version);
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
  std::vector<Order> out;
  {
    StatementLease query = connection.statement(sql);
    query->bind(1, after);
    query->bind(2, clamp_to_int64(limit));
    if (filter.status) bind_status(*query, 3, *filter.status);
    if (filter.customer_email) query->bind(4, *filter.customer_email);
    CurrencyLookup currencies;
    while (query->step("list orders")) out.push_back(read_order(*query, currencies));
  }
  for (Order& order : out) attach_lines(connection, order);
  return out;
}

std::vector<OrderLine> Orders::lines_of(Connection& connection, std::string_view id, Currency currency) {
  StatementLease query = connection.statement(k_lines);
  query->bind(1, id);
  std::vector<OrderLine> out;
  while (query->step("read an order's lines")) {
    const Statement& row = *query;
    if (row.int64(col(LineColumn::position)) != static_cast<std::int64_t>(out.size())) {
      throw_corrupt("order lines", "a position is missing");
    }
    out.push_back(OrderLine{
        .item = std::string(row.text(col(LineColumn::item))),
        .quantity = load_minor(row.int64(col(LineColumn::quantity)), 1, "order quantity"),
        .unit_price =
            Money::from_minor(load_minor(row.int64(col(LineColumn::unit_price_minor)), 0, "unit price"), currency),
    });
  }
  if (out.empty()) throw_corrupt("order lines", "an order has none");
  return out;
}

void Orders::attach_lines(Connection& connection, Order& order) {
  order.lines = lines_of(connection, order.id.str(), order.total.currency());
  // The guards cannot stop a line appended by hand to a stored order; the total would no longer be theirs.
  if (order_total(order.lines) != order.total) throw_corrupt("order lines", "they do not sum to the order's total");
}

}  // namespace billing::detail::sqlite
