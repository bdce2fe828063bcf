"""The Python face (docs/python.md): docstrings and real types in help(), readable reprs, real enums,
Money as a number where that is exact, and the truth of outcomes."""
import copy
import datetime
import decimal
import enum
import inspect
import pickle
import re
from typing import Any

import pytest

import billing
from billing import Money

UTC = datetime.timezone.utc


def public_classes() -> list[type]:
    return [obj for name in billing.__all__ if inspect.isclass(obj := getattr(billing, name))]


def bound_classes() -> list[type]:
    return [cls for cls in public_classes() if type(cls).__name__ == "pybind11_type"]


def enums() -> list[type[enum.Enum]]:
    return [cls for cls in public_classes() if issubclass(cls, enum.Enum)]


def bound_members(cls: type) -> list[tuple[str, Any]]:
    """What the bindings define on a class: its methods and properties, with __init__."""
    out: list[tuple[str, Any]] = []
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in ("__init__",):
            continue
        out.append((name, member))
    return out


def docstring_text(member: Any) -> str:
    """The doc without pybind11's signature lines ("name(self: ...) -> ...")."""
    doc = member.__doc__ or ""
    lines = [line for line in doc.splitlines() if not re.match(r"^\s*(\d+\. )?[\w.]*\(.*\)( -> .*)?$", line)]
    return " ".join(line.strip() for line in lines if line.strip() and line.strip() != "Overloaded function.")


def signatures(member: Any) -> list[str]:
    doc = (member.fget.__doc__ if isinstance(member, property) else member.__doc__) or ""
    return [line for line in doc.splitlines() if re.match(r"^\s*(\d+\. )?[\w.]*\(.*\)( -> .*)?$", line)]


# ------------------------------------------------------------------------------------------ docstrings


def test_every_public_name_has_a_docstring() -> None:
    missing = [name for name in billing.__all__ if name != "__version__" and not docstring_text(getattr(billing, name))]
    assert missing == []


@pytest.mark.parametrize("cls", bound_classes(), ids=lambda c: str(c.__name__))
def test_every_method_and_property_has_a_docstring(cls: type) -> None:
    missing = [name for name, member in bound_members(cls) if not docstring_text(member)]
    assert missing == [], f"{cls.__name__}: {missing} have no docstring"


def all_signatures() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in billing.__all__:
        obj = getattr(billing, name)
        if inspect.isclass(obj) and type(obj).__name__ == "pybind11_type":
            for member_name in vars(obj):
                member = getattr(obj, member_name)  # a staticmethod unwrapped
                if member_name in ("__init__",) or not member_name.startswith("__") or member_name in (
                        "__add__", "__mul__", "__rmul__", "__radd__", "__eq__", "__deepcopy__"):
                    out.extend((f"{name}.{member_name}", s) for s in signatures(member))
        elif callable(obj) and not inspect.isclass(obj):
            out.extend((name, s) for s in signatures(obj))
    return out


def test_help_shows_real_types_not_handles() -> None:
    shown = all_signatures()
    assert len(shown) > 100
    vague = [(where, s) for where, s in shown
             if re.search(r"\bhandle\b|: object\b|-> object\b|\bfunction\b|billing::|_billing\.", s)]
    assert vague == []


def test_help_names_the_public_types() -> None:
    [balance] = signatures(billing.Ledger.balance)
    assert "as_of: Union[datetime.datetime, int, None] = None" in balance
    assert balance.endswith("-> Optional[billing.AccountBalance]")
    [init] = signatures(Money.__init__)
    assert "amount: Union[decimal.Decimal, str, int]" in init and "currency: Union[billing.Currency, str]" in init
    [amount] = signatures(Money.amount)
    assert amount.endswith("-> decimal.Decimal")
    [created] = signatures(billing.Account.created_at)
    assert created.endswith("-> datetime.datetime")
    [post_batch] = signatures(billing.Ledger.post_batch)
    assert "mode: billing.BatchMode = BatchMode.ATOMIC" in post_batch


# --------------------------------------------------------------------------------------------- reprs


def usd(amount: str) -> Money:
    return Money(amount, "USD")


@pytest.fixture
def shop() -> billing.Books:
    books = billing.open(clock=billing.ManualClock(datetime.datetime(2026, 1, 1, tzinfo=UTC)),
                         ids=billing.SequentialIds())
    books.accounts.create("USD", "Cash", id="cash")
    books.accounts.create("USD", "Sales", id="sales", normal_side=billing.Side.CREDIT)
    return books


