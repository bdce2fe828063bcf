// What the stress tests share: scratch directories, the writer program as a child process, and the
// checks every ledger must pass after a storm (conservation, verify, the hot wallet's limit).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "billing/books.hpp"
#include "billing/storage/ledger_repository.hpp"

namespace billing::stress {

/// A directory of its own, named with the pid, removed with everything in it at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// billing_stress_writer started with `args`, its stdout on a pipe. The destructor kills and reaps a
/// child still running, so that a failed REQUIRE leaves no writer behind.
class Writer {
 public:
  explicit Writer(const std::vector<std::string>& args);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// The next whole line of stdout, waiting until `deadline`; nullopt at end of file or the deadline.
  [[nodiscard]] std::optional<std::string> line(std::chrono::steady_clock::time_point deadline);
  /// Every remaining whole line, up to end of file (the child must have ended or be ending).
  [[nodiscard]] std::vector<std::string> rest();
  void kill_now();
  /// Waits for the child and returns its wait status.
  int wait();

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  pid_t pid_ = -1;
  int out_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

/// "exited 0", "killed by signal 9", ... for messages.
[[nodiscard]] std::string describe_status(int status);

/// What `PRAGMA integrity_check` says about the file, read with a plain sqlite3 connection.
[[nodiscard]] std::string integrity_check(const std::string& path);

/// What check_ledger() counted.
struct LedgerFigures {
  std::uint64_t entries = 0;
  std::uint64_t postings = 0;
  std::uint64_t hot_entries = 0;  ///< entries touching the hot wallet, each checked against its limit
  std::map<std::string, std::int64_t> debits_by_currency;
};

/// Checks the ledger after a workload of plan_transfer(): verify() passes and counts `expected_entries`;
/// posted debits equal posted credits in every currency over all accounts; and every balances_after of
/// the hot wallet, walked page by page through Ledger::entries, is within its limit.
LedgerFigures check_ledger(Books& books, std::uint64_t expected_entries);

}  // namespace billing::stress
