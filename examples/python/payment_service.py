"""The payment service seed's flow from Python: validate a request, store it VALIDATED, process it, retry a
failed charge from the job queue with back-off, dead-letter it after the last attempt, re-drive it, and settle
a charge whose answer was lost.

Each step is what one handler or worker of the seed did; the rules (the status table, the retries, the ledger
entry, one charge per payment) are the library's. On an embedded SQLite file, with a manual clock so that the
back-off can be stepped through, and a ScriptedGateway in place of a card processor.
Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/payment_service.py [path.db]
"""
import datetime
import os
import sys
import tempfile
from collections import Counter

import billing
from billing import Payment, PaymentOutcome, PaymentResult, PaymentStatus, ScriptStep


def method_text(payment: Payment) -> str:
    if payment.card is not None:
        card = payment.card
        return f"{card.brand.name} ending {card.last_four} {card.expiry_month:02}/{card.expiry_year}"
    if payment.bank_account is not None:
        return f"IBAN {payment.bank_account.country} ...{payment.bank_account.last_four}"
    return "no method"


def show(step: str, outcome: PaymentOutcome) -> None:
    """One line per call: the payment's id, status and amount, then what goes with its status (or, when the
    call did not do what it asked, its result)."""
    p = outcome.payment
    if p is None:
        print(f"{step:<30} {outcome.result.name}")
        return
    if not outcome:
        detail = f"{outcome.result.name}: returned as stored"
    elif p.status is PaymentStatus.VALIDATED and p.attempts == 0:
        detail = (f"attempts reset, due at {p.next_attempt_at}" if p.next_attempt_at is not None
                  else f"{method_text(p)}, token {p.gateway_token}")
    elif p.status is PaymentStatus.VALIDATED:
        detail = f"attempt {p.attempts}/{p.max_attempts}: {p.failure_reason}; retry at {p.next_attempt_at}"
    elif p.status is PaymentStatus.PROCESSED:
        entry = p.entry_id if p.entry_id is not None else f"none: {p.failure_reason}"
        detail = f"attempt {p.attempts}, {p.gateway_reference}, entry {entry}"
    else:
        detail = f"attempt {p.attempts}/{p.max_attempts}: {p.failure_reason}"
    print(f"{step:<30} {p.id} {p.status.name:<13} {str(p.amount):>10}  {detail}")


def show_all(step: str, outcomes: list[PaymentOutcome]) -> None:
    if not outcomes:
        print(f"{step:<30} nothing to do")
    for outcome in outcomes:
        show(step, outcome)


