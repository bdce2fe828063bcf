#include "support/scratch_dir.hpp"

#include <unistd.h>

#include <string>
#include <system_error>

namespace billing::test {

std::filesystem::path scratch_dir(std::string_view prefix) {
  static const auto dir = [prefix] {
    auto path = std::filesystem::temp_directory_path() / (std::string(prefix) + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
    return path;
  }();
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup;
  return dir;
}

}  // namespace billing::test
