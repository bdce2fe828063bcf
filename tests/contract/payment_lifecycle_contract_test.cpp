// The payment life cycle on every adapter: create (validation, tokenizing, request keys, accounts),
// process with each gateway answer, retries on the job queue, dead letters and redrive, reconcile of
// unknown and abandoned charges, fingerprints, and that nothing is ever charged twice.
#include "billing/payments.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters.hpp"
#include "billing/storage/payment_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;
using billing::test::usd;

namespace {

constexpr std::string_view k_visa = "4242 4242 4242 4242";
constexpr std::string_view k_secret = "a secret of the host, 32 bytes.";

PaymentInput card_input(std::string_view amount = "19.99", std::string_view number = k_visa) {
  return {.amount = amount,
          .currency = "USD",
          .customer_id = "cus_42",
          .card_number = number,
          .expiry_month = "12",
          .expiry_year = "2030",
          .cvc = "123"};
}

struct Shop {
  test::Fixture f;
  Payments& payments() { return f.books->payments(); }

  Payment create(PaymentGateway& gateway, PaymentRequest request = {.input = card_input()}) {
    const PaymentOutcome created = payments().create(request, gateway);
    REQUIRE(created.result == PaymentResult::ok);
    return *created.payment;
  }
  Payment process(const PaymentId& id, PaymentGateway& gateway) {
    const PaymentOutcome outcome = payments().process(id, gateway);
    REQUIRE(outcome.result == PaymentResult::ok);
    return *outcome.payment;
  }
  Money net(const std::string& account) { return f.ledger().balance(AccountId(account))->net; }
  std::size_t retry_jobs() {
    return f.books->jobs().stats().scheduled + f.books->jobs().stats().ready;
  }
};

template <class Adapter>
Shop shop() {
  return Shop{fixture<Adapter>()};
}

/// A gateway that throws where the test says, and otherwise answers as a ScriptedGateway.
class ThrowingGateway final : public PaymentGateway {
 public:
  bool throw_on_tokenize = false;
  bool throw_on_charge = false;
  ScriptedGateway inner;
  std::string tokenize(const PaymentMethod& method) override {
    if (throw_on_tokenize) throw std::runtime_error("vault down");
    return inner.tokenize(method);
  }
  ChargeResult charge(std::string_view token, const Money& amount, std::string_view key) override {
    if (throw_on_charge) throw std::runtime_error("socket closed\nafter send");
    return inner.charge(token, amount, key);
  }
  ChargeResult lookup(std::string_view key) override { return inner.lookup(key); }
};

}  // namespace

CONTRACT_TEST("create stores a validated payment that keeps no card number or CVC") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway;
  const Payment p = s.create(gateway);
  CHECK(p.status == PaymentStatus::validated);
  CHECK(p.version == 1);
  CHECK(p.attempts == 0);
  CHECK(p.max_attempts == 3);
  CHECK(p.amount == usd("19.99"));
  REQUIRE(p.card.has_value());
  CHECK(p.card->brand() == CardBrand::visa);
  CHECK(p.card->last_four() == "4242");
  CHECK(p.card->expiry_month() == 12);
  CHECK(p.card->expiry_year() == 2030);
  CHECK(p.gateway_token == "tok_1");
  CHECK(p.fingerprint.empty());  // no secret configured
  CHECK(p.debit_account == AccountId("payments:clearing:USD"));
  CHECK(p.credit_account == AccountId("payments:revenue:USD"));
  CHECK(s.f.accounts().get(p.debit_account)->normal_side == Side::debit);
  CHECK(s.f.accounts().get(p.credit_account)->normal_side == Side::credit);
  CHECK(p.charge_key() == "payment:" + p.id.str());
  CHECK(s.payments().get(p.id) == p);
  CHECK(s.payments().history(p.id).empty());
  CHECK(gateway.charge_calls() == 0);
}

CONTRACT_TEST("create reports every broken field and stores nothing, without calling the gateway") {
  Shop s = shop<Adapter>();
  ThrowingGateway gateway;
  gateway.throw_on_tokenize = true;  // would throw if called
  const PaymentOutcome bad = s.payments().create(
      {.input = {.amount = "-1", .currency = "USD", .customer_id = "", .card_number = "4242 4242 4242 4241",
                 .expiry_month = "13", .expiry_year = "2030", .cvc = "12"}},
      gateway);
  CHECK(bad.result == PaymentResult::invalid);
  CHECK_FALSE(bad.payment.has_value());
  CHECK(bad.errors.find(PaymentField::amount) != nullptr);
  CHECK(bad.errors.find(PaymentField::customer_id) != nullptr);
  CHECK(bad.errors.find(PaymentField::card_number)->code() == ValidationCode::checksum);
  CHECK(bad.errors.find(PaymentField::expiry_month) != nullptr);
  CHECK(s.payments().list().items.empty());

  const PaymentOutcome no_method =
      s.payments().create({.input = {.amount = "5", .currency = "USD", .customer_id = "cus"}}, gateway);
  CHECK(no_method.result == PaymentResult::invalid);
  REQUIRE(no_method.errors.size() == 1);
  CHECK(no_method.errors[0].field() == PaymentField::card_number);
  CHECK(no_method.errors[0].code() == ValidationCode::missing);
  CHECK(s.payments().list().items.empty());
}

