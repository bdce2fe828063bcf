// The job queue on every adapter: enqueue and its limits, claim order and kinds, leases and tokens,
// fail with back-off and the dead-letter list, redrive, dedup keys, stats, purging, the outbox rule (a
// job commits with the unit of work that made it), and the repository's own refusals.
#include "billing/jobs.hpp"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/storage/job_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;
using billing::test::usd;

namespace {

const Timestamp k_start = Timestamp::parse("2026-01-01T00:00:00Z");

struct Queue {
  test::Fixture f;
  Jobs& jobs() { return f.books->jobs(); }
  void advance(std::chrono::microseconds by) { f.clock->advance(by); }
  Timestamp now() const { return f.clock->now(); }

  Job enqueue(const std::string& kind, const std::string& payload = "{}", std::uint32_t max_attempts = 3) {
    const EnqueueOutcome outcome = jobs().enqueue({.kind = kind, .payload = payload, .max_attempts = max_attempts});
    REQUIRE(outcome.result == EnqueueResult::ok);
    return *outcome.job;
  }
  std::optional<Job> claim(const std::string& worker = "w1", std::chrono::microseconds lease = 30s,
                           std::vector<std::string> kinds = {}) {
    return jobs().claim({.kinds = std::move(kinds), .lease = lease, .worker = worker});
  }
  Job claim_one(const std::string& worker = "w1", std::chrono::microseconds lease = 30s) {
    auto job = claim(worker, lease);
    REQUIRE(job.has_value());
    return *job;
  }
  JobStatus status(const JobId& id) {
    const auto job = jobs().get(id);
    REQUIRE(job.has_value());
    return job->status;
  }
};

template <class Adapter>
Queue queue() {
  return Queue{fixture<Adapter>()};
}

template <class F>
void check_invalid(F&& call, const std::string& field) {
  try {
    call();
    FAIL("expected InvalidArgument naming ", field);
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == field);
  }
}

Job stored_job(const std::string& id, JobStatus status = JobStatus::queued) {
  Job job{.id = JobId(id), .kind = "k", .payload = "p", .status = status, .run_at = k_start,
          .created_at = k_start, .updated_at = k_start};
  if (status == JobStatus::claimed) {
    job.attempts = 1;
    job.lease_expires_at = k_start + 30s;
    job.token = "1-token";
  }
  return job;
}

}  // namespace

CONTRACT_TEST("an enqueued job is stored queued, ready at its run_at, with an id from the books") {
  Queue q = queue<Adapter>();
  const EnqueueOutcome outcome = q.jobs().enqueue(
      {.kind = "email.send", .payload = R"({"to":"ann@example.com"})", .dedup_key = "welcome-ann", .max_attempts = 5});
  REQUIRE(outcome.result == EnqueueResult::ok);
  const Job& job = *outcome.job;
  CHECK(job.id.str() == "gen-000000000001");
  CHECK(job.kind == "email.send");
  CHECK(job.payload == R"({"to":"ann@example.com"})");
  CHECK(job.status == JobStatus::queued);
  CHECK(job.attempts == 0);
  CHECK(job.max_attempts == 5);
  CHECK(job.run_at == k_start);
  CHECK_FALSE(job.lease_expires_at.has_value());
  CHECK(job.token.empty());
  CHECK(job.dedup_key == "welcome-ann");
  CHECK(job.created_at == k_start);
  CHECK(job.due_at() == k_start);
  CHECK(q.jobs().get(job.id) == job);
  CHECK_FALSE(q.jobs().get(JobId("nobody")).has_value());
}

