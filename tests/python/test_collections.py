"""books.collections from Python, on both adapters (docs/collections.md). The rules are tested once in C++
(tests/contract/collections_contract_test.cpp); these tests check what the binding adds: the payment_method
callable and its dict, the policy's flags, the report's names and reprs, and that no card data leaks."""
import datetime

import pytest

import billing
from billing import InvoiceStatus, PaymentStatus, ScriptStep, SubscriptionStatus

UTC = datetime.timezone.utc
CARD = "4242424242424242"
VISA: dict[str, str | int] = {"card_number": CARD, "expiry_month": 12, "expiry_year": "2030", "cvc": "987"}


def billed(books: billing.Books, clock: billing.ManualClock) -> billing.Invoice:
    books.accounts.create("USD", "Acme", id="acme")
    assert books.plans.create("basic", "USD", flat_fee=billing.Money("30.00", "USD"))
    assert books.subscriptions.create("acme", "basic", start=datetime.datetime(2026, 1, 1, tzinfo=UTC), id="s1")
    clock.set(datetime.datetime(2026, 2, 1, tzinfo=UTC))
    assert books.run_billing(clock.now()).invoices_created == 1
    return books.invoices.list().items[0]


def test_an_approved_charge_pays_the_invoice(books: billing.Books, clock: billing.ManualClock) -> None:
    invoice = billed(books, clock)
    gateway = billing.ScriptedGateway()
    asked: list[str] = []

    def on_file(inv: billing.Invoice) -> dict[str, str | int]:
        asked.append(inv.account_id)
        return VISA

    report = books.collections.run(gateway, on_file)
    assert (report.jobs, report.payments_created, report.paid, report.dunned) == (1, 1, 1, 0)
    assert repr(report) == "CollectionReport(jobs=1, paid=1, retrying=0, dunned=0, unknown=0, skipped=0)"
    assert asked == ["acme"]
    paid = books.invoices.get(invoice.id)
    assert paid is not None and paid.status is InvoiceStatus.PAID
    payment = books.payments.list().items[0]
    assert payment.status is PaymentStatus.PROCESSED and paid.settled_entry == payment.entry_id
    balance = books.ledger.balance("acme")
    assert balance is not None and balance.net == billing.Money("0.00", "USD")
    assert books.collections.run(gateway, on_file).jobs == 0


def test_a_decline_duns_by_the_policy(books: billing.Books, clock: billing.ManualClock) -> None:
    books.collections.configure(deactivate_account=True)
    assert books.collections.policy == books.collections.policy
    assert repr(books.collections.policy) == (
        "DunningPolicy(invoice_uncollectible=True, subscription_past_due=True, deactivate_account=True)")
    invoice = billed(books, clock)
    report = books.collections.run(billing.ScriptedGateway([ScriptStep.DECLINE]), lambda inv: VISA)
    assert report.dunned == 1
    dunned = books.invoices.get(invoice.id)
    assert dunned is not None and dunned.status is InvoiceStatus.UNCOLLECTIBLE
    subscription = books.subscriptions.get("s1")
    assert subscription is not None and subscription.status is SubscriptionStatus.PAST_DUE
    account = books.accounts.get("acme")
    assert account is not None and account.status is billing.AccountStatus.INACTIVE


def test_no_method_on_file_is_dunned_and_reported(books: billing.Books, clock: billing.ManualClock) -> None:
    invoice = billed(books, clock)
    gateway = billing.ScriptedGateway()
    report = books.collections.run(gateway, lambda inv: None)
    assert report.skipped == [report.skipped[0]] and report.skipped[0].invoice_id == invoice.id
    assert report.skipped[0].reason == "no payment method on file"
    assert repr(report.skipped[0]) == f"CollectionSkip(invoice_id={invoice.id!r}, reason='no payment method on file')"
    assert gateway.charge_calls == 0


@pytest.mark.parametrize("returned, error", [
    (["not", "a", "dict"], TypeError),
    ({"card_number": 4242424242424242}, TypeError),
    ({"card_number": CARD, "pin": "1234"}, billing.InvalidArgument),
    ({1: CARD}, TypeError),
])
def test_a_bad_method_names_the_problem_never_the_card(books: billing.Books, clock: billing.ManualClock,
                                                       returned: object, error: type[Exception]) -> None:
    billed(books, clock)
    with pytest.raises(error) as raised:
        books.collections.run(billing.ScriptedGateway(), lambda inv: returned)  # type: ignore[arg-type,return-value]
    assert CARD not in str(raised.value) and "payment_method" in str(raised.value)


def test_an_invalid_card_on_file_duns_without_showing_it(books: billing.Books, clock: billing.ManualClock) -> None:
    billed(books, clock)
    broken = dict(VISA, card_number="4242424242424241")
    report = books.collections.run(billing.ScriptedGateway(), lambda inv: broken)
    assert report.dunned == 1 and "card_number" in report.skipped[0].reason
    assert "4242424242424241" not in repr(report.skipped) and "987" not in report.skipped[0].reason


def test_what_payment_method_raises_propagates(books: billing.Books, clock: billing.ManualClock) -> None:
    billed(books, clock)

    def vault_down(inv: billing.Invoice) -> None:
        raise ConnectionError("vault unreachable")

    with pytest.raises(ConnectionError, match="vault unreachable"):
        books.collections.run(billing.ScriptedGateway(), vault_down)


def test_arguments_are_checked(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway()
    with pytest.raises(billing.InvalidArgument) as raised:
        books.collections.run(gateway, lambda inv: None, limit=0)
    assert raised.value.field == "limit"
    with pytest.raises(TypeError, match="payment_method"):
        books.collections.run(gateway, "not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        books.collections.configure(deactivate_account=1)  # type: ignore[arg-type]
    assert repr(books.collections) == "<billing.Collections: books.collections>"