CONTRACT_TEST("create throws for bad extras and when tokenize throws, and stores nothing") {
  Shop s = shop<Adapter>();
  ThrowingGateway gateway;
  const auto field_of = [&](PaymentRequest request) {
    try {
      (void)s.payments().create(request, gateway);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("(nothing thrown)");
  };
  CHECK(field_of({.input = card_input(), .idempotency_key = std::string()}) == "idempotency_key");
  CHECK(field_of({.input = card_input(), .description = "two\nlines"}) == "description");
  CHECK(field_of({.input = card_input(), .debit_account = AccountId("nowhere")}) == "debit_account");
  s.f.open("eur-cash", "EUR");
  CHECK(field_of({.input = card_input(), .debit_account = AccountId("eur-cash")}) == "debit_account");
  s.f.open("usd-cash", "USD");
  CHECK(field_of({.input = card_input(), .debit_account = AccountId("usd-cash"),
                  .credit_account = AccountId("usd-cash")}) == "credit_account");
  gateway.throw_on_tokenize = true;
  CHECK_THROWS_WITH_AS((void)s.payments().create({.input = card_input()}, gateway), "vault down",
                       std::runtime_error);
  CHECK(s.payments().list().items.empty());
  CHECK_FALSE(s.f.accounts().get(AccountId("payments:clearing:USD")).has_value());
}

CONTRACT_TEST("an approved charge is processed with its ledger entry, in one unit of work") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway;
  const Payment created = s.create(gateway);
  s.f.clock->advance(1s);
  const Payment p = s.process(created.id, gateway);
  CHECK(p.status == PaymentStatus::processed);
  CHECK(p.attempts == 1);
  CHECK(p.version == 3);
  CHECK(p.processed_at == s.f.clock->now());
  CHECK(p.gateway_reference == "ch_1");
  REQUIRE(p.entry_id.has_value());
  const auto entry = s.f.ledger().entry(*p.entry_id);
  REQUIRE(entry.has_value());
  CHECK(entry->metadata.at("payment_id") == p.id.str());
  CHECK(s.net("payments:clearing:USD") == usd("19.99"));
  CHECK(s.net("payments:revenue:USD") == usd("19.99"));
  const std::vector<PaymentChange> history = s.payments().history(p.id);
  REQUIRE(history.size() == 2);
  CHECK(history[0].from == PaymentStatus::validated);
  CHECK(history[0].to == PaymentStatus::processing);
  CHECK(history[1].to == PaymentStatus::processed);
  CHECK(history[1].version == 3);
  CHECK(gateway.charges().size() == 1);
  CHECK(gateway.charges()[0].idempotency_key == p.charge_key());
  CHECK(gateway.charges()[0].token == p.gateway_token);

  const PaymentOutcome again = s.payments().process(p.id, gateway);
  CHECK(again.result == PaymentResult::not_processable);
  CHECK(again.payment == p);
  CHECK(gateway.charge_calls() == 1);
  CHECK(s.payments().process(PaymentId("nope"), gateway).result == PaymentResult::not_found);
}

CONTRACT_TEST("a decline fails the payment for good, with no entry") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway({ScriptStep::decline});
  const Payment p = s.process(s.create(gateway).id, gateway);
  CHECK(p.status == PaymentStatus::failed);
  CHECK(p.failure_reason == "card_declined");
  CHECK_FALSE(p.entry_id.has_value());
  CHECK(s.net("payments:clearing:USD").is_zero());
  CHECK(s.retry_jobs() == 0);
  CHECK(s.payments().process(p.id, gateway).result == PaymentResult::not_processable);
}

