// Subscriptions, invoices and the billing run: customers on monthly plans (one anchored on the 31st, one with a
// trial), API usage priced with graduated tiers, a prorated upgrade, and three months billed by the billing run,
// which a second run for the same date leaves alone. On an embedded SQLite file, with a manual clock.
#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string>

using namespace billing;

namespace {

Timestamp day(int month, int d) { return Timestamp::parse(fmt::format("2026-{:02}-{:02}T00:00:00Z", month, d)); }
Money usd(const char* amount) { return Money::parse(std::string(amount) + " USD"); }
std::string date(Timestamp t) { return t.to_string().substr(5, 5); }

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() / "billing_cycle_example.db";
  std::filesystem::remove(path);
  auto clock = std::make_shared<ManualClock>(day(1, 1));
  Books books(open_sqlite(path.string()), clock, std::make_shared<SequentialIds>(""));

  (void)books.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count});
  const Price tiers = Price::graduated({Tier{.up_to = Decimal(1000), .unit_price = Decimal(0)},
                                        Tier{.unit_price = Decimal::parse("0.002")}},
                                       Currency("USD"));
  (void)books.plans().create({.code = "starter", .currency = Currency("USD"), .flat_fee = usd("29.00"),
                              .charges = {{"api_calls", tiers}}});
  (void)books.plans().create({.code = "team", .currency = Currency("USD"), .flat_fee = usd("99.00"),
                              .charges = {{"api_calls", tiers}}});
  for (const char* customer : {"acme", "globex", "initech"}) {
    (void)books.accounts().create({.id = AccountId(customer), .currency = Currency("USD"), .name = customer});
  }
  (void)books.subscriptions().create(
      {.id = SubscriptionId("sub-acme"), .account_id = AccountId("acme"), .plan = "starter", .start = day(1, 31)});
  (void)books.subscriptions().create(
      {.id = SubscriptionId("sub-globex"), .account_id = AccountId("globex"), .plan = "starter", .start = day(2, 1)});
  (void)books.subscriptions().create({.id = SubscriptionId("sub-initech"), .account_id = AccountId("initech"),
                                      .plan = "starter", .start = day(2, 1), .trial_days = 14});
  fmt::print("subscriptions (acme is anchored on the 31st: it bills on 02-28, then on 03-31):\n");
  for (const Subscription& s : books.subscriptions().list().items) {
    fmt::print("  {:<12} {:<9} period {} to {}\n", s.id.str(), to_string(s.status), date(s.current_period_start),
               date(s.current_period_end));
  }

  // API calls in February and March: globex makes 1,800 a month, acme 400.
  for (int month : {2, 3}) {
    clock->set(day(month, 20));
    std::vector<UsageEvent> events;
    for (int i = 0; i < 1800; ++i) {
      events.push_back({.id = fmt::format("g{}-{}", month, i), .meter = "api_calls", .subject = "globex",
                        .quantity = Decimal(1), .at = day(month, 10)});
    }
    for (int i = 0; i < 400; ++i) {
      events.push_back({.id = fmt::format("a{}-{}", month, i), .meter = "api_calls", .subject = "acme",
                        .quantity = Decimal(1), .at = day(month, 12)});
    }
    (void)books.usage().record_batch(events);
  }

  for (int month : {3, 4, 5}) {
    clock->set(day(month, 1));
    const BillingReport report = books.billing().run(day(month, 1));
    fmt::print("billing run on {}: {} periods billed, {} trial ended, {} USD\n", date(day(month, 1)),
               report.subscriptions_billed, report.trials_ended,
               report.totals.contains("USD") ? report.totals.at("USD").amount().to_string() : "0");
    if (month == 3) {  // globex upgrades half-way through March: 16 of March's 31 days are left
      clock->set(day(3, 16));
      const SubscriptionChange change =
          books.subscriptions().change_plan(SubscriptionId("sub-globex"), "team", Proration::by_seconds);
      fmt::print("globex upgrades to team on 03-16: {} and {}\n", change.adjustments.at(0).amount.to_string(),
                 change.adjustments.at(1).amount.to_string());
    }
  }
  const BillingReport rerun = books.billing().run(day(5, 1));
  fmt::print("billing run on 05-01 again: {} periods billed\n", rerun.subscriptions_billed);

  std::vector<Invoice> invoices = books.invoices().list(std::nullopt, std::nullopt, std::nullopt, 1000).items;
  std::sort(invoices.begin(), invoices.end(),
            [](const Invoice& a, const Invoice& b) { return a.number.value_or(0) < b.number.value_or(0); });
  fmt::print("invoices:\n");
  bool gapless = true;
  for (std::size_t i = 0; i < invoices.size(); ++i) {
    const Invoice& invoice = invoices[i];
    gapless = gapless && invoice.number == i + 1;
    fmt::print("  {} {:<8} {} to {} {:<5} {:>10}\n", invoice_number(invoice.number.value_or(0)),
               invoice.account_id.str(), date(invoice.period_start), date(invoice.period_end),
               to_string(invoice.status), invoice.total.to_string());
    for (const InvoiceLine& line : invoice.lines) {
      fmt::print("      {:<10} {:<44} {:>10}\n", to_string(line.kind), line.description, line.amount.to_string());
    }
  }
  const VerifyReport verified = books.ledger().verify();
  fmt::print("ledger verify: {}, {} entries\n", verified.ok ? "ok" : "FAILED", verified.entries_checked);
  std::filesystem::remove(path);
  return gapless && rerun.subscriptions_billed == 0 && verified.ok ? 0 : 1;
}
