"""The conventions of docs/python.md that every area follows, checked over the whole module.

- No Python call crashes the interpreter: an instance made by `Cls.__new__(Cls)` without `__init__`
  raises a TypeError wherever it is used, for every public class (each probe runs in a subprocess, so
  that a crash fails the test instead of ending pytest).
- A wrong type is a TypeError that names the parameter and the type it expects, and never shows the
  value given.
- A limit on a process-wide count (registered units) holds.
"""
import datetime
import inspect
import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any, Callable, Optional

import pytest

import billing
from billing import Money

SECRET = "4111111111111111"  # a card number, as a caller might pass one in the wrong place


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)


def public_classes() -> list[str]:
    return sorted(name for name in billing.__all__ if inspect.isclass(getattr(billing, name)))


# What each probe does with an instance made by __new__ alone. Every attribute the class defines is read
# and, when callable, called with no arguments; repr() and str() are taken. Each use must either work (an
# exception class, or object's own repr) or raise an Exception, and never crash.
PROBE = """
import json, sys, billing
cls = getattr(billing, sys.argv[1])
try:
    obj = cls.__new__(cls)
except TypeError as e:
    print(json.dumps({"new": "TypeError"}))
    sys.exit(0)
seen = {}
names = ["__repr__", "__str__", "__hash__", "__bool__", "__getstate__", "__int__"] + sorted(
    n for n in dir(cls) if not n.startswith("__"))
for name in names:
    try:
        value = getattr(obj, name)
        if callable(value) and not isinstance(value, type):
            value()
        seen[name] = "ok"
    except Exception as e:
        seen[name] = type(e).__name__
for use, how in (("repr", repr), ("str", str)):
    try:
        how(obj)
        seen[use] = "ok"
    except Exception as e:
        seen[use] = type(e).__name__
print(json.dumps(seen))
"""


def is_binding(member: object) -> bool:
    """A method or property the bindings define on the class (not a static one, not an enum member)."""
    if member is None or isinstance(member, (staticmethod, classmethod, type)):
        return False
    return type(member).__name__ == "property" or callable(member)


@pytest.mark.parametrize("name", public_classes())
def test_an_instance_made_by_new_alone_never_crashes_the_interpreter(name: str) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, name], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert result.returncode == 0, f"{name}: exit {result.returncode}\n{result.stderr[-2000:]}"
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    cls = getattr(billing, name)
    bound = type(cls).__name__ == "pybind11_type"  # a class of the bindings, not an enum or an error
    if bound and "new" not in seen:
        # Every attribute the bindings define raises rather than answering from an empty instance.
        answered = [attr for attr, how in seen.items() if how == "ok" and is_binding(vars(cls).get(attr))]
        assert answered == [], f"{name}: {answered} answered on an uninitialised instance"


def test_the_probe_covers_the_classes_the_issue_names() -> None:
    assert {"Money", "Books", "Transaction", "Posting", "Ledger"} <= set(public_classes())


def test_init_or_setstate_again_on_a_live_object_is_refused() -> None:
    money = Money("1.00", "USD")
    with pytest.raises(TypeError, match="already initialised"):
        money.__init__("2.00", "USD")  # type: ignore[misc]  # a second __init__ is the misuse under test
    with pytest.raises(TypeError, match="already initialised"):
        money.__setstate__("3.00 USD")
    assert money == Money("1.00", "USD")


def test_an_uninitialised_argument_is_named() -> None:
    books = billing.open()
    books.accounts.create("USD", "Cash", id="cash")
    ghost = Money.__new__(Money)
    with pytest.raises(TypeError, match="amount") as raised:
        books.ledger.transfer("cash", "cash2", ghost)
    assert "__new__" in str(raised.value)


def test_an_uninitialised_value_anywhere_in_a_list_or_request_is_refused() -> None:
    books = billing.open()
    books.accounts.create("USD", "Cash", id="cash")
    with pytest.raises(TypeError, match=r"postings\[1\]"):
        books.ledger.post([billing.debit("cash", Money("1", "USD")), billing.Posting.__new__(billing.Posting)])
    with pytest.raises(TypeError) as raised:
        books.idempotent("k", {"a": {"m": Money.__new__(Money)}}, lambda: 1)
    assert str(raised.value).startswith('request["a"]["m"]: ')
    assert not books.idempotent("k", "r", lambda: 1).replayed  # nothing was claimed


# ---------------------------------------------------------------------------------------------- TypeErrors


