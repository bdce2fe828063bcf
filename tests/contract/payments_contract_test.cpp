// The payment repository on every adapter: every field round-trips (a card payment and an IBAN payment,
// with and without their optionals), an id and a request key are held by one payment, updates move a
// payment one version at a time along k_payment_transitions (all 36 pairs walked) and append its history,
// every refused row or change leaves the store as it was, listings by status and by customer page in id
// order, and a unit of work that does not commit leaves nothing behind. The payment rules themselves
// (create, process, retries) are in payment_lifecycle_contract_test.cpp.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/email.hpp"
#include "billing/storage/payment_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::usd;

namespace {

const Timestamp k_created = Timestamp::parse("2026-01-01T00:00:00.000001Z");
const std::string k_fingerprint(64, 'a');

Payment card_payment(const std::string& id) {
  return Payment{
      .id = PaymentId(id),
      .customer_id = "cus_42",
      .email = "ada@example.com",
      .amount = usd("19.99"),
      .card = CardDetails(CardBrand::visa, "4242", 12, 2030),
      .fingerprint = k_fingerprint,
      .gateway_token = "tok_visa_4242",
      .request_key = "req-" + id,
      .debit_account = AccountId("payments:clearing:USD"),
      .credit_account = AccountId("payments:revenue:USD"),
      .description = "Invoice 7 \xe2\x82\xac",
      .metadata = {{"order", "ord-7"}, {"quote", "\"\\\n"}},
      .created_at = k_created,
      .updated_at = k_created,
  };
}

// The optionals absent: no email, no fingerprint, no request key, no metadata.
Payment iban_payment(const std::string& id) {
  return Payment{
      .id = PaymentId(id),
      .customer_id = "cus_7",
      .amount = Money::parse("1000.005 BHD"),
      .bank_account = BankAccountDetails{.country = "DE", .last_four = "3000"},
      .debit_account = AccountId("clearing"),
      .credit_account = AccountId("receivable"),
      .max_attempts = 1,
      .created_at = k_created,
      .updated_at = k_created,
  };
}

struct Move {
  Payment next;
  PaymentChange change;
};

// `payment` moved to `to` one second after it was last updated, with the fields a row in `to` must have
// (so that a refusal can only be the table's): a charge start and one more attempt entering PROCESSING, an
// entry and a reference when PROCESSED, a reason when FAILED, a next attempt when VALIDATED again.
Move move(const Payment& payment, PaymentStatus to) {
  Payment next = payment;
  next.status = to;
  next.version = payment.version + 1;
  next.updated_at = payment.updated_at + 1s;
  next.entry_id.reset();
  next.processed_at.reset();
  if (to == PaymentStatus::processing) {
    next.attempts = std::min(payment.attempts + 1, payment.max_attempts);
    next.attempt_started_at = next.updated_at;
  }
  if (to != PaymentStatus::validated && next.attempts == 0) next.attempts = 1;
  if (to == PaymentStatus::processed) {
    next.entry_id = EntryId("entry-" + payment.id.str());
    next.processed_at = next.updated_at;
    next.gateway_reference = "ch_" + payment.id.str();
  }
  if (to == PaymentStatus::failed) next.failure_reason = "card declined";
  if (to == PaymentStatus::validated) next.next_attempt_at = next.updated_at + 10s;
  const PaymentChange change{.payment_id = payment.id,
                             .from = payment.status,
                             .to = to,
                             .at = next.updated_at,
                             .reason = fmt::format("to {}", to_string(to)),
                             .version = next.version,
                             .attempt = next.attempts};
  return {std::move(next), change};
}

/// Applies `move(payment, to)` through `payments` and returns the moved row.
Payment step(PaymentRepository& payments, const Payment& payment, PaymentStatus to) {
  Move m = move(payment, to);
  payments.update(m.next, m.change);
  return m.next;
}

/// Stores a new card payment `id` and moves it to `status` through allowed steps.
Payment payment_in(PaymentRepository& payments, const std::string& id, PaymentStatus status) {
  Payment payment = card_payment(id);
  REQUIRE(payments.insert(payment));
  if (status == PaymentStatus::validated) return payment;
  payment = step(payments, payment, PaymentStatus::processing);
  if (status != PaymentStatus::processing) payment = step(payments, payment, status);
  REQUIRE(payment.status == status);
  return payment;
}

std::vector<std::string> ids_of(const std::vector<Payment>& payments) {
  std::vector<std::string> out;
  for (const Payment& payment : payments) out.push_back(payment.id.str());
  return out;
}

/// The field of the InvariantViolation that `write` throws in a unit of work of its own (which then rolls
/// back), or "stored" when it throws none (the unit then commits).
std::string refusal(Store& store, const std::function<void(PaymentRepository&)>& write) {
  UnitOfWork work(store, Access::write);
  try {
    write(work->payments());
  } catch (const InvariantViolation& e) {
    return e.field();
  }
  work.commit();
  return "stored";
}

}  // namespace

