#include "billing/id.hpp"

#include <algorithm>
#include <array>
#include <mutex>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/time.hpp"

namespace billing {

namespace detail {
void validate_id(std::string_view value, std::string_view field) {
  if (value.empty() || value.size() > 128) {
    throw InvalidArgument(std::string(field), fmt::format("must be 1 to 128 characters, not {}", value.size()));
  }
  const auto bad = std::find_if(value.begin(), value.end(), [](char c) { return c <= ' ' || c > '~'; });
  if (bad != value.end()) {
    throw InvalidArgument(std::string(field),
                          fmt::format("character {} is not printable ASCII without spaces", bad - value.begin()));
  }
}
}  // namespace detail

SequentialIds::SequentialIds(std::string prefix, std::uint64_t start) : prefix_(std::move(prefix)), counter_(start) {}

std::string SequentialIds::next() {
  return fmt::format("{}{:012}", prefix_, counter_.fetch_add(1, std::memory_order_relaxed));
}

struct Uuid7Ids::State {
  std::mutex mutex;
  boost::uuids::random_generator_mt19937 random;  // seeded once from the operating system
  std::int64_t last_ms = -1;
  std::uint32_t counter = 0;  // the 12-bit rand_a field, used as a counter within one millisecond
};

Uuid7Ids::Uuid7Ids(const Clock& clock) : clock_(clock), state_(new State) {}

Uuid7Ids::~Uuid7Ids() { delete state_; }

std::string Uuid7Ids::next() {
  const std::int64_t now_ms = std::max<std::int64_t>(0, clock_.now().unix_micros() / 1000);
  std::lock_guard lock(state_->mutex);
  boost::uuids::uuid id = state_->random();  // 128 random bits; version, time and counter overwrite some
  if (now_ms > state_->last_ms) {
    state_->last_ms = now_ms;
    state_->counter = id.data[6] & 0x07u;  // a small random start leaves room to count within the millisecond
  } else if (++state_->counter > 0xFFFu) {
    ++state_->last_ms;  // the counter ran out: borrow the next millisecond rather than repeat
    state_->counter = 0;
  }
  const auto ms = static_cast<std::uint64_t>(state_->last_ms);
  for (int i = 0; i < 6; ++i) id.data[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  id.data[6] = static_cast<std::uint8_t>(0x70u | (state_->counter >> 8));
  id.data[7] = static_cast<std::uint8_t>(state_->counter & 0xFFu);
  id.data[8] = static_cast<std::uint8_t>(0x80u | (id.data[8] & 0x3Fu));
  return boost::uuids::to_string(id);
}

}  // namespace billing
