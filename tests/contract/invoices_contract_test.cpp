// The invoice repository on every adapter: every field round-trips (lines with a realistic tier breakdown from
// Price::charge, decimals keeping all their places), an id and a (subscription, period start) are each held by
// one invoice, find_for_period() finds it, update() replaces a row at exactly the next version and refuses a change
// of identity, a change of lines or totals after DRAFT, a status move the table forbids (all 25 pairs walked) and
// a number that is not the next of the gapless sequence, leaving the row as it was; list() pages by account and
// status in id order, count_open_finalized_before() counts the overdue, and a unit of work that does not commit
// leaves nothing behind, not even a number. The invoice rules themselves are in the invoice service's own suite.
#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/price.hpp"
#include "billing/storage/invoice_repository.hpp"
#include "billing/storage/subscription_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::usd;

namespace {

const Timestamp k_start = Timestamp::parse("2026-01-31T09:30:00.000001Z");
const Timestamp k_end = Timestamp::parse("2026-02-28T09:30:00.000001Z");
const Timestamp k_created = Timestamp::parse("2026-02-28T10:00:00.000007Z");
const Timestamp k_finalized = k_created + 1h;
const Timestamp k_closed = k_created + 48h;

constexpr int k_statuses = static_cast<int>(std::size(k_invoice_statuses));

/// Books with the accounts and subscriptions an invoice may name: accounts "acme" and "beta" in USD and "yen" in
/// JPY; subscriptions "sub-1" and "sub-2" of acme and "sub-b" of beta on plan "pro", "sub-yen" of yen on "yen".
struct Area {
  test::Fixture f;

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    (void)f.open("acme");
    (void)f.open("beta");
    (void)f.open("yen", "JPY");
    REQUIRE(f.books->plans().create({.code = "pro", .currency = Currency("USD"), .flat_fee = usd("49.00")}).ok());
    REQUIRE(f.books->plans()
                .create({.code = "yen", .currency = Currency("JPY"), .flat_fee = Money::parse("5000 JPY")})
                .ok());
    UnitOfWork work(store(), Access::write);
    for (const auto& [id, account] : {std::pair<const char*, const char*>{"sub-1", "acme"},
                                      {"sub-2", "acme"},
                                      {"sub-b", "beta"},
                                      {"sub-yen", "yen"}}) {
      const bool yen = std::string_view(account) == "yen";
      REQUIRE(work->subscriptions().insert(Subscription{.id = SubscriptionId(id),
                                                        .account_id = AccountId(account),
                                                        .plan = yen ? "yen" : "pro",
                                                        .period_plan = yen ? "yen" : "pro",
                                                        .running_plan = yen ? "yen" : "pro",
                                                        .currency = Currency(yen ? "JPY" : "USD"),
                                                        .interval = PlanInterval::month,
                                                        .status = SubscriptionStatus::active,
                                                        .start = k_start,
                                                        .cycle_origin = k_start,
                                                        .anchor_day = 31,
                                                        .period_index = 0,
                                                        .current_period_start = k_start,
                                                        .current_period_end = k_end,
                                                        .version = 1,
                                                        .created_at = k_start,
                                                        .updated_at = k_start}));
    }
    work.commit();
  }
  Store& store() { return *f.store; }
};

template <class Adapter>
Area area() {
  return Area(test::fixture<Adapter>());
}

/// A graduated price's charge for 12345.678 calls: three tiers reached, the first at 0.000123456789 a call, the
/// second with a flat fee, the last without an up_to.
Charge graduated_charge(Currency currency) {
  const Price price = Price::graduated(
      {{.up_to = Decimal(1000), .unit_price = Decimal::parse("0.000123456789")},
       {.up_to = Decimal(10000), .unit_price = Decimal::parse("0.00010"), .flat_fee = Decimal::parse("0.50")},
       {.unit_price = Decimal::parse("0.00005")}},
      currency);
  return price.charge(Decimal::parse("12345.678"));
}

/// A per-unit price's charge for 1234567.000001 units at 0.000123456789: one line.
Charge per_unit_charge(Currency currency) {
  return Price::per_unit(Decimal::parse("0.000123456789"), currency).charge(Decimal::parse("1234567.000001"));
}

/// Sets the subtotal, tax (at the tax rate, carried by a last tax line) and total from the lines.
void total_up(Invoice& invoice) {
  std::erase_if(invoice.lines, [](const InvoiceLine& line) { return line.kind == InvoiceLineKind::tax; });
  invoice.subtotal = Money::zero(invoice.currency);
  for (const InvoiceLine& line : invoice.lines) invoice.subtotal += line.amount;
  invoice.tax = Money::zero(invoice.currency);
  if (invoice.tax_rate) {
    invoice.tax = Money(invoice.subtotal.amount() * *invoice.tax_rate, invoice.currency, RoundingMode::half_even);
    invoice.lines.push_back({.kind = InvoiceLineKind::tax,
                             .description = "tax at " + invoice.tax_rate->to_string(),
                             .period_start = invoice.period_start,
                             .period_end = invoice.period_end,
                             .quantity = Decimal(1),
                             .unit_price = *invoice.tax_rate,
                             .amount = invoice.tax});
  }
  invoice.total = invoice.subtotal + invoice.tax;
}

