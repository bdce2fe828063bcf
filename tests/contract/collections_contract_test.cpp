// Collections on every adapter: the billing run's payment job charges its invoice once through the payment life
// cycle; an approval pays the invoice and settles the customer's receivable with the payment's own entry; a decline,
// or an error on the last attempt, duns it (UNCOLLECTIBLE, the subscription PAST_DUE, the account INACTIVE when the
// policy says so); a redrive that pays a dunned invoice restores the subscription; an invoice with no usable method
// on file is dunned without a charge; one that is no longer open is not charged; the invoice follows its payment
// however the payment is settled (reconcile included).
#include "billing/collections.hpp"

#include <string>

#include "adapters.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;
using namespace std::chrono_literals;

namespace {

Timestamp at(const char* text) { return Timestamp::parse(text); }

PaymentMethodOnFile visa() {
  return {.card_number = "4242424242424242", .expiry_month = "12", .expiry_year = "2030", .cvc = "123"};
}

struct Area {
  test::Fixture f;
  Collections& collections() { return f.books->collections(); }

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    f.open("acme");
    REQUIRE(f.books->plans().create({.code = "basic", .currency = Currency("USD"), .flat_fee = usd("30.00")}).ok());
    REQUIRE(f.books->subscriptions()
                .create({.id = SubscriptionId("s1"), .account_id = AccountId("acme"), .plan = "basic",
                         .start = at("2026-01-01T00:00:00Z")})
                .ok());
  }
  /// Bills January; returns its invoice.
  Invoice bill() {
    f.clock->set(at("2026-02-01T00:00:00Z"));
    REQUIRE(f.books->billing().run(f.clock->now()).invoices_created == 1);
    return f.books->invoices().list().items.at(0);
  }
  CollectionReport collect(PaymentGateway& gateway, std::optional<PaymentMethodOnFile> method = visa()) {
    return collections().run(gateway, [method](const Invoice&) { return method; });
  }
  Invoice invoice(const Invoice& i) { return *f.books->invoices().get(i.id); }
  SubscriptionStatus subscription() { return f.books->subscriptions().get(SubscriptionId("s1"))->status; }
};

template <class Adapter>
Area area() {
  return Area(fixture<Adapter>());
}

}  // namespace

CONTRACT_TEST("an invoice's payment job charges it once; the approval pays it with the payment's own entry") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  ScriptedGateway gateway;
  const CollectionReport report = a.collect(gateway);
  CHECK(report.jobs == 1);
  CHECK(report.payments_created == 1);
  CHECK(report.paid == 1);
  CHECK(report.skipped.empty());
  REQUIRE(gateway.charges().size() == 1);
  CHECK(gateway.charges()[0].amount == usd("30.00"));

  const Invoice paid = a.invoice(billed);
  CHECK(paid.status == InvoiceStatus::paid);
  const Page<Payment> payments = a.f.books->payments().list();
  REQUIRE(payments.items.size() == 1);
  const Payment& payment = payments.items[0];
  CHECK(payment.status == PaymentStatus::processed);
  CHECK(payment.credit_account == AccountId("acme"));
  CHECK(payment.metadata.at("invoice_id") == billed.id.str());
  CHECK(paid.settled_entry == payment.entry_id);
  const Balances acme = a.f.totals(AccountId("acme"));  // the receivable, settled: 30.00 debited, 30.00 credited
  CHECK(acme.debits_posted == 3000);
  CHECK(acme.credits_posted == 3000);

  const CollectionReport again = a.collect(gateway);  // the job completed: nothing left to charge
  CHECK(again.jobs == 0);
  CHECK(gateway.charge_calls() == 1);
  CHECK(a.f.ledger().verify().ok);
}