def books_with_accounts() -> billing.Books:
    books = billing.open()
    books.accounts.create("USD", "Cash", id="cash")
    books.accounts.create("USD", "Revenue", id="revenue")
    return books


# The order entry points, each parameter given SECRET as a type it does not take.
def order_wrong_type_calls(books: billing.Books) -> list[tuple[str, Callable[[], object]]]:
    card = int(SECRET)
    price = Money("1.00", "USD")
    line = billing.OrderLine("widget", 1, price)
    orders = books.orders
    pending = billing.OrderStatus.PENDING
    return [
        ("customer_name", lambda: orders.create(card, "ada@example.com", [line])),  # type: ignore[arg-type]
        ("customer_email", lambda: orders.create("Ada", SECRET.encode(), [line])),  # type: ignore[arg-type]
        ("lines", lambda: orders.create("Ada", "ada@example.com", card)),  # type: ignore[arg-type]
        ("lines", lambda: orders.create("Ada", "ada@example.com", [line, card])),  # type: ignore[list-item]
        ("id", lambda: orders.create("Ada", "ada@example.com", [line], id=card)),  # type: ignore[arg-type]
        ("metadata",
         lambda: orders.create("Ada", "ada@example.com", [line], metadata={"k": card})),  # type: ignore[dict-item]
        ("item", lambda: billing.OrderLine(card, 1, price)),  # type: ignore[arg-type]
        ("quantity", lambda: billing.OrderLine("widget", float(SECRET), price)),  # type: ignore[arg-type]
        ("unit_price", lambda: billing.OrderLine("widget", 1, card)),  # type: ignore[arg-type]
        ("to", lambda: orders.transition("o", SECRET, expected_version=1)),  # type: ignore[arg-type]
        ("expected_version",
         lambda: orders.transition("o", pending, expected_version=float(SECRET))),  # type: ignore[arg-type]
        ("reason", lambda: orders.transition("o", pending, expected_version=1, reason=card)),  # type: ignore[arg-type]
        ("expected_version", lambda: orders.delete("o", expected_version=SECRET)),  # type: ignore[arg-type]
        ("status", lambda: orders.list(status=SECRET)),  # type: ignore[arg-type]
        ("customer_email", lambda: orders.list(customer_email=card)),  # type: ignore[arg-type]
        ("limit", lambda: orders.list(limit=float(SECRET))),  # type: ignore[arg-type]
        ("id", lambda: orders.history(card)),  # type: ignore[arg-type]
    ]


# The job queue's entry points, each parameter given SECRET as a type it does not take (a payload takes any
# JSON value, so a float is its wrong type).
def job_wrong_type_calls(books: billing.Books) -> list[tuple[str, Callable[[], object]]]:
    card = int(SECRET)
    jobs = books.jobs
    jobs.enqueue("probe", {})
    job = jobs.claim(["probe"])
    assert job is not None
    return [
        ("kind", lambda: jobs.enqueue(card, {})),  # type: ignore[arg-type]
        ("payload", lambda: jobs.enqueue("k", float(SECRET))),
        ("payload", lambda: jobs.enqueue("k", {"card": SECRET.encode()})),
        ("run_at", lambda: jobs.enqueue("k", {}, run_at=SECRET)),  # type: ignore[arg-type]
        ("dedup_key", lambda: jobs.enqueue("k", {}, dedup_key=card)),  # type: ignore[arg-type]
        ("max_attempts", lambda: jobs.enqueue("k", {}, max_attempts=float(SECRET))),  # type: ignore[arg-type]
        ("kind", lambda: billing.JobRequest(SECRET.encode(), {})),  # type: ignore[arg-type]
        ("requests", lambda: jobs.enqueue_batch([card])),  # type: ignore[list-item]
        ("kinds", lambda: jobs.claim(SECRET)),  # type: ignore[arg-type]
        ("kinds", lambda: jobs.claim([card])),  # type: ignore[list-item]
        ("lease", lambda: jobs.claim(lease=card)),  # type: ignore[arg-type]
        ("worker", lambda: jobs.claim(worker=card)),  # type: ignore[arg-type]
        ("limit", lambda: jobs.claim_batch(float(SECRET))),  # type: ignore[arg-type]
        ("job", lambda: jobs.complete(SECRET)),  # type: ignore[arg-type]
        ("error", lambda: jobs.fail(job, card)),  # type: ignore[arg-type]
        ("retry", lambda: jobs.fail(job, "x", retry=SECRET)),  # type: ignore[arg-type]
        ("id", lambda: jobs.redrive(card)),  # type: ignore[arg-type]
        ("id", lambda: jobs.get(card)),  # type: ignore[arg-type]
        ("kind", lambda: jobs.dead_letters(card)),  # type: ignore[arg-type]
        ("cursor", lambda: jobs.dead_letters(cursor=card)),  # type: ignore[arg-type]
        ("before", lambda: jobs.purge_completed(SECRET)),  # type: ignore[arg-type]
        ("attempt", lambda: jobs.retry_delay("j", float(SECRET))),  # type: ignore[arg-type]
        ("base_delay", lambda: jobs.configure(base_delay=card)),  # type: ignore[arg-type]
    ]


