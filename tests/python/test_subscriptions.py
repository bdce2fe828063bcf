"""books.subscriptions, billing.billing_date and billing.prorate from Python, on both adapters
(docs/subscriptions.md). The rules are tested once in C++ (tests/contract/subscription_rules_contract_test.cpp);
these tests check what the binding adds (types, names, reprs, errors by field) and the calendar table against
Python's own calendar, which is independent of the library."""
import calendar
import csv
import datetime
import pathlib

import pytest

import billing
from billing import Proration, SubscriptionChangeResult, SubscriptionResult, SubscriptionStatus

UTC = datetime.timezone.utc
TABLE = pathlib.Path(__file__).parents[1] / "data" / "billing_dates.csv"


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def python_billing_date(origin: datetime.datetime, unit: str, anchor_day: int, n: int) -> datetime.datetime:
    if unit in ("day", "week"):
        return origin + datetime.timedelta(days=n * (1 if unit == "day" else 7))
    index = origin.year * 12 + origin.month - 1 + (n if unit == "month" else 12 * n)
    year, month = divmod(index, 12)
    return origin.replace(year=year, month=month + 1, day=min(anchor_day, calendar.monthrange(year, month + 1)[1]))


def test_the_calendar_table_agrees_with_python_and_with_the_library() -> None:
    units = {"day": billing.PlanInterval.DAY, "week": billing.PlanInterval.WEEK,
             "month": billing.PlanInterval.MONTH, "year": billing.PlanInterval.YEAR}
    with TABLE.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 2000
    for row in rows:
        origin, anchor, n, expected = at(row["origin"]), int(row["anchor_day"]), int(row["n"]), at(row["date"])
        assert python_billing_date(origin, row["unit"], anchor, n) == expected, row
        assert billing.billing_date(origin, units[row["unit"]], anchor, n) == expected, row


def test_billing_date_refuses_by_name() -> None:
    origin = at("2026-01-31T00:00:00Z")
    with pytest.raises(billing.InvalidArgument) as info:
        billing.billing_date(origin, billing.PlanInterval.MONTH, 0, 1)
    assert info.value.field == "anchor_day"
    with pytest.raises(billing.Overflow):
        billing.billing_date(origin, billing.PlanInterval.YEAR, 31, 10_000)
    with pytest.raises(ValueError):
        billing.billing_date(datetime.datetime(2026, 1, 31), billing.PlanInterval.MONTH, 31, 1)  # naive
    with pytest.raises(TypeError):
        billing.billing_date(origin, "month", 31, 1)  # type: ignore[arg-type]


def test_prorate_is_exact_to_the_minor_unit() -> None:
    start, end = at("2026-04-01T00:00:00Z"), at("2026-05-01T00:00:00Z")
    fee = billing.Money("30.00", "USD")
    assert billing.prorate(fee, start, end, at("2026-04-21T00:00:00Z"), end) == billing.Money("10.00", "USD")
    assert billing.prorate(billing.Money("0.03", "USD"), start, end, at("2026-04-16T00:00:00Z"), end) == \
        billing.Money("0.02", "USD")  # 0.015 rounds half to even
    with pytest.raises(billing.InvalidArgument) as info:
        billing.prorate(fee, end, start, start, end)
    assert info.value.field == "period"


def plans(books: billing.Books) -> None:
    for code, fee in (("basic", "30.00"), ("pro", "90.00")):
        assert books.plans.create(code, "USD", flat_fee=billing.Money(fee, "USD"))
    assert books.plans.create("yearly", "USD", interval=billing.PlanInterval.YEAR)


def test_a_subscription_is_created_and_reads_back(books: billing.Books, clock: billing.ManualClock) -> None:
    plans(books)
    made = books.subscriptions.create("cash", "basic", start=at("2026-01-31T10:00:00Z"), id="s1")
    assert made and made.result is SubscriptionResult.OK
    sub = made.subscription
    assert sub is not None
    assert sub.id == "s1" and sub.account_id == "cash" and sub.plan == "basic" and sub.anchor_day == 31
    assert sub.status is SubscriptionStatus.ACTIVE and sub.interval is billing.PlanInterval.MONTH
    assert sub.current_period_start == at("2026-01-31T10:00:00Z")
    assert sub.current_period_end == at("2026-02-28T10:00:00Z")
    assert sub.trial_end is None and sub.canceled_at is None and sub.version == 1
    assert books.subscriptions.get("s1") == sub
    assert books.subscriptions.get("nope") is None
    assert repr(sub) == ("Subscription(id='s1', account_id='cash', plan='basic', status=SubscriptionStatus.ACTIVE, "
                         "period='2026-01-31T10:00:00Z/2026-02-28T10:00:00Z', version=1)")
    assert repr(made) == "SubscriptionOutcome(result=SubscriptionResult.OK, subscription='s1')"
    again = books.subscriptions.create("cash", "basic", start=at("2026-01-31T10:00:00Z"), id="s1")
    assert again.result is SubscriptionResult.EXISTS and not again
    trial = books.subscriptions.create("cash", "basic", start=at("2026-01-20T00:00:00Z"), trial_days=14).subscription
    assert trial is not None and trial.status is SubscriptionStatus.TRIALING
    assert trial.trial_end == at("2026-02-03T00:00:00Z") and trial.period_index == -1
    assert books.subscriptions.create("nobody", "basic", start=at("2026-01-20T00:00:00Z")).result is \
        SubscriptionResult.ACCOUNT_NOT_FOUND
    assert books.subscriptions.create("cash", "nope", start=at("2026-01-20T00:00:00Z")).result is \
        SubscriptionResult.PLAN_NOT_FOUND


