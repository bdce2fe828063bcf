// A scratch directory per test process, for the SQLite files the suites create: made empty on first use,
// removed with everything in it when the process exits.
#pragma once

#include <filesystem>
#include <string_view>

namespace billing::test {

/// <temp>/<prefix><pid>. Every call in one process returns the same directory, whatever the prefix.
[[nodiscard]] std::filesystem::path scratch_dir(std::string_view prefix);

}  // namespace billing::test
