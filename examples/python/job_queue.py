"""The durable job queue: a sale and the jobs it creates commit together (an outbox); a worker loop claims
them, a flaky mail server makes one job retry with back-off and another run out of attempts into the
dead-letter list; once the server is fixed, an operator re-drives it and it completes.

On an embedded SQLite file, with a manual clock so that the back-off can be stepped through.
Run: PYTHONPATH=build/python python3 examples/python/job_queue.py
"""
import datetime
import pathlib
import sys
import tempfile

import billing

KINDS = ["receipt.send", "invoice.email"]


class MailServer:
    """Fails the next N sends of each kind of mail."""

    def __init__(self, failures_ahead: dict[str, int]) -> None:
        self.failures_ahead = failures_ahead

    def send(self, job: billing.Job) -> bool:
        ahead = self.failures_ahead.get(job.kind, 0)
        if ahead == 0:
            return True
        self.failures_ahead[job.kind] = ahead - 1
        return False


def drain(books: billing.Books, server: MailServer) -> None:
    """The worker loop: claim what is due, send it, complete or fail it."""
    while job := books.jobs.claim(KINDS, lease=datetime.timedelta(minutes=1), worker="mailer-1"):
        if server.send(job):
            done = books.jobs.complete(job)
            print(f"  {job.id} {job.kind} (attempt {job.attempts}): sent, {done.result.name}")
            continue
        failed = books.jobs.fail(job, "421 mail server busy")
        if failed.result is billing.FailResult.RETRY_SCHEDULED and failed.job is not None:
            print(f"  {job.id} {job.kind} (attempt {job.attempts}): failed, retry at {failed.job.run_at}")
        else:
            print(f"  {job.id} {job.kind} (attempt {job.attempts}): failed, {failed.result.name}")


def print_stats(books: billing.Books) -> None:
    stats = books.jobs.stats()
    print(f"  stats: ready {stats.ready}, scheduled {stats.scheduled}, in flight {stats.in_flight}, "
          f"dead-lettered {stats.dead_lettered}")


def main() -> int:
    clock = billing.ManualClock(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc))
    with tempfile.TemporaryDirectory() as directory:
        books = billing.open(pathlib.Path(directory) / "books.db", clock=clock, ids=billing.SequentialIds("job-"))
        books.jobs.configure(base_delay=datetime.timedelta(seconds=30), max_delay=datetime.timedelta(minutes=10))
        books.accounts.create("EUR", "Ann's card", id="card:ann")
        books.accounts.create("EUR", "Sales", id="sales", normal_side=billing.Side.CREDIT)

        print("a sale and its two mails, in one unit of work:")
        with books.transaction():
            sale = books.ledger.transfer("card:ann", "sales", billing.Money("25.00", "EUR"), id="sale-1")
            receipt = books.jobs.enqueue("receipt.send", {"entry": "sale-1", "to": "ann@example.com"},
                                         dedup_key="sale-1")
            invoice = books.jobs.enqueue("invoice.email", {"entry": "sale-1"}, dedup_key="sale-1", max_attempts=2)
        print(f"  sale {sale.result.name}, receipt {receipt!r}, invoice {invoice!r}")
        again = books.jobs.enqueue("receipt.send", {}, dedup_key="sale-1")
        print(f"  the receipt enqueued again: {again!r}")

        server = MailServer({"receipt.send": 1, "invoice.email": 2})
        for _ in range(2):
            print(f"the worker, at {clock.now()}:")
            drain(books, server)
            print_stats(books)
            clock.advance(datetime.timedelta(minutes=1))

        print("dead letters:")
        dead = books.jobs.dead_letters()
        for job in dead.items:
            print(f"  {job.id} {job.kind} after {job.attempts} attempts: {job.last_error}")
        print(f"the mail server is fixed; re-driving {dead.items[0].id}:")
        print(f"  {books.jobs.redrive(dead.items[0].id)!r}")
        drain(books, server)
        print_stats(books)

        invoice_now = books.jobs.get("job-000000000002")
        return 0 if invoice_now is not None and invoice_now.status is billing.JobStatus.COMPLETED else 1


if __name__ == "__main__":
    sys.exit(main())
