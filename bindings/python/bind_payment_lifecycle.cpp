// The payment life cycle (issue 9): PaymentStatus, PaymentResult, ChargeStatus, ScriptStep, Payment and its
// parts, PaymentOutcome, PaymentChange, PaymentPage, payment_transitions(), the gateway (PaymentMethod,
// ChargeResult, PaymentGateway, which a Python class may subclass, and ScriptedGateway), and books.payments.
//
// A gateway call runs inside a payments call that released the GIL: PyPaymentGateway takes it back for the
// Python method. What a Python charge() or lookup() raises is turned into a C++ exception with the
// exception's type and message (no traceback), which the library records as a timeout; tokenize() lets the
// Python exception through unchanged, so create() raises it. A KeyboardInterrupt or SystemExit is recorded
// the same way and then raised once the payments call has returned (GatewayScope).
//
// Sensitive: the card number, CVC and IBAN of create() (read as payment_input.hpp reads them), a
// PaymentMethod's number, CVC and IBAN, the fingerprint secret, and tokens. No repr here shows any of them.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/payment.hpp"
#include "billing/payment_gateway.hpp"
#include "billing/payments.hpp"
#include "convert.hpp"
#include "gateway_scope.hpp"
#include "payment_input.hpp"
#include "page.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {

namespace shown {
struct OptionalSecret {
  static constexpr auto name = const_name("Union[bytes, str, None]");
};
struct Script {
  static constexpr auto name = const_name("Iterable[Union[billing.ScriptStep, str]]");
};
struct Step {
  static constexpr auto name = const_name("Union[billing.ScriptStep, str]");
};
}  // namespace shown

namespace {

using Release = py::call_guard<py::gil_scoped_release>;

// ---------------------------------------------------------------------------- a Python gateway

// "ConnectionError: gateway down": what the payment keeps of an exception, without its traceback.
std::string describe(const py::error_already_set& error) {
  std::string text = type_name(error.value());
  const auto message = py::reinterpret_steal<py::object>(PyObject_Str(error.value().ptr()));
  if (!message) {
    PyErr_Clear();
    return text;
  }
  const std::string_view said = py::cast<RawText>(message).view;
  if (!said.empty()) text += fmt::format(": {}", said);
  return text;
}

/// The trampoline of billing.PaymentGateway: each call goes to the method of the Python subclass.
class PyPaymentGateway final : public PaymentGateway {
 public:
  std::string tokenize(const PaymentMethod& method) override {
    const py::gil_scoped_acquire gil;
    const py::function python = method_of("tokenize");
    // A copy, which the Python object owns and wipes when it is collected.
    const py::object token = python(py::cast(method, py::return_value_policy::copy));
    if (!PyUnicode_Check(token.ptr())) {
      throw py::type_error(fmt::format("{}(): returned {}; tokenize() returns the gateway's token, a str",
                                       name_of("tokenize"), type_name(token)));
    }
    return utf8_from_py(token, "token");
  }

  ChargeResult charge(std::string_view token, const Money& amount, std::string_view idempotency_key) override {
    return answer("charge", [&](const py::function& python) {
      return python(py::str(token.data(), token.size()), amount, py::str(idempotency_key.data(), idempotency_key.size()));
    });
  }

  ChargeResult lookup(std::string_view idempotency_key) override {
    return answer("lookup",
                  [&](const py::function& python) { return python(py::str(idempotency_key.data(), idempotency_key.size())); });
  }

 private:
  // "CountingGateway.charge", for messages.
  std::string name_of(const char* method) const {
    return fmt::format("{}.{}", type_name(py::cast(static_cast<const PaymentGateway*>(this),
                                                   py::return_value_policy::reference)),
                       method);
  }

  py::function method_of(const char* name) const {
    py::function python = py::get_override(static_cast<const PaymentGateway*>(this), name);
    if (python) return python;
    const std::string message = fmt::format(
        "{}(): not defined; a billing.PaymentGateway subclass defines tokenize(), charge() and lookup()", name_of(name));
    PyErr_SetString(PyExc_NotImplementedError, message.c_str());
    throw py::error_already_set();
  }

  // A charge or a lookup: what the Python method returned, or an exception the library takes as a timeout.
  template <class Call>
  ChargeResult answer(const char* name, const Call& call) {
    const py::gil_scoped_acquire gil;
    if (GatewayScope::interrupted()) {
      throw std::runtime_error(fmt::format("{}(): not called: the gateway was interrupted", name_of(name)));
    }
    try {
      const py::object result = call(method_of(name));
      if (!py::isinstance<ChargeResult>(result)) {
        throw std::runtime_error(
            fmt::format("{}(): returned {}, not a billing.ChargeResult", name_of(name), type_name(result)));
      }
      if (!holds_value(result)) {
        throw std::runtime_error(fmt::format("{}(): returned a ChargeResult made by __new__ without __init__",
                                             name_of(name)));
      }
      return result.cast<ChargeResult>();
    } catch (py::error_already_set& error) {
      const std::string message = describe(error);
      GatewayScope::keep_if_interrupt(error);
      throw std::runtime_error(message);
    }
  }
};

// ---------------------------------------------------------------------------- conversions

std::uint32_t attempts_from_py(const IntArg& value) {
  // Beyond 32 bits is as far beyond the limit as 2^32 - 1, which the library refuses with the limit.
  const std::uint64_t count = uint64_from_py(value.value, "max_attempts");
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(count, std::numeric_limits<std::uint32_t>::max()));
}

