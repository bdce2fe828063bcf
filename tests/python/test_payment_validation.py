"""Payment validation from Python (docs/payments.md): one call reports every broken field, each with a field,
a code and a message; amounts and expiries in the types a host has; the policy; brands and IBANs; and what
a report keeps of a card. tests/unit/payment_validation_test.cpp covers the tables and every check in C++;
test_conventions.py probes the sensitive parameters."""
import datetime
import decimal
import itertools
from typing import Any, Iterator, Optional

import pytest

import billing
from billing import CardBrand, ValidationCode

UTC = datetime.timezone.utc
MAY_2026 = billing.ManualClock(datetime.datetime(2026, 5, 15, 12, tzinfo=UTC))


def card_payment(**changes: Any) -> billing.PaymentReport:
    fields: dict[str, Any] = dict(amount="19.99", currency="USD", customer_id="cus_42", email="ada@example.com",
                                  card_number="4242 4242 4242 4242", expiry_month="12", expiry_year="2030",
                                  cvc="123", clock=MAY_2026)
    fields.update(changes)
    return billing.validate_payment(**fields)


def codes(report: billing.PaymentReport) -> dict[str, ValidationCode]:
    return {e.field: e.code for e in report.errors}


def test_a_valid_card_payment() -> None:
    report = card_payment()
    assert report.ok and bool(report) and report.errors == []
    assert report.amount == billing.Money("19.99", "USD")
    assert report.card is not None
    assert (report.card.brand, report.card.last_four, report.card.expiry_month, report.card.expiry_year) == \
        (CardBrand.VISA, "4242", 12, 2030)
    assert repr(report) == ("PaymentReport(ok=True, card=CardDetails(brand=CardBrand.VISA, last_four='4242', "
                            "expiry_month=12, expiry_year=2030))")


def test_a_valid_iban_payment_and_one_without_a_method() -> None:
    report = billing.validate_payment(amount="250", currency="EUR", customer_id="cus_7",
                                      iban="DE89 3704 0044 0532 0130 00")
    assert report.ok and report.card is None and report.amount == billing.Money("250.00", "EUR")
    assert billing.validate_payment(amount="1", currency="JPY", customer_id="cus_7").ok


def test_every_broken_field_at_once_with_a_field_a_code_and_a_message() -> None:
    report = billing.validate_payment(amount="-5", currency="usd", customer_id="", email="not-an-email",
                                      card_number="4242 4242 4242 4241", expiry_month="13", expiry_year="2019",
                                      cvc="12", iban="GB00 WEST 1234 5698 7654 32", clock=MAY_2026)
    assert not report.ok and not bool(report)
    assert [(e.field, e.code, e.message) for e in report.errors] == [
        ("amount", ValidationCode.NOT_POSITIVE, "amount: must be more than zero"),
        ("currency", ValidationCode.UNKNOWN_CURRENCY, "currency: 'usd' is not a known currency code"),
        ("customer_id", ValidationCode.EMPTY, "customer_id: is empty"),
        ("email", ValidationCode.INVALID_FORMAT, "email: has no @"),
        ("card_number", ValidationCode.CHECKSUM, "card_number: fails the Luhn check"),
        ("expiry_month", ValidationCode.OUT_OF_RANGE, "expiry_month: is not a month from 1 to 12"),
        ("expiry_year", ValidationCode.EXPIRED, "expiry_year: the card expired at the end of 2019"),
        ("cvc", ValidationCode.INVALID_LENGTH, "cvc: has 2 digits; a CVC has 3 or 4"),
        ("iban", ValidationCode.CHECKSUM, "iban: fails the mod-97 check"),
    ]
    assert report.card is None and report.amount is None
    assert repr(report).startswith("PaymentReport(ok=False, errors=[FieldError('amount', ValidationCode.NOT_POSITIVE), ")
    assert repr(report.errors[4]) == "FieldError('card_number', ValidationCode.CHECKSUM)"


def test_errors_as_an_http_host_returns_them() -> None:
    report = card_payment(amount="12.345", cvc="12a")
    body = [{"field": e.field, "code": e.code.value, "message": e.message} for e in report.errors]
    assert body == [
        {"field": "amount", "code": "too_many_places", "message": "amount: has 3 places; USD has 2"},
        {"field": "cvc", "code": "invalid_format", "message": "cvc: may hold only digits"},
    ]


# ---------------------------------------------------------------------------------------------- types


@pytest.mark.parametrize("amount", ["19.99", decimal.Decimal("19.99"), decimal.Decimal("19.990"), 19, "+19", ".5",
                                    decimal.Decimal("1E+3"), 10**15])
