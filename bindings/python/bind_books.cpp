// billing.open() and billing.open_postgres(), Books and their units of work (`with books.transaction(): ...`),
// and books.idempotent with the conversion of its request into a billing::RequestValue.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "billing/canonical.hpp"
#include "billing/error.hpp"
#include "billing/storage/postgres.hpp"
#include "billing/storage/sqlite.hpp"
#include "convert.hpp"
#include "health.hpp"
#include "repr.hpp"

namespace billing::python {

namespace {

/// Books as billing.open() or billing.open_postgres() made them, remembering where they are kept, for
/// repr(): `Books(sqlite='books.db')`, `Books(memory)`, `Books(postgres, schema='shop')`. A PostgreSQL
/// store shows its schema only: its conninfo may hold a password.
class PyBooks : public Books {
 public:
  PyBooks(std::shared_ptr<Store> store, std::shared_ptr<Clock> clock, std::shared_ptr<IdSource> ids,
          std::string repr)
      : Books(std::move(store), std::move(clock), std::move(ids)), repr_(std::move(repr)) {}

  [[nodiscard]] const std::string& repr() const noexcept { return repr_; }

 private:
  std::string repr_;
};

/// `with books.transaction():` commits when the block ends normally and rolls back when it raises. An
/// explicit commit() inside the block commits at once, and the end of the block then has nothing left to
/// do; until it comes, the library refuses this thread's writes (Misuse), as BooksTransaction documents.
class PyTransaction {
 public:
  explicit PyTransaction(Books& books) : books_(books) {}

  PyTransaction& enter() {
    if (work_ || committed_) throw Misuse("transaction", "was entered already; open a new one for another block");
    py::gil_scoped_release release;  // opening may wait for another writer
    work_ = books_.transaction();
    return *this;
  }

  void exit(const py::handle& exc_type) {
    if (!work_) return;
    // The transaction ends with this call whether its commit succeeds or throws: what was not committed
    // rolls back, and the thread is free again.
    const std::unique_ptr<BooksTransaction> work = std::move(work_);
    const bool commit = exc_type.is_none() && !committed_;
    committed_ = true;
    if (commit) {
      py::gil_scoped_release release;
      work->commit();
    }
  }

  [[nodiscard]] const char* state() const noexcept {
    if (work_) return committed_ ? "committed" : "open";
    return committed_ ? "ended" : "not entered";
  }

  void commit() {
    if (!work_) throw Misuse("transaction", "is not open; use it as `with books.transaction() as t:`");
    py::gil_scoped_release release;
    work_->commit();  // Misuse when committed already
    committed_ = true;
  }

