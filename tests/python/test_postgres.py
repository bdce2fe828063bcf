"""billing.open() on a libpq URI and billing.open_postgres(): the PostgreSQL adapter from Python
(include/billing/storage/postgres.hpp). The adapter's rules are tested once in C++ (tests/contract, on every
adapter); these tests check what the binding adds: how a store is named and opened, which options each
kind of store takes, the errors that name the field, and that no message or repr shows a password.

The module starts a throwaway PostgreSQL 15 server (initdb and pg_ctl from /usr/lib/postgresql/15/bin, or
BILLING_TEST_PG_BINDIR), listening on a Unix socket in a temporary directory and nowhere else, and removes
it when the module ends. initdb refuses to run as root: then the server runs as the user `postgres` (or
BILLING_TEST_PG_USER), through runuser, and owns the directory. BILLING_TEST_POSTGRES, when set, is the
conninfo of a server to use instead. Each test keeps its books in a schema of its own.
"""
import dataclasses
import datetime
import os
import pathlib
import pwd
import shlex
import shutil
import subprocess
import tempfile
import threading
import urllib.parse
import uuid
from typing import Callable, Iterator, Optional, Union

import pytest

import billing
from billing import Money

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
SECOND = datetime.timedelta(seconds=1)
URI_PREFIXES = ("postgresql://", "postgres://")
PASSWORD = "s3cret"  # recognisable in a message
# Conninfos that parse, of no server: the checks of the options come first, so nothing is reached.
NOWHERE = "host=/nonexistent user=billing dbname=postgres"
URI_NOWHERE = "postgresql://billing@/postgres?host=/nonexistent"


@dataclasses.dataclass(frozen=True)
class Server:
    """How the tests reach the server: `conninfo` always, and the same server as a URI and as a key=value
    string when they are known (both for a server of our own; the one form given for an outside server)."""

    conninfo: str
    uri: Optional[str]
    key_value: Optional[str]
    own: bool  # started by this module: its role `billing` is trusted, whatever password a conninfo gives