/// A new DRAFT invoice of `subscription` (none when empty) on `account` for the period from k_start, with a flat
/// fee, two usage lines with their tier breakdown, a credit, and tax at 20% (written "0.200").
Invoice draft(const std::string& id, const std::string& subscription = "sub-1", const std::string& account = "acme",
              Timestamp period_start = k_start) {
  const Currency currency(account == "yen" ? "JPY" : "USD");
  const Timestamp period_end = period_start + std::chrono::hours(24 * 28);
  Charge graduated = graduated_charge(currency);
  Charge per_unit = per_unit_charge(currency);
  Invoice invoice{
      .id = InvoiceId(id),
      .account_id = AccountId(account),
      .subscription_id = subscription.empty() ? std::nullopt : std::optional(SubscriptionId(subscription)),
      .currency = currency,
      .period_start = period_start,
      .period_end = period_end,
      .status = InvoiceStatus::draft,
      .lines = {},
      .subtotal = Money::zero(currency),
      .tax_rate = Decimal::parse("0.200"),
      .tax = Money::zero(currency),
      .total = Money::zero(currency),
      .version = 1,
      .created_at = k_created,
  };
  const Money fee = currency.code() == "JPY" ? Money::parse("5000 JPY") : usd("49.00");
  invoice.lines = {
      {.kind = InvoiceLineKind::flat_fee,
       .description = "pro (month)",
       .period_start = period_start,
       .period_end = period_end,
       .quantity = Decimal(1),
       .unit_price = fee.amount(),
       .amount = fee},
      {.kind = InvoiceLineKind::usage,
       .description = "api.calls usage",
       .period_start = period_start,
       .period_end = period_end,
       .quantity = Decimal::parse("12345.678"),
       .amount = graduated.amount,
       .meter = "api.calls",
       .tiers = std::move(graduated.lines)},
      {.kind = InvoiceLineKind::usage,
       .description = "storage \xe2\x82\xac usage, half a month",
       .period_start = period_start + 1us,
       .period_end = period_end - 1us,
       .quantity = Decimal::parse("1234567.000001"),
       .unit_price = Decimal::parse("0.000123456789"),
       .amount = per_unit.amount,
       .meter = "storage.gb-hours",
       .tiers = std::move(per_unit.lines)},
      {.kind = InvoiceLineKind::adjustment,
       .description = "Unused time on basic",
       .period_start = period_start,
       .period_end = period_start,  // a point in time: the change of plan
       .quantity = Decimal(1),
       .unit_price = currency.code() == "JPY" ? Decimal(-1234) : Decimal::parse("-12.34"),
       .amount = currency.code() == "JPY" ? Money::parse("-1234 JPY") : usd("-12.34")},
  };
  total_up(invoice);
  return invoice;
}

EntryId entry(const Invoice& invoice, std::string_view step) {
  return EntryId(invoice.id.str() + ":" + std::string(step));
}

/// `invoice` moved to `to` at the next version, with what a row in `to` must carry (so that a refusal can only be
/// the table's or the number's): the next number of the books (`last_number` + 1), a finalisation time and a
/// posted entry when it needs a number and has none; a closing time when PAID, VOID or UNCOLLECTIBLE; a
/// settlement when PAID, a reversal when VOID after a posting; a DRAFT loses them all.
Invoice moved(const Invoice& invoice, InvoiceStatus to, std::uint64_t last_number) {
  Invoice next = invoice;
  next.status = to;
  next.version = invoice.version + 1;
  if (to == InvoiceStatus::draft) {
    next.number.reset();
    next.finalized_at.reset();
    next.posted_entry.reset();
  } else if (!next.number && to != InvoiceStatus::voided) {
    next.number = last_number + 1;
    next.finalized_at = k_finalized;
    next.posted_entry = entry(invoice, "finalize");
  }
  const bool closed = to == InvoiceStatus::paid || to == InvoiceStatus::voided || to == InvoiceStatus::uncollectible;
  next.closed_at = closed ? std::optional(k_closed + std::chrono::seconds(invoice.version)) : std::nullopt;
  next.settled_entry = to == InvoiceStatus::paid ? std::optional(entry(invoice, "paid")) : std::nullopt;
  next.voided_entry =
      to == InvoiceStatus::voided && next.posted_entry ? std::optional(entry(invoice, "void")) : std::nullopt;
  return next;
}

/// Updates `invoice` to `to` through `repository`, checks that it was stored, and returns the new row.
Invoice step(InvoiceRepository& repository, const Invoice& invoice, InvoiceStatus to) {
  const Invoice next = moved(invoice, to, repository.last_number());
  REQUIRE(repository.update(next));
  return next;
}

/// Stores `invoice` (a new DRAFT) and moves it to `status` through allowed steps: finalised first, unless it stays
/// a DRAFT.
Invoice stored_in(InvoiceRepository& repository, Invoice invoice, InvoiceStatus status) {
  REQUIRE(repository.insert(invoice) == InvoiceInsert::inserted);
  if (status == InvoiceStatus::draft) return invoice;
  invoice = step(repository, invoice, InvoiceStatus::open);
  if (status != InvoiceStatus::open) invoice = step(repository, invoice, status);
  REQUIRE(invoice.status == status);
  return invoice;
}

/// The field of the InvariantViolation that `write` throws in a unit of work of its own (which then rolls back),
/// or "stored" when it throws none (the unit then commits).
std::string refusal(Store& store, const std::function<void(InvoiceRepository&)>& write) {
  UnitOfWork work(store, Access::write);
  try {
    write(work->invoices());
  } catch (const InvariantViolation& e) {
    return e.field();
  }
  work.commit();
  return "stored";
}

/// The field of the InvariantViolation that update(`next`) throws, in a unit of work that then commits (so a
/// refused update must leave the unit usable), or "stored" when it throws none.
std::string update_refusal(Store& store, const Invoice& next) {
  UnitOfWork work(store, Access::write);
  std::string field = "stored";
  try {
    const bool updated = work->invoices().update(next);
    CHECK(updated);
  } catch (const InvariantViolation& e) {
    field = e.field();
  }
  work.commit();
  return field;
}

std::optional<Invoice> find(Store& store, const std::string& id) {
  UnitOfWork work(store, Access::read);
  return work->invoices().find(InvoiceId(id));
}

