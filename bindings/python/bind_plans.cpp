// Plans, quotas and API keys: billing.Plan, QuotaDecision, ApiKey and their enums, and books.plans,
// books.quotas and books.api_keys. A secret is read as RawText (payment_input.hpp): sensitive, it never
// reaches a message or a repr.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/plans.hpp"
#include "convert.hpp"
#include "page.hpp"
#include "payment_input.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {
namespace {

namespace shown_here {
using py::detail::const_name;
struct Charges {
  static constexpr auto name = const_name("Mapping[str, billing.Price]");
};
struct OptionalDecimalLike {
  static constexpr auto name = const_name("Union[decimal.Decimal, str, int, None]");
};
struct OptionalInt {
  static constexpr auto name = const_name("Optional[int]");
};
}  // namespace shown_here

py::object timedelta_to_py(std::chrono::microseconds span) {
  static const auto* timedelta = new py::object(py::module_::import("datetime").attr("timedelta"));  // leaked
  return (*timedelta)(py::arg("microseconds") = span.count());
}

std::optional<std::uint64_t> optional_count(const Loose<shown_here::OptionalInt>& value, std::string_view field) {
  if (value.value.is_none()) return std::nullopt;
  return uint64_from_py(value.value, field);
}

PlanCharges charges_from_py(const Loose<shown_here::Charges>& value) {
  const py::handle charges = value.value;
  if (!PyDict_Check(charges.ptr())) type_error("charges", "dict[str, billing.Price]", charges);
  if (py::len(charges) > k_max_plan_charges) {
    throw InvalidArgument("charges", fmt::format("holds more than {} prices", k_max_plan_charges));
  }
  PlanCharges out;
  for (const auto& [code, price] : py::reinterpret_borrow<py::dict>(charges)) {
    if (!PyUnicode_Check(code.ptr())) type_error("charges", "dict[str, billing.Price]", code);
    if (!py::isinstance<Price>(price)) type_error("charges", "dict[str, billing.Price]", price);
    out.insert_or_assign(utf8_from_py(code, "charges"), price.cast<const Price&>());
  }
  return out;
}

Typed<shown::DecimalValue> decimal_result(const Decimal& value) { return {decimal_to_py(value)}; }

/// A listing's cursor: "" asks for the first page.
std::optional<std::string> optional_cursor(const Text& cursor) {
  if (cursor.value.empty()) return std::nullopt;
  return cursor.value;
}

}  // namespace

