"""Card data (PCI DSS 3.3.1, 3.4.1 and 3.5.1; docs/payments.md, "Card data"): with the brands' published test
card numbers and CVCs, payments go through every step of the life cycle on a SQLite file; then the file and
its -wal file, every exception text, every repr and str, and anything logged or printed are scanned, and
none holds a full card number (in any spacing), a CVC, the IBAN or the fingerprint secret.

A full number, the IBAN and the secret are searched for in the raw bytes. A CVC (3 or 4 digits) could appear in
binary data by chance, so it is searched for as a token of its own in the text of every row of every table,
and in every text the module produced."""
import datetime
import gc
import logging
import pathlib
import re
import sqlite3
from typing import Any, Callable, Iterator

import pytest

import billing
from billing import PaymentStatus, ScriptStep

# The brands' test numbers, each with a CVC unlikely to appear anywhere else (no amount or id below holds one).
CARDS = {
    "4242424242424242": "719",  # Visa
    "5555555555554444": "846",  # Mastercard
    "2223003122003222": "358",  # Mastercard, 2-series
    "378282246310005": "9731",  # American Express: 4 digits
    "6011111111111117": "592",  # Discover
    "3530111333300000": "683",  # JCB
    "36227206271667": "574",  # Diners Club, 14 digits
    "6200000000000005": "461",  # UnionPay
}
IBAN = "DE89370400440532013000"
SECRET = b"k3y-0f-th3-f1ng3rpr1nts-7c1e9a40"
HOUR = datetime.timedelta(hours=1)


def typed(number: str) -> str:
    """As a person types it: groups of four (4-6-5 for American Express)."""
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def number_pattern(number: str) -> "re.Pattern[bytes]":
    """The number with any spaces or dashes between its digits; also its first digits up to the last four,
    the most that may be kept (docs/errors.md: never quoted "in part ... beyond the brand and last four")."""
    head = number[:-4]
    return re.compile(b"[ -]?".join(re.escape(d.encode()) for d in head))


FORBIDDEN = [number_pattern(n) for n in CARDS] + [number_pattern(IBAN), re.compile(re.escape(SECRET)),
                                                  re.compile(rb"DE89 ?3704 ?0044 ?0532 ?0130 ?00")]
CVC_TOKENS = [re.compile(rf"(?<![0-9]){cvc}(?![0-9])") for cvc in CARDS.values()]


def leaks(data: bytes) -> list[str]:
    return [pattern.pattern.decode(errors="replace") for pattern in FORBIDDEN if pattern.search(data)]


def cvc_leaks(text: str) -> list[str]:
    return [pattern.pattern for pattern in CVC_TOKENS if pattern.search(text)]


class Shown:
    """Every text the module produced: reprs and strs of what it returned, and exception messages."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def keep(self, *values: object) -> None:
        for value in values:
            self.texts.append(repr(value))
            self.texts.append(str(value))
            if isinstance(value, billing.PaymentOutcome):
                self.texts.extend(e.message for e in value.errors)
                self.keep(*value.errors)
                if value.payment is not None:
                    self.keep(value.payment)
            elif isinstance(value, billing.Payment):
                self.keep(value.card, value.bank_account, value.failure_reason, value.gateway_token)
            elif isinstance(value, (list, tuple)):
                self.keep(*value)
            elif isinstance(value, billing.PaymentPage):
                self.keep(*value.items)

    def raised(self, call: Callable[[], object], expected: type[BaseException]) -> None:
        with pytest.raises(expected) as error:
            call()
        self.texts.extend([str(error.value), repr(error.value), repr(error.value.args)])


class Vault(billing.PaymentGateway):
    """A host's gateway: it hands the card to its processor (here, a ScriptedGateway) and keeps nothing."""

    def __init__(self, shown: Shown, *script: ScriptStep) -> None:
        super().__init__()
        self.shown = shown
        self.inner = billing.ScriptedGateway(script)

    def tokenize(self, method: billing.PaymentMethod) -> str:
        self.shown.keep(method, method.card)
        return self.inner.tokenize(method)

    def charge(self, token: str, amount: billing.Money, idempotency_key: str) -> billing.ChargeResult:
        return self.inner.charge(token, amount, idempotency_key)

    def lookup(self, idempotency_key: str) -> billing.ChargeResult:
        return self.inner.lookup(idempotency_key)