def run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"the test PostgreSQL server: {what} failed ({shlex.join(command)}):\n"
                    f"{result.stdout}{result.stderr}")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    outside = os.environ.get("BILLING_TEST_POSTGRES")
    if outside:
        uri = outside.startswith(URI_PREFIXES)
        yield Server(outside, outside if uri else None, None if uri else outside, own=False)
        return
    bin_dir = pathlib.Path(os.environ.get("BILLING_TEST_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
    if not (bin_dir / "initdb").exists():
        pytest.fail(f"no initdb in {bin_dir}: install postgresql-15 (scripts/install-deps.sh), or set "
                    "BILLING_TEST_PG_BINDIR, or BILLING_TEST_POSTGRES to the conninfo of a running server")
    directory = tempfile.mkdtemp(prefix="billing-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = os.environ.get("BILLING_TEST_PG_USER", "postgres")
        account = pwd.getpwnam(user)
        os.chown(directory, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", user, "--"]
    data = os.path.join(directory, "data")
    pg_ctl = str(bin_dir / "pg_ctl")
    try:
        # --no-sync: the cluster is thrown away; the server itself still fsyncs its WAL.
        run([*prefix, str(bin_dir / "initdb"), "-D", data, "-U", "billing", "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"], "initdb")
        run([*prefix, pg_ctl, "-D", data, "-l", os.path.join(directory, "log"), "-w", "-o",
             f"-k {shlex.quote(directory)} -c listen_addresses=''", "start"], "pg_ctl start")
        yield Server(conninfo=f"host={directory} user=billing dbname=postgres",
                     uri=f"postgresql://billing@/postgres?host={urllib.parse.quote(directory, safe='/')}",
                     key_value=f"host={directory} user=billing dbname=postgres", own=True)
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=300)
        shutil.rmtree(directory, ignore_errors=True)


def unique_schema() -> str:
    """A schema no other test, nor another run against an outside server, has used."""
    return f"py_{uuid.uuid4().hex[:16]}"


@pytest.fixture
def schema() -> str:
    return unique_schema()


def open_books(server: Server, schema: str, *, lock_timeout: Optional[datetime.timedelta] = None,
               max_connections: Optional[int] = None, conflict_retries: Optional[int] = None) -> billing.Books:
    """Books on `schema` with a manual clock at START and sequential ids."""
    return billing.open_postgres(server.conninfo, schema=schema, durability=billing.Durability.NORMAL,
                                 lock_timeout=lock_timeout, max_connections=max_connections,
                                 conflict_retries=conflict_retries, clock=billing.ManualClock(START),
                                 ids=billing.SequentialIds("gen-"))


def with_accounts(books: billing.Books) -> billing.Books:
    """A debit-normal "cash" and a credit-normal "revenue" account in USD, as conftest's books have."""
    assert books.accounts.create("USD", "Cash", id="cash")
    assert books.accounts.create("USD", "Revenue", id="revenue", normal_side=billing.Side.CREDIT)
    return books


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def net(books: billing.Books, account: str) -> Money:
    balance = books.ledger.balance(account)
    assert balance is not None
    return balance.net


def raised_by(call: Callable[[], object]) -> billing.BillingError:
    with pytest.raises(billing.BillingError) as raised:
        call()
    return raised.value


def shown_by(error: BaseException) -> str:
    """Everything a log could show of an error: its message, its repr and its arguments."""
    return f"{error}\n{error!r}\n{error.args!r}"


# ------------------------------------------------------------------------------------------ opening


def test_open_takes_a_postgresql_uri(server: Server, schema: str) -> None:
    if server.uri is None:
        pytest.skip("BILLING_TEST_POSTGRES is a key=value conninfo")
    books = billing.open(server.uri, schema=schema, durability=billing.Durability.NORMAL, max_connections=4,
                         lock_timeout=2 * SECOND, clock=billing.ManualClock(START), ids=billing.SequentialIds())
    assert repr(books) == f"Books(postgres, schema={schema!r})"
    with_accounts(books)
    assert books.ledger.transfer("cash", "revenue", usd("12.50"), id="t1")
    short = "postgres://" + server.uri.split("://", 1)[1]  # libpq's other prefix
    again = billing.open(short, schema=schema)
    assert net(again, "cash") == usd("12.50") and again.ledger.verify().ok


def test_open_postgres_takes_a_key_value_string(server: Server, schema: str) -> None:
    if server.key_value is None:
        pytest.skip("BILLING_TEST_POSTGRES is a URI")
    books = billing.open_postgres(server.key_value, schema=schema, lock_timeout=datetime.timedelta(0),
                                  max_connections=2, conflict_retries=0)
    assert repr(books) == f"Books(postgres, schema={schema!r})"
    with_accounts(books)
    assert books.ledger.transfer("cash", "revenue", usd("1.00"))
    if server.uri is not None:  # the same store, named the other way
        assert net(billing.open(server.uri, schema=schema), "revenue") == usd("1.00")


def test_the_schema_defaults_to_billing(server: Server) -> None:
    if not server.own:
        pytest.skip("would make the schema `billing` on an outside server")
    assert repr(billing.open_postgres(server.conninfo)) == "Books(postgres, schema='billing')"
    if server.uri is not None:
        assert repr(billing.open(server.uri)) == "Books(postgres, schema='billing')"


def test_the_bounds_of_each_option_are_accepted(server: Server, schema: str) -> None:
    books = open_books(server, schema, lock_timeout=datetime.timedelta(0), max_connections=1, conflict_retries=0)
    assert books.accounts.get("nobody") is None
    books = open_books(server, schema, lock_timeout=datetime.timedelta(hours=1), max_connections=1000,
                       conflict_retries=100)
    assert books.accounts.get("nobody") is None
    books = open_books(server, schema, lock_timeout=datetime.timedelta(microseconds=1))  # 1 ms, not 0 (at once)
    assert books.accounts.get("nobody") is None
    longest = (schema + "_" * 63)[:63]  # 63 bytes, the most an identifier has
    assert repr(open_books(server, longest)) == f"Books(postgres, schema={longest!r})"


def test_books_opened_together_on_a_new_schema_all_open_it(server: Server, schema: str) -> None:
    opened: list[billing.Books] = []
    failures: list[BaseException] = []

    def opener() -> None:
        try:
            opened.append(open_books(server, schema))  # the GIL is released while it connects and migrates
        except Exception as failure:  # reported by the test's thread
            failures.append(failure)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(opened) == 4
    with_accounts(opened[0])
    assert all(books.accounts.get("cash") is not None for books in opened)


# --------------------------------------------------------------------------------------------- data


def test_accounts_a_transfer_balances_and_verify(server: Server, schema: str) -> None:
    books = with_accounts(open_books(server, schema))
    outcome = books.ledger.transfer("cash", "revenue", usd("59.97"), id="order-17", description="three books")
    assert outcome.ok and outcome.entry is not None and outcome.entry.id == "order-17"
    assert books.ledger.transfer("cash", "revenue", usd("0.03"), id="order-18")
    assert not books.ledger.transfer("cash", "revenue", usd("1.00"), id="order-17")  # EXISTS: posted nothing
    assert net(books, "cash") == usd("60.00") and net(books, "revenue") == usd("60.00")
    assert books.ledger.balance("nowhere") is None
    entry = books.ledger.entry("order-17")
    assert entry is not None and entry.sequence == 1
    report = books.ledger.verify()
    assert report and report.entries_checked == 2


def test_two_books_on_one_schema_share_their_data(server: Server, schema: str) -> None:
    first = with_accounts(open_books(server, schema))
    second = open_books(server, schema)  # another host on the same database
    assert first.ledger.transfer("cash", "revenue", usd("5.00"), id="a")
    assert net(second, "cash") == usd("5.00")
    assert second.ledger.transfer("cash", "revenue", usd("2.50"), id="b")
    assert net(first, "revenue") == usd("7.50")
    with second.transaction():
        second.ledger.transfer("cash", "revenue", usd("1.00"), id="c")
        second.ledger.transfer("cash", "revenue", usd("1.00"), id="d")
    assert net(first, "cash") == usd("9.50")
    for books in (first, second):
        report = books.ledger.verify()
        assert report and report.entries_checked == 4


def test_two_schemas_keep_their_books_apart(server: Server) -> None:
    shop, other = unique_schema(), unique_schema()
    a = with_accounts(open_books(server, shop))
    b = with_accounts(open_books(server, other))
    assert a.ledger.transfer("cash", "revenue", usd("3.00"), id="t")
    assert b.ledger.entry("t") is None and net(b, "cash") == usd("0.00")
    assert b.ledger.transfer("cash", "revenue", usd("4.00"), id="t")  # the same id, in other books
    assert net(a, "cash") == usd("3.00") and net(b, "cash") == usd("4.00")
    assert open_books(server, unique_schema()).accounts.get("cash") is None
    assert a.ledger.verify().entries_checked == 1 and b.ledger.verify().entries_checked == 1


def test_idempotent_replays_across_books_on_one_schema(server: Server, schema: str) -> None:
    books = with_accounts(open_books(server, schema))
    runs: list[str] = []

    def charge() -> dict[str, Optional[str]]:
        runs.append("charged")
        outcome = books.ledger.transfer("cash", "revenue", usd("5.00"))
        return {"result": outcome.result.name, "entry": outcome.entry.id if outcome.entry else None}

    request = {"amount": "5.00", "customer": "cus_1"}
    first = books.idempotent("charge-1", request, charge)
    assert not first.replayed and first.outcome["result"] == "OK"
    again = books.idempotent("charge-1", request, charge)
    assert again.replayed and again.outcome == first.outcome
    elsewhere = open_books(server, schema).idempotent("charge-1", request, charge)
    assert elsewhere.replayed and elsewhere.outcome == first.outcome
    with pytest.raises(billing.IdempotencyMismatch):
        books.idempotent("charge-1", {"amount": "6.00"}, charge)
    assert runs == ["charged"] and net(books, "cash") == usd("5.00")


def test_a_job_enqueued_by_one_books_is_claimed_by_another(server: Server, schema: str) -> None:
    producer, worker = open_books(server, schema), open_books(server, schema)
    queued = producer.jobs.enqueue("email.send", {"to": "ann@example.com", "lines": [1, None]}, dedup_key="w-ann")
    assert queued and queued.job is not None
    duplicate = producer.jobs.enqueue("email.send", {}, dedup_key="w-ann")
    assert duplicate.result is billing.EnqueueResult.DUPLICATE and not duplicate
    job = worker.jobs.claim(["email.send"], lease=datetime.timedelta(minutes=2), worker="worker-1")
    assert job is not None and job.id == queued.job.id and job.status is billing.JobStatus.CLAIMED
    assert job.payload == {"to": "ann@example.com", "lines": [1, None]}
    assert producer.jobs.claim() is None  # claimed once
    assert worker.jobs.complete(job)
    done = producer.jobs.get(job.id)
    assert done is not None and done.status is billing.JobStatus.COMPLETED


# ---------------------------------------------------------------------------------------------- errors


def test_a_conninfo_that_does_not_parse_is_invalid_argument_naming_it() -> None:
    for bad in ("nonsense", "host=/tmp bogus_option=1", "postgresql://[::1", "host='unterminated",
                "host=/tmp\0 dbname=x"):
        error = raised_by(lambda: billing.open_postgres(bad))
        assert isinstance(error, billing.InvalidArgument) and error.code is billing.ErrorCode.INVALID_ARGUMENT
        assert error.field == "conninfo" and str(error).startswith("conninfo: ")
    # A URI given to billing.open comes in as its path, and the error names that parameter.
    error = raised_by(lambda: billing.open("postgresql://[::1"))
    assert isinstance(error, billing.InvalidArgument) and error.field == "path" and str(error).startswith("path: ")
    # A lone surrogate has no UTF-8 form: refused by field, with no UnicodeEncodeError that holds the text.
    for call in (lambda: billing.open_postgres("host=/tmp password=\udc80x"),
                 lambda: billing.open("postgresql://u:\udc80@/db")):
        error = raised_by(call)
        assert isinstance(error, billing.InvalidArgument) and error.field in ("conninfo", "path")


def test_a_schema_that_is_not_a_lowercase_identifier_is_invalid_argument() -> None:
    for bad in ("Bad-Name", "x; drop", "", "1st", "shop-eu", "caf\u00e9", "a" * 64, 'a"b'):
        error = raised_by(lambda: billing.open_postgres(NOWHERE, schema=bad))
        assert isinstance(error, billing.InvalidArgument) and error.field == "schema", bad
        error = raised_by(lambda: billing.open(URI_NOWHERE, schema=bad))
        assert isinstance(error, billing.InvalidArgument) and error.field == "schema", bad


def test_an_option_out_of_range_is_invalid_argument_naming_it() -> None:
    refused: list[tuple[str, dict[str, object]]] = [
        ("max_connections", {"max_connections": 0}),
        ("max_connections", {"max_connections": 1001}),
        ("max_connections", {"max_connections": -1}),
        ("lock_timeout", {"lock_timeout": datetime.timedelta(microseconds=-1)}),
        ("lock_timeout", {"lock_timeout": datetime.timedelta(hours=1, microseconds=1)}),
        ("lock_timeout", {"lock_timeout": datetime.timedelta(days=-1)}),
        ("conflict_retries", {"conflict_retries": -1}),
        ("conflict_retries", {"conflict_retries": 101}),
    ]
    for field, options in refused:
        error = raised_by(lambda: billing.open_postgres(NOWHERE, **options))  # type: ignore[arg-type]
        assert isinstance(error, billing.InvalidArgument) and error.field == field, options
        if field != "conflict_retries":  # billing.open takes the other two as well
            error = raised_by(lambda: billing.open(URI_NOWHERE, **options))  # type: ignore[arg-type]
            assert isinstance(error, billing.InvalidArgument) and error.field == field, options
    error = raised_by(lambda: billing.open_postgres(NOWHERE, max_connections=2 ** 70))
    assert isinstance(error, billing.Overflow) and error.field == "max_connections"


def test_a_wrong_type_is_a_type_error_naming_the_parameter() -> None:
    calls: list[tuple[str, Callable[[], object]]] = [
        ("conninfo", lambda: billing.open_postgres(NOWHERE.encode())),  # type: ignore[arg-type]
        ("conninfo", lambda: billing.open_postgres(pathlib.Path("/tmp"))),  # type: ignore[arg-type]
        ("schema", lambda: billing.open_postgres(NOWHERE, schema=b"shop")),  # type: ignore[arg-type]
        ("schema", lambda: billing.open(URI_NOWHERE, schema=b"shop")),  # type: ignore[arg-type]
        ("max_connections", lambda: billing.open_postgres(NOWHERE, max_connections=True)),
        ("max_connections", lambda: billing.open_postgres(NOWHERE, max_connections=4.0)),  # type: ignore[arg-type]
        ("lock_timeout", lambda: billing.open_postgres(NOWHERE, lock_timeout=5)),  # type: ignore[arg-type]
        ("conflict_retries", lambda: billing.open_postgres(NOWHERE, conflict_retries="3")),  # type: ignore[arg-type]
        ("durability", lambda: billing.open_postgres(NOWHERE, durability="full")),  # type: ignore[arg-type]
    ]
    for parameter, call in calls:
        with pytest.raises(TypeError) as raised:
            call()
        assert parameter in str(raised.value), (parameter, str(raised.value))
        assert "nonexistent" not in str(raised.value)  # the value given is never shown


def test_a_postgresql_option_with_a_file_or_memory_is_invalid_argument_naming_it(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "books.db"
    cases: list[tuple[str, dict[str, object]]] = [
        ("schema", {"schema": "shop"}), ("schema", {"schema": "billing"}), ("max_connections", {"max_connections": 4}),
        ("lock_timeout", {"lock_timeout": SECOND})]
    places: list[Union[str, os.PathLike[str], None]] = [str(path), path, None]
    for field, options in cases:
        for where in places:
            error = raised_by(lambda: billing.open(where, **options))  # type: ignore[arg-type]
            assert isinstance(error, billing.InvalidArgument) and error.field == field, (where, options)
            assert str(error).startswith(f"{field}: ")
    assert not path.exists()  # refused before the file was made
    # and SQLite's busy_timeout with a URI
    error = raised_by(lambda: billing.open(URI_NOWHERE, busy_timeout=SECOND))
    assert isinstance(error, billing.InvalidArgument) and error.field == "busy_timeout"
    # what is not a URI is a path, as before: a file named like a key=value string
    books = billing.open(str(tmp_path / "host=x dbname=y"))
    assert repr(books).startswith("Books(sqlite=")


def test_an_unreachable_server_is_a_storage_error() -> None:
    with tempfile.TemporaryDirectory(prefix="billing-nopg-") as empty:  # a socket directory with no server
        for call in (lambda: billing.open_postgres(f"host={empty} user=billing dbname=postgres"),
                     lambda: billing.open(f"postgresql://billing@/postgres?host={empty}", schema="shop")):
            error = raised_by(call)
            assert isinstance(error, billing.StorageError) and error.code is billing.ErrorCode.STORAGE


def calls_with(conninfo: str) -> list[Callable[[], object]]:
    """Each way to open `conninfo`: billing.open too when it is a URI (another str would name a file)."""
    calls: list[Callable[[], object]] = [lambda: billing.open_postgres(conninfo),
                                         lambda: billing.open_postgres(conninfo, schema="Bad")]
    if conninfo.startswith(URI_PREFIXES):
        calls += [lambda: billing.open(conninfo), lambda: billing.open(conninfo, max_connections=0)]
    return calls


def test_a_password_in_the_conninfo_is_in_no_message() -> None:
    for conninfo in (f"postgresql://u:{PASSWORD}@/db?host=/nonexistent",
                     f"postgresql://u@/db?host=/nonexistent&password={PASSWORD}",
                     f"host=/nonexistent user=u password={PASSWORD} dbname=db",
                     f"host=/nonexistent user=u password = '{PASSWORD}' dbname=db"):
        for call in calls_with(conninfo):
            error = raised_by(call)  # StorageError: no server; InvalidArgument: the schema, max_connections
            assert PASSWORD not in shown_by(error), (conninfo, str(error))


def test_a_password_in_a_conninfo_that_does_not_parse_is_in_no_message() -> None:
    # libpq's own message for each of these quotes the URI, or the part of it that holds the password.
    for conninfo in (f"postgresql://u:{PASSWORD}@[::1", f"postgresql://u:{PASSWORD}%zz@h/db",
                     f"postgresql://u:{PASSWORD}@[]/db", f"postgresql://u:{PASSWORD}@[::1]x/db",
                     f"postgresql://u:{PASSWORD}@/db?host=/x&password={PASSWORD}%zz",
                     f"host=/nonexistent password='{PASSWORD}", f"password={PASSWORD} junk"):
        for call in calls_with(conninfo):
            error = raised_by(call)
            assert isinstance(error, billing.InvalidArgument) and error.field in ("conninfo", "path"), conninfo
            assert PASSWORD not in shown_by(error), (conninfo, str(error))


def test_a_password_is_in_no_repr(server: Server, schema: str) -> None:
    if not server.own or server.uri is None:
        pytest.skip("needs the module's own server, which trusts its role whatever the password")
    uri = server.uri.replace("postgresql://billing@", f"postgresql://billing:{PASSWORD}@", 1)
    for books in (billing.open(uri, schema=schema), billing.open_postgres(uri, schema=schema),
                  billing.open_postgres(f"{server.key_value} password={PASSWORD}", schema=schema)):
        assert PASSWORD not in repr(books)
        assert PASSWORD not in repr(books.ledger) + repr(books.idempotency)