CONTRACT_TEST("an error schedules a retry on the job queue with back-off, which run_due sends") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway({ScriptStep::error});
  const Payment created = s.create(gateway);
  const Payment p = s.process(created.id, gateway);
  CHECK(p.status == PaymentStatus::validated);
  CHECK(p.attempts == 1);
  CHECK(p.failure_reason == "gateway unavailable");
  const auto delay = job_retry_delay(JobId(p.id.str()), 1, {});
  CHECK(p.next_attempt_at == s.f.clock->now() + delay);
  CHECK(delay >= 5s);
  CHECK(delay <= 10s);
  CHECK(s.retry_jobs() == 1);

  CHECK(s.payments().run_due(gateway).empty());  // not due yet
  s.f.clock->advance(delay);
  const std::vector<PaymentOutcome> ran = s.payments().run_due(gateway);
  REQUIRE(ran.size() == 1);
  CHECK(ran[0].payment->status == PaymentStatus::processed);
  CHECK(ran[0].payment->attempts == 2);
  CHECK(s.retry_jobs() == 0);
  CHECK(gateway.charges().size() == 1);
  CHECK(s.payments().run_due(gateway).empty());
}

CONTRACT_TEST("the last failed attempt dead-letters the payment; redrive sends it again") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway({ScriptStep::error, ScriptStep::error, ScriptStep::error});
  const Payment created = s.create(gateway);
  Payment p = s.process(created.id, gateway);
  for (int round = 0; round < 2; ++round) {
    s.f.clock->advance(2h);
    const auto ran = s.payments().run_due(gateway);
    REQUIRE(ran.size() == 1);
    p = *ran[0].payment;
  }
  CHECK(p.status == PaymentStatus::dead_lettered);
  CHECK(p.attempts == 3);
  CHECK_FALSE(p.next_attempt_at.has_value());
  CHECK(s.retry_jobs() == 0);
  const Page<Payment> dead = s.payments().dead_letters();
  REQUIRE(dead.items.size() == 1);
  CHECK(dead.items[0].id == p.id);
  CHECK(s.payments().process(p.id, gateway).result == PaymentResult::not_processable);

  const PaymentOutcome redriven = s.payments().redrive(p.id);
  REQUIRE(redriven.result == PaymentResult::ok);
  CHECK(redriven.payment->status == PaymentStatus::validated);
  CHECK(redriven.payment->attempts == 0);
  CHECK(s.payments().dead_letters().items.empty());
  CHECK(s.payments().redrive(p.id).result == PaymentResult::not_dead_lettered);
  CHECK(s.payments().redrive(PaymentId("nope")).result == PaymentResult::not_found);
  const auto ran = s.payments().run_due(gateway);
  REQUIRE(ran.size() == 1);
  CHECK(ran[0].payment->status == PaymentStatus::processed);
  CHECK(gateway.charges().size() == 1);
  CHECK(gateway.charge_calls() == 4);
  CHECK(s.payments().history(p.id).back().to == PaymentStatus::processed);
}

CONTRACT_TEST("max_attempts comes from the options, and a failed configure changes nothing") {
  Shop s = shop<Adapter>();
  CHECK_THROWS_AS(s.payments().configure({.max_attempts = 0}), InvalidArgument);
  CHECK_THROWS_AS(s.payments().configure({.charge_timeout = 0s}), InvalidArgument);
  CHECK_THROWS_AS(s.payments().configure({.base_delay = 2h, .max_delay = 1h}), InvalidArgument);
  CHECK_THROWS_AS(s.payments().configure({.fingerprint_secret = "short"}), InvalidArgument);
  CHECK(s.payments().options().max_attempts == 3);
  s.payments().configure({.max_attempts = 1});
  ScriptedGateway gateway({ScriptStep::error});
  const Payment p = s.process(s.create(gateway).id, gateway);
  CHECK(p.status == PaymentStatus::dead_lettered);
}

CONTRACT_TEST("a timeout leaves the payment unknown until reconcile settles it, charged once") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway({ScriptStep::timeout});
  const Payment p = s.process(s.create(gateway).id, gateway);
  CHECK(p.status == PaymentStatus::unknown);
  CHECK(p.failure_reason == "gateway timed out");
  CHECK_FALSE(p.entry_id.has_value());
  CHECK(s.payments().process(p.id, gateway).result == PaymentResult::not_processable);

  const std::vector<PaymentOutcome> settled = s.payments().reconcile(gateway);
  REQUIRE(settled.size() == 1);
  CHECK(settled[0].payment->status == PaymentStatus::processed);
  CHECK(settled[0].payment->gateway_reference == "ch_1");
  CHECK(settled[0].payment->entry_id.has_value());
  CHECK(s.net("payments:clearing:USD") == usd("19.99"));
  CHECK(gateway.charges().size() == 1);
  CHECK(s.payments().reconcile(gateway).empty());
}