CONTRACT_TEST("a declined payment duns the invoice: UNCOLLECTIBLE, the subscription PAST_DUE, no retry") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  ScriptedGateway gateway({ScriptStep::decline});
  const CollectionReport report = a.collect(gateway);
  CHECK(report.dunned == 1);
  CHECK(report.paid == 0);
  CHECK(a.invoice(billed).status == InvoiceStatus::uncollectible);
  CHECK(a.subscription() == SubscriptionStatus::past_due);
  CHECK(a.f.totals(AccountId("acme")).debits_posted == 3000);  // the receivable stays
  CHECK(a.f.totals(AccountId("acme")).credits_posted == 0);
  CHECK(a.f.books->accounts().get(AccountId("acme"))->status == AccountStatus::active);  // not by default
  a.f.clock->advance(48h);
  CHECK(a.collect(gateway).retries == 0);
  CHECK(gateway.charge_calls() == 1);
  // A past-due subscription is still billed.
  a.f.clock->set(at("2026-03-01T00:00:00Z"));
  CHECK(a.f.books->billing().run(a.f.clock->now()).invoices_created == 1);
}

CONTRACT_TEST("errors retry on the queue, the last one duns the invoice, and a redrive that pays restores it") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  ScriptedGateway gateway({ScriptStep::error, ScriptStep::error, ScriptStep::error});  // max_attempts is 3
  const CollectionReport first = a.collect(gateway);
  CHECK(first.retrying == 1);
  CHECK(a.invoice(billed).status == InvoiceStatus::open);
  CHECK(a.subscription() == SubscriptionStatus::active);
  CHECK(a.collect(gateway).retries == 0);  // not due yet
  a.f.clock->advance(2h);                  // past the longest back-off
  const CollectionReport second = a.collect(gateway);
  CHECK(second.retries == 1);
  CHECK(second.retrying == 1);
  a.f.clock->advance(2h);
  const CollectionReport third = a.collect(gateway);
  CHECK(third.retries == 1);
  CHECK(third.dunned == 1);
  CHECK(gateway.charge_calls() == 3);
  CHECK(a.invoice(billed).status == InvoiceStatus::uncollectible);
  CHECK(a.subscription() == SubscriptionStatus::past_due);

  const Payment dead = a.f.books->payments().dead_letters().items.at(0);
  REQUIRE(a.f.books->payments().redrive(dead.id).ok());
  const CollectionReport redriven = a.collect(gateway);  // the script has run out: approve
  CHECK(redriven.retries == 1);
  CHECK(redriven.paid == 1);
  CHECK(a.invoice(billed).status == InvoiceStatus::paid);
  CHECK(a.subscription() == SubscriptionStatus::active);
  CHECK(a.f.totals(AccountId("acme")).credits_posted == 3000);
  CHECK(a.f.ledger().verify().ok);
}

CONTRACT_TEST("the policy can deactivate the account, and then the ledger refuses its next period") {
  Area a = area<Adapter>();
  a.collections().configure({.deactivate_account = true});
  CHECK(a.collections().policy().deactivate_account);
  const Invoice billed = a.bill();
  ScriptedGateway gateway({ScriptStep::decline});
  (void)a.collect(gateway);
  CHECK(a.invoice(billed).status == InvoiceStatus::uncollectible);
  CHECK(a.f.books->accounts().get(AccountId("acme"))->status == AccountStatus::inactive);
  a.f.clock->set(at("2026-03-01T00:00:00Z"));
  const BillingReport next = a.f.books->billing().run(a.f.clock->now());
  CHECK(next.invoices_created == 0);
  REQUIRE(next.skipped.size() == 1);
  CHECK(next.skipped[0].reason.find("account_inactive") != std::string::npos);
}

CONTRACT_TEST("a policy that only marks the invoice leaves the subscription as it was") {
  Area a = area<Adapter>();
  a.collections().configure({.invoice_uncollectible = true, .subscription_past_due = false});
  const Invoice billed = a.bill();
  ScriptedGateway gateway({ScriptStep::decline});
  (void)a.collect(gateway);
  CHECK(a.invoice(billed).status == InvoiceStatus::uncollectible);
  CHECK(a.subscription() == SubscriptionStatus::active);
}

