"""The Python face of Currency and Money: construction, arithmetic, errors and conversions."""
import decimal
import pickle
from decimal import Decimal
from typing import Union

import pytest

import billing
from billing import Money, RoundingMode


def test_version_is_the_project_version() -> None:
    assert billing.__version__.count(".") == 2


def test_currency_exposes_iso_fields() -> None:
    usd = billing.Currency("USD")
    assert (usd.code, usd.numeric, usd.minor_units, usd.name) == ("USD", 840, 2, "US Dollar")
    assert billing.Currency("JPY").minor_units == 0
    assert billing.Currency("KWD").minor_units == 3
    assert billing.Currency("UYW").minor_units == 4
    assert usd == billing.Currency("USD") and usd != billing.Currency("EUR")
    assert len({usd, billing.Currency("USD")}) == 1
    assert repr(usd) == "Currency('USD')"


def test_currencies_lists_every_iso_code() -> None:
    codes = [c.code for c in billing.currencies() if c.is_iso]
    assert len(codes) == 165
    assert codes == sorted(codes)
    assert {"USD", "EUR", "JPY", "BHD", "CLF", "XCG", "ZWG"} <= set(codes)


def test_unknown_currency_raises_with_code_and_field() -> None:
    with pytest.raises(billing.UnknownCurrency) as raised:
        billing.Currency("XYZ")
    assert raised.value.code == billing.ErrorCode.UNKNOWN_CURRENCY
    assert raised.value.field == "currency"
    assert isinstance(raised.value, billing.BillingError)
    with pytest.raises(billing.UnknownCurrency):
        Money("1", "XYZ")


def test_registered_unit_works_like_a_currency() -> None:
    credits = billing.register_unit("PY_CREDITS", 3, "Python credits")
    assert billing.Currency("PY_CREDITS") == credits
    assert Money("1.125", credits).minor == 1125
    with pytest.raises(billing.InvalidArgument) as raised:
        billing.register_unit("PY_CREDITS", 2, "Python credits")
    assert raised.value.field == "code"


@pytest.mark.parametrize("amount", [Decimal("12.34"), "12.34", 12, Decimal("12.340")])
def test_money_accepts_decimal_str_and_int(amount: Union[Decimal, str, int]) -> None:
    money = Money(amount, "USD")
    assert money.amount == Decimal(str(amount))
    assert isinstance(money.amount, Decimal)


