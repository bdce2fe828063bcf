"""Money and the exact decimal helpers against Python's decimal module, on random inputs.

For each rounding mode, 10,000 cases mix magnitudes, signs and currencies with 0, 2, 3 and 4 places.
The decimal module is the reference: it is exact here because every context below has far more
precision than any value can need.
"""
import decimal
import random
from decimal import Decimal

import pytest

import billing
from billing import Money, RoundingMode

CASES = 10_000
CURRENCIES = ["JPY", "USD", "BHD", "CLF"]  # 0, 2, 3 and 4 places
PY_MODE = {
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_DOWN: decimal.ROUND_HALF_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.CEILING: decimal.ROUND_CEILING,
    RoundingMode.FLOOR: decimal.ROUND_FLOOR,
}
MODE_NAMES = [mode.name for mode in PY_MODE]
LARGEST_MINOR = 2**63 - 1
EXACT = decimal.Context(prec=200, Emax=999, Emin=-999)


def random_decimal(rng: random.Random, max_integer_digits: int, max_places: int) -> Decimal:
    integer_digits = rng.randint(0, max_integer_digits)
    places = rng.randint(0, max_places)
    digits = "".join(rng.choice("0123456789") for _ in range(integer_digits + places)) or "0"
    if rng.random() < 0.3 and places > 0:  # make ties and near-ties common
        digits = digits[:-1] + rng.choice("459")
    text = digits[:integer_digits] or "0"
    if places:
        text += "." + digits[integer_digits:]
    return Decimal(("-" if rng.random() < 0.5 else "") + text)


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


@pytest.mark.parametrize("mode", list(PY_MODE), ids=MODE_NAMES)
def test_money_construction_rounds_like_decimal(mode: RoundingMode) -> None:
    rng = random.Random(f"construct-{mode.name}")
    for _ in range(CASES):
        code = rng.choice(CURRENCIES)
        places = billing.Currency(code).minor_units
        amount = random_decimal(rng, 15, 8)
        expected = amount.quantize(quantum(places), rounding=PY_MODE[mode], context=EXACT)
        minor = int(expected.scaleb(places, context=EXACT))
        if abs(minor) > LARGEST_MINOR:  # 15 digits and 4 places can pass the limit: that must raise, not wrap
            with pytest.raises(billing.Overflow):
                Money(amount, code, rounding=mode)
            continue
        got = Money(amount, code, rounding=mode)
        assert got.amount == expected, (amount, code, mode)
        assert got.minor == minor


@pytest.mark.parametrize("mode", list(PY_MODE), ids=MODE_NAMES)
def test_money_multiply_rounds_like_decimal(mode: RoundingMode) -> None:
    rng = random.Random(f"multiply-{mode.name}")
    for _ in range(CASES):
        code = rng.choice(CURRENCIES)
        places = billing.Currency(code).minor_units
        money = Money(random_decimal(rng, 10, places), code, rounding=RoundingMode.DOWN)
        # Small factors take the native fast paths; factors of 20+ digits the multiprecision one.
        factor = random_decimal(rng, *rng.choice([(4, 12), (4, 12), (18, 18), (4, 26)]))
        expected = EXACT.multiply(money.amount, factor).quantize(quantum(places), rounding=PY_MODE[mode], context=EXACT)
        if abs(expected.scaleb(places, context=EXACT)) > LARGEST_MINOR:
            with pytest.raises(billing.Overflow):
                money.multiply(factor, mode)
            continue
        assert money.multiply(factor, mode).amount == expected, (money, factor, mode)


@pytest.mark.parametrize("mode", list(PY_MODE), ids=MODE_NAMES)
def test_decimal_divide_and_quantize_round_like_decimal(mode: RoundingMode) -> None:
    rng = random.Random(f"divide-{mode.name}")
    for _ in range(CASES):
        a = random_decimal(rng, 18, 12)
        b = random_decimal(rng, 6, 12)
        if b == 0:
            b = Decimal("7")
        places = rng.randint(0, 12)
        expected = EXACT.divide(a, b).quantize(quantum(places), rounding=PY_MODE[mode], context=EXACT)
        assert billing.divide(a, b, places, mode) == expected, (a, b, places, mode)
        expected_round = a.quantize(quantum(places), rounding=PY_MODE[mode], context=EXACT)
        assert billing.quantize(a, places, mode) == expected_round, (a, places, mode)
        product = EXACT.multiply(a, b).quantize(quantum(places), rounding=PY_MODE[mode], context=EXACT)
        assert billing.multiply(a, b, places, mode) == product, (a, b, places, mode)


@pytest.mark.parametrize("code", CURRENCIES)
def test_allocation_sums_exactly_and_each_share_is_within_one_minor_unit(code: str) -> None:
    rng = random.Random(f"allocate-{code}")
    places = billing.Currency(code).minor_units
    unit = quantum(places)
    for _ in range(CASES // 4):
        money = Money(random_decimal(rng, 12, places), code, rounding=RoundingMode.DOWN)
        ratios = [random_decimal(rng, 3, 3).copy_abs() for _ in range(rng.randint(1, 8))]
        if sum(ratios) == 0:
            ratios[0] = Decimal(1)
        shares = money.allocate(ratios)
        assert sum((s.amount for s in shares), Decimal(0)) == money.amount
        total = sum(ratios)
        for share, ratio in zip(shares, ratios):
            exact = EXACT.divide(EXACT.multiply(money.amount, ratio), total)
            assert abs(share.amount - exact) < unit, (money, ratios)
