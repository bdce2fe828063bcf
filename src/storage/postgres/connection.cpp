#include "connection.hpp"

#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "../conflict.hpp"
#include "billing/error.hpp"

namespace billing::detail::postgres {
namespace {

std::string_view field_of(const PGresult* result, int code) {
  const char* text = result != nullptr ? PQresultErrorField(result, code) : nullptr;
  return text != nullptr ? std::string_view(text) : std::string_view();
}

// The server's message without the trailing newline libpq keeps.
std::string message_of(PGconn* conn, const PGresult* result) {
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty() && conn != nullptr) message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void throw_error(PGconn* conn, const PGresult* result, std::string_view operation) {
  const std::string_view state = field_of(result, PG_DIAG_SQLSTATE);
  const std::string message = fmt::format("{}: {}", operation, message_of(conn, result));
  if (state == "40001" || state == "40P01") throw Conflict("", message);
  if (state.starts_with("23") || state == "P0001") {
    // The constraint's name is the column or the rule it guards (see migrations/).
    throw InvariantViolation(std::string(field_of(result, PG_DIAG_CONSTRAINT_NAME)), message);
  }
  if (state == "22021" || state == "22P05") throw InvalidArgument("text", message);
  throw StorageError("", message);
}

// ---------------------------------------------------------------------------------------- Statement

Statement::Statement(Connection& connection, std::string name, std::string sql, int parameters)
    : connection_(connection),
      name_(std::move(name)),
      sql_(std::move(sql)),
      values_(static_cast<std::size_t>(parameters), nullptr),
      lengths_(static_cast<std::size_t>(parameters), 0),
      formats_(static_cast<std::size_t>(parameters), 1),
      integers_(static_cast<std::size_t>(parameters)) {}

void Statement::check_index(int index) const {
  if (index < 1 || static_cast<std::size_t>(index) > values_.size()) [[unlikely]] {
    throw Misuse("parameter", fmt::format("${} is not a parameter of: {}", index, sql_));
  }
}

void Statement::bind(int index, std::int64_t value) {
  check_index(index);
  const auto at = static_cast<std::size_t>(index - 1);
  std::string& text = integers_[at];
  text.resize(std::numeric_limits<std::int64_t>::digits10 + 3);
  const auto [end, error] = std::to_chars(text.data(), text.data() + text.size(), value);
  (void)error;  // 21 bytes hold every int64
  text.resize(static_cast<std::size_t>(end - text.data()));
  values_[at] = text.c_str();
  lengths_[at] = 0;
  formats_[at] = 0;  // text: the server reads it into the type the SQL casts to
}

void Statement::bind_bytes(int index, const char* data, std::size_t size) {
  check_index(index);
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw InvalidArgument("text", fmt::format("{} bytes is more than a parameter can carry", size));
  }
  const auto at = static_cast<std::size_t>(index - 1);
  values_[at] = data != nullptr ? data : "";  // a null pointer would be SQL NULL; empty still means ""
  lengths_[at] = static_cast<int>(size);
  formats_[at] = 1;
}

void Statement::bind_null(int index) {
  check_index(index);
  const auto at = static_cast<std::size_t>(index - 1);
  values_[at] = nullptr;
  lengths_[at] = 0;
  formats_[at] = 0;
}

void Statement::execute(std::string_view operation) {
  PGconn* conn = connection_.handle();
  result_.reset(PQexecPrepared(conn, name_.c_str(), static_cast<int>(values_.size()), values_.data(),
                               lengths_.data(), formats_.data(), 0));
  const ExecStatusType status = result_ != nullptr ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Result failed = std::move(result_);
    rows_ = 0;
    row_ = -1;
    throw_error(conn, failed.get(), operation);
  }
  rows_ = PQntuples(result_.get());
  row_ = -1;
  const char* changed = PQcmdTuples(result_.get());
  changes_ = 0;
  if (changed != nullptr && *changed != '\0') {
    std::from_chars(changed, changed + std::char_traits<char>::length(changed), changes_);
  }
  connection_.set_changes(changes_);
}