CONTRACT_TEST("enqueue refuses input beyond its limits, naming the field, and stores nothing") {
  Queue q = queue<Adapter>();
  const auto enqueue = [&](JobRequest request) { return [&q, request] { (void)q.jobs().enqueue(request); }; };
  check_invalid(enqueue({.kind = ""}), "kind");
  check_invalid(enqueue({.kind = std::string(65, 'a')}), "kind");
  check_invalid(enqueue({.kind = "9lives"}), "kind");
  check_invalid(enqueue({.kind = "email send"}), "kind");
  check_invalid(enqueue({.kind = "caf\xc3\xa9"}), "kind");
  check_invalid(enqueue({.kind = "k", .payload = std::string(k_max_job_payload_bytes + 1, 'x')}), "payload");
  check_invalid(enqueue({.kind = "k", .payload = "\xff"}), "payload");
  check_invalid(enqueue({.kind = "k", .run_at = Timestamp::parse("2200-01-01T00:00:00Z")}), "run_at");
  check_invalid(enqueue({.kind = "k", .run_at = Timestamp::parse("1969-12-31T23:59:59Z")}), "run_at");
  check_invalid(enqueue({.kind = "k", .dedup_key = ""}), "dedup_key");
  check_invalid(enqueue({.kind = "k", .dedup_key = std::string(256, 'd')}), "dedup_key");
  check_invalid(enqueue({.kind = "k", .dedup_key = "line\nbreak"}), "dedup_key");
  check_invalid(enqueue({.kind = "k", .max_attempts = 0}), "max_attempts");
  check_invalid(enqueue({.kind = "k", .max_attempts = 101}), "max_attempts");
  // At the limits, everything is taken.
  CHECK(q.jobs()
            .enqueue({.kind = "A" + std::string(63, 'z'),
                      .payload = std::string(k_max_job_payload_bytes, 'x'),
                      .run_at = Timestamp::parse("2199-12-31T23:59:59Z"),
                      .dedup_key = std::string(255, 'd'),
                      .max_attempts = 100})
            .result == EnqueueResult::ok);
  CHECK(q.enqueue("a_b.c:d-9").kind == "a_b.c:d-9");
  const JobStats stats = q.jobs().stats();
  CHECK(stats.ready + stats.scheduled == 2);
}

CONTRACT_TEST("claim takes due jobs only, by run_at and then id, of the kinds asked for") {
  Queue q = queue<Adapter>();
  const auto later = q.jobs().enqueue({.kind = "b", .run_at = k_start + 10s});
  const Job first = q.enqueue("a");
  const Job second = q.enqueue("b");
  const auto earlier = q.jobs().enqueue({.kind = "a", .run_at = k_start - 5s});
  CHECK(q.claim_one().id == earlier.job->id);  // due longest
  CHECK(q.claim("w1", 30s, {"b"})->id == second.id);
  CHECK(q.claim("w1", 30s, {"b"}) == std::nullopt);  // "b" at +10s is not due yet
  CHECK(q.claim("w1", 30s, {"a", "b", "a"})->id == first.id);
  CHECK(q.claim() == std::nullopt);
  q.advance(10s);
  CHECK(q.claim("w1", 30s, {"x", "b"})->id == later.job->id);
  CHECK(q.claim() == std::nullopt);
}

CONTRACT_TEST("a claim holds the job under a lease, a worker and a new token, and counts an attempt") {
  Queue q = queue<Adapter>();
  const Job queued = q.enqueue("k");
  q.advance(1s);
  const Job claimed = q.claim_one("worker-7", 45s);
  CHECK(claimed.id == queued.id);
  CHECK(claimed.status == JobStatus::claimed);
  CHECK(claimed.attempts == 1);
  CHECK(claimed.worker == "worker-7");
  CHECK(claimed.lease_expires_at == k_start + 46s);
  CHECK(claimed.due_at() == k_start + 46s);
  CHECK(claimed.run_at == k_start);  // when this attempt fell due
  CHECK(claimed.updated_at == k_start + 1s);
  CHECK(claimed.token.starts_with("1-"));
  CHECK(claimed.token.size() <= k_max_job_token_bytes);
  CHECK(q.jobs().get(claimed.id) == claimed);
}

CONTRACT_TEST("claim refuses a request beyond its limits, naming the field, and claims nothing") {
  Queue q = queue<Adapter>();
  (void)q.enqueue("k");
  const auto claim = [&](ClaimRequest request) { return [&q, request] { (void)q.jobs().claim(request); }; };
  check_invalid(claim({.lease = 0s}), "lease");
  check_invalid(claim({.lease = -1s}), "lease");
  check_invalid(claim({.lease = k_max_job_lease + 1us}), "lease");
  check_invalid(claim({.worker = std::string(129, 'w')}), "worker");
  check_invalid(claim({.worker = "tab\there"}), "worker");
  check_invalid(claim({.kinds = {"ok", ""}}), "kinds[1]");
  check_invalid(claim({.kinds = std::vector<std::string>(33, "k")}), "kinds");
  check_invalid([&] { (void)q.jobs().claim_batch({}, 0); }, "limit");
  check_invalid([&] { (void)q.jobs().claim_batch({}, k_max_claim_batch + 1); }, "limit");
  CHECK(q.jobs().stats().ready == 1);
  CHECK(q.jobs().claim({.lease = k_max_job_lease, .worker = std::string(128, 'w')}).has_value());
}

