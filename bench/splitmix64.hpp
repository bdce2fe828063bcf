// splitmix64: a fixed pseudo-random stream, so that every run and every benchmark posts the same
// transfers. bench/ledger_vs_cli.py repeats it in Python to write the same transfers as a journal.
#pragma once

#include <cstdint>

namespace billing::bench {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

}  // namespace billing::bench
