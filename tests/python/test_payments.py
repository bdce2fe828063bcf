"""books.payments: the payment life cycle from Python, on memory and SQLite books (docs/payments.md, "Life
cycle"). The rules are tested in C++; these tests check what the binding adds: the names the issue fixes,
ScriptedGateway and Python subclasses of PaymentGateway (exceptions crossing the C++ boundary both ways,
the GIL released and taken back), the outcomes, and the types each parameter takes.
tests/python/test_card_data.py scans what is stored and shown for card data."""
import copy
import datetime
import threading
from decimal import Decimal
from typing import Any, Optional, TypeVar

import pytest

import billing
from billing import ChargeResult, ChargeStatus, Money, PaymentResult, PaymentStatus, ScriptStep

T = TypeVar("T")
HOUR = datetime.timedelta(hours=1)
VISA = "4242 4242 4242 4242"
SECRET = b"a fingerprint secret of 32 bytes"
CLEARING = "payments:clearing:USD"


def found(value: Optional[T]) -> T:
    assert value is not None
    return value


def card(**changes: Any) -> dict[str, Any]:
    """A valid card request, as a request body carries it."""
    fields: dict[str, Any] = dict(amount="19.99", currency="USD", customer_id="cus_42", card_number=VISA,
                                  expiry_month="12", expiry_year="2030", cvc="123")
    fields.update(changes)
    return fields


def create(books: billing.Books, gateway: billing.PaymentGateway, **changes: Any) -> billing.Payment:
    outcome = books.payments.create(gateway=gateway, **card(**changes))
    assert outcome.result is PaymentResult.OK, outcome
    return found(outcome.payment)


def processed(books: billing.Books, id: str, gateway: billing.PaymentGateway) -> billing.Payment:
    outcome = books.payments.process(id, gateway)
    assert outcome.result is PaymentResult.OK, outcome
    return found(outcome.payment)


def net(books: billing.Books, account: str) -> Money:
    return found(books.ledger.balance(account)).net


class CountingGateway(billing.PaymentGateway):
    """A host's gateway in Python: a ScriptedGateway behind it, every call counted, and every charge checked
    to carry the key of the payment it charges."""

    def __init__(self, *script: ScriptStep) -> None:
        super().__init__()
        self.inner = billing.ScriptedGateway(script)
        self.tokenized: list[str] = []  # what a test may keep of a method; a host would keep nothing
        self.charged: list[tuple[str, Money, str]] = []
        self.looked_up: list[str] = []
        self.keys: dict[str, str] = {}  # token -> the charge key the payment carries

    def tokenize(self, method: billing.PaymentMethod) -> str:
        self.tokenized.append(method.card.last_four if method.card else method.iban[:2])
        return self.inner.tokenize(method)

    def charge(self, token: str, amount: Money, idempotency_key: str) -> ChargeResult:
        self.charged.append((token, amount, idempotency_key))
        return self.inner.charge(token, amount, idempotency_key)

    def lookup(self, idempotency_key: str) -> ChargeResult:
        self.looked_up.append(idempotency_key)
        return self.inner.lookup(idempotency_key)


# ------------------------------------------------------------------------------------------ the life cycle


def test_create_stores_a_validated_payment_with_what_it_keeps_of_the_card(books: billing.Books,
                                                                           clock: billing.ManualClock) -> None:
    gateway = billing.ScriptedGateway()
    outcome = books.payments.create(gateway=gateway, email="ada@example.com", description="order 17",
                                    metadata={"order": "17"}, **card(amount=Decimal("19.99"), expiry_month=12,
                                                                     expiry_year=2030))
    assert outcome and outcome.ok and outcome.result is PaymentResult.OK and outcome.errors == []
    payment = found(outcome.payment)
    assert (payment.customer_id, payment.email, payment.amount) == ("cus_42", "ada@example.com", Money("19.99", "USD"))
    assert payment.status is PaymentStatus.VALIDATED and (payment.version, payment.attempts) == (1, 0)
    assert payment.card == found(billing.validate_payment(**card(), clock=clock).card)
    assert payment.bank_account is None
    assert payment.gateway_token == "tok_1" and payment.fingerprint == ""
    assert payment.idempotency_key is None and payment.charge_key == f"payment:{payment.id}"
    assert (payment.debit_account, payment.credit_account) == (CLEARING, "payments:revenue:USD")
    assert (payment.description, payment.metadata) == ("order 17", {"order": "17"})
    assert payment.max_attempts == 3
    assert payment.next_attempt_at is None and payment.attempt_started_at is None and payment.processed_at is None
    assert (payment.gateway_reference, payment.failure_reason, payment.entry_id) == ("", "", None)
    assert payment.created_at == payment.updated_at == clock.now()
    assert books.payments.get(payment.id) == payment and books.payments.get("nobody") is None
    assert books.payments.history(payment.id) == [] and gateway.charge_calls == 0