@pytest.mark.parametrize("amount", [12.34, 1.0, float("nan")])
def test_float_is_a_type_error(amount: float) -> None:
    with pytest.raises(TypeError, match="float"):
        Money(amount, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money("1", "USD").multiply(amount)  # type: ignore[arg-type]


def test_bool_and_other_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        Money(True, "USD")
    with pytest.raises(TypeError):
        Money(["1"], "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money("1", 840)  # type: ignore[arg-type]


def test_too_many_places_needs_a_rounding_mode() -> None:
    with pytest.raises(billing.InvalidAmount) as raised:
        Money("12.345", "USD")
    assert raised.value.field == "amount"
    assert Money("12.345", "USD", rounding=RoundingMode.HALF_EVEN) == Money("12.34", "USD")
    assert Money("12.345", "USD", RoundingMode.HALF_UP) == Money("12.35", "USD")


def test_not_a_number_is_invalid_amount() -> None:
    amounts: list[Union[str, Decimal]] = ["", "abc", "1.2.3", "NaN", "Infinity", Decimal("NaN"), Decimal("-Infinity")]
    for bad in amounts:
        with pytest.raises(billing.InvalidAmount):
            Money(bad, "USD")


def test_from_minor_and_parse() -> None:
    assert Money.from_minor(1234, "USD") == Money("12.34", "USD")
    assert Money.from_minor(-5, billing.Currency("BHD")).amount == Decimal("-0.005")
    assert Money.parse("12.34 USD").minor == 1234
    with pytest.raises(billing.Overflow):
        Money.from_minor(2**63, "USD")
    with pytest.raises(billing.Overflow):
        Money.from_minor(-(2**63), "USD")
    with pytest.raises(billing.InvalidAmount):
        Money.parse("12.34USD")


def test_str_repr_and_pickle() -> None:
    money = Money("12.3", "USD")
    assert str(money) == "12.30 USD"
    assert repr(money) == "Money('12.30', 'USD')"
    assert str(Money("1234", "JPY")) == "1234 JPY"
    assert pickle.loads(pickle.dumps(money)) == money


def test_arithmetic_within_one_currency() -> None:
    a, b = Money("12.34", "USD"), Money("0.66", "USD")
    assert a + b == Money("13", "USD")
    assert a - b == Money("11.68", "USD")
    assert -a == Money("-12.34", "USD")
    assert abs(Money("-1", "USD")) == Money("1", "USD")
    assert a > b and b < a and a >= a and b <= b
    assert hash(Money("1.0", "USD")) == hash(Money("1.00", "USD"))
    assert not Money("0", "USD") and Money("0.01", "USD")


def test_currency_mismatch() -> None:
    usd, eur = Money("1", "USD"), Money("1", "EUR")
    with pytest.raises(billing.CurrencyMismatch):
        usd + eur
    with pytest.raises(billing.CurrencyMismatch):
        usd - eur
    with pytest.raises(billing.CurrencyMismatch):
        usd < eur
    assert usd != eur
    assert usd != 1


def test_overflow_is_an_error_never_a_wrap() -> None:
    largest = Money.from_minor(2**63 - 1, "USD")
    with pytest.raises(billing.Overflow) as raised:
        largest + Money("0.01", "USD")
    assert raised.value.code == billing.ErrorCode.OVERFLOW
    assert isinstance(raised.value, ArithmeticError)
    with pytest.raises(billing.Overflow):
        largest.multiply(2)
    with pytest.raises(billing.Overflow):
        Money(10**40, "USD")


def test_multiply_rounds_half_even_by_default() -> None:
    assert Money("0.05", "USD").multiply("0.5") == Money("0.02", "USD")
    assert Money("0.05", "USD").multiply(Decimal("0.5"), RoundingMode.HALF_UP) == Money("0.03", "USD")
    assert Money("19.99", "USD").multiply(3) == Money("59.97", "USD")


def test_allocate_and_split() -> None:
    assert Money("1", "USD").split(3) == [Money("0.34", "USD"), Money("0.33", "USD"), Money("0.33", "USD")]
    assert Money("10", "USD").allocate([Decimal("33.3"), "66.7"]) == [Money("3.33", "USD"), Money("6.67", "USD")]
    assert Money("0.05", "USD").allocate([3, 7]) == [Money("0.02", "USD"), Money("0.03", "USD")]
    with pytest.raises(billing.InvalidArgument) as raised:
        Money("1", "USD").allocate([])
    assert raised.value.field == "ratios"
    with pytest.raises(billing.InvalidArgument):
        Money("1", "USD").allocate([1, -1])
    with pytest.raises(billing.InvalidArgument):
        Money("1", "USD").split(0)


def test_decimal_helpers_round_once_with_an_explicit_mode() -> None:
    assert billing.divide(10, 3, 4, RoundingMode.HALF_EVEN) == Decimal("3.3333")
    assert billing.quantize("2.5", 0, RoundingMode.HALF_EVEN) == Decimal("2")
    assert billing.multiply("1.005", 3, 2, RoundingMode.HALF_EVEN) == Decimal("3.02")
    with pytest.raises(billing.DivisionByZero):
        billing.divide(1, 0, 2, RoundingMode.HALF_EVEN)
    with pytest.raises(ZeroDivisionError):
        billing.divide(1, 0, 2, RoundingMode.HALF_EVEN)


def test_python_decimal_context_does_not_matter() -> None:
    with decimal.localcontext() as context:
        context.prec = 3
        assert Money(Decimal("123456.78"), "USD").amount == Decimal("123456.78")