CONTRACT_TEST("a payment round-trips every field, by id and by request key, card or IBAN, with or without optionals") {
  auto store = Adapter::open();
  const Payment card = card_payment("pay-card");
  const Payment iban = iban_payment("pay-iban");
  {
    UnitOfWork work(*store, Access::write);
    CHECK(work->payments().insert(card));
    CHECK(work->payments().insert(iban));
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find(card.id) == card);
  CHECK(work->payments().find(iban.id) == iban);
  CHECK(work->payments().find_by_request_key("req-pay-card") == card);
  CHECK_FALSE(work->payments().find_by_request_key("req-pay-iban").has_value());
  CHECK_FALSE(work->payments().find_by_request_key("").has_value());
  CHECK_FALSE(work->payments().find(PaymentId("pay-none")).has_value());
  CHECK(work->payments().history(card.id).empty());
  CHECK(work->payments().history(PaymentId("pay-none")).empty());
}

CONTRACT_TEST("the fields that move with a payment's status round-trip too, the optional times included") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  PaymentRepository& payments = work->payments();
  Payment payment = payment_in(payments, "pay-1", PaymentStatus::processing);
  CHECK(payments.find(payment.id) == payment);
  payment = step(payments, payment, PaymentStatus::validated);  // a retry: next_attempt_at, attempt_started_at
  CHECK(payments.find(payment.id) == payment);
  payment = step(payments, payment, PaymentStatus::processing);
  payment.failure_reason = "gateway timeout on attempt 1";
  Move done = move(payment, PaymentStatus::processed);
  done.next.next_attempt_at.reset();
  payments.update(done.next, done.change);
  const auto stored = payments.find(payment.id);
  CHECK(stored == done.next);
  REQUIRE(stored.has_value());
  CHECK(stored->attempts == 2);
  CHECK(stored->entry_id == EntryId("entry-pay-1"));
  CHECK(stored->processed_at == stored->updated_at);
  CHECK(stored->version == 5);
}

CONTRACT_TEST("inserting a taken id returns false and stores nothing, whatever the new row holds") {
  auto store = Adapter::open();
  const Payment first = card_payment("pay-1");
  CHECK(refusal(*store, [&](PaymentRepository& r) { CHECK(r.insert(first)); }) == "stored");
  Payment other = iban_payment("pay-1");
  other.request_key = "another key";
  CHECK(refusal(*store, [&](PaymentRepository& r) {
          CHECK_FALSE(r.insert(first));
          CHECK_FALSE(r.insert(other));
        }) == "stored");
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find(first.id) == first);
  CHECK_FALSE(work->payments().find_by_request_key("another key").has_value());
  CHECK(ids_of(work->payments().list({}, "", 10)) == std::vector<std::string>{"pay-1"});
}

