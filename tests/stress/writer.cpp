// billing_stress_writer: the other process of the stress tests. It reports on stdout, one line per
// write(2) so that a line is never torn by SIGKILL, and through its exit status: 0 done, 1 an exception,
// 2 bad arguments, 3 an unexpected outcome.
//
// Every <db> below is a store spec: the path of an SQLite file, or "postgres:<schema>:<conninfo>" for the
// schema <schema> on the PostgreSQL server of the libpq conninfo <conninfo> (everything after the second
// ':', so a conninfo may hold colons), opened with open_postgres at the Durability the mode names. The
// parent creates the store first (and, for PostgreSQL, owns the server).
//
//   billing_stress_writer transfers <db> <index> <count>   posts plan_transfer("p", index, 0..count-1) with
//                                                          Durability::normal; prints the number of ok results
//   billing_stress_writer kill-loop <db>                   with Durability::full, posts batches of 20 entries
//                                                          "k-<n>" after the highest stored one, printing
//                                                          "ready <n>" and then "ack <last n>" after each commit,
//                                                          until killed
//   billing_stress_writer job-worker <db> <name>           claims jobs of stress::k_job_kind as <name> and runs
//                                                          each (stress::run_job) after 5-20 ms of "work",
//                                                          printing "claimed <id> <attempt>", then "done <id>"
//                                                          or "refused <id> <result>"; exits 0 when nothing
//                                                          is left to claim or in flight
//   billing_stress_writer crash-at <db> <step>             runs the key "k" on a FaultStore around the file
//                                                          and _exit(9)s at the idempotency crash point <step>
//                                                          ("claimed", "written" or "committing"; see
//                                                          tests/support/crash_points.hpp)
//   billing_stress_writer quota-consume <db> <gate> <count>
//                                                          prints "ready", waits for the file <gate>, then
//                                                          calls Quotas::consume <count> times on the plan of
//                                                          quota_workload.hpp; prints "counts <allowed>
//                                                          <quota_exceeded> <rate_limited>", then "remaining"
//                                                          and the remaining units of each allowed call
//   billing_stress_writer billing-run <db> <as_of> <limit> [<gate>]
//                                                          on a ManualClock stopped at <as_of>, prints "ready"
//                                                          (then, with <gate>, waits for that file) and calls
//                                                          books.billing().run(<as_of>, <limit>) until nothing
//                                                          is due, printing "ran <billed> <invoices_created>
//                                                          <payment_jobs>" after each call and "done" with the
//                                                          sums at the end; a skipped period is unexpected
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "billing/billing.hpp"
#include "billing/storage/postgres.hpp"
#include "billing/storage/sqlite.hpp"
#include "crash_request.hpp"
#include "quota_workload.hpp"
#include "support/crash_points.hpp"
#include "support/fault_store.hpp"
#include "workload.hpp"

using namespace billing;

namespace {

constexpr int k_exit_exception = 1;
constexpr int k_exit_usage = 2;
constexpr int k_exit_unexpected = 3;
constexpr int k_exit_crashed = 9;
constexpr std::size_t k_kill_batch = 20;
// A writer whose parent vanished without killing it stops by itself.
constexpr auto k_kill_loop_cap = std::chrono::minutes(5);

constexpr std::string_view k_postgres_spec = "postgres:";

// The store a <db> argument names: "postgres:<schema>:<conninfo>", or else the path of an SQLite file.
std::shared_ptr<Store> open_store(const std::string& spec, Durability durability) {
  if (!spec.starts_with(k_postgres_spec)) return open_sqlite(spec, {.durability = durability});
  const std::size_t colon = spec.find(':', k_postgres_spec.size());
  if (colon == std::string::npos) throw std::invalid_argument("a postgres spec is postgres:<schema>:<conninfo>");
  std::string schema = spec.substr(k_postgres_spec.size(), colon - k_postgres_spec.size());
  return open_postgres(spec.substr(colon + 1), {.durability = durability, .schema = std::move(schema)});
}

// One write(2) per line: a reader sees whole lines or nothing, even when this process is killed.
void say(const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) std::exit(k_exit_exception);
    done += static_cast<std::size_t>(n);
  }
}

