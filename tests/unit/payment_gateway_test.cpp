// The gateway's values (payment_gateway.hpp): what a PaymentMethod holds and hides, and ScriptedGateway's
// script: steps in order, then the fallback; a repeated key answered as the first time, charging nothing;
// a timeout that charged; lookups; and the transition table of payment.hpp read pair by pair.
#include "billing/payment_gateway.hpp"

#include <doctest/doctest.h>

#include <set>
#include <utility>

#include "billing/payment.hpp"

using namespace billing;

namespace {

const Money k_ten = Money::parse("10.00 USD");

PaymentMethod visa() {
  const CardNumberCheck check = check_card_number("4242 4242 4242 4242");
  REQUIRE(check.number.has_value());
  return {*check.number, 12, 2030, "123"};
}

}  // namespace

TEST_CASE("a card PaymentMethod hands over the number and CVC, and keeps the details apart") {
  const PaymentMethod method = visa();
  CHECK(method.is_card());
  CHECK(method.card_number() == "4242424242424242");
  CHECK(method.cvc() == "123");
  CHECK(method.iban().empty());
  REQUIRE(method.card().has_value());
  CHECK(method.card()->brand() == CardBrand::visa);
  CHECK(method.card()->last_four() == "4242");
  const PaymentMethod copy = method;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  CHECK(copy.card_number() == method.card_number());
}

TEST_CASE("a bank PaymentMethod holds the IBAN without spaces, in upper case") {
  const PaymentMethod method("de89 3704 0044 0532 0130 00");
  CHECK_FALSE(method.is_card());
  CHECK(method.iban() == "DE89370400440532013000");
  CHECK(method.card_number().empty());
  CHECK(method.cvc().empty());
  CHECK_FALSE(method.card().has_value());
}

TEST_CASE("ScriptedGateway answers from its script, then with its fallback") {
  ScriptedGateway gateway({ScriptStep::decline, ScriptStep::error, ScriptStep::timeout}, ScriptStep::error);
  CHECK(gateway.tokenize(visa()) == "tok_1");
  CHECK(gateway.tokenize(PaymentMethod("DE89370400440532013000")) == "tok_2");
  CHECK(gateway.remaining().size() == 3);
  CHECK(gateway.charge("tok_1", k_ten, "k1") == ChargeResult{ChargeStatus::declined, "", "card_declined"});
  CHECK(gateway.charge("tok_1", k_ten, "k2") == ChargeResult{ChargeStatus::error, "", "gateway unavailable"});
  CHECK(gateway.charge("tok_1", k_ten, "k3").status == ChargeStatus::timeout);
  CHECK(gateway.remaining().empty());
  CHECK(gateway.charge("tok_1", k_ten, "k4").status == ChargeStatus::error);  // the fallback
  CHECK(gateway.charge_calls() == 4);
  // Only the timeout took money: its charge went through, and only the answer was lost.
  REQUIRE(gateway.charges().size() == 1);
  CHECK(gateway.charges()[0] == ScriptedCharge{"k3", "tok_1", k_ten, "ch_1"});
}

TEST_CASE("ScriptedGateway honours idempotency keys: a repeat answers as the first time and takes nothing") {
  ScriptedGateway gateway({ScriptStep::approve, ScriptStep::decline});
  const ChargeResult first = gateway.charge("tok", k_ten, "key");
  CHECK(first == ChargeResult{ChargeStatus::approved, "ch_1", ""});
  CHECK(gateway.charge("tok", k_ten, "key") == first);
  CHECK(gateway.remaining().size() == 1);  // the repeat used no step
  CHECK(gateway.charges().size() == 1);
  CHECK(gateway.charge("tok", k_ten, "other").status == ChargeStatus::declined);
  CHECK(gateway.charge("tok", k_ten, "other").status == ChargeStatus::declined);
  CHECK(gateway.charge_calls() == 4);
}

TEST_CASE("ScriptedGateway's lookup finds approved, declined and timed-out charges, and nothing else") {
  ScriptedGateway gateway({ScriptStep::approve, ScriptStep::decline, ScriptStep::timeout, ScriptStep::error});
  (void)gateway.charge("t", k_ten, "a");
  (void)gateway.charge("t", k_ten, "d");
  (void)gateway.charge("t", k_ten, "t");
  (void)gateway.charge("t", k_ten, "e");
  CHECK(gateway.lookup("a") == ChargeResult{ChargeStatus::approved, "ch_1", ""});
  CHECK(gateway.lookup("d").status == ChargeStatus::declined);
  CHECK(gateway.lookup("t") == ChargeResult{ChargeStatus::approved, "ch_2", ""});
  CHECK(gateway.lookup("e").status == ChargeStatus::not_found);
  CHECK(gateway.lookup("never").status == ChargeStatus::not_found);
  // A timed-out charge retried under its key is not taken again.
  CHECK(gateway.charge("t", k_ten, "t") == ChargeResult{ChargeStatus::approved, "ch_2", ""});
  CHECK(gateway.charges().size() == 2);
}

TEST_CASE("k_payment_transitions, pair by pair") {
  const std::set<std::pair<PaymentStatus, PaymentStatus>> allowed = {
      {PaymentStatus::validated, PaymentStatus::processing},   {PaymentStatus::processing, PaymentStatus::validated},
      {PaymentStatus::processing, PaymentStatus::processed},   {PaymentStatus::processing, PaymentStatus::failed},
      {PaymentStatus::processing, PaymentStatus::unknown},     {PaymentStatus::processing, PaymentStatus::dead_lettered},
      {PaymentStatus::unknown, PaymentStatus::validated},      {PaymentStatus::unknown, PaymentStatus::processed},
      {PaymentStatus::unknown, PaymentStatus::failed},         {PaymentStatus::unknown, PaymentStatus::dead_lettered},
      {PaymentStatus::dead_lettered, PaymentStatus::validated},
  };
  int pairs = 0;
  for (const PaymentStatus from : k_payment_statuses) {
    for (const PaymentStatus to : k_payment_statuses) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK(payment_transition_allowed(from, to) == (allowed.count({from, to}) == 1));
      ++pairs;
    }
  }
  CHECK(pairs == 36);
  const auto listed = payment_transitions();
  CHECK(std::set<std::pair<PaymentStatus, PaymentStatus>>(listed.begin(), listed.end()) == allowed);
  CHECK_FALSE(payment_transition_allowed(static_cast<PaymentStatus>(6), PaymentStatus::validated));
  for (const PaymentStatus status : {PaymentStatus::processed, PaymentStatus::failed}) {
    for (const PaymentStatus to : k_payment_statuses) CHECK_FALSE(payment_transition_allowed(status, to));  // final
  }
}
