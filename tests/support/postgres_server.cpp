#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace billing::test {
namespace {

std::mutex g_mutex;

// Runs `command` through the shell; its exit status (or -1), and what it printed into `output`.
int run(const std::string& command, std::string* output = nullptr) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer{};
  std::string text;
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) text.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (output != nullptr) *output = std::move(text);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void must(const std::string& command, const char* what) {
  std::string output;
  if (run(command, &output) != 0) {
    throw std::runtime_error(fmt::format("the test PostgreSQL server: {} failed: {}\n{}", what, command, output));
  }
}

std::string bin_dir() {
  if (const char* dir = std::getenv("BILLING_TEST_PG_BINDIR")) return dir;
  for (const char* dir : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (std::filesystem::exists(std::filesystem::path(dir) / "initdb")) return dir;
  }
  throw std::runtime_error("the test PostgreSQL server: no initdb found; install postgresql-15 "
                           "(scripts/install-deps.sh) or set BILLING_TEST_PG_BINDIR");
}

}  // namespace

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() {
  if (const char* outside = std::getenv("BILLING_TEST_POSTGRES"); outside != nullptr && *outside != '\0') {
    conninfo_ = outside;
    return;
  }
  bin_ = bin_dir();
  std::string pattern = (std::filesystem::temp_directory_path() / "billing-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("the test PostgreSQL server: mkdtemp failed");
  dir_ = pattern;
  if (geteuid() == 0) {
    const char* name = std::getenv("BILLING_TEST_PG_USER");
    user_ = name != nullptr ? name : "postgres";
    const passwd* account = getpwnam(user_.c_str());
    if (account == nullptr) {
      throw std::runtime_error(fmt::format("the test PostgreSQL server: running as root, and there is no user '{}' "
                                           "to run the server as (set BILLING_TEST_PG_USER)",
                                           user_));
    }
    if (chown(dir_.c_str(), account->pw_uid, account->pw_gid) != 0) {
      throw std::runtime_error("the test PostgreSQL server: chown of its directory failed");
    }
  }
  // --no-sync: the cluster is thrown away; the server itself still fsyncs its WAL (fsync stays on).
  must(as_server_user(fmt::format("{}/initdb -D {}/data -U billing --auth=trust -E UTF8 --locale=C --no-sync", bin_,
                                  dir_)),
       "initdb");
  start();
  watch_for_exit();
  conninfo_ = fmt::format("host={} port=5432 user=billing dbname=postgres", dir_);
}

// A process killed by a timeout or SIGKILL runs no destructor: a watchdog child stops the server and removes
// its directory then. It reads a pipe whose only writer is this process (close-on-exec, so no child keeps it
// open), and EOF means this process is gone, however it ended.
void PostgresServer::watch_for_exit() const {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;  // no watchdog: the destructor still stops the server
  const std::string cleanup = fmt::format("{}; rm -rf {}", as_server_user(fmt::format(
      "{}/pg_ctl -D {}/data -m immediate stop", bin_, dir_)), dir_);
  const pid_t child = fork();
  if (child == 0) {
    close(fds[1]);
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);  // so that ctest, which reads the test's output to its end, does not wait for us
    dup2(null, STDERR_FILENO);
    setsid();  // a signal to the test's process group does not reach the watchdog
    char byte = 0;
    while (read(fds[0], &byte, 1) > 0) {
    }
    execl("/bin/sh", "sh", "-c", cleanup.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  if (child < 0) close(fds[1]);
  // The write end stays open for the life of this process, on purpose.
}

PostgresServer::~PostgresServer() {
  if (dir_.empty()) return;
  run(as_server_user(fmt::format("{}/pg_ctl -D {}/data -m immediate stop", bin_, dir_)));
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresServer::as_server_user(const std::string& command) const {
  if (user_.empty()) return command;
  return fmt::format("runuser -u {} -- {}", user_, command);
}

std::string PostgresServer::unique_schema() {
  const std::lock_guard lock(g_mutex);
  return fmt::format("t{}_{}", getpid(), ++next_schema_);
}

void PostgresServer::crash() {
  if (dir_.empty()) throw std::runtime_error("the test PostgreSQL server: crash() needs a server of our own");
  must(as_server_user(fmt::format("{}/pg_ctl -D {}/data -m immediate stop", bin_, dir_)), "pg_ctl stop");
}

void PostgresServer::start() {
  if (dir_.empty()) throw std::runtime_error("the test PostgreSQL server: start() needs a server of our own");
  // -w: return once the server accepts connections. max_connections: the stress suites open a pool per
  // process.
  must(as_server_user(fmt::format("{0}/pg_ctl -D {1}/data -l {1}/log -w -o \"-k {1} -c listen_addresses='' "
                                  "-c max_connections=200\" start",
                                  bin_, dir_)),
       "pg_ctl start");
}

int PostgresServer::psql(const std::string& sql, std::string& output) const {
  std::string path = (std::filesystem::temp_directory_path() / "billing-psql-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("the test PostgreSQL server: mkstemp failed");
  const auto written = write(fd, sql.data(), sql.size());
  close(fd);
  if (written != static_cast<ssize_t>(sql.size())) throw std::runtime_error("the test PostgreSQL server: write failed");
  const std::string psql_bin = bin_.empty() ? std::string("psql") : bin_ + "/psql";
  const int status = run(fmt::format("{} \"{}\" -X -q -v ON_ERROR_STOP=1 -f {}", psql_bin, conninfo_, path), &output);
  std::filesystem::remove(path);
  return status;
}

}  // namespace billing::test
