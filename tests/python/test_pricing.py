"""The Python face of pricing (docs/pricing.md): the names the issue fixes, published worked examples to the cent,
Decimals in and out (a float is a TypeError), refused input by field, reprs that evaluate back, and rounding."""
import copy
from decimal import Decimal
from typing import Any, Callable

import pytest

import billing
from billing import LineKind, Money, Price, PriceModel, RoundAt, RoundingMode, Tier


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def typographic() -> list[Tier]:
    """Stripe's tiers: fonts 1-5 at 7 USD, 6-10 at 6.5 USD, 11+ at 6 USD."""
    return [Tier(5, "7"), Tier(10, "6.5"), Tier(None, "6")]


# ------------------------------------------------------------------------------------------ worked examples


@pytest.mark.parametrize("fonts, volume, graduated", [
    (1, "7", "7"), (5, "35", "35"), (6, "39", "41.5"), (20, "120", "127.5"), (25, "150", "157.5"),
])
def test_stripe_typographic_tables(fonts: int, volume: str, graduated: str) -> None:
    # https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing: the volume table (1 -> 7, 5 -> 35,
    # 6 -> 39, 20 -> 120, 25 -> 150 USD) and the graduated one (6 -> 41.5, 20 -> 127.5, 25 -> 157.5 USD).
    assert Price.volume(typographic(), "USD").charge(fonts).amount == usd(volume)
    assert Price.graduated(typographic(), "USD").charge(fonts).amount == usd(graduated)


def test_stripe_flat_rate_tiers() -> None:
    # https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing, "Add a flat rate": quantity 12 is
    # 12 x 3 + 30 = 66 USD by volume and (5 x 5 + 10) + (5 x 4 + 20) + (2 x 3 + 30) = 111 USD graduated.
    tiers = [Tier(5, 5, 10), Tier(10, 4, 20), Tier(15, 3, 30), Tier(20, 2, 40), Tier(None, 1, 50)]
    assert Price.volume(tiers, "USD").charge(12).amount == usd("66")
    charge = Price.graduated(tiers, "USD").charge(12)
    assert charge.amount == usd("111")
    assert [line.amount for line in charge.lines] == [usd("35"), usd("40"), usd("36")]
    assert Price.graduated(tiers, "USD").charge(0).amount == usd("10")  # "Stripe always bills the first flat rate"


def test_lago_package_and_percentage() -> None:
    # https://getlago.com/docs/guide/plans/charges/charge-models/package: $5 per 100 units, the first 100 free:
    # 201 units cost $0 + $5 + $5 = $10.
    package = Price.package(100, usd("5"), free_units=100).charge(201)
    assert package.amount == usd("10")
    assert [line.kind for line in package.lines] == [LineKind.FREE_UNITS, LineKind.PACKAGES]
    # https://getlago.com/docs/guide/plans/charges/charge-models/percentage: 1.2% + $0.10 on $50 is $0.70.
    assert Price.percentage("0.012", "USD", fixed_fee=usd("0.10")).charge(50).amount == usd("0.70")
    # https://docs.stripe.com/billing/subscriptions/usage-based/manage-billing: 10 USD an hour, rounded up:
    # 150 minutes cost 30 USD.
    assert Price.package(60, usd("10")).charge(150).amount == usd("30")


# ---------------------------------------------------------------------------------------------- the models


def test_a_charge_has_lines_that_sum_to_its_amount() -> None:
    charge = Price.graduated(typographic(), "USD").charge(Decimal("12.5"))
    assert charge.amount == usd("82.50")  # 35 + 32.5 + 2.5 x 6
    assert sum((line.amount for line in charge.lines), usd("0")) == charge.amount
    first, second, third = charge.lines
    assert (first.kind, first.tier, first.start, first.up_to) == (LineKind.TIER, 0, Decimal(0), Decimal(5))
    assert (third.tier, third.start, third.up_to) == (2, Decimal(10), None)
    assert (third.quantity, third.unit_price, third.flat_fee) == (Decimal("2.5"), Decimal(6), Decimal(0))
    assert isinstance(third.quantity, Decimal) and isinstance(third.amount, Money)
    assert second.quantity == 5