CONTRACT_TEST("claim_batch takes up to its limit in claim order, in one unit of work") {
  Queue q = queue<Adapter>();
  std::vector<JobId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(q.enqueue("k").id);
  const std::vector<Job> batch = q.jobs().claim_batch({.worker = "w"}, 3);
  REQUIRE(batch.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(batch[i].id == ids[i]);
    CHECK(batch[i].status == JobStatus::claimed);
  }
  std::set<std::string> tokens;
  for (const Job& job : batch) tokens.insert(job.token);
  CHECK(tokens.size() == 3);
  CHECK(q.jobs().claim_batch({}, 100).size() == 2);
  CHECK(q.jobs().claim_batch({}, 100).empty());
}

CONTRACT_TEST("complete needs the claim's token; a second complete or a wrong token changes nothing") {
  Queue q = queue<Adapter>();
  const Job queued = q.enqueue("k");
  CHECK(q.jobs().complete(queued.id, "").result == CompleteResult::stale_token);  // not claimed
  const Job claimed = q.claim_one();
  CHECK(q.jobs().complete(claimed.id, "1-not-the-token").result == CompleteResult::stale_token);
  CHECK(q.jobs().complete(JobId("nobody"), claimed.token).result == CompleteResult::not_found);
  check_invalid([&] { (void)q.jobs().complete(claimed.id, std::string(65, 't')); }, "token");
  q.advance(2s);
  const CompleteOutcome done = q.jobs().complete(claimed);
  REQUIRE(done.result == CompleteResult::ok);
  CHECK(done.job->status == JobStatus::completed);
  CHECK(done.job->token.empty());
  CHECK_FALSE(done.job->lease_expires_at.has_value());
  CHECK(done.job->updated_at == k_start + 2s);
  CHECK(q.jobs().get(claimed.id) == done.job);
  const CompleteOutcome again = q.jobs().complete(claimed);
  CHECK(again.result == CompleteResult::stale_token);
  CHECK(again.job == done.job);
  CHECK(q.jobs().fail(claimed, "late").result == FailResult::stale_token);
  CHECK(q.claim() == std::nullopt);
}

CONTRACT_TEST("fail queues the job again after the back-off, and dead-letters it after the last attempt") {
  Queue q = queue<Adapter>();
  q.jobs().configure({.base_delay = 10s, .max_delay = 1h});
  const Job queued = q.enqueue("k", "{}", 3);
  Timestamp expected_run_at = k_start;
  for (std::uint32_t attempt = 1; attempt <= 2; ++attempt) {
    CAPTURE(attempt);
    const Job claimed = q.claim_one();
    CHECK(claimed.attempts == attempt);
    q.advance(1s);
    const FailOutcome failed = q.jobs().fail(claimed, "gateway timeout " + std::to_string(attempt));
    REQUIRE(failed.result == FailResult::retry_scheduled);
    const std::chrono::microseconds delay = job_retry_delay(queued.id, attempt, q.jobs().options());
    expected_run_at = q.now() + delay;
    CHECK(failed.job->status == JobStatus::queued);
    CHECK(failed.job->run_at == expected_run_at);
    CHECK(failed.job->last_error == "gateway timeout " + std::to_string(attempt));
    CHECK(failed.job->token.empty());
    CHECK_FALSE(failed.job->lease_expires_at.has_value());
    CHECK(q.jobs().get(queued.id) == failed.job);
    // Not before its time: a microsecond early it is not due; on the dot it is.
    q.f.clock->set(expected_run_at - 1us);
    CHECK(q.claim() == std::nullopt);
    CHECK(q.jobs().stats().scheduled == 1);
    q.f.clock->set(expected_run_at);
  }
  const Job last = q.claim_one();
  CHECK(last.attempts == 3);
  const FailOutcome dead = q.jobs().fail(last, "still down");
  REQUIRE(dead.result == FailResult::dead_lettered);
  CHECK(dead.job->status == JobStatus::dead_lettered);
  CHECK(dead.job->last_error == "still down");
  CHECK(dead.job->attempts == 3);
  q.advance(24h);
  CHECK(q.claim() == std::nullopt);
  CHECK(q.jobs().stats().dead_lettered == 1);
}

