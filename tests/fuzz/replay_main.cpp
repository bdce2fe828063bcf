// billing_fuzz_replay: runs every input of a corpus through one harness, once, without libFuzzer.
// Builds that are not fuzzing (g++, the sanitizer build) run the seed corpus this way, as ctest fuzz.<name>:
//
//   billing_fuzz_replay money_parse tests/fuzz/corpus/money_parse [more files or directories]
//
// Prints how many inputs ran; a finding aborts (harness.hpp), and so fails the test.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

namespace billing::fuzz {
namespace {

std::map<std::string, Target>& targets() {
  static std::map<std::string, Target> table;
  return table;
}

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> out;
  if (std::filesystem::is_directory(path)) {
    for (const auto& item : std::filesystem::directory_iterator(path)) {
      if (item.is_regular_file()) out.push_back(item.path());
    }
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(path);
  }
  return out;
}

}  // namespace

bool register_target(const char* name, Target target) {
  targets().emplace(name, target);
  return true;
}

}  // namespace billing::fuzz

int main(int argc, char** argv) {
  using namespace billing::fuzz;
  if (argc < 3 || targets().count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: %s <harness> <file or directory>...\nharnesses:", argv[0]);
    for (const auto& [name, target] : targets()) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const Target target = targets().at(argv[1]);
  std::size_t count = 0;
  for (int i = 2; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    for (const auto& path : inputs_of(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      target(Input(bytes.data(), bytes.size()));
      ++count;
    }
  }
  std::printf("%s: %zu inputs replayed, no finding\n", argv[1], count);
  return count == 0 ? 1 : 0;
}
