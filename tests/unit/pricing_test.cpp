// Pricing (billing/price.hpp): the worked examples that Stripe and Lago publish, to the cent and with their
// sources; every model and its lines; every rounding mode, per line and on the total; every refused input,
// with its field; overflow at the edges; and the integer arithmetic checked against the library's Decimal.
#include "billing/price.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "alloc_counter.hpp"

using namespace billing;

namespace {

Decimal d(const char* text) { return Decimal::parse(text); }
Money usd(const char* amount) { return Money(d(amount), Currency("USD")); }
const Currency k_usd("USD");

Tier tier(std::optional<const char*> up_to, const char* unit_price, const char* flat_fee = "0") {
  return Tier{.up_to = up_to ? std::optional<Decimal>(d(*up_to)) : std::nullopt,
              .unit_price = d(unit_price),
              .flat_fee = d(flat_fee)};
}

// The field of the billing::Error of type E that `call` throws; fails the test when it throws none.
template <class E, class F>
std::string field_of(F&& call) {
  try {
    call();
  } catch (const E& error) {
    return error.field();
  }
  FAIL("no exception");
  return {};
}

// The line amounts of a charge, in minor units.
std::vector<std::int64_t> line_minors(const Charge& charge) {
  std::vector<std::int64_t> out;
  for (const ChargeLine& line : charge.lines) out.push_back(line.amount.minor());
  return out;
}

std::int64_t sum_of_lines(const Charge& charge) {
  std::int64_t sum = 0;
  for (const ChargeLine& line : charge.lines) sum += line.amount.minor();
  return sum;
}

// Stripe's Typographic tiers: fonts 1-5 at 7 USD, 6-10 at 6.5 USD, 11+ at 6 USD.
std::vector<Tier> typographic() { return {tier("5", "7"), tier("10", "6.5"), tier(std::nullopt, "6")}; }

// Stripe's flat-rate tiers: 1-5 at 5 USD + 10 USD, 6-10 at 4 + 20, 10-15 at 3 + 30, 15-20 at 2 + 40, 20+ at 1 + 50.
std::vector<Tier> stripe_flat_rates() {
  return {tier("5", "5", "10"), tier("10", "4", "20"), tier("15", "3", "30"), tier("20", "2", "40"),
          tier(std::nullopt, "1", "50")};
}

// Stripe's fonts, 1, 5, 6, 20 and 25, charged by `price`: the amounts of charge() and amount(), which agree.
std::vector<Money> typographic_totals(const Price& price) {
  std::vector<Money> out;
  for (const char* fonts : {"1", "5", "6", "20", "25"}) {
    const Money amount = price.charge(d(fonts)).amount;
    CHECK(price.amount(d(fonts)) == amount);
    out.push_back(amount);
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------ the published examples

TEST_CASE("Stripe, tiered pricing, volume: 1 -> 7, 5 -> 35, 6 -> 39, 20 -> 120, 25 -> 150 USD") {
  // https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing, "Volume-based pricing": tiers 1-5 at
  // 7 USD, 6-10 at 6.5 USD, 11+ at 6 USD; "a customer with 5 fonts is charged 35 USD (5 x 7 USD) ... 6 fonts ...
  // 39 USD (6 x 6.5 USD)", and the table of totals.
  const Price price = Price::volume(typographic(), k_usd);
  CHECK(typographic_totals(price) == std::vector<Money>{usd("7"), usd("35"), usd("39"), usd("120"), usd("150")});
  const Charge six = price.charge(d("6"));
  REQUIRE(six.lines.size() == 1);  // the whole quantity at one tier's unit price
  CHECK(six.lines[0].quantity == d("6"));
  CHECK(six.lines[0].tier == 1u);
  CHECK(six.lines[0].unit_price == d("6.5"));
  CHECK(six.lines[0].start == d("5"));
  CHECK(six.lines[0].up_to == d("10"));
}

TEST_CASE("Stripe, tiered pricing, graduated: 1 -> 7, 5 -> 35, 6 -> 41.5, 20 -> 127.5, 25 -> 157.5 USD") {
  // https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing, "Graduated pricing": the same tiers;
  // "They charge a customer with 6 fonts 41.5 USD, 35 USD for the first 5 fonts and 6.5 USD for the 6th font",
  // and the table of totals.
  const Price price = Price::graduated(typographic(), k_usd);
  CHECK(typographic_totals(price) ==
        std::vector<Money>{usd("7"), usd("35"), usd("41.5"), usd("127.5"), usd("157.5")});
  const Charge six = price.charge(d("6"));
  CHECK(line_minors(six) == std::vector<std::int64_t>{3500, 650});
  CHECK(six.lines[0].quantity == d("5"));
  CHECK(six.lines[1].quantity == d("1"));
  CHECK(six.lines[1].start == d("5"));
  const Charge twenty = price.charge(d("20"));  // 5 x 7 + 5 x 6.5 + 10 x 6
  CHECK(line_minors(twenty) == std::vector<std::int64_t>{3500, 3250, 6000});
  CHECK(!twenty.lines[2].up_to);
}

TEST_CASE("Stripe, tiered pricing, flat rates: volume 12 -> 66 USD, graduated 12 -> 111 USD, 0 -> 10 USD") {
  // https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing, "Add a flat rate": 1-5 at 5 USD + 10 USD
  // flat, 6-10 at 4 + 20, 10-15 at 3 + 30, 15-20 at 2 + 40, 20+ at 1 + 50. "If quantity is 12 and
  // tiers_mode=volume ... 12 x 3 USD + 30 USD = 66 USD"; "tiers_mode=graduated ... (5 x 5 USD + 10 USD) +
  // (5 x 4 USD + 20 USD) + (2 x 3 USD + 30 USD) = 111 USD"; "If quantity is 0, the total amount is 10 USD
  // regardless of the tiered pricing model used. Stripe always bills the first flat rate tier".
  const Price volume = Price::volume(stripe_flat_rates(), k_usd);
  const Price graduated = Price::graduated(stripe_flat_rates(), k_usd);
  CHECK(volume.charge(d("12")).amount == usd("66"));
  const Charge twelve = graduated.charge(d("12"));
  CHECK(twelve.amount == usd("111"));
  CHECK(line_minors(twelve) == std::vector<std::int64_t>{3500, 4000, 3600});
  CHECK(twelve.lines[2].flat_fee == d("30"));
  CHECK(volume.charge(d("0")).amount == usd("10"));
  CHECK(graduated.charge(d("0")).amount == usd("10"));
  CHECK(graduated.charge(d("0")).lines.size() == 1);
}

TEST_CASE("Stripe, transform quantities: 10 USD an hour, rounded up, 150 minutes -> 30 USD") {
  // https://docs.stripe.com/billing/subscriptions/usage-based/manage-billing, "Transform quantities":
  // unit_amount=1000, divide_by=60, round=up; "If a customer rents the car for 150 minutes, that customer is
  // charged 30 USD for 3 hours of rental (2 hours and 30 minutes, rounded up)".
  const Price hourly = Price::package(d("60"), usd("10"));
  const Charge rental = hourly.charge(d("150"));
  CHECK(rental.amount == usd("30"));
  REQUIRE(rental.lines.size() == 1);
  CHECK(rental.lines[0].kind == LineKind::packages);
  CHECK(rental.lines[0].quantity == d("3"));
  CHECK(rental.lines[0].unit_price == d("10"));
  // round=down drops the started hour.
  CHECK(Price::package(d("60"), usd("10"), {.round_up = false}).charge(d("150")).amount == usd("20"));
}

TEST_CASE("Lago, standard charge model: 0.05 USD a call, 1,000 calls -> 50 USD") {
  // https://doc.getlago.com/docs/guide/plans/charges, "Standard charge model": "charges $0.05 per API call ...
  // If a customer makes 1,000 API calls during the billing period, the total invoice amount will be
  // $0.05 x 1,000 API calls = $50".
  CHECK(Price::per_unit(d("0.05"), k_usd).charge(d("1000")).amount == usd("50"));
}

TEST_CASE("Lago, graduated: 1 USD for the first 100 units, 0.50 for the next 100, 0.10 beyond") {
  // https://getlago.com/docs/guide/plans/charges/charge-models/graduated: "$1 per unit for the first 100 units
  // (first 100 API calls), then $0.50 per unit for the next 100 calls and finally, $0.10 for any additional
  // unit". The page gives no total; 250 units are 100 + 50 + 5 = 155 USD by those tiers.
  const Price price = Price::graduated({tier("100", "1"), tier("200", "0.50"), tier(std::nullopt, "0.10")}, k_usd);
  const Charge charge = price.charge(d("250"));
  CHECK(charge.amount == usd("155"));
  CHECK(line_minors(charge) == std::vector<std::int64_t>{10000, 5000, 500});
}

TEST_CASE("Lago, volume: 65,000 calls at 0.0006 USD + 10 USD -> 49 USD") {
  // https://getlago.com/docs/guide/plans/charges/charge-models/volume: tiers 0-10,000 at $0.0010, 10,001-50,000
  // at $0.0008, 50,001-100,000 at $0.0006, 100,001+ at $0.0004, each with a $10 fee; "65,000 API calls would
  // cost 65,000 x $0.0006 + $10 = $49".
  const Price price = Price::volume({tier("10000", "0.0010", "10"), tier("50000", "0.0008", "10"),
                                     tier("100000", "0.0006", "10"), tier(std::nullopt, "0.0004", "10")},
                                    k_usd);
  const Charge charge = price.charge(d("65000"));
  CHECK(charge.amount == usd("49"));
  REQUIRE(charge.lines.size() == 1);
  CHECK(charge.lines[0].tier == 2u);
}

TEST_CASE("Lago, package: 5 USD per 100 units, the first 100 free, 201 units -> 10 USD") {
  // https://getlago.com/docs/guide/plans/charges/charge-models/package: "charge $5 per 100 units and offer the
  // first 100 units. In this example, 201 units would cost $0 (first 100 units) + $5 (next 100 units) + $5
  // (last unit) = $10".
  const Price price = Price::package(d("100"), usd("5"), {.free_units = d("100")});
  const Charge charge = price.charge(d("201"));
  CHECK(charge.amount == usd("10"));
  REQUIRE(charge.lines.size() == 2);
  CHECK(charge.lines[0].kind == LineKind::free_units);
  CHECK(charge.lines[0].quantity == d("100"));
  CHECK(charge.lines[0].amount == usd("0"));
  CHECK(charge.lines[1].quantity == d("2"));
  CHECK(charge.lines[1].amount == usd("10"));
}

TEST_CASE("Lago, percentage: 1.2% + 0.10 USD on a 50 USD transaction -> 0.70 USD") {
  // https://getlago.com/docs/guide/plans/charges/charge-models/percentage: a rate of 1.2% and a fixed fee of
  // $0.10 per transaction; "for the fourth transaction [of $50], the charge will be $0.10 x 1 event + 1.2% of
  // $50 = $0.70".
  const Price price = Price::percentage(d("0.012"), k_usd, {.fixed_fee = usd("0.10")});
  const Charge charge = price.charge(d("50"));
  CHECK(charge.amount == usd("0.70"));
  REQUIRE(charge.lines.size() == 1);
  CHECK(charge.lines[0].kind == LineKind::percentage);
  CHECK(charge.lines[0].unit_price == d("0.012"));
  CHECK(charge.lines[0].flat_fee == d("0.10"));
}

TEST_CASE("Lago, graduated percentage: 205.00, 306.00 and 80.00 USD as the period's total grows") {
  // https://getlago.com/docs/guide/plans/charges/charge-models/graduated-percentage: 0-1,000 at 1% + $200,
  // 1,001-10,000 at 2% + $300, 10,001+ at 3% + $400. "A first transaction at $500 would cost (500 units x 1%) +
  // $200 flat fee = $205.00; A second transaction at $550 would cost [(500 units x 1%) + (50 units x 2%)] + $300
  // flat fee = $306.00; A third transaction at $4,000 would cost (4,000 x 2%) = $80.00". The tiers count the
  // period's running total, so each transaction costs the graduated charge of the new total less the old one.
  const Price price =
      Price::graduated({tier("1000", "0.01", "200"), tier("10000", "0.02", "300"), tier(std::nullopt, "0.03", "400")},
                       k_usd);
  const Money after_first = price.amount(d("500"));
  const Money after_second = price.amount(d("1050"));
  const Money after_third = price.amount(d("5050"));
  CHECK(after_first == usd("205.00"));
  CHECK(after_second - after_first == usd("306.00"));
  CHECK(after_third - after_second == usd("80.00"));
}

TEST_CASE("Lago, spending minimum: 50 USD of usage against a 100 USD minimum -> a 50 USD true-up") {
  // https://getlago.com/docs/guide/plans/charges/spending-minimum: "$0.010 per tracked users ... committed to a
  // spending minimum of $100. If the total consumption of MTUs for the period is $50, a true-up fee of $50 will
  // be charged", as its own line.
  const Price price = Price::per_unit(d("0.010"), k_usd).with_minimum(usd("100"));
  const Charge charge = price.charge(d("5000"));
  CHECK(charge.amount == usd("100"));
  REQUIRE(charge.lines.size() == 2);
  CHECK(charge.lines[0].amount == usd("50"));
  CHECK(charge.lines[1].kind == LineKind::minimum_true_up);
  CHECK(charge.lines[1].amount == usd("50"));
  CHECK(price.charge(d("20000")).lines.size() == 1);  // 200 USD of usage: no true-up
}

// ---------------------------------------------------------------------------------------------- the models

TEST_CASE("per unit: sub-cent unit prices, fractional quantities, one rounding") {
  const Price calls = Price::per_unit(d("0.00025"), k_usd);
  CHECK(calls.charge(d("1200")).amount == usd("0.30"));
  CHECK(calls.charge(d("1")).amount == usd("0"));       // 0.00025 rounds to 0.00
  CHECK(calls.charge(d("20")).amount == usd("0.00"));   // 0.005: half-even to 0.00
  CHECK(calls.charge(d("60")).amount == usd("0.02"));   // 0.015: half-even to 0.02
  const Price storage = Price::per_unit(d("0.023"), k_usd);  // per GB-hour
  const Charge month = storage.charge(d("730.5"));         // 16.8015
  CHECK(month.amount == usd("16.80"));
  REQUIRE(month.lines.size() == 1);
  CHECK(month.lines[0].kind == LineKind::units);
  CHECK(month.lines[0].quantity == d("730.5"));
  CHECK(month.lines[0].unit_price == d("0.023"));
  CHECK(!month.lines[0].tier);
  const Price twelve_places = Price::per_unit(d("0.000000000001"), k_usd);
  CHECK(twelve_places.charge(d("10000000000")).amount == usd("0.01"));
  CHECK(Price::per_unit(d("1.5"), Currency("JPY")).charge(d("3")).amount == Money(d("4"), Currency("JPY")));  // 4.5
  CHECK(Price::per_unit(d("0.0005"), Currency("BHD")).charge(d("3")).amount == Money(d("0.002"), Currency("BHD")));
}

TEST_CASE("graduated: boundaries, fractions and tiers not reached") {
  const Price price = Price::graduated(typographic(), k_usd);
  CHECK(price.charge(d("5")).lines.size() == 1);   // exactly the first up_to: the second tier is not reached
  CHECK(price.charge(d("5.5")).lines.size() == 2);
  CHECK(price.charge(d("5.5")).amount == usd("38.25"));  // 35 + 0.5 x 6.5
  CHECK(price.charge(d("10")).amount == usd("67.50"));
  CHECK(price.charge(d("0")).amount == usd("0"));
  CHECK(price.charge(d("0")).lines.size() == 1);
  const Price fractional =
      Price::graduated({tier("0.5", "2"), tier("1.25", "1"), tier(std::nullopt, "0.5")}, k_usd);  // GB-hours
  const Charge charge = fractional.charge(d("2"));  // 0.5 x 2 + 0.75 x 1 + 0.75 x 0.5
  CHECK(line_minors(charge) == std::vector<std::int64_t>{100, 75, 38});  // 0.375 -> 0.38 (half-even: 37.5 -> 38)
  CHECK(charge.lines[1].quantity == d("0.75"));
  CHECK(charge.amount == usd("2.13"));
  const Price one = Price::graduated({tier(std::nullopt, "3", "1")}, k_usd);  // one tier: per unit plus a fee
  CHECK(one.charge(d("4")).amount == usd("13"));
}

TEST_CASE("volume: the quantity picks one tier, the last when it passes every up_to") {
  const Price price = Price::volume(typographic(), k_usd);
  CHECK(price.charge(d("5")).lines[0].tier == 0u);
  CHECK(price.charge(d("5.01")).lines[0].tier == 1u);
  CHECK(price.charge(d("10")).lines[0].tier == 1u);
  CHECK(price.charge(d("1000000")).lines[0].tier == 2u);
  CHECK(price.charge(d("1000000")).amount == usd("6000000"));
}

TEST_CASE("package: rounding up or down, free units, a quantity within the free units") {
  const Price price = Price::package(d("100"), usd("5"), {.free_units = d("100")});
  CHECK(price.charge(d("0")).amount == usd("0"));
  CHECK(price.charge(d("50")).lines[0].quantity == d("50"));  // the free line shows what was free
  CHECK(price.charge(d("100")).amount == usd("0"));
  CHECK(price.charge(d("100.001")).amount == usd("5"));
  CHECK(price.charge(d("300")).amount == usd("10"));
  const Price down = Price::package(d("100"), usd("5"), {.round_up = false});
  CHECK(down.charge(d("99")).amount == usd("0"));
  CHECK(down.charge(d("199.9")).amount == usd("5"));
  CHECK(down.charge(d("199.9")).lines.size() == 1);  // no free units, no free line
  const Price half_gb = Price::package(d("0.5"), usd("0.01"));
  CHECK(half_gb.charge(d("1.2")).amount == usd("0.03"));
}

TEST_CASE("percentage: the quantity is the transaction's amount; minimum and maximum per transaction") {
  // Stripe's online card fee, 2.9% + 0.30 USD (https://getlago.com/docs/templates/per-transaction/stripe).
  const Price card = Price::percentage(d("0.029"), k_usd, {.fixed_fee = usd("0.30")});
  CHECK(card.charge(d("100")).amount == usd("3.20"));
  CHECK(card.charge(d("0")).amount == usd("0.30"));
  CHECK(card.charge(d("10.01")).amount == usd("0.59"));  // 0.29029 + 0.30
  const Price bounded =
      Price::percentage(d("0.01"), k_usd, {.minimum = usd("0.50"), .maximum = usd("5.00")});
  const Charge small = bounded.charge(d("20"));  // 0.20, raised to 0.50
  CHECK(small.amount == usd("0.50"));
  REQUIRE(small.lines.size() == 2);
  CHECK(small.lines[1].kind == LineKind::transaction_minimum);
  CHECK(small.lines[1].amount == usd("0.30"));
  const Charge large = bounded.charge(d("1000"));  // 10.00, lowered to 5.00
  CHECK(large.amount == usd("5.00"));
  CHECK(large.lines[1].kind == LineKind::transaction_maximum);
  CHECK(large.lines[1].amount == usd("-5.00"));
  CHECK(large.lines[1].unit_price == d("-5.00"));
  CHECK(bounded.charge(d("100")).lines.size() == 1);  // 1.00: within the bounds
  CHECK(Price::percentage(d("1"), k_usd).charge(d("12.34")).amount == usd("12.34"));
  CHECK(Price::percentage(d("0"), k_usd).charge(d("12.34")).amount == usd("0"));
}

TEST_CASE("flat: the fee whatever the quantity, with or without a minimum") {
  const Price plan = Price::flat(usd("49"));
  const Charge month = plan.charge(d("0"));
  CHECK(month.amount == usd("49"));
  REQUIRE(month.lines.size() == 1);
  CHECK(month.lines[0].kind == LineKind::flat);
  CHECK(month.lines[0].quantity == d("1"));
  CHECK(plan.charge(d("1000")).amount == usd("49"));
  CHECK(plan.with_minimum(usd("20")).charge(d("0")).lines.size() == 1);
  CHECK(plan.currency() == k_usd);
  CHECK(plan.model() == PriceModel::flat);
}

TEST_CASE("a minimum per period applies to every model and shows the true-up as its own line") {
  const Price graduated = Price::graduated(typographic(), k_usd).with_minimum(usd("50"));
  const Charge charge = graduated.charge(d("6"));  // 41.50
  CHECK(charge.amount == usd("50"));
  CHECK(line_minors(charge) == std::vector<std::int64_t>{3500, 650, 850});
  CHECK(charge.lines.back().kind == LineKind::minimum_true_up);
  CHECK(graduated.charge(d("10")).lines.size() == 2);  // 67.50: above the minimum
  CHECK(Price::package(d("10"), usd("1")).with_minimum(usd("3")).charge(d("5")).amount == usd("3"));
  // A per-transaction minimum first, then the period's.
  const Price fee = Price::percentage(d("0.01"), k_usd, {.minimum = usd("0.50")}).with_minimum(usd("1"));
  const Charge both = fee.charge(d("10"));
  CHECK(both.amount == usd("1"));
  CHECK(both.lines.size() == 3);
  CHECK(graduated.period_minimum() == usd("50"));
  CHECK(!Price::graduated(typographic(), k_usd).period_minimum());
}

// ------------------------------------------------------------------------------------------------ rounding

TEST_CASE("rounding: every mode, once per line or once on the total, lines always summing to the amount") {
  // Three tiers of one unit each at 0.005 USD: each line is half a cent.
  const Price base =
      Price::graduated({tier("1", "0.005"), tier("2", "0.005"), tier(std::nullopt, "0.005")}, k_usd);
  struct Case {
    RoundingMode mode;
    std::vector<std::int64_t> per_line;  // each line rounded; the amount is their sum
    std::int64_t total;                  // 0.015 rounded once
    std::vector<std::int64_t> shared;    // the rounded total shared out
  };
  const Case cases[] = {
      {RoundingMode::half_even, {0, 0, 0}, 2, {1, 1, 0}}, {RoundingMode::half_up, {1, 1, 1}, 2, {1, 1, 0}},
      {RoundingMode::half_down, {0, 0, 0}, 1, {1, 0, 0}}, {RoundingMode::up, {1, 1, 1}, 2, {1, 1, 0}},
      {RoundingMode::down, {0, 0, 0}, 1, {1, 0, 0}},      {RoundingMode::ceiling, {1, 1, 1}, 2, {1, 1, 0}},
      {RoundingMode::floor, {0, 0, 0}, 1, {1, 0, 0}},
  };
  for (const Case& c : cases) {
    CAPTURE(to_string(c.mode));
    const Charge per_line = base.with_rounding({.mode = c.mode}).charge(d("3"));
    CHECK(line_minors(per_line) == c.per_line);
    CHECK(per_line.amount.minor() == sum_of_lines(per_line));
    const Price on_total = base.with_rounding({.mode = c.mode, .at = RoundAt::total});
    const Charge total = on_total.charge(d("3"));
    CHECK(total.amount.minor() == c.total);
    CHECK(line_minors(total) == c.shared);
    CHECK(on_total.amount(d("3")).minor() == c.total);
  }
  CHECK(base.rounding() == Rounding{});
  CHECK(base.with_rounding({.at = RoundAt::total}).rounding().at == RoundAt::total);
}

TEST_CASE("rounding on the total gives the extra minor units to the largest remainders, the earlier on a tie") {
  // Lines of 0.004, 0.003 and 0.003 USD: 0.010 in all, rounded once to 0.01, which goes to the first line.
  const Price price = Price::graduated({tier("1", "0.004"), tier("2", "0.003"), tier(std::nullopt, "0.003")}, k_usd)
                          .with_rounding({.at = RoundAt::total});
  CHECK(line_minors(price.charge(d("3"))) == std::vector<std::int64_t>{1, 0, 0});
  // 0.003, 0.004, 0.003: the second has the largest remainder.
  const Price second = Price::graduated({tier("1", "0.003"), tier("2", "0.004"), tier(std::nullopt, "0.003")}, k_usd)
                           .with_rounding({.at = RoundAt::total});
  CHECK(line_minors(second.charge(d("3"))) == std::vector<std::int64_t>{0, 1, 0});
  // Per line the same price charges nothing.
  CHECK(Price::graduated({tier("1", "0.004"), tier("2", "0.003"), tier(std::nullopt, "0.003")}, k_usd)
            .charge(d("3"))
            .amount == usd("0"));
}

TEST_CASE("package, flat and percentage charges are the same whichever way they round") {
  for (const RoundAt at : {RoundAt::line, RoundAt::total}) {
    const Rounding rounding{.mode = RoundingMode::up, .at = at};
    CHECK(Price::package(d("60"), usd("10")).with_rounding(rounding).charge(d("150")).amount == usd("30"));
    CHECK(Price::flat(usd("9.99")).with_rounding(rounding).charge(d("3")).amount == usd("9.99"));
    CHECK(Price::percentage(d("0.029"), k_usd).with_rounding(rounding).charge(d("10.01")).amount == usd("0.30"));
  }
}

// ------------------------------------------------------------------------------------------------ bad input

TEST_CASE("bad tiers are InvalidArgument naming the tier and its field") {
  const auto graduated = [](std::vector<Tier> tiers) { return Price::graduated(std::move(tiers), k_usd); };
  const auto volume = [](std::vector<Tier> tiers) { return Price::volume(std::move(tiers), k_usd); };
  for (const auto& make : {std::function<Price(std::vector<Tier>)>(graduated), std::function<Price(std::vector<Tier>)>(volume)}) {
    CHECK(field_of<InvalidArgument>([&] { (void)make({}); }) == "tiers");
    CHECK(field_of<InvalidArgument>([&] { (void)make(std::vector<Tier>(101, tier(std::nullopt, "1"))); }) ==
          "tiers");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("5", "7"), tier("5", "6"), tier(std::nullopt, "5")}); }) ==
          "tiers[1].up_to");
    CHECK(field_of<InvalidArgument>([&] {
            (void)make({tier("5", "7"), tier("10", "6"), tier("8", "5"), tier(std::nullopt, "4")});
          }) == "tiers[2].up_to");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("5", "7"), tier("10", "6")}); }) == "tiers[1].up_to");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier(std::nullopt, "7"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].up_to");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("0", "7"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].up_to");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("-1", "7"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].up_to");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("5", "7"), tier(std::nullopt, "-6")}); }) ==
          "tiers[1].unit_price");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("5", "7", "-1"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].flat_fee");
    CHECK(field_of<InvalidAmount>([&] { (void)make({tier("5", "0.0000000000001"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].unit_price");
    CHECK(field_of<InvalidAmount>([&] { (void)make({tier("5.0000000000001", "1"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].up_to");
    CHECK(field_of<InvalidArgument>([&] { (void)make({tier("1000000000000000001", "1"), tier(std::nullopt, "6")}); }) ==
          "tiers[0].up_to");
  }
  // Trailing zeros are not places; 100 tiers are allowed.
  CHECK_NOTHROW((void)graduated({tier("5", "0.0000000000010000"), tier(std::nullopt, "6")}));
  std::vector<Tier> hundred;
  for (int i = 1; i < 100; ++i) hundred.push_back(tier(std::to_string(i).c_str(), "1"));
  hundred.push_back(tier(std::nullopt, "1"));
  CHECK(graduated(hundred).charge(d("150")).lines.size() == 100);
}

TEST_CASE("bad per-unit, package, percentage, flat and minimum terms name their field") {
  CHECK(field_of<InvalidArgument>([] { (void)Price::per_unit(d("-0.01"), k_usd); }) == "unit_price");
  CHECK(field_of<InvalidAmount>([] { (void)Price::per_unit(d("0.0000000000001"), k_usd); }) == "unit_price");
  CHECK(field_of<InvalidArgument>([] { (void)Price::per_unit(d("1000000000000000001"), k_usd); }) == "unit_price");
  CHECK(field_of<InvalidArgument>([] { (void)Price::package(d("0"), usd("5")); }) == "size");
  CHECK(field_of<InvalidArgument>([] { (void)Price::package(d("-1"), usd("5")); }) == "size");
  CHECK(field_of<InvalidAmount>([] { (void)Price::package(d("0.0000000000001"), usd("5")); }) == "size");
  CHECK(field_of<InvalidArgument>([] { (void)Price::package(d("10"), usd("-5")); }) == "price");
  CHECK(field_of<InvalidArgument>([] { (void)Price::package(d("10"), usd("5"), {.free_units = d("-1")}); }) ==
        "free_units");
  CHECK(field_of<InvalidArgument>([] { (void)Price::percentage(d("-0.01"), k_usd); }) == "rate");
  CHECK(field_of<InvalidArgument>([] { (void)Price::percentage(d("1.01"), k_usd); }) == "rate");
  CHECK(field_of<InvalidAmount>([] { (void)Price::percentage(d("0.0000000000001"), k_usd); }) == "rate");
  CHECK(field_of<InvalidArgument>([] { (void)Price::percentage(d("0.01"), k_usd, {.fixed_fee = usd("-0.10")}); }) ==
        "fixed_fee");
  CHECK(field_of<InvalidArgument>([] {
          (void)Price::percentage(d("0.01"), k_usd, {.minimum = usd("2"), .maximum = usd("1")});
        }) == "maximum");
  CHECK_NOTHROW((void)Price::percentage(d("0.01"), k_usd, {.minimum = usd("1"), .maximum = usd("1")}));
  const Money euro = Money(d("1"), Currency("EUR"));
  CHECK(field_of<CurrencyMismatch>([&] { (void)Price::percentage(d("0.01"), k_usd, {.fixed_fee = euro}); }) ==
        "fixed_fee");
  CHECK(field_of<CurrencyMismatch>([&] { (void)Price::percentage(d("0.01"), k_usd, {.minimum = euro}); }) ==
        "minimum");
  CHECK(field_of<CurrencyMismatch>([&] { (void)Price::percentage(d("0.01"), k_usd, {.maximum = euro}); }) ==
        "maximum");
  CHECK(field_of<InvalidArgument>([] { (void)Price::flat(usd("-1")); }) == "amount");
  const Price price = Price::per_unit(d("1"), k_usd);
  CHECK(field_of<CurrencyMismatch>([&] { (void)price.with_minimum(euro); }) == "minimum");
  CHECK(field_of<InvalidArgument>([&] { (void)price.with_minimum(usd("-1")); }) == "minimum");
  CHECK(!price.period_minimum());  // unchanged by the refusals
}

TEST_CASE("a bad quantity is InvalidArgument or InvalidAmount naming quantity") {
  const Price price = Price::graduated(typographic(), k_usd);
  CHECK(field_of<InvalidArgument>([&] { (void)price.charge(d("-1")); }) == "quantity");
  CHECK(field_of<InvalidArgument>([&] { (void)price.amount(d("-0.000001")); }) == "quantity");
  CHECK(field_of<InvalidAmount>([&] { (void)price.charge(d("1.0000000000001")); }) == "quantity");
  CHECK(field_of<InvalidArgument>([&] { (void)price.charge(d("1000000000000000000.000000000001")); }) == "quantity");
  CHECK(price.charge(d("1.0000000000000000")).amount == usd("7"));  // trailing zeros are not places
  CHECK_NOTHROW((void)Price::flat(usd("1")).charge(d("1000000000000000000")));
}

// ------------------------------------------------------------------------------------------------ overflow

TEST_CASE("overflow is an error naming quantity, never a wrap, at every edge") {
  const Currency jpy("JPY");
  const Decimal most(k_max_price_value);
  // 10^18 yen fits Money (2^63 - 1 is about 9.2 x 10^18); ten times it does not.
  CHECK(Price::per_unit(d("1"), jpy).charge(most).amount.minor() == k_max_price_value);
  CHECK(field_of<Overflow>([&] { (void)Price::per_unit(d("10"), jpy).charge(most); }) == "quantity");
  CHECK(field_of<Overflow>([&] { (void)Price::per_unit(most, k_usd).charge(most); }) == "quantity");
  CHECK(field_of<Overflow>([&] { (void)Price::per_unit(most, k_usd).amount(most); }) == "quantity");
  // Each of two tiers fits Money, their sum does not.
  const Price two = Price::graduated({tier("500000000000000000", "10"), tier(std::nullopt, "10")}, jpy);
  CHECK(Price::graduated({tier("500000000000000000", "10"), tier(std::nullopt, "0")}, jpy).charge(most).amount.minor() ==
        5'000'000'000'000'000'000);
  CHECK(field_of<Overflow>([&] { (void)two.charge(most); }) == "quantity");
  CHECK(field_of<Overflow>([&] { (void)two.with_rounding({.at = RoundAt::total}).charge(most); }) == "quantity");
  // Packages: 10^18 packages of 10 yen.
  CHECK(field_of<Overflow>([&] { (void)Price::package(d("1"), Money(d("10"), jpy)).charge(most); }) == "quantity");
  CHECK(Price::package(d("1"), Money(d("0"), jpy)).charge(most).amount.minor() == 0);
  // A flat fee of the most Money, then a minimum of it: no wrap anywhere.
  const Money largest = Money::from_minor(Money::k_max_minor, k_usd);
  CHECK(Price::flat(largest).charge(d("0")).amount == largest);
  CHECK(Price::per_unit(d("0"), k_usd).with_minimum(largest).charge(d("5")).amount == largest);
}

TEST_CASE("a unit of 18 places charges exactly through the wide path") {
  // S = 18 places: quantity x unit price x 10^18 passes 128 bits, and 1.5 units are 1.5 x 10^18 minor units.
  const Currency unit = Currency::register_unit("PRICING_TEST_18", 18, "Pricing test unit");
  CHECK(Price::per_unit(d("0.5"), unit).charge(d("3")).amount.minor() == 1'500'000'000'000'000'000);
  CHECK(Price::per_unit(d("0.000001"), unit).charge(d("0.000001")).amount.minor() == 1'000'000);  // 10^-12
  CHECK(field_of<Overflow>([&] { (void)Price::per_unit(d("10"), unit).charge(d("1")); }) == "quantity");
}

TEST_CASE("a line whose exact amount passes 128 bits on the way is still exact") {
  // (10^17 + 10^-12) x (1 + 10^-12) = 10^17 + 10^5 + 10^-12 + 10^-24: the scaled product is about 10^41.
  const Currency jpy("JPY");
  const Price price = Price::per_unit(d("1.000000000001"), jpy);
  CHECK(price.charge(d("100000000000000000.000000000001")).amount.minor() == 100'000'000'000'100'000);
  const Price up = price.with_rounding({.mode = RoundingMode::up});
  CHECK(up.charge(d("100000000000000000.000000000001")).amount.minor() == 100'000'000'000'100'001);
  const Price total = up.with_rounding({.mode = RoundingMode::up, .at = RoundAt::total});
  CHECK(total.charge(d("100000000000000000.000000000001")).amount.minor() == 100'000'000'000'100'001);
}

// -------------------------------------------------------------------------------- against the Decimal reference

TEST_CASE("random prices and quantities charge what Decimal arithmetic says, in every mode") {
  std::mt19937_64 random(20261122);
  const auto number = [&](int max_integer_digits, int max_places) {
    const int places = static_cast<int>(random() % static_cast<unsigned>(max_places + 1));
    std::uint64_t limit = 1;
    for (int i = 0; i < max_integer_digits + places; ++i) limit *= 10;
    return Decimal::from_coefficient(static_cast<std::int64_t>(random() % limit), places);
  };
  for (int round = 0; round < 400; ++round) {
    const Currency currency(round % 3 == 0 ? "JPY" : (round % 3 == 1 ? "USD" : "BHD"));
    std::vector<Tier> tiers;
    Decimal bound;
    const std::size_t count = 1 + random() % 5;
    for (std::size_t i = 0; i < count; ++i) {
      Tier t{.unit_price = number(2, 6), .flat_fee = number(1, 3)};
      if (i + 1 < count) {
        bound = bound + number(3, 2) + Decimal::parse("0.01");
        t.up_to = bound;
      }
      tiers.push_back(t);
    }
    const RoundingMode mode = k_rounding_modes[random() % 7];
    const Decimal quantity = number(4, 3);
    CAPTURE(quantity.to_string());
    // Graduated, per line: each tier's part x its price + its fee, rounded once by Money's own constructor.
    const Price graduated = Price::graduated(tiers, currency).with_rounding({.mode = mode});
    Decimal start;
    std::int64_t expected = 0;
    Decimal exact_total;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      if (i > 0 && quantity <= start) break;
      const Decimal upper = tiers[i].up_to && *tiers[i].up_to < quantity ? *tiers[i].up_to : quantity;
      const Decimal exact = (upper - start) * tiers[i].unit_price + tiers[i].flat_fee;
      expected += Money(exact, currency, mode).minor();
      exact_total = exact_total + exact;
      if (!tiers[i].up_to || quantity <= *tiers[i].up_to) break;
      start = *tiers[i].up_to;
    }
    const Charge charge = graduated.charge(quantity);
    CHECK(charge.amount.minor() == expected);
    CHECK(sum_of_lines(charge) == expected);
    CHECK(graduated.amount(quantity).minor() == expected);
    // The same on the total: the exact sum rounded once, the lines sharing it exactly.
    const Price on_total = graduated.with_rounding({.mode = mode, .at = RoundAt::total});
    const Charge total = on_total.charge(quantity);
    CHECK(total.amount == Money(exact_total, currency, mode));
    CHECK(sum_of_lines(total) == total.amount.minor());
    // Volume: the whole quantity at the tier it picks.
    std::size_t picked = 0;
    while (picked + 1 < tiers.size() && quantity > *tiers[picked].up_to) ++picked;
    const Price volume = Price::volume(tiers, currency).with_rounding({.mode = mode});
    CHECK(volume.charge(quantity).amount ==
          Money(quantity * tiers[picked].unit_price + tiers[picked].flat_fee, currency, mode));
  }
}

// ----------------------------------------------------------------------------------------- values and threads

TEST_CASE("prices are values: equal by value, copies charge alike, the terms read back") {
  const Price a = Price::graduated(typographic(), k_usd);
  const Price b = Price::graduated({tier("5.0", "7.00"), tier("10", "6.50"), tier(std::nullopt, "6")}, k_usd);
  CHECK(a == b);
  CHECK(a.charge(d("7")) == b.charge(d("7")));
  CHECK(a != a.with_minimum(usd("1")));
  CHECK(a != a.with_rounding({.mode = RoundingMode::up}));
  CHECK(a != Price::volume(typographic(), k_usd));
  CHECK(a.model() == PriceModel::graduated);
  CHECK(a.tiers().size() == 3);
  CHECK(std::get<GraduatedTerms>(a.terms()).tiers[1].unit_price == d("6.5"));
  CHECK(Price::per_unit(d("1"), k_usd).tiers().empty());
  CHECK(std::get<PackageTerms>(Price::package(d("60"), usd("10")).terms()).round_up);
  CHECK(to_string(PriceModel::percentage) == "percentage");
  CHECK(to_string(RoundAt::total) == "total");
  CHECK(to_string(LineKind::minimum_true_up) == "minimum_true_up");
}

TEST_CASE("amount() allocates nothing; one price charges from many threads at once") {
  const Price price = Price::graduated(stripe_flat_rates(), k_usd);
  const std::size_t before = billing::test::allocations_on_this_thread();
  Money total = Money::zero(k_usd);
  for (int i = 0; i < 100; ++i) total += price.amount(Decimal(i));
  CHECK(billing::test::allocations_on_this_thread() == before);
  CHECK(total.is_zero() == false);
  std::vector<std::thread> threads;
  std::vector<std::int64_t> sums(4, 0);
  for (std::size_t t = 0; t < sums.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) sums[t] += price.charge(Decimal(i % 50)).amount.minor();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::int64_t sum : sums) CHECK(sum == sums[0]);
}