CONTRACT_TEST("a request key is held by one payment: another insert under it is refused and stores nothing") {
  auto store = Adapter::open();
  Payment first = card_payment("pay-1");
  first.request_key = "key-1";
  Payment second = iban_payment("pay-2");
  second.request_key = "key-1";
  CHECK(refusal(*store, [&](PaymentRepository& r) { REQUIRE(r.insert(first)); }) == "stored");
  CHECK(refusal(*store, [&](PaymentRepository& r) { (void)r.insert(second); }) == "idempotency_key");
  // Within the unit of work that stored the first, too; the unit may go on and commit what it did else.
  Payment third = card_payment("pay-3");
  third.request_key = "key-3";
  Payment fourth = iban_payment("pay-4");
  fourth.request_key = "key-3";
  CHECK(refusal(*store, [&](PaymentRepository& r) {
          REQUIRE(r.insert(third));
          try {
            (void)r.insert(fourth);
            FAIL("a held request key was taken");
          } catch (const InvariantViolation& e) {
            CHECK(e.field() == "idempotency_key");
          }
          second.request_key = "key-2";
          REQUIRE(r.insert(second));
        }) == "stored");
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find_by_request_key("key-1") == first);
  CHECK(work->payments().find_by_request_key("key-2") == second);
  CHECK(work->payments().find_by_request_key("key-3") == third);
  CHECK_FALSE(work->payments().find(fourth.id).has_value());
  CHECK(ids_of(work->payments().list({}, "", 10)) == std::vector<std::string>{"pay-1", "pay-2", "pay-3"});
}

CONTRACT_TEST("insert refuses a payment the rules could never create, naming the field, and stores nothing") {
  auto store = Adapter::open();
  const auto field_of = [&](const std::function<void(Payment&)>& spoil, bool card = true) {
    Payment payment = card ? card_payment("pay-bad") : iban_payment("pay-bad");
    spoil(payment);
    return refusal(*store, [&](PaymentRepository& r) { (void)r.insert(payment); });
  };
  CHECK(field_of([](Payment& p) { p.status = PaymentStatus::processing; }) == "attempt_started_at");
  CHECK(field_of([](Payment& p) { p.status = PaymentStatus::failed; }) == "attempts");
  CHECK(field_of([](Payment& p) { p.status = static_cast<PaymentStatus>(6); }) == "status");
  CHECK(field_of([](Payment& p) { p.version = 2; }) == "status");
  CHECK(field_of([](Payment& p) { p.version = 0; }) == "version");
  CHECK(field_of([](Payment& p) { p.attempts = 1; }) == "status");
  CHECK(field_of([](Payment& p) { p.attempts = 4; }) == "attempts");
  CHECK(field_of([](Payment& p) { p.max_attempts = 0; }) == "max_attempts");
  CHECK(field_of([](Payment& p) { p.max_attempts = k_max_job_attempts + 1; }) == "max_attempts");
  CHECK(field_of([](Payment& p) { p.updated_at = p.created_at + 1us; }) == "updated_at");
  CHECK(field_of([](Payment& p) { p.amount = usd("0.00"); }) == "amount");
  CHECK(field_of([](Payment& p) { p.amount = usd("-0.01"); }) == "amount");
  CHECK(field_of([](Payment& p) { p.bank_account = BankAccountDetails{"DE", "3000"}; }) == "card");
  CHECK(field_of([](Payment& p) { p.card.reset(); }) == "card");
  CHECK(field_of([](Payment& p) { p.card = CardDetails(CardBrand::visa, "42a2", 12, 2030); }) == "card");
  CHECK(field_of([](Payment& p) { p.card = CardDetails(static_cast<CardBrand>(8), "4242", 12, 2030); }) == "card");
  CHECK(field_of([](Payment& p) { p.card = CardDetails(CardBrand::visa, "4242", 13, 2030); }) == "expiry_month");
  CHECK(field_of([](Payment& p) { p.card = CardDetails(CardBrand::visa, "4242", 0, 2030); }) == "expiry_month");
  CHECK(field_of([](Payment& p) { p.card = CardDetails(CardBrand::visa, "4242", 12, 30); }) == "expiry_year");
  CHECK(field_of([](Payment& p) { p.bank_account->country = "de"; }, false) == "iban");
  CHECK(field_of([](Payment& p) { p.bank_account->country = "D1"; }, false) == "iban");
  CHECK(field_of([](Payment& p) { p.bank_account->last_four = "300"; }, false) == "iban");
  CHECK(field_of([](Payment& p) { p.bank_account->last_four = "30 0"; }, false) == "iban");
  CHECK(field_of([](Payment& p) { p.fingerprint = "abc"; }) == "fingerprint");
  CHECK(field_of([](Payment& p) { p.fingerprint = std::string(64, 'A'); }) == "fingerprint");
  CHECK(field_of([](Payment& p) { p.fingerprint = std::string(63, 'a') + "g"; }) == "fingerprint");
  CHECK(field_of([](Payment& p) { p.customer_id = ""; }) == "customer_id");
  CHECK(field_of([](Payment& p) { p.customer_id = std::string(k_max_customer_id_chars + 1, 'c'); }) ==
        "customer_id");
  CHECK(field_of([](Payment& p) { p.email = ""; }) == "email");
  CHECK(field_of([](Payment& p) { p.email = "ada.example.com"; }) == "email");
  CHECK(field_of([](Payment& p) { p.email = "@example.com"; }) == "email");
  CHECK(field_of([](Payment& p) { p.email = "a@" + std::string(k_max_email_bytes - 1, 'e'); }) == "email");
  CHECK(field_of([](Payment& p) { p.request_key = ""; }) == "idempotency_key");
  CHECK(field_of([](Payment& p) { p.request_key = std::string(k_max_payment_key_bytes + 1, 'k'); }) ==
        "idempotency_key");
  CHECK(field_of([](Payment& p) { p.gateway_token = std::string(k_max_gateway_token_bytes + 1, 't'); }) == "token");
  CHECK(field_of([](Payment& p) { p.gateway_reference = std::string(k_max_gateway_reference_bytes + 1, 'r'); }) ==
        "gateway_reference");
  CHECK(field_of([](Payment& p) { p.failure_reason = std::string(k_max_payment_reason_bytes + 1, 'f'); }) ==
        "failure_reason");
  CHECK(field_of([](Payment& p) { p.description = std::string(1025, 'd'); }) == "description");
  CHECK(field_of([](Payment& p) { p.entry_id = EntryId("e"); }) == "entry_id");
  CHECK(field_of([](Payment& p) { p.processed_at = k_created; }) == "entry_id");

  // At their limits, each is stored (a customer id of 128 characters, of up to four bytes each).
  CHECK(field_of([](Payment& p) {
          p.customer_id.clear();
          for (std::size_t i = 0; i < k_max_customer_id_chars; ++i) p.customer_id += "\xf0\x9f\x92\xb3";
          p.request_key = std::string(k_max_payment_key_bytes, 'k');
          p.gateway_token = std::string(k_max_gateway_token_bytes, 't');
          p.description = std::string(1024, 'd');
          p.max_attempts = k_max_job_attempts;
          p.fingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        }) == "stored");
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().list({}, "", 10).size() == 1);
}