bool Statement::step(std::string_view operation) {
  if (result_ == nullptr) execute(operation);
  if (row_ + 1 >= rows_) {
    row_ = rows_;
    return false;
  }
  ++row_;
  return true;
}

std::int64_t Statement::run(std::string_view operation) {
  execute(operation);
  return changes_;
}

bool Statement::is_null(int column) const noexcept { return PQgetisnull(result_.get(), row_, column) != 0; }

std::string_view Statement::text(int column) const noexcept {
  const char* data = PQgetvalue(result_.get(), row_, column);
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))};
}

std::int64_t Statement::int64(int column) const {
  const std::string_view digits = text(column);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) [[unlikely]] {
    throw StorageError("", fmt::format("the database returned '{}' where an integer of 64 bits belongs", digits));
  }
  return value;
}

std::span<const std::uint8_t> Statement::blob(int column) const {
  const std::string_view hex = text(column);
  if (hex.size() < 2 || hex[0] != '\\' || hex[1] != 'x' || hex.size() % 2 != 0) [[unlikely]] {
    throw StorageError("", "the database returned a bytea that is not in hex form");
  }
  blob_.resize((hex.size() - 2) / 2);
  for (std::size_t i = 0; i < blob_.size(); ++i) {
    const int high = hex_value(hex[2 + 2 * i]);
    const int low = hex_value(hex[3 + 2 * i]);
    if (high < 0 || low < 0) [[unlikely]]
      throw StorageError("", "the database returned a bytea with a byte that is not hex");
    blob_[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return blob_;
}

void Statement::rewind() noexcept {
  result_.reset();
  rows_ = 0;
  row_ = -1;
}

void Statement::reset() noexcept {
  rewind();
  std::fill(values_.begin(), values_.end(), nullptr);
  std::fill(lengths_.begin(), lengths_.end(), 0);
}

// --------------------------------------------------------------------------------------- Connection

Connection::Connection(const std::string& conninfo, const std::string& setup) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (conn_ == nullptr) throw StorageError("", "connect to PostgreSQL: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    // libpq's message names the host and the user, never the password.
    std::string message = message_of(conn_, nullptr);
    PQfinish(conn_);
    conn_ = nullptr;
    throw StorageError("", fmt::format("connect to PostgreSQL: {}", message));
  }
  // Notices (a server's warning that it is shutting down, say) would go to stderr; errors are what count,
  // and they arrive as results.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  try {
    if (!setup.empty()) run_script(setup, "configure the connection");
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

Connection::~Connection() {
  cache_.clear();
  if (conn_ != nullptr) PQfinish(conn_);
}

bool Connection::idle() const noexcept { return up() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }

std::unique_ptr<Statement> Connection::prepare(std::string_view sql, bool cached) {
  // A statement used only once (a nested lease) goes unnamed: the next unnamed one replaces it.
  std::string name = cached ? fmt::format("s{}", ++prepared_) : std::string();
  std::string text(sql);
  Result prepared(
      PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr));
  if (prepared == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    throw_error(conn_, prepared.get(), fmt::format("prepare {}", text));
  }
  Result described(PQdescribePrepared(conn_, name.c_str()));
  if (described == nullptr || PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
    throw_error(conn_, described.get(), fmt::format("describe {}", text));
  }
  return std::make_unique<Statement>(*this, std::move(name), std::move(text), PQnparams(described.get()));
}

StatementLease Connection::statement(std::string_view sql) {
  if (auto found = cache_.find(sql); found != cache_.end()) {
    if (!found->second->in_use_) return StatementLease(*found->second);
    return StatementLease(prepare(sql, false));
  }
  std::unique_ptr<Statement> statement = prepare(sql, true);
  Statement& cached = *statement;
  cache_.emplace(std::string_view(cached.sql()), std::move(statement));
  return StatementLease(cached);
}

void Connection::run_script(const std::string& sql, std::string_view operation) {
  Result result(PQexec(conn_, sql.c_str()));
  const ExecStatusType status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw_error(conn_, result.get(), operation);
}

}  // namespace billing::detail::postgres