std::uint64_t last_number(Store& store) {
  UnitOfWork work(store, Access::read);
  return work->invoices().last_number();
}

std::vector<std::string> ids_of(const std::vector<Invoice>& invoices) {
  std::vector<std::string> out;
  for (const Invoice& invoice : invoices) out.push_back(invoice.id.str());
  return out;
}

/// Every decimal of `invoice` as text, places included: Invoice's == compares decimals by value only.
std::vector<std::string> decimal_texts(const Invoice& invoice) {
  std::vector<std::string> out;
  const auto add = [&](const std::optional<Decimal>& value) { out.push_back(value ? value->to_string() : "-"); };
  add(invoice.tax_rate);
  for (const InvoiceLine& line : invoice.lines) {
    add(line.quantity);
    add(line.unit_price);
    for (const ChargeLine& tier : line.tiers) {
      add(tier.start);
      add(tier.up_to);
      add(tier.quantity);
      add(tier.unit_price);
      add(tier.flat_fee);
    }
  }
  return out;
}

/// Every id list() gives for `filter`, page by page of `limit`.
std::vector<std::string> list_all(InvoiceRepository& repository, const InvoiceFilter& filter, std::size_t limit) {
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    const auto page = repository.list(filter, after, limit);
    CHECK(page.size() <= limit);
    for (const Invoice& invoice : page) {
      if (filter.account_id) CHECK(invoice.account_id == *filter.account_id);
      if (filter.status) CHECK(invoice.status == *filter.status);
      seen.push_back(invoice.id.str());
    }
    if (page.size() < limit) break;
    after = page.back().id.str();
  }
  return seen;
}

}  // namespace

TEST_CASE("the invoices' test data is realistic: a graduated charge of three tiers and a per-unit one") {
  const Charge graduated = graduated_charge(Currency("USD"));
  REQUIRE(graduated.lines.size() == 3);
  CHECK(graduated.lines[0].unit_price.to_string() == "0.000123456789");
  CHECK(graduated.lines[1].flat_fee.to_string() == "0.50");
  CHECK_FALSE(graduated.lines[2].up_to.has_value());
  CHECK(graduated.lines[2].tier == std::optional<std::size_t>(2));
  const Invoice invoice = draft("inv-x");
  CHECK(invoice.lines.size() == 5);
  CHECK(invoice.lines.back().kind == InvoiceLineKind::tax);
  CHECK(invoice.total == invoice.subtotal + invoice.tax);
  CHECK_FALSE(invoice.tax.is_zero());
}

CONTRACT_TEST("an invoice round-trips every field: lines with their tier breakdown, decimals with all their places") {
  auto a = area<Adapter>();
  Invoice bare = draft("inv-bare", "", "beta");  // no subscription, no lines, no tax rate: nothing to bill
  bare.lines.clear();
  bare.tax_rate.reset();
  total_up(bare);
  Invoice untaxed = draft("inv-untaxed", "sub-2");
  untaxed.tax_rate.reset();
  total_up(untaxed);
  const std::vector<Invoice> rows = {draft("inv-1"), draft("inv-yen", "sub-yen", "yen"), bare, untaxed};
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          for (const Invoice& invoice : rows) REQUIRE(r.insert(invoice) == InvoiceInsert::inserted);
        }) == "stored");
  for (const Invoice& invoice : rows) {
    CAPTURE(invoice.id.str());
    const std::optional<Invoice> found = find(a.store(), invoice.id.str());
    REQUIRE(found.has_value());
    CHECK(*found == invoice);
    CHECK(decimal_texts(*found) == decimal_texts(invoice));
  }
  CHECK(decimal_texts(rows[0]).at(0) == "0.200");
  CHECK_FALSE(find(a.store(), "inv-none").has_value());

  // Every optional set: numbered, finalised, posted, closed and settled; and a void with its reversal.
  std::optional<Invoice> paid;
  std::optional<Invoice> voided;
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          paid = step(r, step(r, rows[0], InvoiceStatus::open), InvoiceStatus::paid);
          voided = step(r, step(r, rows[1], InvoiceStatus::open), InvoiceStatus::voided);
        }) == "stored");
  REQUIRE(paid.has_value());
  REQUIRE(voided.has_value());
  for (const Invoice& invoice : {*paid, *voided}) {
    CAPTURE(invoice.id.str());
    const std::optional<Invoice> found = find(a.store(), invoice.id.str());
    REQUIRE(found.has_value());
    CHECK(*found == invoice);
    CHECK(decimal_texts(*found) == decimal_texts(invoice));
  }
  CHECK(paid->number == std::optional<std::uint64_t>(1));
  CHECK(paid->settled_entry.has_value());
  CHECK(voided->number == std::optional<std::uint64_t>(2));
  CHECK(voided->voided_entry.has_value());
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->invoices().find_for_period(SubscriptionId("sub-1"), k_start) == paid);
}