# Each call passes SECRET (as an int, a float or bytes: never the type expected) to one parameter of an
# entry point of the money, accounts, ledger and idempotency areas. The stubs refuse each one too: the
# `type: ignore` names the check, and mypy --strict (test_typing.py) fails if one is ever not needed.
def wrong_type_calls() -> list[tuple[str, Callable[[], object]]]:
    books = books_with_accounts()
    card = int(SECRET)
    money = Money("1.00", "USD")
    return [
        ("amount", lambda: Money(float(SECRET), "USD")),  # type: ignore[arg-type]
        ("currency", lambda: Money("1", card)),  # type: ignore[arg-type]
        ("factor", lambda: money.multiply(float(SECRET))),  # type: ignore[arg-type]
        ("ratios", lambda: money.allocate([float(SECRET)])),  # type: ignore[list-item]
        ("parts", lambda: money.split(SECRET)),  # type: ignore[arg-type]
        ("text", lambda: Money.parse(card)),  # type: ignore[arg-type]
        ("code", lambda: billing.register_unit(card, 2, "Card")),  # type: ignore[arg-type]
        ("name", lambda: billing.register_unit("PYCARD", 2, SECRET.encode())),  # type: ignore[arg-type]
        ("name", lambda: books.accounts.create("USD", card)),  # type: ignore[arg-type]
        ("id", lambda: books.accounts.create("USD", "Cash", id=card)),  # type: ignore[arg-type]
        ("limit", lambda: books.accounts.create("USD", "Cash", limit=card)),  # type: ignore[arg-type]
        ("metadata", lambda: books.accounts.create("USD", "Cash", metadata={"card": card})),  # type: ignore[dict-item]
        ("metadata", lambda: books.accounts.create("USD", "Cash", metadata=[SECRET])),  # type: ignore[arg-type]
        ("status", lambda: books.accounts.set_status("cash", SECRET)),  # type: ignore[arg-type]
        ("id", lambda: books.accounts.get(card)),  # type: ignore[arg-type]
        ("amount", lambda: books.ledger.transfer("cash", "revenue", card)),  # type: ignore[arg-type]
        ("credit", lambda: books.ledger.transfer("cash", card, money)),  # type: ignore[arg-type]
        ("description",
         lambda: books.ledger.transfer("cash", "revenue", money, description=card)),  # type: ignore[arg-type]
        ("effective_at",
         lambda: books.ledger.transfer("cash", "revenue", money, effective_at=SECRET)),  # type: ignore[arg-type]
        ("postings", lambda: books.ledger.post(SECRET)),  # type: ignore[arg-type]
        ("postings", lambda: books.ledger.post([billing.debit("cash", money), card])),  # type: ignore[list-item]
        ("amount", lambda: billing.debit("cash", card)),  # type: ignore[arg-type]
        ("side", lambda: billing.Posting("cash", SECRET, money)),  # type: ignore[arg-type]
        ("entries", lambda: books.ledger.post_batch([card])),  # type: ignore[list-item]
        ("timeout", lambda: books.ledger.hold([billing.debit("cash", money)], timeout=card)),  # type: ignore[arg-type]
        ("pending_id", lambda: books.ledger.post_pending(card)),  # type: ignore[arg-type]
        ("as_of", lambda: books.ledger.balance("cash", as_of=SECRET)),  # type: ignore[arg-type]
        ("cursor", lambda: books.ledger.entries("cash", cursor=card)),  # type: ignore[arg-type]
        ("format", lambda: books.ledger.export(card)),  # type: ignore[arg-type]
        ("key", lambda: books.idempotent(card, "r", lambda: 1)),  # type: ignore[arg-type]
        ("work", lambda: books.idempotent("k", "r", SECRET)),  # type: ignore[arg-type]
        ("scope", lambda: books.idempotent("k", "r", lambda: 1, scope=card)),  # type: ignore[arg-type]
        ("window", lambda: books.idempotency.configure(window=card)),  # type: ignore[arg-type]
        *job_wrong_type_calls(books),
        ("path", lambda: billing.open(card)),  # type: ignore[arg-type]
        ("busy_timeout", lambda: billing.open("unused.db", busy_timeout=card)),  # type: ignore[arg-type]
        *order_wrong_type_calls(books),
        *payment_wrong_type_calls(),
    ]


