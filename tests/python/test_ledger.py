"""The Python face of accounts and the ledger, on memory and SQLite books."""
import datetime
import pathlib
import shutil
import sqlite3
import subprocess
from decimal import Decimal
from typing import Optional, TypeVar, Union

import pytest

import billing
from billing import AccountStatus, Money, PostResult, Side

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def usd(amount: Union[Decimal, str, int]) -> Money:
    return Money(amount, "USD")


def found(value: Optional[T]) -> T:
    """A lookup's result (an account, an entry, a balance) that the test expects to exist."""
    assert value is not None
    return value


def test_open_creates_accounts_with_every_field(books: billing.Books) -> None:
    outcome = books.accounts.create(
        "USD", "Wallet", id="wallet", normal_side=Side.CREDIT, debits_must_not_exceed_credits=True,
        limit=usd("50.00"), metadata={"customer": "c-1"})
    assert outcome.result == billing.AccountResult.OK
    account = found(books.accounts.get("wallet"))
    assert account == outcome.account
    assert (account.id, account.name, account.currency.code) == ("wallet", "Wallet", "USD")
    assert account.limit == usd("50.00") and account.metadata == {"customer": "c-1"}
    assert account.created_at == START
    assert books.accounts.create("USD", "Wallet", id="wallet", normal_side=Side.CREDIT,
                                 debits_must_not_exceed_credits=True, limit=usd("50.00"),
                                 metadata={"customer": "c-1"}).result == billing.AccountResult.EXISTS
    assert books.accounts.get("nobody") is None


def test_bad_account_input_raises_naming_the_field(books: billing.Books) -> None:
    with pytest.raises(billing.InvalidArgument) as raised:
        books.accounts.create("USD", "")
    assert raised.value.field == "name"
    with pytest.raises(billing.UnknownCurrency):
        books.accounts.create("XYZ", "Nope")
    with pytest.raises(billing.InvalidArgument) as raised:
        books.accounts.create("USD", "n", id="has space")
    assert raised.value.field == "account_id"


def test_status_changes_follow_the_table(books: billing.Books) -> None:
    assert books.accounts.deactivate("cash").result == billing.StatusResult.OK
    assert found(books.accounts.get("cash")).status == AccountStatus.INACTIVE
    assert books.accounts.set_status("cash", AccountStatus.PENDING).result == billing.StatusResult.TRANSITION_FORBIDDEN
    assert books.accounts.activate("cash").result == billing.StatusResult.OK
    page = books.accounts.list(status=AccountStatus.ACTIVE, limit=1)
    assert [a.id for a in page.items] == ["cash"] and page.next_cursor == "cash"
    assert [a.id for a in books.accounts.list(cursor=page.next_cursor).items] == ["revenue"]


def test_transfer_and_balances(books: billing.Books) -> None:
    outcome = books.ledger.transfer("cash", "revenue", usd("9.99"), id="t1", description="sale",
                                    metadata={"order": "o-1"})
    assert outcome.result == PostResult.OK and outcome.ok
    entry = found(outcome.entry)
    assert (entry.id, entry.sequence, entry.kind, entry.description) == ("t1", 1, billing.EntryKind.POSTED, "sale")
    assert entry.postings == [billing.debit("cash", usd("9.99")), billing.credit("revenue", usd("9.99"))]
    assert len(entry.hash) == 64 and entry.previous_hash == "0" * 64
    assert found(books.ledger.balance("cash")).net == usd("9.99")
    assert found(books.ledger.balance("revenue")).credits_posted == usd("9.99")
    assert found(books.ledger.balance("cash", as_of=0)).net == usd("0")
    assert books.ledger.balance("nobody") is None
    retry = books.ledger.transfer("cash", "revenue", usd("9.99"), id="t1", description="sale",
                                  metadata={"order": "o-1"})
    assert retry.result == PostResult.EXISTS and retry.entry == entry


