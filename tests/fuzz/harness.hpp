// The frame every fuzz harness shares: how a harness is declared, how it reads its input, and what
// counts as a finding.
//
// A harness is a function of the input bytes, declared with BILLING_FUZZ_TARGET(name). Built with
// BILLING_FUZZ (clang, -fsanitize=fuzzer,address,undefined) it is a libFuzzer program of its own;
// in every other build all harnesses link into billing_fuzz_replay, which runs the seed corpus once
// (ctest fuzz.<name>), so the harnesses compile with g++ too and their seeds stay a regression suite.
//
// The library's documented exceptions (billing::Error and its subclasses) are outcomes, not findings.
// A finding is anything else: a crash, a sanitizer report, an exception of another type, a property
// that does not hold (BILLING_FUZZ_CHECK). A finding prints what happened and aborts, so that libFuzzer
// keeps the input as a crash-* artifact.
#pragma once

#include <cxxabi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>

#include "billing/error.hpp"

namespace billing::fuzz {

using Input = std::span<const std::uint8_t>;

/// Reports a finding and aborts.
[[noreturn]] inline void finding(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n== fuzz finding: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

/// The readable name of an exception's type ("billing::Overflow").
[[nodiscard]] inline std::string type_name(const std::exception& e) {
  int status = 0;
  char* readable = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string out = status == 0 && readable != nullptr ? readable : typeid(e).name();
  std::free(readable);  // NOLINT(cppcoreguidelines-no-malloc): __cxa_demangle allocates with malloc
  return out;
}

/// A property of the code under test; a false one is a finding.
#define BILLING_FUZZ_CHECK(condition)                                                                                  \
  do {                                                                                                                 \
    if (!(condition)) ::billing::fuzz::finding("property broken", #condition " (" __FILE__ ":" BILLING_FUZZ_LINE ")"); \
  } while (false)
#define BILLING_FUZZ_STRINGIFY(x) #x
#define BILLING_FUZZ_LINE_OF(x) BILLING_FUZZ_STRINGIFY(x)
#define BILLING_FUZZ_LINE BILLING_FUZZ_LINE_OF(__LINE__)

/// Runs `body`. An exception of one of the types `Allowed` (billing::Error when none is named) is an
/// outcome: returns false. Returns true when `body` returned. Any other exception is a finding.
template <class... Allowed, class Body>
bool completes(Body&& body) {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    bool allowed = false;
    if constexpr (sizeof...(Allowed) == 0) {
      allowed = dynamic_cast<const Error*>(&e) != nullptr;
    } else {
      allowed = ((dynamic_cast<const Allowed*>(&e) != nullptr) || ...);
    }
    if (!allowed) finding("an undocumented exception, " + type_name(e), e.what());
    return false;
  } catch (...) {
    finding("an exception that is not a std::exception");
  }
}

/// Reads the input front to back; past its end every read gives zeros and empty strings, so that a
/// harness never has to check the length.
class Reader {
 public:
  explicit Reader(Input input) noexcept : input_(input) {}

  [[nodiscard]] bool empty() const noexcept { return at_ >= input_.size(); }
  [[nodiscard]] std::uint8_t byte() noexcept { return empty() ? 0 : input_[at_++]; }
  [[nodiscard]] bool flag() noexcept { return (byte() & 1U) != 0; }
  [[nodiscard]] std::uint64_t u64() noexcept {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8U) | byte();
    return value;
  }
  [[nodiscard]] std::int64_t i64() noexcept { return static_cast<std::int64_t>(u64()); }
  /// A number in [0, bound) from one byte (bound at most 256).
  [[nodiscard]] std::size_t below(std::size_t bound) noexcept { return bound == 0 ? 0 : byte() % bound; }
  /// A string of up to `max_size` bytes: a length byte, then the bytes.
  [[nodiscard]] std::string text(std::size_t max_size) {
    std::size_t size = byte();
    if (size > max_size) size = max_size;
    return take(size);
  }
  /// Everything not read yet.
  [[nodiscard]] std::string rest() { return take(input_.size() - std::min(at_, input_.size())); }

 private:
  std::string take(std::size_t size) {
    const std::size_t from = std::min(at_, input_.size());
    const std::size_t count = std::min(size, input_.size() - from);
    at_ = from + count;
    return std::string(reinterpret_cast<const char*>(input_.data() + from), count);
  }

  Input input_;
  std::size_t at_ = 0;
};

/// The input as text, byte for byte (NUL bytes and invalid UTF-8 included).
[[nodiscard]] inline std::string_view as_text(Input input) noexcept {
  return {reinterpret_cast<const char*>(input.data()), input.size()};
}

using Target = void (*)(Input);
/// Replay builds only: adds a harness to billing_fuzz_replay's table (replay_main.cpp).
bool register_target(const char* name, Target target);

}  // namespace billing::fuzz

#if defined(BILLING_FUZZ_LIBFUZZER)
#define BILLING_FUZZ_ENTRY(name)                                                      \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    billing_fuzz_##name(::billing::fuzz::Input(data, size));                          \
    return 0;                                                                         \
  }
#else
#define BILLING_FUZZ_ENTRY(name)                                      \
  [[maybe_unused]] static const bool billing_fuzz_registered_##name = \
      ::billing::fuzz::register_target(#name, billing_fuzz_##name);
#endif

/// Declares the harness `name`; the function body follows, with the bytes in `input`.
#define BILLING_FUZZ_TARGET(name)                                \
  static void billing_fuzz_##name(::billing::fuzz::Input input); \
  BILLING_FUZZ_ENTRY(name)                                       \
  static void billing_fuzz_##name(::billing::fuzz::Input input)