CVC = "7373"  # a CVC, recognisable in a message


def pay(**fields: Any) -> billing.PaymentReport:
    """validate_payment with a valid card payment, but for `fields`."""
    arguments: dict[str, Any] = dict(amount="19.99", currency="USD", customer_id="cus_1", card_number="4242424242424242",
                                     expiry_month=12, expiry_year=2030, cvc="123")
    arguments.update(fields)
    return billing.validate_payment(**arguments)


# The payment entry points, each parameter given SECRET (or CVC) as a type it does not take.
def payment_wrong_type_calls() -> list[tuple[str, Callable[[], object]]]:
    card = int(SECRET)
    v = billing.validate_payment
    return [
        ("card_number", lambda: v(amount="1", currency="USD", customer_id="c", card_number=card)),  # type: ignore[arg-type]
        ("cvc", lambda: v(amount="1", currency="USD", customer_id="c", cvc=int(CVC))),  # type: ignore[arg-type]
        ("iban", lambda: v(amount="1", currency="USD", customer_id="c", iban=SECRET.encode())),  # type: ignore[arg-type]
        ("amount", lambda: v(amount=float(SECRET), currency="USD", customer_id="c")),  # type: ignore[arg-type]
        ("amount", lambda: v(amount=SECRET.encode(), currency="USD", customer_id="c")),  # type: ignore[arg-type]
        ("currency", lambda: v(amount="1", currency=card, customer_id="c")),  # type: ignore[arg-type]
        ("customer_id", lambda: v(amount="1", currency="USD", customer_id=card)),  # type: ignore[arg-type]
        ("email", lambda: v(amount="1", currency="USD", customer_id="c", email=card)),  # type: ignore[arg-type]
        ("expiry_month", lambda: v(amount="1", currency="USD", customer_id="c", expiry_month=float(SECRET))),  # type: ignore[arg-type]
        ("expiry_year", lambda: v(amount="1", currency="USD", customer_id="c", expiry_year=SECRET.encode())),  # type: ignore[arg-type]
        ("policy", lambda: v(amount="1", currency="USD", customer_id="c", policy=SECRET)),  # type: ignore[arg-type]
        ("clock", lambda: v(amount="1", currency="USD", customer_id="c", clock=SECRET)),  # type: ignore[arg-type]
        ("number", lambda: billing.card_brand(card)),  # type: ignore[arg-type]
        ("number", lambda: billing.is_valid_card_number(SECRET.encode())),  # type: ignore[arg-type]
        ("iban", lambda: billing.is_valid_iban(card)),  # type: ignore[arg-type]
        ("max_amount", lambda: billing.PaymentPolicy(max_amount=float(SECRET))),  # type: ignore[arg-type]
        ("currencies", lambda: billing.PaymentPolicy(currencies=SECRET)),
        ("currencies", lambda: billing.PaymentPolicy(currencies=[card])),  # type: ignore[list-item]
        ("brands", lambda: billing.PaymentPolicy(brands=[SECRET])),  # type: ignore[list-item]
        ("brands", lambda: billing.PaymentPolicy(brands=card)),  # type: ignore[arg-type]
    ]


# SECRET and CVC in every wrong format: malformed, failing their checks, too long, not encodable, and in
# the place of another field.
SENSITIVE_VALUES = [SECRET, SECRET[:-1] + "2", SECRET + "x", SECRET[:11], SECRET * 5, SECRET + " " * 60,
                    SECRET + "\udc00", "-".join(SECRET), "GB82" + SECRET, CVC, CVC * 20, CVC + "x", CVC[:2]]
TEXT_FIELDS = ["amount", "currency", "customer_id", "email", "card_number", "expiry_month", "expiry_year", "cvc",
               "iban"]