def test_rejections_are_values_and_leave_nothing(books: billing.Books) -> None:
    assert books.ledger.transfer("cash", "ghost", usd("1")).result == PostResult.ACCOUNT_NOT_FOUND
    outcome = books.ledger.post([billing.debit("cash", usd("1")), billing.credit("revenue", usd("2"))])
    assert outcome.result == PostResult.UNBALANCED and outcome.entry is None
    assert books.ledger.verify().entries_checked == 0
    with pytest.raises(billing.InvalidArgument) as raised:
        books.ledger.post([billing.debit("cash", usd("1"))])
    assert raised.value.field == "postings"
    with pytest.raises(TypeError):
        billing.debit("cash", 1.5)  # type: ignore[arg-type]


def test_batches(books: billing.Books) -> None:
    entries = [billing.EntryRequest([billing.debit("cash", usd(i)), billing.credit("revenue", usd(i))], id=f"b{i}")
               for i in range(1, 4)]
    bad = billing.EntryRequest([billing.debit("cash", usd(1)), billing.credit("ghost", usd(1))], id="bad")
    atomic = books.ledger.post_batch(entries + [bad])
    assert [o.result for o in atomic] == [PostResult.BATCH_FAILED] * 3 + [PostResult.ACCOUNT_NOT_FOUND]
    independent = books.ledger.post_batch(entries + [bad], billing.BatchMode.INDEPENDENT)
    assert [o.result for o in independent] == [PostResult.OK] * 3 + [PostResult.ACCOUNT_NOT_FOUND]
    assert found(books.ledger.balance("cash")).net == usd(6)


def test_holds_and_reversals(books: billing.Books, clock: billing.ManualClock) -> None:
    hold = books.ledger.hold([billing.debit("cash", usd(50)), billing.credit("revenue", usd(50))], id="h1",
                             timeout=datetime.timedelta(minutes=15))
    assert hold.ok and found(hold.entry).expires_at == START + datetime.timedelta(minutes=15)
    assert found(books.ledger.balance("cash")).debits_pending == usd(50)
    assert books.ledger.post_pending("h1", usd(30)).ok
    assert books.ledger.post_pending("h1").result == PostResult.PENDING_ALREADY_POSTED
    assert found(books.ledger.balance("cash")).totals == found(books.ledger.balance("cash")).totals
    assert found(books.ledger.balance("cash")).net == usd(30)
    books.ledger.hold([billing.debit("cash", usd(5)), billing.credit("revenue", usd(5))], id="h2",
                      timeout=datetime.timedelta(minutes=1))
    clock.advance(datetime.timedelta(minutes=2))
    assert books.ledger.post_pending("h2").result == PostResult.PENDING_EXPIRED
    assert books.ledger.void_expired_holds() == 1
    sale = books.ledger.transfer("cash", "revenue", usd(7), id="sale")
    undo = books.ledger.reverse("sale", id="refund")
    assert undo.ok and found(undo.entry).reverses == "sale" and found(undo.entry).kind == billing.EntryKind.REVERSAL
    assert books.ledger.reverse("sale").result == PostResult.ALREADY_REVERSED
    assert found(sale.entry).sequence < found(undo.entry).sequence


def test_entries_are_paged(books: billing.Books, clock: billing.ManualClock) -> None:
    for i in range(5):
        books.ledger.transfer("cash", "revenue", usd(1), id=f"t{i}")
        clock.advance(datetime.timedelta(minutes=1))
    first = books.ledger.entries("cash", limit=2)
    assert [e.id for e in first.items] == ["t0", "t1"]
    assert first.next_cursor is not None
    rest = books.ledger.entries("cash", cursor=first.next_cursor, limit=10)
    assert [e.id for e in rest.items] == ["t2", "t3", "t4"] and rest.next_cursor is None
    window = books.ledger.entries("cash", start=START + datetime.timedelta(minutes=1),
                                  end=START + datetime.timedelta(minutes=3))
    assert [e.id for e in window.items] == ["t1", "t2"]