 private:
  Books& books_;
  std::unique_ptr<BooksTransaction> work_;
  bool committed_ = false;
};

// ---------------------------------------------------------------------------- a request's canonical bytes
// Conversion only: a Python request becomes a billing::RequestValue, and C++ encodes it
// (billing/canonical.hpp). A value that has no exact RequestValue is a TypeError naming where it sits.

const py::object& decimal_type() {
  static const auto* type = new py::object(py::module_::import("decimal").attr("Decimal"));  // leaked: see convert.cpp
  return *type;
}

const py::object& datetime_type() {
  static const auto* type = new py::object(py::module_::import("datetime").attr("datetime"));
  return *type;
}

[[noreturn]] void refuse(const std::string& path, std::string_view reason) {
  throw py::type_error(fmt::format("{}: {}", path, reason));
}

RequestValue integer_from_py(py::handle value) {
  int overflow = 0;
  const long long small = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow == 0) {
    if (small == -1 && PyErr_Occurred()) throw py::error_already_set();
    return RequestValue::integer(static_cast<std::int64_t>(small));
  }
  // Beyond 64 bits: its two's-complement bytes, which int.to_bytes gives exactly at any size.
  const auto bits = value.attr("bit_length")().cast<std::size_t>();
  const py::bytes big_endian = value.attr("to_bytes")(bits / 8 + 1, "big", py::arg("signed") = true);
  return RequestValue::integer_from_twos_complement(static_cast<std::string>(big_endian));
}

RequestValue decimal_from_request(py::handle value, const std::string& path) {
  if (!value.attr("is_finite")().cast<bool>()) refuse(path, "a NaN or infinite Decimal has no exact value");
  try {
    return RequestValue::decimal(decimal_from_py(value, path));
  } catch (const Error&) {
    refuse(path, fmt::format("the Decimal is beyond what a billing Decimal holds exactly (38 digits, {} places)",
                             Decimal::k_max_scale));
  }
}

RequestValue timestamp_from_request(py::handle value, const std::string& path) {
  if (value.attr("utcoffset")().is_none()) {
    refuse(path, "a naive datetime has no zone; pass one with tzinfo (such as UTC)");
  }
  return RequestValue::timestamp(timestamp_from_py(value, path));
}

RequestValue request_from_py(py::handle value, const std::string& path);

RequestValue list_from_py(py::handle sequence, const std::string& path) {
  const auto items = py::reinterpret_steal<py::tuple>(PySequence_Tuple(sequence.ptr()));  // a snapshot
  if (!items) throw py::error_already_set();
  std::vector<RequestValue> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(request_from_py(items[i], fmt::format("{}[{}]", path, i)));
  }
  return RequestValue::list(std::move(out));
}

RequestValue map_from_py(py::handle dict, const std::string& path) {
  const auto items = py::reinterpret_steal<py::list>(PyDict_Items(dict.ptr()));  // a snapshot
  if (!items) throw py::error_already_set();
  std::vector<RequestValue::Entry> out;
  out.reserve(items.size());
  for (const py::handle item : items) {
    const py::handle key = PyTuple_GET_ITEM(item.ptr(), 0);
    if (!PyUnicode_Check(key.ptr())) {  // named by its type only: a key may be data, even a card number
      refuse(path, fmt::format("a dict key must be a str, not {}", type_name(key)));
    }
    std::string name = utf8_from_py(key, path);
    const std::string inner = key_path(path, name);
    out.emplace_back(std::move(name), request_from_py(PyTuple_GET_ITEM(item.ptr(), 1), inner));
  }
  return RequestValue::map(std::move(out));
}

RequestValue request_from_py(py::handle value, const std::string& path) {
  const RecursionGuard guard(" while encoding an idempotent request");
  PyObject* const object = value.ptr();
  if (value.is_none()) return RequestValue::null();
  if (PyBool_Check(object)) return RequestValue::boolean(object == Py_True);  // before int: bool is an int
  if (PyLong_Check(object)) return integer_from_py(value);
  if (PyFloat_Check(object)) refuse(path, "a float is not exact; pass a decimal.Decimal, str or int");
  if (PyUnicode_Check(object)) return RequestValue::string(utf8_from_py(value, path));
  if (PyBytes_Check(object)) return RequestValue::bytes(value.cast<std::string>());
  if (py::isinstance(value, decimal_type())) return decimal_from_request(value, path);
  if (py::isinstance<Money>(value)) {
    if (!holds_value(value)) refuse(path, "a Money made by Money.__new__ without __init__ holds no value");
    return RequestValue::money(value.cast<Money>());
  }
  if (py::isinstance(value, datetime_type())) return timestamp_from_request(value, path);
  if (PyList_Check(object) || PyTuple_Check(object)) return list_from_py(value, path);
  if (PyDict_Check(object)) return map_from_py(value, path);
  if (PyAnySet_Check(object)) {
    refuse(path, fmt::format("a {} has no fixed order; pass a sorted list", type_name(value)));
  }
  refuse(path, fmt::format("a value of type {} has no canonical form; pass None, bool, int, str, bytes, "
                           "decimal.Decimal, billing.Money, an aware datetime, or a list, tuple or dict of them",
                           type_name(value)));
}