CONTRACT_TEST("no method on file, or one that fails validation, duns the invoice without a charge") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  ScriptedGateway gateway;
  const CollectionReport none = a.collect(gateway, std::nullopt);
  CHECK(none.dunned == 1);
  REQUIRE(none.skipped.size() == 1);
  CHECK(none.skipped[0].invoice_id == billed.id);
  CHECK(none.skipped[0].reason == "no payment method on file");
  CHECK(gateway.charge_calls() == 0);
  CHECK(a.invoice(billed).status == InvoiceStatus::uncollectible);

  Area b = area<Adapter>();
  const Invoice other = b.bill();
  PaymentMethodOnFile broken = visa();
  broken.card_number = "4242424242424241";  // fails the Luhn check
  const CollectionReport invalid = b.collect(gateway, broken);
  REQUIRE(invalid.skipped.size() == 1);
  CHECK(invalid.skipped[0].reason.find("card_number") != std::string::npos);
  CHECK(invalid.skipped[0].reason.find("4242424242424241") == std::string::npos);  // never the number
  CHECK(b.invoice(other).status == InvoiceStatus::uncollectible);
  CHECK(b.f.books->payments().list().items.empty());
}

CONTRACT_TEST("an invoice voided before its job runs is not charged") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  REQUIRE(a.f.books->invoices().void_invoice(billed.id).ok());
  ScriptedGateway gateway;
  const CollectionReport report = a.collect(gateway);
  CHECK(report.jobs == 1);
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].reason == "the invoice is void");
  CHECK(gateway.charge_calls() == 0);
}

CONTRACT_TEST("an invoice follows its payment through reconcile: a timeout, then the lookup finds it approved") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  ScriptedGateway gateway({ScriptStep::timeout});
  const CollectionReport report = a.collect(gateway);
  CHECK(report.unknown == 1);
  CHECK(a.invoice(billed).status == InvoiceStatus::open);
  (void)a.f.books->payments().reconcile(gateway);
  CHECK(a.invoice(billed).status == InvoiceStatus::paid);
  CHECK(gateway.charges().size() == 1);
}

CONTRACT_TEST("mark_paid_by records another area's entry only when it settles the invoice") {
  Area a = area<Adapter>();
  const Invoice billed = a.bill();
  a.f.open("bank");
  const PostOutcome half = a.f.ledger().transfer(
      {.id = EntryId("half"), .debit = AccountId("bank"), .credit = AccountId("acme"), .amount = usd("15.00")});
  REQUIRE(half.result == PostResult::ok);
  CHECK_THROWS_WITH_AS((void)a.f.books->invoices().mark_paid_by(billed.id, EntryId("half")),
                       doctest::Contains("settlement"), InvalidArgument);
  CHECK_THROWS_AS((void)a.f.books->invoices().mark_paid_by(billed.id, EntryId("nope")), InvalidArgument);
  CHECK(a.invoice(billed).status == InvoiceStatus::open);
  const PostOutcome full = a.f.ledger().transfer(
      {.id = EntryId("full"), .debit = AccountId("bank"), .credit = AccountId("acme"), .amount = usd("30.00")});
  REQUIRE(full.result == PostResult::ok);
  const InvoiceOutcome paid = a.f.books->invoices().mark_paid_by(billed.id, EntryId("full"));
  REQUIRE(paid.ok());
  CHECK(paid.invoice->settled_entry == EntryId("full"));
  CHECK(a.f.entry_count() == 3);  // the invoice's, and the two transfers: nothing more was posted
}

CONTRACT_TEST("run() checks its limit and refuses an open transaction") {
  Area a = area<Adapter>();
  ScriptedGateway gateway;
  const PaymentMethodLookup lookup = [](const Invoice&) { return std::optional<PaymentMethodOnFile>(visa()); };
  CHECK_THROWS_WITH_AS((void)a.collections().run(gateway, lookup, 0), doctest::Contains("limit"), InvalidArgument);
  CHECK_THROWS_AS((void)a.collections().run(gateway, lookup, k_max_collection_run + 1), InvalidArgument);
  CHECK_THROWS_WITH_AS((void)a.collections().run(gateway, nullptr), doctest::Contains("lookup"), InvalidArgument);
  auto work = a.f.books->transaction();
  CHECK_THROWS_AS((void)a.collections().run(gateway, lookup), Misuse);
}
