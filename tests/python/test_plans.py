"""books.plans, books.quotas and books.api_keys from Python, on both adapters (docs/plans.md). The rules are
tested once in C++ (tests/contract/plans_contract_test.cpp); these tests check what the binding adds: the
types each parameter takes, the decisions and their timedeltas, reprs, and that no secret is ever shown or
stored (the SQLite file and its -wal are scanned)."""
import datetime
import decimal
import pathlib

import pytest

import billing
from billing import ApiKeyStatus, PlanInterval, PlanResult, QuotaReason, RevokeResult

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # conftest's clock starts here


def metered_plan(books: billing.Books, code: str = "pro", **kwargs: object) -> billing.Plan:
    books.usage.define_meter("api_calls", billing.Aggregation.COUNT)
    outcome = books.plans.create(code, "USD", quota=10_000, quota_meter="api_calls", **kwargs)  # type: ignore[arg-type]
    assert outcome and outcome.result is PlanResult.OK
    return outcome.plan


def test_a_plan_is_created_once_and_reads_back(books: billing.Books) -> None:
    tiers = [billing.Tier("1000", "0"), billing.Tier(None, "0.002")]
    plan = metered_plan(books, flat_fee=billing.Money("49.00", "USD"), rate_per_second=decimal.Decimal("100"),
                        burst=100, charges={"api_calls": billing.Price.graduated(tiers, "USD")})
    assert plan.code == "pro" and plan.interval is PlanInterval.MONTH
    assert plan.quota == 10_000 and plan.quota_meter == "api_calls"
    assert plan.rate_per_second == decimal.Decimal("100") and plan.burst == 100
    assert plan.flat_fee == billing.Money("49.00", "USD")
    assert plan.charges["api_calls"].charge(decimal.Decimal("1500")).amount == billing.Money("1.00", "USD")
    assert plan.created_at == START
    assert books.plans.get("pro") == plan
    assert books.plans.get("nope") is None
    assert repr(plan) == "Plan(code='pro', currency='USD', interval=PlanInterval.MONTH)"
    again = books.plans.create("pro", "USD", quota=10_000, quota_meter="api_calls", flat_fee=billing.Money("49.00", "USD"),
                               rate_per_second="100", burst=100,
                               charges={"api_calls": billing.Price.graduated(tiers, "USD")})
    assert again.result is PlanResult.EXISTS and not again
    assert books.plans.create("pro", "USD").result is PlanResult.EXISTS_WITH_DIFFERENT_FIELDS


def test_plan_arguments_are_typed_and_named(books: billing.Books) -> None:
    with pytest.raises(TypeError, match="rate_per_second"):
        books.plans.create("p", "USD", rate_per_second=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="charges"):
        books.plans.create("p", "USD", charges={"api_calls": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="interval"):
        books.plans.create("p", "USD", interval="month")  # type: ignore[arg-type]
    with pytest.raises(billing.InvalidArgument) as info:
        books.plans.create("p", "USD", quota=5)
    assert info.value.field == "quota_meter"
    with pytest.raises(billing.InvalidArgument) as info:
        books.plans.create("p", "USD", rate_per_second="0.0000001")
    assert info.value.field == "rate_per_second"


def test_consume_allows_up_to_the_throttle_then_the_quota(books: billing.Books, clock: billing.ManualClock) -> None:
    books.usage.define_meter("api_calls", billing.Aggregation.COUNT)
    books.plans.create("tiny", "USD", quota=3, quota_meter="api_calls", rate_per_second="2", burst=2)
    first = books.quotas.consume("key_1", "tiny")
    assert first and first.allowed and first.reason is QuotaReason.ALLOWED
    assert first.remaining == 2 and first.retry_after == datetime.timedelta(0)
    assert books.quotas.consume("key_1", "tiny").allowed
    throttled = books.quotas.consume("key_1", "tiny")
    assert not throttled and throttled.reason is QuotaReason.RATE_LIMITED
    assert throttled.retry_after == datetime.timedelta(milliseconds=500)
    clock.advance(datetime.timedelta(milliseconds=500))
    assert books.quotas.consume("key_1", "tiny").remaining == 0
    clock.advance(datetime.timedelta(seconds=10))
    exceeded = books.quotas.consume("key_1", "tiny")
    assert exceeded.reason is QuotaReason.QUOTA_EXCEEDED
    assert exceeded.retry_after == datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc) - clock.now()
    assert repr(exceeded).startswith("QuotaDecision(reason=QuotaReason.QUOTA_EXCEEDED, remaining=0, retry_after=")
    assert books.usage.total("api_calls", "key_1") == 3
    retried = books.quotas.consume("key_2", "tiny", request_id="r-1")
    assert books.quotas.consume("key_2", "tiny", request_id="r-1").replayed and retried.allowed
    assert books.usage.total("api_calls", "key_2") == 1
    with pytest.raises(TypeError, match="units"):
        books.quotas.consume("key_1", "tiny", True)
    with pytest.raises(billing.InvalidArgument) as info:
        books.quotas.consume("key_1", "missing")
    assert info.value.field == "plan"


