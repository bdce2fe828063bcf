#include "billing/time.hpp"

#include <limits>

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing {
namespace {

using namespace std::chrono;

constexpr std::int64_t k_micros_per_second = 1'000'000;

std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) throw Overflow("timestamp", "is beyond the 64-bit microsecond range");
  return sum;
}

// Reads exactly `width` digits at `pos`, or returns -1.
int read_digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool has(std::string_view text, std::size_t pos, char c) { return pos < text.size() && text[pos] == c; }

}  // namespace

Timestamp Timestamp::from_unix_seconds(std::int64_t seconds) {
  std::int64_t micros = 0;
  if (__builtin_mul_overflow(seconds, k_micros_per_second, &micros)) {
    throw Overflow("seconds", "is beyond the 64-bit microsecond range");
  }
  return Timestamp(micros);
}

Timestamp Timestamp::parse(std::string_view text, std::string_view field) {
  constexpr std::size_t k_longest = 32;  // "2026-11-21T23:52:24.123456+01:00"
  if (text.size() > k_longest) {
    throw InvalidArgument(std::string(field), fmt::format("is {} bytes, longer than any RFC 3339 time this reads ({})",
                                                          text.size(), k_longest));
  }
  const auto invalid = [&](std::string_view why) {
    return InvalidArgument(std::string(field), fmt::format("'{}' is not an RFC 3339 time: {}", text, why));
  };
  const int y = read_digits(text, 0, 4);
  const int mo = read_digits(text, 5, 2);
  const int d = read_digits(text, 8, 2);
  const int h = read_digits(text, 11, 2);
  const int mi = read_digits(text, 14, 2);
  const int s = read_digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || !has(text, 4, '-') || !has(text, 7, '-') ||
      !(has(text, 10, 'T') || has(text, 10, 't')) || !has(text, 13, ':') || !has(text, 16, ':')) {
    throw invalid("expected YYYY-MM-DDTHH:MM:SS");
  }
  const year_month_day date{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!date.ok() || y == 0) throw invalid("no such date");
  if (h > 23 || mi > 59 || s > 59) throw invalid("no such time of day");

  std::size_t pos = 19;
  std::int64_t fraction_micros = 0;
  if (has(text, pos, '.')) {
    std::size_t digits = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits == 6) throw invalid("more than 6 fractional digits");
      fraction_micros = fraction_micros * 10 + (text[pos] - '0');
    }
    if (digits == 0) throw invalid("no digits after '.'");
    for (; digits < 6; ++digits) fraction_micros *= 10;
  }

  std::int64_t offset_seconds = 0;
  if (has(text, pos, 'Z') || has(text, pos, 'z')) {
    ++pos;
  } else if (has(text, pos, '+') || has(text, pos, '-')) {
    const int oh = read_digits(text, pos + 1, 2);
    const int om = read_digits(text, pos + 4, 2);
    if (oh < 0 || om < 0 || !has(text, pos + 3, ':') || oh > 23 || om > 59) throw invalid("bad offset");
    offset_seconds = (text[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    throw invalid("missing 'Z' or an offset such as +01:00");
  }
  if (pos != text.size()) throw invalid("unexpected text after the offset");

  const std::int64_t seconds =
      sys_days(date).time_since_epoch().count() * 86400 + h * 3600 + mi * 60 + s - offset_seconds;
  return Timestamp(seconds * k_micros_per_second + fraction_micros);
}

std::string Timestamp::to_string() const {
  const sys_time<microseconds> point{microseconds(micros_)};
  const sys_days day_point = floor<days>(point);
  const year_month_day date{day_point};
  if (date.year() < year(1) || date.year() > year(9999)) {
    throw InvalidArgument("timestamp", fmt::format("{} us since the epoch is outside years 0001-9999", micros_));
  }
  const hh_mm_ss<microseconds> time{point - day_point};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                                time.hours().count(), time.minutes().count(), time.seconds().count());
  if (time.subseconds().count() != 0) out += fmt::format(".{:06}", time.subseconds().count());
  out += 'Z';
  return out;
}

Timestamp Timestamp::operator+(Duration delta) const { return Timestamp(checked_add(micros_, delta.count())); }

Timestamp Timestamp::operator-(Duration delta) const {
  if (delta.count() == std::numeric_limits<std::int64_t>::min()) throw Overflow("timestamp", "delta is too large");
  return Timestamp(checked_add(micros_, -delta.count()));
}

Timestamp::Duration Timestamp::operator-(Timestamp earlier) const {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(micros_, earlier.micros_, &difference)) {
    throw Overflow("timestamp", "the difference is beyond the 64-bit microsecond range");
  }
  return Duration(difference);
}

Timestamp SystemClock::now() const {
  return Timestamp::from_unix_micros(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

void ManualClock::advance(Timestamp::Duration delta) {
  std::int64_t current = micros_.load(std::memory_order_acquire);
  while (!micros_.compare_exchange_weak(current, checked_add(current, delta.count()), std::memory_order_acq_rel)) {
  }
}

}  // namespace billing
