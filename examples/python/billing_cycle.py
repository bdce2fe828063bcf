"""Subscriptions, invoices and the billing run: three customers on monthly plans (one anchored on the 31st, one
with a trial), API usage priced with graduated tiers, a prorated upgrade, and three months billed by
run_billing, which a second run for the same date leaves alone. On an embedded SQLite file, with a manual clock.
Run: PYTHONPATH=build/python python3 examples/python/billing_cycle.py
"""
import datetime
import pathlib
import sys
import tempfile

import billing
from billing import Proration

UTC = datetime.timezone.utc


def day(month: int, d: int) -> datetime.datetime:
    return datetime.datetime(2026, month, d, tzinfo=UTC)


def usd(amount: str) -> billing.Money:
    return billing.Money(amount, "USD")


def main() -> int:
    clock = billing.ManualClock(day(1, 1))
    with tempfile.TemporaryDirectory() as directory:
        books = billing.open(pathlib.Path(directory) / "billing.db", clock=clock, ids=billing.SequentialIds(""))
        books.usage.define_meter("api_calls", billing.Aggregation.COUNT)
        tiers = billing.Price.graduated([billing.Tier("1000", "0"), billing.Tier(None, "0.002")], "USD")
        books.plans.create("starter", "USD", flat_fee=usd("29.00"), charges={"api_calls": tiers})
        books.plans.create("team", "USD", flat_fee=usd("99.00"), charges={"api_calls": tiers})
        for customer in ("acme", "globex", "initech"):
            books.accounts.create("USD", customer.title(), id=customer)

        acme = books.subscriptions.create("acme", "starter", start=day(1, 31), id="sub-acme").subscription
        globex = books.subscriptions.create("globex", "starter", start=day(2, 1), id="sub-globex").subscription
        initech = books.subscriptions.create("initech", "starter", start=day(2, 1), trial_days=14,
                                             id="sub-initech").subscription
        assert acme and globex and initech
        print("subscriptions:")
        for sub in (acme, globex, initech):
            print(f"  {sub.id:<12} {sub.status.name:<9} period {sub.current_period_start:%b %d} to "
                  f"{sub.current_period_end:%b %d}")
        print("  (acme is anchored on the 31st: it bills on Feb 28, then on Mar 31)")

        # API calls through February and March: globex makes 1,800 a month, acme 400.
        for month in (2, 3):
            clock.set(day(month, 20))
            events = [billing.UsageEvent("api_calls", "globex", 1, id=f"g{month}-{i}", at=day(month, 10))
                      for i in range(1800)]
            events += [billing.UsageEvent("api_calls", "acme", 1, id=f"a{month}-{i}", at=day(month, 12))
                       for i in range(400)]
            books.usage.record_batch(events)

        for as_of in (day(3, 1), day(4, 1), day(5, 1)):
            clock.set(as_of)
            report = books.run_billing(as_of)
            print(f"run_billing({as_of:%b %d}): {report.subscriptions_billed} periods billed, "
                  f"{report.trials_ended} trial ended, totals {dict((k, str(v)) for k, v in report.totals.items())}")
            if as_of == day(3, 1):  # globex upgrades half-way through March: 16 of March's 31 days are left
                clock.set(day(3, 16))
                change = books.subscriptions.change_plan("sub-globex", "team", proration=Proration.BY_SECONDS)
                print(f"globex upgrades to team on Mar 16: {[str(a.amount) for a in change.adjustments]}")
        rerun = books.run_billing(day(5, 1))
        print(f"run_billing(May 01) again: {rerun.subscriptions_billed} periods billed")

        print("invoices:")
        invoices = sorted(books.invoices.list(limit=1000).items, key=lambda i: i.number or 0)
        for invoice in invoices:
            print(f"  {invoice.number_text} {invoice.account_id:<8} {invoice.period_start:%b %d}-"
                  f"{invoice.period_end:%b %d} {invoice.status.name:<5} {str(invoice.total):>10}")
            for line in invoice.lines:
                print(f"      {line.kind.name.lower():<10} {line.description:<40} {str(line.amount):>10}")
        verified = books.ledger.verify()
        print(f"ledger verify: {verified.ok}, {verified.entries_checked} entries")
        numbers = [invoice.number for invoice in invoices]
        ok = numbers == list(range(1, len(invoices) + 1)) and rerun.subscriptions_billed == 0 and verified.ok
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