def test_per_unit_takes_twelve_places_and_fractional_quantities() -> None:
    calls = Price.per_unit("0.00025", "USD")
    assert calls.charge(1200).amount == usd("0.30")
    assert calls.amount(Decimal("60")) == usd("0.02")  # 0.015, half-even
    [line] = calls.charge("1200").lines
    assert line.kind is LineKind.UNITS and line.tier is None and line.unit_price == Decimal("0.00025")
    assert Price.per_unit("0.000000000001", "USD").charge(10**10).amount == usd("0.01")
    assert Price.per_unit("0.023", "USD").charge("730.5").amount == usd("16.80")  # GB-hours


def test_percentage_bounds_and_flat_fees() -> None:
    fee = Price.percentage("0.01", "USD", minimum=usd("0.50"), maximum=usd("5"))
    small = fee.charge(20)
    assert small.amount == usd("0.50") and small.lines[-1].kind is LineKind.TRANSACTION_MINIMUM
    large = fee.charge(1000)
    assert large.amount == usd("5") and large.lines[-1].amount == usd("-5")
    plan = Price.flat(usd("49"))
    assert plan.charge(0).amount == plan.charge(10**6).amount == usd("49")
    assert plan.model is PriceModel.FLAT and plan.currency == billing.Currency("USD")


def test_a_minimum_per_period_is_its_own_line() -> None:
    # https://getlago.com/docs/guide/plans/charges/spending-minimum: $50 of usage against a $100 minimum is a
    # $50 true-up.
    price = Price.per_unit("0.010", "USD").with_minimum(usd("100"))
    charge = price.charge(5000)
    assert charge.amount == usd("100")
    assert [(line.kind, line.amount) for line in charge.lines] == [
        (LineKind.UNITS, usd("50")), (LineKind.MINIMUM_TRUE_UP, usd("50"))]
    assert price.period_minimum == usd("100")
    assert Price.per_unit(1, "USD").period_minimum is None


def test_rounding_per_line_or_on_the_total() -> None:
    halves = Price.graduated([Tier(1, "0.005"), Tier(2, "0.005"), Tier(None, "0.005")], "USD")
    assert halves.rounding is RoundingMode.HALF_EVEN and halves.round_at is RoundAt.LINE
    assert halves.charge(3).amount == usd("0")  # three half cents, each to the even 0
    assert halves.with_rounding(RoundingMode.HALF_UP).charge(3).amount == usd("0.03")
    on_total = halves.with_rounding(at=RoundAt.TOTAL)
    charge = on_total.charge(3)
    assert charge.amount == usd("0.02")  # 0.015 once, to the even 0.02
    assert [line.amount for line in charge.lines] == [usd("0.01"), usd("0.01"), usd("0")]
    assert on_total.round_at is RoundAt.TOTAL
    assert halves.with_rounding(RoundingMode.DOWN, at=RoundAt.TOTAL).charge(3).amount == usd("0.01")


# -------------------------------------------------------------------------------------------------- refusals