def test_an_amount_is_a_str_a_decimal_or_an_int(amount: Any) -> None:
    assert card_payment(amount=amount).ok


@pytest.mark.parametrize("amount, code", [
    (decimal.Decimal("NaN"), ValidationCode.INVALID_FORMAT),
    (decimal.Decimal("Infinity"), ValidationCode.INVALID_FORMAT),
    (decimal.Decimal("-0"), ValidationCode.NOT_POSITIVE),
    (0, ValidationCode.NOT_POSITIVE),
    (-1, ValidationCode.NOT_POSITIVE),
    (decimal.Decimal("0.001"), ValidationCode.TOO_MANY_PLACES),
    (2**63, ValidationCode.TOO_LARGE),
    (10**63, ValidationCode.TOO_LARGE),
    (10**64, ValidationCode.TOO_LONG),  # 65 digits
    (2**4095, ValidationCode.TOO_LONG),
    ("1,000", ValidationCode.INVALID_FORMAT),
    (" 1", ValidationCode.INVALID_FORMAT),
    ("", ValidationCode.EMPTY),
])
def test_a_bad_amount_is_reported_not_raised(amount: Any, code: ValidationCode) -> None:
    assert codes(card_payment(amount=amount)) == {"amount": code}


@pytest.mark.parametrize("amount", [19.99, True, b"19.99", None, [1]])
def test_a_float_or_another_type_of_amount_is_a_type_error(amount: Any) -> None:
    with pytest.raises(TypeError, match="^amount: "):
        card_payment(amount=amount)


def test_an_int_beyond_4096_bits_is_overflow() -> None:
    with pytest.raises(billing.Overflow) as raised:
        card_payment(amount=2**5000)
    assert raised.value.field == "amount"


def test_a_currency_is_a_code_or_a_currency() -> None:
    assert card_payment(currency=billing.Currency("USD")).ok
    assert codes(card_payment(currency="XYZ")) == {"currency": ValidationCode.UNKNOWN_CURRENCY}
    with pytest.raises(TypeError, match="currency"):
        card_payment(currency=840)


@pytest.mark.parametrize("month, year", [(12, 2030), ("12", "2030"), (12, "30"), ("1", 2031), ("01", 31)])
def test_an_expiry_is_a_str_or_an_int(month: Any, year: Any) -> None:
    report = card_payment(expiry_month=month, expiry_year=year)
    assert report.ok and report.card is not None and report.card.expiry_year in (2030, 2031)


@pytest.mark.parametrize("month, code", [(0, ValidationCode.OUT_OF_RANGE), (13, ValidationCode.OUT_OF_RANGE),
                                         (-1, ValidationCode.INVALID_FORMAT), (123, ValidationCode.TOO_LONG),
                                         (4, ValidationCode.EXPIRED), (" 4", ValidationCode.INVALID_FORMAT),
                                         ("  4", ValidationCode.TOO_LONG)])
def test_a_bad_expiry_month(month: Any, code: ValidationCode) -> None:
    assert codes(card_payment(expiry_month=month, expiry_year=2026)) == {"expiry_month": code}


@pytest.mark.parametrize("wrong", [12.0, True, b"12", decimal.Decimal("12")])
def test_an_expiry_of_another_type_is_a_type_error(wrong: Any) -> None:
    with pytest.raises(TypeError, match="^expiry_month: expected a str, an int or None"):
        card_payment(expiry_month=wrong)
    with pytest.raises(TypeError, match="^expiry_year: expected a str, an int or None"):
        card_payment(expiry_year=wrong)