std::size_t limit_from_py(const IntArg& limit) {
  return static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
}

/// An account id parameter, checked under its own name ("debit_account"), not AccountId's "account_id".
std::optional<AccountId> account_from_py(const std::optional<Text>& id, std::string_view field) {
  if (!id) return std::nullopt;
  detail::validate_id(id->value, field);
  return AccountId(id->value);
}

/// The fingerprint secret: bytes as they are, a str as its UTF-8. Sensitive: no message shows it.
std::string secret_from_py(const Loose<shown::OptionalSecret>& secret) {
  const py::handle value = secret.value;
  if (value.is_none()) return {};
  if (PyBytes_Check(value.ptr())) {
    return {PyBytes_AS_STRING(value.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(value.ptr()))};
  }
  if (PyUnicode_Check(value.ptr())) return std::string(py::cast<RawText>(value).view);
  type_error("fingerprint_secret", "bytes, a str or None", value);
}

ScriptStep step_from_py(py::handle value, const std::string& field) {
  py::detail::make_caster<ScriptStep> step;
  if (step.load(value, false)) return py::detail::cast_op<ScriptStep>(step);
  if (!PyUnicode_Check(value.ptr())) type_error(field, "a billing.ScriptStep or its value (str)", value);
  for (const ScriptStep known : {ScriptStep::approve, ScriptStep::decline, ScriptStep::error, ScriptStep::timeout}) {
    if (py::cast<RawText>(value).view == to_string(known)) return known;
  }
  throw InvalidArgument(field, "is not a ScriptStep: 'approve', 'decline', 'error' or 'timeout'");
}

std::vector<ScriptStep> script_from_py(const Loose<shown::Script>& script) {
  const py::handle value = script.value;
  if (PyUnicode_Check(value.ptr()) || PyBytes_Check(value.ptr()) || !py::isinstance<py::iterable>(value)) {
    type_error("script", "an iterable of billing.ScriptStep or their values (str)", value);
  }
  std::vector<ScriptStep> steps;
  for (const py::handle item : py::reinterpret_borrow<py::iterable>(value)) {
    steps.push_back(step_from_py(item, fmt::format("script[{}]", steps.size())));
  }
  return steps;
}

// ---------------------------------------------------------------------------- reprs

std::string payment_repr(const Payment& p) {
  return fmt::format("Payment(id={}, status={}, amount={}, attempts={}, version={})", repr_of(p.id), repr_of(p.status),
                     repr_of(p.amount), p.attempts, p.version);
}

std::string outcome_repr(const PaymentOutcome& o) {
  std::string text = fmt::format("PaymentOutcome(result={}", repr_of(o.result));
  if (o.payment) text += fmt::format(", payment={}, status={}", repr_of(o.payment->id), repr_of(o.payment->status));
  if (!o.errors.empty()) {
    std::vector<std::string> errors;
    for (const FieldError& e : o.errors) errors.push_back(repr_of(e));
    text += fmt::format(", errors=[{}]", fmt::join(errors, ", "));
  }
  return text + ")";
}

std::string method_repr(const PaymentMethod& method) {
  if (method.card()) {
    const CardDetails& card = *method.card();
    return fmt::format("<billing.PaymentMethod: a {} card ending {}, expiring {:02}/{}>", repr_of(card.brand()),
                       card.last_four(), card.expiry_month(), card.expiry_year());
  }
  return fmt::format("<billing.PaymentMethod: a bank account in {}>", repr_of(std::string(method.iban().substr(0, 2))));
}

std::string gateway_repr(const py::handle& self) {
  const std::string name = type_name(self);
  return name == "PaymentGateway" ? "<billing.PaymentGateway>"
                                  : fmt::format("<{}: a billing.PaymentGateway>", name);
}

std::string scripted_repr(const ScriptedGateway& g) {
  return fmt::format("<billing.ScriptedGateway: {} remaining, {} taken in {}>", count_of(g.remaining().size(), "step"),
                     count_of(g.charges().size(), "charge"), count_of(g.charge_calls(), "call"));
}