CONTRACT_TEST("a charge that throws is unknown; reconcile retries one the gateway never saw") {
  Shop s = shop<Adapter>();
  ThrowingGateway gateway;
  gateway.throw_on_charge = true;
  const Payment p = s.process(s.create(gateway).id, gateway);
  CHECK(p.status == PaymentStatus::unknown);
  CHECK(p.failure_reason == "socket closed after send");  // control characters become spaces

  const auto settled = s.payments().reconcile(gateway);
  REQUIRE(settled.size() == 1);
  CHECK(settled[0].payment->status == PaymentStatus::validated);
  CHECK(settled[0].payment->next_attempt_at.has_value());
  gateway.throw_on_charge = false;
  s.f.clock->advance(1h);
  const auto ran = s.payments().run_due(gateway);
  REQUIRE(ran.size() == 1);
  CHECK(ran[0].payment->status == PaymentStatus::processed);
  CHECK(gateway.inner.charges().size() == 1);
}

CONTRACT_TEST("reconcile takes over a charge abandoned in PROCESSING once charge_timeout has passed") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway;
  const Payment created = s.create(gateway);
  // A process that died after its first unit of work: the payment is PROCESSING and nobody waits for it.
  {
    UnitOfWork work(*s.f.store, Access::write);
    Payment sent = *work->payments().find(created.id);
    sent.attempts = 1;
    sent.attempt_started_at = s.f.clock->now();
    sent.status = PaymentStatus::processing;
    sent.version = 2;
    work->payments().update(sent, {.payment_id = sent.id, .from = PaymentStatus::validated,
                                   .to = PaymentStatus::processing, .at = s.f.clock->now(),
                                   .reason = "attempt 1 of 3", .version = 2, .attempt = 1});
    work.commit();
  }
  CHECK(s.payments().reconcile(gateway).empty());  // it may still be in flight
  s.f.clock->advance(5min);
  const auto settled = s.payments().reconcile(gateway);
  REQUIRE(settled.size() == 1);
  CHECK(settled[0].payment->status == PaymentStatus::validated);  // the gateway never saw it: retry
  CHECK(gateway.charge_calls() == 0);
}

CONTRACT_TEST("a request idempotency key replays the stored payment without tokenizing again") {
  Shop s = shop<Adapter>();
  ThrowingGateway gateway;
  const PaymentRequest request{.input = card_input(), .idempotency_key = std::string("req-1")};
  const Payment first = s.create(gateway, request);
  CHECK(first.request_key == "req-1");
  gateway.throw_on_tokenize = true;  // a replay must not reach it
  const PaymentOutcome again = s.payments().create(request, gateway);
  CHECK(again.result == PaymentResult::exists);
  CHECK(again.payment == first);
  CHECK(s.payments().create({.input = card_input("20.00"), .idempotency_key = std::string("req-1")}, gateway).result ==
        PaymentResult::exists_with_different_fields);
  CHECK(s.payments().create({.input = card_input(), .id = first.id}, gateway).result == PaymentResult::exists);
  CHECK(s.payments().list().items.size() == 1);
}

CONTRACT_TEST("fingerprints recognise a card under one secret, and only under it") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway;
  s.payments().configure({.fingerprint_secret = std::string(k_secret)});
  const Payment a = s.create(gateway);
  const Payment b = s.create(gateway, {.input = card_input("5.00", "4242-4242-4242-4242")});
  const Payment other = s.create(gateway, {.input = card_input("5.00", "5555 5555 5555 4444")});
  // HMAC-SHA256(k_secret, "card:4242424242424242"), as Python's hmac module computes it.
  CHECK(a.fingerprint == "c656bb091dd2f2a07cfb309d186cabfc693c9986a2ec8ff0d622c95e328c43c4");
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.fingerprint != other.fingerprint);
  s.payments().configure({.fingerprint_secret = "another secret of 32 bytes, too."});
  const Payment c = s.create(gateway);
  CHECK(c.fingerprint != a.fingerprint);
}

CONTRACT_TEST("an IBAN payment keeps the country and the last four only") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway;
  s.payments().configure({.fingerprint_secret = std::string(k_secret)});
  const Payment p = s.create(
      gateway, {.input = {.amount = "100", .currency = "EUR", .customer_id = "cus", .iban = "de89 3704 0044 0532 0130 00"}});
  CHECK_FALSE(p.card.has_value());
  REQUIRE(p.bank_account.has_value());
  CHECK(p.bank_account->country == "DE");
  CHECK(p.bank_account->last_four == "3000");
  CHECK(p.fingerprint == "44f39d889eefa16c80a16abb170dbdc5f2c0988b7fafd4e4dd5e505bc634fa7a");
  CHECK(s.process(p.id, gateway).status == PaymentStatus::processed);
  CHECK(s.net("payments:clearing:EUR").to_string() == "100.00 EUR");
}