def test_arguments_are_typed_and_named(books: billing.Books) -> None:
    plans(books)
    start = at("2026-03-01T00:00:00Z")
    for kwargs, field in (({"anchor_day": 0}, "anchor_day"), ({"anchor_day": 32}, "anchor_day"),
                          ({"trial_days": 731}, "trial_days"), ({"trial_days": -1}, "trial_days")):
        with pytest.raises(billing.InvalidArgument) as info:
            books.subscriptions.create("cash", "basic", start=start, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
    with pytest.raises(ValueError):
        books.subscriptions.create("cash", "basic", start=datetime.datetime(2026, 3, 1))  # naive
    with pytest.raises(TypeError):
        books.subscriptions.create("cash", "basic", start="2026-03-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        books.subscriptions.cancel("s1", at_period_end=1)  # type: ignore[arg-type]
    assert books.subscriptions.list().items == []  # nothing was stored


def test_changes_follow_the_table_and_prorate(books: billing.Books, clock: billing.ManualClock) -> None:
    plans(books)
    sub = books.subscriptions.create("cash", "basic", start=at("2026-04-01T00:00:00Z"), id="s1").subscription
    assert sub is not None
    clock.set(at("2026-04-21T00:00:00Z"))
    change = books.subscriptions.change_plan("s1", "pro")  # BY_SECONDS by default
    assert change and [a.amount for a in change.adjustments] == [billing.Money("-10.00", "USD"),
                                                               billing.Money("30.00", "USD")]
    assert change.subscription is not None and change.subscription.running_plan == "pro"
    assert change.subscription.period_plan == "basic"
    assert books.subscriptions.adjustments("s1", at("2026-04-01T00:00:00Z")) == change.adjustments
    assert repr(change.adjustments[0]) == \
        "SubscriptionAdjustment(subscription_id='s1', sequence=1, amount=Money('-10.00', 'USD'))"
    assert books.subscriptions.change_plan("s1", "yearly", proration=Proration.NONE).result is \
        SubscriptionChangeResult.INTERVAL_MISMATCH
    assert books.subscriptions.pause("s1", expected_version=99).result is SubscriptionChangeResult.VERSION_CONFLICT
    assert books.subscriptions.pause("s1").subscription.status is SubscriptionStatus.PAUSED  # type: ignore[union-attr]
    assert books.subscriptions.resume("s1").ok
    end = books.subscriptions.cancel("s1", at_period_end=True)
    assert end.ok and end.subscription is not None and end.subscription.cancel_at_period_end
    done = books.subscriptions.cancel("s1")
    assert done.ok and done.subscription is not None and done.subscription.status is SubscriptionStatus.CANCELED
    assert books.subscriptions.resume("s1").result is SubscriptionChangeResult.TRANSITION_FORBIDDEN
    assert (SubscriptionStatus.CANCELED, SubscriptionStatus.ACTIVE) not in billing.subscription_transitions()
    assert len(billing.subscription_transitions()) == 10


def test_list_pages(books: billing.Books) -> None:
    plans(books)
    for sid in ("s3", "s1", "s2"):
        books.subscriptions.create("cash", "basic", start=at("2026-03-01T00:00:00Z"), id=sid)
    books.subscriptions.cancel("s2")
    first = books.subscriptions.list(limit=2)
    assert [s.id for s in first.items] == ["s1", "s2"] and first.next_cursor is not None
    assert repr(first) == f"SubscriptionPage(2 items, next_cursor={first.next_cursor!r})"
    rest = books.subscriptions.list(cursor=first.next_cursor, limit=2)
    assert [s.id for s in rest.items] == ["s3"] and rest.next_cursor is None
    assert [s.id for s in books.subscriptions.list("cash", SubscriptionStatus.CANCELED).items] == ["s2"]
    with pytest.raises(billing.InvalidArgument) as info:
        books.subscriptions.list(limit=1001)
    assert info.value.field == "limit"
