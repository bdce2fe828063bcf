#include "billing/error.hpp"

#include <doctest/doctest.h>

TEST_CASE("an error carries its code and the field at fault, and names the field in its message") {
  const billing::InvalidAmount error("amount", "12.345 has more places than USD allows");
  CHECK(error.code() == billing::ErrorCode::invalid_amount);
  CHECK(error.field() == "amount");
  CHECK(std::string(error.what()) == "amount: 12.345 has more places than USD allows");
}

TEST_CASE("every error derives from billing::Error and carries its own code") {
  const auto code_of = [](auto&& thrower) {
    try {
      thrower();
    } catch (const billing::Error& e) {
      return e.code();
    }
    FAIL("nothing thrown");
    return billing::ErrorCode::misuse;
  };
  using billing::ErrorCode;
  CHECK(code_of([] { throw billing::InvalidArgument("f", "m"); }) == ErrorCode::invalid_argument);
  CHECK(code_of([] { throw billing::UnknownCurrency("f", "m"); }) == ErrorCode::unknown_currency);
  CHECK(code_of([] { throw billing::CurrencyMismatch("f", "m"); }) == ErrorCode::currency_mismatch);
  CHECK(code_of([] { throw billing::Overflow("f", "m"); }) == ErrorCode::overflow);
  CHECK(code_of([] { throw billing::DivisionByZero("f", "m"); }) == ErrorCode::division_by_zero);
  CHECK(code_of([] { throw billing::StorageError("f", "m"); }) == ErrorCode::storage);
  CHECK(code_of([] { throw billing::InvariantViolation("f", "m"); }) == ErrorCode::invariant_violation);
  CHECK(code_of([] { throw billing::Misuse("f", "m"); }) == ErrorCode::misuse);
  CHECK(billing::to_string(ErrorCode::currency_mismatch) == "currency_mismatch");
}

TEST_CASE("BILLING_ASSERT throws InvariantViolation naming the condition, in every build type") {
  const int balance = -1;
  try {
    BILLING_ASSERT(balance >= 0);
    FAIL("the assertion did not fire");
  } catch (const billing::InvariantViolation& e) {
    CHECK(std::string(e.what()).find("balance >= 0") != std::string::npos);
  }
}
