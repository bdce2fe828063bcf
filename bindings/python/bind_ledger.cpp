// The ledger: postings, entries, result codes and books.ledger.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <cctype>
#include <string>
#include <vector>

#include "convert.hpp"
#include "page.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace {

EntryRequest entry_request(std::vector<Posting> postings, const std::optional<Text>& id, const Text& description,
                           TextMap metadata, const OptionalTimeArg& effective_at) {
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

void bind_post_result(py::module_& m) {
  std::vector<std::string> names;  // PostResult::exceeds_credits is EXCEEDS_CREDITS
  for (int code = 0; code <= static_cast<int>(PostResult::batch_failed); ++code) {
    std::string name(to_string(static_cast<PostResult>(code)));
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names.push_back(std::move(name));
  }
  std::vector<EnumMember<PostResult>> members;
  for (std::size_t code = 0; code < names.size(); ++code) {
    members.push_back({names[code].c_str(), static_cast<PostResult>(code)});
  }
  bind_enum<PostResult>(
      m, "PostResult",
      "The outcome of posting, checked in this order (docs/ledger.md):\n\n"
      "1. OK, EXISTS, EXISTS_WITH_DIFFERENT_FIELDS: by entry id (an existing entry is returned);\n"
      "2. UNBALANCED;\n"
      "3. PENDING_NOT_FOUND, PENDING_ALREADY_POSTED, PENDING_ALREADY_VOIDED, PENDING_EXPIRED,\n"
      "   EXCEEDS_PENDING_AMOUNT, PARTIAL_NEEDS_TWO_LEGS, ENTRY_NOT_FOUND, ALREADY_REVERSED, NOT_REVERSIBLE;\n"
      "4. ACCOUNT_NOT_FOUND, ACCOUNT_PENDING, ACCOUNT_INACTIVE, ACCOUNT_CLOSED, CURRENCY_MISMATCH: per posting;\n"
      "5. OVERFLOW, EXCEEDS_CREDITS, EXCEEDS_DEBITS, EXCEEDS_LIMIT: per account;\n"
      "6. BATCH_FAILED: another entry of an atomic batch was rejected.",
      members);
}

}  // namespace