def test_bad_input_names_the_field() -> None:
    cases: list[tuple[str, Callable[[], object]]] = [
        ("tiers", lambda: Price.graduated([], "USD")),
        ("tiers[1].up_to", lambda: Price.graduated([Tier(5, 7), Tier(5, 6), Tier(None, 5)], "USD")),
        ("tiers[2].up_to", lambda: Price.volume([Tier(5, 7), Tier(10, 6), Tier(20, 5)], "USD")),
        ("tiers[0].up_to", lambda: Price.graduated([Tier(None, 7), Tier(None, 6)], "USD")),
        ("tiers[0].unit_price", lambda: Price.graduated([Tier(None, -1)], "USD")),
        ("tiers[0].unit_price", lambda: Price.graduated([Tier(None, "0.0000000000001")], "USD")),
        ("tiers[0].flat_fee", lambda: Price.volume([Tier(None, 1, -1)], "USD")),
        ("unit_price", lambda: Price.per_unit("-0.01", "USD")),
        ("size", lambda: Price.package(0, usd("1"))),
        ("price", lambda: Price.package(10, usd("-1"))),
        ("free_units", lambda: Price.package(10, usd("1"), free_units=-1)),
        ("rate", lambda: Price.percentage("1.5", "USD")),
        ("rate", lambda: Price.percentage("-0.1", "USD")),
        ("maximum", lambda: Price.percentage("0.01", "USD", minimum=usd("2"), maximum=usd("1"))),
        ("fixed_fee", lambda: Price.percentage("0.01", "USD", fixed_fee=usd("-1"))),
        ("amount", lambda: Price.flat(usd("-1"))),
        ("minimum", lambda: Price.flat(usd("1")).with_minimum(usd("-1"))),
        ("quantity", lambda: Price.flat(usd("1")).charge(-1)),
        ("quantity", lambda: Price.per_unit(1, "USD").charge("0.0000000000001")),
    ]
    for field, call in cases:
        with pytest.raises(billing.InvalidArgument) as raised:
            call()
        assert raised.value.field == field, (field, str(raised.value))
        assert str(raised.value).startswith(field + ":")


def test_another_currency_is_a_currency_mismatch_naming_the_field() -> None:
    euro = Money("1", "EUR")
    cases: list[tuple[str, Callable[[], Price]]] = [
        ("fixed_fee", lambda: Price.percentage("0.01", "USD", fixed_fee=euro)),
        ("maximum", lambda: Price.percentage("0.01", "USD", maximum=euro)),
        ("minimum", lambda: Price.per_unit(1, "USD").with_minimum(euro))]
    for field, call in cases:
        with pytest.raises(billing.CurrencyMismatch) as raised:
            call()
        assert raised.value.field == field


@pytest.mark.parametrize("parameter, call", [
    ("unit_price", lambda: Price.per_unit(0.1, "USD")),  # type: ignore[arg-type]
    ("currency", lambda: Price.per_unit(1, 840)),  # type: ignore[arg-type]
    ("size", lambda: Price.package(1.5, usd("1"))),  # type: ignore[arg-type]
    ("price", lambda: Price.package(10, "5.00")),  # type: ignore[arg-type]
    ("round_up", lambda: Price.package(10, usd("1"), round_up=1)),  # type: ignore[arg-type]
    ("free_units", lambda: Price.package(10, usd("1"), free_units=0.5)),  # type: ignore[arg-type]
    ("tiers", lambda: Price.graduated(Tier(None, 1), "USD")),  # type: ignore[arg-type]
    ("tiers[1]", lambda: Price.volume([Tier(5, 1), "6"], "USD")),  # type: ignore[list-item]
    ("up_to", lambda: Tier(5.0, 1)),  # type: ignore[arg-type]
    ("unit_price", lambda: Tier(5, 0.25)),  # type: ignore[arg-type]
    ("flat_fee", lambda: Tier(5, 1, 0.5)),  # type: ignore[arg-type]
    ("up_to", lambda: Tier(True, 1)),
    ("rate", lambda: Price.percentage(0.029, "USD")),  # type: ignore[arg-type]
    ("fixed_fee", lambda: Price.percentage("0.029", "USD", fixed_fee="0.30")),  # type: ignore[arg-type]
    ("amount", lambda: Price.flat(49)),  # type: ignore[arg-type]
    ("quantity", lambda: Price.per_unit(1, "USD").charge(2.5)),  # type: ignore[arg-type]
    ("quantity", lambda: Price.per_unit(1, "USD").amount(None)),  # type: ignore[arg-type]
    ("amount", lambda: Price.per_unit(1, "USD").with_minimum(10)),  # type: ignore[arg-type]
    ("rounding", lambda: Price.per_unit(1, "USD").with_rounding("HALF_UP")),  # type: ignore[arg-type]
    ("at", lambda: Price.per_unit(1, "USD").with_rounding(at="total")),  # type: ignore[arg-type]
])
def test_a_wrong_type_is_a_type_error_naming_the_parameter(parameter: str, call: Callable[[], Any]) -> None:
    with pytest.raises(TypeError, match=parameter.replace("[", r"\[").replace("]", r"\]")) as raised:
        call()
    assert "Invoked with" not in str(raised.value)  # the guard's message, which shows no value


