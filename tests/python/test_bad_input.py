"""Bad input gets a clear error, and nothing changes (issue 8, part A).

One test per class of mistake, on memory and SQLite books: a refused call raises InvalidArgument (naming
the field) or TypeError (naming the parameter), and leaves the books as they were.
"""
import csv
import datetime
import io
import itertools
import os
import pathlib
import shutil
import subprocess
import time
from decimal import Decimal
from typing import Callable, Optional, TypeVar, Union, overload

import pytest

import billing
from billing import Money, PostResult, Side

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 1, 1, tzinfo=UTC)
E = TypeVar("E", bound=Exception)
T = TypeVar("T")


def usd(amount: Union[Decimal, str, int]) -> Money:
    return Money(amount, "USD")


def found(value: Optional[T]) -> T:
    """A lookup's result (an entry, a balance) that the test expects to exist."""
    assert value is not None
    return value


@overload
def refused(call: Callable[[], object]) -> billing.InvalidArgument: ...
@overload
def refused(call: Callable[[], object], error: type[E]) -> E: ...


def refused(call: Callable[[], object], error: type[Exception] = billing.InvalidArgument) -> Exception:
    """The exception `call` raises, which must be `error`."""
    with pytest.raises(error) as raised:
        call()
    return raised.value


def unchanged(books: billing.Books) -> tuple[int, str, str]:
    """What a refused call must leave as it was: the chain and every balance."""
    report = books.ledger.verify()
    assert report.ok
    balances = {a.id: found(books.ledger.balance(a.id)).totals for a in books.accounts.list(limit=1000).items}
    return report.entries_checked, report.head_hash, repr(sorted((k, repr(v)) for k, v in balances.items()))


# ---------------------------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize("options, field", [
    ({"window": datetime.timedelta(0)}, "window"),
    ({"window": datetime.timedelta(microseconds=-1)}, "window"),
    ({"window": datetime.timedelta(days=-3)}, "window"),
    ({"window": datetime.timedelta(days=367)}, "window"),
    ({"lease": datetime.timedelta(0)}, "lease"),
    ({"lease": datetime.timedelta(seconds=-30)}, "lease"),
    ({"window": datetime.timedelta(hours=1), "lease": datetime.timedelta(hours=2)}, "lease"),  # outlives its key
], ids=repr)
def test_idempotency_cannot_be_switched_off_by_a_window_or_lease(
        books: billing.Books, options: dict[str, datetime.timedelta], field: str) -> None:
    assert refused(lambda: books.idempotency.configure(**options)).field == field

    # The refusal changed nothing: the same key and request three times is still one transfer.
    runs: list[int] = []

    def charge() -> str:
        runs.append(1)
        return books.ledger.transfer("cash", "revenue", usd("5.00")).result.name

    for _ in range(3):
        books.idempotent("order-1", {"amount": "5.00"}, charge)
    assert len(runs) == 1 and books.ledger.verify().entries_checked == 1


def test_idempotency_bounds_themselves_are_accepted(books: billing.Books) -> None:
    books.idempotency.configure(window=datetime.timedelta(days=366), lease=datetime.timedelta(days=366))
    books.idempotency.configure(window=datetime.timedelta(microseconds=1), lease=datetime.timedelta(microseconds=1))
    with pytest.raises(TypeError, match="window"):
        books.idempotency.configure(window=3600)  # type: ignore[arg-type]


def test_a_request_that_cannot_be_encoded_never_echoes_its_values(books: billing.Books) -> None:
    secret = 4111111111111111
    for request in [{secret: "a dict key that is not a str"}, {"amount": Decimal(f"{secret}E-40")}]:
        error = refused(lambda: books.idempotent("k", request, lambda: 1), TypeError)
        assert str(secret) not in str(error) and str(error).startswith("request")
    assert books.idempotency.purge_expired() == 0


# ---------------------------------------------------------------------------------------------- export

# Ids that the old escaping merged: "(cash)" and "[cash]" both became "_cash_", "a;b" became "a_b", and
# "cash" and "Cash" became one beancount account. Each here gets its own amount.
COLLIDING_IDS = ["(cash)", "[cash]", "cash", "Cash", "CASH", "a;b", "a_b", "a-b", "a.b", "a%3Bb", "a%b", "a",
                 "a:b", "a::b", ":lead", "trail:", "*star", "!bang", "0cash", "42", "042", "X-2Dy", "x-y",
                 "wallet:42", "user:7:wallet", "a@b/c"]