/// The bytes a Python request's fingerprint covers: canonical_encoding() of its RequestValue.
std::string canonical_request(py::handle request) { return canonical_encoding(request_from_py(request, "request")); }

/// What `books.idempotent` returns: the outcome (the first run's, on a replay) and whether it was one.
struct PyIdempotentResult {
  py::object outcome;
  bool replayed;
};

PyIdempotentResult idempotent(PyBooks& books, const Text& key, const Loose<shown::Any>& request_arg,
                      const Loose<shown::Work>& work, const Text& scope) {
  const py::handle request = request_arg.value;
  static const auto* json = new py::module_(py::module_::import("json"));
  const std::string canonical = canonical_request(request);
  IdempotentOutcome outcome;
  {
    py::gil_scoped_release release;  // the claim may wait for another writer
    outcome = books.idempotency().run({.scope = scope.value, .key = key.value}, canonical, [&] {
      py::gil_scoped_acquire acquire;
      return json->attr("dumps")(work.value()).cast<std::string>();
    });
  }
  switch (outcome.result) {
    case IdempotencyResult::mismatch: throw IdempotencyMismatch("key", "was used for another request");
    case IdempotencyResult::conflict:
      throw IdempotencyConflict("key", "is held by a request still in flight; retry later");
    case IdempotencyResult::executed:
    case IdempotencyResult::replayed: break;
  }
  return {json->attr("loads")(outcome.outcome), outcome.result == IdempotencyResult::replayed};
}

// ---------------------------------------------------------------------------------------- opening a store

/// A conninfo, shown as str; another type fails the call's conversion (a TypeError naming the parameter).
struct ConninfoText {
  static constexpr auto name = py::detail::const_name("str");
  static bool accepts(py::handle value) { return PyUnicode_Check(value.ptr()) != 0; }
};
using ConninfoArg = Loose<ConninfoText>;

// The docstrings below state these limits in words.
static_assert(PostgresOptions::k_max_connections == 1000);
static_assert(PostgresOptions::k_max_lock_timeout == std::chrono::hours(1));
static_assert(PostgresOptions::k_max_conflict_retries == 100);

/// True for a str that libpq reads as a URI: billing.open() opens PostgreSQL for it.
bool is_postgres_uri(py::handle path) {
  if (!PyUnicode_Check(path.ptr())) return false;
  return py::reinterpret_borrow<py::str>(path).attr("startswith")(py::make_tuple("postgresql://", "postgres://"))
      .cast<bool>();
}

/// A conninfo's UTF-8 bytes. It may hold a password, so nothing raised here holds the text: a lone
/// surrogate, whose UnicodeEncodeError would carry the whole str, is InvalidArgument naming `field`.
std::string conninfo_from_py(py::handle value, const char* field) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(value.ptr(), &size);
  if (data == nullptr) {
    if (!PyErr_ExceptionMatches(PyExc_UnicodeError)) throw py::error_already_set();
    PyErr_Clear();
    throw InvalidArgument(field, "holds a lone surrogate, which UTF-8 cannot encode");
  }
  return {data, static_cast<std::size_t>(size)};
}