CONTRACT_TEST("fail without retry dead-letters at once; its error has a limit") {
  Queue q = queue<Adapter>();
  const Job claimed = (q.enqueue("k", "{}", 5), q.claim_one());
  check_invalid([&] { (void)q.jobs().fail(claimed, std::string(k_max_job_error_bytes + 1, 'e')); }, "error");
  check_invalid([&] { (void)q.jobs().fail(claimed, "\xc3"); }, "error");
  CHECK(q.status(claimed.id) == JobStatus::claimed);
  CHECK(q.jobs().fail(JobId("nobody"), claimed.token, "x").result == FailResult::not_found);
  CHECK(q.jobs().fail(claimed.id, "1-wrong", "x").result == FailResult::stale_token);
  const FailOutcome dead = q.jobs().fail(claimed, std::string(k_max_job_error_bytes, 'e'), false);
  CHECK(dead.result == FailResult::dead_lettered);
  CHECK(dead.job->attempts == 1);
  CHECK(dead.job->last_error.size() == k_max_job_error_bytes);
}

CONTRACT_TEST("a lapsed lease makes the job claimable again, and the old worker's token is refused") {
  Queue q = queue<Adapter>();
  const Job queued = q.enqueue("k");
  const Job first = q.claim_one("dead-worker", 30s);
  q.advance(29s);
  CHECK(q.claim("w2") == std::nullopt);  // still held
  CHECK(q.jobs().stats().in_flight == 1);
  q.advance(1s);
  const JobStats lapsed = q.jobs().stats();
  CHECK(lapsed.ready == 1);
  CHECK(lapsed.in_flight == 0);
  const Job second = q.claim_one("w2", 30s);
  CHECK(second.id == queued.id);
  CHECK(second.attempts == 2);  // the lapsed claim counted
  CHECK(second.worker == "w2");
  CHECK(second.run_at == k_start + 30s);  // when the lapsed lease made it due again
  CHECK(second.token != first.token);
  CHECK(q.jobs().complete(first).result == CompleteResult::stale_token);
  CHECK(q.jobs().fail(first, "late").result == FailResult::stale_token);
  CHECK(q.status(queued.id) == JobStatus::claimed);
  CHECK(q.jobs().complete(second).result == CompleteResult::ok);
}

CONTRACT_TEST("a claim whose lease ran out may still complete while no other worker has taken the job") {
  Queue q = queue<Adapter>();
  (void)q.enqueue("k");
  const Job claimed = q.claim_one("slow", 10s);
  q.advance(1h);
  CHECK(q.jobs().complete(claimed).result == CompleteResult::ok);
  CHECK(q.claim() == std::nullopt);
}

CONTRACT_TEST("a lease that lapses on the last attempt dead-letters the job at the next claim") {
  Queue q = queue<Adapter>();
  const Job once = q.enqueue("k", "{}", 1);
  const Job lapsed = q.claim_one("dead-worker", 10s);
  const Job other = q.jobs().enqueue({.kind = "k", .run_at = k_start + 10s}).job.value();  // due with it, id after
  q.advance(10s);
  const Job next = q.claim_one("w2");
  CHECK(next.id == other.id);  // the claim went on past the exhausted one
  const Job dead = *q.jobs().get(once.id);
  CHECK(dead.status == JobStatus::dead_lettered);
  CHECK(dead.last_error == "the lease ran out on the last attempt");
  CHECK(dead.attempts == 1);
  CHECK(q.jobs().complete(lapsed).result == CompleteResult::stale_token);
  // With nothing else due, the claim dead-letters and finds nothing.
  const Job again = q.enqueue("k", "{}", 1);
  (void)q.claim_one("w3", 10s);
  (void)q.jobs().complete(next);
  q.advance(10s);
  CHECK(q.claim() == std::nullopt);
  CHECK(q.status(again.id) == JobStatus::dead_lettered);
}