int transfers(const std::string& path, int index, int count) {
  Books books(open_store(path, Durability::normal));
  int ok = 0;
  for (int n = 0; n < count; ++n) {
    const stress::PlannedTransfer planned = stress::plan_transfer("p", index, n);
    const PostOutcome outcome = books.ledger().transfer(planned.request);
    if (outcome.result == PostResult::ok) {
      ++ok;
    } else if (!(planned.flow == stress::Flow::hot_spend && outcome.result == PostResult::exceeds_limit)) {
      fmt::print(stderr, "p{}-{}: unexpected {}\n", index, n, to_string(outcome.result));
      return k_exit_unexpected;
    }
  }
  say(std::to_string(ok));
  return 0;
}

// The n after the last stored entry "k-<n>": batches are atomic and ids grow, so the head is the highest.
std::uint64_t next_kill_sequence(Store& store) {
  UnitOfWork read(store, Access::read);
  const ChainHead head = read->ledger().head();
  if (head.sequence == 0) return 1;
  const auto last = read->ledger().scan(head.sequence - 1, 1);
  if (last.size() != 1) throw std::runtime_error("the chain head cannot be read");
  return stress::kill_sequence_of(last.front().id.str()) + 1;
}

int kill_loop(const std::string& path) {
  std::shared_ptr<Store> store = open_store(path, Durability::full);
  Books books(store);
  std::uint64_t next = next_kill_sequence(*store);
  say(fmt::format("ready {}", next));
  const auto stop = std::chrono::steady_clock::now() + k_kill_loop_cap;
  while (std::chrono::steady_clock::now() < stop) {
    const auto outcomes = books.ledger().post_batch(stress::kill_batch(next, k_kill_batch));
    for (const PostOutcome& outcome : outcomes) {
      if (outcome.result != PostResult::ok) {
        fmt::print(stderr, "batch at k-{}: unexpected {}\n", next, to_string(outcome.result));
        return k_exit_unexpected;
      }
    }
    next += k_kill_batch;
    say(fmt::format("ack {}", next - 1));  // only now is k-<next - 1> committed
  }
  return 0;
}

int job_worker(const std::string& path, const std::string& name) {
  Books books(open_store(path, Durability::normal));
  std::mt19937 random(static_cast<std::mt19937::result_type>(std::hash<std::string>{}(name)));
  std::uniform_int_distribution<int> work_ms(5, 20);
  const ClaimRequest request{.kinds = {std::string(stress::k_job_kind)}, .lease = stress::k_job_lease, .worker = name};
  const auto stop = std::chrono::steady_clock::now() + k_kill_loop_cap;
  while (std::chrono::steady_clock::now() < stop) {
    const std::optional<Job> job = books.jobs().claim(request);
    if (!job) {
      const JobStats stats = books.jobs().stats();
      if (stats.ready + stats.scheduled + stats.in_flight == 0) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a lapsing lease, or another's claim
      continue;
    }
    say(fmt::format("claimed {} {}", job->id.str(), job->attempts));
    std::this_thread::sleep_for(std::chrono::milliseconds(work_ms(random)));
    const CompleteResult result = stress::run_job(books, *job);
    say(result == CompleteResult::ok ? fmt::format("done {}", job->id.str())
                                     : fmt::format("refused {} {}", job->id.str(), to_string(result)));
  }
  return 0;
}

int crash_at(const std::string& path, const std::string& step) {
  const test::CrashPoint& point = test::idempotency_crash_point(step);
  auto clock = std::make_shared<ManualClock>(Timestamp::parse(stress::k_crash_start));
  auto store = std::make_shared<test::FaultStore>(open_store(path, Durability::full));
  Books books(store, clock, std::make_shared<SequentialIds>("child-"));
  // Armed just before the run, so that the count covers the run's own calls only.
  store->set_hook(test::FaultAt(std::string(point.operation), point.occurrence, [] { ::_exit(k_exit_crashed); }));
  const auto outcome = books.idempotency().run(stress::k_crash_key, stress::k_crash_request,
                                               [&] { return stress::charge_customer(books); });
  fmt::print(stderr, "crash-at {}: the step never came; the run ended {} '{}'\n", step, to_string(outcome.result),
             outcome.outcome);
  return k_exit_unexpected;
}

