// A throwaway PostgreSQL 15 server for the tests, so that no server has to run beforehand: initdb into a
// temporary directory, pg_ctl start listening on a Unix socket in that directory only (no TCP), stopped and
// removed when the test process exits (by a watchdog process when it dies without running destructors).
//
// initdb refuses to run as root, and CI runs as root: then the server's processes run as the user
// `postgres` (which Debian's postgresql-15 package creates; BILLING_TEST_PG_USER names another), through
// runuser, and own the directory. The tests connect over the socket as the database role `billing`, with
// trust authentication, whoever runs them.
//
// BILLING_TEST_POSTGRES, when set, is the conninfo of a server to use instead (one that scripts/test.sh or
// a developer started); stop() and start() are for fault tests and need a server of our own.
#pragma once

#include <string>

namespace billing::test {

class PostgresServer {
 public:
  /// The process's server, started on first use.
  static PostgresServer& shared();

  /// A libpq key=value conninfo for database `postgres` as role `billing`.
  [[nodiscard]] const std::string& conninfo() const noexcept { return conninfo_; }
  /// A schema name no other store of this run has used: t<pid>_<n>.
  [[nodiscard]] std::string unique_schema();

  /// Kills the server as a crash would (pg_ctl stop -m immediate): no checkpoint, connections cut.
  void crash();
  /// Starts the server again on the same directory and socket; recovery replays the WAL.
  void start();

  /// Runs `sql` through psql on the server; returns psql's exit status, and its output in `output`.
  int psql(const std::string& sql, std::string& output) const;

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

 private:
  PostgresServer();
  [[nodiscard]] std::string as_server_user(const std::string& command) const;
  void watch_for_exit() const;

  std::string dir_;  // empty when BILLING_TEST_POSTGRES names an outside server
  std::string bin_;
  std::string user_;  // the OS user the server runs as when we are root, else empty
  std::string conninfo_;
  int next_schema_ = 0;
};

}  // namespace billing::test