CONTRACT_TEST("dead letters list by id a page at a time, of one kind or all, and redrive queues them again") {
  Queue q = queue<Adapter>();
  std::vector<JobId> dead;
  for (int i = 0; i < 5; ++i) {
    const Job job = q.enqueue(i % 2 == 0 ? "even" : "odd", "{}", 1);
    (void)job;
  }
  for (int i = 0; i < 5; ++i) {
    const Job claimed = q.claim_one();
    REQUIRE(q.jobs().fail(claimed, "boom").result == FailResult::dead_lettered);
    dead.push_back(claimed.id);
  }
  const Page<Job> first = q.jobs().dead_letters({.limit = 2});
  REQUIRE(first.items.size() == 2);
  CHECK(first.items[0].id == dead[0]);
  CHECK(first.items[1].id == dead[1]);
  REQUIRE(first.next_cursor == dead[1].str());
  const Page<Job> rest = q.jobs().dead_letters({.cursor = *first.next_cursor, .limit = 10});
  CHECK(rest.items.size() == 3);
  CHECK_FALSE(rest.next_cursor.has_value());
  const Page<Job> evens = q.jobs().dead_letters({.kind = "even"});
  REQUIRE(evens.items.size() == 3);
  for (const Job& job : evens.items) CHECK(job.kind == "even");
  check_invalid([&] { (void)q.jobs().dead_letters({.limit = 0}); }, "limit");
  check_invalid([&] { (void)q.jobs().dead_letters({.limit = 1001}); }, "limit");
  check_invalid([&] { (void)q.jobs().dead_letters({.kind = "no kind"}); }, "kind");
  check_invalid([&] { (void)q.jobs().dead_letters({.cursor = "not an id"}); }, "cursor");

  q.advance(1h);
  const RedriveOutcome redriven = q.jobs().redrive(dead[0]);
  REQUIRE(redriven.result == RedriveResult::ok);
  CHECK(redriven.job->status == JobStatus::queued);
  CHECK(redriven.job->attempts == 0);
  CHECK(redriven.job->run_at == k_start + 1h);
  CHECK(redriven.job->last_error == "boom");
  CHECK(q.jobs().redrive(dead[0]).result == RedriveResult::not_dead_lettered);
  CHECK(q.jobs().redrive(JobId("nobody")).result == RedriveResult::not_found);
  CHECK(q.jobs().dead_letters().items.size() == 4);
  const Job retried = q.claim_one();
  CHECK(retried.id == dead[0]);
  CHECK(retried.attempts == 1);
  CHECK(q.jobs().complete(retried).result == CompleteResult::ok);
}

CONTRACT_TEST("a dedup key is held by a kind's job until it completes; a duplicate returns that job") {
  Queue q = queue<Adapter>();
  const EnqueueOutcome first = q.jobs().enqueue({.kind = "charge", .payload = "a", .dedup_key = "order-1"});
  REQUIRE(first.result == EnqueueResult::ok);
  const EnqueueOutcome again = q.jobs().enqueue({.kind = "charge", .payload = "b", .dedup_key = "order-1"});
  CHECK(again.result == EnqueueResult::duplicate);
  CHECK(again.job == first.job);  // unchanged: payload "a"
  CHECK(q.jobs().enqueue({.kind = "refund", .dedup_key = "order-1"}).result == EnqueueResult::ok);
  CHECK(q.jobs().enqueue({.kind = "charge"}).result == EnqueueResult::ok);  // no key, no dedup
  // Claimed and dead-lettered jobs hold the key too.
  q.jobs().configure({.base_delay = 1s, .max_delay = 1s});
  Job claimed = *q.claim("w", 30s, {"charge"});
  REQUIRE(claimed.id == first.job->id);
  CHECK(q.jobs().enqueue({.kind = "charge", .dedup_key = "order-1"}).result == EnqueueResult::duplicate);
  REQUIRE(q.jobs().fail(claimed, "x", false).result == FailResult::dead_lettered);
  CHECK(q.jobs().enqueue({.kind = "charge", .dedup_key = "order-1"}).job->id == first.job->id);
  REQUIRE(q.jobs().redrive(first.job->id).result == RedriveResult::ok);
  claimed = *q.claim("w", 30s, {"charge"});
  REQUIRE(claimed.id == first.job->id);
  REQUIRE(q.jobs().complete(claimed).result == CompleteResult::ok);
  // Completed, the key is free again.
  const EnqueueOutcome fresh = q.jobs().enqueue({.kind = "charge", .dedup_key = "order-1"});
  CHECK(fresh.result == EnqueueResult::ok);
  CHECK(fresh.job->id != first.job->id);
}

CONTRACT_TEST("enqueue_batch stores its jobs in one unit of work, dedup within the batch included") {
  Queue q = queue<Adapter>();
  const std::vector<JobRequest> requests = {
      {.kind = "k", .payload = "1", .dedup_key = "a"},
      {.kind = "k", .payload = "2", .dedup_key = "a"},
      {.kind = "k", .payload = "3"},
  };
  const std::vector<EnqueueOutcome> outcomes = q.jobs().enqueue_batch(requests);
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].result == EnqueueResult::ok);
  CHECK(outcomes[1].result == EnqueueResult::duplicate);
  CHECK(outcomes[1].job->id == outcomes[0].job->id);
  CHECK(outcomes[2].result == EnqueueResult::ok);
  check_invalid([&] { (void)q.jobs().enqueue_batch(std::vector<JobRequest>{{.kind = "k"}, {.kind = ""}}); }, "[1].kind");
  check_invalid([&] { (void)q.jobs().enqueue_batch(std::vector<JobRequest>(1001, {.kind = "k"})); }, "requests");
  CHECK(q.jobs().stats().ready == 2);
}

