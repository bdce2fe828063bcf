// A tour of the ledger on an embedded SQLite file: open accounts, post, hold and capture, reverse,
// print balances, verify the hash chain, and export a journal that ledger-cli can read.
// Run: build/examples/cpp/ledger_tour [path.db]   (default: a fresh file in the temp directory)
#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>

#include <fmt/format.h>

#include <filesystem>

using namespace billing;

namespace {

Money usd(const char* amount) { return Money(Decimal::parse(amount), Currency("USD")); }

void expect(const PostOutcome& outcome, PostResult wanted, std::string_view what) {
  fmt::print("  {:<44} -> {}\n", what, to_string(outcome.result));
  if (outcome.result != wanted) throw std::runtime_error(fmt::format("{}: expected {}", what, to_string(wanted)));
}

void print_balances(Books& books) {
  fmt::print("\n{:<18} {:>12} {:>12} {:>12} {:>12}\n", "account", "debits", "credits", "pending", "net");
  for (const Account& account : books.accounts().list().items) {
    const AccountBalance b = *books.ledger().balance(account.id);
    fmt::print("{:<18} {:>12} {:>12} {:>12} {:>12}\n", account.id, b.debits_posted.amount(), b.credits_posted.amount(),
               (b.debits_pending - b.credits_pending).amount(), b.net);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : (std::filesystem::temp_directory_path() / "billing-ledger-tour.db").string();
  std::filesystem::remove(path);
  Books books(open_sqlite(path), std::make_shared<ManualClock>(Timestamp::parse("2026-03-01T09:00:00Z")),
              std::make_shared<SequentialIds>("entry-"));
  fmt::print("Books in {}\n\nOpening accounts\n", path);

  const auto open = [&](const char* id, Side normal, AccountRequest extra = {.currency = Currency("USD")}) {
    extra.id = AccountId(id);
    extra.name = id;
    extra.normal_side = normal;
    return books.accounts().create(extra).account->id;
  };
  const AccountId bank = open("assets:bank", Side::debit);
  const AccountId wallet = open("liabilities:wallet", Side::credit,
                                {.currency = Currency("USD"), .debits_must_not_exceed_credits = true});
  const AccountId revenue = open("income:sales", Side::credit);
  fmt::print("  assets:bank, liabilities:wallet (may not go below zero), income:sales\n\nPosting\n");

  expect(books.ledger().transfer({.id = EntryId("top-up"), .debit = bank, .credit = wallet, .amount = usd("100.00"),
                                  .description = "Customer tops up the wallet"}),
         PostResult::ok, "top up 100.00");
  expect(books.ledger().transfer({.id = EntryId("top-up"), .debit = bank, .credit = wallet, .amount = usd("100.00"),
                                  .description = "Customer tops up the wallet"}),
         PostResult::exists, "the same top-up, retried");
  expect(books.ledger().transfer({.debit = wallet, .credit = revenue, .amount = usd("250.00")}),
         PostResult::exceeds_credits, "spend 250.00 from a 100.00 wallet");
  expect(books.ledger().hold({.id = EntryId("ride"), .postings = {{wallet, Side::debit, usd("30.00")},
                                                                  {revenue, Side::credit, usd("30.00")}},
                              .description = "Authorise a ride"},
                             std::chrono::minutes(30)),
         PostResult::ok, "hold 30.00 for a ride (30 minutes)");
  expect(books.ledger().post_pending(EntryId("ride"), usd("22.50")), PostResult::ok, "capture 22.50 of the hold");
  expect(books.ledger().transfer({.id = EntryId("coffee"), .debit = wallet, .credit = revenue, .amount = usd("4.20"),
                                  .description = "Coffee"}),
         PostResult::ok, "buy a coffee for 4.20");
  expect(books.ledger().reverse(EntryId("coffee")), PostResult::ok, "refund the coffee (a reversal entry)");
  expect(books.ledger().reverse(EntryId("coffee")), PostResult::already_reversed, "refund it again");

  print_balances(books);

  const VerifyReport report = books.ledger().verify();
  fmt::print("\nverify: {} ({} entries, {} postings, {} accounts), head {}\n", report.ok ? "ok" : report.problem,
             report.entries_checked, report.postings_checked, report.accounts_checked,
             to_hex(report.head_hash).substr(0, 16));
  fmt::print("\nledger-cli journal:\n{}", books.ledger().export_journal(ExportFormat::ledger));
  return report.ok ? 0 : 1;
}
