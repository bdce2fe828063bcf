// How values cross a SQL adapter's border: ids, enums, times, hashes, currencies and metadata to and
// from columns, and named columns so that a row is read by name, never by a position kept in step with
// a comment. Internal to the adapters; every area's file of the SQLite and the PostgreSQL adapter uses
// it, with its own Statement (sqlite/connection.hpp, postgres/connection.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "billing/account.hpp"
#include "billing/decimal.hpp"
#include "billing/entry.hpp"
#include "billing/error.hpp"

namespace billing::detail {

// Named columns. An area lists a row's columns once, as an X-macro:
//
//   #define BILLING_ACCOUNT_COLUMNS(X) X(id) X(currency) ...
//   enum class AccountColumn : int { BILLING_ACCOUNT_COLUMNS(BILLING_SQL_ENUM) };
//   constexpr std::string_view k_account_columns = column_list(BILLING_ACCOUNT_COLUMNS(BILLING_SQL_NAME));
//
// and reads `row.int64(col(AccountColumn::status))`: the SELECT list and the enum come from one list.
#define BILLING_SQL_ENUM(name) name,
#define BILLING_SQL_NAME(name) ", " #name

/// "a, b, c" from the ", a, b, c" that BILLING_SQL_NAME builds.
[[nodiscard]] constexpr std::string_view column_list(std::string_view joined) { return joined.substr(2); }

/// The index of a named column.
template <class Column>
[[nodiscard]] constexpr int col(Column column) noexcept {
  return static_cast<int>(column);
}

/// SQL integers are signed; a sequence or limit beyond int64 means "no bound".
[[nodiscard]] inline std::int64_t clamp_to_int64(std::uint64_t value) noexcept {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

/// The file holds a value no billing process writes: StorageError, naming what and why.
[[noreturn]] void throw_corrupt(std::string_view what, std::string_view why);

template <class IdT>
[[nodiscard]] IdT load_id(std::string_view text, std::string_view what) {
  try {
    return IdT(std::string(text));
  } catch (const InvalidArgument& e) {
    throw_corrupt(what, e.what());
  }
}

template <class Enum>
[[nodiscard]] Enum load_enum(std::int64_t value, std::int64_t max, std::string_view what) {
  if (value < 0 || value > max) throw_corrupt(what, fmt::format("{} is out of range", value));
  return static_cast<Enum>(value);
}

/// The first and last microsecond of years 0001 to 9999, the span every text form of a Timestamp (and
/// Python's datetime) covers; the domain's own windows (effective_at, the clock) lie well inside it.
inline constexpr std::int64_t k_first_stored_micros = -62'135'596'800'000'000;
inline constexpr std::int64_t k_last_stored_micros = 253'402'300'799'999'999;

/// A stored time. Throws StorageError for one outside years 0001 to 9999: no billing process writes
/// it, and it could be neither printed nor exported.
[[nodiscard]] inline Timestamp load_time(std::int64_t micros, std::string_view what = "time") {
  if (micros < k_first_stored_micros || micros > k_last_stored_micros) [[unlikely]]
    throw_corrupt(what, fmt::format("{} us since the epoch is outside years 0001 to 9999", micros));
  return Timestamp::from_unix_micros(micros);
}

[[nodiscard]] Hash load_hash(std::span<const std::uint8_t> bytes, std::string_view what);

/// Resolves currency codes, remembering the last: the rows of a page are mostly in one or two currencies.
/// Throws StorageError for a code this process does not know.
class CurrencyLookup {
 public:
  Currency operator()(std::string_view code);
  /// The currency `code`, which the file stored with `places` places. Throws StorageError, too, when this
  /// process has it with other places: the row's amounts would be misread.
  Currency operator()(std::string_view code, std::int64_t places);

 private:
  std::optional<Currency> last_;
};

/// A number of minor units that the schema keeps at `min` or above (1 for a posting's amount, 0 for a
/// total or a limit). CHECKs guard what SQLite writes, but a damaged page or a blob may hold anything, and
/// a value out of range must not reach Money (which throws Overflow for -2^63) or the ledger's sums.
[[nodiscard]] inline std::int64_t load_minor(std::int64_t value, std::int64_t min, std::string_view what) {
  if (value < min) [[unlikely]]
    throw_corrupt(what, fmt::format("{} is below {}", value, min));
  return value;
}

/// Four running totals from four consecutive columns starting at `first`. Throws StorageError for a
/// negative one.
template <class Row>
[[nodiscard]] Balances read_balances(const Row& row, int first) {
  return {load_minor(row.int64(first), 0, "total"), load_minor(row.int64(first + 1), 0, "total"),
          load_minor(row.int64(first + 2), 0, "total"), load_minor(row.int64(first + 3), 0, "total")};
}

/// Binds the four running totals to parameters `first` to `first + 3`.
template <class Statement>
void bind_balances(Statement& statement, int first, const Balances& balances) {
  statement.bind(first, balances.debits_posted);
  statement.bind(first + 1, balances.credits_posted);
  statement.bind(first + 2, balances.debits_pending);
  statement.bind(first + 3, balances.credits_pending);
}

/// A decimal as Decimal::to_string writes it, and only so: "1e5" or "+7" are values, but not text this
/// library writes, so a row that holds them was written by something else. Throws StorageError naming `what`.
[[nodiscard]] Decimal load_decimal(std::string_view text, std::string_view what);

/// Writes `metadata` into `out` (replacing its content) as a JSON object of strings: keys in map order,
/// '"', '\' and control characters escaped, other bytes as they are. SQLite's json functions can read it.
void encode_metadata(const Metadata& metadata, std::string& out);

/// Reads a JSON object of strings back into Metadata: any JSON whitespace, every JSON escape including
/// \uXXXX surrogate pairs (as UTF-8). Throws StorageError naming `what` for anything else: another
/// JSON type, a duplicate key, a lone surrogate, bad syntax.
[[nodiscard]] Metadata decode_metadata(std::string_view json, std::string_view what);

}  // namespace billing::detail