CONTRACT_TEST(
    "insert of a taken id is id_taken, of a taken (subscription, period start) period_taken; nothing "
    "changes") {
  auto a = area<Adapter>();
  const Invoice first = draft("inv-1");
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) { REQUIRE(r.insert(first) == InvoiceInsert::inserted); }) ==
        "stored");
  Invoice same_id = draft("inv-1", "sub-b", "beta", k_end);
  Invoice same_period = draft("inv-2");
  same_period.lines.pop_back();
  same_period.tax_rate.reset();
  total_up(same_period);
  Invoice same_period_bare = draft("inv-3", "sub-1", "acme", k_start);
  same_period_bare.period_end = k_start + 1us;  // another period end: the key is the start
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          CHECK(r.insert(first) == InvoiceInsert::id_taken);
          CHECK(r.insert(same_id) == InvoiceInsert::id_taken);
          CHECK(r.insert(same_period) == InvoiceInsert::period_taken);
          CHECK(r.insert(same_period_bare) == InvoiceInsert::period_taken);
        }) == "stored");
  CHECK(find(a.store(), "inv-1") == first);
  CHECK_FALSE(find(a.store(), "inv-2").has_value());
  CHECK_FALSE(find(a.store(), "inv-3").has_value());
  {
    UnitOfWork work(a.store(), Access::read);
    CHECK(ids_of(work->invoices().list({}, "", 10)) == std::vector<std::string>{"inv-1"});
    CHECK(work->invoices().find_for_period(SubscriptionId("sub-1"), k_start) == first);
  }
  // The key is (subscription, period start): another subscription, another start, or none at all is another
  // invoice. Invoices without a subscription may share a period.
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          CHECK(r.insert(draft("inv-4", "sub-2")) == InvoiceInsert::inserted);
          CHECK(r.insert(draft("inv-5", "sub-1", "acme", k_start + 1us)) == InvoiceInsert::inserted);
          CHECK(r.insert(draft("inv-6", "", "acme")) == InvoiceInsert::inserted);
          CHECK(r.insert(draft("inv-7", "", "acme")) == InvoiceInsert::inserted);
          // Numbered or voided, it still holds its period.
          (void)step(r, first, InvoiceStatus::voided);
          CHECK(r.insert(draft("inv-8")) == InvoiceInsert::period_taken);
        }) == "stored");
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->invoices().list({}, "", 10).size() == 5);
}

CONTRACT_TEST("insert refuses an invoice the rules could never create, naming the field, and stores nothing") {
  auto a = area<Adapter>();
  const auto field_of = [&](const std::function<void(Invoice&)>& spoil) {
    Invoice invoice = draft("inv-x");
    spoil(invoice);
    return refusal(a.store(), [&](InvoiceRepository& r) { (void)r.insert(invoice); });
  };
  CHECK(field_of([](Invoice& i) { i.version = 2; }) == "version");
  CHECK(field_of([](Invoice& i) { i.version = 0; }) == "version");
  CHECK(field_of([](Invoice& i) { i.status = static_cast<InvoiceStatus>(5); }) == "status");
  CHECK(field_of([](Invoice& i) { i.number = 1; }) == "number");
  CHECK(field_of([](Invoice& i) {
          i.status = InvoiceStatus::open;
          i.number = 1;
          i.finalized_at = k_finalized;
        }) == "status");
  CHECK(field_of([](Invoice& i) { i.finalized_at = k_finalized; }) == "finalized_at");
  CHECK(field_of([](Invoice& i) { i.closed_at = k_closed; }) == "closed_at");
  CHECK(field_of([](Invoice& i) { i.posted_entry = EntryId("e"); }) == "posted_entry");
  CHECK(field_of([](Invoice& i) { i.settled_entry = EntryId("e"); }) == "settled_entry");
  CHECK(field_of([](Invoice& i) { i.voided_entry = EntryId("e"); }) == "voided_entry");
  CHECK(field_of([](Invoice& i) { i.period_end = i.period_start; }) == "period_end");
  // The sums.
  CHECK(field_of([](Invoice& i) { i.subtotal += usd("0.01"); }) == "subtotal");
  CHECK(field_of([](Invoice& i) { i.total += usd("0.01"); }) == "total");
  CHECK(field_of([](Invoice& i) {
          i.tax += usd("0.01");
          i.lines.back().amount = i.tax;
          i.total = i.subtotal + i.tax;
        }) == "tax");  // not the subtotal at the rate
  CHECK(field_of([](Invoice& i) {
          i.lines.pop_back();  // the tax line
        }) == "tax");
  CHECK(field_of([](Invoice& i) {
          i.tax_rate.reset();  // a tax without a rate
        }) == "tax");
  CHECK(field_of([](Invoice& i) { i.tax_rate = Decimal::parse("1.5"); }) == "tax_rate");
  CHECK(field_of([](Invoice& i) { i.tax_rate = Decimal::parse("-0.1"); }) == "tax_rate");
  CHECK(field_of([](Invoice& i) { i.tax_rate = Decimal::parse("0.1234567"); }) == "tax_rate");
  CHECK(field_of([](Invoice& i) { i.subtotal = Money::parse("0 EUR"); }) == "subtotal");
  // The lines.
  CHECK(field_of([](Invoice& i) { i.lines[0].amount = Money::parse("49.00 EUR"); }) == "lines[0].amount");
  CHECK(field_of([](Invoice& i) { i.lines[0].description.clear(); }) == "lines[0].description");
  CHECK(field_of([](Invoice& i) { i.lines[0].description = "a\nb"; }) == "lines[0].description");
  CHECK(field_of([](Invoice& i) { i.lines[0].description = "\xff"; }) == "lines[0].description");
  CHECK(field_of([](Invoice& i) { i.lines[0].description = std::string(k_max_invoice_description_bytes + 1, 'd'); }) ==
        "lines[0].description");
  CHECK(field_of([](Invoice& i) { i.lines[0].period_end = i.lines[0].period_start - 1us; }) == "lines[0].period_end");
  CHECK(field_of([](Invoice& i) { i.lines[0].meter = "api.calls"; }) == "lines[0].meter");
  CHECK(field_of([](Invoice& i) { i.lines[1].meter.clear(); }) == "lines[1].meter");
  CHECK(field_of([](Invoice& i) { i.lines[1].meter = std::string(k_max_meter_code_bytes + 1, 'm'); }) ==
        "lines[1].meter");
  CHECK(field_of([](Invoice& i) { i.lines[0].tiers = i.lines[1].tiers; }) == "lines[0].tiers");
  CHECK(field_of([](Invoice& i) { i.lines[1].tiers[0].amount += usd("0.01"); }) == "lines[1].tiers");
  CHECK(field_of([](Invoice& i) { i.lines[1].tiers[0].amount = Money::parse("0.12 EUR"); }) == "lines[1].tiers");
  CHECK(field_of([](Invoice& i) { i.lines[1].tiers[0].tier = k_max_price_tiers; }) == "lines[1].tiers");
  CHECK(field_of([](Invoice& i) { i.lines[1].kind = static_cast<InvoiceLineKind>(4); }) == "lines[1].kind");
  CHECK(field_of([](Invoice& i) { std::swap(i.lines[3], i.lines[4]); }) == "lines[3].kind");  // tax not last
  CHECK(field_of([](Invoice& i) {
          i.lines.resize(k_max_invoice_lines + 1, i.lines[0]);
          i.lines.back().amount = usd("0.00");
        }) == "lines");
  // What it names must be stored.
  CHECK(field_of([](Invoice& i) { i.account_id = AccountId("nobody"); }) == "account_id");
  CHECK(field_of([](Invoice& i) { i.subscription_id = SubscriptionId("sub-none"); }) == "subscription_id");

  CHECK_FALSE(find(a.store(), "inv-x").has_value());
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->invoices().list({}, "", 10).empty());
  CHECK_FALSE(work->invoices().find_for_period(SubscriptionId("sub-1"), k_start).has_value());
  CHECK(work->invoices().last_number() == 0);
}

