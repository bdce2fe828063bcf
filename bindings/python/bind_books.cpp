// billing.open(), Books and their units of work (`with books.transaction(): ...`).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

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

}  // namespace

void bind_books(py::module_& m) {
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
      .def(
          "transaction", [](Books& books) { return std::make_unique<PyTransaction>(books); },
          py::keep_alive<0, 1>(), "A unit of work that every call on this thread joins until the block ends.");

  m.def(
      "open",
      [](std::optional<std::string> path, Durability durability, py::handle busy_timeout,
         std::shared_ptr<Clock> clock, std::shared_ptr<IdSource> ids) {
        std::shared_ptr<Store> store;
        if (path) {
          SqliteOptions options{.durability = durability};
          if (!busy_timeout.is_none()) {
            options.busy_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                duration_from_py(busy_timeout, "busy_timeout"));
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