CONTRACT_TEST("a job commits with the unit of work that enqueued it, and a rollback leaves none (the outbox)") {
  test::CustomerAndMerchant c(fixture<Adapter>());
  Jobs& jobs = c.f.books->jobs();
  {
    auto work = c.f.books->transaction();
    REQUIRE(c.f.ledger().transfer({.debit = c.customer, .credit = c.merchant, .amount = usd("5.00")}).result ==
            PostResult::ok);
    REQUIRE(jobs.enqueue({.kind = "receipt.send", .payload = "entry 1"}).result == EnqueueResult::ok);
    // Dropped without commit: the transfer and the job roll back together.
  }
  CHECK(c.f.entry_count() == 0);
  CHECK(jobs.stats() == JobStats{});
  CHECK_FALSE(jobs.claim({}).has_value());
  {
    auto work = c.f.books->transaction();
    REQUIRE(c.f.ledger().transfer({.debit = c.customer, .credit = c.merchant, .amount = usd("5.00")}).result ==
            PostResult::ok);
    REQUIRE(jobs.enqueue({.kind = "receipt.send", .payload = "entry 2"}).result == EnqueueResult::ok);
    work->commit();
  }
  CHECK(c.f.entry_count() == 1);
  const auto job = jobs.claim({});
  REQUIRE(job.has_value());
  CHECK(job->payload == "entry 2");
  // Another area's service writes in a unit of work of its own, and passes it in.
  {
    UnitOfWork work(*c.f.store, Access::write);
    CHECK(jobs.enqueue(work, {.kind = "receipt.send", .payload = "in a unit"}).result == EnqueueResult::ok);
    CHECK(jobs.complete(work, job->id, job->token).result == CompleteResult::ok);
  }  // rolled back: neither the new job nor the completion happened
  CHECK(jobs.get(job->id)->status == JobStatus::claimed);
  CHECK(jobs.stats().ready == 0);
  {
    UnitOfWork work(*c.f.store, Access::write);
    CHECK(jobs.complete(work, job->id, job->token).result == CompleteResult::ok);
    work.commit();
  }
  CHECK(jobs.get(job->id)->status == JobStatus::completed);
}

CONTRACT_TEST("a claim inside a transaction that rolls back leaves the job as it was") {
  Queue q = queue<Adapter>();
  const Job queued = q.enqueue("k");
  {
    auto work = q.f.books->transaction();
    const Job claimed = q.claim_one();
    CHECK(q.jobs().complete(claimed).result == CompleteResult::ok);
  }
  CHECK(q.jobs().get(queued.id) == queued);
  CHECK(q.claim_one().attempts == 1);
}

CONTRACT_TEST("stats counts ready, scheduled, in-flight and dead-lettered jobs, and the oldest ready one's age") {
  Queue q = queue<Adapter>();
  CHECK(q.jobs().stats() == JobStats{});
  (void)q.enqueue("ready-1");
  q.advance(10s);
  (void)q.enqueue("ready-2");
  (void)q.jobs().enqueue({.kind = "later", .run_at = k_start + 1h});
  (void)q.jobs().enqueue({.kind = "held"});
  (void)q.jobs().enqueue({.kind = "dead", .max_attempts = 1});
  REQUIRE(q.claim("w", 5min, {"held"}).has_value());
  REQUIRE(q.jobs().fail(*q.claim("w", 5min, {"dead"}), "x").result == FailResult::dead_lettered);
  q.advance(5s);
  const JobStats stats = q.jobs().stats();
  CHECK(stats.ready == 2);
  CHECK(stats.scheduled == 1);
  CHECK(stats.in_flight == 1);
  CHECK(stats.dead_lettered == 1);
  CHECK(stats.oldest_ready_age == 15s);
  // Completed jobs count nowhere.
  const Job done = *q.claim("w", 5min, {"ready-1"});
  REQUIRE(q.jobs().complete(done).result == CompleteResult::ok);
  CHECK(q.jobs().stats().ready == 1);
  CHECK(q.jobs().stats().oldest_ready_age == 5s);
}