CONTRACT_TEST("find_for_period() finds the invoice of a subscription's period start, and only it") {
  auto a = area<Adapter>();
  const Invoice jan = draft("inv-jan");
  const Invoice feb = draft("inv-feb", "sub-1", "acme", k_end);
  const Invoice other = draft("inv-other", "sub-2");
  const Invoice loose = draft("inv-loose", "");
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          for (const Invoice& invoice : {jan, feb, other, loose}) REQUIRE(r.insert(invoice) == InvoiceInsert::inserted);
        }) == "stored");
  UnitOfWork work(a.store(), Access::read);
  InvoiceRepository& r = work->invoices();
  CHECK(r.find_for_period(SubscriptionId("sub-1"), k_start) == jan);
  CHECK(r.find_for_period(SubscriptionId("sub-1"), k_end) == feb);
  CHECK(r.find_for_period(SubscriptionId("sub-2"), k_start) == other);
  CHECK_FALSE(r.find_for_period(SubscriptionId("sub-1"), k_start + 1us).has_value());
  CHECK_FALSE(r.find_for_period(SubscriptionId("sub-1"), k_end - 1us).has_value());
  CHECK_FALSE(r.find_for_period(SubscriptionId("sub-b"), k_start).has_value());
  CHECK_FALSE(r.find_for_period(SubscriptionId("sub-none"), k_start).has_value());
}

CONTRACT_TEST("update at the stored version replaces a DRAFT's lines and totals; at any other it returns false") {
  auto a = area<Adapter>();
  const Invoice stored = draft("inv-1");
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) { REQUIRE(r.insert(stored) == InvoiceInsert::inserted); }) ==
        "stored");

  // The draft is rebuilt: a line less, one changed, one more, another tax rate written with other places.
  Invoice next = stored;
  next.version = 2;
  next.lines.erase(next.lines.begin() + 2);
  next.lines[0].description = "pro (month), prorated";
  next.lines[0].quantity = Decimal::parse("0.500000");
  next.lines[0].amount = usd("24.50");
  next.lines.insert(next.lines.end() - 1, {.kind = InvoiceLineKind::adjustment,
                                           .description = "Goodwill credit",
                                           .period_start = k_start,
                                           .period_end = k_end,
                                           .quantity = Decimal::parse("3.000"),
                                           .unit_price = Decimal::parse("-0.333333333333"),
                                           .amount = usd("-1.00")});
  next.tax_rate = Decimal::parse("0.07");
  total_up(next);

  const auto stale = [&](std::uint64_t version) {
    Invoice invoice = next;
    invoice.version = version;
    return invoice;
  };
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          CHECK_FALSE(r.update(stale(1)));
          CHECK_FALSE(r.update(stale(3)));
          CHECK_FALSE(r.update(stale(100)));
          Invoice unknown = next;
          unknown.id = InvoiceId("inv-none");
          CHECK_FALSE(r.update(unknown));
        }) == "stored");
  CHECK(find(a.store(), "inv-1") == stored);

  CHECK(refusal(a.store(), [&](InvoiceRepository& r) { REQUIRE(r.update(next)); }) == "stored");
  std::optional<Invoice> found = find(a.store(), "inv-1");
  CHECK(found == next);
  REQUIRE(found.has_value());
  CHECK(decimal_texts(*found) == decimal_texts(next));
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) { CHECK_FALSE(r.update(next)); }) == "stored");  // replayed

  // Only the places of a decimal change: a change too, stored as written.
  Invoice places = next;
  places.version = 3;
  places.lines[0].quantity = Decimal::parse("0.5");
  CHECK(update_refusal(a.store(), places) == "stored");
  found = find(a.store(), "inv-1");
  REQUIRE(found.has_value());
  CHECK(found->lines[0].quantity.to_string() == "0.5");

  // Leaving DRAFT may change the lines in the same update: they are the ones it leaves with.
  Invoice final_lines = moved(places, InvoiceStatus::open, 0);
  final_lines.lines.erase(final_lines.lines.begin());
  total_up(final_lines);
  CHECK(update_refusal(a.store(), final_lines) == "stored");
  CHECK(find(a.store(), "inv-1") == final_lines);
}