def main() -> int:
    if len(sys.argv) > 1:
        path = sys.argv[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return run(path)
    with tempfile.TemporaryDirectory() as scratch:  # a file of this run's own: two runs at once must not share one
        return run(os.path.join(scratch, "payments.db"))


def run(path: str) -> int:
    clock = billing.ManualClock(datetime.datetime(2026, 5, 15, 12, tzinfo=datetime.timezone.utc))
    books = billing.open(path, clock=clock, ids=billing.SequentialIds("id-"))
    payments = books.payments
    # The fingerprint key is the host's secret (from its vault in a real service); the defaults stand for the
    # rest: 3 attempts, back-off from 10 seconds up to an hour, the default clearing and revenue accounts.
    payments.configure(fingerprint_secret="the host's fingerprint key, 32+ bytes")
    # One gateway for the whole run: each new charge takes the next step of the script.
    gateway = billing.ScriptedGateway([ScriptStep.APPROVE,                                     # Ada
                                       ScriptStep.ERROR, ScriptStep.ERROR, ScriptStep.ERROR,   # Bob, three times
                                       ScriptStep.APPROVE,                                     # Bob, re-driven
                                       ScriptStep.TIMEOUT,                                     # Cy
                                       ScriptStep.DECLINE])                                    # Dee

    # POST /payments with every field wrong: each broken field at once, nothing stored, no gateway call.
    refused = payments.create(amount="12.345", currency="USD", customer_id="", email="ada@localhost",
                              card_number="4242 4242 4242 4241", expiry_month="13", expiry_year=2030, cvc="12",
                              gateway=gateway)
    show("POST /payments (all wrong)", refused)
    for error in refused.errors:
        print(f"  {error.field:<13} {error.code.value:<15} {error.message}")
    assert refused.result is PaymentResult.INVALID and len(refused.errors) == 6
    assert gateway.charge_calls == 0 and not payments.list().items

    # POST /payments: stored VALIDATED under the request's idempotency key; the card is tokenized once.
    def create_ada() -> PaymentOutcome:
        return payments.create(amount="19.99", currency="USD", customer_id="cus_ada", email="ada@example.com",
                               card_number="4242 4242 4242 4242", expiry_month=12, expiry_year=2030, cvc="123",
                               gateway=gateway, idempotency_key="req-ada-1", description="Ada's order 1001")

    ada = create_ada()
    show("POST /payments (Ada)", ada)
    assert ada.payment is not None
    print(f"  kept: brand, last four, expiry, fingerprint {ada.payment.fingerprint[:16]}..., token; "
          "never the number or the CVC")
    replay = create_ada()  # a client that retried the POST
    show("POST /payments (Ada, retried)", replay)
    assert replay.result is PaymentResult.EXISTS and replay.payment == ada.payment

    # POST /payments/{id}/process: approved, and the ledger entry posts in the same unit of work.
    clock.advance(datetime.timedelta(seconds=2))
    charged = payments.process(ada.payment.id, gateway)
    show("process (Ada)", charged)
    assert charged.payment is not None and charged.payment.entry_id is not None
    entry = books.ledger.entry(charged.payment.entry_id)
    assert entry is not None
    for posting in entry.postings:
        print(f"  entry {entry.id} {posting.side.name:<6} {posting.account:<22} {posting.amount}")
    for account in (charged.payment.debit_account, charged.payment.credit_account):
        balance, opened = books.ledger.balance(account), books.accounts.get(account)
        assert balance is not None and opened is not None
        print(f"  balance {account:<22} {balance.net} ({opened.normal_side.name}-normal)")
    assert charged.payment.status is PaymentStatus.PROCESSED
    show("process (Ada, again)", payments.process(ada.payment.id, gateway))

    # Bob's charge meets a gateway that is down: each error schedules a retry on the job queue.
    bob = payments.create(amount="250.00", currency="USD", customer_id="cus_bob", card_number="5555 5555 5555 4444",
                          expiry_month=3, expiry_year=2029, cvc="737", gateway=gateway)
    show("POST /payments (Bob)", bob)
    assert bob.payment is not None
    now = payments.process(bob.payment.id, gateway)
    show("process (Bob)", now)
    print(f'  job queue: {books.jobs.stats().scheduled} "payment.retry" job scheduled')
    show_all("run_due (too early)", payments.run_due(gateway))
    while now.payment is not None and now.payment.status is PaymentStatus.VALIDATED:
        assert now.payment.next_attempt_at is not None
        clock.set(now.payment.next_attempt_at)  # the worker wakes when the retry falls due
        ran = payments.run_due(gateway)
        show_all(f"run_due at {clock.now():%H:%M:%S.%f}", ran)
        if len(ran) != 1:
            break
        now = ran[0]
    assert now.payment is not None and now.payment.status is PaymentStatus.DEAD_LETTERED

    # The operator lists the dead letters, and re-drives once the gateway is back, an hour later.
    clock.advance(datetime.timedelta(hours=1))
    for dead in payments.dead_letters().items:
        print(f"  dead letter {dead.id} {dead.amount} after {dead.attempts} attempts: {dead.failure_reason}")
    show("redrive (Bob)", payments.redrive(bob.payment.id))
    redriven = payments.run_due(gateway)
    show_all("run_due", redriven)
    assert len(redriven) == 1 and redriven[0].payment is not None
    assert redriven[0].payment.status is PaymentStatus.PROCESSED
    for change in payments.history(bob.payment.id):
        print(f"  history v{change.version:<2} {change.from_status.name:>13} -> {change.to_status.name:<13} "
              f"{change.at:%H:%M:%S.%f} {change.reason}")

    # Cy's charge goes through but its answer is lost: UNKNOWN until reconcile asks the gateway.
    cy = payments.create(amount="5.00", currency="EUR", customer_id="cus_cy", iban="DE89 3704 0044 0532 0130 00",
                         gateway=gateway)
    show("POST /payments (Cy, SEPA)", cy)
    assert cy.payment is not None
    show("process (Cy)", payments.process(cy.payment.id, gateway))
    settled = payments.reconcile(gateway)
    show_all("reconcile", settled)
    assert len(settled) == 1 and settled[0].payment is not None
    assert settled[0].payment.status is PaymentStatus.PROCESSED

    # Dee's card is declined: FAILED, final, no retry and no entry.
    dee = payments.create(amount="42.00", currency="USD", customer_id="cus_dee", card_number="3782 822463 10005",
                          expiry_month=8, expiry_year=2031, cvc="1234", gateway=gateway)
    assert dee.payment is not None
    declined = payments.process(dee.payment.id, gateway)
    show("process (Dee)", declined)
    assert declined.payment is not None and declined.payment.status is PaymentStatus.FAILED
    assert declined.payment.entry_id is None

    # What the gateway took: one charge per processed payment, each under the payment's own key.
    charges = gateway.charges
    print(f"the gateway took {len(charges)} charges in {gateway.charge_calls} calls "
          "(the errors and the decline took nothing):")
    for charge in charges:
        print(f"  {charge.reference} {charge.idempotency_key:<22} {charge.amount}")
    per_key = Counter(charge.idempotency_key for charge in charges)
    for created in (ada, bob, cy):
        assert created.payment is not None
        assert per_key[created.payment.charge_key] == 1, "each processed payment charged exactly once"
    assert len(charges) == 3
    for account in ("payments:clearing:USD", "payments:clearing:EUR"):
        clearing = books.ledger.balance(account)
        assert clearing is not None
        print(f"  {account} holds {clearing.net}: what the processor owes until it pays out")
    print(f"all as expected on {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