/// The texts of `conninfo` that may be its password, as written and as libpq decodes them: a URI's
/// `user:password@`, its `password=` query parameter, a key=value string's `password=` value. Found
/// loosely, since the conninfo may be malformed (that is when libpq quotes it).
std::vector<std::string> password_texts(std::string_view conninfo) {
  std::vector<std::string> out;
  const auto add = [&out](std::string_view text) {
    if (text.empty()) return;
    out.emplace_back(text);
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    std::string decoded;  // %XX as a URI writes it, \x as a key=value string escapes it
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
        decoded += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
      } else if (text[i] == '\\' && i + 1 < text.size()) {
        decoded += text[++i];
      } else {
        decoded += text[i];
      }
    }
    if (!decoded.empty() && decoded != text) out.push_back(std::move(decoded));
  };
  const auto scheme = conninfo.find("://");
  if (conninfo.starts_with("postgres") && scheme != std::string_view::npos) {
    const std::string_view rest = conninfo.substr(scheme + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) add(userinfo.substr(colon + 1));
    }
    if (const auto query = rest.find('?'); query != std::string_view::npos) {
      std::string_view params = rest.substr(query + 1);
      while (!params.empty()) {
        const std::string_view param = params.substr(0, params.find('&'));
        if (param.starts_with("password=")) add(param.substr(9));
        params.remove_prefix(std::min(params.size(), param.size() + 1));
      }
    }
    return out;
  }
  for (auto key = conninfo.find("password"); key != std::string_view::npos;
       key = conninfo.find("password", key + 1)) {
    std::size_t i = key + 8;
    while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i])) != 0) ++i;
    if (i >= conninfo.size() || conninfo[i] != '=') continue;
    ++i;
    while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i])) != 0) ++i;
    const bool quoted = i < conninfo.size() && conninfo[i] == '\'';
    const std::size_t start = quoted ? i + 1 : i;
    std::size_t end = start;
    while (end < conninfo.size() &&
           (quoted ? conninfo[end] != '\'' : std::isspace(static_cast<unsigned char>(conninfo[end])) == 0)) {
      end += conninfo[end] == '\\' && end + 1 < conninfo.size() ? 2 : 1;
    }
    add(conninfo.substr(start, std::min(end, conninfo.size()) - start));
  }
  return out;
}

/// `message` with every text of `conninfo` that may be its password replaced by ***, the longest first (so
/// that no part of a longer one is left); false when there was none.
bool hide_passwords(std::string& message, std::string_view conninfo) {
  std::vector<std::string> secrets = password_texts(conninfo);
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  bool hidden = false;
  for (const std::string& secret : secrets) {
    for (auto found = message.find(secret); found != std::string::npos; found = message.find(secret, found + 3)) {
      message.replace(found, secret.size(), "***");
      hidden = true;
    }
  }
  return hidden;
}

/// Opens the PostgreSQL store, without the GIL (connecting and migrating take round trips). An error that
/// names the conninfo names `field` (the parameter it came in as: billing.open's is "path"), and no
/// message keeps a text of the conninfo that may be its password, whatever libpq quoted.
std::unique_ptr<Store> open_postgres_store(const std::string& conninfo, const PostgresOptions& options,
                                           const char* field) {
  try {
    py::gil_scoped_release release;
    return open_postgres(conninfo, options);
  } catch (const Error& error) {
    std::string at = error.field();
    std::string message = error.what();
    if (!at.empty() && message.starts_with(at + ": ")) message.erase(0, at.size() + 2);
    const bool renamed = at == "conninfo" && at != field;
    if (renamed) at = field;
    if (!hide_passwords(message, conninfo) && !renamed) throw;
    throw Error(error.code(), std::move(at), message);
  }
}

/// PostgresOptions from the Python arguments; None leaves a default. Each value's range is the library's
/// check (open_postgres); a timedelta becomes milliseconds rounded away from zero, so that one beyond
/// the range (-1 µs, 1 hour and 1 µs) stays beyond it.
PostgresOptions postgres_options(Durability durability, const std::string& schema,
                                 const OptionalDurationArg& lock_timeout, const OptionalIntArg& max_connections,
                                 const OptionalIntArg& conflict_retries) {
  PostgresOptions options{.durability = durability, .schema = schema};
  if (!lock_timeout.value.is_none()) {
    const Timestamp::Duration wait = duration_from_py(lock_timeout.value, "lock_timeout");
    options.lock_timeout = wait < Timestamp::Duration::zero() ? std::chrono::floor<std::chrono::milliseconds>(wait)
                                                                : std::chrono::ceil<std::chrono::milliseconds>(wait);
  }
  if (!max_connections.value.is_none()) {
    options.max_connections = static_cast<std::size_t>(uint64_from_py(max_connections.value, "max_connections"));
  }
  if (!conflict_retries.value.is_none()) {
    options.conflict_retries = int_from_py(conflict_retries.value, "conflict_retries");
  }
  return options;
}

