#include "billing/job.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing {
namespace {

// FNV-1a over the id's bytes and the attempt's four bytes (little end first), then SplitMix64's
// finaliser, which spreads FNV's weak low bits over the whole word.
std::uint64_t retry_hash(const JobId& id, std::uint32_t attempt) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 0x100000001b3ULL;
  };
  for (const char c : id.str()) mix(static_cast<unsigned char>(c));
  for (int shift = 0; shift < 32; shift += 8) mix(static_cast<unsigned char>((attempt >> shift) & 0xffU));
  std::uint64_t z = h + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

namespace detail {

void check_job_options(const JobOptions& options) {
  using std::chrono::microseconds;
  if (options.max_delay <= microseconds::zero() || options.max_delay > k_max_job_delay) {
    throw InvalidArgument("max_delay", "must be more than zero and at most 30 days");
  }
  if (options.base_delay <= microseconds::zero() || options.base_delay > options.max_delay) {
    throw InvalidArgument("base_delay", "must be more than zero and at most max_delay");
  }
}

}  // namespace detail

std::optional<Timestamp> Job::due_at() const noexcept {
  switch (status) {
    case JobStatus::queued: return run_at;
    case JobStatus::claimed: return lease_expires_at;
    case JobStatus::completed:
    case JobStatus::dead_lettered: return std::nullopt;
  }
  return std::nullopt;
}

std::string_view to_string(JobStatus status) noexcept {
  switch (status) {
    case JobStatus::queued: return "queued";
    case JobStatus::claimed: return "claimed";
    case JobStatus::completed: return "completed";
    case JobStatus::dead_lettered: return "dead_lettered";
  }
  return "?";
}

std::string_view to_string(EnqueueResult result) noexcept {
  switch (result) {
    case EnqueueResult::ok: return "ok";
    case EnqueueResult::duplicate: return "duplicate";
  }
  return "?";
}

std::string_view to_string(CompleteResult result) noexcept {
  switch (result) {
    case CompleteResult::ok: return "ok";
    case CompleteResult::not_found: return "not_found";
    case CompleteResult::stale_token: return "stale_token";
  }
  return "?";
}

std::string_view to_string(FailResult result) noexcept {
  switch (result) {
    case FailResult::retry_scheduled: return "retry_scheduled";
    case FailResult::dead_lettered: return "dead_lettered";
    case FailResult::not_found: return "not_found";
    case FailResult::stale_token: return "stale_token";
  }
  return "?";
}

std::string_view to_string(RedriveResult result) noexcept {
  switch (result) {
    case RedriveResult::ok: return "ok";
    case RedriveResult::not_found: return "not_found";
    case RedriveResult::not_dead_lettered: return "not_dead_lettered";
  }
  return "?";
}

std::chrono::microseconds job_retry_delay(const JobId& id, std::uint32_t attempt, const JobOptions& options) {
  if (attempt == 0) throw InvalidArgument("attempt", "counts from 1");
  detail::check_job_options(options);
  const std::int64_t max = options.max_delay.count();
  std::int64_t cap = options.base_delay.count();
  // Doubling stops at the cap, so it never overflows, and stops early: 2^(attempt-1) is soon beyond it.
  for (std::uint32_t n = 1; n < attempt && cap < max; ++n) cap = cap > max / 2 ? max : cap * 2;
  const std::int64_t half = cap / 2;
  const auto spread = static_cast<std::int64_t>(retry_hash(id, attempt) % (static_cast<std::uint64_t>(half) + 1));
  return std::chrono::microseconds(cap - half + spread);
}

}  // namespace billing
