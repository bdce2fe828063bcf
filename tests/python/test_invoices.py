"""books.invoices from Python, on both adapters (docs/invoices.md). The rules are tested once in C++
(tests/contract/invoice_rules_contract_test.cpp); these tests check what the binding adds: types, names,
reprs, the tier breakdown as Python sees it, and the ledger entries a host can read back."""
import datetime
import decimal

import pytest

import billing
from billing import InvoiceLineKind, InvoiceResult, InvoiceStatus

UTC = datetime.timezone.utc
MARCH = datetime.datetime(2026, 3, 1, tzinfo=UTC)


def usd(amount: str) -> billing.Money:
    return billing.Money(amount, "USD")


def subscribed(books: billing.Books, clock: billing.ManualClock) -> billing.Subscription:
    books.usage.define_meter("api_calls", billing.Aggregation.COUNT)
    tiers = billing.Price.graduated([billing.Tier("1000", "0"), billing.Tier(None, "0.002")], "USD")
    assert books.plans.create("pro", "USD", flat_fee=usd("29.00"), charges={"api_calls": tiers})
    sub = books.subscriptions.create("cash", "pro", start=MARCH, id="s1").subscription
    assert sub is not None
    clock.set(datetime.datetime(2026, 3, 20, tzinfo=UTC))
    events = [billing.UsageEvent("api_calls", "cash", 1, id=f"e{i}", at=datetime.datetime(2026, 3, 10, tzinfo=UTC))
              for i in range(1500)]
    assert set(books.usage.record_batch(events)) == {billing.RecordResult.OK}
    return sub


def test_preview_then_the_period_invoice_once(books: billing.Books, clock: billing.ManualClock) -> None:
    sub = subscribed(books, clock)
    books.invoices.configure(tax_rate="0.2")
    preview = books.invoices.preview(sub.id)
    assert [line.kind for line in preview.lines] == [InvoiceLineKind.FLAT_FEE, InvoiceLineKind.USAGE,
                                                     InvoiceLineKind.TAX]
    usage = preview.lines[1]
    assert usage.quantity == decimal.Decimal(1500) and usage.amount == usd("1.00") and usage.meter == "api_calls"
    assert [tier.amount for tier in usage.tiers] == [usd("0.00"), usd("1.00")]
    assert preview.subtotal == usd("30.00") and preview.tax == usd("6.00") and preview.total == usd("36.00")
    assert preview.tax_rate == decimal.Decimal("0.2")
    assert books.invoices.list().items == []  # preview writes nothing

    made = books.invoices.create_for_period(sub.id)
    assert made and made.invoice is not None
    invoice = made.invoice
    assert invoice.status is InvoiceStatus.DRAFT and invoice.number is None and invoice.number_text is None
    assert invoice.lines == preview.lines and invoice.subscription_id == "s1" and invoice.account_id == "cash"
    assert books.invoices.create_for_period(sub.id).invoice == invoice  # once per period
    assert repr(invoice) == (f"Invoice(id={invoice.id!r}, number=None, account_id='cash', "
                             "status=InvoiceStatus.DRAFT, total=Money('36.00', 'USD'))")
    assert repr(usage) == "InvoiceLine(kind=InvoiceLineKind.USAGE, quantity=Decimal('1500'), amount=Money('1.00', 'USD'))"

    opened = books.invoices.finalize(invoice.id)
    assert opened.ok and opened.invoice is not None
    assert opened.invoice.number == 1 and opened.invoice.number_text == "INV-000001"
    assert opened.invoice.posted_entry == f"{invoice.id}:finalize"
    entry = books.ledger.entry(opened.invoice.posted_entry)
    assert entry is not None and len(entry.postings) == 3
    assert books.invoices.finalize(invoice.id).result is InvoiceResult.TRANSITION_FORBIDDEN
    assert books.invoices.mark_paid(invoice.id, expected_version=1).result is InvoiceResult.VERSION_CONFLICT
    paid = books.invoices.mark_paid(invoice.id)
    assert paid.ok and paid.invoice is not None and paid.invoice.status is InvoiceStatus.PAID
    balance = books.ledger.balance("cash")
    assert balance is not None and balance.net == usd("0.00")  # billed 36.00, then paid 36.00
    assert books.ledger.verify()
    assert (InvoiceStatus.PAID, InvoiceStatus.VOID) not in billing.invoice_transitions()


def test_void_and_lists(books: billing.Books, clock: billing.ManualClock) -> None:
    sub = subscribed(books, clock)
    invoice = books.invoices.create_for_period(sub.id).invoice
    assert invoice is not None
    assert books.invoices.finalize(invoice.id)
    voided = books.invoices.void(invoice.id)
    assert voided.ok and voided.invoice is not None and voided.invoice.voided_entry is not None
    assert voided.invoice.number == 1  # a void keeps its number
    assert [i.id for i in books.invoices.list(status=InvoiceStatus.VOID).items] == [invoice.id]
    assert books.invoices.list("cash", InvoiceStatus.OPEN).items == []
    page = books.invoices.list(limit=1)
    assert repr(page) == "InvoicePage(1 item, next_cursor=None)"
    assert books.invoices.get(invoice.id) == voided.invoice
    assert books.invoices.get("nope") is None
    assert books.invoices.finalize("nope").result is InvoiceResult.NOT_FOUND


def test_bad_input_is_named(books: billing.Books) -> None:
    with pytest.raises(billing.InvalidArgument) as info:
        books.invoices.configure(tax_rate="1.5")
    assert info.value.field == "tax_rate"
    with pytest.raises(billing.InvalidArgument) as info:
        books.invoices.configure(tax_rate="0.1234567")
    assert info.value.field == "tax_rate"
    with pytest.raises(TypeError):
        books.invoices.configure(tax_rate=0.2)  # type: ignore[arg-type]
    with pytest.raises(billing.InvalidArgument) as info:
        books.invoices.preview("nope")
    assert info.value.field == "subscription_id"
    with pytest.raises(billing.InvalidArgument) as info:
        books.invoices.list(limit=0)
    assert info.value.field == "limit"


def test_run_billing_bills_each_period_once(books: billing.Books, clock: billing.ManualClock) -> None:
    sub = subscribed(books, clock)
    clock.set(datetime.datetime(2026, 4, 2, tzinfo=UTC))
    report = books.run_billing(datetime.datetime(2026, 4, 1, tzinfo=UTC))
    assert report.subscriptions_billed == 1 and report.invoices_created == 1 and report.payment_jobs == 1
    assert report.totals == {"USD": usd("30.00")} and report.skipped == [] and not report.more_due
    assert repr(report) == "BillingReport(subscriptions_billed=1, invoices_created=1, skipped=0)"
    again = books.run_billing(datetime.datetime(2026, 4, 1, tzinfo=UTC))
    assert again.subscriptions_billed == 0 and again.totals == {}
    [invoice] = books.invoices.list().items
    assert invoice.status is InvoiceStatus.OPEN and invoice.number == 1 and invoice.total == usd("30.00")
    after = books.subscriptions.get(sub.id)
    assert after is not None and after.current_period_start == datetime.datetime(2026, 4, 1, tzinfo=UTC)
    job = books.jobs.claim(kinds=["invoice.payment"])
    assert job is not None and job.payload == {"invoice_id": invoice.id}
    with pytest.raises(ValueError):
        books.run_billing(datetime.datetime(2026, 4, 1))  # naive