def request(number: str, code: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(amount="19.99", currency="USD", customer_id="cus_42", card_number=typed(number),
                                  expiry_month="12", expiry_year="2030", cvc=code)
    fields.update(changes)
    return fields


def run_every_step(books: billing.Books, clock: billing.ManualClock, shown: Shown) -> None:
    """Each card through approve, decline, error (retried, dead-lettered, re-driven) and timeout (reconciled)."""
    for number, cvc in CARDS.items():
        for step in ScriptStep:
            gateway = Vault(shown, step, step)
            outcome = books.payments.create(gateway=gateway, **request(number, cvc))
            shown.keep(outcome, gateway, books.payments.process(found_id(outcome), gateway))
            if step is ScriptStep.ERROR:
                clock.advance(HOUR)
                shown.keep(books.payments.run_due(gateway), books.payments.dead_letters())
                shown.keep(books.payments.redrive(found_id(outcome)), books.payments.run_due(gateway))
            if step is ScriptStep.TIMEOUT:
                shown.keep(books.payments.reconcile(gateway))
            shown.keep(books.payments.history(found_id(outcome)), gateway.inner.charges, gateway.inner)
    iban = Vault(shown)
    outcome = books.payments.create(gateway=iban, amount="250", currency="EUR", customer_id="cus_7",
                                    iban="DE89 3704 0044 0532 0130 00")
    shown.keep(outcome, books.payments.process(found_id(outcome), iban))
    shown.keep(books.payments.list(), books.payments.list(status=PaymentStatus.PROCESSED), books.payments)


def found_id(outcome: billing.PaymentOutcome) -> str:
    assert outcome.payment is not None, outcome
    return outcome.payment.id


def wrong_arguments(number: str, cvc: str) -> Iterator[tuple[Callable[[billing.Books], object], type[BaseException]]]:
    """Calls that give the card number (or CVC) where it does not belong, or in a form that is refused."""
    gateway = billing.ScriptedGateway()
    body = request(number, cvc, gateway=gateway)
    as_bytes = number.encode()

    def create(name: str, value: object) -> Callable[[billing.Books], object]:
        return lambda books: books.payments.create(**dict(body, **{name: value}))

    for name in body:
        yield create(name, as_bytes), TypeError
        yield create(name, [number]), TypeError
    for name in ("policy", "idempotency_key", "id", "debit_account", "credit_account", "description", "metadata"):
        yield create(name, as_bytes), TypeError
    yield (lambda b: b.payments.create(gateway=gateway, **dict(body, card_number=int(number)))), TypeError
    yield (lambda b: b.payments.create(gateway=gateway, **dict(body, cvc=int(cvc)))), TypeError
    yield (lambda b: b.payments.create(gateway=gateway, **dict(body, iban=as_bytes, card_number=None))), TypeError
    yield (lambda b: b.payments.process(as_bytes, gateway)), TypeError  # type: ignore[arg-type]
    yield (lambda b: b.payments.process("p", number)), TypeError  # type: ignore[arg-type]
    yield (lambda b: b.payments.run_due(gateway, limit=number)), TypeError  # type: ignore[arg-type]
    yield (lambda b: b.payments.list(status=number)), TypeError  # type: ignore[arg-type]
    yield (lambda b: b.payments.configure(fingerprint_secret=int(number))), TypeError  # type: ignore[arg-type]
    yield (lambda b: b.payments.configure(fingerprint_secret=SECRET[:15])), billing.InvalidArgument
    yield (lambda b: b.payments.configure(fingerprint_secret=SECRET * 40)), billing.InvalidArgument
    yield (lambda b: billing.ScriptedGateway(number)), TypeError
    yield (lambda b: billing.ScriptedGateway([number])), billing.InvalidArgument
    yield (lambda b: billing.ScriptedGateway(otherwise=number)), billing.InvalidArgument
    yield (lambda b: billing.ChargeResult(number)), TypeError  # type: ignore[arg-type]
    yield (lambda b: gateway.charge(as_bytes, billing.Money("1", "USD"), "k")), TypeError  # type: ignore[arg-type]


def invalid_requests(number: str, cvc: str) -> Iterator[dict[str, Any]]:
    """Requests with the card number or CVC broken in every way the checks report."""
    bad_luhn = number[:-1] + str((int(number[-1]) + 1) % 10)
    yield request(number, cvc, card_number=bad_luhn)
    yield request(number, cvc, card_number=typed(number) * 5)  # too long
    yield request(number, cvc, card_number=number + "x")
    yield request(number, cvc, card_number=number + "\ud800")  # a lone surrogate
    yield request(number, cvc, card_number=number[:11])
    yield request(number, cvc, cvc=cvc + cvc)
    yield request(number, cvc, cvc=cvc[:2] + "x")
    yield request(number, cvc, iban=IBAN)  # a card and an IBAN: conflict
    yield request(number, cvc, card_number=None, expiry_month=None, expiry_year=None, cvc=None,
                  iban=IBAN[:-1] + "1")
    yield request(number, cvc, card_number=None, expiry_month=None, expiry_year=None, cvc=None, iban=IBAN * 4)


def sql_text(path: pathlib.Path) -> str:
    """Every value of every row of every table, as text (blobs read as Latin-1)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "payments" in " ".join(tables)
        out: list[str] = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                out.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row)
        return "\n".join(out)
    finally:
        connection.close()


def file_bytes(path: pathlib.Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, pathlib.Path(f"{path}-wal")) if p.exists())


def test_no_card_data_is_stored_shown_raised_or_logged(tmp_path: pathlib.Path, clock: billing.ManualClock,
                                                       caplog: pytest.LogCaptureFixture,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    assert all(billing.is_valid_card_number(n) for n in CARDS) and billing.is_valid_iban(IBAN)
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "cards.db"
    books = billing.open(str(path), durability=billing.Durability.NORMAL, clock=clock,
                         ids=billing.SequentialIds("pay-"))
    books.payments.configure(fingerprint_secret=SECRET, max_attempts=2)
    shown = Shown()
    run_every_step(books, clock, shown)
    stored = books.payments.list(limit=1000).items
    assert len(stored) == len(CARDS) * len(ScriptStep) + 1
    assert {p.status for p in stored} == {PaymentStatus.PROCESSED, PaymentStatus.FAILED}
    assert all(p.fingerprint for p in stored)

    for number, cvc in CARDS.items():
        for call, expected in wrong_arguments(number, cvc):
            shown.raised(lambda: call(books), expected)
        for body in invalid_requests(number, cvc):
            outcome = books.payments.create(gateway=billing.ScriptedGateway(), **body)
            assert outcome.result is billing.PaymentResult.INVALID, body.keys()
            shown.keep(outcome)
            shown.keep(billing.validate_payment(**body))
    assert len(books.payments.list(limit=1000).items) == len(stored)  # nothing refused was stored

    texts = "\n".join(shown.texts + [r.getMessage() for r in caplog.records] + list(capfd.readouterr()))
    assert "4242" in texts and "CardBrand.AMEX" in texts  # the scan reads what it should
    assert leaks(texts.encode("utf-8", "surrogatepass")) == []
    assert cvc_leaks(texts) == []

    on_disk = file_bytes(path)
    assert len(on_disk) > 10_000 and b"tok_1" in on_disk  # the payments are in what is scanned
    assert leaks(on_disk) == []
    dump = sql_text(path)
    assert "cus_42" in dump and "4242" in dump
    assert leaks(dump.encode("latin-1", "replace")) == [] and cvc_leaks(dump) == []

    del books, stored, shown
    gc.collect()  # the store closes, and checkpoints the WAL into the file
    assert leaks(file_bytes(path)) == []
    assert cvc_leaks(sql_text(path)) == []