def test_api_keys_authenticate_and_revoke(books: billing.Books) -> None:
    metered_plan(books)
    key, secret = books.api_keys.create("acme", "pro")
    assert secret.startswith("bk_live_" + key.id + "_")
    assert key.status is ApiKeyStatus.ACTIVE and key.subject == "acme" and key.plan == "pro"
    found = books.api_keys.authenticate(secret)
    assert found == key
    assert books.api_keys.authenticate(secret[:-1] + ("a" if secret[-1] != "a" else "b")) is None
    assert books.api_keys.authenticate("bk_live_nobody_" + "a" * 52) is None
    assert books.api_keys.authenticate("\ud800" * 3) is None
    assert books.api_keys.revoke(key.id) is RevokeResult.OK
    assert books.api_keys.authenticate(secret) is None
    assert books.api_keys.revoke(key.id) is RevokeResult.ALREADY_REVOKED
    revoked = books.api_keys.get(key.id)
    assert revoked is not None and revoked.status is ApiKeyStatus.REVOKED and revoked.revoked_at == START
    assert [k.id for k in books.api_keys.list("acme").items] == [key.id]
    assert repr(key) == f"ApiKey(id={key.id!r}, subject='acme', plan='pro', status=ApiKeyStatus.ACTIVE)"
    assert secret not in repr(key) and secret not in repr(found)
    with pytest.raises(TypeError) as type_info:
        books.api_keys.authenticate(secret.encode())  # type: ignore[arg-type]
    assert secret not in str(type_info.value)


def test_plans_and_keys_list_a_page_at_a_time(books: billing.Books) -> None:
    metered_plan(books, "a-plan")
    for code in ("c-plan", "b-plan"):
        books.plans.create(code, "USD")
    first = books.plans.list(limit=2)
    assert [p.code for p in first.items] == ["a-plan", "b-plan"] and first.next_cursor is not None
    assert repr(first) == f"PlanPage(2 items, next_cursor={first.next_cursor!r})"
    last = books.plans.list(cursor=first.next_cursor, limit=2)
    assert [p.code for p in last.items] == ["c-plan"] and last.next_cursor is None
    with pytest.raises(billing.InvalidArgument) as info:
        books.plans.list(limit=0)
    assert info.value.field == "limit"
    keys = [books.api_keys.create("acme", "a-plan")[0].id for _ in range(3)]
    books.api_keys.create("other", "a-plan")
    page = books.api_keys.list("acme", limit=2)
    rest = books.api_keys.list("acme", cursor=page.next_cursor or "", limit=2)
    assert [k.id for k in page.items + rest.items] == sorted(keys) and rest.next_cursor is None
    assert len(books.api_keys.list().items) == 4


def test_quota_state_reads_what_the_store_holds(books: billing.Books, clock: billing.ManualClock) -> None:
    metered_plan(books, rate_per_second="2.5", burst=5)
    assert books.quotas.state("pro", "acme") is None
    for _ in range(3):
        assert books.quotas.consume("acme", "pro")
    state = books.quotas.state("pro", "acme")
    assert state is not None and state.used == 3 and state.allowed_total == 3
    assert state.tokens == decimal.Decimal(2) and state.period_start == START and state.refilled_at == START
    assert repr(state) == "QuotaState(plan='pro', subject='acme', used=3, allowed_total=3)"


def test_no_secret_is_stored_in_the_file_or_its_wal(tmp_path: pathlib.Path, clock: billing.ManualClock) -> None:
    path = tmp_path / "keys.db"
    books = billing.open(str(path), durability=billing.Durability.NORMAL, clock=clock)
    metered_plan(books)
    secrets = [books.api_keys.create(f"user_{i}", "pro")[1] for i in range(20)]
    for secret in secrets:
        assert books.api_keys.authenticate(secret) is not None
    files = [p for p in (path, tmp_path / "keys.db-wal") if p.exists()]
    assert files
    data = b"".join(p.read_bytes() for p in files)
    for secret in secrets:
        assert secret.encode() not in data
        assert secret.split("_")[-1].encode() not in data  # nor the random part alone
