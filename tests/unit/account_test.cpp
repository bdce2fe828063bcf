#include "billing/account.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "billing/error.hpp"

using namespace billing;

namespace {
Account account(Side normal, Balances balances, bool debit_flag = false, bool credit_flag = false,
                std::optional<Money> limit = std::nullopt) {
  return {.id = AccountId("a"),
          .currency = Currency("USD"),
          .name = "a",
          .normal_side = normal,
          .status = AccountStatus::active,
          .debits_must_not_exceed_credits = debit_flag,
          .credits_must_not_exceed_debits = credit_flag,
          .limit = limit,
          .metadata = {},
          .created_at = Timestamp(),
          .balances = balances};
}
}  // namespace

TEST_CASE("the status table allows exactly the documented changes") {
  using S = AccountStatus;
  const std::vector<std::pair<S, S>> allowed = {
      {S::pending, S::active}, {S::active, S::inactive}, {S::inactive, S::active}, {S::active, S::closed},
      {S::inactive, S::closed}};
  for (S from : k_account_statuses) {
    for (S to : k_account_statuses) {
      const bool expected = std::find(allowed.begin(), allowed.end(), std::make_pair(from, to)) != allowed.end();
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK(account_transition_allowed(from, to) == expected);
    }
  }
}

TEST_CASE("the net balance is on the normal side, and projected counts holds") {
  const Balances b{.debits_posted = 1000, .credits_posted = 300, .debits_pending = 50, .credits_pending = 20};
  CHECK(account(Side::debit, b).net_balance() == Money::parse("7.00 USD"));
  CHECK(account(Side::credit, b).net_balance() == Money::parse("-7.00 USD"));
  CHECK(account(Side::debit, b).projected_balance() == Money::parse("7.30 USD"));
}

TEST_CASE("available is the room a balance constraint leaves, counting holds") {
  const Balances b{.debits_posted = 400, .credits_posted = 1000, .debits_pending = 100, .credits_pending = 0};
  CHECK_FALSE(account(Side::credit, b).available().has_value());
  CHECK(account(Side::credit, b, true).available() == Money::parse("5.00 USD"));
  CHECK(account(Side::credit, b, true, false, Money::parse("2.50 USD")).available() == Money::parse("7.50 USD"));
  CHECK(account(Side::debit, b, false, true).available() == Money::parse("-6.00 USD"));
}

TEST_CASE("metadata limits name the field") {
  CHECK_NOTHROW(detail::validate_metadata({{"k", "v"}}, "metadata"));
  Metadata many;
  for (int i = 0; i < 65; ++i) many.emplace(std::to_string(i), "v");
  CHECK_THROWS_AS(detail::validate_metadata(many, "metadata"), InvalidArgument);
  CHECK_THROWS_AS(detail::validate_metadata({{std::string(65, 'k'), "v"}}, "metadata"), InvalidArgument);
}