void bind_plan_types(py::module_& m) {
  bind_enum<PlanInterval>(m, "PlanInterval",
                          "How often a plan bills and its quota resets, as calendar periods in UTC: DAY (from\n"
                          "00:00), WEEK (from Monday 00:00, ISO 8601), MONTH (from the 1st), YEAR (from 1 January).",
                          {{"DAY", PlanInterval::day},
                           {"WEEK", PlanInterval::week},
                           {"MONTH", PlanInterval::month},
                           {"YEAR", PlanInterval::year}});
  bind_enum<PlanResult>(m, "PlanResult",
                        "What books.plans.create did: OK (created); EXISTS (the same definition is stored under\n"
                        "this code); EXISTS_WITH_DIFFERENT_FIELDS (another definition is; nothing changed).",
                        {{"OK", PlanResult::ok},
                         {"EXISTS", PlanResult::exists},
                         {"EXISTS_WITH_DIFFERENT_FIELDS", PlanResult::exists_with_different_fields}});
  bind_enum<QuotaReason>(m, "QuotaReason",
                         "Why books.quotas.consume allowed or denied a call, checked in this order: QUOTA_EXCEEDED\n"
                         "(the period has fewer units left than asked for), RATE_LIMITED (the token bucket has\n"
                         "fewer tokens), ALLOWED (consumed, and recorded on the plan's quota meter).",
                         {{"ALLOWED", QuotaReason::allowed},
                          {"QUOTA_EXCEEDED", QuotaReason::quota_exceeded},
                          {"RATE_LIMITED", QuotaReason::rate_limited}});
  bind_enum<ApiKeyStatus>(m, "ApiKeyStatus", "ACTIVE: authenticates. REVOKED: never again.",
                          {{"ACTIVE", ApiKeyStatus::active}, {"REVOKED", ApiKeyStatus::revoked}});
  bind_enum<RevokeResult>(m, "RevokeResult",
                          "What books.api_keys.revoke did: OK; NOT_FOUND; ALREADY_REVOKED (nothing changed).",
                          {{"OK", RevokeResult::ok},
                           {"NOT_FOUND", RevokeResult::not_found},
                           {"ALREADY_REVOKED", RevokeResult::already_revoked}});

  py::class_<Plan> plan(m, "Plan", "A stored plan (docs/plans.md). Immutable, as plans are in the store.");
  bind_value(plan)
      .def_readonly("code", &Plan::code, "The plan's code (str).")
      .def_readonly("currency", &Plan::currency, "The plan's Currency: its flat fee and charges are in it.")
      .def_readonly("interval", &Plan::interval, "Its PlanInterval: how often it bills and its quota resets.")
      .def_readonly("flat_fee", &Plan::flat_fee, "The recurring fee each interval (Money), or None.")
      .def_readonly("quota", &Plan::quota, "Units allowed per period (int), or None for no quota.")
      .def_readonly("quota_meter", &Plan::quota_meter, "The meter each allowed call is recorded on (str), or None.")
      .def_property_readonly(
          "rate_per_second",
          [](const Plan& p) -> std::optional<Typed<shown::DecimalValue>> {
            if (!p.rate_per_second) return std::nullopt;
            return decimal_result(*p.rate_per_second);
          },
          "The token bucket's rate (decimal.Decimal, tokens a second), or None for no rate limit.")
      .def_readonly("burst", &Plan::burst, "The token bucket's size (int), or None.")
      .def_readonly("charges", &Plan::charges, "Usage charges: a dict of meter code to billing.Price.")
      .def_property_readonly(
          "created_at", [](const Plan& p) { return datetime_result(p.created_at); }, "When it was created.")
      .def("__repr__", [](const Plan& p) {
        return fmt::format("Plan(code={}, currency={}, interval={})", repr_of(p.code), repr_of(p.currency.code()),
                           repr_of(p.interval));
      });

  py::class_<PlanOutcome>(m, "PlanOutcome", "What books.plans.create returns.")
      .def_readonly("result", &PlanOutcome::result, "A PlanResult.")
      .def_readonly("plan", &PlanOutcome::plan, "The stored Plan, for every result.")
      .def_property_readonly("ok", &PlanOutcome::ok, "True exactly when the plan was created (result OK).")
      .def("__bool__", &PlanOutcome::ok)
      .def("__repr__", [](const PlanOutcome& o) {
        return fmt::format("PlanOutcome(result={}, plan={})", repr_of(o.result), repr_of(o.plan.code));
      });

  py::class_<QuotaDecision>(m, "QuotaDecision",
                            "What books.quotas.consume decides. bool(decision) is decision.allowed.")
      .def_property_readonly("allowed", &QuotaDecision::allowed, "True when the call may go ahead (bool).")
      .def_readonly("reason", &QuotaDecision::reason, "A QuotaReason.")
      .def_readonly("remaining", &QuotaDecision::remaining,
                    "Units left in the current period after this call (int), or None when the plan has no quota.")
      .def_property_readonly(
          "retry_after", [](const QuotaDecision& d) { return Typed<shown::TimeDelta>{timedelta_to_py(d.retry_after)}; },
          "Zero when allowed; otherwise how long until the call could pass (datetime.timedelta): until the\n"
          "period resets (QUOTA_EXCEEDED), or until the bucket holds the units asked for (RATE_LIMITED).")
      .def_readonly("replayed", &QuotaDecision::replayed,
                    "True when a call with the same request_id was allowed before; nothing was consumed again.")
      .def("__bool__", &QuotaDecision::allowed)
      .def("__repr__", [](const QuotaDecision& d) {
        return fmt::format("QuotaDecision(reason={}, remaining={}, retry_after={})", repr_of(d.reason),
                           d.remaining ? std::to_string(*d.remaining) : std::string("None"),
                           repr_of(timedelta_to_py(d.retry_after)));
      });

  py::class_<ApiKey> key(m, "ApiKey",
                         "An API key's public parts. Its secret is never kept: books.api_keys.create returns it once.");
  bind_value(key)
      .def_property_readonly(
          "id", [](const ApiKey& k) { return k.id.str(); }, "The key's public id (str).")
      .def_readonly("subject", &ApiKey::subject, "Whom the key belongs to (str).")
      .def_readonly("plan", &ApiKey::plan, "The code of the key's plan (str).")
      .def_readonly("status", &ApiKey::status, "Its ApiKeyStatus.")
      .def_property_readonly(
          "created_at", [](const ApiKey& k) { return datetime_result(k.created_at); }, "When it was created.")
      .def_property_readonly(
          "revoked_at", [](const ApiKey& k) { return datetime_result(k.revoked_at); }, "When it was revoked, or None.")
      .def("__repr__", [](const ApiKey& k) {
        return fmt::format("ApiKey(id={}, subject={}, plan={}, status={})", repr_of(k.id.str()), repr_of(k.subject),
                           repr_of(k.plan), repr_of(k.status));
      });

  py::class_<QuotaState> state(m, "QuotaState",
                               "What the store holds for one subject on one plan (books.quotas.state), for audits.");
  bind_value(state)
      .def_readonly("plan", &QuotaState::plan, "The plan's code (str).")
      .def_readonly("subject", &QuotaState::subject, "The subject (str).")
      .def_property_readonly(
          "period_start", [](const QuotaState& q) { return datetime_result(q.period_start); },
          "The start of the period that used counts in (datetime, UTC).")
      .def_readonly("used", &QuotaState::used, "Units allowed in that period (int).")
      .def_property_readonly(
          "tokens", [](const QuotaState& q) { return decimal_result(Decimal::from_coefficient(q.tokens, 12)); },
          "The token bucket at refilled_at (decimal.Decimal, exact to 10**-12 token).")
      .def_property_readonly(
          "refilled_at", [](const QuotaState& q) { return datetime_result(q.refilled_at); },
          "When the bucket was last refilled (datetime, UTC).")
      .def_readonly("allowed_total", &QuotaState::allowed_total, "Units allowed over all time (int).")
      .def("__repr__", [](const QuotaState& q) {
        return fmt::format("QuotaState(plan={}, subject={}, used={}, allowed_total={})", repr_of(q.plan),
                           repr_of(q.subject), q.used, q.allowed_total);
      });

  bind_page<Plan>(m, "PlanPage", "books.plans.list", "The plans of this page, in code order.");
  bind_page<ApiKey>(m, "ApiKeyPage", "books.api_keys.list", "The keys of this page, in id order.");
}