def test_approve_processes_the_payment_and_posts_the_ledger_entry(books: billing.Books,
                                                                   clock: billing.ManualClock) -> None:
    gateway = billing.ScriptedGateway([ScriptStep.APPROVE])
    payment = create(books, gateway, id="pay-1")
    clock.advance(datetime.timedelta(seconds=5))
    done = processed(books, "pay-1", gateway)
    assert done.status is PaymentStatus.PROCESSED and done.attempts == 1 and done.version == 3
    assert done.processed_at == done.attempt_started_at == clock.now()
    assert done.gateway_reference == "ch_1" and done.failure_reason == ""
    entry = found(books.ledger.entry(found(done.entry_id)))
    assert entry.id == done.entry_id
    assert net(books, CLEARING) == payment.amount
    assert [(c.from_status, c.to_status, c.version, c.attempt) for c in books.payments.history("pay-1")] == [
        (PaymentStatus.VALIDATED, PaymentStatus.PROCESSING, 2, 1),
        (PaymentStatus.PROCESSING, PaymentStatus.PROCESSED, 3, 1)]
    [taken] = gateway.charges
    assert (taken.idempotency_key, taken.token, taken.amount, taken.reference) == \
        (payment.charge_key, "tok_1", payment.amount, "ch_1")
    again = books.payments.process("pay-1", gateway)
    assert again.result is PaymentResult.NOT_PROCESSABLE and not again and again.payment == done
    assert books.payments.process("nobody", gateway).result is PaymentResult.NOT_FOUND


