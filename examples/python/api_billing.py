"""The usage-based API billing seed: API keys on a plan with a quota of 10,000 calls a month and a throttle of
100 calls a second, usage per key, and graduated pricing tiers. A key is created on the plan, calls go past the
throttle (RATE_LIMITED) and past the quota (QUOTA_EXCEEDED), and the month is priced from each key's usage
total. Each allowed call is recorded on the plan's meter in the same unit of work as the quota, so the invoice
counts exactly the calls that were let through.

On an embedded SQLite file, with a manual clock so that a second of calls takes no time.
Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/api_billing.py
"""
import datetime
import pathlib
import sys
import tempfile
from decimal import Decimal
from typing import Optional

import billing
from billing import Aggregation, ApiKey, ChargeLine, Money, Plan, PlanInterval, Price, QuotaDecision, QuotaReason, Tier

START = datetime.datetime(2026, 3, 28, 9, 0, tzinfo=datetime.timezone.utc)
MONTH_START = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
TICK = datetime.timedelta(milliseconds=10)


def handle(books: billing.Books, secret: str) -> Optional[QuotaDecision]:
    """What the seed's gateway does for each request: the key from the secret (401 without one), then the key's
    plan decides (429 when denied). Usage is kept per key, so the key id is the quota's subject."""
    key = books.api_keys.authenticate(secret)
    if key is None:
        return None
    return books.quotas.consume(key.id, key.plan)


def allowed(books: billing.Books, secret: str) -> bool:
    decision = handle(books, secret)
    assert decision is not None, "the key should authenticate"
    return decision.allowed


def authenticated(books: billing.Books, secret: str) -> str:
    key = books.api_keys.authenticate(secret)
    return f"{key.id} ({key.subject} on {key.plan})" if key is not None else "none"


def duration_text(delta: datetime.timedelta) -> str:
    if delta < datetime.timedelta(seconds=1):
        return f"{delta // datetime.timedelta(milliseconds=1)} ms"
    return str(delta)


def tier_label(line: ChargeLine) -> str:
    return f"calls {line.start + 1} to {line.up_to}" if line.up_to is not None else f"calls above {line.start}"


def print_invoice(plan: Plan, key: ApiKey, calls: Decimal) -> Money:
    """One key's month as invoice lines: a line per tier reached, the plan's flat fee, and the total."""
    usage = plan.charges["api_calls"].charge(calls)
    fee = plan.flat_fee if plan.flat_fee is not None else Money("0", plan.currency)
    print(f"{key.id} ({key.subject}): {calls} calls")
    for line in usage.lines:
        print(f"  {tier_label(line):<22} {line.quantity:>6} x {line.unit_price!s:<6} = {line.amount:>10}")
    total = usage.amount + fee
    print(f"  {'monthly fee':<40}{fee:>10}\n  {'total':<40}{total:>10}")
    return total


def main() -> int:
    clock = billing.ManualClock(START)
    with tempfile.TemporaryDirectory() as directory:
        # synchronous=NORMAL: a power cut may lose the last few counted calls, which a throttle can afford.
        books = billing.open(pathlib.Path(directory) / "api.db", durability=billing.Durability.NORMAL, clock=clock,
                             ids=billing.SequentialIds(""))
        books.usage.define_meter("api_calls", Aggregation.COUNT, unit="call")
        # The first 1,000 calls free, the next 4,000 at 0.002 USD, the rest at 0.001 USD.
        calls_price = Price.graduated([Tier(1_000, 0), Tier(5_000, "0.002"), Tier(None, "0.001")], "USD")
        plan = books.plans.create("api-pro", "USD", interval=PlanInterval.MONTH, flat_fee=Money("29.00", "USD"),
                                  quota=10_000, quota_meter="api_calls", rate_per_second=100, burst=100,
                                  charges={"api_calls": calls_price}).plan
        print(f"plan {plan.code}: {plan.flat_fee} a month, {plan.quota} calls a month, "
              f"{plan.rate_per_second} calls/s (burst {plan.burst})")

        # The secret is handed to the customer once; only its hash is stored, and only the key id is printed.
        keys = [books.api_keys.create(customer, "api-pro") for customer in ("acme", "globex", "initech")]
        for key, _ in keys:
            print(f"  key {key.id} for {key.subject}")
        (acme_key, acme), (_, globex), (initech_key, initech) = keys
        wrong = acme[:-1] + ("b" if acme[-1] == "a" else "a")
        print(f"authenticate acme's secret:  {authenticated(books, acme)}")
        print(f"authenticate a wrong secret: {authenticated(books, wrong)}")
        ok = books.api_keys.authenticate(wrong) is None

        # initech makes 300 calls, then its key is revoked.
        for _ in range(300):
            ok = allowed(books, initech) and ok
            clock.advance(TICK)
        revoked = books.api_keys.revoke(initech_key.id)
        print(f"initech: 300 calls, then revoke {initech_key.id}: {revoked.value}; "
              f"its secret now: {authenticated(books, initech)}")
        ok = ok and revoked is billing.RevokeResult.OK and handle(books, initech) is None

        # A burst of 120 calls in one instant: the bucket holds 100.
        decisions = [handle(books, acme) for _ in range(120)]
        denied = [d for d in decisions if d is not None and not d.allowed]
        print(f"acme, 120 calls at once: {120 - len(denied)} allowed, {len(denied)} {denied[0].reason.name} "
              f"(retry after {duration_text(denied[0].retry_after)})")
        ok = ok and len(denied) == 20 and denied[0].reason is QuotaReason.RATE_LIMITED

        # Then steady at the throttle's rate, globex at a quarter of it, until acme's quota runs out.
        acme_allowed = globex_allowed = 0
        tick = 0
        while True:
            clock.advance(TICK)
            last = handle(books, acme)
            assert last is not None
            if not last.allowed:
                break
            acme_allowed += 1
            if tick % 4 == 0 and allowed(books, globex):
                globex_allowed += 1
            tick += 1
        print(f"then one call each 10 ms: acme {acme_allowed} more, globex {globex_allowed}")
        reset = clock.now() + last.retry_after
        print(f"acme's next call at {clock.now():%Y-%m-%d %H:%M:%S.%f}: {last.reason.name}, remaining {last.remaining}")
        print(f"  retry after {duration_text(last.retry_after)} (at {reset:%Y-%m-%d %H:%M})")
        ok = ok and last.reason is QuotaReason.QUOTA_EXCEEDED and reset == datetime.datetime(
            2026, 4, 1, tzinfo=datetime.timezone.utc)

        # March is over: the quota starts again with April.
        clock.set(reset)
        april = handle(books, acme)
        assert april is not None
        print(f"acme on {reset:%Y-%m-%d}: {april.reason.name}, remaining {april.remaining}")

        # Price March from the usage each key recorded in it.
        print(f"\ninvoices for {MONTH_START:%Y-%m-%d} to {reset:%Y-%m-%d}")
        billed = Money("0", "USD")
        for key, _ in keys:
            billed += print_invoice(plan, key, books.usage.total("api_calls", key.id, start=MONTH_START, end=reset))
        print(f"billed in all: {billed}")
        ok = ok and books.usage.total("api_calls", acme_key.id, start=MONTH_START, end=reset) == 10_000
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
