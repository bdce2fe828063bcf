"""The demo, in Python: the same month of a small API business as examples/demo/demo.cpp, on an embedded SQLite file
in the working directory.

  1. plans (a flat fee, graduated usage tiers, a monthly quota), 300 customers, their subscriptions and API keys;
  2. a month of API traffic: over 1,000,000 usage events in batches, each batch authenticated by its API key,
     checked against the customer's quota and recorded in one unit of work with it;
  3. a few orders moved through their status table;
  4. the billing run on April 1: one invoice per subscription and period, numbered and posted to the ledger;
  5. collections through the scripted gateway: approvals, declines, transient errors retried on the job queue,
     dead letters and dunning;
  6. the invoices, the trial balance, the health report, verify, and a ledger-cli journal to check it with.

Run it again on the same file: every event is a duplicate, every invoice exists, and nothing is billed or charged
twice.
Run: PYTHONPATH=build/python /usr/bin/python3 examples/demo/demo.py [path (billing-demo.db)] [--events N]
"""
import argparse
import datetime
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Union

import billing
from billing import InvoiceLineKind, InvoiceStatus, Money, OrderStatus, ScriptStep, Tier

UTC = datetime.timezone.utc
MONTH_START = datetime.datetime(2026, 3, 1, tzinfo=UTC)
MONTH_END = datetime.datetime(2026, 4, 1, tzinfo=UTC)
CUSTOMERS = 300
BATCH = 500  # calls per request batch


def customer_id(n: int) -> str:
    return f"cus_{n:04}"


def on_growth(n: int) -> bool:
    return n % 5 == 0  # 60 customers on growth, 240 on starter


def in_trial(n: int) -> bool:
    return n % 10 == 3  # 30 start with a 14-day trial


def monthly_calls(n: int) -> int:
    """The calls a customer makes in a month, before scaling: starter 1,000 to 3,500 (a few go past the 6,000
    quota), growth 7,500 to 12,000."""
    if on_growth(n):
        return 7500 + n * 37 % 10 * 500
    if n % 41 == 0:
        return 8000
    return 1000 + n * 13 % 6 * 500


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def heading(title: str) -> None:
    print(f"\n== {title}")