std::string payments_repr(const Payments& payments) {
  const PaymentOptions& o = payments.options();
  const auto seconds = [](std::chrono::microseconds span) {
    return std::chrono::duration_cast<std::chrono::seconds>(span).count();
  };
  return fmt::format("<billing.Payments max_attempts={} base_delay={}s max_delay={}s charge_timeout={}s fingerprints={}>",
                     o.max_attempts, seconds(o.base_delay), seconds(o.max_delay), seconds(o.charge_timeout),
                     o.fingerprint_secret.empty() ? "off" : "on");
}

// ---------------------------------------------------------------------------- types

void bind_payment_enums(py::module_& m) {
  bind_enum<PaymentStatus>(
      m, "PaymentStatus",
      "Where a payment is in its life (docs/payments.md, \"Life cycle\"; payment_transitions() lists the pairs):\n\n"
      "VALIDATED: stored, waiting for a charge (a first one, or a retry at next_attempt_at).\n"
      "PROCESSING: a charge is in flight.\n"
      "PROCESSED: the gateway approved; the ledger entry is posted. Final.\n"
      "FAILED: the gateway declined; failure_reason says why. Final.\n"
      "UNKNOWN: the charge timed out (or the gateway raised) after it left; reconcile() asks the gateway.\n"
      "DEAD_LETTERED: the last attempt failed; redrive() puts it back.",
      {{"VALIDATED", PaymentStatus::validated},
       {"PROCESSING", PaymentStatus::processing},
       {"PROCESSED", PaymentStatus::processed},
       {"FAILED", PaymentStatus::failed},
       {"UNKNOWN", PaymentStatus::unknown},
       {"DEAD_LETTERED", PaymentStatus::dead_lettered}});
  bind_enum<PaymentResult>(
      m, "PaymentResult",
      "The outcome of a books.payments call (each call lists the ones it returns, in the order it checks them).\n\n"
      "OK: done; for process, the payment's status says how the charge went. INVALID: create found broken\n"
      "fields (the outcome's errors); nothing was stored. EXISTS: the idempotency key (or id) holds a payment of\n"
      "the same request, which is returned. EXISTS_WITH_DIFFERENT_FIELDS: it holds one of another request, which\n"
      "is returned. NOT_FOUND: no payment has the id. NOT_PROCESSABLE: the payment's status does not allow the\n"
      "call (or another caller took it first); it is returned unchanged. NOT_DEAD_LETTERED: redrive of a\n"
      "payment that is not dead-lettered.",
      {{"OK", PaymentResult::ok},
       {"INVALID", PaymentResult::invalid},
       {"EXISTS", PaymentResult::exists},
       {"EXISTS_WITH_DIFFERENT_FIELDS", PaymentResult::exists_with_different_fields},
       {"NOT_FOUND", PaymentResult::not_found},
       {"NOT_PROCESSABLE", PaymentResult::not_processable},
       {"NOT_DEAD_LETTERED", PaymentResult::not_dead_lettered}});
  bind_enum<ChargeStatus>(
      m, "ChargeStatus",
      "What a gateway said about a charge (ChargeResult.status).\n\n"
      "APPROVED: the money moved; reference is the gateway's id for it. DECLINED: refused for good; the payment\n"
      "fails. ERROR: not done and safe to retry. TIMEOUT: no answer after the request left; it may or may not\n"
      "have happened. NOT_FOUND: lookup() only: no charge under that key, so none happened.",
      {{"APPROVED", ChargeStatus::approved},
       {"DECLINED", ChargeStatus::declined},
       {"ERROR", ChargeStatus::error},
       {"TIMEOUT", ChargeStatus::timeout},
       {"NOT_FOUND", ChargeStatus::not_found}});
  bind_enum<ScriptStep>(m, "ScriptStep",
                        "One answer of a ScriptedGateway's script.\n\n"
                        "APPROVE: charges, and answers APPROVED. DECLINE: answers DECLINED ('card_declined').\n"
                        "ERROR: charges nothing, answers ERROR ('gateway unavailable'). TIMEOUT: charges, but\n"
                        "answers TIMEOUT; lookup() finds the charge approved afterwards.",
                        {{"APPROVE", ScriptStep::approve},
                         {"DECLINE", ScriptStep::decline},
                         {"ERROR", ScriptStep::error},
                         {"TIMEOUT", ScriptStep::timeout}});
}