def ledger_cli_id(name: str) -> str:
    """The inverse of the ledger-cli escaping in docs/ledger.md: %XX is the byte XX."""
    out, i = [], 0
    while i < len(name):
        if name[i] == "%":
            out.append(chr(int(name[i + 1:i + 3], 16)))
            i += 3
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def beancount_id(name: str) -> str:
    """The inverse of the beancount escaping in docs/ledger.md: drop the root; in each component, a leading
    capital was a lower-case letter and a leading 0 was added; -XX is the byte XX."""
    parts = []
    for component in name.split(":")[1:]:
        if component[0] == "0":
            component = component[1:]
        else:
            component = component[0].lower() + component[1:]
        out, i = [], 0
        while i < len(component):
            if component[i] == "-":
                out.append(chr(int(component[i + 1:i + 3], 16)))
                i += 3
            else:
                out.append(component[i])
                i += 1
        parts.append("".join(out))
    return ":".join(parts)


def colliding_books(books: billing.Books) -> dict[str, Money]:
    books.accounts.create("USD", "Source", id="source", normal_side=Side.CREDIT)
    for i, account_id in enumerate(COLLIDING_IDS):
        books.accounts.create("USD", f"Account {i}", id=account_id, normal_side=Side.DEBIT if i % 2 else Side.CREDIT)
        assert books.ledger.transfer(account_id, "source", usd(Decimal(i + 1) * Decimal("1.01"))).ok
    ours: dict[str, Money] = {}
    for account in books.accounts.list(limit=1000).items:
        totals = found(books.ledger.balance(account.id))
        net = totals.debits_posted - totals.credits_posted
        if net:
            ours[account.id] = net
    assert len(ours) == len(COLLIDING_IDS) + 1
    return ours


@pytest.mark.skipif(shutil.which("ledger") is None, reason="ledger-cli (Debian package ledger) is not installed")
def test_export_keeps_colliding_ids_apart_in_ledger_cli(books: billing.Books, tmp_path: pathlib.Path) -> None:
    ours = colliding_books(books)
    journal = tmp_path / "books.journal"
    journal.write_text(books.ledger.export("ledger"))
    out = subprocess.run(["ledger", "-f", str(journal), "bal", "--flat", "--no-total", "--balance-format",
                          "%(account)\t%(quantity(display_amount))\t%(commodity(display_amount))\n"],
                         capture_output=True, text=True, check=True).stdout
    theirs: dict[str, Money] = {}
    for line in out.strip().splitlines():
        name, quantity, commodity = line.split("\t")
        assert ledger_cli_id(name) not in theirs, f"two names decode to {ledger_cli_id(name)!r}"
        theirs[ledger_cli_id(name)] = Money(Decimal(quantity.replace(",", "")), commodity)
    assert theirs == ours


@pytest.mark.skipif(shutil.which("bean-check") is None or shutil.which("bean-query") is None,
                    reason="beancount's bean-check and bean-query (Debian package beancount) are not installed")
