// The payment service seed's flow, embedded: validate a request, store it VALIDATED, process it, retry a
// failed charge from the job queue with back-off, dead-letter it after the last attempt, re-drive it, and
// settle a charge whose answer was lost. Each step is what one handler or worker of the seed did; here the
// rules (the status table, the retries, the ledger entry, one charge per payment) are the library's.
// On an embedded SQLite file, with a manual clock so the back-off can be stepped through, and a
// ScriptedGateway in place of a card processor. Run: build/examples/cpp/payment_service [path.db]
#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace billing;

namespace {

std::string card_text(const Payment& p) {
  if (p.card) {
    return fmt::format("{} ending {} {:02}/{}", display_name(p.card->brand()), p.card->last_four(),
                       p.card->expiry_month(), p.card->expiry_year());
  }
  if (p.bank_account) return fmt::format("IBAN {} ...{}", p.bank_account->country, p.bank_account->last_four);
  return "no method";
}

/// One line per call: the payment's id, status and amount, then what goes with its status (or, when the
/// call did not do what it asked, its result).
void show(std::string_view step, const PaymentOutcome& outcome) {
  if (!outcome.payment) {
    fmt::print("{:<30} {}\n", step, to_string(outcome.result));
    return;
  }
  const Payment& p = *outcome.payment;
  std::string detail;
  if (!outcome.ok()) {
    detail = fmt::format("{}: returned as stored", to_string(outcome.result));
  } else if (p.status == PaymentStatus::validated && p.attempts == 0) {
    detail = p.next_attempt_at ? fmt::format("attempts reset, due at {}", p.next_attempt_at->to_string())
                               : fmt::format("{}, token {}", card_text(p), p.gateway_token);
  } else if (p.status == PaymentStatus::validated) {
    detail = fmt::format("attempt {}/{}: {}; retry at {}", p.attempts, p.max_attempts, p.failure_reason,
                         p.next_attempt_at->to_string());
  } else if (p.status == PaymentStatus::processed) {
    detail = fmt::format("attempt {}, {}, entry {}", p.attempts, p.gateway_reference,
                         p.entry_id ? p.entry_id->str() : "none: " + p.failure_reason);
  } else {
    detail = fmt::format("attempt {}/{}: {}", p.attempts, p.max_attempts, p.failure_reason);
  }
  fmt::print("{:<30} {} {:<13} {:>10}  {}\n", step, p.id, to_string(p.status), p.amount.to_string(), detail);
}

void show_all(std::string_view step, const std::vector<PaymentOutcome>& outcomes) {
  if (outcomes.empty()) fmt::print("{:<30} nothing to do\n", step);
  for (const PaymentOutcome& outcome : outcomes) show(step, outcome);
}

}  // namespace