CONTRACT_TEST(
    "update refuses a change of identity, of lines or totals after DRAFT, or a broken row, naming the "
    "field, and leaves the row as it was") {
  auto a = area<Adapter>();
  std::optional<Invoice> open;
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          open = stored_in(r, draft("inv-open"), InvoiceStatus::open);
          (void)stored_in(r, draft("inv-draft", "sub-2"), InvoiceStatus::draft);
        }) == "stored");
  const auto field_of = [&](const std::string& id, const std::function<void(Invoice&)>& change) {
    Invoice next = *find(a.store(), id);
    next.version += 1;
    if (next.status == InvoiceStatus::open) next = moved(*find(a.store(), id), InvoiceStatus::uncollectible, 0);
    change(next);
    return update_refusal(a.store(), next);
  };
  // Identity, on a DRAFT (which may change everything else) and on an OPEN invoice.
  for (const std::string id : {"inv-draft", "inv-open"}) {
    CAPTURE(id);
    CHECK(field_of(id, [](Invoice& i) { i.account_id = AccountId("beta"); }) == "account_id");
    CHECK(field_of(id, [](Invoice& i) { i.subscription_id = SubscriptionId("sub-b"); }) == "subscription_id");
    CHECK(field_of(id, [](Invoice& i) { i.subscription_id.reset(); }) == "subscription_id");
    CHECK(field_of(id, [](Invoice& i) { i.period_start = i.period_start - 1us; }) == "period_start");
    CHECK(field_of(id, [](Invoice& i) { i.period_end = i.period_end + 1us; }) == "period_end");
    CHECK(field_of(id, [](Invoice& i) { i.created_at = i.created_at + 1us; }) == "created_at");
    CHECK(field_of(id, [](Invoice& i) {
            i.currency = Currency("EUR");  // every amount in EUR too: only the identity refuses it
            for (InvoiceLine& line : i.lines) {
              line.amount = Money::from_minor(line.amount.minor(), i.currency);
              for (ChargeLine& tier : line.tiers) tier.amount = Money::from_minor(tier.amount.minor(), i.currency);
            }
            i.subtotal = Money::from_minor(i.subtotal.minor(), i.currency);
            i.tax = Money::from_minor(i.tax.minor(), i.currency);
            i.total = Money::from_minor(i.total.minor(), i.currency);
          }) == "currency");
    // A broken row is refused as insert refuses it.
    CHECK(field_of(id, [](Invoice& i) { i.total += usd("0.01"); }) == "total");
    CHECK(field_of(id, [](Invoice& i) { i.lines[1].tiers.pop_back(); }) == "lines[1].tiers");
  }
  // Lines and totals are frozen once OPEN, to the places of their decimals.
  CHECK(field_of("inv-open", [](Invoice& i) { i.lines[0].description = "changed"; }) == "lines");
  CHECK(field_of("inv-open", [](Invoice& i) { i.lines[0].quantity = Decimal::parse("1.0"); }) == "lines");
  CHECK(field_of("inv-open", [](Invoice& i) { i.lines[1].tiers[0].unit_price = Decimal::parse("0.0001234567890"); }) ==
        "lines");
  CHECK(field_of("inv-open", [](Invoice& i) {
          i.lines[0].amount = usd("50.00");
          total_up(i);
        }) == "lines");
  CHECK(field_of("inv-open", [](Invoice& i) {
          i.tax_rate = Decimal::parse("0.2");  // the same rate, written with other places
          i.lines.back().unit_price = i.tax_rate;
        }) == "lines");
  CHECK(field_of("inv-open", [](Invoice& i) { i.tax_rate = Decimal::parse("0.2"); }) == "tax_rate");
  CHECK(field_of("inv-open", [](Invoice& i) {
          i.lines.pop_back();
          i.tax_rate.reset();
          total_up(i);
        }) == "lines");
  // Once numbered, the number, the finalisation time and the posted entry stay.
  CHECK(field_of("inv-open", [](Invoice& i) { i.finalized_at = k_finalized + 1us; }) == "finalized_at");
  CHECK(field_of("inv-open", [](Invoice& i) { i.posted_entry = EntryId("other"); }) == "posted_entry");
  CHECK(field_of("inv-open", [](Invoice& i) { i.number = 2; }) == "number");
  CHECK(find(a.store(), "inv-open") == open);
  CHECK(find(a.store(), "inv-draft") == draft("inv-draft", "sub-2"));
  // The same changes that are not changes go in.
  CHECK(field_of("inv-open", [](Invoice&) {}) == "stored");
  CHECK(find(a.store(), "inv-open")->status == InvoiceStatus::uncollectible);
}

CONTRACT_TEST("every one of the 25 (from, to) pairs is checked against k_invoice_transitions") {
  auto a = area<Adapter>();
  int n = 0;
  int moves = 0;
  int stays = 0;
  for (const InvoiceStatus from : k_invoice_statuses) {
    for (const InvoiceStatus to : k_invoice_statuses) {
      CAPTURE(static_cast<int>(from));
      CAPTURE(static_cast<int>(to));
      UnitOfWork work(a.store(), Access::write);
      InvoiceRepository& repository = work->invoices();
      const Invoice before = stored_in(repository, draft(fmt::format("inv-{:02}", n++), ""), from);
      Invoice next = moved(before, to, repository.last_number());
      if (to == from && to == InvoiceStatus::draft) next.lines[0].description = "kept a DRAFT, changed a line";
      // Keeping the status is no move: allowed only for a DRAFT (to change its lines). Every other pair is the
      // table's to decide; a status with no way out (PAID, VOID) is final.
      const bool allowed = from == to ? from == InvoiceStatus::draft : invoice_transition_allowed(from, to);
      if (allowed) {
        (from == to ? stays : moves) += 1;
        CHECK(repository.update(next));
        CHECK(repository.find(before.id) == next);
      } else {
        try {
          (void)repository.update(next);
          FAIL("a forbidden change was stored");
        } catch (const InvariantViolation& e) {
          CHECK(e.field() == "status");
        }
        CHECK(repository.find(before.id) == before);
      }
      work.commit();
    }
  }
  CHECK(n == k_statuses * k_statuses);
  CHECK(moves == 7);  // the x's of the table in invoice.hpp
  CHECK(stays == 1);
  int table = 0;
  for (const auto& row : k_invoice_transitions) table += static_cast<int>(std::count(row.begin(), row.end(), true));
  CHECK(table == moves);
}