class KeepingGateway(billing.PaymentGateway):
    """A Python gateway that keeps the PaymentMethods it tokenizes, so that a test can look at one (a host would
    keep nothing), in front of a ScriptedGateway."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = billing.ScriptedGateway()
        self.methods: list[billing.PaymentMethod] = []

    def tokenize(self, method: billing.PaymentMethod) -> str:
        self.methods.append(method)
        return self.inner.tokenize(method)

    def charge(self, token: str, amount: Money, idempotency_key: str) -> billing.ChargeResult:
        return self.inner.charge(token, amount, idempotency_key)

    def lookup(self, idempotency_key: str) -> billing.ChargeResult:
        return self.inner.lookup(idempotency_key)


def sample_instances(books: billing.Books) -> dict[str, object]:
    """One instance of every public class, as a host meets it."""
    outcome = books.ledger.transfer("cash", "sales", usd("59.97"), id="order-17")
    assert outcome.entry is not None
    account = books.accounts.get("cash")
    balance = books.ledger.balance("cash")
    ran = books.idempotent("k", {"n": 1}, lambda: {"ok": True})
    clock = billing.ManualClock(datetime.datetime(2026, 1, 1, tzinfo=UTC))
    for code, fee in (("fee-a", "10.00"), ("fee-b", "20.00")):
        books.plans.create(code, "USD", flat_fee=usd(fee))
    books.accounts.create("USD", "Pending", id="pending", status=billing.AccountStatus.PENDING)
    books.subscriptions.create("pending", "fee-a", start=datetime.datetime(2026, 1, 1, tzinfo=UTC), id="sub-2")
    placed = books.orders.create("Ada", "ada@example.com", [billing.OrderLine("widget", 2, usd("1.25"))], id="ord-1")
    moved = books.orders.transition("ord-1", billing.OrderStatus.PROCESSING, expected_version=1)
    paid = billing.validate_payment(amount="19.99", currency="USD", customer_id="cus_1", card_number="4242424242424242",
                                    expiry_month=12, expiry_year=2030, cvc="123", clock=clock)
    refused = billing.validate_payment(amount="0", currency="USD", customer_id="cus_1")
    queued = books.jobs.enqueue("receipt.send", {"entry": "order-17"})
    job = books.jobs.claim()
    assert job is not None
    gateway = KeepingGateway()
    taken = books.payments.create(amount="250", currency="EUR", customer_id="cus_1", iban="DE89370400440532013000",
                                  gateway=gateway, id="pay-1")
    assert taken.payment is not None
    charged = books.payments.process("pay-1", gateway)
    metered = books.usage.define_meter("api_calls", billing.Aggregation.COUNT, unit="call")
    books.usage.record("api_calls", "key_1", 1, id="evt-1")
    return {
        "Account": account, "AccountBalance": balance,
        "AccountOutcome": books.accounts.create("USD", "Cash", id="cash"),
        "AccountPage": books.accounts.list(), "Accounts": books.accounts, "Balances": account.balances if account else None,
        "Books": books, "Clock": clock, "Currency": billing.Currency("EUR"), "Entry": outcome.entry,
        "EntryPage": books.ledger.entries("cash"), "EntryRequest": billing.EntryRequest(
            [billing.debit("cash", usd("1")), billing.credit("sales", usd("1"))], id="e-1"),
        "IdSource": billing.SequentialIds(), "IdempotentResult": ran, "Idempotency": books.idempotency,
        "Ledger": books.ledger, "ManualClock": clock, "Money": usd("1.50"), "PostOutcome": outcome,
        "Posting": billing.debit("cash", usd("2.00")), "SequentialIds": billing.SequentialIds(),
        "StatusOutcome": books.accounts.activate("cash"), "SystemClock": billing.SystemClock(),
        "Transaction": books.transaction(), "Uuid7Ids": billing.Uuid7Ids(clock),
        "VerifyReport": books.ledger.verify(),
        "Order": placed.order, "OrderChange": books.orders.history("ord-1")[0],
        "OrderLine": billing.OrderLine("widget", 2, usd("1.25")), "OrderOutcome": moved,
        "OrderPage": books.orders.list(), "Orders": books.orders,
        "CardDetails": paid.card, "FieldError": refused.errors[0], "PaymentReport": refused,
        "PaymentPolicy": billing.PaymentPolicy(max_amount="500", currencies=["USD"], brands=[billing.CardBrand.VISA]),
        "EnqueueOutcome": queued, "Job": job, "JobRequest": billing.JobRequest("receipt.send", {"entry": "e-1"}),
        "FailOutcome": books.jobs.fail(job, "timed out"), "CompleteOutcome": books.jobs.complete(job),
        "RedriveOutcome": books.jobs.redrive(job.id), "JobStats": books.jobs.stats(),
        "JobPage": books.jobs.dead_letters(), "Jobs": books.jobs,
        "Price": billing.Price.graduated([billing.Tier(5, "7"), billing.Tier(None, "6.5")], "USD"),
        "Tier": billing.Tier(5, "7"), "Charge": billing.Price.per_unit("0.00025", "USD").charge(1200),
        "ChargeLine": billing.Price.per_unit("0.00025", "USD").charge(1200).lines[0],
        "BankAccountDetails": taken.payment.bank_account,
        "ChargeResult": billing.ChargeResult(billing.ChargeStatus.APPROVED, reference="ch_1"),
        "Payment": charged.payment, "PaymentChange": books.payments.history("pay-1")[0], "PaymentGateway": gateway,
        "PaymentMethod": gateway.methods[0], "PaymentOutcome": charged, "PaymentPage": books.payments.list(),
        "Payments": books.payments, "ScriptedCharge": gateway.inner.charges[0], "ScriptedGateway": gateway.inner,
        "Meter": metered.meter, "MeterOutcome": metered, "Usage": books.usage,
        "UsageEvent": billing.UsageEvent("api_calls", "key_1", 1, id="evt-2"), "RecordedEvent": books.usage.event("evt-1"),
        "UsageStats": books.usage.stats("api_calls"),
        "UsageBucket": books.usage.series("api_calls", start=clock.now(), end=clock.now() + datetime.timedelta(hours=1),
                                          granularity=billing.Granularity.HOUR)[0],
        "PlanOutcome": (made := books.plans.create("pro", "USD", rate_per_second=10)),
        "Plan": made.plan, "Plans": books.plans, "Quotas": books.quotas, "ApiKeys": books.api_keys,
        "QuotaDecision": books.quotas.consume("key_1", "pro"), "ApiKey": books.api_keys.create("key_1", "pro")[0],
        "QuotaState": books.quotas.state("pro", "key_1"), "PlanPage": books.plans.list(),
        "ApiKeyPage": books.api_keys.list(),
        "SubscriptionOutcome": (subscribed := books.subscriptions.create(
            "cash", "fee-a", start=datetime.datetime(2026, 1, 1, tzinfo=UTC), id="sub-1")),
        "Subscription": subscribed.subscription, "Subscriptions": books.subscriptions,
        "SubscriptionChange": (changed := books.subscriptions.change_plan("sub-1", "fee-b")),
        "SubscriptionAdjustment": changed.adjustments[0], "SubscriptionPage": books.subscriptions.list(),
        "InvoiceOutcome": (billed := books.invoices.create_for_period("sub-1")), "Invoice": billed.invoice,
        "InvoiceLine": billed.invoice.lines[0] if billed.invoice else None, "InvoicePage": books.invoices.list(),
        "Invoices": books.invoices,
        "BillingReport": (report := books.run_billing(datetime.datetime(2026, 6, 1, tzinfo=UTC))),
        "BillingSkip": report.skipped[0],
        "Collections": books.collections, "DunningPolicy": books.collections.policy,
        "CollectionReport": (collected := books.collections.run(billing.ScriptedGateway(), lambda invoice: None)),
        "CollectionSkip": collected.skipped[0],
        "HealthReport": (health := books.health()), "HealthCheck": health.checks[0],
        "HealthCounters": health.counters,
    }


def test_every_bound_type_prints_a_readable_repr(shop: billing.Books) -> None:
    samples = sample_instances(shop)
    assert {cls.__name__ for cls in bound_classes()} <= samples.keys()
    unreadable = {name: repr(value) for name, value in samples.items() if " object at 0x" in repr(value)}
    assert unreadable == {}


def test_comparing_a_value_with_another_type_is_false_not_an_error(shop: billing.Books) -> None:
    for name, value in sample_instances(shop).items():
        if type(value).__eq__ is not object.__eq__:
            assert (value == 1) is False and (value != "x") is True, name


def test_the_reprs_the_issue_names(shop: billing.Books) -> None:
    shop.ledger.transfer("cash", "sales", usd("59.97"), id="order-17")
    assert repr(shop.ledger.transfer("cash", "sales", usd("59.97"), id="order-18")) == \
        "PostOutcome(result=PostResult.OK, entry='order-18')"
    assert repr(shop.ledger.balance("cash")) == "AccountBalance('cash', net=Money('119.94', 'USD'))"
    assert repr(shop.ledger.transfer("cash", "nowhere", usd("1"))) == \
        "PostOutcome(result=PostResult.ACCOUNT_NOT_FOUND, account='nowhere')"


@pytest.mark.parametrize("value", [usd("12.30"), Money("-5", "JPY"), billing.Currency("EUR"),
                                   billing.debit("cash", usd("2.00")), billing.credit("o'brien", usd("1"))],
                         ids=repr)
def test_value_reprs_evaluate_back_to_the_value(value: object) -> None:
    namespace = {"Money": Money, "Currency": billing.Currency, "Posting": billing.Posting, "Side": billing.Side}
    assert eval(repr(value), namespace) == value


def test_reprs_show_no_free_text(shop: billing.Books) -> None:
    secret = "4111 1111 1111 1111"
    outcome = shop.ledger.transfer("cash", "sales", usd("1"), description=secret, metadata={"card": secret})
    assert outcome.entry is not None
    for shown in (outcome, outcome.entry, shop.ledger.entries("cash"), outcome.entry.postings):
        assert "4111" not in repr(shown)


# --------------------------------------------------------------------------------------------- enums


@pytest.mark.parametrize("cls", enums(), ids=lambda c: str(c.__name__))
def test_enums_are_real_enums(cls: type[enum.Enum]) -> None:
    members: list[enum.Enum] = list(cls)
    assert members and all(isinstance(member, cls) for member in members)
    for member in members:
        assert cls[member.name] is member
        assert cls(member.value) is member
        assert member.value == member.name.lower()
        assert pickle.loads(pickle.dumps(member)) is member
        assert copy.deepcopy(member) is member
    assert cls.__module__ == "billing" and getattr(billing, cls.__name__) is cls
    assert cls.__doc__ and "An enumeration" not in cls.__doc__


def test_the_enums_the_stubs_name() -> None:
    names = {cls.__name__ for cls in enums()}
    assert names == {"AccountResult", "AccountStatus", "BatchMode", "Durability", "EntryKind", "ErrorCode",
                     "OrderResult", "OrderStatus", "PostResult", "RoundingMode", "Side", "StatusResult",
                     "CardBrand", "ValidationCode", "JobStatus", "EnqueueResult", "CompleteResult", "FailResult",
                     "PriceModel", "RoundAt", "LineKind",
                     "RedriveResult", "PaymentStatus", "PaymentResult", "ChargeStatus", "ScriptStep",
                     "Aggregation", "Granularity", "RecordResult", "CancelResult", "MeterResult",
                     "PlanInterval", "PlanResult", "QuotaReason", "ApiKeyStatus", "RevokeResult",
                     "SubscriptionStatus", "SubscriptionResult", "SubscriptionChangeResult", "Proration",
                     "InvoiceStatus", "InvoiceLineKind", "InvoiceResult", "HealthStatus"}


def test_a_member_round_trips_through_cpp(shop: billing.Books) -> None:
    for status in billing.AccountStatus:
        shop.accounts.list(status=status)  # every member converts
    wallet = shop.accounts.create("USD", "Wallet", id="w", normal_side=billing.Side["CREDIT"]).account
    assert wallet is not None and wallet.normal_side is billing.Side.CREDIT
    with pytest.raises(billing.InvalidArgument):
        raise_from_cpp()
    try:
        raise_from_cpp()
    except billing.BillingError as error:
        assert error.code is billing.ErrorCode.INVALID_ARGUMENT


def raise_from_cpp() -> None:
    billing.Money("1.00", "USD").split(0)


@pytest.mark.parametrize("wrong", ["DEBIT", "debit", 0, 1, None, billing.AccountStatus.ACTIVE])
def test_an_enum_parameter_takes_only_its_enum(shop: billing.Books, wrong: Any) -> None:
    with pytest.raises(TypeError, match="normal_side: expected billing.Side"):
        shop.accounts.create("USD", "Wallet", normal_side=wrong)


# --------------------------------------------------------------------------------------------- Money


def test_money_times_an_int_either_way_is_exact() -> None:
    assert usd("19.99") * 3 == usd("59.97") == 3 * usd("19.99")
    assert usd("0.01") * 10**15 == Money.from_minor(10**15, "USD")
    assert usd("5.00") * -2 == usd("-10.00")
    assert usd("0.00") * 10**30 == usd("0")  # an int beyond 64 bits is still exact
    with pytest.raises(billing.Overflow):
        usd("1.00") * 2**62


@pytest.mark.parametrize("factor", [1.5, decimal.Decimal("1.5"), "2", True, None])
def test_money_times_anything_but_an_int_is_a_type_error(factor: Any) -> None:
    with pytest.raises(TypeError):
        usd("1.00") * factor
    with pytest.raises(TypeError):
        factor * usd("1.00")


def test_sum_of_money_starts_from_zero() -> None:
    shares = usd("100.00").split(3)
    assert sum(shares, Money(0, "USD")) == usd("100.00")
    assert sum(shares) == usd("100.00")
    assert 0 + usd("2.50") == usd("2.50")
    for wrong in (1, 0.0, False, "0"):
        with pytest.raises(TypeError):
            wrong + usd("2.50")  # type: ignore[operator]
    with pytest.raises(billing.CurrencyMismatch):
        sum([usd("1"), Money("1", "EUR")])


@pytest.mark.parametrize("spec, shown", [
    ("", "1234.50 USD"),
    (">14", "   1234.50 USD"),
    ("<14", "1234.50 USD   "),
    ("^15", "  1234.50 USD  "),
    ("*>14", "***1234.50 USD"),
    (",", "1,234.50 USD"),
    ("_", "1_234.50 USD"),
    ("+", "+1234.50 USD"),
    (" ", " 1234.50 USD"),
    ("a", "1234.50"),
    (">12,a", "    1,234.50"),
])
def test_money_format_specs(spec: str, shown: str) -> None:
    money = usd("1234.5")
    assert format(money, spec) == shown
    assert f"{money:{spec}}" == shown


def test_money_format_keeps_places_of_every_currency() -> None:
    assert format(Money("-1234567", "JPY"), ",") == "-1,234,567 JPY"
    assert format(Money("1.234", "BHD"), "a") == "1.234"
    assert format(usd("0"), "+") == "+0.00 USD"


@pytest.mark.parametrize("spec", [".2f", ".2", "f", "012", "=12", "d", "%", "1001", "<<<", "10,,"])
def test_money_format_refuses_what_would_round_or_mislead(spec: str) -> None:
    with pytest.raises(ValueError, match="format specifier"):
        format(usd("1.00"), spec)


def test_money_copies_and_pickles_as_the_same_value() -> None:
    money = usd("-12.34")
    assert copy.copy(money) == money and copy.deepcopy(money) == money
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(money, protocol)) == money
    assert pickle.loads(pickle.dumps(billing.Currency("JPY"))) == billing.Currency("JPY")
    assert pickle.loads(pickle.dumps([billing.Side.DEBIT, money])) == [billing.Side.DEBIT, money]


def test_setstate_on_a_live_money_is_refused() -> None:
    money = usd("1.00")
    with pytest.raises(TypeError, match="already initialised"):
        money.__setstate__("9.99 USD")
    assert money == usd("1.00")


# ------------------------------------------------------------------------------------------- outcomes


def test_an_outcome_is_true_exactly_when_ok(shop: billing.Books) -> None:
    posted = shop.ledger.transfer("cash", "sales", usd("1"), id="t-1")
    again = shop.ledger.transfer("cash", "sales", usd("1"), id="t-1")
    refused = shop.ledger.transfer("cash", "missing", usd("1"))
    assert (bool(posted), bool(again), bool(refused)) == (True, False, False)
    assert all(bool(o) == o.ok for o in (posted, again, refused))
    opened = shop.accounts.create("USD", "New", id="new")
    existing = shop.accounts.create("USD", "New", id="new")
    assert (bool(opened), bool(existing)) == (True, False)
    assert bool(shop.accounts.close("new")) is True
    assert bool(shop.accounts.activate("nobody")) is False
    assert bool(shop.ledger.verify()) is True


def test_an_idempotent_result_has_no_truth_value(shop: billing.Books) -> None:
    ran = shop.idempotent("k-1", {"n": 1}, lambda: None)
    with pytest.raises(TypeError, match="no truth value"):
        bool(ran)