def test_export_keeps_colliding_ids_apart_in_beancount(books: billing.Books, tmp_path: pathlib.Path) -> None:
    ours = colliding_books(books)
    journal = tmp_path / "books.beancount"
    journal.write_text(books.ledger.export("beancount"))
    check = subprocess.run(["bean-check", str(journal)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # no duplicate open, no bad account name
    out = subprocess.run(["bean-query", "-f", "csv", str(journal),
                          "SELECT account, sum(number) AS total, currency GROUP BY account, currency"],
                         capture_output=True, text=True, check=True).stdout
    theirs: dict[str, Money] = {}
    for row in list(csv.reader(io.StringIO(out)))[1:]:
        name, total, currency = (field.strip() for field in row)
        if Decimal(total):
            assert beancount_id(name) not in theirs
            theirs[beancount_id(name)] = Money(Decimal(total), currency)
    assert theirs == ours


# ---------------------------------------------------------------------------------------------- reads


def test_a_negative_or_boolean_sequence_is_refused(books: billing.Books) -> None:
    books.ledger.transfer("cash", "revenue", usd(1))
    for as_of in (-1, -(2**70)):
        assert refused(lambda: books.ledger.balance("cash", as_of=as_of)).field == "as_of"
    with pytest.raises(TypeError, match="as_of"):
        books.ledger.balance("cash", as_of=True)
    assert found(books.ledger.balance("cash", as_of=0)).net == usd(0)
    assert found(books.ledger.balance("cash", as_of=10**6)).as_of_sequence == 1  # beyond the last: as of the last


def test_an_entries_window_must_not_end_before_it_starts(books: billing.Books) -> None:
    error = refused(lambda: books.ledger.entries("cash", start=START, end=START - datetime.timedelta(seconds=1)))
    assert error.field == "end"
    assert books.ledger.entries("cash", start=START, end=START).items == []


def test_a_cursor_from_another_account_or_edited_is_refused(books: billing.Books, clock: billing.ManualClock) -> None:
    books.accounts.create("USD", "Other", id="other")
    for _ in range(3):
        books.ledger.transfer("cash", "revenue", usd(1))
        books.ledger.transfer("other", "revenue", usd(1))
    cursor = found(books.ledger.entries("cash", limit=1).next_cursor)
    assert [e.kind for e in books.ledger.entries("cash", cursor=cursor).items] == [billing.EntryKind.POSTED] * 2
    for account, bad in [("other", cursor), ("revenue", cursor), ("cash", cursor[:-1] + "0"),
                         ("cash", cursor.split("-")[0]), ("cash", "x" * 10_000)]:
        error = refused(lambda: books.ledger.entries(account, cursor=bad))
        assert error.field == "cursor" and bad not in str(error)


def test_a_path_with_a_nul_byte_is_refused_and_opens_nothing(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "books.db"
    assert refused(lambda: billing.open(str(target) + "\0.ignored")).field == "path"
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="path"):
        billing.open(os.fsencode(str(target)))  # type: ignore[arg-type]
    books = billing.open(pathlib.Path(target))  # an os.PathLike is a path
    books.accounts.create("USD", "Cash", id="cash")
    assert target.exists()


# ---------------------------------------------------------------------------------------------- one rule per door


def test_no_door_posts_an_entry_that_debits_and_credits_one_account(books: billing.Books) -> None:
    before = unchanged(books)
    same = [billing.debit("cash", usd(1)), billing.credit("cash", usd(1))]
    assert refused(lambda: books.ledger.post(same)).field == "postings[1].account"
    assert refused(lambda: books.ledger.hold(same)).field == "postings[1].account"
    batch = [billing.EntryRequest([billing.debit("cash", usd(1)), billing.credit("revenue", usd(1))]),
             billing.EntryRequest(same)]
    assert refused(lambda: books.ledger.post_batch(batch)).field == "[1].postings[1].account"
    assert refused(lambda: books.ledger.transfer("cash", "cash", usd(1))).field == "credit"
    netting = [billing.debit("cash", usd(3)), billing.credit("revenue", usd(1)), billing.credit("cash", usd(2))]
    assert refused(lambda: books.ledger.post(netting)).field == "postings[2].account"
    assert unchanged(books) == before
    # One account twice on one side is a split, and fine.
    assert books.ledger.post([billing.debit("cash", usd(1)), billing.debit("cash", usd(2)),
                              billing.credit("revenue", usd(3))]).ok


# ---------------------------------------------------------------------------------------------- unbounded work


@pytest.mark.parametrize("parts", [10**8, 2**63, 10_001])
def test_a_split_beyond_the_limit_is_refused_at_once(parts: int) -> None:
    began = time.monotonic()
    assert refused(lambda: Money("1", "USD").split(parts)).field == "parts"
    assert time.monotonic() - began < 1.0
    assert len(Money("1", "USD").split(10_000)) == 10_000


def test_a_split_count_beyond_64_bits_or_negative_is_an_error_not_a_cpp_message() -> None:
    assert refused(lambda: Money("1", "USD").split(2**64), billing.Overflow).field == "parts"
    assert refused(lambda: Money("1", "USD").split(-1)).field == "parts"
    with pytest.raises(TypeError, match="parts"):
        Money("1", "USD").split(True)


def test_an_endless_list_of_ratios_is_refused_without_reading_it_all() -> None:
    began = time.monotonic()
    assert refused(lambda: Money("1", "USD").allocate(itertools.repeat(1))).field == "ratios"
    assert time.monotonic() - began < 1.0


@pytest.mark.parametrize("code, places, name, field", [
    ("PYX_LONG", 2, "n" * 10_000, "name"),
    ("PYX_NAME65", 2, "n" * 65, "name"),
    ("PYX_NUL", 2, "nul\0name", "name"),
    ("PYX_BLANK", 2, " \t ", "name"),
    ("PYX_SPACES", 2, "\u3000\u00a0", "name"),
    ("PYX_DEEP", 19, "Too many places", "minor_units"),
    ("pyx_lower", 2, "Lower case", "code"),
    ("PYX_" + "X" * 20, 2, "Long code", "code"),
], ids=repr)
def test_a_unit_beyond_its_limits_is_refused_and_not_registered(code: str, places: int, name: str, field: str) -> None:
    assert refused(lambda: billing.register_unit(code, places, name)).field == field
    with pytest.raises(billing.UnknownCurrency):
        billing.Currency(code)


@pytest.mark.parametrize("places", [True, False, 2.0, "2", None])
def test_a_units_places_must_be_an_int(places: object) -> None:
    with pytest.raises(TypeError, match="minor_units"):
        billing.register_unit("PYX_PLACES", places, "Places")  # type: ignore[arg-type]
    with pytest.raises(billing.UnknownCurrency):
        billing.Currency("PYX_PLACES")


# ---------------------------------------------------------------------------------------------- other input


BLANK = ["   ", "\u200b", "\u3000\u00a0"]
CONTROL = ["\t", "two\nlines", "nul\0", "bell\a", "\x85", "\u2028", "esc\x1b[31m"]


@pytest.mark.parametrize("name", BLANK + CONTROL, ids=repr)
def test_blank_names_and_names_with_control_characters_are_refused(books: billing.Books, name: str) -> None:
    before = unchanged(books)
    assert refused(lambda: books.accounts.create("USD", name, id="named")).field == "name"
    assert books.accounts.get("named") is None
    assert refused(lambda: books.accounts.create("USD", "Fine", id="keyed", metadata={name: "v"})).field == "metadata"
    assert refused(lambda: billing.register_unit("PYX_NAMED", 2, name)).field == "name"
    assert unchanged(books) == before


@pytest.mark.parametrize("text", CONTROL, ids=repr)
def test_a_description_with_a_control_character_is_refused(books: billing.Books, text: str) -> None:
    before = unchanged(books)
    assert refused(lambda: books.ledger.transfer("cash", "revenue", usd(1), description=text)).field == "description"
    books.ledger.transfer("cash", "revenue", usd(1), id="sale")
    assert refused(lambda: books.ledger.reverse("sale", description=text)).field == "description"
    assert books.ledger.verify().entries_checked == before[0] + 1


def test_a_blank_description_is_only_a_blank_description(books: billing.Books) -> None:
    assert books.ledger.transfer("cash", "revenue", usd(1), description="   ").ok


@pytest.mark.parametrize("when", [
    datetime.datetime(1, 1, 1, tzinfo=UTC),
    datetime.datetime.max.replace(tzinfo=UTC),
    datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(2200, 1, 1, tzinfo=UTC),
], ids=str)
def test_an_effective_time_outside_its_window_is_refused(books: billing.Books, when: datetime.datetime) -> None:
    before = unchanged(books)
    assert refused(lambda: books.ledger.transfer("cash", "revenue", usd(1), effective_at=when)).field == "effective_at"
    entry = billing.EntryRequest([billing.debit("cash", usd(1)), billing.credit("revenue", usd(1))], effective_at=when)
    assert refused(lambda: books.ledger.post_batch([entry])).field == "effective_at"
    assert unchanged(books) == before


def test_the_ends_of_the_effective_time_window_are_accepted(books: billing.Books) -> None:
    for when in (datetime.datetime(1970, 1, 1, tzinfo=UTC), datetime.datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)):
        assert found(books.ledger.transfer("cash", "revenue", usd(1), effective_at=when).entry).effective_at == when


@pytest.mark.parametrize("text", ["5.", "-5.", "5.e2", "1_000", " 5", "5 ", "1" * 200])
def test_an_amount_outside_the_documented_grammar_is_refused(text: str) -> None:
    with pytest.raises(billing.InvalidAmount):
        Money(text, "USD")
    with pytest.raises(billing.InvalidAmount):
        Money.parse(text + " USD")


def test_a_trailing_point_is_fine_in_a_decimal_whose_value_is_exact() -> None:
    assert Money(Decimal("5."), "USD") == Money(".5", "USD").multiply(10)


# Calls that pass a wrong type on purpose. Where mypy can tell (to it a bool is an int), the stubs refuse
# the call too: the `type: ignore` names the check, and mypy --strict (test_typing.py) fails if one is
# ever not needed.
BOOL_FOR_NUMBER: list[tuple[Callable[[billing.Books], object], str]] = [
    (lambda b: b.ledger.entries("cash", limit=True), "limit"),
    (lambda b: b.accounts.list(limit=False), "limit"),
    (lambda b: Money.from_minor(True, "USD"), "minor"),
    (lambda b: Money(True, "USD"), "amount"),
    (lambda b: Money("1", "USD").multiply(True), "factor"),
    (lambda b: billing.quantize("1.5", True, billing.RoundingMode.HALF_EVEN), "places"),
    (lambda b: billing.SequentialIds("x-", True), "start"),
    (lambda b: b.accounts.create("USD", "Flag", debits_must_not_exceed_credits=1),  # type: ignore[arg-type]
     "debits_must_not_exceed_credits"),
    (lambda b: b.accounts.create("USD", "Flag", normal_side=1), "normal_side"),  # type: ignore[arg-type]
]
BYTES_FOR_STR: list[tuple[Callable[[billing.Books], object], str]] = [
    (lambda b: b.accounts.create("USD", b"Cash"), "name"),  # type: ignore[arg-type]
    (lambda b: b.accounts.create("USD", "Cash", id=b"cash2"), "id"),  # type: ignore[arg-type]
    (lambda b: b.accounts.create(b"USD", "Cash"), "currency"),  # type: ignore[arg-type]
    (lambda b: b.accounts.create("USD", "Cash", metadata={b"k": "v"}), "metadata"),  # type: ignore[dict-item]
    (lambda b: b.accounts.create("USD", "Cash", metadata={"k": b"v"}), "metadata"),  # type: ignore[dict-item]
    (lambda b: b.accounts.get(b"cash"), "id"),  # type: ignore[arg-type]
    (lambda b: b.ledger.transfer(b"cash", "revenue", usd(1)), "debit"),  # type: ignore[arg-type]
    (lambda b: b.ledger.transfer("cash", "revenue", usd(1), description=b"sale"),  # type: ignore[arg-type]
     "description"),
    (lambda b: b.ledger.balance(b"cash"), "account_id"),  # type: ignore[arg-type]
    (lambda b: b.ledger.entry(b"t1"), "id"),  # type: ignore[arg-type]
    (lambda b: b.ledger.post_pending_group([b"h1"]), "pending_ids"),  # type: ignore[list-item]
    (lambda b: b.ledger.export(b"ledger"), "format"),  # type: ignore[arg-type]
    (lambda b: billing.debit(b"cash", usd(1)), "account"),  # type: ignore[arg-type]
    (lambda b: billing.Currency(b"USD"), "code"),  # type: ignore[arg-type]
    (lambda b: Money.parse(b"1.00 USD"), "text"),  # type: ignore[arg-type]
    (lambda b: b.idempotent(b"key", "r", lambda: 1), "key"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("call, parameter", BOOL_FOR_NUMBER, ids=lambda v: v if isinstance(v, str) else "")
def test_a_bool_where_a_number_is_expected_and_the_reverse_are_type_errors(
        books: billing.Books, call: Callable[[billing.Books], object], parameter: str) -> None:
    with pytest.raises(TypeError, match=parameter):
        call(books)


@pytest.mark.parametrize("call, parameter", BYTES_FOR_STR, ids=lambda v: v if isinstance(v, str) else "")
def test_bytes_where_a_str_is_expected_are_type_errors(
        books: billing.Books, call: Callable[[billing.Books], object], parameter: str) -> None:
    before = unchanged(books)
    with pytest.raises(TypeError, match=parameter):
        call(books)
    assert unchanged(books) == before


# ---------------------------------------------------------------------------------------------- with blocks


def test_an_explicit_commit_inside_with_commits_and_the_end_of_the_block_does_nothing(books: billing.Books) -> None:
    with books.transaction() as t:
        assert books.ledger.transfer("cash", "revenue", usd(1), id="t1").ok
        t.commit()
        assert found(books.ledger.balance("cash")).net == usd(1)  # reads go on, and see the commit
    assert books.ledger.entry("t1") is not None and books.ledger.verify().entries_checked == 1


def test_writes_after_commit_are_refused_until_the_block_ends(books: billing.Books) -> None:
    with books.transaction() as t:
        books.ledger.transfer("cash", "revenue", usd(1), id="t1")
        t.commit()
        for write in (lambda: books.ledger.transfer("cash", "revenue", usd(2), id="t2"),
                      lambda: books.accounts.create("USD", "Late", id="late"),
                      lambda: books.idempotent("k", "r", lambda: 1),
                      lambda: books.transaction().__enter__(),
                      t.commit):
            with pytest.raises(billing.Misuse):
                write()
    assert books.ledger.entry("t2") is None and books.accounts.get("late") is None
    assert books.ledger.transfer("cash", "revenue", usd(2), id="t2").ok  # the block ended: writes work again
    with pytest.raises(billing.Misuse):  # a transaction serves one block
        with t:
            pass


def test_an_exception_after_an_explicit_commit_keeps_what_was_committed(books: billing.Books) -> None:
    with pytest.raises(RuntimeError):
        with books.transaction() as t:
            books.ledger.transfer("cash", "revenue", usd(1), id="t1")
            t.commit()
            raise RuntimeError("after the commit")
    assert books.ledger.entry("t1") is not None
    assert books.ledger.transfer("cash", "revenue", usd(1), id="t2").ok