CONTRACT_TEST("numbers are gapless: leaving DRAFT for OPEN takes last_number() + 1 and nothing else") {
  auto a = area<Adapter>();
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          for (const char* id : {"inv-a", "inv-b", "inv-c", "inv-d"}) {
            REQUIRE(r.insert(draft(id, "")) == InvoiceInsert::inserted);
          }
        }) == "stored");
  CHECK(last_number(a.store()) == 0);
  const auto finalize_as = [&](const std::string& id, std::optional<std::uint64_t> number) {
    Invoice next = moved(*find(a.store(), id), InvoiceStatus::open, 0);
    next.number = number;
    if (!number) next.finalized_at.reset();
    if (!number) next.posted_entry.reset();
    return update_refusal(a.store(), next);
  };
  CHECK(finalize_as("inv-a", 2) == "number");  // a gap
  CHECK(finalize_as("inv-a", 0) == "number");
  CHECK(finalize_as("inv-a", std::nullopt) == "number");  // OPEN without one
  CHECK(last_number(a.store()) == 0);
  CHECK(finalize_as("inv-a", 1) == "stored");
  CHECK(last_number(a.store()) == 1);
  CHECK(finalize_as("inv-b", 1) == "number");  // taken
  CHECK(finalize_as("inv-b", 3) == "number");
  CHECK(finalize_as("inv-b", 2) == "stored");
  CHECK(last_number(a.store()) == 2);

  // A DRAFT that is voided never gets a number, and takes none from the sequence.
  Invoice voided = moved(*find(a.store(), "inv-c"), InvoiceStatus::voided, 0);
  CHECK_FALSE(voided.number.has_value());
  Invoice numbered_void = voided;
  numbered_void.number = 3;
  numbered_void.finalized_at = k_finalized;
  CHECK(update_refusal(a.store(), numbered_void) == "number");
  CHECK(update_refusal(a.store(), voided) == "stored");
  CHECK(last_number(a.store()) == 2);
  CHECK_FALSE(find(a.store(), "inv-c")->number.has_value());

  // A number never changes after: not on the next move, not to the next free one.
  Invoice paid = moved(*find(a.store(), "inv-a"), InvoiceStatus::paid, 0);
  paid.number = 3;
  CHECK(update_refusal(a.store(), paid) == "number");
  paid.number = 1;
  CHECK(update_refusal(a.store(), paid) == "stored");

  // Two finalised in one unit of work take the next two; rolled back, they give them back.
  {
    UnitOfWork work(a.store(), Access::write);
    InvoiceRepository& r = work->invoices();
    const Invoice d = step(r, *r.find(InvoiceId("inv-d")), InvoiceStatus::open);
    CHECK(d.number == std::optional<std::uint64_t>(3));
    const Invoice e = stored_in(r, draft("inv-e", ""), InvoiceStatus::open);
    CHECK(e.number == std::optional<std::uint64_t>(4));
    CHECK(r.last_number() == 4);
  }
  CHECK(last_number(a.store()) == 2);
  CHECK(finalize_as("inv-d", 3) == "stored");
  CHECK(last_number(a.store()) == 3);
  UnitOfWork work(a.store(), Access::read);
  std::vector<std::uint64_t> numbers;
  for (const Invoice& invoice : work->invoices().list({}, "", 10)) {
    if (invoice.number) numbers.push_back(*invoice.number);
  }
  CHECK(numbers == std::vector<std::uint64_t>{1, 2, 3});
}