def shown_by(report: billing.PaymentReport) -> list[str]:
    return [repr(report), repr(report.card), *(e.message for e in report.errors), *(repr(e) for e in report.errors)]


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_sensitive_value_in_a_wrong_format_is_in_no_message_or_repr(field: str) -> None:
    # With a card, with a card and an IBAN, and with neither.
    extras: list[dict[str, Optional[str]]] = [
        {}, {"iban": "GB82 WEST 1234 5698 7654 32"},
        {"card_number": None, "expiry_month": None, "expiry_year": None, "cvc": None}]
    for value in SENSITIVE_VALUES:
        for extra in extras:
            fields: dict[str, Optional[str]] = {**extra, field: value}
            for text in shown_by(pay(**fields)):  # a report, never an exception, for any str
                assert SECRET not in text and SECRET[:6] not in text and SECRET[-8:] not in text, (field, value, text)
                assert CVC not in text and "GB82" not in text, (field, value, text)
    assert not pay(card_number=SECRET[:-1] + "2").ok


def test_a_sensitive_value_given_to_the_checks_and_the_policy_is_in_no_message() -> None:
    for value in SENSITIVE_VALUES:
        assert billing.card_brand(value) in (None, billing.CardBrand.VISA, billing.CardBrand.UNIONPAY)
        assert billing.is_valid_card_number(value) in (True, False) and billing.is_valid_iban(value) in (True, False)
        with pytest.raises(billing.UnknownCurrency) as unknown:
            billing.PaymentPolicy(currencies=[value])
        assert str(unknown.value) == "currencies[0]: is not a known currency code"
        try:
            billing.PaymentPolicy(max_amount=value)  # a card number is a decimal number too
        except billing.BillingError as error:
            assert SECRET[:6] not in str(error) and CVC not in str(error), str(error)
    # Only a brand and the last four digits of a card are ever shown.
    card = pay(card_number=SECRET).card
    assert card is not None and repr(card) == \
        "CardDetails(brand=CardBrand.VISA, last_four='1111', expiry_month=12, expiry_year=2030)"


@pytest.mark.parametrize("index", range(len(wrong_type_calls())))
def test_a_wrong_type_names_the_parameter_and_never_shows_the_value(index: int, tmp_path: pathlib.Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    parameter, call = wrong_type_calls()[index]
    with pytest.raises(TypeError) as raised:
        call()
    message = str(raised.value)
    assert parameter in message, message
    assert SECRET not in message and SECRET[:8] not in message, message
    assert "Invoked with" not in message and "incompatible function arguments" not in message
    # Nothing of pybind11's own message survives as context either.
    assert raised.value.__context__ is None or SECRET not in str(raised.value.__context__)
    assert raised.value.__cause__ is None


def test_a_wrong_number_of_arguments_never_shows_the_values() -> None:
    books = books_with_accounts()
    calls: list[Callable[[], object]] = [
        lambda: books.ledger.transfer(SECRET),  # type: ignore[call-arg]
        lambda: books.ledger.transfer("cash", "revenue", Money("1", "USD"), SECRET),  # type: ignore[misc]
        lambda: books.ledger.transfer("cash", "revenue", Money("1", "USD"),  # type: ignore[call-arg]
                                      card_number=SECRET),
        lambda: Money(SECRET),  # type: ignore[call-arg]
    ]
    for call in calls:
        with pytest.raises(TypeError) as raised:
            call()
        message = str(raised.value)
        assert SECRET not in message and "Invoked with" not in message, message
        assert message.startswith(("Ledger.transfer()", "Money.__init__()")), message


def test_a_wrong_type_message_says_what_was_expected() -> None:
    books = books_with_accounts()
    with pytest.raises(TypeError) as raised:
        books.ledger.transfer("cash", "revenue", 1.5)  # type: ignore[arg-type]
    assert str(raised.value) == "Ledger.transfer(): amount: expected billing.Money, got float"
    with pytest.raises(TypeError) as raised:
        books.ledger.transfer("cash", "revenue")  # type: ignore[call-arg]
    assert str(raised.value) == "Ledger.transfer(): missing the required argument 'amount'"


# ---------------------------------------------------------------------------------------------- limits


def test_a_process_registers_at_most_1000_units() -> None:
    result = run_python("""
        import billing
        for i in range(1000):
            billing.register_unit(f"CAP_{i}", 0, f"Unit {i}")
        assert billing.register_unit("CAP_0", 0, "Unit 0").code == "CAP_0"  # the same unit again is no new one
        try:
            billing.register_unit("CAP_ONE_TOO_MANY", 0, "One too many")
        except billing.InvalidArgument as e:
            assert e.field == "code", e.field
            print("refused")
        try:
            billing.Currency("CAP_ONE_TOO_MANY")
        except billing.UnknownCurrency:
            print("not registered")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["refused", "not", "registered"]
