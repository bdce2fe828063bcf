// The durable job queue: a sale and the jobs it creates commit together (an outbox); a worker loop
// claims them, a flaky mail server makes one job retry with back-off and another run out of attempts
// into the dead-letter list; once the server is fixed, an operator re-drives it and it completes.
// On an embedded SQLite file, with a manual clock so the back-off can be stepped through.
// Run: build/examples/cpp/job_queue
#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>

using namespace billing;
using namespace std::chrono_literals;

namespace {

// A mail server that fails the next N sends of each kind of mail.
struct MailServer {
  std::map<std::string, int> failures_ahead;

  [[nodiscard]] bool send(const Job& job) {
    int& ahead = failures_ahead[job.kind];
    if (ahead == 0) return true;
    --ahead;
    return false;
  }
};

// The worker loop: claim what is due, send it, complete or fail it. Returns how many it handled.
int drain(Books& books, MailServer& server) {
  int handled = 0;
  while (const std::optional<Job> job = books.jobs().claim({.kinds = {"receipt.send", "invoice.email"},
                                                           .lease = 1min,
                                                           .worker = "mailer-1"})) {
    ++handled;
    if (server.send(*job)) {
      const CompleteOutcome done = books.jobs().complete(*job);
      fmt::print("  {} {} (attempt {}): sent, {}\n", job->id, job->kind, job->attempts, to_string(done.result));
      continue;
    }
    const FailOutcome failed = books.jobs().fail(*job, "421 mail server busy");
    if (failed.result == FailResult::retry_scheduled) {
      fmt::print("  {} {} (attempt {}): failed, retry at {}\n", job->id, job->kind, job->attempts,
                 failed.job->run_at);
    } else {
      fmt::print("  {} {} (attempt {}): failed, {}\n", job->id, job->kind, job->attempts, to_string(failed.result));
    }
  }
  return handled;
}

void print_stats(Books& books) {
  const JobStats stats = books.jobs().stats();
  fmt::print("  stats: ready {}, scheduled {}, in flight {}, dead-lettered {}\n", stats.ready, stats.scheduled,
             stats.in_flight, stats.dead_lettered);
}

}  // namespace

int main() {
  const std::string path = (std::filesystem::temp_directory_path() / "billing-job-queue-example.db").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto clock = std::make_shared<ManualClock>(Timestamp::parse("2026-03-02T09:00:00Z"));
  Books books(open_sqlite(path), clock, std::make_shared<SequentialIds>("job-"));
  books.jobs().configure({.base_delay = 30s, .max_delay = 10min});
  (void)books.accounts().create({.id = AccountId("card:ann"), .currency = Currency("EUR"), .name = "Ann's card"});
  (void)books.accounts().create(
      {.id = AccountId("sales"), .currency = Currency("EUR"), .name = "Sales", .normal_side = Side::credit});

  fmt::print("a sale and its two mails, in one unit of work:\n");
  {
    const auto work = books.transaction();
    const PostOutcome sale = books.ledger().transfer({.id = EntryId("sale-1"),
                                                      .debit = AccountId("card:ann"),
                                                      .credit = AccountId("sales"),
                                                      .amount = Money::parse("25.00 EUR")});
    const EnqueueOutcome receipt = books.jobs().enqueue(
        {.kind = "receipt.send", .payload = R"({"entry":"sale-1","to":"ann@example.com"})", .dedup_key = "sale-1"});
    const EnqueueOutcome invoice = books.jobs().enqueue(
        {.kind = "invoice.email", .payload = R"({"entry":"sale-1"})", .dedup_key = "sale-1", .max_attempts = 2});
    work->commit();
    fmt::print("  sale {}, receipt {} {}, invoice {} {}\n", to_string(sale.result), receipt.job->id,
               to_string(receipt.result), invoice.job->id, to_string(invoice.result));
  }
  const EnqueueOutcome again = books.jobs().enqueue({.kind = "receipt.send", .payload = "{}", .dedup_key = "sale-1"});
  fmt::print("  the receipt enqueued again: {} (the job {} holds the key)\n", to_string(again.result), again.job->id);

  MailServer server{.failures_ahead = {{"receipt.send", 1}, {"invoice.email", 2}}};
  fmt::print("the worker, at {}:\n", clock->now());
  (void)drain(books, server);
  print_stats(books);

  clock->advance(1min);
  fmt::print("the worker, at {}:\n", clock->now());
  (void)drain(books, server);
  print_stats(books);

  fmt::print("dead letters:\n");
  const Page<Job> dead = books.jobs().dead_letters();
  for (const Job& job : dead.items) {
    fmt::print("  {} {} after {} attempts: {}\n", job.id, job.kind, job.attempts, job.last_error);
  }
  fmt::print("the mail server is fixed; re-driving {}:\n", dead.items.at(0).id);
  fmt::print("  redrive: {}\n", to_string(books.jobs().redrive(dead.items.at(0).id).result));
  (void)drain(books, server);
  print_stats(books);

  const JobStats stats = books.jobs().stats();
  const bool all_sent = stats == JobStats{} && books.jobs().get(JobId("job-000000000002"))->status == JobStatus::completed;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return all_sent ? 0 : 1;
}