CONTRACT_TEST("purge_completed deletes completed jobs older than the cut, and nothing else") {
  Queue q = queue<Adapter>();
  for (int i = 0; i < 3; ++i) (void)q.enqueue("k");
  const Job a = q.claim_one();
  REQUIRE(q.jobs().complete(a).result == CompleteResult::ok);
  q.advance(1h);
  const Job b = q.claim_one();
  REQUIRE(q.jobs().complete(b).result == CompleteResult::ok);
  CHECK(q.jobs().purge_completed(k_start + 30min) == 1);
  CHECK_FALSE(q.jobs().get(a.id).has_value());
  CHECK(q.jobs().get(b.id).has_value());
  CHECK(q.jobs().purge_completed(q.now() + 1s) == 1);
  CHECK(q.jobs().purge_completed(q.now() + 1s) == 0);
  CHECK(q.jobs().stats().ready == 1);  // the queued one stays
}

CONTRACT_TEST("the back-off doubles from base_delay up to max_delay, with jitter between half and all of it") {
  const JobOptions options{.base_delay = 10s, .max_delay = 1h};
  const JobId id("job-1");
  std::chrono::microseconds cap = 10s;
  std::set<std::int64_t> seen;
  for (std::uint32_t attempt = 1; attempt <= 100; ++attempt) {
    CAPTURE(attempt);
    const std::chrono::microseconds delay = job_retry_delay(id, attempt, options);
    CHECK(delay >= cap - cap / 2);
    CHECK(delay <= cap);
    CHECK(delay == job_retry_delay(id, attempt, options));  // deterministic
    seen.insert(delay.count());
    cap = std::min<std::chrono::microseconds>(cap * 2, 1h);
  }
  CHECK(seen.size() > 90);  // jittered: attempts at the cap still differ
  CHECK(job_retry_delay(id, 1, options) != job_retry_delay(JobId("job-2"), 1, options));  // spread by the id
  // Pinned, so that a change of the formula shows: the values docs/jobs.md's example gives.
  const JobId documented("gen-000000000001");
  CHECK(job_retry_delay(documented, 1, options) == 9'487'926us);
  CHECK(job_retry_delay(documented, 3, options) == 27'273'314us);
  CHECK(job_retry_delay(documented, 10, options) == 3'230'216'723us);
  check_invalid([&] { (void)job_retry_delay(id, 0, options); }, "attempt");
  Queue q = queue<Adapter>();
  check_invalid([&] { q.jobs().configure({.base_delay = 0s, .max_delay = 1h}); }, "base_delay");
  check_invalid([&] { q.jobs().configure({.base_delay = 2h, .max_delay = 1h}); }, "base_delay");
  check_invalid([&] { q.jobs().configure({.base_delay = 1s, .max_delay = k_max_job_delay + 1us}); }, "max_delay");
  CHECK(q.jobs().options().base_delay == JobOptions{}.base_delay);
}

// ---------------------------------------------------------------------------- the repository itself

CONTRACT_TEST("the job repository round-trips every field and refuses a taken id or a held dedup key") {
  auto store = Adapter::open();
  Job job = stored_job("j-1", JobStatus::claimed);
  job.payload = std::string("{\"quote\":\"\\\"\",\"nul\":\"\\u0000\"}") + "\xe2\x82\xac";
  job.worker = "w";
  job.last_error = "line one\nline two";
  job.dedup_key = "key";
  job.run_at = Timestamp::parse("2026-01-01T00:00:00.000001Z");
  {
    UnitOfWork work(*store, Access::write);
    CHECK(work->jobs().insert(job));
    CHECK_FALSE(work->jobs().insert(job));
    Job other = stored_job("j-2");
    other.dedup_key = "key";
    try {
      (void)work->jobs().insert(other);
      FAIL("a held dedup key was taken");
    } catch (const InvariantViolation& e) {
      CHECK(e.field() == "dedup_key");
    }
    other.kind = "other";
    CHECK(work->jobs().insert(other));
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->jobs().find(JobId("j-1")) == job);
  CHECK(work->jobs().find_by_dedup_key("k", "key") == job);
  CHECK_FALSE(work->jobs().find_by_dedup_key("k", "nokey").has_value());
  CHECK(work->jobs().find_by_dedup_key("other", "key")->id.str() == "j-2");
}

CONTRACT_TEST("the job repository refuses a broken row, a missing job and a change of identity") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  const auto refused = [&](const Job& job, const std::string& field, bool insert) {
    CAPTURE(field);
    try {
      if (insert) {
        (void)work->jobs().insert(job);
      } else {
        work->jobs().update(job);
      }
      FAIL("a broken row was stored");
    } catch (const InvariantViolation& e) {
      CHECK(e.field() == field);
    }
  };
  Job no_lease = stored_job("j-1", JobStatus::claimed);
  no_lease.lease_expires_at.reset();
  refused(no_lease, "status", true);
  Job token_when_queued = stored_job("j-1");
  token_when_queued.token = "t";
  refused(token_when_queued, "status", true);
  Job too_many = stored_job("j-1");
  too_many.attempts = 4;
  refused(too_many, "attempts", true);
  Job no_attempts = stored_job("j-1");
  no_attempts.max_attempts = 0;
  refused(no_attempts, "max_attempts", true);
  refused(stored_job("missing"), "job_id", false);

  REQUIRE(work->jobs().insert(stored_job("j-1")));
  Job other_kind = stored_job("j-1");
  other_kind.kind = "other";
  refused(other_kind, "job_id", false);
  Job other_payload = stored_job("j-1");
  other_payload.payload = "q";
  refused(other_payload, "job_id", false);
  CHECK(work->jobs().find(JobId("j-1")) == stored_job("j-1"));
}

