// The job queue: billing.Job, its status and result enums, the outcomes and stats, and books.jobs.
// A payload crosses as JSON text: a Python value of JSON's own types is written here (conversion only),
// and read back with json.loads.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <limits>
#include <string>
#include <vector>

#include "billing/error.hpp"
#include "convert.hpp"
#include "page.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace {

using Release = py::call_guard<py::gil_scoped_release>;

const py::module_& json_module() {
  static const auto* json = new py::module_(py::module_::import("json"));  // leaked: see convert.cpp
  return *json;
}

py::object timedelta_to_py(std::chrono::microseconds span) {
  static const auto* timedelta = new py::object(py::module_::import("datetime").attr("timedelta"));
  return (*timedelta)(py::arg("microseconds") = span.count());
}

// ---------------------------------------------------------------------------- a payload as JSON text
// None, bool, int, str, and lists, tuples and dicts (str keys) of them, written as JSON. A float or a
// Decimal is refused rather than rounded through a binary float (json.loads would read 0.1 back as one),
// and anything else has no JSON form; each is a TypeError naming where it sits (payload["items"][2]).
// Writing stops once the text is past the C++ limit, which then refuses it, so a huge value costs no more
// than a small one.

class PayloadWriter {
 public:
  std::string take() && { return std::move(out_); }

  void write(py::handle value, const std::string& path) {
    if (out_.size() > k_max_job_payload_bytes) return;
    const RecursionGuard guard(" while encoding a job's payload");
    PyObject* const object = value.ptr();
    if (value.is_none()) {
      out_ += "null";
    } else if (PyBool_Check(object)) {  // before int: bool is an int
      out_ += object == Py_True ? "true" : "false";
    } else if (PyLong_Check(object)) {
      out_ += py::str(value).cast<std::string>();
    } else if (PyUnicode_Check(object)) {
      write_string(utf8_from_py(value, path));
    } else if (PyList_Check(object) || PyTuple_Check(object)) {
      write_list(value, path);
    } else if (PyDict_Check(object)) {
      write_dict(value, path);
    } else if (PyFloat_Check(object)) {
      throw py::type_error(fmt::format("{}: a float is not exact; pass a str or an int", path));
    } else {
      throw py::type_error(fmt::format("{}: a value of type {} has no JSON form; pass None, bool, int, str, or a "
                                       "list, tuple or dict (str keys) of them",
                                       path, type_name(value)));
    }
  }