// Waits for the file `gate`, so that processes started one after another go on together. False when it
// never came within k_kill_loop_cap.
bool wait_for_gate(const std::string& gate) {
  const auto stop = std::chrono::steady_clock::now() + k_kill_loop_cap;
  while (!std::filesystem::exists(gate)) {
    if (std::chrono::steady_clock::now() >= stop) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

int quota_consume(const std::string& path, const std::string& gate, int count) {
  Books books(open_store(path, Durability::normal),
              std::make_shared<ManualClock>(Timestamp::parse(stress::k_quota_start)));
  say("ready");
  if (!wait_for_gate(gate)) return k_exit_unexpected;
  const QuotaRequest request{.subject = std::string(stress::k_quota_subject), .plan = std::string(stress::k_quota_plan)};
  std::array<int, 3> counts{};  // by QuotaReason: allowed, quota_exceeded, rate_limited
  std::string remaining = "remaining";
  for (int n = 0; n < count; ++n) {
    const QuotaDecision decision = books.quotas().consume(request);
    if (decision.replayed || !decision.remaining) {
      fmt::print(stderr, "call {}: replayed or no remaining units on a plan with a quota\n", n);
      return k_exit_unexpected;
    }
    ++counts.at(static_cast<std::size_t>(decision.reason));
    if (decision.allowed()) remaining += fmt::format(" {}", *decision.remaining);
  }
  say(fmt::format("counts {} {} {}", counts[0], counts[1], counts[2]));
  say(remaining);
  return 0;
}

// The billing run in calls of `limit` periods, so that the parent hears how far it got. The clock stands at
// as_of, so that every payment job is due when the parent claims it to count it.
int billing_run(const std::string& path, const std::string& as_of_text, std::size_t limit, const std::string& gate) {
  const Timestamp as_of = Timestamp::parse(as_of_text);
  Books books(open_store(path, Durability::normal), std::make_shared<ManualClock>(as_of));
  say("ready");
  if (!gate.empty() && !wait_for_gate(gate)) return k_exit_unexpected;
  std::uint64_t billed = 0;
  std::uint64_t created = 0;
  std::uint64_t jobs = 0;
  for (bool more_due = true; more_due;) {
    const BillingReport report = books.billing().run(as_of, limit);
    for (const BillingSkip& skip : report.skipped) {
      fmt::print(stderr, "{} at {}: skipped: {}\n", skip.subscription_id.str(), skip.period_start.to_string(),
                 skip.reason);
    }
    if (!report.skipped.empty()) return k_exit_unexpected;
    billed += report.subscriptions_billed;
    created += report.invoices_created;
    jobs += report.payment_jobs;
    say(fmt::format("ran {} {} {}", report.subscriptions_billed, report.invoices_created, report.payment_jobs));
    more_due = report.more_due;
  }
  say(fmt::format("done {} {} {}", billed, created, jobs));
  return 0;
}

int run(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "transfers" && argc == 5) return transfers(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "kill-loop" && argc == 3) return kill_loop(argv[2]);
  if (mode == "crash-at" && argc == 4) return crash_at(argv[2], argv[3]);
  if (mode == "job-worker" && argc == 4) return job_worker(argv[2], argv[3]);
  if (mode == "quota-consume" && argc == 5) return quota_consume(argv[2], argv[3], std::atoi(argv[4]));
  if (mode == "billing-run" && (argc == 5 || argc == 6) && std::atoi(argv[4]) > 0) {
    return billing_run(argv[2], argv[3], static_cast<std::size_t>(std::atoi(argv[4])), argc == 6 ? argv[5] : "");
  }
  fmt::print(stderr,
             "usage: {0} transfers <db> <index> <count> | {0} kill-loop <db> | {0} crash-at <db> <step> | "
             "{0} job-worker <db> <name> | {0} quota-consume <db> <gate> <count> | "
             "{0} billing-run <db> <as_of> <limit> [<gate>]\n",
             argc > 0 ? argv[0] : "billing_stress_writer");
  return k_exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "billing_stress_writer: {}\n", e.what());
    return k_exit_exception;
  }
}