CONTRACT_TEST("the job repository moves a status only as k_job_transitions allows: all 16 pairs") {
  constexpr JobStatus k_all[] = {JobStatus::queued, JobStatus::claimed, JobStatus::completed,
                                 JobStatus::dead_lettered};
  auto store = Adapter::open();
  int allowed = 0;
  int id = 0;
  for (const JobStatus from : k_all) {
    for (const JobStatus to : k_all) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      const std::string name = fmt::format("j-{}", ++id);
      UnitOfWork work(*store, Access::write);
      Job stored = stored_job(name, from);
      REQUIRE(work->jobs().insert(stored));
      Job next = stored_job(name, to);
      next.updated_at = k_start + 1s;
      if (job_transition_allowed(from, to)) {
        ++allowed;
        work->jobs().update(next);
        CHECK(work->jobs().find(JobId(name)) == next);
      } else {
        CHECK_THROWS_AS(work->jobs().update(next), InvariantViolation);
        CHECK(work->jobs().find(JobId(name)) == stored);
      }
      work.commit();
    }
  }
  CHECK(allowed == static_cast<int>(std::size(k_job_transitions)));
}

CONTRACT_TEST("due, dead_letters and counts read the rows as the repository documents") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  Job late = stored_job("a-late");
  late.run_at = k_start + 1min;
  Job soon = stored_job("b-soon");
  Job held = stored_job("c-held", JobStatus::claimed);  // due at k_start + 30s
  Job also_soon = stored_job("a-soon");
  also_soon.kind = "other";
  Job dead = stored_job("d-dead", JobStatus::dead_lettered);
  for (const Job& job : {late, soon, held, also_soon, dead}) REQUIRE(work->jobs().insert(job));
  const auto ids = [](const std::vector<Job>& jobs) {
    std::vector<std::string> out;
    for (const Job& job : jobs) out.push_back(job.id.str());
    return out;
  };
  const std::vector<std::string> kinds_k{"k"};
  CHECK(ids(work->jobs().due(k_start, {}, 10)) == std::vector<std::string>{"a-soon", "b-soon"});
  CHECK(ids(work->jobs().due(k_start, kinds_k, 10)) == std::vector<std::string>{"b-soon"});
  CHECK(ids(work->jobs().due(k_start + 1h, {}, 3)) == std::vector<std::string>{"a-soon", "b-soon", "c-held"});
  CHECK(ids(work->jobs().dead_letters(std::nullopt, "", 10)) == std::vector<std::string>{"d-dead"});
  CHECK(work->jobs().dead_letters(std::string("other"), "", 10).empty());
  CHECK(work->jobs().dead_letters(std::nullopt, "d-dead", 10).empty());
  const JobCounts at_start = work->jobs().counts(k_start + 10s);
  CHECK(at_start == JobCounts{.due = 2, .queued_later = 1, .claimed_live = 1, .dead_lettered = 1,
                              .oldest_due = k_start});
  CHECK(work->jobs().counts(k_start + 1h).due == 4);
}
