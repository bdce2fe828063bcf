// Counts heap allocations made by the current thread, so a test can assert that a hot path makes none.
#pragma once

#include <cstddef>

namespace billing::test {
std::size_t allocations_on_this_thread() noexcept;
}  // namespace billing::test
