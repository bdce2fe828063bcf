#include "support.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "workload.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves declaring it to the program

namespace billing::stress {
namespace {

std::string writer_path() {
  if (const char* path = std::getenv("BILLING_STRESS_WRITER")) return path;
  return BILLING_STRESS_WRITER;
}

}  // namespace

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          fmt::format("billing-stress-{}-{}-{}", ::getpid(), name, counter.fetch_add(1));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

// ------------------------------------------------------------------------------------------ Writer

Writer::Writer(const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC
  const std::string program = writer_path();
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    throw std::runtime_error(fmt::format("cannot start {}: error {}", program, rc));
  }
  out_ = pipe_fds[0];
}

Writer::~Writer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    (void)wait();
  }
  if (out_ >= 0) ::close(out_);
}

bool Writer::fill(std::chrono::steady_clock::time_point deadline) {
  while (!eof_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd ready{.fd = out_, .events = POLLIN, .revents = 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) return false;  // the deadline passed
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  return false;
}

std::optional<std::string> Writer::line(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (const auto end = buffer_.find('\n'); end != std::string::npos) {
      std::string whole = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return whole;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

std::vector<std::string> Writer::rest() {
  std::vector<std::string> lines;
  while (auto next = line(std::chrono::steady_clock::time_point::max())) lines.push_back(std::move(*next));
  return lines;  // a torn last line (none, since the writer writes each line at once) is left out
}

void Writer::kill_now() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

int Writer::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  pid_ = -1;
  return status;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

// ------------------------------------------------------------------------------------------ checks

std::string integrity_check(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return "cannot open: " + why;
  }
  sqlite3_busy_timeout(db, 10'000);
  std::string result;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK) {
    while (sqlite3_step(statement) == SQLITE_ROW) {
      if (!result.empty()) result += "; ";
      result += reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
  } else {
    result = std::string("cannot prepare: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(statement);
  sqlite3_close_v2(db);
  return result;
}

namespace {

// Posted debits and credits over all accounts, per currency.
void check_conservation(Books& books, LedgerFigures& figures) {
  std::map<std::string, std::int64_t> credits;
  std::string cursor;
  for (;;) {
    const Page<Account> page = books.accounts().list(std::nullopt, cursor, 1'000);
    for (const Account& account : page.items) {
      figures.debits_by_currency[std::string(account.currency.code())] += account.balances.debits_posted;
      credits[std::string(account.currency.code())] += account.balances.credits_posted;
      CHECK(account.balances.debits_pending == 0);
      CHECK(account.balances.credits_pending == 0);
    }
    if (!page.next_cursor) break;
    cursor = *page.next_cursor;
  }
  CHECK(figures.debits_by_currency == credits);
}

// Every total the hot wallet ever had, as stored with its postings, within its limit.
void check_hot_wallet(Books& books, LedgerFigures& figures) {
  const AccountId hot{std::string(k_hot_wallet)};
  Balances last{};
  std::uint64_t over_limit = 0;
  EntryQuery query{.limit = 1'000};
  for (;;) {
    const Page<Entry> page = books.ledger().entries(hot, query);
    for (const Entry& entry : page.items) {
      ++figures.hot_entries;
      for (std::size_t leg = 0; leg < entry.postings.size(); ++leg) {
        if (entry.postings[leg].account != hot) continue;
        const Balances& after = entry.balances_after.at(leg);
        if (after.debits_posted + after.debits_pending - after.credits_posted > k_hot_limit_minor) ++over_limit;
        last = after;
      }
    }
    if (!page.next_cursor) break;
    query.cursor = *page.next_cursor;
  }
  CHECK(over_limit == 0);
  const auto now = books.ledger().balance(hot);
  REQUIRE(now.has_value());
  CHECK(now->totals == last);
  CHECK(now->available->minor() >= 0);
}

}  // namespace

LedgerFigures check_ledger(Books& books, std::uint64_t expected_entries) {
  LedgerFigures figures;
  const VerifyReport report = books.ledger().verify();
  INFO("verify: ", report.problem);
  CHECK(report.ok);
  CHECK(report.entries_checked == expected_entries);
  figures.entries = report.entries_checked;
  figures.postings = report.postings_checked;
  check_conservation(books, figures);
  check_hot_wallet(books, figures);
  return figures;
}

}  // namespace billing::stress
