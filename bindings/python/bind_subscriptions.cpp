// Subscriptions: billing.Subscription, its outcomes and enums, the calendar helpers billing.billing_date and
// billing.prorate, and books.subscriptions (docs/subscriptions.md). Reprs show ids, plans, statuses, versions
// and periods.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/subscriptions.hpp"
#include "convert.hpp"
#include "enums.hpp"
#include "page.hpp"
#include "repr.hpp"
#include "values.hpp"

namespace billing::python {
namespace {

// An anchor day as the library takes it (1 to 31, which the calendar checks too), refused before a narrowing.
unsigned anchor_day_from_py(py::handle value) {
  const std::uint64_t day = uint64_from_py(value, "anchor_day");
  if (day < 1 || day > 31) throw InvalidArgument("anchor_day", fmt::format("{} is outside 1..31", day));
  return static_cast<unsigned>(day);
}

std::string period_repr(Timestamp start, Timestamp end) {
  return fmt::format("'{}/{}'", start.to_string(), end.to_string());
}

}  // namespace

void bind_subscription_types(py::module_& m) {
  bind_enum<SubscriptionStatus>(
      m, "SubscriptionStatus",
      "Where a subscription is in its life: TRIALING (its unbilled trial), ACTIVE (billed at each period's end),\n"
      "PAST_DUE (an invoice went unpaid after every attempt; still billed), PAUSED (not billed; periods still\n"
      "advance), CANCELED (final).",
      {{"TRIALING", SubscriptionStatus::trialing},
       {"ACTIVE", SubscriptionStatus::active},
       {"PAST_DUE", SubscriptionStatus::past_due},
       {"PAUSED", SubscriptionStatus::paused},
       {"CANCELED", SubscriptionStatus::canceled}});
  bind_enum<SubscriptionResult>(
      m, "SubscriptionResult",
      "What books.subscriptions.create did, checked in this order: EXISTS (the same request made this id),\n"
      "EXISTS_WITH_DIFFERENT_FIELDS (the id is taken), ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED (closed or inactive),\n"
      "PLAN_NOT_FOUND, CURRENCY_MISMATCH (the account's currency is not the plan's), OK.",
      {{"OK", SubscriptionResult::ok},
       {"EXISTS", SubscriptionResult::exists},
       {"EXISTS_WITH_DIFFERENT_FIELDS", SubscriptionResult::exists_with_different_fields},
       {"ACCOUNT_NOT_FOUND", SubscriptionResult::account_not_found},
       {"ACCOUNT_CLOSED", SubscriptionResult::account_closed},
       {"CURRENCY_MISMATCH", SubscriptionResult::currency_mismatch},
       {"PLAN_NOT_FOUND", SubscriptionResult::plan_not_found}});
  bind_enum<SubscriptionChangeResult>(
      m, "SubscriptionChangeResult",
      "What a change to a subscription did, checked in this order: NOT_FOUND, TRANSITION_FORBIDDEN (the status\n"
      "table refuses it), PLAN_NOT_FOUND, INTERVAL_MISMATCH (change_plan to a plan of another interval or\n"
      "currency), VERSION_CONFLICT (expected_version is not the stored version), OK.",
      {{"OK", SubscriptionChangeResult::ok},
       {"NOT_FOUND", SubscriptionChangeResult::not_found},
       {"TRANSITION_FORBIDDEN", SubscriptionChangeResult::transition_forbidden},
       {"PLAN_NOT_FOUND", SubscriptionChangeResult::plan_not_found},
       {"INTERVAL_MISMATCH", SubscriptionChangeResult::interval_mismatch},
       {"VERSION_CONFLICT", SubscriptionChangeResult::version_conflict}});
  bind_enum<Proration>(m, "Proration",
                       "How change_plan treats the current period: NONE (its flat fee stays the old plan's; the new\n"
                       "one's starts next period) or BY_SECONDS (credit the old fee's unused part and charge the\n"
                       "new fee's, by microseconds of the period, to the minor unit).",
                       {{"NONE", Proration::none}, {"BY_SECONDS", Proration::by_seconds}});

  py::class_<Subscription> subscription(m, "Subscription",
                                        "A subscription as stored (docs/subscriptions.md). Its version grows with\n"
                                        "every change; pass it as expected_version.");
  bind_value(subscription)
      .def_property_readonly(
          "id", [](const Subscription& s) { return s.id.str(); }, "Its id (str).")
      .def_property_readonly(
          "account_id", [](const Subscription& s) { return s.account_id.str(); }, "The customer's account id (str).")
      .def_readonly("plan", &Subscription::plan, "The plan of the next periods (str); this period's usage is priced on it.")
      .def_readonly("period_plan", &Subscription::period_plan,
                    "The plan the current period started on (str): its flat fee is the period's.")
      .def_readonly("running_plan", &Subscription::running_plan,
                    "The plan whose flat fee runs for the rest of the current period (str).")
      .def_readonly("currency", &Subscription::currency, "Its Currency: the plans' and the account's.")
      .def_readonly("interval", &Subscription::interval, "Its PlanInterval.")
      .def_readonly("status", &Subscription::status, "Its SubscriptionStatus.")
      .def_property_readonly(
          "start", [](const Subscription& s) { return datetime_result(s.start); }, "When it started (its trial, if any).")
      .def_property_readonly(
          "trial_end", [](const Subscription& s) { return datetime_result(s.trial_end); },
          "When its trial ends, or None without one.")
      .def_readonly("anchor_day", &Subscription::anchor_day, "The day of the month its cycle bills on (int, 1 to 31).")
      .def_property_readonly(
          "cycle_origin", [](const Subscription& s) { return datetime_result(s.cycle_origin); },
          "billing_date(cycle_origin, interval, anchor_day, n) starts period n of its cycle.")
      .def_readonly("period_index", &Subscription::period_index,
                    "The number of the current period in the cycle (int; -1 for the trial).")
      .def_property_readonly(
          "current_period_start", [](const Subscription& s) { return datetime_result(s.current_period_start); },
          "When the current period started.")
      .def_property_readonly(
          "current_period_end", [](const Subscription& s) { return datetime_result(s.current_period_end); },
          "When the current period ends and is billed.")
      .def_readonly("cancel_at_period_end", &Subscription::cancel_at_period_end,
                    "True when it cancels once the current period is billed.")
      .def_property_readonly(
          "canceled_at", [](const Subscription& s) { return datetime_result(s.canceled_at); },
          "When it was canceled, or None.")
      .def_readonly("version", &Subscription::version, "1 when created, one more with each change (int).")
      .def_property_readonly(
          "created_at", [](const Subscription& s) { return datetime_result(s.created_at); }, "When it was created.")
      .def_property_readonly(
          "updated_at", [](const Subscription& s) { return datetime_result(s.updated_at); }, "When it last changed.")
      .def("__repr__", [](const Subscription& s) {
        return fmt::format("Subscription(id={}, account_id={}, plan={}, status={}, period={}, version={})",
                           repr_of(s.id), repr_of(s.account_id.str()), repr_of(s.plan), repr_of(s.status),
                           period_repr(s.current_period_start, s.current_period_end), s.version);
      });

  py::class_<SubscriptionAdjustment> adjustment(
      m, "SubscriptionAdjustment",
      "An amount a period's invoice carries besides its flat fee and usage: a proration credit (negative) or charge.");
  bind_value(adjustment)
      .def_property_readonly(
          "subscription_id", [](const SubscriptionAdjustment& a) { return a.subscription_id.str(); },
          "The subscription's id (str).")
      .def_property_readonly(
          "period_start", [](const SubscriptionAdjustment& a) { return datetime_result(a.period_start); },
          "The start of the period whose invoice carries it.")
      .def_readonly("sequence", &SubscriptionAdjustment::sequence, "1, 2, ... within the period (int).")
      .def_readonly("description", &SubscriptionAdjustment::description, "What it is for (str).")
      .def_readonly("amount", &SubscriptionAdjustment::amount, "The Money; negative for a credit.")
      .def_property_readonly(
          "created_at", [](const SubscriptionAdjustment& a) { return datetime_result(a.created_at); },
          "When it was made.")
      .def("__repr__", [](const SubscriptionAdjustment& a) {
        return fmt::format("SubscriptionAdjustment(subscription_id={}, sequence={}, amount={})",
                           repr_of(a.subscription_id), a.sequence, repr_of(a.amount));
      });

  py::class_<SubscriptionOutcome>(m, "SubscriptionOutcome",
                                  "What books.subscriptions.create returns. bool(outcome) is outcome.ok.")
      .def_readonly("result", &SubscriptionOutcome::result, "A SubscriptionResult.")
      .def_readonly("subscription", &SubscriptionOutcome::subscription,
                    "The stored Subscription when one was made or found, else None.")
      .def_property_readonly("ok", &SubscriptionOutcome::ok, "True exactly when it was created (result OK).")
      .def("__bool__", &SubscriptionOutcome::ok)
      .def("__repr__", [](const SubscriptionOutcome& o) {
        return fmt::format("SubscriptionOutcome(result={}, subscription={})", repr_of(o.result),
                           o.subscription ? repr_of(o.subscription->id) : std::string("None"));
      });

  py::class_<SubscriptionChange>(m, "SubscriptionChange",
                                 "What a change to a subscription returns. bool(change) is change.ok.")
      .def_readonly("result", &SubscriptionChange::result, "A SubscriptionChangeResult.")
      .def_readonly("subscription", &SubscriptionChange::subscription,
                    "The Subscription after the change, as stored when refused, or None when not found.")
      .def_readonly("adjustments", &SubscriptionChange::adjustments,
                    "The SubscriptionAdjustments a prorated change_plan added (credit, then charge).")
      .def_property_readonly("ok", &SubscriptionChange::ok, "True when the change was made (result OK).")
      .def("__bool__", &SubscriptionChange::ok)
      .def("__repr__", [](const SubscriptionChange& c) {
        return fmt::format("SubscriptionChange(result={}, subscription={}, version={})", repr_of(c.result),
                           c.subscription ? repr_of(c.subscription->id) : std::string("None"),
                           c.subscription ? std::to_string(c.subscription->version) : std::string("None"));
      });

  bind_page<Subscription>(m, "SubscriptionPage", "books.subscriptions.list", "The subscriptions of this page, in id order.");

  m.def(
      "subscription_transitions", &subscription_transitions,
      "The (from, to) pairs of SubscriptionStatus that the status table allows, row by row; every other pair is\n"
      "refused.");
  m.def(
      "billing_date",
      [](const TimeArg& origin, PlanInterval interval, const IntArg& anchor_day, const IntArg& n) {
        return datetime_result(billing_date(timestamp_from_py(origin.value, "origin"), interval,
                                            anchor_day_from_py(anchor_day.value), int64_from_py(n.value, "n")));
      },
      py::arg("origin"), py::arg("interval"), py::arg("anchor_day"), py::arg("n"),
      "The n-th billing date of a cycle that starts at origin (aware datetime): origin + n days or weeks, or for\n"
      "MONTH and YEAR the month n (or 12n) months on, on day min(anchor_day, the month's days), at origin's time\n"
      "of day. A cycle anchored on the 31st bills on 28 or 29 February, then on 31 March again.");
  m.def(
      "prorate",
      [](const Money& fee, const TimeArg& period_start, const TimeArg& period_end, const TimeArg& from_time,
         const TimeArg& to_time) {
        return prorate(fee, timestamp_from_py(period_start.value, "period_start"),
                       timestamp_from_py(period_end.value, "period_end"), timestamp_from_py(from_time.value, "from_time"),
                       timestamp_from_py(to_time.value, "to_time"));
      },
      py::arg("fee"), py::arg("period_start"), py::arg("period_end"), py::arg("from_time"), py::arg("to_time"),
      "fee x (to_time - from_time) / (period_end - period_start), by microseconds, to the minor unit, half to\n"
      "even. InvalidArgument (period) unless period_start <= from_time <= to_time <= period_end.");
}

void bind_subscriptions(py::module_& m) {
  py::class_<Subscriptions>(m, "Subscriptions", "Subscriptions of accounts to plans: books.subscriptions.")
      .def(
          "create",
          [](Subscriptions& subscriptions, const Text& account_id, const Text& plan_code, const TimeArg& start,
             const OptionalIntArg& anchor_day, const IntArg& trial_days, const std::optional<Text>& id) {
            SubscriptionRequest request{.id = optional_id<SubscriptionId>(id),
                                        .account_id = AccountId(account_id.value),
                                        .plan = plan_code.value,
                                        .start = timestamp_from_py(start.value, "start")};
            if (!anchor_day.value.is_none()) request.anchor_day = anchor_day_from_py(anchor_day.value);
            const std::uint64_t trial = uint64_from_py(trial_days.value, "trial_days");
            if (trial > k_max_trial_days) {
              throw InvalidArgument("trial_days", fmt::format("{} is beyond the longest trial, {} days", trial,
                                                              k_max_trial_days));
            }
            request.trial_days = static_cast<std::uint32_t>(trial);
            py::gil_scoped_release release;
            return subscriptions.create(request);
          },
          py::arg("account_id"), py::arg("plan_code"), py::kw_only(), py::arg("start"),
          py::arg("anchor_day") = py::none(), py::arg("trial_days") = 0, py::arg("id") = py::none(),
          "Subscribes the account to the plan from start (an aware datetime); returns a SubscriptionOutcome.\n\n"
          "anchor_day (1 to 31, monthly and yearly plans only) is the day the cycle bills on, clamped to the\n"
          "month's end; without it, the day of the first paid period's start. Another day makes the first period\n"
          "a stub up to that day, its flat fee prorated. trial_days (0 to 730) makes a first, unbilled period\n"
          "(TRIALING). id is made by the books' IdSource when None. InvalidArgument names the field at fault,\n"
          "and nothing is stored then.")
      .def(
          "get",
          [](Subscriptions& subscriptions, const Text& id) {
            const SubscriptionId key(id.value);
            py::gil_scoped_release release;
            return subscriptions.get(key);
          },
          py::arg("id"), "The Subscription with this id, or None.")
      .def(
          "list",
          [](Subscriptions& subscriptions, const std::optional<Text>& account_id,
             std::optional<SubscriptionStatus> status, const Text& cursor, const IntArg& limit) {
            const auto count = static_cast<std::size_t>(uint64_from_py(limit.value, "limit"));
            const std::optional<AccountId> account = optional_id<AccountId>(account_id);
            std::optional<std::string> after;
            if (!cursor.value.empty()) after = cursor.value;
            py::gil_scoped_release release;
            return subscriptions.list(account, status, after, count);
          },
          py::arg("account_id") = py::none(), py::arg("status") = py::none(), py::kw_only(), py::arg("cursor") = "",
          py::arg("limit") = 100,
          "One SubscriptionPage of up to limit (1 to 1,000) subscriptions in id order, of account_id and in\n"
          "status only when given. cursor is the previous page's next_cursor, or \"\" for the first page.")
      .def(
          "cancel",
          [](Subscriptions& subscriptions, const Text& id, bool at_period_end,
             const OptionalIntArg& expected_version) {
            const SubscriptionId key(id.value);
            const std::optional<std::uint64_t> version = optional_uint64(expected_version, "expected_version");
            py::gil_scoped_release release;
            return subscriptions.cancel(key, at_period_end ? CancelAt::period_end : CancelAt::now, version);
          },
          py::arg("id"), py::kw_only(), py::arg("at_period_end").noconvert() = false,
          py::arg("expected_version") = py::none(),
          "Cancels now (CANCELED; the current period is never billed), or with at_period_end=True once the\n"
          "current period is billed. Returns a SubscriptionChange.")
      .def(
          "pause",
          [](Subscriptions& subscriptions, const Text& id, const OptionalIntArg& expected_version) {
            const SubscriptionId key(id.value);
            const std::optional<std::uint64_t> version = optional_uint64(expected_version, "expected_version");
            py::gil_scoped_release release;
            return subscriptions.pause(key, version);
          },
          py::arg("id"), py::kw_only(), py::arg("expected_version") = py::none(),
          "ACTIVE or PAST_DUE -> PAUSED: not billed until resumed. Returns a SubscriptionChange.")
      .def(
          "resume",
          [](Subscriptions& subscriptions, const Text& id, const OptionalIntArg& expected_version) {
            const SubscriptionId key(id.value);
            const std::optional<std::uint64_t> version = optional_uint64(expected_version, "expected_version");
            py::gil_scoped_release release;
            return subscriptions.resume(key, version);
          },
          py::arg("id"), py::kw_only(), py::arg("expected_version") = py::none(),
          "PAUSED -> ACTIVE. Returns a SubscriptionChange.")
      .def(
          "change_plan",
          [](Subscriptions& subscriptions, const Text& id, const Text& plan_code, Proration proration,
             const OptionalIntArg& expected_version) {
            const SubscriptionId key(id.value);
            const std::optional<std::uint64_t> version = optional_uint64(expected_version, "expected_version");
            py::gil_scoped_release release;
            return subscriptions.change_plan(key, plan_code.value, proration, version);
          },
          py::arg("id"), py::arg("plan_code"), py::kw_only(),
          py::arg_v("proration", Proration::by_seconds, "Proration.BY_SECONDS"),
          py::arg("expected_version") = py::none(),
          "Moves the subscription to plan_code (same interval and currency). BY_SECONDS adds a credit for the\n"
          "unused part of the running plan's fee and a charge for the rest of the new one's to the current\n"
          "period (in .adjustments); NONE leaves this period's fee as it is. Returns a SubscriptionChange.")
      .def(
          "set_status",
          [](Subscriptions& subscriptions, const Text& id, SubscriptionStatus status,
             const OptionalIntArg& expected_version) {
            const SubscriptionId key(id.value);
            const std::optional<std::uint64_t> version = optional_uint64(expected_version, "expected_version");
            py::gil_scoped_release release;
            return subscriptions.set_status(key, status, version);
          },
          py::arg("id"), py::arg("status"), py::kw_only(), py::arg("expected_version") = py::none(),
          "Moves the status along the table (billing.subscription_transitions()). Returns a SubscriptionChange.")
      .def(
          "adjustments",
          [](Subscriptions& subscriptions, const Text& id, const TimeArg& period_start) {
            const SubscriptionId key(id.value);
            const Timestamp start = timestamp_from_py(period_start.value, "period_start");
            py::gil_scoped_release release;
            return subscriptions.adjustments(key, start);
          },
          py::arg("id"), py::arg("period_start"),
          "The SubscriptionAdjustments the invoice of the period starting at period_start carries, in order.")
      .def("__repr__", [](const Subscriptions&) { return std::string("<billing.Subscriptions: books.subscriptions>"); });
}

}  // namespace billing::python
