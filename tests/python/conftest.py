"""Fixtures the Python suites share: a manual clock, and books on each adapter with two open accounts."""
import datetime
import pathlib

import pytest

import billing

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def clock() -> billing.ManualClock:
    return billing.ManualClock(START)


@pytest.fixture(params=["memory", "sqlite"])
def books(request: pytest.FixtureRequest, tmp_path: pathlib.Path, clock: billing.ManualClock) -> billing.Books:
    """Books on a fresh store of each adapter, with sequential ids, a debit-normal "cash" and a
    credit-normal "revenue" account in USD. A suite that needs other accounts defines its own."""
    path = str(tmp_path / "books.db") if request.param == "sqlite" else None
    books = billing.open(path, durability=billing.Durability.NORMAL, clock=clock, ids=billing.SequentialIds("gen-"))
    books.accounts.create("USD", "Cash", id="cash")
    books.accounts.create("USD", "Revenue", id="revenue", normal_side=billing.Side.CREDIT)
    return books