void bind_payment(py::module_& m) {
  py::class_<BankAccountDetails> bank(m, "BankAccountDetails",
                                      "What a stored payment keeps of a bank account: the IBAN's country and its last\n"
                                      "four characters; never the IBAN.");
  bind_value(bank)
      .def_readonly("country", &BankAccountDetails::country, "The IBAN's country (str, two upper-case letters: 'DE').")
      .def_readonly("last_four", &BankAccountDetails::last_four, "The IBAN's last four characters (str, upper case).")
      .def("__repr__", [](const BankAccountDetails& b) {
        return fmt::format("BankAccountDetails(country={}, last_four={})", repr_of(b.country), repr_of(b.last_four));
      });

  py::class_<Payment> payment(m, "Payment",
                              "A payment as stored: what books.payments returns. Immutable: each call returns a new\n"
                              "Payment. It keeps of a card only the brand, last four, expiry, a keyed fingerprint and\n"
                              "the gateway's token; never the number or the CVC.");
  bind_value(payment)
      .def_property_readonly(
          "id", [](const Payment& p) { return p.id.str(); }, "The payment's id (str).")
      .def_readonly("customer_id", &Payment::customer_id, "The customer's id (str), as given.")
      .def_readonly("email", &Payment::email, "The email given (str), or None.")
      .def_readonly("amount", &Payment::amount, "The amount charged (Money), more than zero.")
      .def_readonly("status", &Payment::status, "Where it is in its life (PaymentStatus).")
      .def_readonly("card", &Payment::card, "The card's CardDetails (brand, last four, expiry), or None.")
      .def_readonly("bank_account", &Payment::bank_account,
                    "The bank account's BankAccountDetails (country, last four), or None.")
      .def_readonly("fingerprint", &Payment::fingerprint,
                    "HMAC-SHA256 of the card number or IBAN under the books' fingerprint_secret, as 64 hex digits\n"
                    "(str), the same for the same card under the same secret; \"\" when no secret is configured.")
      .def_readonly("gateway_token", &Payment::gateway_token, "What the gateway's tokenize() returned (str).")
      .def_readonly("idempotency_key", &Payment::request_key,
                    "The idempotency key the payment was created under (str), or None.")
      .def_property_readonly("charge_key", &Payment::charge_key,
                             "The idempotency key every charge of this payment carries (str): 'payment:' and the id,\n"
                             "the same on every attempt.")
      .def_property_readonly(
          "debit_account", [](const Payment& p) { return p.debit_account.str(); },
          "The account debited once processed (str): the clearing account.")
      .def_property_readonly(
          "credit_account", [](const Payment& p) { return p.credit_account.str(); },
          "The account credited once processed (str): revenue, or the customer's receivable.")
      .def_readonly("description", &Payment::description, "The description given (str).")
      .def_readonly("metadata", &Payment::metadata, "The metadata given (dict of str to str).")
      .def_readonly("attempts", &Payment::attempts, "Charges sent so far (int).")
      .def_readonly("max_attempts", &Payment::max_attempts, "Charges allowed before it is dead-lettered (int).")
      .def_property_readonly(
          "next_attempt_at", [](const Payment& p) { return datetime_result(p.next_attempt_at); },
          "VALIDATED after a failed attempt or a redrive: when run_due() sends the next charge; else None.")
      .def_property_readonly(
          "attempt_started_at", [](const Payment& p) { return datetime_result(p.attempt_started_at); },
          "When the last charge left, or None before the first.")
      .def_readonly("gateway_reference", &Payment::gateway_reference,
                    "PROCESSED: the gateway's id for the charge (str); else \"\".")
      .def_readonly("failure_reason", &Payment::failure_reason,
                    "FAILED: the decline; otherwise the last error, or \"\" (str).")
      .def_property_readonly(
          "entry_id", [](const Payment& p) { return id_result(p.entry_id); },
          "PROCESSED: the id of the ledger entry (str); else None.")
      .def_property_readonly(
          "processed_at", [](const Payment& p) { return datetime_result(p.processed_at); },
          "PROCESSED: when, by the books' clock; else None.")
      .def_readonly("version", &Payment::version, "1 when created, one more with every change of status (int).")
      .def_property_readonly(
          "created_at", [](const Payment& p) { return datetime_result(p.created_at); },
          "When it was created, by the books' clock (aware, UTC).")
      .def_property_readonly(
          "updated_at", [](const Payment& p) { return datetime_result(p.updated_at); },
          "When it last changed (aware, UTC).")
      .def("__repr__", &payment_repr);

  py::class_<PaymentChange> change(m, "PaymentChange",
                                   "One status change in a payment's history: books.payments.history returns them.");
  bind_value(change)
      .def_property_readonly(
          "payment_id", [](const PaymentChange& c) { return c.payment_id.str(); }, "The payment's id (str).")
      .def_readonly("from_status", &PaymentChange::from, "The status before (PaymentStatus).")
      .def_readonly("to_status", &PaymentChange::to, "The status after (PaymentStatus).")
      .def_property_readonly(
          "at", [](const PaymentChange& c) { return datetime_result(c.at); },
          "When it changed, by the books' clock (aware, UTC).")
      .def_readonly("reason", &PaymentChange::reason,
                    "What happened (str): 'attempt 2', the decline, the error, 'redriven'.")
      .def_readonly("version", &PaymentChange::version, "The payment's version after the change (int; 2 for the first).")
      .def_readonly("attempt", &PaymentChange::attempt, "The payment's attempts after the change (int).")
      .def("__repr__", [](const PaymentChange& c) {
        return fmt::format("PaymentChange(payment_id={}, from_status={}, to_status={}, version={}, attempt={})",
                           repr_of(c.payment_id), repr_of(c.from), repr_of(c.to), c.version, c.attempt);
      });

  const auto ok = [](const PaymentOutcome& o) { return o.ok(); };
  py::class_<PaymentOutcome>(m, "PaymentOutcome",
                             "What a books.payments call returns: .result (PaymentResult), .payment (the payment\n"
                             "after the call, or None) and .errors (for INVALID). bool(outcome) is outcome.ok.")
      .def_readonly("result", &PaymentOutcome::result, "The PaymentResult.")
      .def_readonly("payment", &PaymentOutcome::payment,
                    "The Payment after the call: the new or changed one for OK, the stored one otherwise; None for\n"
                    "NOT_FOUND and INVALID.")
      .def_property_readonly(
          "errors", [](const PaymentOutcome& o) { return std::vector<FieldError>(o.errors.begin(), o.errors.end()); },
          "INVALID: every broken field (a list of FieldError), as validate_payment() reports them; else [].")
      .def_property_readonly("ok", ok, "True when the call did what it asked (OK).")
      .def("__bool__", ok)
      .def("__repr__", &outcome_repr);

  bind_page<Payment>(m, "PaymentPage", "books.payments.list or dead_letters", "The payments of this page, in id order.");

  m.def("payment_transitions", &payment_transitions,
        "The (from, to) pairs of PaymentStatus that the status table allows, row by row; the store refuses any\n"
        "other change.");
}

