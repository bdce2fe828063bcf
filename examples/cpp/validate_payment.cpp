// Payment validation from C++: a request's fields as text, every broken field reported at once, a policy,
// and a hot path that allocates nothing. Run: build/examples/cpp/validate_payment
#include <billing/payment_validation.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

namespace {

void show(const char* title, const billing::PaymentReport& report) {
  fmt::print("== {}: {}\n", title, report.ok() ? "ok" : "refused");
  for (const billing::FieldError& error : report.errors) {
    fmt::print("  {:<13} {:<22} {}\n", error.field_name(), billing::to_string(error.code()), error.message());
  }
  if (report.amount) fmt::print("  amount: {}\n", report.amount->to_string());
  if (report.card) {
    // All that is kept of a card: never the number, never the CVC.
    fmt::print("  card: {} ending {}, expires {:02}/{}\n", billing::display_name(report.card->brand()),
               report.card->last_four(), report.card->expiry_month(), report.card->expiry_year());
  }
}

}  // namespace

int main() {
  const billing::ManualClock clock(billing::Timestamp::parse("2026-05-15T12:00:00Z"));
  const billing::PaymentPolicy policy(
      billing::Decimal::parse("5000"),
      std::vector<billing::Currency>{billing::Currency("EUR"), billing::Currency("GBP")},
      std::vector<billing::CardBrand>{billing::CardBrand::visa, billing::CardBrand::mastercard});

  // The fields as a request body carries them: text, borrowed for the call.
  const std::string body_card = "4242 4242 4242 4242";
  show("a card payment", billing::validate_payment({.amount = "149.99",
                                                    .currency = "EUR",
                                                    .customer_id = "cus_42",
                                                    .email = "ada@example.com",
                                                    .card_number = body_card,
                                                    .expiry_month = "12",
                                                    .expiry_year = "2030",
                                                    .cvc = "123"},
                                                   policy, clock));
  show("a SEPA payment",
       billing::validate_payment(
           {.amount = "250", .currency = "EUR", .customer_id = "cus_7", .iban = "DE89 3704 0044 0532 0130 00"}, policy,
           clock));
  show("everything wrong at once", billing::validate_payment({.amount = "12.345",
                                                              .currency = "USD",
                                                              .customer_id = "",
                                                              .email = "ada@localhost",
                                                              .card_number = "3782 822463 10005",
                                                              .expiry_month = "13",
                                                              .expiry_year = "2019",
                                                              .cvc = "123"},
                                                             policy, clock));

  // The checks one by one, for a form that checks as it is filled in.
  const billing::CardNumberCheck check = billing::check_card_number("5555-5555-5555-4444");
  fmt::print("== one field at a time\n  5555-5555-5555-4444: {}, brand {}\n", check.problem ? "refused" : "valid",
             check.brand ? billing::display_name(*check.brand) : "unknown");
  fmt::print("  typed so far '22': {}; '2221': {}\n", billing::card_brand("22") ? "a brand" : "no brand yet",
             billing::display_name(*billing::card_brand("2221")));
  fmt::print("  GB82 WEST 1234 5698 7654 32: {}\n", billing::is_valid_iban("GB82 WEST 1234 5698 7654 32"));
  fmt::print("  a DE IBAN has {} characters\n", *billing::iban_length("DE"));
  return 0;
}
