// Ids: typed identifiers, and the IdSource every service is given to make new ones.
//
// Id<Tag> wraps a string so that an account id cannot be passed where an entry id is expected. A host may
// supply its own ids ("acct_42", "user:7:wallet") or let an IdSource make them: Uuid7Ids gives time-ordered
// UUIDv7 strings, SequentialIds gives "id-000000000001", "id-000000000002", ... for deterministic tests.
// Ids are plain values; both sources are safe to share between threads.
//
//   struct OrderTag { static constexpr std::string_view k_field = "order_id"; };
//   using OrderId = Id<OrderTag>;
//   SequentialIds ids("ord-");
//   OrderId first = next_id<OrderId>(ids);                // "ord-000000000001"
//
// fmt::format("{}", value) needs billing/format.hpp: this header includes no third-party header.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace billing {

class Clock;  // billing/time.hpp: a caller of Uuid7Ids has one, and this header stays free of <chrono>

namespace detail {
/// Throws InvalidArgument naming `field` unless `value` is 1 to 128 printable ASCII characters, no spaces.
void validate_id(std::string_view value, std::string_view field);
}  // namespace detail

/// An identifier of the kind `Tag` names; `Tag::k_field`, a non-empty constant, is the field name used in
/// error messages.
template <class Tag>
class Id {
 public:
  static_assert(!Tag::k_field.empty(), "Tag::k_field names the id in error messages");
  static constexpr std::size_t k_max_size = 128;

  /// Throws InvalidArgument (field Tag::k_field) unless `value` is 1 to 128 printable ASCII characters
  /// without spaces.
  explicit Id(std::string value) : value_(std::move(value)) { detail::validate_id(value_, Tag::k_field); }

  [[nodiscard]] const std::string& str() const noexcept { return value_; }

  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;

 private:
  std::string value_;
};

/// Makes new, unique id strings.
class IdSource {
 public:
  virtual ~IdSource() = default;
  [[nodiscard]] virtual std::string next() = 0;
};

/// A new id of type IdT from `source`.
template <class IdT>
[[nodiscard]] IdT next_id(IdSource& source) {
  return IdT(source.next());
}

/// "prefix" followed by a 12-digit counter from `start`: sorts in the order made. For tests.
class SequentialIds final : public IdSource {
 public:
  explicit SequentialIds(std::string prefix = "id-", std::uint64_t start = 1);
  [[nodiscard]] std::string next() override;

 private:
  std::string prefix_;
  std::atomic<std::uint64_t> counter_;
};

/// RFC 9562 UUIDv7 strings ("01890a5d-ac96-774b-bcce-b302099a8057"): the clock's milliseconds, then a
/// counter and random bits. Ids from one source strictly increase, even when the clock stands still or
/// steps back.
class Uuid7Ids final : public IdSource {
 public:
  /// `clock` must outlive this source.
  explicit Uuid7Ids(const Clock& clock);
  ~Uuid7Ids() override;
  Uuid7Ids(const Uuid7Ids&) = delete;
  Uuid7Ids& operator=(const Uuid7Ids&) = delete;
  [[nodiscard]] std::string next() override;

 private:
  struct State;
  const Clock& clock_;
  State* state_;  // owned; a plain pointer rather than std::unique_ptr, so that this header needs no <memory>
};

}  // namespace billing

template <class Tag>
struct std::hash<billing::Id<Tag>> {
  std::size_t operator()(const billing::Id<Tag>& id) const noexcept { return std::hash<std::string>{}(id.str()); }
};