int main(int argc, char** argv) {
  // A file of this run's own (two runs at once must not share one), unless one is named.
  const std::string path =
      argc > 1 ? argv[1]
               : (std::filesystem::temp_directory_path() / fmt::format("billing-payment-service-{}.db", ::getpid()))
                     .string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto clock = std::make_shared<ManualClock>(Timestamp::parse("2026-05-15T12:00:00Z"));
  Books books(open_sqlite(path), clock, std::make_shared<SequentialIds>("id-"));
  Payments& payments = books.payments();
  // The fingerprint key is the host's secret (from its vault in a real service); the defaults stand for
  // the rest: 3 attempts, back-off from 10 seconds up to an hour, the default clearing and revenue accounts.
  payments.configure({.fingerprint_secret = "the host's fingerprint key, 32+ bytes"});
  // One gateway for the whole run: each new charge takes the next step of the script.
  ScriptedGateway gateway({ScriptStep::approve,                                      // Ada
                           ScriptStep::error, ScriptStep::error, ScriptStep::error,  // Bob, three times
                           ScriptStep::approve,                                      // Bob, re-driven
                           ScriptStep::timeout,                                      // Cy
                           ScriptStep::decline});                                    // Dee
  int failures = 0;
  const auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      fmt::print("UNEXPECTED: {}\n", what);
      ++failures;
    }
  };

  // POST /payments with every field wrong: each broken field at once, nothing stored, no gateway call.
  const PaymentOutcome refused = payments.create({.input = {.amount = "12.345",
                                                            .currency = "USD",
                                                            .customer_id = "",
                                                            .email = "ada@localhost",
                                                            .card_number = "4242 4242 4242 4241",
                                                            .expiry_month = "13",
                                                            .expiry_year = "2030",
                                                            .cvc = "12"}},
                                                 gateway);
  show("POST /payments (all wrong)", refused);
  for (const FieldError& e : refused.errors) {
    fmt::print("  {:<13} {:<15} {}\n", e.field_name(), to_string(e.code()), e.message());
  }
  expect(refused.result == PaymentResult::invalid && refused.errors.size() == 6, "every broken field reported");

  // POST /payments: stored VALIDATED under the request's idempotency key; the card is tokenized once.
  const PaymentRequest ada_request{.input = {.amount = "19.99",
                                             .currency = "USD",
                                             .customer_id = "cus_ada",
                                             .email = "ada@example.com",
                                             .card_number = "4242 4242 4242 4242",
                                             .expiry_month = "12",
                                             .expiry_year = "2030",
                                             .cvc = "123"},
                                   .idempotency_key = std::string("req-ada-1"),
                                   .description = "Ada's order 1001"};
  const PaymentOutcome ada = payments.create(ada_request, gateway);
  show("POST /payments (Ada)", ada);
  fmt::print("  kept: brand, last four, expiry, fingerprint {}..., token; never the number or the CVC\n",
             ada.payment->fingerprint.substr(0, 16));
  const PaymentOutcome replay = payments.create(ada_request, gateway);  // a client that retried the POST
  show("POST /payments (Ada, retried)", replay);
  expect(replay.result == PaymentResult::exists && replay.payment->gateway_token == "tok_1", "the retry replays");

  // POST /payments/{id}/process: approved, and the ledger entry posts in the same unit of work.
  clock->advance(std::chrono::seconds(2));
  const PaymentOutcome charged = payments.process(ada.payment->id, gateway);
  show("process (Ada)", charged);
  const std::optional<Entry> entry = books.ledger().entry(*charged.payment->entry_id);
  for (const Posting& posting : entry->postings) {
    fmt::print("  entry {} {:<6} {:<22} {}\n", entry->id, to_string(posting.side), posting.account,
               posting.amount.to_string());
  }
  for (const AccountId& account : {charged.payment->debit_account, charged.payment->credit_account}) {
    fmt::print("  balance {:<22} {} ({}-normal)\n", account, books.ledger().balance(account)->net.to_string(),
               to_string(books.accounts().get(account)->normal_side));
  }
  expect(charged.payment->status == PaymentStatus::processed, "Ada's payment processed");
  show("process (Ada, again)", payments.process(ada.payment->id, gateway));

  // Bob's charge meets a gateway that is down: each error schedules a retry on the job queue.
  const PaymentOutcome bob = payments.create({.input = {.amount = "250.00",
                                                        .currency = "USD",
                                                        .customer_id = "cus_bob",
                                                        .card_number = "5555 5555 5555 4444",
                                                        .expiry_month = "3",
                                                        .expiry_year = "2029",
                                                        .cvc = "737"}},
                                             gateway);
  show("POST /payments (Bob)", bob);
  PaymentOutcome bob_now = payments.process(bob.payment->id, gateway);
  show("process (Bob)", bob_now);
  fmt::print("  job queue: {} \"{}\" job scheduled\n", books.jobs().stats().scheduled, k_payment_retry_kind);
  show_all("run_due (too early)", payments.run_due(gateway));
  while (bob_now.payment->status == PaymentStatus::validated) {
    clock->set(*bob_now.payment->next_attempt_at);  // the worker wakes when the retry falls due
    const std::vector<PaymentOutcome> ran = payments.run_due(gateway);
    show_all(fmt::format("run_due at {}", clock->now().to_string().substr(11)), ran);
    if (ran.size() != 1) break;
    bob_now = ran[0];
  }
  expect(bob_now.payment->status == PaymentStatus::dead_lettered, "Bob's payment dead-lettered");

  // The operator lists the dead letters, and re-drives once the gateway is back, an hour later.
  clock->advance(std::chrono::hours(1));
  for (const Payment& p : payments.dead_letters().items) {
    fmt::print("  dead letter {} {} after {} attempts: {}\n", p.id, p.amount.to_string(), p.attempts, p.failure_reason);
  }
  show("redrive (Bob)", payments.redrive(bob.payment->id));
  const std::vector<PaymentOutcome> redriven = payments.run_due(gateway);
  show_all("run_due", redriven);
  expect(redriven.size() == 1 && redriven[0].payment->status == PaymentStatus::processed, "Bob's payment processed");
  for (const PaymentChange& change : payments.history(bob.payment->id)) {
    fmt::print("  history v{:<2} {:>13} -> {:<13} {:<27} {}\n", change.version, to_string(change.from),
               to_string(change.to), change.at.to_string(), change.reason);
  }

  // Cy's charge goes through but its answer is lost: UNKNOWN until reconcile asks the gateway.
  const PaymentOutcome cy = payments.create(
      {.input = {.amount = "5.00", .currency = "EUR", .customer_id = "cus_cy", .iban = "DE89 3704 0044 0532 0130 00"}},
      gateway);
  show("POST /payments (Cy, SEPA)", cy);
  show("process (Cy)", payments.process(cy.payment->id, gateway));
  const std::vector<PaymentOutcome> settled = payments.reconcile(gateway);
  show_all("reconcile", settled);
  expect(settled.size() == 1 && settled[0].payment->status == PaymentStatus::processed, "Cy's payment settled");

  // Dee's card is declined: FAILED, final, no retry and no entry.
  const PaymentOutcome dee = payments.create({.input = {.amount = "42.00",
                                                        .currency = "USD",
                                                        .customer_id = "cus_dee",
                                                        .card_number = "3782 822463 10005",
                                                        .expiry_month = "8",
                                                        .expiry_year = "2031",
                                                        .cvc = "1234"}},
                                             gateway);
  const PaymentOutcome declined = payments.process(dee.payment->id, gateway);
  show("process (Dee)", declined);
  expect(declined.payment->status == PaymentStatus::failed && !declined.payment->entry_id, "Dee's payment failed");

  // What the gateway took: one charge per processed payment, each under the payment's own key.
  std::map<std::string, int> per_key;
  fmt::print("the gateway took {} charges in {} calls (the errors and the decline took nothing):\n",
             gateway.charges().size(), gateway.charge_calls());
  for (const ScriptedCharge& charge : gateway.charges()) {
    fmt::print("  {} {:<22} {}\n", charge.reference, charge.idempotency_key, charge.amount.to_string());
    ++per_key[charge.idempotency_key];
  }
  for (const PaymentId& id : {ada.payment->id, bob.payment->id, cy.payment->id}) {
    expect(per_key[payments.get(id)->charge_key()] == 1, "each processed payment charged exactly once");
  }
  expect(gateway.charges().size() == 3, "three charges in all");
  for (const char* account : {"payments:clearing:USD", "payments:clearing:EUR"}) {
    fmt::print("  {} holds {}: what the processor owes until it pays out\n", account,
               books.ledger().balance(AccountId(account))->net.to_string());
  }
  fmt::print("{} on {}\n", failures == 0 ? "all as expected" : "FAILED", path);
  if (argc <= 1) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  return failures == 0 ? 0 : 1;
}
