// billing.open(), Books and their units of work (`with books.transaction(): ...`).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "billing/error.hpp"
#include "billing/storage/sqlite.hpp"
#include "convert.hpp"

namespace billing::python {

namespace {

/// `with books.transaction():` commits when the block ends normally and rolls back when it raises.
class PyTransaction {
 public:
  explicit PyTransaction(Books& books) : books_(books) {}

  PyTransaction& enter() {
    if (work_) throw Misuse("transaction", "is already open");
    py::gil_scoped_release release;  // opening may wait for another writer
    work_ = books_.transaction();
    return *this;
  }

  void exit(const py::handle& exc_type) {
    if (!work_) return;
    if (exc_type.is_none()) {
      py::gil_scoped_release release;
      work_->commit();
    }
    work_.reset();
  }

  void commit() {
    if (!work_) throw Misuse("transaction", "is not open");
    py::gil_scoped_release release;
    work_->commit();
  }

 private:
  Books& books_;
  std::unique_ptr<BooksTransaction> work_;
};

/// A request as the canonical bytes its fingerprint covers: str and bytes as they are, anything else as
/// JSON with sorted keys, so that equal dicts fingerprint alike.
std::string canonical_request(py::handle request) {
  if (py::isinstance<py::bytes>(request)) return request.cast<std::string>();
  if (py::isinstance<py::str>(request)) return request.cast<std::string>();
  static const auto* dumps = new py::object(py::module_::import("json").attr("dumps"));
  return (*dumps)(request, py::arg("sort_keys") = true, py::arg("separators") = py::make_tuple(",", ":"),
                  py::arg("default") = py::module_::import("builtins").attr("str"))
      .cast<std::string>();
}

/// What `books.idempotent` returns: the outcome (the first run's, on a replay) and whether it was one.
struct PyIdempotentResult {
  py::object outcome;
  bool replayed;
};

py::object idempotent(Books& books, const std::string& key, py::handle request, const py::function& work,
                      const std::string& scope) {
  static const auto* json = new py::module_(py::module_::import("json"));
  const std::string canonical = canonical_request(request);
  IdempotentOutcome outcome;
  {
    py::gil_scoped_release release;  // the claim may wait for another writer
    outcome = books.idempotency().run({.scope = scope, .key = key}, canonical, [&] {
      py::gil_scoped_acquire acquire;
      return json->attr("dumps")(work()).cast<std::string>();
    });
  }
  switch (outcome.result) {
    case IdempotencyResult::mismatch:
      throw IdempotencyMismatch("key", fmt::format("'{}' was used for another request", key));
    case IdempotencyResult::conflict:
      throw IdempotencyConflict("key", fmt::format("'{}' is held by a request still in flight; retry later", key));
    case IdempotencyResult::executed:
    case IdempotencyResult::replayed: break;
  }
  return py::cast(
      PyIdempotentResult{json->attr("loads")(outcome.outcome), outcome.result == IdempotencyResult::replayed});
}

}  // namespace

void bind_books(py::module_& m) {
  py::class_<PyIdempotentResult>(m, "IdempotentResult", "The outcome of books.idempotent, and whether it was replayed.")
      .def_readonly("outcome", &PyIdempotentResult::outcome)
      .def_readonly("replayed", &PyIdempotentResult::replayed)
      .def("__repr__", [](const PyIdempotentResult& r) {
        return py::str("IdempotentResult(outcome={!r}, replayed={})").format(r.outcome, r.replayed);
      });

  py::class_<Idempotency>(m, "Idempotency", "Idempotency keys: books.idempotency.")
      .def(
          "configure",
          [](Idempotency& keys, py::handle window, py::handle lease) {
            IdempotencyOptions options = keys.options();
            if (!window.is_none()) options.window = duration_from_py(window, "window");
            if (!lease.is_none()) options.lease = duration_from_py(lease, "lease");
            keys.configure(options);
          },
          py::kw_only(), py::arg("window") = py::none(), py::arg("lease") = py::none(),
          "How long keys are remembered (24 hours) and in-flight claims honoured (30 seconds).")
      .def("purge_expired", &Idempotency::purge_expired, py::call_guard<py::gil_scoped_release>());
  py::enum_<Durability>(m, "Durability", "When a SQLite commit returns, has it reached the disk?")
      .value("FULL", Durability::full, "survives a power cut (the default)")
      .value("NORMAL", Durability::normal, "survives a process crash");

  py::class_<PyTransaction>(m, "Transaction", "A unit of work: `with books.transaction(): ...`.")
      .def("__enter__", &PyTransaction::enter, py::return_value_policy::reference_internal)
      .def("__exit__", [](PyTransaction& t, py::handle type, py::handle, py::handle) { t.exit(type); })
      .def("commit", &PyTransaction::commit);

  py::class_<Books>(m, "Books", "One set of books: storage, clock and ids, with .accounts and .ledger.")
      .def_property_readonly("accounts", &Books::accounts, py::return_value_policy::reference_internal)
      .def_property_readonly("ledger", &Books::ledger, py::return_value_policy::reference_internal)
      .def_property_readonly("idempotency", &Books::idempotency, py::return_value_policy::reference_internal)
      .def("idempotent", &idempotent, py::arg("key"), py::arg("request"), py::arg("work"), py::kw_only(),
           py::arg("scope") = "",
           "Runs work() at most once for key and request, in one unit of work with what it writes; returns\n"
           "IdempotentResult(outcome, replayed). The outcome (JSON-serialisable) is stored with the key.\n"
           "Raises IdempotencyMismatch when the key was used for another request, IdempotencyConflict while\n"
           "another request holds it.")
      .def(
          "transaction", [](Books& books) { return std::make_unique<PyTransaction>(books); }, py::keep_alive<0, 1>(),
          "A unit of work that every call on this thread joins until the block ends.");

  m.def(
      "open",
      [](std::optional<std::string> path, Durability durability, py::handle busy_timeout, std::shared_ptr<Clock> clock,
         std::shared_ptr<IdSource> ids) {
        std::shared_ptr<Store> store;
        if (path) {
          SqliteOptions options{.durability = durability};
          if (!busy_timeout.is_none()) {
            options.busy_timeout =
                std::chrono::duration_cast<std::chrono::milliseconds>(duration_from_py(busy_timeout, "busy_timeout"));
          }
          py::gil_scoped_release release;
          store = open_sqlite(*path, options);
        } else {
          store = open_memory();
        }
        return std::make_unique<Books>(std::move(store), std::move(clock), std::move(ids));
      },
      py::arg("path") = py::none(), py::kw_only(), py::arg("durability") = Durability::full,
      py::arg("busy_timeout") = py::none(), py::arg("clock") = py::none(), py::arg("ids") = py::none(),
      "Books in memory (no path) or in the SQLite file at `path`, created if needed.");
}

}  // namespace billing::python