def test_a_transaction_commits_together_or_not_at_all(books: billing.Books) -> None:
    with pytest.raises(RuntimeError):
        with books.transaction():
            assert books.ledger.transfer("cash", "revenue", usd(1), id="a").ok
            raise RuntimeError("the host failed half-way")
    assert books.ledger.entry("a") is None
    with books.transaction():
        books.ledger.transfer("cash", "revenue", usd(1), id="a")
        books.ledger.transfer("cash", "revenue", usd(2), id="b")
    assert found(books.ledger.balance("cash")).net == usd(3)


def test_sqlite_books_survive_reopening(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "books.db")
    books = billing.open(path)
    books.accounts.create("EUR", "A", id="a")
    books.accounts.create("EUR", "B", id="b")
    books.ledger.transfer("a", "b", Money("12.50", "EUR"), id="t")
    del books
    again = billing.open(path)
    assert found(again.ledger.balance("a")).net == Money("12.50", "EUR")
    assert again.ledger.verify().ok


def test_verify_finds_a_row_edited_behind_the_librarys_back(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "books.db")
    books = billing.open(path)
    books.accounts.create("USD", "A", id="a")
    books.accounts.create("USD", "B", id="b")
    for i in range(5):
        books.ledger.transfer("a", "b", usd("10.00"), id=f"t{i}")
    assert books.ledger.verify().ok

    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError):  # the append-only guard stops a plain UPDATE
        raw.execute("UPDATE journal SET description = 'edited' WHERE sequence = 3")
    triggers = [name for (name,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'journal' AND sql LIKE '%UPDATE%'")]
    assert triggers
    for name in triggers:
        raw.execute(f"DROP TRIGGER {name}")
    raw.execute("UPDATE journal SET description = 'edited' WHERE sequence = 3")
    raw.commit()
    raw.close()

    report = books.ledger.verify()
    assert not report.ok
    assert report.first_bad_sequence == 3
    assert "hash" in report.problem


@pytest.mark.skipif(shutil.which("ledger") is None, reason="Debian's ledger is installed by scripts/install-deps.sh")
def test_ledger_cli_agrees_with_our_balances(books: billing.Books, tmp_path: pathlib.Path) -> None:
    books.accounts.create("USD", "Fees", id="expenses:fees")
    books.accounts.create("EUR", "Euro cash", id="assets:eur")
    books.accounts.create("EUR", "Euro sales", id="income:eur", normal_side=Side.CREDIT)
    for i in range(40):
        books.ledger.transfer("cash", "revenue", usd(Decimal(i) + Decimal("0.37")), id=f"s{i}")
        if i % 7 == 0:
            books.ledger.transfer("expenses:fees", "cash", usd("0.29"))
        if i % 5 == 0:
            books.ledger.transfer("assets:eur", "income:eur", Money("3.10", "EUR"))
    books.ledger.reverse("s3")
    books.ledger.hold([billing.debit("cash", usd(99)), billing.credit("revenue", usd(99))], id="held")
    books.ledger.post_pending("held", usd(40))
    journal = tmp_path / "books.journal"
    journal.write_text(books.ledger.export("ledger"))
    out = subprocess.run(["ledger", "-f", str(journal), "bal", "--flat", "--no-total", "--balance-format",
                          "%(account)\t%(quantity(display_amount))\t%(commodity(display_amount))\n"],
                         capture_output=True, text=True, check=True).stdout
    theirs = {}
    for line in out.strip().splitlines():
        name, quantity, commodity = line.split("\t")
        theirs[name] = Money(Decimal(quantity.replace(",", "")), commodity)
    ours = {}
    for account in books.accounts.list(limit=1000).items:
        totals = found(books.ledger.balance(account.id))
        net = totals.debits_posted - totals.credits_posted
        if net:
            ours[account.id] = net
    assert theirs == ours