void bind_ledger_types(py::module_& m) {
  bind_enum<EntryKind>(m, "EntryKind",
                       "What an entry is: POSTED; PENDING (a hold); POST_PENDING or VOID_PENDING (a hold's end);\n"
                       "REVERSAL (the mirror of a posted entry).",
                       {{"POSTED", EntryKind::posted},
                        {"PENDING", EntryKind::pending},
                        {"POST_PENDING", EntryKind::post_pending},
                        {"VOID_PENDING", EntryKind::void_pending},
                        {"REVERSAL", EntryKind::reversal}});
  bind_post_result(m);
  bind_enum<BatchMode>(m, "BatchMode",
                       "How a batch treats a rejected entry: ATOMIC (all or nothing; the rest get BATCH_FAILED) or\n"
                       "INDEPENDENT (each entry stands alone).",
                       {{"ATOMIC", BatchMode::atomic}, {"INDEPENDENT", BatchMode::independent}});

  py::class_<Posting> posting(m, "Posting",
                              "One leg of an entry: an account, a Side and a positive Money in its currency.");
  bind_value(posting)
      .def(py::init([](const Text& account, Side side, const Money& amount) {
             return Posting{AccountId(account.value), side, amount};
           }),
           py::arg("account"), py::arg("side"), py::arg("amount"),
           "Posting(account, side, amount); debit() and credit() say the same more briefly.")
      .def_property_readonly(
          "account", [](const Posting& p) { return p.account.str(); }, "The account's id (str).")
      .def_readonly("side", &Posting::side, "Side.DEBIT or Side.CREDIT.")
      .def_readonly("amount", &Posting::amount, "The amount (Money, > 0).")
      .def("__repr__", [](const Posting& p) {
        return fmt::format("Posting({}, {}, {})", repr_of(p.account), repr_of(p.side), repr_of(p.amount));
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

  py::class_<EntryRequest>(m, "EntryRequest", "A new entry, for ledger.post_batch; the arguments of ledger.post.")
      .def(py::init(&entry_request), py::arg("postings"), py::kw_only(), py::arg("id") = py::none(),
           py::arg("description") = "", py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none(),
           "postings: 2 to 1,024 Postings that balance per currency; id: made by the books' IdSource when None;\n"
           "effective_at: an aware datetime, now when None.")
      .def("__repr__", [](const EntryRequest& r) {
        return fmt::format("EntryRequest({}, id={})", count_of(r.postings.size(), "posting"), repr_of(r.id));
      });

  py::class_<Entry> entry(m, "Entry", "A stored, immutable ledger entry.");
  bind_value(entry)
      .def_property_readonly(
          "id", [](const Entry& e) { return e.id.str(); }, "The entry's id (str).")
      .def_readonly("sequence", &Entry::sequence, "Its place in the journal: 1, 2, 3, ... without gaps.")
      .def_readonly("kind", &Entry::kind, "What it is (EntryKind).")
      .def_readonly("postings", &Entry::postings, "Its Postings, in the order given.")
      .def_readonly("description", &Entry::description, "The description given (str).")
      .def_readonly("metadata", &Entry::metadata, "The metadata given (dict of str to str).")
      .def_property_readonly(
          "effective_at", [](const Entry& e) { return datetime_result(e.effective_at); },
          "When the movement happened, as the caller said (aware, UTC).")
      .def_property_readonly(
          "recorded_at", [](const Entry& e) { return datetime_result(e.recorded_at); },
          "When the ledger recorded it, by the books' clock (aware, UTC).")
      .def_property_readonly(
          "pending_id", [](const Entry& e) { return id_result(e.pending_id); },
          "For POST_PENDING and VOID_PENDING, the hold it ends; else None.")
      .def_property_readonly(
          "expires_at", [](const Entry& e) { return datetime_result(e.expires_at); },
          "For a hold with a timeout, when it can no longer be posted; else None.")
      .def_property_readonly(
          "reverses", [](const Entry& e) { return id_result(e.reverses); },
          "For a REVERSAL, the entry it mirrors; else None.")
      .def_property_readonly(
          "hash", [](const Entry& e) { return to_hex(e.hash); }, "Its SHA-256 chain hash, as hex.")
      .def_property_readonly(
          "previous_hash", [](const Entry& e) { return to_hex(e.previous_hash); },
          "The previous entry's hash, as hex (zeros for the first).")
      .def_readonly("balances_after", &Entry::balances_after,
                    "Each touched account's Balances after this entry, in posting order.")
      .def("__repr__", [](const Entry& e) {
        return fmt::format("Entry(id={}, sequence={}, kind={})", repr_of(e.id), e.sequence, repr_of(e.kind));
      });

  py::class_<PostOutcome>(m, "PostOutcome",
                          "What a posting call returns: .result (PostResult), .entry (the stored Entry for OK,\n"
                          "EXISTS and EXISTS_WITH_DIFFERENT_FIELDS, else None) and .account (the account at fault\n"
                          "for the account and balance results, else None).\n\n"
                          "A rejection is a value, not an exception: bool(outcome) is outcome.ok.")
      .def_readonly("result", &PostOutcome::result, "The PostResult.")
      .def_readonly("entry", &PostOutcome::entry, "The stored Entry, or None.")
      .def_property_readonly(
          "account", [](const PostOutcome& o) { return id_result(o.account); },
          "The id of the account at fault, or None.")
      .def_property_readonly(
          "ok", [](const PostOutcome& o) { return o.result == PostResult::ok; }, "True when this call posted.")
      .def("__bool__", [](const PostOutcome& o) { return o.result == PostResult::ok; })
      .def("__repr__", [](const PostOutcome& o) {
        std::string text = fmt::format("PostOutcome(result={}", repr_of(o.result));
        if (o.entry) text += fmt::format(", entry={}", repr_of(o.entry->id));
        if (o.account) text += fmt::format(", account={}", repr_of(*o.account));
        return text + ")";
      });

  py::class_<AccountBalance>(m, "AccountBalance",
                             "An account's balances now or as of a past point: what ledger.balance returns.")
      .def_property_readonly(
          "account", [](const AccountBalance& b) { return b.account.str(); }, "The account's id (str).")
      .def_readonly("currency", &AccountBalance::currency, "The account's Currency.")
      .def_readonly("totals", &AccountBalance::totals, "The running totals in minor units (Balances).")
      .def_readonly("debits_posted", &AccountBalance::debits_posted, "Posted debits (Money).")
      .def_readonly("credits_posted", &AccountBalance::credits_posted, "Posted credits (Money).")
      .def_readonly("debits_pending", &AccountBalance::debits_pending, "Debits held by pending entries (Money).")
      .def_readonly("credits_pending", &AccountBalance::credits_pending, "Credits held by pending entries (Money).")
      .def_readonly("net", &AccountBalance::net, "The posted balance on the account's normal side (Money).")
      .def_readonly("available", &AccountBalance::available,
                    "Room left under the balance constraint (Money; now only), or None.")
      .def_readonly("as_of_sequence", &AccountBalance::as_of_sequence, "The sequence of the last entry counted.")
      .def("__repr__", [](const AccountBalance& b) {
        return fmt::format("AccountBalance({}, net={})", repr_of(b.account), repr_of(b.net));
      });

  bind_page<Entry>(m, "EntryPage", "ledger.entries", "The entries of this page, oldest first.");

  py::class_<VerifyReport>(m, "VerifyReport", "What ledger.verify() found. bool(report) is report.ok.")
      .def_readonly("ok", &VerifyReport::ok, "True when every hash and running total re-derives as stored.")
      .def_readonly("entries_checked", &VerifyReport::entries_checked, "How many entries were walked.")
      .def_readonly("postings_checked", &VerifyReport::postings_checked, "How many postings were walked.")
      .def_readonly("accounts_checked", &VerifyReport::accounts_checked, "How many accounts' totals were compared.")
      .def_readonly("first_bad_sequence", &VerifyReport::first_bad_sequence,
                    "The first entry whose hash, balance or totals broke, or None.")
      .def_readonly("problem", &VerifyReport::problem, "What broke there, for people; \"\" when ok.")
      .def_property_readonly(
          "head_hash", [](const VerifyReport& r) { return to_hex(r.head_hash); },
          "The last entry's hash, as hex, to compare with a copy of the books.")
      .def("__bool__", [](const VerifyReport& r) { return r.ok; })
      .def("__repr__", [](const VerifyReport& r) {
        if (r.ok) return fmt::format("VerifyReport(ok=True, entries_checked={})", r.entries_checked);
        return fmt::format("VerifyReport(ok=False, entries_checked={}, first_bad_sequence={}, problem={})",
                           r.entries_checked, repr_of(r.first_bad_sequence), repr_of(r.problem));
      });
}

void bind_ledger(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;
  py::class_<Ledger>(m, "Ledger", "The append-only, double-entry journal: books.ledger.")
      .def(
          "post",
          [](Ledger& ledger, std::vector<Posting> postings, const std::optional<Text>& id, const Text& description,
             TextMap metadata, const OptionalTimeArg& effective_at) {
            const EntryRequest request =
                entry_request(std::move(postings), id, description, std::move(metadata), effective_at);
            py::gil_scoped_release release;
            return ledger.post(request);
          },
          py::arg("postings"), py::kw_only(), py::arg("id") = py::none(), py::arg("description") = "",
          py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none(),
          "Posts one entry of 2 to 1,024 Postings that balance per currency; returns a PostOutcome.\n\n"
          "A rejection (an unknown or closed account, a limit, an unbalanced entry) is outcome.result, and\n"
          "nothing is posted. Give an id to make retries safe: the same entry again is EXISTS. Malformed input\n"
          "(a non-positive amount, one account both debited and credited, a bad description, metadata or\n"
          "effective_at) raises InvalidArgument naming the field, such as postings[1].amount.")
      .def(
          "transfer",
          [](Ledger& ledger, const Text& debit, const Text& credit, const Money& amount, const std::optional<Text>& id,
             const Text& description, TextMap metadata, const OptionalTimeArg& effective_at) {
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
          py::arg("description") = "", py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none(),
          "Moves amount out of credit and into debit: a two-posting post(); returns a PostOutcome.\n\n"
          "debit and credit must differ (InvalidArgument naming credit).")
      .def(
          "post_batch",
          [](Ledger& ledger, const std::vector<EntryRequest>& entries, BatchMode mode) {
            return ledger.post_batch(entries, mode);
          },
          py::arg("entries"), py::arg_v("mode", BatchMode::atomic, "BatchMode.ATOMIC"), Release(),
          "Posts up to 10,000 EntryRequests in one unit of work; returns one PostOutcome per entry, in order.\n\n"
          "ATOMIC: one rejection rejects the rest with BATCH_FAILED. Malformed input in any entry raises\n"
          "before anything is posted, named by its index, such as [3].postings.")
      .def(
          "hold",
          [](Ledger& ledger, std::vector<Posting> postings, const OptionalDurationArg& timeout, const std::optional<Text>& id,
             const Text& description, TextMap metadata, const OptionalTimeArg& effective_at) {
            const EntryRequest request =
                entry_request(std::move(postings), id, description, std::move(metadata), effective_at);
            std::optional<std::chrono::microseconds> limit;
            if (!timeout.value.is_none()) limit = duration_from_py(timeout.value, "timeout");
            py::gil_scoped_release release;
            return ledger.hold(request, limit);
          },
          py::arg("postings"), py::kw_only(), py::arg("timeout") = py::none(), py::arg("id") = py::none(),
          py::arg("description") = "", py::arg("metadata") = py::dict(), py::arg("effective_at") = py::none(),
          "Places a hold: the postings move pending balances only, until post_pending or void_pending.\n\n"
          "With a timeout (a timedelta, more than zero, at most 366 days) the hold can no longer be posted\n"
          "once it has passed; it can still be voided. Returns a PostOutcome.")
      .def(
          "post_pending",
          [](Ledger& ledger, const Text& pending_id, std::optional<Money> amount, const std::optional<Text>& id) {
            return ledger.post_pending(EntryId(pending_id.value), std::move(amount), optional_id<EntryId>(id));
          },
          py::arg("pending_id"), py::arg("amount") = py::none(), py::kw_only(), py::arg("id") = py::none(), Release(),
          "Posts a hold in full, or amount (Money) of a two-posting hold, releasing the rest; returns a\n"
          "PostOutcome for the new entry, named id (made by the IdSource when None).")
      .def(
          "void_pending",
          [](Ledger& ledger, const Text& pending_id, const std::optional<Text>& id) {
            return ledger.void_pending(EntryId(pending_id.value), optional_id<EntryId>(id));
          },
          py::arg("pending_id"), py::kw_only(), py::arg("id") = py::none(), Release(),
          "Releases a hold without posting it; returns a PostOutcome.")
      .def(
          "post_pending_group",
          [](Ledger& ledger, const std::vector<Text>& ids, BatchMode mode) {
            return ledger.post_pending_group(entry_ids(ids), mode);
          },
          py::arg("pending_ids"), py::arg_v("mode", BatchMode::atomic, "BatchMode.ATOMIC"), Release(),
          "Posts up to 10,000 holds in full in one unit of work; one PostOutcome per hold.")
      .def(
          "void_pending_group",
          [](Ledger& ledger, const std::vector<Text>& ids, BatchMode mode) {
            return ledger.void_pending_group(entry_ids(ids), mode);
          },
          py::arg("pending_ids"), py::arg_v("mode", BatchMode::atomic, "BatchMode.ATOMIC"), Release(),
          "Voids up to 10,000 holds in one unit of work; one PostOutcome per hold.")
      .def(
          "void_expired_holds", [](Ledger& ledger) { return ledger.void_expired_holds(); }, Release(),
          "Voids every hold whose timeout has passed, by the books' clock; returns how many (int).")
      .def(
          "reverse",
          [](Ledger& ledger, const Text& entry_id, const std::optional<Text>& id, const Text& description) {
            return ledger.reverse(EntryId(entry_id.value), optional_id<EntryId>(id), description.value);
          },
          py::arg("entry_id"), py::kw_only(), py::arg("id") = py::none(), py::arg("description") = "", Release(),
          "Appends the mirror of a posted entry (every side flipped), linked to it; returns a PostOutcome.\n\n"
          "An entry is reversed at most once (ALREADY_REVERSED); this is the only way to correct one.")
      .def(
          "entry", [](Ledger& ledger, const Text& id) { return ledger.entry(EntryId(id.value)); }, py::arg("id"),
          Release(), "The Entry with this id, or None.")
      .def(
          "balance",
          [](Ledger& ledger, const Text& account, const Loose<shown::AsOf>& as_of_arg) {
            const py::handle as_of = as_of_arg.value;
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
          "An AccountBalance now (constant time), or as of a datetime (the last entry recorded at or before it)\n"
          "or an entry sequence (an int >= 0); None for an unknown account.")
      .def(
          "entries",
          [](Ledger& ledger, const Text& account, const OptionalTimeArg& start, const OptionalTimeArg& end,
             const Text& cursor, const IntArg& limit) {
            const EntryQuery query{.start = optional_time(start, "start"),
                                   .end = optional_time(end, "end"),
                                   .cursor = cursor.value,
                                   .limit = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"))};
            const AccountId id(account.value);
            py::gil_scoped_release release;
            return ledger.entries(id, query);
          },
          py::arg("account_id"), py::kw_only(), py::arg("start") = py::none(), py::arg("end") = py::none(),
          py::arg("cursor") = "", py::arg("limit") = 100, "One EntryPage of an account's entries recorded in [start, end), oldest first.\n\n"
          "limit is 1 to 1,000; cursor is the previous page's next_cursor for the same account. InvalidArgument\n"
          "names start/end (end before start), limit or cursor.")
      .def(
          "verify", [](Ledger& ledger) { return ledger.verify(); }, Release(),
          "Walks the whole chain, re-deriving every hash and running total; returns a VerifyReport. Never\n"
          "raises for a broken ledger: the report says what broke.")
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
          py::arg("format") = "ledger", py::arg("account_id") = py::none(),
          "The journal as text for ledger-cli/hledger (format='ledger') or beancount ('beancount'), of the\n"
          "whole ledger or of the entries touching account_id. Posted amounts are transactions, holds are\n"
          "comments; account ids map to names injectively (docs/ledger.md, \"Export\").")
      .def("__repr__", [](const Ledger&) { return std::string("<billing.Ledger: books.ledger>"); });
}

}  // namespace billing::python