void bind_gateway(py::module_& m) {
  py::class_<PaymentMethod>(m, "PaymentMethod",
                            "The sensitive data of a payment method, which a PaymentGateway's tokenize() receives: a\n"
                            "card's full number and CVC, or an IBAN. Hand it to the processor and let it go: never\n"
                            "log or keep it. Its repr shows only the brand, last four and expiry, or the IBAN's\n"
                            "country.")
      .def_property_readonly("is_card", &PaymentMethod::is_card, "True for a card, False for a bank account.")
      .def_property_readonly("card_number", &PaymentMethod::card_number,
                             "The card's full number, digits only (str); \"\" for a bank account. Sensitive.")
      .def_property_readonly("cvc", &PaymentMethod::cvc, "The card's CVC (str); \"\" for a bank account. Sensitive.")
      .def_property_readonly("iban", &PaymentMethod::iban,
                             "The IBAN without spaces, upper case (str); \"\" for a card. Sensitive.")
      .def_property_readonly("card", &PaymentMethod::card,
                             "The card's CardDetails (brand, last four, expiry), or None for a bank account.")
      .def("__repr__", &method_repr);

  py::class_<ChargeResult> result(m, "ChargeResult",
                                  "What a gateway answers to charge() or lookup(): a status, the gateway's reference\n"
                                  "for an approved charge, and a reason for people otherwise.");
  bind_value(result)
      .def(py::init([](ChargeStatus status, const Text& reference, const Text& reason) {
             return ChargeResult{.status = status, .reference = reference.value, .reason = reason.value};
           }),
           py::arg("status"), py::kw_only(), py::arg("reference") = "", py::arg("reason") = "",
           "ChargeResult(status, *, reference='', reason=''). The library keeps a reference of up to 255 bytes\n"
           "and a reason of up to 1,024 (cut beyond, control characters made spaces).")
      .def_readonly("status", &ChargeResult::status, "The ChargeStatus.")
      .def_readonly("reference", &ChargeResult::reference, "APPROVED: the gateway's id for the charge (str).")
      .def_readonly("reason", &ChargeResult::reason, "DECLINED, ERROR, TIMEOUT: why, for people (str).")
      .def("__repr__", [](const ChargeResult& r) {
        return fmt::format("ChargeResult({}, reference={})", repr_of(r.status), repr_of(r.reference));
      });

  py::class_<PaymentGateway, PyPaymentGateway>(
      m, "PaymentGateway",
      "The door to a card processor or a bank: subclass it and define tokenize(), charge() and lookup().\n\n"
      "The library calls them outside any unit of work, from the thread that called books.payments. A charge()\n"
      "or lookup() that raises (or returns anything but a ChargeResult) is taken as a timeout: the payment\n"
      "becomes UNKNOWN with the exception's type and message as failure_reason, and reconcile() settles it. A\n"
      "tokenize() that raises makes create() raise the same exception, with nothing stored.")
      .def(py::init<>(), "For a subclass's __init__: super().__init__().")
      .def(
          "tokenize", [](PaymentGateway& g, const PaymentMethod& method) { return g.tokenize(method); },
          py::arg("method"),
          "The gateway's opaque token for method (a PaymentMethod): a str of 1 to 255 bytes, no control\n"
          "characters, which the payment keeps and later charges. Runs in create(), before anything is stored.")
      .def(
          "charge",
          [](PaymentGateway& g, const Text& token, const Money& amount, const Text& idempotency_key) {
            return g.charge(token.value, amount, idempotency_key.value);
          },
          py::arg("token"), py::arg("amount"), py::arg("idempotency_key"),
          "Charges amount (Money) to token; returns a ChargeResult. idempotency_key is the payment's charge_key,\n"
          "the same on every attempt: answer a repeated key with the first charge's result, never charge again.")
      .def(
          "lookup", [](PaymentGateway& g, const Text& idempotency_key) { return g.lookup(idempotency_key.value); },
          py::arg("idempotency_key"),
          "What became of the charge sent under idempotency_key (a ChargeResult): APPROVED or DECLINED when the\n"
          "gateway has it, NOT_FOUND when it never arrived, TIMEOUT or ERROR when it cannot say yet.")
      .def("__repr__", &gateway_repr);

  py::class_<ScriptedCharge> charge(m, "ScriptedCharge", "A charge a ScriptedGateway took: ScriptedGateway.charges.");
  bind_value(charge)
      .def_readonly("idempotency_key", &ScriptedCharge::idempotency_key, "The key the charge carried (str).")
      .def_readonly("token", &ScriptedCharge::token, "The token charged (str).")
      .def_readonly("amount", &ScriptedCharge::amount, "The amount (Money).")
      .def_readonly("reference", &ScriptedCharge::reference, "The gateway's reference (str): 'ch_1', 'ch_2', ...")
      .def("__repr__", [](const ScriptedCharge& c) {
        return fmt::format("ScriptedCharge(idempotency_key={}, amount={}, reference={})", repr_of(c.idempotency_key),
                           repr_of(c.amount), repr_of(c.reference));
      });

  py::class_<ScriptedGateway, PaymentGateway>(
      m, "ScriptedGateway", py::is_final(),
      "A PaymentGateway for tests and examples that answers each new charge with the next step of its script,\n"
      "then with `otherwise`. It honours idempotency keys as a real gateway does: a charge under a key it\n"
      "approved or declined before answers as it did then, takes nothing and uses no step. Tokens are 'tok_1',\n"
      "'tok_2', ...; it keeps no card data. Safe to share between threads.")
      .def(py::init([](const Loose<shown::Script>& script, const Loose<shown::Step>& otherwise) {
             return std::make_unique<ScriptedGateway>(script_from_py(script), step_from_py(otherwise.value, "otherwise"));
           }),
           py::arg("script") = py::tuple(), py::kw_only(),
           py::arg_v("otherwise", ScriptStep::approve, "ScriptStep.APPROVE"),
           "ScriptedGateway(script=(), *, otherwise=ScriptStep.APPROVE): each step a ScriptStep or its value\n"
           "('approve', 'decline', 'error', 'timeout'); anything else is InvalidArgument naming script[i].")
      .def_property_readonly("charges", &ScriptedGateway::charges,
                             "The charges taken (approved, and timed out), oldest first (a list of ScriptedCharge).\n"
                             "A payment charged twice would show twice.")
      .def_property_readonly("charge_calls", &ScriptedGateway::charge_calls,
                             "How many times charge() was called, repeats included (int).")
      .def_property_readonly("remaining", &ScriptedGateway::remaining,
                             "The steps not used yet (a list of ScriptStep).")
      .def("__repr__", &scripted_repr);
}

}  // namespace