def test_a_payment_posts_to_the_accounts_it_names(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway()
    payment = create(books, gateway, debit_account="cash", credit_account="revenue")
    processed(books, payment.id, gateway)
    assert net(books, "cash") == payment.amount and net(books, "revenue") == payment.amount
    assert books.ledger.balance(CLEARING) is None


def test_decline_fails_for_good(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway(["decline"])
    payment = create(books, gateway)
    failed = processed(books, payment.id, gateway)
    assert failed.status is PaymentStatus.FAILED and failed.failure_reason == "card_declined"
    assert failed.next_attempt_at is None and failed.entry_id is None and gateway.charges == []
    assert books.jobs.stats().scheduled == 0
    assert books.payments.process(payment.id, gateway).result is PaymentResult.NOT_PROCESSABLE
    assert books.payments.redrive(payment.id).result is PaymentResult.NOT_DEAD_LETTERED


def test_errors_retry_through_the_queue_then_dead_letter_and_redrive(books: billing.Books,
                                                                      clock: billing.ManualClock) -> None:
    gateway = billing.ScriptedGateway(["error", "error", "error"])
    payment = create(books, gateway)
    retried = processed(books, payment.id, gateway)
    assert retried.status is PaymentStatus.VALIDATED and retried.attempts == 1
    assert retried.failure_reason == "gateway unavailable"
    due = found(retried.next_attempt_at)
    assert clock.now() < due <= clock.now() + datetime.timedelta(seconds=10)
    assert books.jobs.stats().scheduled == 1
    assert books.payments.run_due(gateway) == []  # not due yet

    clock.set(due)
    job = found(books.jobs.claim(["payment.retry"], lease=datetime.timedelta(seconds=1)))
    assert (job.kind, job.payload) == ("payment.retry", {"payment_id": payment.id})
    clock.advance(datetime.timedelta(seconds=2))  # the peek's lease runs out: the job is due again

    [second] = books.payments.run_due(gateway)
    assert second.result is PaymentResult.OK and found(second.payment).attempts == 2
    assert found(second.payment).status is PaymentStatus.VALIDATED
    clock.advance(HOUR)
    [third] = books.payments.run_due(gateway, limit=1)
    dead = found(third.payment)
    assert dead.status is PaymentStatus.DEAD_LETTERED and dead.attempts == 3 and dead.next_attempt_at is None
    page = books.payments.dead_letters()
    assert [p.id for p in page.items] == [payment.id] and page.next_cursor is None
    assert books.payments.list(status=PaymentStatus.DEAD_LETTERED).items == page.items
    assert gateway.charges == [] and gateway.charge_calls == 3

    back = books.payments.redrive(payment.id)
    assert back and found(back.payment).status is PaymentStatus.VALIDATED and found(back.payment).attempts == 0
    assert found(back.payment).next_attempt_at == clock.now()
    assert books.payments.redrive(payment.id).result is PaymentResult.NOT_DEAD_LETTERED
    assert books.payments.redrive("nobody").result is PaymentResult.NOT_FOUND
    [settled] = books.payments.run_due(gateway)
    assert found(settled.payment).status is PaymentStatus.PROCESSED and len(gateway.charges) == 1
    assert books.payments.dead_letters().items == []
    assert books.payments.history(payment.id)[-3].reason == "redriven"


def test_a_timeout_is_unknown_until_reconcile_and_nothing_is_charged_twice(books: billing.Books,
                                                                           clock: billing.ManualClock) -> None:
    gateway = billing.ScriptedGateway(["error", "timeout"])
    payment = create(books, gateway)
    processed(books, payment.id, gateway)
    clock.advance(HOUR)
    [timed_out] = books.payments.run_due(gateway)
    unknown = found(timed_out.payment)
    assert unknown.status is PaymentStatus.UNKNOWN and unknown.attempts == 2
    assert books.payments.process(payment.id, gateway).result is PaymentResult.NOT_PROCESSABLE
    assert books.payments.run_due(gateway) == []
    [reconciled] = books.payments.reconcile(gateway)
    done = found(reconciled.payment)
    assert done.status is PaymentStatus.PROCESSED and done.gateway_reference == "ch_1"
    assert net(books, CLEARING) == payment.amount
    assert len(gateway.charges) == 1 and gateway.charges[0].idempotency_key == payment.charge_key
    assert books.payments.reconcile(gateway) == []


# ------------------------------------------------------------------------------------------ Python gateways


def test_a_python_gateway_sees_every_call_with_the_payments_own_key(books: billing.Books,
                                                                     clock: billing.ManualClock) -> None:
    gateway = CountingGateway(ScriptStep.ERROR, ScriptStep.TIMEOUT)
    assert isinstance(gateway, billing.PaymentGateway) and repr(gateway) == "<CountingGateway: a billing.PaymentGateway>"
    payment = create(books, gateway)
    assert gateway.tokenized == ["4242"]
    processed(books, payment.id, gateway)
    clock.advance(HOUR)
    books.payments.run_due(gateway)
    [outcome] = books.payments.reconcile(gateway)
    assert found(outcome.payment).status is PaymentStatus.PROCESSED
    assert [key for _, _, key in gateway.charged] == [payment.charge_key] * 2
    assert all((token, amount) == (payment.gateway_token, payment.amount) for token, amount, _ in gateway.charged)
    assert gateway.looked_up == [payment.charge_key]
    assert len(gateway.inner.charges) == 1


class RaisingGateway(CountingGateway):
    """A gateway whose charge and lookup raise, or return what is not a ChargeResult."""

    def __init__(self, charge: object = None, lookup: object = None) -> None:
        super().__init__()
        self.charge_does = charge
        self.lookup_does = lookup

    def charge(self, token: str, amount: Money, idempotency_key: str) -> ChargeResult:
        super().charge(token, amount, idempotency_key)
        return self.act(self.charge_does)

    def lookup(self, idempotency_key: str) -> ChargeResult:
        return self.act(self.lookup_does)

    @staticmethod
    def act(what: object) -> ChargeResult:
        if isinstance(what, BaseException):
            raise what
        return what  # type: ignore[return-value]  # the wrong type is the point


def test_a_charge_that_raises_leaves_the_payment_unknown_with_the_message(books: billing.Books) -> None:
    gateway = RaisingGateway(charge=ConnectionError("gateway down"), lookup=TimeoutError())
    payment = create(books, gateway)
    outcome = books.payments.process(payment.id, gateway)
    unknown = found(outcome.payment)
    assert outcome.result is PaymentResult.OK and unknown.status is PaymentStatus.UNKNOWN
    assert unknown.failure_reason == "ConnectionError: gateway down"
    assert len(gateway.inner.charges) == 1  # it charged, then raised: only the gateway knows
    [still] = books.payments.reconcile(gateway)  # a lookup that raises leaves it unknown
    assert found(still.payment).status is PaymentStatus.UNKNOWN
    gateway.lookup_does = ChargeResult(ChargeStatus.APPROVED, reference="ch_9")
    [settled] = books.payments.reconcile(gateway)
    assert found(settled.payment).status is PaymentStatus.PROCESSED and found(settled.payment).gateway_reference == "ch_9"


@pytest.mark.parametrize("answer, reason", [
    (42, "RaisingGateway.charge(): returned int, not a billing.ChargeResult"),
    (None, "RaisingGateway.charge(): returned NoneType, not a billing.ChargeResult"),
    (ChargeResult.__new__(ChargeResult), "RaisingGateway.charge(): returned a ChargeResult made by __new__ without "
                                         "__init__"),
    (ValueError("x\ny"), "ValueError: x y"),  # the library keeps a line: control characters become spaces
    (RuntimeError(), "RuntimeError"),
])
def test_a_charge_that_returns_the_wrong_type_is_taken_as_a_throw(books: billing.Books, answer: object,
                                                                   reason: str) -> None:
    gateway = RaisingGateway(charge=answer)
    payment = create(books, gateway)
    unknown = found(books.payments.process(payment.id, gateway).payment)
    assert unknown.status is PaymentStatus.UNKNOWN and unknown.failure_reason == reason
    assert books.payments.get(payment.id) == unknown  # the module is usable after the exception


def test_an_interrupt_in_charge_is_recorded_then_raised(books: billing.Books) -> None:
    gateway = RaisingGateway(charge=KeyboardInterrupt())
    payment = create(books, gateway)
    with pytest.raises(KeyboardInterrupt):
        books.payments.process(payment.id, gateway)
    assert found(books.payments.get(payment.id)).status is PaymentStatus.UNKNOWN


def test_a_gateway_without_a_method_is_not_implemented(books: billing.Books) -> None:
    class Half(billing.PaymentGateway):
        def tokenize(self, method: billing.PaymentMethod) -> str:
            return "tok"

    gateway = Half()
    payment = create(books, gateway)
    unknown = found(books.payments.process(payment.id, gateway).payment)
    assert unknown.failure_reason.startswith("NotImplementedError: Half.charge(): not defined")
    with pytest.raises(NotImplementedError, match=r"PaymentGateway.tokenize\(\): not defined"):
        books.payments.create(gateway=billing.PaymentGateway(), **card())


class Refusing(Exception):
    pass


class TokenizingGateway(CountingGateway):
    def __init__(self, token: object) -> None:
        super().__init__()
        self.token = token

    def tokenize(self, method: billing.PaymentMethod) -> str:
        super().tokenize(method)
        if isinstance(self.token, BaseException):
            raise self.token
        return self.token  # type: ignore[return-value]  # the wrong type is the point


def test_a_tokenize_that_raises_makes_create_raise_it_and_store_nothing(books: billing.Books) -> None:
    error = Refusing("the vault is closed")
    gateway = TokenizingGateway(error)
    with pytest.raises(Refusing) as raised:
        books.payments.create(gateway=gateway, **card())
    assert raised.value is error
    assert books.payments.list().items == [] and books.accounts.get(CLEARING) is None
    with pytest.raises(TypeError, match=r"^TokenizingGateway.tokenize\(\): returned int; .* a str$"):
        books.payments.create(gateway=TokenizingGateway(7), **card())
    with pytest.raises(billing.InvalidArgument) as empty:
        books.payments.create(gateway=TokenizingGateway(""), **card())
    assert empty.value.field == "token"
    with pytest.raises(billing.InvalidArgument) as long:
        books.payments.create(gateway=TokenizingGateway("t" * 256), **card())
    assert long.value.field == "token"
    assert books.payments.list().items == []


def test_python_gateways_on_two_threads_take_the_gil_back(books: billing.Books) -> None:
    gateway = CountingGateway()
    ids = [create(books, gateway, id=f"pay-{n}").id for n in range(8)]
    failures: list[BaseException] = []

    def work(mine: list[str]) -> None:
        try:
            for id in mine:
                processed(books, id, gateway)
        except BaseException as error:  # noqa: B902  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(ids[n::2],)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert all(found(books.payments.get(id)).status is PaymentStatus.PROCESSED for id in ids)
    assert len(gateway.inner.charges) == 8


# ------------------------------------------------------------------------------------------ requests


def test_an_invalid_request_reports_every_broken_field_and_stores_nothing(books: billing.Books) -> None:
    gateway = CountingGateway()
    outcome = books.payments.create(gateway=gateway, amount="-1", currency="usd", customer_id="", email="nope",
                                    card_number="4242 4242 4242 4241", expiry_month="13", expiry_year="2019",
                                    cvc="12")
    assert outcome.result is PaymentResult.INVALID and not outcome and outcome.payment is None
    assert [e.field for e in outcome.errors] == ["amount", "currency", "customer_id", "email", "card_number",
                                                 "expiry_month", "expiry_year", "cvc"]
    assert outcome.errors == billing.validate_payment(amount="-1", currency="usd", customer_id="", email="nope",
                                                      card_number="4242 4242 4242 4241", expiry_month="13",
                                                      expiry_year="2019", cvc="12").errors
    without = books.payments.create(gateway=gateway, amount="1", currency="USD", customer_id="c")
    assert without.result is PaymentResult.INVALID
    assert [(e.field, e.code) for e in without.errors] == [("card_number", billing.ValidationCode.MISSING)]
    assert gateway.tokenized == [] and books.payments.list().items == []
    assert repr(without) == "PaymentOutcome(result=PaymentResult.INVALID, errors=[FieldError('card_number', " \
                            "ValidationCode.MISSING)])"


def test_a_policy_limits_what_create_accepts(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway()
    policy = billing.PaymentPolicy(max_amount="10", brands=[billing.CardBrand.MASTERCARD])
    refused = books.payments.create(gateway=gateway, policy=policy, **card())
    assert [(e.field, e.code) for e in refused.errors] == [("amount", billing.ValidationCode.TOO_LARGE),
                                                           ("card_number", billing.ValidationCode.BRAND_NOT_ACCEPTED)]
    books.payments.configure(policy=policy)
    assert books.payments.create(gateway=gateway, **card()).result is PaymentResult.INVALID
    assert books.payments.create(gateway=gateway, policy=billing.PaymentPolicy(), **card()).ok


def test_an_iban_payment_keeps_the_country_and_last_four(books: billing.Books) -> None:
    seen: list[str] = []

    class Bank(CountingGateway):
        def tokenize(self, method: billing.PaymentMethod) -> str:
            assert not method.is_card and method.card is None and method.card_number == method.cvc == ""
            seen.append(method.iban)
            seen.append(repr(method))
            return "bank-token"

    outcome = books.payments.create(gateway=Bank(), amount="250", currency="EUR", customer_id="cus_7",
                                    iban="de89 3704 0044 0532 0130 00")
    payment = found(outcome.payment)
    assert payment.card is None and payment.gateway_token == "bank-token"
    details = found(payment.bank_account)
    assert (details.country, details.last_four) == ("DE", "3000")
    assert details == copy.copy(details) and repr(details) == "BankAccountDetails(country='DE', last_four='3000')"
    assert seen == ["DE89370400440532013000", "<billing.PaymentMethod: a bank account in 'DE'>"]


def test_a_card_method_shows_only_brand_last_four_and_expiry(books: billing.Books) -> None:
    seen: list[tuple[bool, str, str, str]] = []

    class Vault(CountingGateway):
        def tokenize(self, method: billing.PaymentMethod) -> str:
            seen.append((method.is_card, method.card_number, method.cvc, repr(method)))
            assert found(method.card).last_four == "4444" and method.iban == ""
            return super().tokenize(method)

    create(books, Vault(), card_number="5555-5555-5555-4444", cvc="321", expiry_month="3", expiry_year="31")
    assert seen == [(True, "5555555555554444", "321",
                     "<billing.PaymentMethod: a CardBrand.MASTERCARD card ending 4444, expiring 03/2031>")]


def test_an_idempotency_key_replays_the_request(books: billing.Books) -> None:
    gateway = CountingGateway()
    first = books.payments.create(gateway=gateway, idempotency_key="req-1", **card())
    payment = found(first.payment)
    assert first.ok and payment.idempotency_key == "req-1"
    again = books.payments.create(gateway=gateway, idempotency_key="req-1", **card())
    assert again.result is PaymentResult.EXISTS and not again and again.payment == payment
    other = books.payments.create(gateway=gateway, idempotency_key="req-1", **card(amount="20.00"))
    assert other.result is PaymentResult.EXISTS_WITH_DIFFERENT_FIELDS and other.payment == payment
    assert gateway.tokenized == ["4242"]
    by_id = books.payments.create(gateway=gateway, id=payment.id, **card())
    assert by_id.result is PaymentResult.EXISTS and by_id.payment == payment
    assert len(books.payments.list().items) == 1


def test_fingerprints_follow_the_secret(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway()
    assert create(books, gateway).fingerprint == ""
    books.payments.configure(fingerprint_secret=SECRET)
    assert "fingerprints=on" in repr(books.payments) and "secret" not in repr(books.payments)
    one = create(books, gateway).fingerprint
    assert len(one) == 64 and set(one) <= set("0123456789abcdef")
    assert create(books, gateway, card_number="4242424242424242", amount="5").fingerprint == one
    assert create(books, gateway, card_number="5555 5555 5555 4444").fingerprint != one
    books.payments.configure(fingerprint_secret=SECRET.decode())  # the same bytes, as a str
    assert create(books, gateway).fingerprint == one
    books.payments.configure(fingerprint_secret=b"another secret of 32 bytes......")
    assert create(books, gateway).fingerprint not in ("", one)
    books.payments.configure()
    assert create(books, gateway).fingerprint == "" and "fingerprints=off" in repr(books.payments)


def test_configure_sets_attempts_back_off_and_accounts(books: billing.Books, clock: billing.ManualClock) -> None:
    books.payments.configure(max_attempts=1, base_delay=datetime.timedelta(seconds=1),
                             max_delay=datetime.timedelta(seconds=2), clearing_account="cash",
                             revenue_account="revenue")
    assert repr(books.payments) == ("<billing.Payments max_attempts=1 base_delay=1s max_delay=2s charge_timeout=300s "
                                    "fingerprints=off>")
    gateway = billing.ScriptedGateway(["error"])
    payment = create(books, gateway)
    assert (payment.max_attempts, payment.debit_account, payment.credit_account) == (1, "cash", "revenue")
    assert found(books.payments.process(payment.id, gateway).payment).status is PaymentStatus.DEAD_LETTERED


def test_listing_by_status_and_customer_with_a_cursor(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway(otherwise="decline")
    for n in range(5):
        create(books, gateway, id=f"pay-{n}", customer_id="ann" if n % 2 else "bob")
    processed(books, "pay-3", gateway)
    first = books.payments.list(limit=2)
    assert [p.id for p in first.items] == ["pay-0", "pay-1"] and first.next_cursor == "pay-1"
    rest = books.payments.list(cursor=found(first.next_cursor))
    assert [p.id for p in rest.items] == ["pay-2", "pay-3", "pay-4"] and rest.next_cursor is None
    assert [p.id for p in books.payments.list(customer_id="ann").items] == ["pay-1", "pay-3"]
    assert [p.id for p in books.payments.list(status=PaymentStatus.FAILED, customer_id="ann").items] == ["pay-3"]
    assert books.payments.list(status=PaymentStatus.FAILED, customer_id="bob").items == []
    assert repr(first) == "PaymentPage(2 items, next_cursor='pay-1')"


def test_the_status_table(books: billing.Books) -> None:
    s = PaymentStatus
    assert billing.payment_transitions() == [
        (s.VALIDATED, s.PROCESSING), (s.PROCESSING, s.VALIDATED), (s.PROCESSING, s.PROCESSED),
        (s.PROCESSING, s.FAILED), (s.PROCESSING, s.UNKNOWN), (s.PROCESSING, s.DEAD_LETTERED),
        (s.UNKNOWN, s.VALIDATED), (s.UNKNOWN, s.PROCESSED), (s.UNKNOWN, s.FAILED), (s.UNKNOWN, s.DEAD_LETTERED),
        (s.DEAD_LETTERED, s.VALIDATED)]


def test_a_gateway_call_never_runs_inside_a_transaction(books: billing.Books) -> None:
    gateway = billing.ScriptedGateway()
    payment = create(books, gateway)
    with pytest.raises(billing.Misuse):
        with books.transaction():
            books.payments.process(payment.id, gateway)
    assert found(books.payments.get(payment.id)).status is PaymentStatus.VALIDATED


# ------------------------------------------------------------------------------------------ the gateway's values


def test_scripted_gateway_takes_steps_or_their_values() -> None:
    gateway = billing.ScriptedGateway(("approve", ScriptStep.DECLINE, "timeout"), otherwise="error")
    assert gateway.remaining == [ScriptStep.APPROVE, ScriptStep.DECLINE, ScriptStep.TIMEOUT]
    assert isinstance(gateway, billing.PaymentGateway)
    usd = Money("1.00", "USD")
    approved = gateway.charge("tok_1", usd, "k1")
    assert approved == ChargeResult(ChargeStatus.APPROVED, reference="ch_1", reason=approved.reason)
    assert gateway.charge("tok_1", usd, "k1") == approved  # a repeated key answers as before
    assert gateway.charge("tok_1", usd, "k2").status is ChargeStatus.DECLINED
    assert gateway.lookup("k2").status is ChargeStatus.DECLINED
    assert gateway.lookup("nothing").status is ChargeStatus.NOT_FOUND
    assert gateway.charge("tok_1", usd, "k3").status is ChargeStatus.TIMEOUT
    assert gateway.lookup("k3").status is ChargeStatus.APPROVED
    assert gateway.charge("tok_1", usd, "k4").status is ChargeStatus.ERROR
    assert (gateway.charge_calls, len(gateway.charges), gateway.remaining) == (5, 2, [])
    assert repr(gateway) == "<billing.ScriptedGateway: 0 steps remaining, 2 charges taken in 5 calls>"
    assert repr(gateway.charges[0]) == "ScriptedCharge(idempotency_key='k1', amount=Money('1.00', 'USD'), " \
                                       "reference='ch_1')"
    with pytest.raises(TypeError):
        class Sub(billing.ScriptedGateway):  # type: ignore[misc]  # final, as the stub says
            pass


def test_charge_result_is_a_value() -> None:
    result = ChargeResult(ChargeStatus.DECLINED, reason="insufficient funds")
    assert (result.status, result.reference, result.reason) == (ChargeStatus.DECLINED, "", "insufficient funds")
    assert result == ChargeResult(ChargeStatus.DECLINED, reason="insufficient funds") == copy.deepcopy(result)
    assert result != ChargeResult(ChargeStatus.DECLINED) and (result == 1) is False
    assert repr(ChargeResult(ChargeStatus.APPROVED, reference="ch_7", reason="free text")) == \
        "ChargeResult(ChargeStatus.APPROVED, reference='ch_7')"
    with pytest.raises(TypeError, match="status: expected billing.ChargeStatus"):
        ChargeResult("approved")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("call, message", [
    (lambda b, g: b.payments.create(gateway=g, **card(amount=1.5)), "^amount: a float"),
    (lambda b, g: b.payments.create(gateway="stripe", **card()), "gateway: expected billing.PaymentGateway"),
    (lambda b, g: b.payments.create(**card()), "gateway"),
    (lambda b, g: b.payments.create(gateway=g, policy="strict", **card()), "^policy: expected"),
    (lambda b, g: b.payments.create(gateway=g, metadata={"a": 1}, **card()), "metadata: expected"),
    (lambda b, g: b.payments.create(gateway=g, idempotency_key=b"k", **card()), "idempotency_key: expected"),
    (lambda b, g: b.payments.process(1, g), "id: expected str"),
    (lambda b, g: b.payments.process("p", None), "gateway: expected billing.PaymentGateway"),
    (lambda b, g: b.payments.run_due(g, limit=True), "limit: expected"),
    (lambda b, g: b.payments.list(status="failed"), "status: expected"),
    (lambda b, g: b.payments.configure(base_delay=10), "^base_delay: "),
    (lambda b, g: b.payments.configure(max_attempts="3"), "max_attempts: expected"),
    (lambda b, g: b.payments.configure(fingerprint_secret=12345678901234567), "^fingerprint_secret: expected bytes"),
    (lambda b, g: billing.ScriptedGateway("approve"), "^script: expected an iterable"),
    (lambda b, g: billing.ScriptedGateway([1]),  # type: ignore[list-item]
     r"^script\[0\]: expected a billing.ScriptStep"),
    (lambda b, g: billing.ScriptedGateway(otherwise=None),  # type: ignore[arg-type]
     "^otherwise: expected a billing.ScriptStep"),
])
def test_a_wrong_type_is_a_type_error_naming_the_parameter(books: billing.Books, call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call(books, billing.ScriptedGateway())


@pytest.mark.parametrize("call, field", [
    (lambda b, g: b.payments.create(gateway=g, idempotency_key="", **card()), "idempotency_key"),
    (lambda b, g: b.payments.create(gateway=g, description="a\nb", **card()), "description"),
    (lambda b, g: b.payments.create(gateway=g, debit_account="nowhere", **card()), "debit_account"),
    (lambda b, g: b.payments.create(gateway=g, credit_account="has space", **card()), "credit_account"),
    (lambda b, g: b.payments.create(gateway=g, credit_account="cash", **card(currency="EUR")), "credit_account"),
    (lambda b, g: b.payments.run_due(g, limit=0), "limit"),
    (lambda b, g: b.payments.run_due(g, limit=101), "limit"),
    (lambda b, g: b.payments.reconcile(g, limit=1001), "limit"),
    (lambda b, g: b.payments.dead_letters(limit=-1), "limit"),
    (lambda b, g: b.payments.list(cursor="not a cursor"), "cursor"),
    (lambda b, g: b.payments.configure(max_attempts=0), "max_attempts"),
    (lambda b, g: b.payments.configure(max_attempts=2**40), "max_attempts"),
    (lambda b, g: b.payments.configure(charge_timeout=datetime.timedelta(0)), "charge_timeout"),
    (lambda b, g: b.payments.configure(base_delay=HOUR, max_delay=datetime.timedelta(seconds=1)), "base_delay"),
    (lambda b, g: b.payments.configure(fingerprint_secret=b"short"), "fingerprint_secret"),
    (lambda b, g: b.payments.configure(fingerprint_secret="s" * 1025), "fingerprint_secret"),
    (lambda b, g: b.payments.configure(clearing_account="a b"), "clearing_account"),
    (lambda b, g: billing.ScriptedGateway(["approve", "aprove"]), "script[1]"),
])
def test_a_value_beyond_its_rule_is_invalid_argument_naming_the_field(books: billing.Books, call: Any,
                                                                      field: str) -> None:
    gateway = CountingGateway()
    with pytest.raises(billing.InvalidArgument) as raised:
        call(books, gateway)
    assert raised.value.field == field and str(raised.value).startswith(field)
    assert gateway.tokenized == [] and books.payments.list().items == []


def test_configure_leaves_the_options_unchanged_when_one_is_refused(books: billing.Books) -> None:
    books.payments.configure(max_attempts=5)
    before = repr(books.payments)
    with pytest.raises(billing.InvalidArgument):
        books.payments.configure(max_attempts=7, charge_timeout=datetime.timedelta(days=2))
    assert repr(books.payments) == before