def test_overflow_is_an_error_naming_quantity() -> None:
    with pytest.raises(billing.Overflow) as raised:
        Price.per_unit(10, "JPY").charge(10**18)
    assert raised.value.field == "quantity"
    assert Price.per_unit(1, "JPY").charge(10**18).amount == Money(10**18, "JPY")
    with pytest.raises(billing.InvalidArgument):
        Price.per_unit(1, "JPY").charge(10**18 + 1)
    with pytest.raises(billing.Overflow):
        Price.per_unit(1, "USD").charge(10**40)  # an int beyond any Decimal


# -------------------------------------------------------------------------------------------------- values


def samples() -> list[Price]:
    return [
        Price.per_unit("0.00025", "USD"),
        Price.package(100, usd("5"), round_up=False, free_units=100),
        Price.graduated(typographic(), "USD").with_minimum(usd("50")),
        Price.volume([Tier(5, 5, 10), Tier(None, "4.5")], "EUR"),
        Price.percentage("0.029", "USD", fixed_fee=usd("0.30"), minimum=usd("0.50"), maximum=usd("10")),
        Price.flat(Money("49", "JPY")).with_rounding(RoundingMode.UP, at=RoundAt.TOTAL),
    ]


@pytest.mark.parametrize("price", samples(), ids=repr)
def test_a_price_repr_evaluates_back_to_an_equal_price(price: Price) -> None:
    namespace = {"Price": Price, "Tier": Tier, "Money": Money, "RoundingMode": RoundingMode, "RoundAt": RoundAt}
    assert eval(repr(price), namespace) == price
    assert copy.copy(price) == price and copy.deepcopy(price) == price


def test_reprs_of_tiers_lines_and_charges() -> None:
    assert repr(Tier(5, "6.5", 10)) == "Tier('5', '6.5', flat_fee='10')"
    assert repr(Tier(None, 6)) == "Tier(None, '6')"
    assert eval(repr(Tier(5, "6.5", 10)), {"Tier": Tier}) == Tier(5, "6.5", 10)
    charge = Price.graduated(typographic(), "USD").charge(6)
    assert repr(charge) == "Charge(amount=Money('41.50', 'USD'), 2 lines)"
    assert repr(charge.lines[1]) == \
        "ChargeLine(LineKind.TIER, tier=1, quantity='1', unit_price='6.5', amount=Money('6.50', 'USD'))"


def test_prices_tiers_and_charges_are_immutable_values() -> None:
    price = Price.graduated(typographic(), "USD")
    assert price == Price.graduated([Tier("5.0", "7.00"), Tier(10, "6.50"), Tier(None, 6)], "USD")
    assert price != Price.volume(typographic(), "USD") and price != price.with_minimum(usd("1"))
    assert price.tiers == typographic() and price.model is PriceModel.GRADUATED
    assert Price.per_unit(1, "USD").tiers == []
    assert price.charge(6) == price.charge(Decimal("6.000"))
    tier = Tier(5, 7)
    with pytest.raises(AttributeError):
        tier.up_to = Decimal(6)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        price.charge(1).amount = usd("0")  # type: ignore[misc]
    assert (price == 1) is False