std::string postgres_repr(const PostgresOptions& options) {
  return fmt::format("Books(postgres, schema={})", repr_of(options.schema));
}

}  // namespace

void bind_books(py::module_& m) {
  py::class_<PyIdempotentResult>(m, "IdempotentResult", "The outcome of books.idempotent, and whether it was replayed.")
      .def_property_readonly(
          "outcome", [](const PyIdempotentResult& r) { return Typed<shown::Any>{r.outcome}; },
          "What work() returned, through JSON: the first run's on a replay.")
      .def_readonly("replayed", &PyIdempotentResult::replayed,
                    "True when work() did not run because the key had run before.")
      .def("__bool__",
           [](const PyIdempotentResult&) -> bool {
             throw py::type_error(
                 "IdempotentResult has no truth value: test .replayed, or look at .outcome");
           })
      .def("__repr__", [](const PyIdempotentResult& r) {
        return py::str("IdempotentResult(outcome={!r}, replayed={})").format(r.outcome, r.replayed);
      });

  py::class_<Idempotency>(m, "Idempotency", "Idempotency keys: books.idempotency.")
      .def(
          "configure",
          [](Idempotency& keys, const OptionalDurationArg& window, const OptionalDurationArg& lease) {
            IdempotencyOptions options = keys.options();
            if (!window.value.is_none()) options.window = duration_from_py(window.value, "window");
            if (!lease.value.is_none()) options.lease = duration_from_py(lease.value, "lease");
            keys.configure(options);
          },
          py::kw_only(), py::arg("window") = py::none(), py::arg("lease") = py::none(),
          "How long keys are remembered (24 hours) and in-flight claims honoured (30 seconds).\n"
          "InvalidArgument unless 0 < window <= 366 days and 0 < lease <= window.")
      .def(
          "purge_expired", [](Idempotency& keys) { return keys.purge_expired(); },
          py::call_guard<py::gil_scoped_release>(),
          "Deletes the keys whose window has passed, by the books' clock; returns how many (int).")
      .def("__repr__", [](const Idempotency& keys) {
        const auto options = keys.options();
        return fmt::format("<billing.Idempotency window={}s lease={}s>",
                           std::chrono::duration_cast<std::chrono::seconds>(options.window).count(),
                           std::chrono::duration_cast<std::chrono::seconds>(options.lease).count());
      });
  bind_enum<Durability>(m, "Durability",
                        "When a commit returns, has it reached the disk?\n\n"
                        "FULL: an acknowledged commit survives a power cut (the default; SQLite's synchronous=FULL,\n"
                        "PostgreSQL's synchronous_commit=on).\n"
                        "NORMAL: it survives a process crash; the last commits may be lost on power loss (SQLite's\n"
                        "synchronous=NORMAL), or on a crash of the PostgreSQL server (synchronous_commit=off), never\n"
                        "half of one.",
                        {{"FULL", Durability::full}, {"NORMAL", Durability::normal}});

  py::class_<PyTransaction>(m, "Transaction", "A unit of work: `with books.transaction(): ...`.")
      .def(
          "__enter__", [](PyTransaction& t) -> PyTransaction& { return t.enter(); },
          py::return_value_policy::reference_internal, "Opens the unit of work for this thread.")
      .def(
          "__exit__",
          [](PyTransaction& t, const Loose<shown::Any>& type, const Loose<shown::Any>&, const Loose<shown::Any>&) {
            t.exit(type.value);
          },
          py::arg("exc_type"), py::arg("exc"), py::arg("traceback"),
          "Commits when the block ended normally, rolls back when it raised.")
      .def(
          "commit", [](PyTransaction& t) { t.commit(); },
          "Commits now; the end of the `with` block then does nothing, and until it comes this thread's writes\n"
          "raise Misuse.")
      .def("__repr__",
           [](const PyTransaction& t) { return fmt::format("<billing.Transaction {}>", t.state()); });

  py::class_<PyBooks>(m, "Books",
                      "One set of books: storage, clock and ids, with .accounts, .ledger and .idempotency.\n\n"
                      "Made by billing.open() or billing.open_postgres().")
      .def_property_readonly(
          "accounts", [](PyBooks& books) -> auto& { return books.accounts(); }, py::return_value_policy::reference_internal,
                             "The Accounts of these books.")
      .def_property_readonly(
          "ledger", [](PyBooks& books) -> auto& { return books.ledger(); }, py::return_value_policy::reference_internal,
                             "The Ledger of these books.")
      .def_property_readonly(
          "idempotency", [](PyBooks& books) -> auto& { return books.idempotency(); }, py::return_value_policy::reference_internal,
                             "The Idempotency keys of these books.")
      .def_property_readonly(
          "orders", [](PyBooks& books) -> auto& { return books.orders(); }, py::return_value_policy::reference_internal,
          "The Orders of these books.")
      .def_property_readonly(
          "jobs", [](PyBooks& books) -> auto& { return books.jobs(); }, py::return_value_policy::reference_internal,
          "The Jobs (the durable job queue) of these books.")
      .def_property_readonly(
          "payments", [](PyBooks& books) -> auto& { return books.payments(); },
          py::return_value_policy::reference_internal, "The Payments (the payment life cycle) of these books.")
      .def_property_readonly(
          "usage", [](PyBooks& books) -> auto& { return books.usage(); }, py::return_value_policy::reference_internal,
          "The Usage (usage metering: meters, events, running aggregates) of these books.")
      .def_property_readonly(
          "plans", [](PyBooks& books) -> auto& { return books.plans(); }, py::return_value_policy::reference_internal,
          "The Plans (immutable plans: fees, quotas, rate limits, usage charges) of these books.")
      .def_property_readonly(
          "quotas", [](PyBooks& books) -> auto& { return books.quotas(); }, py::return_value_policy::reference_internal,
          "The Quotas (quota and rate-limit checks kept in the store) of these books.")
      .def_property_readonly(
          "api_keys", [](PyBooks& books) -> auto& { return books.api_keys(); },
          py::return_value_policy::reference_internal, "The ApiKeys of these books.")
      .def_property_readonly(
          "subscriptions", [](PyBooks& books) -> auto& { return books.subscriptions(); },
          py::return_value_policy::reference_internal,
          "The Subscriptions (accounts on plans, billed once per cycle) of these books.")
      .def_property_readonly(
          "invoices", [](PyBooks& books) -> auto& { return books.invoices(); },
          py::return_value_policy::reference_internal, "The Invoices of these books.")
      .def_property_readonly(
          "collections", [](PyBooks& books) -> auto& { return books.collections(); },
          py::return_value_policy::reference_internal,
          "The Collections (invoices' payments and dunning) of these books.")
      .def("__repr__", &PyBooks::repr)
      .def(
          "health", [](PyBooks& books) { return health_report(books); }, k_health_doc)
      .def(
          "configure_health",
          [](PyBooks& books, const CountBoundsArg& ready_jobs, const CountBoundsArg& dead_letters,
             const AgeBoundsArg& oldest_ready_age, const CountBoundsArg& expired_holds,
             const CountBoundsArg& overdue_invoices, const OptionalDurationArg& invoice_overdue_after) {
            configure_health(books, ready_jobs, dead_letters, oldest_ready_age, expired_holds, overdue_invoices,
                             invoice_overdue_after);
          },
          py::kw_only(), py::arg("ready_jobs") = py::none(), py::arg("dead_letters") = py::none(),
          py::arg("oldest_ready_age") = py::none(), py::arg("expired_holds") = py::none(),
          py::arg("overdue_invoices") = py::none(), py::arg("invoice_overdue_after") = py::none(),
          k_configure_health_doc)
      .def(
          "run_billing",
          [](PyBooks& books, const TimeArg& as_of, const IntArg& limit) {
            const Timestamp until = timestamp_from_py(as_of.value, "as_of");
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            py::gil_scoped_release release;
            return books.billing().run(until, count);
          },
          py::arg("as_of"), py::kw_only(), py::arg("limit") = k_max_billing_run,
          "Bills every subscription whose period ended by as_of (an aware datetime), each period once: the\n"
          "invoice, its number and ledger entry, the next period, and the payment job, in one unit of work per\n"
          "period. Run it twice, kill it half-way, or run it in two processes: no period is billed twice.\n"
          "Returns a BillingReport; a period the ledger refuses is in .skipped with the reason.")
      .def("idempotent", &idempotent, py::arg("key"), py::arg("request"), py::arg("work"), py::kw_only(),
           py::arg("scope") = "",
           "Runs work() at most once for key and request, in one unit of work with what it writes; returns\n"
           "IdempotentResult(outcome, replayed). The outcome (JSON-serialisable) is stored with the key.\n"
           "request is None, bool, int, str, bytes, decimal.Decimal, Money, an aware datetime, or a list,\n"
           "tuple or dict (str keys) of them, fingerprinted by type and value; anything else (a float, a set)\n"
           "is a TypeError naming where it sits, such as request[\"tags\"].\n"
           "Raises IdempotencyMismatch when the key was used for another request, IdempotencyConflict while\n"
           "another request holds it.")
      .def(
          "transaction", [](PyBooks& books) { return std::make_unique<PyTransaction>(books); }, py::keep_alive<0, 1>(),
          "A unit of work that every call on this thread joins until the block ends.");

  m.def(
      "open",
      [](const Loose<shown::Path>& path_arg, Durability durability, const OptionalDurationArg& busy_timeout,
         const std::optional<Text>& schema, const OptionalIntArg& max_connections,
         const OptionalDurationArg& lock_timeout, std::shared_ptr<Clock> clock, std::shared_ptr<IdSource> ids) {
        std::shared_ptr<Store> store;
        std::string shown;
        if (is_postgres_uri(path_arg.value)) {
          if (!busy_timeout.value.is_none()) {
            throw InvalidArgument("busy_timeout", "applies to a SQLite file only; a PostgreSQL writer waits for "
                                                  "lock_timeout");
          }
          const std::string conninfo = conninfo_from_py(path_arg.value, "path");
          const PostgresOptions options =
              postgres_options(durability, schema ? schema->value : PostgresOptions{}.schema, lock_timeout,
                               max_connections, OptionalIntArg{py::none()});
          store = open_postgres_store(conninfo, options, "path");
          shown = postgres_repr(options);
        } else {
          std::optional<std::string> path;
          if (!path_arg.value.is_none()) path = path_from_py(path_arg.value, "path");
          const char* where = path ? "path is a SQLite file" : "path is None (books in memory)";
          const auto refuse_postgres_only = [where](const char* field, bool given) {
            if (given) {
              throw InvalidArgument(field, fmt::format("applies to PostgreSQL only (a path that starts with "
                                                       "postgresql:// or postgres://); {}",
                                                       where));
            }
          };
          refuse_postgres_only("schema", schema.has_value());
          refuse_postgres_only("max_connections", !max_connections.value.is_none());
          refuse_postgres_only("lock_timeout", !lock_timeout.value.is_none());
          if (path) {
            SqliteOptions options{.durability = durability};
            if (!busy_timeout.value.is_none()) {
              options.busy_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                  duration_from_py(busy_timeout.value, "busy_timeout"));
            }
            shown = fmt::format("Books(sqlite={})", repr_of(*path));
            py::gil_scoped_release release;
            store = open_sqlite(*path, options);
          } else {
            shown = "Books(memory)";
            store = open_memory();
          }
        }
        return std::make_unique<PyBooks>(std::move(store), std::move(clock), std::move(ids), std::move(shown));
      },
      py::arg("path") = py::none(), py::kw_only(), py::arg_v("durability", Durability::full, "Durability.FULL"),
      py::arg("busy_timeout") = py::none(), py::arg("schema") = py::none(), py::arg("max_connections") = py::none(),
      py::arg("lock_timeout") = py::none(), py::arg("clock") = py::none(), py::arg("ids") = py::none(),
      "Books in memory (path None), in the SQLite file at path (a str or os.PathLike), created if needed, or in\n"
      "a PostgreSQL database when path is a libpq URI: a str that starts with postgresql:// or postgres://.\n\n"
      "A file that another application made is refused (StorageError) and left unchanged. busy_timeout (a\n"
      "timedelta, at most 1 hour) is how long a SQLite writer waits for another. schema (None: 'billing'),\n"
      "max_connections and lock_timeout apply to PostgreSQL only, as billing.open_postgres() says; one of them\n"
      "with a file or None, or busy_timeout with a URI, is InvalidArgument naming it, and a URI that does not\n"
      "parse is InvalidArgument naming path. clock and ids are injected (a ManualClock and SequentialIds in\n"
      "tests); by default the system clock and UUIDv7 ids.");

  m.def(
      "open_postgres",
      [](const ConninfoArg& conninfo_arg, const Text& schema, Durability durability,
         const OptionalDurationArg& lock_timeout, const OptionalIntArg& max_connections,
         const OptionalIntArg& conflict_retries, std::shared_ptr<Clock> clock, std::shared_ptr<IdSource> ids) {
        const std::string conninfo = conninfo_from_py(conninfo_arg.value, "conninfo");
        const PostgresOptions options =
            postgres_options(durability, schema.value, lock_timeout, max_connections, conflict_retries);
        std::shared_ptr<Store> store = open_postgres_store(conninfo, options, "conninfo");
        return std::make_unique<PyBooks>(std::move(store), std::move(clock), std::move(ids), postgres_repr(options));
      },
      py::arg("conninfo"), py::kw_only(), py::arg("schema") = "billing",
      py::arg_v("durability", Durability::full, "Durability.FULL"), py::arg("lock_timeout") = py::none(),
      py::arg("max_connections") = py::none(), py::arg("conflict_retries") = py::none(),
      py::arg("clock") = py::none(), py::arg("ids") = py::none(),
      "Books in the PostgreSQL database that conninfo names: a libpq URI (\"postgresql://user@host/db\") or a\n"
      "key=value string (\"host=/run/postgresql dbname=books\"). Several hosts, and several books under other\n"
      "schemas, share one database; the schema is created and migrated if needed, once when processes start\n"
      "together.\n\n"
      "schema: a lowercase SQL identifier (a letter or '_', then letters, digits or '_', at most 63 bytes).\n"
      "durability: FULL waits for PostgreSQL's flush of each commit; NORMAL does not (a server crash may lose\n"
      "the last commits, never half of one). lock_timeout (a timedelta, 0 to 1 hour; None: 10 seconds) is how\n"
      "long a writer waits for a row lock before StorageError; max_connections (1 to 1000; None: 16) how many\n"
      "connections the books keep at most; conflict_retries (0 to 100; None: 20) how many times a transaction\n"
      "that lost a deadlock or a serialization race runs again. clock and ids are injected, as for open().\n\n"
      "InvalidArgument names conninfo when it does not parse, or the option out of range; StorageError when\n"
      "the server cannot be reached or the schema holds another program's tables or a newer version's. No\n"
      "message or repr shows the conninfo's password.");
}

}  // namespace billing::python
