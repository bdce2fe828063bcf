// The ledger: postings, entries, result codes and books.ledger.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "convert.hpp"

namespace billing::python {

namespace {

std::optional<Timestamp> optional_time(py::handle value, std::string_view field) {
  if (value.is_none()) return std::nullopt;
  return timestamp_from_py(value, field);
}

py::object optional_time_to_py(const std::optional<Timestamp>& value) {
  return value ? timestamp_to_py(*value) : py::none();
}

py::object optional_id_to_py(const std::optional<EntryId>& id) {
  return id ? py::object(py::str(id->str())) : py::object(py::none());
}

EntryRequest entry_request(std::vector<Posting> postings, const std::optional<Text>& id, const Text& description,
                           TextMap metadata, py::handle effective_at) {
  return {.id = optional_id<EntryId>(id),
          .postings = std::move(postings),
          .description = description.value,
          .metadata = std::move(metadata.value),
          .effective_at = optional_time(effective_at, "effective_at")};
}

std::vector<EntryId> entry_ids(const std::vector<Text>& ids) {
  std::vector<EntryId> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.emplace_back(id.value);
  return out;
}

}  // namespace

void bind_ledger_types(py::module_& m) {
  py::enum_<EntryKind>(m, "EntryKind")
      .value("POSTED", EntryKind::posted)
      .value("PENDING", EntryKind::pending)
      .value("POST_PENDING", EntryKind::post_pending)
      .value("VOID_PENDING", EntryKind::void_pending)
      .value("REVERSAL", EntryKind::reversal);
  py::enum_<PostResult> result(m, "PostResult", "The outcome of posting; see ledger.hpp for the order of checks.");
  for (int code = 0; code <= static_cast<int>(PostResult::batch_failed); ++code) {
    const auto value = static_cast<PostResult>(code);
    std::string name(to_string(value));
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    result.value(name.c_str(), value);
  }
  py::enum_<BatchMode>(m, "BatchMode").value("ATOMIC", BatchMode::atomic).value("INDEPENDENT", BatchMode::independent);

  py::class_<Posting>(m, "Posting", "One leg: an account, a side and a positive amount in its currency.")
      .def(py::init([](const Text& account, Side side, const Money& amount) {
             return Posting{AccountId(account.value), side, amount};
           }),
           py::arg("account"), py::arg("side"), py::arg("amount"))
      .def_property_readonly("account", [](const Posting& p) { return p.account.str(); })
      .def_readonly("side", &Posting::side)
      .def_readonly("amount", &Posting::amount)
      .def("__eq__", [](const Posting& a, const Posting& b) { return a == b; })
      .def("__repr__", [](const Posting& p) {
        return fmt::format("Posting('{}', {}, {})", p.account.str(), to_string(p.side), p.amount.to_string());
      });
  m.def(
      "debit",
      [](const Text& account, const Money& amount) {
        return Posting{AccountId(account.value), Side::debit, amount};
      },
      py::arg("account"), py::arg("amount"), "Posting(account, Side.DEBIT, amount).");
  m.def(
      "credit",
      [](const Text& account, const Money& amount) {
        return Posting{AccountId(account.value), Side::credit, amount};
      },
      py::arg("account"), py::arg("amount"), "Posting(account, Side.CREDIT, amount).");

  py::class_<EntryRequest>(m, "EntryRequest", "A new entry, for post_batch.")
      .def(py::init(&entry_request), py::arg("postings"), py::kw_only(), py::arg("id") = py::none(),
           py::arg("description") = "", py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none());

  py::class_<Entry>(m, "Entry", "A stored, immutable ledger entry.")
      .def_property_readonly("id", [](const Entry& e) { return e.id.str(); })
      .def_readonly("sequence", &Entry::sequence)
      .def_readonly("kind", &Entry::kind)
      .def_readonly("postings", &Entry::postings)
      .def_readonly("description", &Entry::description)
      .def_readonly("metadata", &Entry::metadata)
      .def_property_readonly("effective_at", [](const Entry& e) { return timestamp_to_py(e.effective_at); })
      .def_property_readonly("recorded_at", [](const Entry& e) { return timestamp_to_py(e.recorded_at); })
      .def_property_readonly("pending_id", [](const Entry& e) { return optional_id_to_py(e.pending_id); })
      .def_property_readonly("expires_at", [](const Entry& e) { return optional_time_to_py(e.expires_at); })
      .def_property_readonly("reverses", [](const Entry& e) { return optional_id_to_py(e.reverses); })
      .def_property_readonly("hash", [](const Entry& e) { return to_hex(e.hash); })
      .def_property_readonly("previous_hash", [](const Entry& e) { return to_hex(e.previous_hash); })
      .def_readonly("balances_after", &Entry::balances_after)
      .def("__eq__", [](const Entry& a, const Entry& b) { return a == b; })
      .def("__repr__", [](const Entry& e) {
        return fmt::format("Entry(id='{}', sequence={}, kind={})", e.id.str(), e.sequence, to_string(e.kind));
      });

  py::class_<PostOutcome>(m, "PostOutcome", "result (PostResult), entry (the stored Entry or None), account at fault.")
      .def_readonly("result", &PostOutcome::result)
      .def_readonly("entry", &PostOutcome::entry)
      .def_property_readonly("account",
                             [](const PostOutcome& o) {
                               return o.account ? py::object(py::str(o.account->str())) : py::object(py::none());
                             })
      .def_property_readonly("ok", [](const PostOutcome& o) { return o.result == PostResult::ok; })
      .def("__repr__", [](const PostOutcome& o) { return fmt::format("PostOutcome({})", to_string(o.result)); });

  py::class_<AccountBalance>(m, "AccountBalance")
      .def_property_readonly("account", [](const AccountBalance& b) { return b.account.str(); })
      .def_readonly("currency", &AccountBalance::currency)
      .def_readonly("totals", &AccountBalance::totals)
      .def_readonly("debits_posted", &AccountBalance::debits_posted)
      .def_readonly("credits_posted", &AccountBalance::credits_posted)
      .def_readonly("debits_pending", &AccountBalance::debits_pending)
      .def_readonly("credits_pending", &AccountBalance::credits_pending)
      .def_readonly("net", &AccountBalance::net)
      .def_readonly("available", &AccountBalance::available)
      .def_readonly("as_of_sequence", &AccountBalance::as_of_sequence);

  py::class_<Page<Entry>>(m, "EntryPage")
      .def_readonly("items", &Page<Entry>::items)
      .def_readonly("next_cursor", &Page<Entry>::next_cursor);

  py::class_<VerifyReport>(m, "VerifyReport")
      .def_readonly("ok", &VerifyReport::ok)
      .def_readonly("entries_checked", &VerifyReport::entries_checked)
      .def_readonly("postings_checked", &VerifyReport::postings_checked)
      .def_readonly("accounts_checked", &VerifyReport::accounts_checked)
      .def_readonly("first_bad_sequence", &VerifyReport::first_bad_sequence)
      .def_readonly("problem", &VerifyReport::problem)
      .def_property_readonly("head_hash", [](const VerifyReport& r) { return to_hex(r.head_hash); })
      .def("__repr__", [](const VerifyReport& r) {
        return fmt::format("VerifyReport(ok={}, entries_checked={})", r.ok ? "True" : "False", r.entries_checked);
      });
}

void bind_ledger(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;
  py::class_<Ledger>(m, "Ledger", "The append-only, double-entry journal: books.ledger.")
      .def(
          "post",
          [](Ledger& ledger, std::vector<Posting> postings, const std::optional<Text>& id, const Text& description,
             TextMap metadata, py::handle effective_at) {
            const EntryRequest request =
                entry_request(std::move(postings), id, description, std::move(metadata), effective_at);
            py::gil_scoped_release release;
            return ledger.post(request);
          },
          py::arg("postings"), py::kw_only(), py::arg("id") = py::none(), py::arg("description") = "",
          py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none())
      .def(
          "transfer",
          [](Ledger& ledger, const Text& debit, const Text& credit, const Money& amount, const std::optional<Text>& id,
             const Text& description, TextMap metadata, py::handle effective_at) {
            const TransferRequest request{.id = optional_id<EntryId>(id),
                                          .debit = AccountId(debit.value),
                                          .credit = AccountId(credit.value),
                                          .amount = amount,
                                          .description = description.value,
                                          .metadata = std::move(metadata.value),
                                          .effective_at = optional_time(effective_at, "effective_at")};
            py::gil_scoped_release release;
            return ledger.transfer(request);
          },
          py::arg("debit"), py::arg("credit"), py::arg("amount"), py::kw_only(), py::arg("id") = py::none(),
          py::arg("description") = "", py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none())
      .def(
          "post_batch",
          [](Ledger& ledger, const std::vector<EntryRequest>& entries, BatchMode mode) {
            return ledger.post_batch(entries, mode);
          },
          py::arg("entries"), py::arg("mode") = BatchMode::atomic, Release())
      .def(
          "hold",
          [](Ledger& ledger, std::vector<Posting> postings, py::handle timeout, const std::optional<Text>& id,
             const Text& description, TextMap metadata, py::handle effective_at) {
            const EntryRequest request =
                entry_request(std::move(postings), id, description, std::move(metadata), effective_at);
            std::optional<std::chrono::microseconds> limit;
            if (!timeout.is_none()) limit = duration_from_py(timeout, "timeout");
            py::gil_scoped_release release;
            return ledger.hold(request, limit);
          },
          py::arg("postings"), py::kw_only(), py::arg("timeout") = py::none(), py::arg("id") = py::none(),
          py::arg("description") = "", py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none())
      .def(
          "post_pending",
          [](Ledger& ledger, const Text& pending_id, std::optional<Money> amount, const std::optional<Text>& id) {
            return ledger.post_pending(EntryId(pending_id.value), std::move(amount), optional_id<EntryId>(id));
          },
          py::arg("pending_id"), py::arg("amount") = py::none(), py::kw_only(), py::arg("id") = py::none(), Release())
      .def(
          "void_pending",
          [](Ledger& ledger, const Text& pending_id, const std::optional<Text>& id) {
            return ledger.void_pending(EntryId(pending_id.value), optional_id<EntryId>(id));
          },
          py::arg("pending_id"), py::kw_only(), py::arg("id") = py::none(), Release())
      .def(
          "post_pending_group",
          [](Ledger& ledger, const std::vector<Text>& ids, BatchMode mode) {
            return ledger.post_pending_group(entry_ids(ids), mode);
          },
          py::arg("pending_ids"), py::arg("mode") = BatchMode::atomic, Release())
      .def(
          "void_pending_group",
          [](Ledger& ledger, const std::vector<Text>& ids, BatchMode mode) {
            return ledger.void_pending_group(entry_ids(ids), mode);
          },
          py::arg("pending_ids"), py::arg("mode") = BatchMode::atomic, Release())
      .def(
          "void_expired_holds", [](Ledger& ledger) { return ledger.void_expired_holds(); }, Release())
      .def(
          "reverse",
          [](Ledger& ledger, const Text& entry_id, const std::optional<Text>& id, const Text& description) {
            return ledger.reverse(EntryId(entry_id.value), optional_id<EntryId>(id), description.value);
          },
          py::arg("entry_id"), py::kw_only(), py::arg("id") = py::none(), py::arg("description") = "", Release())
      .def(
          "entry", [](Ledger& ledger, const Text& id) { return ledger.entry(EntryId(id.value)); }, py::arg("id"),
          Release())
      .def(
          "balance",
          [](Ledger& ledger, const Text& account, py::handle as_of) {
            const AccountId id(account.value);
            if (as_of.is_none()) {
              py::gil_scoped_release release;
              return ledger.balance(id);
            }
            if (PyLong_Check(as_of.ptr()) && !PyBool_Check(as_of.ptr())) {
              const std::uint64_t sequence = uint64_from_py(as_of, "as_of");
              py::gil_scoped_release release;
              return ledger.balance_at_sequence(id, sequence);
            }
            if (PyBool_Check(as_of.ptr()))
              throw py::type_error("as_of: expected a datetime.datetime or an int, got bool");
            const Timestamp when = timestamp_from_py(as_of, "as_of");
            py::gil_scoped_release release;
            return ledger.balance_at(id, when);
          },
          py::arg("account_id"), py::arg("as_of") = py::none(),
          "Balances now, or as of a datetime or an entry sequence number; None for an unknown account.")
      .def(
          "entries",
          [](Ledger& ledger, const Text& account, py::handle start, py::handle end, const Text& cursor,
             py::handle limit) {
            const EntryQuery query{.start = optional_time(start, "start"),
                                   .end = optional_time(end, "end"),
                                   .cursor = cursor.value,
                                   .limit = static_cast<std::size_t>(uint64_from_py(limit, "limit"))};
            const AccountId id(account.value);
            py::gil_scoped_release release;
            return ledger.entries(id, query);
          },
          py::arg("account_id"), py::kw_only(), py::arg("start") = py::none(), py::arg("end") = py::none(),
          py::arg("cursor") = "", py::arg("limit") = 100, "One page of an account's entries, oldest first.")
      .def(
          "verify", [](Ledger& ledger) { return ledger.verify(); }, Release())
      .def(
          "export",
          [](Ledger& ledger, const Text& format, const std::optional<Text>& account) {
            ExportFormat chosen = ExportFormat::ledger;
            if (format.value == "beancount") {
              chosen = ExportFormat::beancount;
            } else if (format.value != "ledger") {
              throw InvalidArgument("format", "must be 'ledger' or 'beancount'");
            }
            const auto id = optional_id<AccountId>(account);
            py::gil_scoped_release release;
            return ledger.export_journal(chosen, id);
          },
          py::arg("format") = "ledger", py::arg("account_id") = py::none());
}

}  // namespace billing::python