void bind_plans(py::module_& m) {
  py::class_<Plans>(m, "Plans", "Immutable plans in the store: books.plans (docs/plans.md).")
      .def(
          "create",
          [](Plans& plans, const Text& code, const CurrencyArg& currency, PlanInterval interval,
             const std::optional<Money>& flat_fee, const Loose<shown_here::OptionalInt>& quota,
             const std::optional<Text>& quota_meter, const Loose<shown_here::OptionalDecimalLike>& rate_per_second,
             const Loose<shown_here::OptionalInt>& burst, const Loose<shown_here::Charges>& charges) {
            PlanRequest request{.code = code.value, .currency = currency_from_py(currency.value)};
            request.interval = interval;
            request.flat_fee = flat_fee;
            request.quota = optional_count(quota, "quota");
            if (quota_meter) request.quota_meter = quota_meter->value;
            if (!rate_per_second.value.is_none()) {
              request.rate_per_second = decimal_from_py(rate_per_second.value, "rate_per_second");
            }
            request.burst = optional_count(burst, "burst");
            request.charges = charges_from_py(charges);
            py::gil_scoped_release release;
            return plans.create(request);
          },
          py::arg("code"), py::arg("currency"), py::kw_only(),
          py::arg_v("interval", PlanInterval::month, "PlanInterval.MONTH"), py::arg("flat_fee") = py::none(),
          py::arg("quota") = py::none(), py::arg("quota_meter") = py::none(),
          py::arg("rate_per_second") = py::none(), py::arg("burst") = py::none(),
          py::arg_v("charges", py::dict(), "{}"),
          "Creates a plan; returns a PlanOutcome (EXISTS for the same definition again,\n"
          "EXISTS_WITH_DIFFERENT_FIELDS for another; plans never change). code: 1 to 64 of A-Z a-z 0-9 _ . : -,\n"
          "starting with a letter. flat_fee: Money in the plan's currency, 0 or more. quota: units per period,\n"
          "1 to 10**15, with quota_meter (a defined meter each allowed call is recorded on). rate_per_second:\n"
          "more than 0, at most 1,000,000, up to 6 places (a Decimal, str or int; a float is a TypeError).\n"
          "burst: 1 to 1,000,000 tokens (ceil(rate) when None). charges: up to 32 meter codes to billing.Price,\n"
          "each in the plan's currency. InvalidArgument or CurrencyMismatch names the field at fault.")
      .def(
          "get", [](Plans& plans, const Text& code) { return plans.get(code.value); }, py::arg("code"),
          "The Plan with this code, or None.")
      .def(
          "list",
          [](Plans& plans, const Text& cursor, const IntArg& limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            py::gil_scoped_release release;
            return plans.list(optional_cursor(cursor), count);
          },
          py::kw_only(), py::arg("cursor") = "", py::arg("limit") = 100,
          "One PlanPage of up to limit (1 to 1,000) plans in code order. cursor is the previous page's\n"
          "next_cursor, or \"\" for the first page.")
      .def("__repr__", [](const Plans&) { return std::string("<billing.Plans: books.plans>"); });

  py::class_<Quotas>(m, "Quotas", "Quotas and rate limits kept in the store: books.quotas (docs/plans.md).")
      .def(
          "consume",
          [](Quotas& quotas, const Text& subject, const Text& plan, const IntArg& units,
             const std::optional<Text>& request_id) {
            QuotaRequest request{.subject = subject.value, .plan = plan.value,
                                 .units = uint64_from_py(units.value, "units")};
            if (request_id) request.request_id = request_id->value;
            py::gil_scoped_release release;
            return quotas.consume(request);
          },
          py::arg("subject"), py::arg("plan"), py::arg("units") = 1, py::kw_only(),
          py::arg("request_id") = py::none(),
          "Checks units (1 to 1,000,000) against the plan's quota for the current calendar period and its\n"
          "token bucket, and when both allow them consumes them and records a usage event on the plan's\n"
          "quota meter, all in one unit of work; returns a QuotaDecision. Nothing is consumed when denied.\n"
          "request_id (up to 255 bytes) makes a retry idempotent: a second call with it after one that was\n"
          "allowed consumes nothing and returns ALLOWED with replayed=True. InvalidArgument names subject,\n"
          "plan (no such plan), units (beyond the plan's burst or quota) or request_id.")
      .def(
          "state",
          [](Quotas& quotas, const Text& plan, const Text& subject) { return quotas.state(plan.value, subject.value); },
          py::arg("plan"), py::arg("subject"),
          "The QuotaState the store holds for subject on plan, or None when it never consumed.")
      .def("__repr__", [](const Quotas&) { return std::string("<billing.Quotas: books.quotas>"); });

  py::class_<ApiKeys>(m, "ApiKeys", "API keys: books.api_keys (docs/plans.md, \"API keys\").")
      .def(
          "create",
          [](ApiKeys& keys, const Text& subject, const Text& plan) {
            NewApiKey made = [&] {
              py::gil_scoped_release release;
              return keys.create(subject.value, plan.value);
            }();
            return py::make_tuple(py::cast(made.key), py::str(made.secret));
          },
          py::arg("subject"), py::arg("plan"),
          "Issues a key for subject on plan; returns (ApiKey, secret). The secret (str) is shown this once:\n"
          "only its SHA-256 is stored. InvalidArgument names subject or plan (no such plan).")
      .def(
          "authenticate",
          [](ApiKeys& keys, const RawText& secret) {
            py::gil_scoped_release release;
            return keys.authenticate(secret.view);
          },
          py::arg("secret"),
          "The active ApiKey this secret belongs to, or None for a secret that is malformed, unknown, wrong or\n"
          "revoked. Compares in constant time; the secret is never shown by any message.")
      .def(
          "revoke", [](ApiKeys& keys, const Text& key_id) { return keys.revoke(ApiKeyId(key_id.value)); },
          py::arg("key_id"), "Denies the key from now on; returns a RevokeResult.")
      .def(
          "get", [](ApiKeys& keys, const Text& key_id) { return keys.get(ApiKeyId(key_id.value)); },
          py::arg("key_id"), "The ApiKey with this id, or None.")
      .def(
          "list",
          [](ApiKeys& keys, const std::optional<Text>& subject, const Text& cursor, const IntArg& limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            std::optional<std::string> of;
            if (subject) of = subject->value;
            py::gil_scoped_release release;
            return keys.list(of, optional_cursor(cursor), count);
          },
          py::arg("subject") = py::none(), py::kw_only(), py::arg("cursor") = "", py::arg("limit") = 100,
          "One ApiKeyPage of up to limit (1 to 1,000) keys in id order, of subject only when given. cursor is\n"
          "the previous page's next_cursor, or \"\" for the first page.")
      .def("__repr__", [](const ApiKeys&) { return std::string("<billing.ApiKeys: books.api_keys>"); });
}

}  // namespace billing::python