CONTRACT_TEST("update moves a payment one version at a time and appends each change to its history, in order") {
  auto store = Adapter::open();
  Payment payment = card_payment("pay-1");
  std::vector<PaymentChange> changes;
  {
    UnitOfWork work(*store, Access::write);
    PaymentRepository& payments = work->payments();
    REQUIRE(payments.insert(payment));
    for (const PaymentStatus to : {PaymentStatus::processing, PaymentStatus::unknown, PaymentStatus::validated,
                                   PaymentStatus::processing, PaymentStatus::dead_lettered, PaymentStatus::validated,
                                   PaymentStatus::processing, PaymentStatus::processed}) {
      Move m = move(payment, to);
      payments.update(m.next, m.change);
      changes.push_back(m.change);
      payment = m.next;
      CHECK(payments.find(payment.id) == payment);
      CHECK(payments.history(payment.id) == changes);
    }
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find(payment.id) == payment);
  const auto history = work->payments().history(payment.id);
  CHECK(history == changes);
  REQUIRE(history.size() == 8);
  for (std::size_t i = 0; i < history.size(); ++i) CHECK(history[i].version == i + 2);
  CHECK(history.front().from == PaymentStatus::validated);
  CHECK(history.back().to == PaymentStatus::processed);
  CHECK(payment.version == 9);
  CHECK(payment.attempts == 3);
}