def test_a_card_is_valid_through_its_expiry_month_by_the_clock_given() -> None:
    clock = billing.ManualClock(datetime.datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert card_payment(expiry_month=3, expiry_year=2026, clock=clock).ok
    clock.advance(datetime.timedelta(microseconds=1))
    report = card_payment(expiry_month=3, expiry_year=2026, clock=clock)
    assert [e.message for e in report.errors] == ["expiry_month: the card expired at the end of 03/2026"]
    assert report.card is not None  # an expired card is still named, so that the host can say which


def test_without_a_clock_the_system_clock_judges_expiry() -> None:
    assert card_payment(clock=None, expiry_year=datetime.datetime.now(UTC).year + 1).ok
    assert codes(card_payment(clock=None, expiry_year=2001)) == {"expiry_year": ValidationCode.EXPIRED}


def test_a_cards_fields_come_together() -> None:
    assert codes(card_payment(expiry_month=None, expiry_year=None, cvc=None)) == {
        "expiry_month": ValidationCode.MISSING, "expiry_year": ValidationCode.MISSING, "cvc": ValidationCode.MISSING}
    assert codes(card_payment(card_number=None)) == {"card_number": ValidationCode.MISSING}
    assert codes(card_payment(iban="DE89370400440532013000")) == {"iban": ValidationCode.CONFLICT}
    assert codes(card_payment(card_number="378282246310005", cvc="123")) == {"cvc": ValidationCode.INVALID_LENGTH}
    assert card_payment(card_number="3782 822463 10005", cvc="1234").ok


def test_text_python_cannot_encode_is_refused_by_field() -> None:
    report = card_payment(card_number="4242 4242 4242 4242\udc00", customer_id="cus\ud800", email="a\udfff@x.io")
    assert codes(report) == {"customer_id": ValidationCode.INVALID_FORMAT, "email": ValidationCode.INVALID_FORMAT,
                             "card_number": ValidationCode.INVALID_FORMAT}
    assert not billing.is_valid_card_number("4242424242424242\udc00")
    assert billing.card_brand("4\udc00") is None
    assert not billing.is_valid_iban("DE89370400440532013000\udc00")


def test_customer_ids_count_characters() -> None:
    assert card_payment(customer_id="💳" * 128).ok
    assert codes(card_payment(customer_id="💳" * 129)) == {"customer_id": ValidationCode.TOO_LONG}
    assert codes(card_payment(customer_id="cus\n42")) == {"customer_id": ValidationCode.CONTROL_CHARACTER}
    assert codes(card_payment(customer_id="cus\u2028")) == {"customer_id": ValidationCode.CONTROL_CHARACTER}


# ---------------------------------------------------------------------------------------------- the policy


def test_a_policy_caps_amounts_and_lists_currencies_and_brands() -> None:
    policy = billing.PaymentPolicy(max_amount=decimal.Decimal("1000.00"), currencies=["USD", billing.Currency("EUR")],
                                   brands=[CardBrand.VISA, CardBrand.MASTERCARD])
    assert policy.max_amount == decimal.Decimal("1000.00")
    assert policy.currencies == [billing.Currency("USD"), billing.Currency("EUR")]
    assert policy.brands == [CardBrand.VISA, CardBrand.MASTERCARD]
    assert repr(policy) == ("PaymentPolicy(max_amount=Decimal('1000.00'), currencies=['USD', 'EUR'], "
                            "brands=[CardBrand.VISA, CardBrand.MASTERCARD])")
    assert card_payment(policy=policy, amount="1000").ok
    assert codes(card_payment(policy=policy, amount="1000.01")) == {"amount": ValidationCode.TOO_LARGE}
    assert codes(card_payment(policy=policy, currency="GBP")) == {"currency": ValidationCode.CURRENCY_NOT_ACCEPTED}
    amex = card_payment(policy=policy, card_number="378282246310005", cvc="1234")
    assert [e.message for e in amex.errors] == ["card_number: American Express cards are not accepted here"]
    assert repr(billing.PaymentPolicy()) == "PaymentPolicy(max_amount=None, currencies=None, brands=None)"
    default = billing.PaymentPolicy()
    assert default.max_amount is None and default.currencies is None and default.brands is None


@pytest.mark.parametrize("arguments, field", [
    ({"max_amount": 0}, "max_amount"),
    ({"max_amount": "-1"}, "max_amount"),
    ({"currencies": []}, "currencies"),
    ({"currencies": ["USD", "USD"]}, "currencies"),
    ({"currencies": ["USD"] * 257}, "currencies"),
    ({"brands": []}, "brands"),
    ({"brands": [CardBrand.VISA, CardBrand.VISA]}, "brands"),
])
def test_a_policy_refuses_what_would_make_it_meaningless(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(billing.InvalidArgument) as raised:
        billing.PaymentPolicy(**arguments)
    assert raised.value.field == field and str(raised.value).startswith(field + ": ")


def test_a_policy_reads_a_bounded_part_of_an_endless_iterable() -> None:
    def endless() -> Iterator[CardBrand]:
        yield from itertools.cycle(CardBrand)
    with pytest.raises(billing.InvalidArgument, match="^brands: lists Visa twice"):
        billing.PaymentPolicy(brands=endless())
    with pytest.raises(billing.InvalidArgument):
        billing.PaymentPolicy(currencies=itertools.repeat("USD"))


@pytest.mark.parametrize("arguments, message", [
    ({"max_amount": 1000.0}, "max_amount"),
    ({"currencies": "USD"}, "currencies: expected an iterable"),
    ({"currencies": ["USD", 840]}, r"currencies\[1\]"),
    ({"brands": [CardBrand.VISA, "mastercard"]}, r"brands\[1\]: expected a billing.CardBrand, got str"),
    ({"brands": CardBrand.VISA}, "brands: expected an iterable"),
])
def test_a_policy_of_the_wrong_types_is_a_type_error(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        billing.PaymentPolicy(**arguments)


def test_policy_and_clock_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="^policy: expected a billing.PaymentPolicy or None, got dict"):
        card_payment(policy={})
    with pytest.raises(TypeError, match="^clock: expected a billing.Clock or None, got datetime"):
        card_payment(clock=datetime.datetime.now(UTC))


# ---------------------------------------------------------------------------------------------- cards, IBANs

# Published test numbers (Stripe, Braintree, CyberSource): none is a real card.
TEST_CARDS = [("4242424242424242", CardBrand.VISA), ("4000056655665556", CardBrand.VISA),
              ("4222222222222", CardBrand.VISA), ("5555555555554444", CardBrand.MASTERCARD),
              ("2223003122003222", CardBrand.MASTERCARD), ("378282246310005", CardBrand.AMEX),
              ("371449635398431", CardBrand.AMEX), ("6011111111111117", CardBrand.DISCOVER),
              ("3566002020360505", CardBrand.JCB), ("36227206271667", CardBrand.DINERS_CLUB),
              ("3056930009020004", CardBrand.DINERS_CLUB), ("6200000000000005", CardBrand.UNIONPAY),
              ("6205500000000000004", CardBrand.UNIONPAY), ("6304000000000000", CardBrand.MAESTRO),
              ("6759411100000008", CardBrand.MAESTRO)]


@pytest.mark.parametrize("number, brand", TEST_CARDS)
def test_published_test_cards(number: str, brand: CardBrand) -> None:
    assert billing.card_brand(number) is brand
    assert billing.is_valid_card_number(number)
    spaced = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    assert billing.is_valid_card_number(spaced) and billing.is_valid_card_number(spaced.replace(" ", "-"))
    broken = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not billing.is_valid_card_number(broken)


@pytest.mark.parametrize("prefix, brand", [("4", CardBrand.VISA), ("2221", CardBrand.MASTERCARD),
                                           ("2720", CardBrand.MASTERCARD), ("2721", None), ("2220", None),
                                           ("622126", CardBrand.DISCOVER), ("622925", CardBrand.DISCOVER),
                                           ("622926", CardBrand.UNIONPAY), ("62", CardBrand.UNIONPAY),
                                           ("9", None), ("", None), ("abc", None)])
def test_card_brand_reads_the_leading_digits(prefix: str, brand: Optional[CardBrand]) -> None:
    assert billing.card_brand(prefix) is brand


def test_card_brand_members() -> None:
    assert [b.value for b in CardBrand] == ["visa", "mastercard", "amex", "discover", "jcb", "diners_club",
                                            "unionpay", "maestro"]
    assert CardBrand("amex") is CardBrand.AMEX and CardBrand["DINERS_CLUB"] is CardBrand.DINERS_CLUB


@pytest.mark.parametrize("iban", ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "NO9386011117947",
                                  "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "fr14 2004 1010 0505 0001 3m02 606"])
def test_published_ibans(iban: str) -> None:
    assert billing.is_valid_iban(iban)
    assert billing.validate_payment(amount="1", currency="EUR", customer_id="c", iban=iban).ok


@pytest.mark.parametrize("iban, code", [("GB82 WEST 1234 5698 7654 3", ValidationCode.INVALID_LENGTH),
                                        ("GB83 WEST 1234 5698 7654 32", ValidationCode.CHECKSUM),
                                        ("US64 SVBK US6S 3300 9673 86", ValidationCode.UNKNOWN_COUNTRY),
                                        ("GB82-WEST-1234-5698-7654-32", ValidationCode.INVALID_FORMAT),
                                        ("GB82 WEST 1234 5698 7654 32" + " " * 40, ValidationCode.TOO_LONG),
                                        ("", ValidationCode.EMPTY)])
def test_bad_ibans(iban: str, code: ValidationCode) -> None:
    assert not billing.is_valid_iban(iban)
    report = billing.validate_payment(amount="1", currency="EUR", customer_id="c", iban=iban)
    assert codes(report) == {"iban": code}


def test_what_a_report_keeps_of_a_card() -> None:
    card = card_payment(card_number="5555-5555-5555-4444").card
    assert card is not None
    kept = {name for name in dir(card) if not name.startswith("_")}
    assert kept == {"brand", "last_four", "expiry_month", "expiry_year"}
    assert card == card_payment(card_number="5555 5555 5555 4444").card
    assert card != card_payment().card and card != "5555555555554444"