 private:
  void write_string(std::string_view text) {
    static constexpr char k_hex[] = "0123456789abcdef";
    out_ += '"';
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (byte < 0x20) {
        out_ += "\\u00";
        out_ += k_hex[byte >> 4];
        out_ += k_hex[byte & 0xf];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  void write_list(py::handle sequence, const std::string& path) {
    const auto items = py::reinterpret_steal<py::tuple>(PySequence_Tuple(sequence.ptr()));  // a snapshot
    if (!items) throw py::error_already_set();
    out_ += '[';
    for (std::size_t i = 0; i < items.size() && out_.size() <= k_max_job_payload_bytes; ++i) {
      if (i > 0) out_ += ',';
      write(items[i], fmt::format("{}[{}]", path, i));
    }
    out_ += ']';
  }

  void write_dict(py::handle dict, const std::string& path) {
    const auto items = py::reinterpret_steal<py::list>(PyDict_Items(dict.ptr()));  // a snapshot
    if (!items) throw py::error_already_set();
    out_ += '{';
    bool first = true;
    for (const py::handle item : items) {
      if (out_.size() > k_max_job_payload_bytes) break;
      const py::handle key = PyTuple_GET_ITEM(item.ptr(), 0);
      if (!PyUnicode_Check(key.ptr())) {  // named by its type only: a key may be data
        throw py::type_error(fmt::format("{}: a dict key must be a str, not {}", path, type_name(key)));
      }
      const std::string name = utf8_from_py(key, path);
      if (!first) out_ += ',';
      first = false;
      write_string(name);
      out_ += ':';
      write(PyTuple_GET_ITEM(item.ptr(), 1), key_path(path, name));
    }
    out_ += '}';
  }

  std::string out_;
};

std::string payload_from_py(const Loose<shown::Any>& payload) {
  PayloadWriter writer;
  writer.write(payload.value, "payload");
  return std::move(writer).take();
}

std::uint32_t attempts_from_py(const IntArg& value) {
  // Beyond 32 bits is as far beyond the limit as 2^32 - 1, which the library refuses with the limit.
  const std::uint64_t count = uint64_from_py(value.value, "max_attempts");
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(count, std::numeric_limits<std::uint32_t>::max()));
}

JobRequest job_request(const Text& kind, const Loose<shown::Any>& payload, const OptionalTimeArg& run_at,
                       const std::optional<Text>& dedup_key, const IntArg& max_attempts) {
  return JobRequest{.kind = kind.value,
                    .payload = payload_from_py(payload),
                    .run_at = optional_time(run_at, "run_at"),
                    .dedup_key = dedup_key ? std::optional<std::string>(dedup_key->value) : std::nullopt,
                    .max_attempts = attempts_from_py(max_attempts)};
}

ClaimRequest claim_request(const std::optional<std::vector<Text>>& kinds, const DurationArg& lease,
                           const Text& worker) {
  ClaimRequest request{.kinds = {}, .lease = duration_from_py(lease.value, "lease"), .worker = worker.value};
  if (kinds) {
    request.kinds.reserve(kinds->size());
    for (const Text& kind : *kinds) request.kinds.push_back(kind.value);
  }
  return request;
}

// ---------------------------------------------------------------------------- enums and values

std::string upper(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Members named after the C++ values, upper case, as every billing enum is.
template <class E, std::size_t N>
void bind_result(py::module_& m, const char* name, const char* doc, const E (&values)[N]) {
  static std::vector<std::string> names;  // the members' names outlive bind_enum's use of them
  const std::size_t first = names.size();
  for (const E value : values) names.push_back(upper(to_string(value)));
  std::vector<EnumMember<E>> members;
  for (std::size_t i = 0; i < N; ++i) members.push_back({names[first + i].c_str(), values[i]});
  bind_enum<E>(m, name, doc, members);
}

template <class Result>
void bind_outcome(py::module_& m, const char* name, const char* doc, const char* ok_doc) {
  using Outcome = JobOutcome<Result>;
  py::class_<Outcome>(m, name, doc)
      .def_readonly("result", &Outcome::result, "What happened (see the result enum).")
      .def_readonly("job", &Outcome::job, "The job as it stands after the call, or None when not found.")
      .def_property_readonly(
          "ok", [](const Outcome& o) { return succeeded(o.result); }, ok_doc)
      .def("__bool__", [](const Outcome& o) { return succeeded(o.result); })
      .def("__repr__", [name](const Outcome& o) {
        std::string text = fmt::format("{}(result={}", name, repr_of(o.result));
        if (o.job) text += fmt::format(", job={}", repr_of(o.job->id));
        return text + ")";
      });
}

}  // namespace

void bind_job_types(py::module_& m) {
  bind_enum<JobStatus>(m, "JobStatus",
                       "Where a job is in its life (docs/jobs.md, \"States\"):\n\n"
                       "QUEUED: waiting for its run_at (scheduled) or for a worker (ready).\n"
                       "CLAIMED: held by a worker until its lease runs out.\n"
                       "COMPLETED: done; final.\n"
                       "DEAD_LETTERED: failed its last attempt; waits for books.jobs.redrive().",
                       {{"QUEUED", JobStatus::queued},
                        {"CLAIMED", JobStatus::claimed},
                        {"COMPLETED", JobStatus::completed},
                        {"DEAD_LETTERED", JobStatus::dead_lettered}});
  bind_result(m, "EnqueueResult",
              "What books.jobs.enqueue did: OK (stored) or DUPLICATE (a job of this kind that has not completed\n"
              "holds the dedup key; it is returned unchanged).",
              {EnqueueResult::ok, EnqueueResult::duplicate});
  bind_result(m, "CompleteResult",
              "What books.jobs.complete did, checked in this order: OK; NOT_FOUND (no job has the id);\n"
              "STALE_TOKEN (the job is not held under this claim any more: its lease ran out and another\n"
              "worker claimed it, or it was completed or failed since). Only OK changed anything.",
              {CompleteResult::ok, CompleteResult::not_found, CompleteResult::stale_token});
  bind_result(m, "FailResult",
              "What books.jobs.fail did, checked in this order: RETRY_SCHEDULED (queued again after the\n"
              "back-off); DEAD_LETTERED (that was the last attempt, or retry=False); NOT_FOUND; STALE_TOKEN (as\n"
              "for complete). The first two recorded the failure; the others changed nothing.",
              {FailResult::retry_scheduled, FailResult::dead_lettered, FailResult::not_found,
               FailResult::stale_token});
  bind_result(m, "RedriveResult",
              "What books.jobs.redrive did, checked in this order: OK (queued again, ready now, attempts reset);\n"
              "NOT_FOUND; NOT_DEAD_LETTERED (the job is not dead-lettered; nothing changed).",
              {RedriveResult::ok, RedriveResult::not_found, RedriveResult::not_dead_lettered});

  py::class_<Job> job(m, "Job",
                      "A stored job: what books.jobs.claim returns, and what the outcomes carry. Immutable: the\n"
                      "queue's calls return a new Job rather than changing this one.");
  bind_value(job)
      .def_property_readonly(
          "id", [](const Job& j) { return j.id.str(); }, "The job's id (str), from the books' IdSource.")
      .def_readonly("kind", &Job::kind, "What the job is for (str), such as 'payment.retry'.")
      .def_property_readonly(
          "payload", [](const Job& j) { return Typed<shown::Any>{json_module().attr("loads")(j.payload)}; },
          "The payload given to enqueue, read back from its JSON (a new value on each read). A job that C++\n"
          "enqueued with text that is not JSON raises ValueError here: read payload_text instead.")
      .def_readonly("payload_text", &Job::payload, "The payload as stored: JSON text (str).")
      .def_readonly("status", &Job::status, "Its JobStatus.")
      .def_readonly("attempts", &Job::attempts, "Claims made so far (int); each claim counts one, whatever came of it.")
      .def_readonly("max_attempts", &Job::max_attempts, "Attempts allowed before the job is dead-lettered (int).")
      .def_property_readonly(
          "run_at", [](const Job& j) { return datetime_result(j.run_at); },
          "QUEUED: when it becomes ready; otherwise when its last attempt fell due (aware, UTC).")
      .def_property_readonly(
          "lease_expires_at", [](const Job& j) { return datetime_result(j.lease_expires_at); },
          "CLAIMED: when the claim lapses and the job may be claimed again; otherwise None.")
      .def_property_readonly(
          "due_at", [](const Job& j) { return datetime_result(j.due_at()); },
          "When a worker may claim it: run_at while QUEUED, lease_expires_at while CLAIMED; else None.")
      .def_readonly("worker", &Job::worker, "Who holds (CLAIMED) or last held the job (str; may be \"\").")
      .def_readonly("token", &Job::token,
                    "CLAIMED: the claim's token, which complete() and fail() must show; otherwise \"\".")
      .def_readonly("last_error", &Job::last_error, "What the last fail() said, or why it was dead-lettered (str).")
      .def_readonly("dedup_key", &Job::dedup_key, "The dedup key given to enqueue, or None.")
      .def_property_readonly(
          "created_at", [](const Job& j) { return datetime_result(j.created_at); }, "When it was enqueued.")
      .def_property_readonly(
          "updated_at", [](const Job& j) { return datetime_result(j.updated_at); },
          "When its status last changed; for a COMPLETED job, when it completed.")
      .def("__repr__", [](const Job& j) {
        return fmt::format("Job(id={}, kind={}, status={}, attempts={})", repr_of(j.id), repr_of(j.kind),
                           repr_of(j.status), j.attempts);
      });

  py::class_<JobRequest>(m, "JobRequest", "A new job, for books.jobs.enqueue_batch; the arguments of enqueue.")
      .def(py::init(&job_request), py::arg("kind"), py::arg("payload"), py::kw_only(), py::arg("run_at") = py::none(),
           py::arg("dedup_key") = py::none(), py::arg("max_attempts") = 3,
           "JobRequest(kind, payload, *, run_at=None, dedup_key=None, max_attempts=3): as enqueue takes them.\n"
           "The payload is written as JSON now; a value with no exact JSON form is a TypeError.")
      .def_readonly("kind", &JobRequest::kind, "The kind (str).")
      .def("__repr__", [](const JobRequest& r) { return fmt::format("JobRequest(kind={})", repr_of(r.kind)); });

  bind_outcome<EnqueueResult>(m, "EnqueueOutcome",
                              "What books.jobs.enqueue returns: .result (EnqueueResult) and .job (the stored job, or\n"
                              "for DUPLICATE the job holding the key). bool(outcome) is outcome.ok.",
                              "True when this call stored a job (OK).");
  bind_outcome<CompleteResult>(m, "CompleteOutcome",
                               "What books.jobs.complete returns: .result (CompleteResult) and .job (None when not\n"
                               "found). bool(outcome) is outcome.ok.",
                               "True when this call completed the job (OK).");
  bind_outcome<FailResult>(m, "FailOutcome",
                           "What books.jobs.fail returns: .result (FailResult) and .job (its run_at is the retry's\n"
                           "time for RETRY_SCHEDULED; None when not found). bool(outcome) is outcome.ok.",
                           "True when this call recorded the failure (RETRY_SCHEDULED or DEAD_LETTERED).");
  bind_outcome<RedriveResult>(m, "RedriveOutcome",
                              "What books.jobs.redrive returns: .result (RedriveResult) and .job. bool(outcome) is\n"
                              "outcome.ok.",
                              "True when this call queued the job again (OK).");

  py::class_<JobStats>(m, "JobStats", "The queue's figures at one instant, by the books' clock: books.jobs.stats().")
      .def_readonly("ready", &JobStats::ready,
                    "Claimable now (int): queued and due, or claimed with the lease run out.")
      .def_readonly("scheduled", &JobStats::scheduled, "Queued with run_at still to come (int).")
      .def_readonly("in_flight", &JobStats::in_flight, "Claimed, lease still running (int).")
      .def_readonly("dead_lettered", &JobStats::dead_lettered, "Waiting for redrive() (int).")
      .def_property_readonly(
          "oldest_ready_age", [](const JobStats& s) { return Typed<shown::TimeDelta>{timedelta_to_py(s.oldest_ready_age)}; },
          "How long the oldest ready job has been due (datetime.timedelta); zero when none is ready.")
      .def(
          "__eq__", [](const JobStats& a, const JobStats& b) { return a == b; }, py::is_operator())
      .def("__repr__", [](const JobStats& s) {
        return fmt::format("JobStats(ready={}, scheduled={}, in_flight={}, dead_lettered={}, oldest_ready_age={})",
                           s.ready, s.scheduled, s.in_flight, s.dead_lettered,
                           repr_of(timedelta_to_py(s.oldest_ready_age)));
      });

  bind_page<Job>(m, "JobPage", "books.jobs.dead_letters", "The jobs of this page, in id order.");

  m.def(
      "job_transitions",
      [] {
        std::vector<std::pair<JobStatus, JobStatus>> out;
        for (const JobTransition& t : k_job_transitions) out.emplace_back(t.from, t.to);
        return out;
      },
      "Every change of status the queue makes, as (from, to) pairs of JobStatus; the store refuses any other.");
}

void bind_jobs(py::module_& m) {
  // Leaked, as every object the module holds past shutdown (convert.cpp).
  static const auto* default_lease =
      new py::object(py::module_::import("datetime").attr("timedelta")(py::arg("seconds") = 30));
  py::class_<Jobs>(m, "Jobs", "The durable job queue in the store: books.jobs (docs/jobs.md).")
      .def(
          "enqueue",
          [](Jobs& jobs, const Text& kind, const Loose<shown::Any>& payload, const OptionalTimeArg& run_at,
             const std::optional<Text>& dedup_key, const IntArg& max_attempts) {
            const JobRequest request = job_request(kind, payload, run_at, dedup_key, max_attempts);
            py::gil_scoped_release release;
            return jobs.enqueue(request);
          },
          py::arg("kind"), py::arg("payload"), py::kw_only(), py::arg("run_at") = py::none(),
          py::arg("dedup_key") = py::none(), py::arg("max_attempts") = 3,
          "Stores a new QUEUED job, ready at run_at (an aware datetime; now when None); returns an\n"
          "EnqueueOutcome. Inside `with books.transaction():` it commits or rolls back with the block.\n\n"
          "kind: 1 to 64 of A-Z a-z 0-9 _ . : -, starting with a letter. payload: None, bool, int, str, or a\n"
          "list, tuple or dict (str keys) of them, up to 64 KiB as JSON (a float or Decimal is a TypeError;\n"
          "pass amounts as str). dedup_key: 1 to 255 bytes; while a job of this kind that has not completed\n"
          "holds it, enqueue stores nothing and returns DUPLICATE with that job. max_attempts: 1 to 100.\n"
          "InvalidArgument names the field beyond its limit.")
      .def(
          "enqueue_batch", [](Jobs& jobs, const std::vector<JobRequest>& requests) { return jobs.enqueue_batch(requests); },
          py::arg("requests"), Release(),
          "Enqueues up to 1,000 JobRequests in one unit of work; one EnqueueOutcome per request, in order.\n"
          "InvalidArgument names the request at fault, such as [3].kind, before anything is stored.")
      .def(
          "claim",
          [](Jobs& jobs, const std::optional<std::vector<Text>>& kinds, const DurationArg& lease, const Text& worker) {
            const ClaimRequest request = claim_request(kinds, lease, worker);
            py::gil_scoped_release release;
            return jobs.claim(request);
          },
          py::arg("kinds") = py::none(), py::kw_only(),
          py::arg_v("lease", *default_lease, "datetime.timedelta(seconds=30)"), py::arg("worker") = "",
          "Claims the next due job (of these kinds, a list of up to 32, or of every kind when None), or\n"
          "returns None when none is due. Jobs come in the order they fell due, then by id. The job is\n"
          "CLAIMED by worker until now + lease (more than zero, at most 24 hours) under a new token, and its\n"
          "attempts grow by one. A job whose lease ran out is due again (the lapsed claim counted an attempt);\n"
          "one with no attempt left is dead-lettered instead and the claim goes on to the next.")
      .def(
          "claim_batch",
          [](Jobs& jobs, const IntArg& limit, const std::optional<std::vector<Text>>& kinds, const DurationArg& lease,
             const Text& worker) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            const ClaimRequest request = claim_request(kinds, lease, worker);
            py::gil_scoped_release release;
            return jobs.claim_batch(request, count);
          },
          py::arg("limit"), py::arg("kinds") = py::none(), py::kw_only(),
          py::arg_v("lease", *default_lease, "datetime.timedelta(seconds=30)"), py::arg("worker") = "",
          "Claims up to limit (1 to 100) due jobs at once, as claim() takes them, in one unit of work; returns\n"
          "a list of Jobs (empty when none is due).")
      .def(
          "complete", [](Jobs& jobs, const Job& job) { return jobs.complete(job); }, py::arg("job"), Release(),
          "Completes a job claimed by this worker; returns a CompleteOutcome. STALE_TOKEN when the claim was\n"
          "taken over (its lease ran out and another worker claimed the job) or the job was completed or\n"
          "failed since; nothing changes then. A lapsed claim may still complete while no one has taken over.")
      .def(
          "fail",
          [](Jobs& jobs, const Job& job, const Text& error, bool retry) { return jobs.fail(job, error.value, retry); },
          py::arg("job"), py::arg("error"), py::kw_only(), py::arg("retry").noconvert() = true, Release(),
          "Records a failed attempt of a job claimed by this worker, with error (up to 4,096 bytes) as its\n"
          "last_error; returns a FailOutcome. With attempts left (and retry), the job is QUEUED again at\n"
          "now + retry_delay(job.id, job.attempts): RETRY_SCHEDULED; otherwise DEAD_LETTERED. STALE_TOKEN as\n"
          "for complete.")
      .def(
          "redrive", [](Jobs& jobs, const Text& id) { return jobs.redrive(JobId(id.value)); }, py::arg("id"),
          Release(),
          "Queues a dead-lettered job again, ready now, with its attempts reset to zero; returns a\n"
          "RedriveOutcome (NOT_FOUND, NOT_DEAD_LETTERED: nothing changed).")
      .def(
          "get", [](Jobs& jobs, const Text& id) { return jobs.get(JobId(id.value)); }, py::arg("id"), Release(),
          "The Job with this id, or None.")
      .def(
          "dead_letters",
          [](Jobs& jobs, const std::optional<Text>& kind, const Text& cursor, const IntArg& limit) {
            const DeadLetterQuery query{
                .kind = kind ? std::optional<std::string>(kind->value) : std::nullopt,
                .cursor = cursor.value,
                .limit = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"))};
            py::gil_scoped_release release;
            return jobs.dead_letters(query);
          },
          py::arg("kind") = py::none(), py::kw_only(), py::arg("cursor") = "", py::arg("limit") = 100,
          "One JobPage of dead-lettered jobs (of one kind, or all), in id order. limit is 1 to 1,000; cursor\n"
          "is the previous page's next_cursor.")
      .def(
          "stats", [](Jobs& jobs) { return jobs.stats(); }, Release(),
          "The queue's JobStats now: ready, scheduled, in flight, dead-lettered, and the oldest ready job's age.")
      .def(
          "purge_completed",
          [](Jobs& jobs, const TimeArg& before) {
            const Timestamp cut = timestamp_from_py(before.value, "before");
            py::gil_scoped_release release;
            return jobs.purge_completed(cut);
          },
          py::arg("before"), "Deletes the jobs that completed before `before` (an aware datetime); returns how many.")
      .def(
          "retry_delay",
          [](const Jobs& jobs, const Text& id, const IntArg& attempt) {
            const std::uint64_t n = uint64_from_py(attempt.value, "attempt");
            const auto clamped = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
            return Typed<shown::TimeDelta>{timedelta_to_py(job_retry_delay(JobId(id.value), clamped, jobs.options()))};
          },
          py::arg("id"), py::arg("attempt"),
          "The wait after attempt `attempt` (1 = the first) of job `id` failed, under these books' options:\n"
          "cap = min(max_delay, base_delay * 2**(attempt-1)); between cap - cap//2 and cap, spread by a hash of\n"
          "the id and attempt (docs/jobs.md, \"Back-off\"). Deterministic.")
      .def(
          "configure",
          [](Jobs& jobs, const OptionalDurationArg& base_delay, const OptionalDurationArg& max_delay) {
            JobOptions options = jobs.options();
            if (!base_delay.value.is_none()) options.base_delay = duration_from_py(base_delay.value, "base_delay");
            if (!max_delay.value.is_none()) options.max_delay = duration_from_py(max_delay.value, "max_delay");
            jobs.configure(options);
          },
          py::kw_only(), py::arg("base_delay") = py::none(), py::arg("max_delay") = py::none(),
          "The back-off of failed attempts: base_delay (10 seconds) doubles per attempt up to max_delay (1 hour).\n"
          "InvalidArgument unless 0 < base_delay <= max_delay <= 30 days.")
      .def("__repr__", [](const Jobs& jobs) {
        const JobOptions& options = jobs.options();
        return fmt::format("<billing.Jobs base_delay={}s max_delay={}s>",
                           std::chrono::duration_cast<std::chrono::seconds>(options.base_delay).count(),
                           std::chrono::duration_cast<std::chrono::seconds>(options.max_delay).count());
      });
}

}  // namespace billing::python