CONTRACT_TEST("every one of the 36 (from, to) pairs is checked against k_payment_transitions") {
  auto store = Adapter::open();
  std::size_t n = 0;
  std::size_t allowed = 0;
  for (const PaymentStatus from : k_payment_statuses) {
    for (const PaymentStatus to : k_payment_statuses) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      UnitOfWork work(*store, Access::write);
      PaymentRepository& payments = work->payments();
      const Payment before = payment_in(payments, fmt::format("pay-{:02}", n++), from);
      const auto history_before = payments.history(before.id);
      const Move m = move(before, to);
      if (payment_transition_allowed(from, to)) {
        ++allowed;
        payments.update(m.next, m.change);
        CHECK(payments.find(before.id) == m.next);
        auto expected = history_before;
        expected.push_back(m.change);
        CHECK(payments.history(before.id) == expected);
      } else {
        try {
          payments.update(m.next, m.change);
          FAIL("a forbidden change was stored");
        } catch (const InvariantViolation& e) {
          CHECK(e.field() == "status");
        }
        CHECK(payments.find(before.id) == before);
        CHECK(payments.history(before.id) == history_before);
      }
      work.commit();
    }
  }
  CHECK(n == 36);
  CHECK(allowed == payment_transitions().size());
  CHECK(allowed == 11);
}

CONTRACT_TEST("update refuses a stale version, a wrong from, an unknown id, a mismatched change and a changed "
              "identity, and leaves the row and its history unchanged") {
  auto store = Adapter::open();
  const Payment stored = [&] {
    UnitOfWork work(*store, Access::write);
    Payment payment = payment_in(work->payments(), "pay-1", PaymentStatus::processing);
    work.commit();
    return payment;
  }();
  const Move good = move(stored, PaymentStatus::processed);
  const auto field_of = [&](const std::function<void(Move&)>& spoil) {
    Move m = good;
    spoil(m);
    return refusal(*store, [&](PaymentRepository& r) { r.update(m.next, m.change); });
  };
  CHECK(field_of([](Move& m) {  // a change from version 1, as if the move to PROCESSING had not been seen
          m.next.version = 2;
          m.change.version = 2;
        }) == "version");
  CHECK(field_of([](Move& m) {
          m.next.version = 4;
          m.change.version = 4;
        }) == "version");
  CHECK(field_of([](Move& m) { m.change.from = PaymentStatus::unknown; }) == "status");  // allowed, but not where it is
  CHECK(field_of([](Move& m) { m.change.to = PaymentStatus::failed; }) == "status");
  CHECK(field_of([](Move& m) { m.change.attempt = 2; }) == "status");
  CHECK(field_of([](Move& m) { m.change.version = 4; }) == "version");
  CHECK(field_of([](Move& m) { m.change.payment_id = PaymentId("pay-2"); }) == "payment_id");
  CHECK(field_of([](Move& m) {
          m.next.id = PaymentId("pay-none");
          m.change.payment_id = m.next.id;
        }) == "payment_id");
  CHECK(field_of([](Move& m) { m.change.reason = std::string(k_max_payment_reason_bytes + 1, 'r'); }) == "reason");
  CHECK(field_of([](Move& m) { m.next.processed_at.reset(); }) == "entry_id");
  CHECK(field_of([](Move& m) { m.next.attempts = 4; }) == "attempts");

  CHECK(field_of([](Move& m) { m.next.customer_id = "cus_43"; }) == "customer_id");
  CHECK(field_of([](Move& m) { m.next.email.reset(); }) == "email");
  CHECK(field_of([](Move& m) { m.next.amount = usd("19.98"); }) == "amount");
  CHECK(field_of([](Move& m) { m.next.amount = Money::parse("19.99 EUR"); }) == "amount");
  CHECK(field_of([](Move& m) { m.next.card = CardDetails(CardBrand::visa, "4243", 12, 2030); }) == "card");
  CHECK(field_of([](Move& m) { m.next.card = CardDetails(CardBrand::mastercard, "4242", 12, 2030); }) == "card");
  CHECK(field_of([](Move& m) { m.next.card = CardDetails(CardBrand::visa, "4242", 11, 2030); }) == "card");
  CHECK(field_of([](Move& m) {
          m.next.card.reset();
          m.next.bank_account = BankAccountDetails{"DE", "3000"};
        }) == "card");
  CHECK(field_of([](Move& m) { m.next.fingerprint = std::string(64, 'b'); }) == "fingerprint");
  CHECK(field_of([](Move& m) { m.next.fingerprint.clear(); }) == "fingerprint");
  CHECK(field_of([](Move& m) { m.next.gateway_token = "tok_other"; }) == "token");
  CHECK(field_of([](Move& m) { m.next.request_key.reset(); }) == "idempotency_key");
  CHECK(field_of([](Move& m) { m.next.request_key = "req-other"; }) == "idempotency_key");
  CHECK(field_of([](Move& m) { m.next.debit_account = AccountId("other"); }) == "debit_account");
  CHECK(field_of([](Move& m) { m.next.credit_account = AccountId("other"); }) == "credit_account");
  CHECK(field_of([](Move& m) { m.next.description = "changed"; }) == "description");
  CHECK(field_of([](Move& m) { m.next.metadata["order"] = "ord-8"; }) == "metadata");
  CHECK(field_of([](Move& m) { m.next.metadata.clear(); }) == "metadata");
  CHECK(field_of([](Move& m) { m.next.max_attempts = 5; }) == "max_attempts");
  CHECK(field_of([](Move& m) { m.next.created_at = m.next.created_at + 1us; }) == "created_at");

  {
    UnitOfWork work(*store, Access::read);
    CHECK(work->payments().find(stored.id) == stored);
    CHECK(work->payments().history(stored.id).size() == 1);
  }
  CHECK(field_of([](Move&) {}) == "stored");
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find(stored.id) == good.next);
  CHECK(work->payments().history(stored.id).size() == 2);
}

