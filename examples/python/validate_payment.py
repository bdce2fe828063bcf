"""Payment validation as an HTTP host uses it: a JSON body in, every broken field out at once, and nothing of
the card kept but its brand, last four digits and expiry.
Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/validate_payment.py"""
import datetime
import json
from typing import Any

import billing

# What this shop accepts: euros and pounds, up to 5,000, Visa and Mastercard.
POLICY = billing.PaymentPolicy(max_amount="5000", currencies=["EUR", "GBP"],
                               brands=[billing.CardBrand.VISA, billing.CardBrand.MASTERCARD])
CLOCK = billing.ManualClock(datetime.datetime(2026, 5, 15, 12, tzinfo=datetime.timezone.utc))


def handle(body: str) -> tuple[int, dict[str, Any]]:
    """POST /payments: 422 with every broken field, or 200 with what may be shown of the card."""
    fields = json.loads(body)
    report = billing.validate_payment(
        amount=fields.get("amount", ""), currency=fields.get("currency", ""),
        customer_id=fields.get("customer_id", ""), email=fields.get("email"),
        card_number=fields.get("card_number"), expiry_month=fields.get("expiry_month"),
        expiry_year=fields.get("expiry_year"), cvc=fields.get("cvc"), iban=fields.get("iban"),
        policy=POLICY, clock=CLOCK)
    if not report:
        return 422, {"errors": [{"field": e.field, "code": e.code.value, "message": e.message}
                                for e in report.errors]}
    out: dict[str, Any] = {"amount": str(report.amount)}
    if report.card is not None:
        card = report.card
        out["card"] = f"{card.brand.value} ending {card.last_four}, expires {card.expiry_month:02}/{card.expiry_year}"
    return 200, out


def main() -> None:
    requests = {
        "a valid card payment": {
            "amount": "149.99", "currency": "EUR", "customer_id": "cus_42", "email": "ada@example.com",
            "card_number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"},
        "a valid SEPA payment": {
            "amount": "250", "currency": "EUR", "customer_id": "cus_7", "iban": "DE89 3704 0044 0532 0130 00"},
        "everything wrong at once": {
            "amount": "12.345", "currency": "USD", "customer_id": "", "email": "ada@localhost",
            "card_number": "4242 4242 4242 4241", "expiry_month": "13", "expiry_year": "2019", "cvc": "12"},
        "a card this shop does not take": {
            "amount": "20", "currency": "GBP", "customer_id": "cus_9", "card_number": "3782 822463 10005",
            "expiry_month": "04", "expiry_year": "27", "cvc": "1234"},
        "an expired card": {
            "amount": "20", "currency": "GBP", "customer_id": "cus_9", "card_number": "5555 5555 5555 4444",
            "expiry_month": 4, "expiry_year": 2026, "cvc": "123"},
    }
    for name, fields in requests.items():
        status, reply = handle(json.dumps(fields))
        print(f"== {name}: {status}")
        print(json.dumps(reply, indent=2))

    # A form can show the brand while digits are typed, before the number is whole.
    typed = "5555 5555 5555 4444"
    shown = [f"{typed[:n]!r}: {brand.value if (brand := billing.card_brand(typed[:n])) else '?'}" for n in (1, 2, 4)]
    print("== brand as typed:", ", ".join(shown))
    print("== checks alone:", billing.is_valid_card_number("4000 0566 5566 5556"),
          billing.is_valid_iban("GB82 WEST 1234 5698 7654 32"))


if __name__ == "__main__":
    main()