CONTRACT_TEST("list() gives invoices by account, by status or both, a page at a time, in id order") {
  auto a = area<Adapter>();
  // Ten invoices: even ones on acme, odd ones on beta; every third one finalised.
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          for (int i = 9; i >= 0; --i) {
            const InvoiceStatus status = i % 3 == 0 ? InvoiceStatus::open : InvoiceStatus::draft;
            (void)stored_in(r, draft(fmt::format("inv-{}", i), "", i % 2 == 0 ? "acme" : "beta"), status);
          }
        }) == "stored");
  const auto ids = [](std::initializer_list<int> numbers) {
    std::vector<std::string> out;
    for (const int i : numbers) out.push_back(fmt::format("inv-{}", i));
    return out;
  };
  UnitOfWork work(a.store(), Access::read);
  InvoiceRepository& r = work->invoices();
  const AccountId acme("acme");
  const AccountId beta("beta");
  for (const std::size_t limit : {1U, 3U, 10U, 11U}) {
    CAPTURE(limit);
    CHECK(list_all(r, {}, limit) == ids({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    CHECK(list_all(r, {.account_id = acme}, limit) == ids({0, 2, 4, 6, 8}));
    CHECK(list_all(r, {.account_id = beta}, limit) == ids({1, 3, 5, 7, 9}));
    CHECK(list_all(r, {.status = InvoiceStatus::open}, limit) == ids({0, 3, 6, 9}));
    CHECK(list_all(r, {.status = InvoiceStatus::draft}, limit) == ids({1, 2, 4, 5, 7, 8}));
    CHECK(list_all(r, {.account_id = acme, .status = InvoiceStatus::open}, limit) == ids({0, 6}));
    CHECK(list_all(r, {.account_id = beta, .status = InvoiceStatus::draft}, limit) == ids({1, 5, 7}));
    CHECK(list_all(r, {.status = InvoiceStatus::paid}, limit).empty());
    CHECK(list_all(r, {.account_id = AccountId("yen")}, limit).empty());
  }
  CHECK(ids_of(r.list({}, "inv-4", 2)) == ids({5, 6}));
  CHECK(ids_of(r.list({.account_id = beta}, "inv-4", 2)) == ids({5, 7}));
  CHECK(ids_of(r.list({.status = InvoiceStatus::open}, "inv-0", 2)) == ids({3, 6}));
  CHECK(r.list({}, "inv-9", 10).empty());
  CHECK(r.list({}, "", 0).empty());
  const auto page = r.list({.account_id = beta}, "", 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0] == r.find(InvoiceId("inv-1")));
  CHECK(page[0].lines.size() == 5);  // a listing carries the lines
}

CONTRACT_TEST("count_open_finalized_before() counts the OPEN invoices finalised before a time") {
  auto a = area<Adapter>();
  const auto finalized_at = [&](InvoiceRepository& r, const std::string& id, Timestamp at, InvoiceStatus status) {
    REQUIRE(r.insert(draft(id, "")) == InvoiceInsert::inserted);
    Invoice next = moved(*r.find(InvoiceId(id)), InvoiceStatus::open, r.last_number());
    next.finalized_at = at;
    REQUIRE(r.update(next));
    if (status != InvoiceStatus::open) REQUIRE(r.update(moved(next, status, 0)));
  };
  const Timestamp t = k_finalized;
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          finalized_at(r, "inv-1", t, InvoiceStatus::open);
          finalized_at(r, "inv-2", t + 1us, InvoiceStatus::open);
          finalized_at(r, "inv-3", t + 24h, InvoiceStatus::open);
          finalized_at(r, "inv-4", t - 24h, InvoiceStatus::paid);
          finalized_at(r, "inv-5", t - 24h, InvoiceStatus::uncollectible);
          finalized_at(r, "inv-6", t - 24h, InvoiceStatus::voided);
          REQUIRE(r.insert(draft("inv-7", "")) == InvoiceInsert::inserted);
        }) == "stored");
  {
    UnitOfWork work(a.store(), Access::read);
    InvoiceRepository& r = work->invoices();
    CHECK(r.count_open_finalized_before(t - 24h) == 0);
    CHECK(r.count_open_finalized_before(t) == 0);  // before, not at
    CHECK(r.count_open_finalized_before(t + 1us) == 1);
    CHECK(r.count_open_finalized_before(t + 2us) == 2);
    CHECK(r.count_open_finalized_before(t + 24h + 1us) == 3);
    CHECK(r.count_open_finalized_before(Timestamp::parse("9999-01-01T00:00:00Z")) == 3);
  }
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) {
          (void)step(r, *r.find(InvoiceId("inv-1")), InvoiceStatus::paid);
          CHECK(r.count_open_finalized_before(t + 2us) == 1);
        }) == "stored");
  UnitOfWork work(a.store(), Access::read);
  CHECK(work->invoices().count_open_finalized_before(t + 24h + 1us) == 2);
}

CONTRACT_TEST("a unit of work that does not commit leaves no invoice, change or number behind") {
  auto a = area<Adapter>();
  const Invoice kept = draft("inv-kept");
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) { REQUIRE(r.insert(kept) == InvoiceInsert::inserted); }) ==
        "stored");
  {
    UnitOfWork work(a.store(), Access::write);
    InvoiceRepository& r = work->invoices();
    const Invoice dropped = stored_in(r, draft("inv-dropped", "sub-b", "beta"), InvoiceStatus::paid);
    Invoice changed = kept;
    changed.version = 2;
    changed.lines.erase(changed.lines.begin());
    total_up(changed);
    REQUIRE(r.update(changed));
    (void)step(r, changed, InvoiceStatus::open);
    CHECK(r.find(dropped.id) == dropped);  // reads see the unit's own writes
    CHECK(r.last_number() == 2);
    CHECK(r.find_for_period(SubscriptionId("sub-b"), k_start) == dropped);
    CHECK(r.count_open_finalized_before(k_finalized + 1us) == 1);
  }
  UnitOfWork work(a.store(), Access::read);
  InvoiceRepository& r = work->invoices();
  CHECK_FALSE(r.find(InvoiceId("inv-dropped")).has_value());
  CHECK(r.find(kept.id) == kept);
  CHECK(r.last_number() == 0);
  CHECK_FALSE(r.find_for_period(SubscriptionId("sub-b"), k_start).has_value());
  CHECK(ids_of(r.list({}, "", 10)) == std::vector<std::string>{"inv-kept"});
  CHECK(r.list({.account_id = AccountId("beta")}, "", 10).empty());
  CHECK(r.list({.status = InvoiceStatus::paid}, "", 10).empty());
  CHECK(r.list({.status = InvoiceStatus::open}, "", 10).empty());
  CHECK(r.count_open_finalized_before(k_finalized + 1us) == 0);
}

CONTRACT_TEST("a read-only unit of work reads invoices but cannot write them") {
  auto a = area<Adapter>();
  const Invoice stored = draft("inv-1");
  CHECK(refusal(a.store(), [&](InvoiceRepository& r) { REQUIRE(r.insert(stored) == InvoiceInsert::inserted); }) ==
        "stored");
  UnitOfWork work(a.store(), Access::read);
  InvoiceRepository& r = work->invoices();
  CHECK(r.find(stored.id) == stored);
  CHECK_THROWS_AS((void)r.insert(draft("inv-2", "sub-2")), Misuse);
  CHECK_THROWS_AS((void)r.update(moved(stored, InvoiceStatus::open, 0)), Misuse);
  CHECK(r.find(stored.id) == stored);
  CHECK(r.last_number() == 0);
}