CONTRACT_TEST("a bank payment moves as a card payment does, its absent optionals matched as absent") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  PaymentRepository& payments = work->payments();
  Payment payment = iban_payment("pay-iban");
  REQUIRE(payments.insert(payment));
  payment = step(payments, payment, PaymentStatus::processing);
  payment = step(payments, payment, PaymentStatus::failed);
  CHECK(payments.find(payment.id) == payment);
  Move again = move(payment, PaymentStatus::validated);
  CHECK_THROWS_AS(payments.update(again.next, again.change), InvariantViolation);  // FAILED is final
  CHECK(payments.find(payment.id) == payment);
}

CONTRACT_TEST("payments list by status, by customer or both, a page at a time, in id order") {
  auto store = Adapter::open();
  {
    UnitOfWork work(*store, Access::write);
    PaymentRepository& payments = work->payments();
    // Inserted out of id order; odd ones are cus_a's, every third one is moved on.
    for (const int i : {5, 2, 8, 1, 9, 3, 7, 4, 6, 10}) {
      Payment payment = card_payment(fmt::format("pay-{:02}", i));
      payment.customer_id = i % 2 == 1 ? "cus_a" : "cus_b";
      REQUIRE(payments.insert(payment));
      if (i % 3 == 0) (void)step(payments, payment, PaymentStatus::processing);
    }
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  PaymentRepository& payments = work->payments();
  using Ids = std::vector<std::string>;
  const auto list = [&](std::optional<PaymentStatus> status, std::optional<std::string> customer,
                        const std::string& after, std::size_t limit) {
    return ids_of(payments.list({.status = status, .customer_id = std::move(customer)}, after, limit));
  };
  CHECK(list({}, {}, "", 100) ==
        Ids{"pay-01", "pay-02", "pay-03", "pay-04", "pay-05", "pay-06", "pay-07", "pay-08", "pay-09", "pay-10"});
  CHECK(list({}, {}, "pay-04", 3) == Ids{"pay-05", "pay-06", "pay-07"});
  CHECK(list({}, {}, "pay-10", 3).empty());
  CHECK(list(PaymentStatus::processing, {}, "", 100) == Ids{"pay-03", "pay-06", "pay-09"});
  CHECK(list(PaymentStatus::validated, {}, "", 4) == Ids{"pay-01", "pay-02", "pay-04", "pay-05"});
  CHECK(list(PaymentStatus::validated, {}, "pay-05", 4) == Ids{"pay-07", "pay-08", "pay-10"});
  CHECK(list(PaymentStatus::validated, {}, "pay-03", 1) == Ids{"pay-04"});
  CHECK(list(PaymentStatus::processed, {}, "", 100).empty());
  CHECK(list({}, "cus_a", "", 100) == Ids{"pay-01", "pay-03", "pay-05", "pay-07", "pay-09"});
  CHECK(list({}, "cus_a", "pay-03", 2) == Ids{"pay-05", "pay-07"});
  CHECK(list({}, "cus_b", "pay-09", 2) == Ids{"pay-10"});
  CHECK(list({}, "cus_c", "", 100).empty());
  CHECK(list(PaymentStatus::processing, "cus_a", "", 100) == Ids{"pay-03", "pay-09"});
  CHECK(list(PaymentStatus::processing, "cus_a", "pay-03", 100) == Ids{"pay-09"});
  CHECK(list(PaymentStatus::validated, "cus_b", "", 2) == Ids{"pay-02", "pay-04"});
  CHECK(list({}, {}, "", 0).empty());
  // Every row a listing returns is the whole payment.
  const auto rows = payments.list({.status = PaymentStatus::processing}, "", 1);
  REQUIRE(rows.size() == 1);
  CHECK(rows.front() == payments.find(PaymentId("pay-03")));
}

CONTRACT_TEST("a listing follows a payment to its new status, and a rolled-back move back to its old one") {
  auto store = Adapter::open();
  Payment payment = card_payment("pay-1");
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->payments().insert(payment));
    payment = step(work->payments(), payment, PaymentStatus::processing);
    work.commit();
  }
  {
    UnitOfWork work(*store, Access::write);
    (void)step(work->payments(), payment, PaymentStatus::processed);
    CHECK(work->payments().list({.status = PaymentStatus::processing}, "", 10).empty());
    CHECK(work->payments().list({.status = PaymentStatus::processed}, "", 10).size() == 1);
  }  // dropped
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find(payment.id) == payment);
  CHECK(work->payments().history(payment.id).size() == 1);
  CHECK(work->payments().list({.status = PaymentStatus::validated}, "", 10).empty());
  CHECK(work->payments().list({.status = PaymentStatus::processed}, "", 10).empty());
  CHECK(work->payments().list({.status = PaymentStatus::processing}, "", 10) == std::vector<Payment>{payment});
  CHECK(work->payments().list({.customer_id = "cus_42"}, "", 10) == std::vector<Payment>{payment});
}

