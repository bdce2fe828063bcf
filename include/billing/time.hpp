// Time: a UTC Timestamp with microsecond resolution, and the Clock every service is given.
//
// Nothing in the library reads the system clock behind its caller's back: services take a Clock, so tests
// and replays are deterministic. SystemClock reads the real time; ManualClock is set by the test.
// Timestamps are plain values. Both clocks are safe to share between threads.
//
//   ManualClock clock(Timestamp::parse("2026-01-01T00:00:00Z"));
//   clock.advance(std::chrono::hours(24));
//   clock.now().to_string();                              // "2026-01-02T00:00:00Z"
//
// fmt::format("{}", value) needs billing/format.hpp: this header includes no third-party header.
#pragma once

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace billing {

/// A point in time, UTC, as microseconds since 1970-01-01T00:00:00Z. Text forms cover years 0001 to 9999.
class Timestamp {
 public:
  using Duration = std::chrono::microseconds;

  /// The Unix epoch.
  constexpr Timestamp() noexcept = default;

  [[nodiscard]] static constexpr Timestamp from_unix_micros(std::int64_t micros) noexcept { return Timestamp(micros); }
  /// Throws Overflow when seconds * 10^6 does not fit 64 bits.
  [[nodiscard]] static Timestamp from_unix_seconds(std::int64_t seconds);

  /// Parses RFC 3339: "2026-11-21T23:52:24Z", "2026-11-21T23:52:24.5+01:00" (up to 6 fractional digits).
  /// The offset is required, so that no time is read in an unknown zone. Throws InvalidArgument naming
  /// `field` for any other text or an impossible date.
  [[nodiscard]] static Timestamp parse(std::string_view text, std::string_view field = "timestamp");

  [[nodiscard]] constexpr std::int64_t unix_micros() const noexcept { return micros_; }

  /// RFC 3339 in UTC: "2026-11-21T23:52:24Z", with ".123456" only when the microseconds are not zero.
  /// Throws InvalidArgument outside years 0001 to 9999.
  [[nodiscard]] std::string to_string() const;

  /// Shifted by `delta`. Throws Overflow beyond the 64-bit range.
  [[nodiscard]] Timestamp operator+(Duration delta) const;
  [[nodiscard]] Timestamp operator-(Duration delta) const;
  /// The signed time from `earlier` to this. Throws Overflow beyond the 64-bit range.
  [[nodiscard]] Duration operator-(Timestamp earlier) const;

  friend constexpr auto operator<=>(Timestamp, Timestamp) noexcept = default;

 private:
  constexpr explicit Timestamp(std::int64_t micros) noexcept : micros_(micros) {}
  std::int64_t micros_ = 0;
};

/// Where services get the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual Timestamp now() const = 0;
};

/// The real time, from std::chrono::system_clock.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] Timestamp now() const override;
};

/// A clock that moves only when told to. For tests, replays and simulations.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = Timestamp()) noexcept : micros_(start.unix_micros()) {}

  [[nodiscard]] Timestamp now() const override {
    return Timestamp::from_unix_micros(micros_.load(std::memory_order_acquire));
  }
  /// Moves to `when`, forward or back.
  void set(Timestamp when) noexcept { micros_.store(when.unix_micros(), std::memory_order_release); }
  /// Moves by `delta`. Throws Overflow beyond the 64-bit range, leaving the clock where it was.
  void advance(Timestamp::Duration delta);

 private:
  std::atomic<std::int64_t> micros_;
};

}  // namespace billing