CONTRACT_TEST("a payment posts to the accounts it names") {
  Shop s = shop<Adapter>();
  const AccountId cash = s.f.open("gateway-clearing");
  const AccountId receivable = s.f.open("customer-receivable");
  ScriptedGateway gateway;
  const Payment p = s.create(gateway, {.input = card_input(), .debit_account = cash, .credit_account = receivable});
  (void)s.process(p.id, gateway);
  CHECK(s.net("gateway-clearing") == usd("19.99"));
  CHECK(s.net("customer-receivable") == usd("-19.99"));
  CHECK_FALSE(s.f.accounts().get(AccountId("payments:clearing:USD")).has_value());
}

CONTRACT_TEST("an approval the ledger refuses is still processed, and says why") {
  Shop s = shop<Adapter>();
  const AccountId cash = s.f.open("gateway-clearing");
  const AccountId revenue = s.f.open("sales", "USD", Side::credit);
  ScriptedGateway gateway;
  const Payment p = s.create(gateway, {.input = card_input(), .debit_account = cash, .credit_account = revenue});
  REQUIRE(s.f.accounts().set_status(revenue, AccountStatus::closed).result == StatusResult::ok);
  const Payment processed = s.process(p.id, gateway);
  CHECK(processed.status == PaymentStatus::processed);
  CHECK_FALSE(processed.entry_id.has_value());
  CHECK(processed.failure_reason == "the ledger refused the entry (account_closed); post it by hand");
}

CONTRACT_TEST("the gateway is never called inside a transaction") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway;
  const Payment p = s.create(gateway);
  auto work = s.f.books->transaction();
  CHECK_THROWS_AS((void)s.payments().create({.input = card_input()}, gateway), Misuse);
  CHECK_THROWS_AS((void)s.payments().process(p.id, gateway), Misuse);
  CHECK_THROWS_AS((void)s.payments().run_due(gateway), Misuse);
  CHECK_THROWS_AS((void)s.payments().reconcile(gateway), Misuse);
}

CONTRACT_TEST("listing payments by status and customer, a page at a time") {
  Shop s = shop<Adapter>();
  ScriptedGateway gateway({ScriptStep::decline});
  const Payment a = s.create(gateway);
  const Payment b = s.create(gateway, {.input = {.amount = "1", .currency = "USD", .customer_id = "cus_7",
                                                 .card_number = k_visa, .expiry_month = "1", .expiry_year = "2031",
                                                 .cvc = "999"}});
  const Payment c = s.create(gateway);
  (void)s.process(a.id, gateway);
  const Page<Payment> first = s.payments().list(std::nullopt, std::nullopt, "", 2);
  REQUIRE(first.items.size() == 2);
  REQUIRE(first.next_cursor.has_value());
  const Page<Payment> second = s.payments().list(std::nullopt, std::nullopt, *first.next_cursor, 2);
  REQUIRE(second.items.size() == 1);
  CHECK(second.items[0].id == c.id);
  CHECK(s.payments().list(PaymentStatus::failed).items.at(0).id == a.id);
  CHECK(s.payments().list(std::nullopt, std::string("cus_7")).items.at(0).id == b.id);
  CHECK(s.payments().list(PaymentStatus::validated, std::string("cus_42")).items.size() == 1);
  CHECK_THROWS_AS((void)s.payments().list(std::nullopt, std::nullopt, "", 0), InvalidArgument);
  CHECK_THROWS_AS((void)s.payments().list(std::nullopt, std::nullopt, "bad cursor"), InvalidArgument);
}

CONTRACT_TEST("an approval whose reference cannot be kept is still processed, and says why") {
  Shop s = shop<Adapter>();
  class LongReference final : public PaymentGateway {
   public:
    std::string tokenize(const PaymentMethod& /*method*/) override { return "tok"; }
    ChargeResult charge(std::string_view, const Money&, std::string_view) override {
      return {ChargeStatus::approved, std::string(300, 'r'), {}};
    }
    ChargeResult lookup(std::string_view) override { return {ChargeStatus::not_found, {}, {}}; }
  } gateway;
  const Payment p = s.process(s.create(gateway).id, gateway);
  CHECK(p.status == PaymentStatus::processed);
  CHECK(p.entry_id.has_value());
  CHECK(p.gateway_reference.empty());
  CHECK(p.failure_reason.starts_with("the gateway's reference was not kept"));
}