CONTRACT_TEST("a unit of work that does not commit leaves no payment, no history and no request key behind") {
  auto store = Adapter::open();
  const Payment payment = card_payment("pay-1");
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->payments().insert(payment));
    const Payment moved = step(work->payments(), payment, PaymentStatus::processing);
    (void)step(work->payments(), moved, PaymentStatus::unknown);
    CHECK(work->payments().history(payment.id).size() == 2);
  }
  {
    UnitOfWork work(*store, Access::read);
    CHECK_FALSE(work->payments().find(payment.id).has_value());
    CHECK_FALSE(work->payments().find_by_request_key(*payment.request_key).has_value());
    CHECK(work->payments().history(payment.id).empty());
    CHECK(work->payments().list({}, "", 10).empty());
    CHECK(work->payments().list({.status = PaymentStatus::unknown}, "", 10).empty());
    CHECK(work->payments().list({.customer_id = payment.customer_id}, "", 10).empty());
  }
  // The id and the key were never taken: another payment may have them, and its history starts afresh.
  Payment other = iban_payment("pay-1");
  other.request_key = payment.request_key;
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->payments().insert(other));
    (void)step(work->payments(), other, PaymentStatus::processing);
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find_by_request_key(*payment.request_key)->customer_id == "cus_7");
  CHECK(work->payments().history(payment.id).size() == 1);
}

CONTRACT_TEST("a read-only unit of work reads payments but cannot write them") {
  auto store = Adapter::open();
  const Payment payment = card_payment("pay-1");
  CHECK(refusal(*store, [&](PaymentRepository& r) { REQUIRE(r.insert(payment)); }) == "stored");
  UnitOfWork work(*store, Access::read);
  CHECK(work->payments().find(payment.id) == payment);
  CHECK_THROWS_AS((void)work->payments().insert(card_payment("pay-2")), Misuse);
  const Move m = move(payment, PaymentStatus::processing);
  CHECK_THROWS_AS(work->payments().update(m.next, m.change), Misuse);
}