class Progress:
    """A progress bar on a terminal, and a line every quarter otherwise (a log, a CI job)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.tty, self.next_line = label, total, sys.stdout.isatty(), 25

    def update(self, done: int) -> None:
        percent = done * 100 // max(self.total, 1)
        if self.tty:
            filled = percent * 40 // 100
            print(f"\r  {self.label} [{'#' * filled}{'.' * (40 - filled)}] {percent:3}%  {done:>9,} of {self.total:,}",
                  end="\n" if done == self.total else "", flush=True)
        elif percent >= self.next_line or done == self.total:
            print(f"  {self.label}: {percent:3}% ({done:,} of {self.total:,})")
            self.next_line = percent // 25 * 25 + 25


# ------------------------------------------------------------------------------------------ 1. the business

def define_plans(books: billing.Books) -> None:
    books.usage.define_meter("api_calls", billing.Aggregation.COUNT, unit="call")
    books.usage.define_meter("quota_calls", billing.Aggregation.SUM, unit="call")

    def tiers(free: str, up_to: str, rate: str, beyond: str) -> billing.Price:
        """Graduated: the first `free` calls cost nothing, then `rate` up to `up_to`, then `beyond`."""
        return billing.Price.graduated([Tier(free, 0), Tier(up_to, rate), Tier(None, beyond)], "USD")

    books.plans.create("starter", "USD", flat_fee=usd("19.00"), quota=6000, quota_meter="quota_calls",
                       charges={"api_calls": tiers("1000", "5000", "0.002", "0.001")})
    books.plans.create("growth", "USD", flat_fee=usd("99.00"), quota=40000, quota_meter="quota_calls",
                       charges={"api_calls": tiers("10000", "25000", "0.0015", "0.0008")})


def open_customers(books: billing.Books) -> tuple[dict[int, str], bool]:
    """Opens the customers and their subscriptions (both idempotent by id), and gives each customer a fresh API key,
    revoking the one a previous run gave (the secret is shown once, so a rerun rotates keys). Returns the secrets by
    customer number, and whether the customers existed already."""
    secrets: dict[int, str] = {}
    existed = False
    for n in range(1, CUSTOMERS + 1):
        plan = "growth" if on_growth(n) else "starter"
        opened = books.accounts.create("USD", f"Customer {n:04}", id=customer_id(n))
        existed = existed or opened.result is billing.AccountResult.EXISTS
        books.subscriptions.create(customer_id(n), plan, start=MONTH_START, id=f"sub_{n:04}",
                                   trial_days=14 if in_trial(n) else 0)
        for old in books.api_keys.list(customer_id(n)).items:
            if old.status is billing.ApiKeyStatus.ACTIVE:
                books.api_keys.revoke(old.id)
        secrets[n] = books.api_keys.create(customer_id(n), plan)[1]
    return secrets, existed


# ------------------------------------------------------------------------------------------ 2. the traffic

@dataclass
class Traffic:
    recorded: int = 0
    duplicates: int = 0
    over_quota: int = 0  # calls refused with QUOTA_EXCEEDED
    unauthorized: int = 0


@dataclass
class Batch:
    customer: int
    serial: int  # the customer's n-th batch
    calls: int


def schedule(events: int) -> list[Batch]:
    """Every customer's month as batches of BATCH calls, interleaved so that the month's traffic is spread evenly;
    scaled to at least `events` calls in all."""
    natural = sum(monthly_calls(n) for n in range(1, CUSTOMERS + 1))
    per_customer = {}
    for n in range(1, CUSTOMERS + 1):
        share = -(-monthly_calls(n) * events // natural)  # rounded up, so the total is at least `events`
        per_customer[n] = [Batch(n, i, BATCH) for i in range(max(1, -(-share // BATCH)))]
    longest = max(len(batches) for batches in per_customer.values())
    return [per_customer[n][r] for r in range(longest) for n in range(1, CUSTOMERS + 1) if r < len(per_customer[n])]


def handle(books: billing.Books, secret: str, batch: Batch, at: datetime.datetime, traffic: Traffic) -> None:
    """One request batch at the API's edge: the key from the secret (401 without one), then the quota for the whole
    batch and the batch's events in one unit of work, so that a batch counts against the quota exactly when its
    events are recorded. A retried batch (the same request id and event ids) consumes and records nothing again."""
    key = books.api_keys.authenticate(secret)
    if key is None:
        traffic.unauthorized += batch.calls
        return
    events = [billing.UsageEvent("api_calls", key.subject, 1, id=f"evt_{key.subject}_{batch.serial}_{i}",
                                 at=at + datetime.timedelta(microseconds=i)) for i in range(batch.calls)]
    with books.transaction():  # commits when the block ends
        decision = books.quotas.consume(key.subject, key.plan, batch.calls, request_id=f"batch_{batch.serial}")
        if not decision.allowed:
            traffic.over_quota += batch.calls
            return  # denied: nothing was consumed, and nothing is recorded
        results = books.usage.record_batch(events)
    ok = sum(1 for result in results if result is billing.RecordResult.OK)
    traffic.recorded += ok
    traffic.duplicates += len(results) - ok


def simulate(books: billing.Books, clock: billing.ManualClock, secrets: dict[int, str], events: int) -> Traffic:
    batches = schedule(events)
    progress = Progress("usage events", sum(b.calls for b in batches))
    traffic = Traffic()
    done = 0
    for i, batch in enumerate(batches):
        at = MONTH_START + (MONTH_END - MONTH_START) * i / len(batches)
        clock.set(at)
        handle(books, secrets[batch.customer], batch, at, traffic)
        done += batch.calls
        if i % 20 == 0 or i + 1 == len(batches):
            progress.update(done)
    # A stolen key's request, for the record: refused before it reaches the quota.
    handle(books, "bk_live_not_a_key", Batch(0, 0, 1), MONTH_END - datetime.timedelta(seconds=1), traffic)
    return traffic


# ------------------------------------------------------------------------------------------ 3. orders

def move_orders(books: billing.Books) -> None:
    stories: list[tuple[str, str, list[OrderStatus]]] = [
        ("ord_0001", "Ada Lovelace", [OrderStatus.PROCESSING, OrderStatus.COMPLETED]),
        ("ord_0002", "Grace Hopper", [OrderStatus.PROCESSING, OrderStatus.COMPLETED]),
        ("ord_0003", "Alan Turing", [OrderStatus.CANCELLED]),
        ("ord_0004", "Edsger Dijkstra", [OrderStatus.PROCESSING]),
        ("ord_0005", "Barbara Liskov", [])]
    lines = [billing.OrderLine("Support plan, 1 year", 1, usd("480.00")),
             billing.OrderLine("Onboarding hours", 3, usd("150.00"))]
    for order_id, name, moves in stories:
        placed = books.orders.create(name, f"{order_id[4:]}@example.com", lines, id=order_id)
        order = placed.order
        assert order is not None
        if placed.result is not billing.OrderResult.OK:
            print(f"  {order_id} {name:<16} {order.total!s:>10}  {order.status.value} (placed and moved by an earlier run)")
            continue
        path = order.status.value
        for to in moves:
            moved = books.orders.transition(order.id, to, expected_version=order.version, reason="demo")
            if moved.ok and moved.order is not None:
                order = moved.order
                path += f" -> {to.value}"
            else:
                path += f" (-> {to.value}: {moved.result.value})"
        print(f"  {order_id} {name:<16} {order.total!s:>10}  {path}")


# ------------------------------------------------------------------------------------------ 5. collections

def make_gateway(invoices: int) -> billing.ScriptedGateway:
    """The scripted gateway's answers, in the order charges arrive: the first round charges every invoice once (every
    23rd declined, every 17th an error, one timeout); the errors' first retries (one in three fails again); their
    second retries (all fail: dead letters)."""
    script = []
    for i in range(invoices):
        script.append(ScriptStep.DECLINE if i % 23 == 5 else ScriptStep.ERROR if i % 17 == 9
                      else ScriptStep.TIMEOUT if i == 42 else ScriptStep.APPROVE)
    errors = script.count(ScriptStep.ERROR)
    again = [ScriptStep.ERROR if i % 3 == 0 else ScriptStep.APPROVE for i in range(errors)]
    return billing.ScriptedGateway(script + again + [ScriptStep.ERROR] * again.count(ScriptStep.ERROR))


def card_on_file(invoice: billing.Invoice) -> Optional[dict[str, Union[str, int]]]:
    n = int(invoice.account_id[4:])
    if n == 7:
        return None  # no payment method on file
    expired = n == 11  # a card that expired in January
    return {"card_number": "4242 4242 4242 4242", "expiry_month": 1 if expired else 12,
            "expiry_year": 2026 if expired else 2030, "cvc": "123", "email": f"billing@customer-{n:04}.example.com"}


def print_round(name: str, r: billing.CollectionReport) -> None:
    print(f"  {name:<26} jobs {r.jobs:>3}  new payments {r.payments_created:>3}  retries {r.retries:>3}  "
          f"paid {r.paid:>3}  retrying {r.retrying:>3}  dunned {r.dunned:>3}  unknown {r.unknown:>2}")
    for skip in r.skipped[:3]:
        print(f"      {skip.invoice_id}: {skip.reason}")
    if len(r.skipped) > 3:
        print(f"      ... and {len(r.skipped) - 3} more")


def collect(books: billing.Books, clock: billing.ManualClock, invoices: int) -> None:
    gateway = make_gateway(invoices)
    books.payments.configure(max_attempts=3, base_delay=datetime.timedelta(minutes=10),
                             max_delay=datetime.timedelta(hours=1))
    clock.set(MONTH_END + datetime.timedelta(hours=1))
    print_round("first charges", books.collections.run(gateway, card_on_file))
    reconciled = books.payments.reconcile(gateway)
    looked_up = reconciled[0].payment.status.value if reconciled and reconciled[0].payment else "none"
    print(f"  {'reconcile':<26} {len(reconciled)} payment(s) whose answer was lost, looked up: {looked_up}")
    for hours in (2, 4):
        clock.advance(datetime.timedelta(hours=2))
        print_round(f"retries, {hours} hours later", books.collections.run(gateway, card_on_file))
    print(f"  gateway: {gateway.charge_calls} charges sent, {len(gateway.charges)} taken")


# ------------------------------------------------------------------------------------------ 6. reports

def all_invoices(books: billing.Books) -> list[billing.Invoice]:
    found: list[billing.Invoice] = []
    cursor = ""
    while True:
        page = books.invoices.list(cursor=cursor, limit=1000)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def print_invoices(books: billing.Books) -> None:
    invoices = sorted(all_invoices(books), key=lambda i: i.number or 0)
    tally: dict[InvoiceStatus, tuple[int, Money]] = {}
    print(f"  {'number':<11} {'customer':<9} {'period':<10} {'calls':>8} {'usage':>10} {'total':>10}  status")
    shown = 0
    for invoice in invoices:
        count, total = tally.get(invoice.status, (0, usd("0")))
        tally[invoice.status] = (count + 1, total + invoice.total)
        if shown >= 14 or (shown >= 8 and invoice.status is InvoiceStatus.PAID):
            continue
        shown += 1
        usage = [line for line in invoice.lines if line.kind is InvoiceLineKind.USAGE]
        calls, amount = (usage[0].quantity, usage[0].amount) if usage else (Decimal(0), usd("0"))
        print(f"  {invoice.number_text or '-':<11} {invoice.account_id:<9} {invoice.period_start.date()!s:<10} "
              f"{calls!s:>8} {amount!s:>10} {invoice.total!s:>10}  {invoice.status.value}")
    summary = "  ".join(f"{count} {status.value} ({total})" for status, (count, total) in sorted(
        tally.items(), key=lambda item: item[0].value))
    print(f"  ... {len(invoices)} invoices in all:  {summary}")


def print_trial_balance(books: billing.Books) -> None:
    """Customers in one line (300 accounts); every other account on its own."""
    rows: dict[str, list[int]] = {}
    cursor = ""
    while True:
        page = books.accounts.list(cursor=cursor, limit=1000)
        for account in page.items:
            balance = books.ledger.balance(account.id)
            assert balance is not None
            name = "customers (receivable, 300 accounts)" if account.id.startswith("cus_") else account.id
            row = rows.setdefault(name, [0, 0])
            row[0] += balance.totals.debits_posted
            row[1] += balance.totals.credits_posted
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    def money(cents: int) -> str:
        return str(Money(Decimal(cents).scaleb(-2), "USD"))

    print(f"  {'account':<38} {'debits':>14} {'credits':>14}")
    for name, (debits, credits) in sorted(rows.items()):
        if debits or credits:
            print(f"  {name:<38} {money(debits):>14} {money(credits):>14}")
    debits, credits = sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())
    print(f"  {'total':<38} {money(debits):>14} {money(credits):>14}  "
          f"{'balanced' if debits == credits else 'NOT BALANCED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="billing-demo.db")
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many usage events")
    args = parser.parse_args()
    started = time.monotonic()
    clock = billing.ManualClock(MONTH_START)
    books = billing.open(args.path, clock=clock)
    print(f"billing demo on {args.path} (SQLite), simulating March 2026")

    heading("1. plans, customers, subscriptions, API keys")
    define_plans(books)
    secrets, rerun = open_customers(books)
    print("  plans starter ($19/month, 6,000 calls) and growth ($99/month, 40,000 calls), graduated usage tiers")
    print(f"  {CUSTOMERS} customers, {CUSTOMERS} subscriptions ({CUSTOMERS // 10} in a 14-day trial), {CUSTOMERS} API "
          f"keys{' (rotated: this file was set up by an earlier run)' if rerun else ''}")

    heading("2. a month of API traffic")
    traffic = simulate(books, clock, secrets, args.events)
    print(f"  recorded {traffic.recorded:,}, duplicates {traffic.duplicates:,} (a retried batch, or a rerun, counts "
          f"once), over quota {traffic.over_quota:,}, unauthorized {traffic.unauthorized:,}")

    heading("3. orders")
    move_orders(books)

    heading("4. the billing run, April 1")
    clock.set(MONTH_END)
    billed = books.run_billing(MONTH_END)
    print(f"  periods billed {billed.subscriptions_billed}, invoices created {billed.invoices_created}, trials ended "
          f"{billed.trials_ended}, payment jobs {billed.payment_jobs}, total {billed.totals.get('USD', usd('0'))}")
    for skip in billed.skipped:
        print(f"  skipped {skip.subscription_id}: {skip.reason}")

    heading("5. collections through the scripted gateway")
    collect(books, clock, billed.invoices_created)

    heading("6. invoices")
    print_invoices(books)
    heading("trial balance")
    print_trial_balance(books)
    heading("health")
    print(books.health().to_table(), end="")
    heading("verify")
    verified = books.ledger.verify()
    print(f"  {'ok' if verified.ok else 'BROKEN'}: {verified.entries_checked} entries, {verified.postings_checked} "
          f"postings, {verified.accounts_checked} accounts checked{'' if verified.ok else ': ' + verified.problem}")
    journal = f"{args.path}.ledger"
    with open(journal, "w", encoding="utf-8") as out:
        out.write(books.ledger.export("ledger"))
    print(f"  ledger-cli journal: {journal}\n  check it: ledger -f {journal} bal")

    billed_twice = rerun and (billed.invoices_created != 0 or traffic.recorded != 0)
    rerun_note = " This file was billed before: nothing was recorded, billed or charged twice." if rerun else ""
    print(f"\n{'FAILED: a rerun billed again' if billed_twice else 'done'} in {time.monotonic() - started:.1f} s."
          f"{rerun_note}")
    return 0 if verified.ok and not billed_twice else 1


if __name__ == "__main__":
    sys.exit(main())