void bind_payment_types(py::module_& m) {
  bind_payment_enums(m);
  bind_payment(m);
  bind_gateway(m);
}

void bind_payment_service(py::module_& m) {
  // Leaked, as every object the module holds past shutdown (convert.cpp).
  static const auto* timedelta = new py::object(py::module_::import("datetime").attr("timedelta"));
  const py::object ten_seconds = (*timedelta)(py::arg("seconds") = 10);
  const py::object one_hour = (*timedelta)(py::arg("hours") = 1);
  const py::object five_minutes = (*timedelta)(py::arg("minutes") = 5);

  py::class_<Payments>(m, "Payments",
                       "The payment life cycle: books.payments (docs/payments.md). Validated requests are stored,\n"
                       "charged through a PaymentGateway with the payment's own idempotency key on every attempt,\n"
                       "retried with back-off on the job queue, dead-lettered after the last attempt, and settled\n"
                       "by reconcile() when the gateway could not tell.")
      .def(
          "create",
          [](Payments& payments, const Loose<shown::AmountLike>& amount, const CurrencyArg& currency,
             const RawText& customer_id, const std::optional<RawText>& card_number,
             const Loose<shown::ExpiryLike>& expiry_month, const Loose<shown::ExpiryLike>& expiry_year,
             const std::optional<RawText>& cvc, const std::optional<RawText>& iban, const std::optional<RawText>& email,
             const Loose<shown::OptionalPolicy>& policy, PaymentGateway& gateway,
             const std::optional<Text>& idempotency_key, const std::optional<Text>& id,
             const std::optional<Text>& debit_account, const std::optional<Text>& credit_account,
             const Text& description, TextMap metadata) {
            const PaymentPolicy* const given = policy_from_py(policy);
            const RequestText text(amount, currency, customer_id, card_number, expiry_month, expiry_year, cvc, iban,
                                   email);
            const PaymentRequest request{
                .input = text.input(),
                .id = optional_id<PaymentId>(id),
                .idempotency_key = idempotency_key ? std::optional(idempotency_key->value) : std::nullopt,
                .debit_account = account_from_py(debit_account, "debit_account"),
                .credit_account = account_from_py(credit_account, "credit_account"),
                .description = description.value,
                .metadata = std::move(metadata.value),
                .policy = given};
            return GatewayScope().run([&] { return payments.create(request, gateway); });
          },
          py::kw_only(), py::arg("amount"), py::arg("currency"), py::arg("customer_id"),
          py::arg("card_number") = py::none(), py::arg("expiry_month") = py::none(), py::arg("expiry_year") = py::none(),
          py::arg("cvc") = py::none(), py::arg("iban") = py::none(), py::arg("email") = py::none(),
          py::arg("policy") = py::none(), py::arg("gateway"), py::arg("idempotency_key") = py::none(),
          py::arg("id") = py::none(), py::arg("debit_account") = py::none(), py::arg("credit_account") = py::none(),
          py::arg("description") = "", py::arg("metadata") = py::dict(),
          "Validates a payment request, tokenizes its card or IBAN through gateway and stores it VALIDATED at\n"
          "version 1; returns a PaymentOutcome. The request's fields are validate_payment()'s, in the same types\n"
          "(a card, or an IBAN, is required); policy is the books' configured one when None.\n\n"
          "Checked in order: INVALID (every broken field in .errors; nothing stored, the gateway not called),\n"
          "EXISTS or EXISTS_WITH_DIFFERENT_FIELDS when idempotency_key (1 to 255 bytes) or id holds a payment\n"
          "already (it is returned; tokenize() not called), OK. debit_account and credit_account default to the\n"
          "configured clearing and revenue accounts. InvalidArgument names idempotency_key, description,\n"
          "metadata, debit_account or credit_account (no such account, or another currency), or token (what\n"
          "tokenize() returned); what tokenize() raises propagates. Nothing is stored then. card_number, cvc and\n"
          "iban are sensitive: no message or repr shows them.")
      .def(
          "get", [](Payments& payments, const Text& id) { return payments.get(PaymentId(id.value)); }, py::arg("id"),
          Release(), "The Payment with this id, or None.")
      .def(
          "process",
          [](Payments& payments, const Text& id, PaymentGateway& gateway) {
            const PaymentId payment_id(id.value);
            return GatewayScope().run([&] { return payments.process(payment_id, gateway); });
          },
          py::arg("id"), py::arg("gateway"),
          "Sends the payment's next charge through gateway and settles it; returns a PaymentOutcome. Checked in\n"
          "order: NOT_FOUND, NOT_PROCESSABLE (not VALIDATED, or another caller took it first), OK with the new\n"
          "status: PROCESSED (with processed_at, gateway_reference and the ledger entry, posted in the same unit of\n"
          "work), FAILED (declined), VALIDATED with next_attempt_at (an error with attempts left: a\n"
          "'payment.retry' job is queued), DEAD_LETTERED (an error on the last attempt) or UNKNOWN (a timeout,\n"
          "or a charge() that raised).")
      .def(
          "run_due",
          [](Payments& payments, PaymentGateway& gateway, const IntArg& limit) {
            const std::size_t count = limit_from_py(limit);
            return GatewayScope().run([&] { return payments.run_due(gateway, count); });
          },
          py::arg("gateway"), py::arg("limit") = 100,
          "Claims up to limit (1 to 100) due 'payment.retry' jobs and processes each payment that is still\n"
          "VALIDATED, as process() does; returns the PaymentOutcomes, in the order claimed.")
      .def(
          "reconcile",
          [](Payments& payments, PaymentGateway& gateway, const IntArg& limit) {
            const std::size_t count = limit_from_py(limit);
            return GatewayScope().run([&] { return payments.reconcile(gateway, count); });
          },
          py::arg("gateway"), py::arg("limit") = 100,
          "Settles up to limit (1 to 1,000) UNKNOWN payments, and PROCESSING ones whose charge left more than\n"
          "charge_timeout ago, by the gateway's lookup() of their charge key: APPROVED -> PROCESSED (with the\n"
          "ledger entry), DECLINED -> FAILED, NOT_FOUND -> VALIDATED with a retry queued (or DEAD_LETTERED after\n"
          "the last attempt); anything else leaves it UNKNOWN. Returns one PaymentOutcome per payment looked at.")
      .def(
          "dead_letters",
          [](Payments& payments, const Text& cursor, const IntArg& limit) {
            const std::size_t count = limit_from_py(limit);
            py::gil_scoped_release release;
            return payments.dead_letters(cursor.value, count);
          },
          py::arg("cursor") = "", py::arg("limit") = 100,
          "One PaymentPage of DEAD_LETTERED payments in id order. limit is 1 to 1,000; cursor is the previous\n"
          "page's next_cursor, or \"\".")
      .def(
          "redrive",
          [](Payments& payments, const Text& id) { return payments.redrive(PaymentId(id.value)); }, py::arg("id"),
          Release(),
          "Puts a dead-lettered payment back: VALIDATED, its attempts reset to zero, a retry due now. Returns a\n"
          "PaymentOutcome: NOT_FOUND, NOT_DEAD_LETTERED (unchanged) or OK.")
      .def(
          "list",
          [](Payments& payments, std::optional<PaymentStatus> status, const std::optional<Text>& customer_id,
             const Text& cursor, const IntArg& limit) {
            const std::size_t count = limit_from_py(limit);
            const std::optional<std::string> customer =
                customer_id ? std::optional(customer_id->value) : std::nullopt;
            py::gil_scoped_release release;
            return payments.list(status, customer, cursor.value, count);
          },
          py::arg("status") = py::none(), py::arg("customer_id") = py::none(), py::arg("cursor") = "",
          py::arg("limit") = 100,
          "One PaymentPage of up to limit (1 to 1,000) payments in id order, only those in status and of\n"
          "customer_id (matched exactly) when given. cursor is the previous page's next_cursor, or \"\".")
      .def(
          "history", [](Payments& payments, const Text& id) { return payments.history(PaymentId(id.value)); },
          py::arg("id"), Release(), "The payment's PaymentChanges, oldest first; [] when there is no such payment.")
      .def(
          "configure",
          [](Payments& payments, const IntArg& max_attempts, const DurationArg& base_delay, const DurationArg& max_delay,
             const DurationArg& charge_timeout, const Loose<shown::OptionalSecret>& fingerprint_secret,
             const std::optional<Text>& clearing_account, const std::optional<Text>& revenue_account,
             const Loose<shown::OptionalPolicy>& policy) {
            const PaymentPolicy* const given = policy_from_py(policy);
            PaymentOptions options{.max_attempts = attempts_from_py(max_attempts),
                                   .base_delay = duration_from_py(base_delay.value, "base_delay"),
                                   .max_delay = duration_from_py(max_delay.value, "max_delay"),
                                   .charge_timeout = duration_from_py(charge_timeout.value, "charge_timeout"),
                                   .fingerprint_secret = secret_from_py(fingerprint_secret),
                                   .clearing_account = account_from_py(clearing_account, "clearing_account"),
                                   .revenue_account = account_from_py(revenue_account, "revenue_account"),
                                   .policy = given != nullptr ? *given : PaymentPolicy()};
            payments.configure(std::move(options));
          },
          py::kw_only(), py::arg("max_attempts") = 3, py::arg_v("base_delay", ten_seconds, "datetime.timedelta(seconds=10)"),
          py::arg_v("max_delay", one_hour, "datetime.timedelta(hours=1)"),
          py::arg_v("charge_timeout", five_minutes, "datetime.timedelta(minutes=5)"),
          py::arg("fingerprint_secret") = py::none(), py::arg("clearing_account") = py::none(),
          py::arg("revenue_account") = py::none(), py::arg("policy") = py::none(),
          "Replaces every option (one not given takes its default). max_attempts: charges before a payment is\n"
          "dead-lettered (1 to 100). base_delay, max_delay: the back-off after failed attempt n, exponential\n"
          "with jitter (0 < base_delay <= max_delay <= 30 days). charge_timeout: how long a PROCESSING charge\n"
          "may last before reconcile() takes it as UNKNOWN (more than zero, at most 24 hours).\n"
          "fingerprint_secret: the HMAC key of card and IBAN fingerprints, bytes or a str of 16 to 1,024 bytes\n"
          "(None or empty: no fingerprints); sensitive, never shown. clearing_account, revenue_account: what a\n"
          "processed payment posts to when its request names none (None: 'payments:clearing:<currency>' and\n"
          "'payments:revenue:<currency>', opened on first use). policy: what create() accepts (None: anything).\n"
          "InvalidArgument names the option beyond its bounds; the options are unchanged then. Set once at\n"
          "start-up: not safe against calls in flight.")
      .def("__repr__", &payments_repr);
}

}  // namespace billing::python
