// Units of work and repositories, directly: what every adapter must do, rollback included.
#include "billing/storage/memory.hpp"
#include "billing/storage/sqlite.hpp"
#include "billing/storage/store.hpp"

#include "adapters.hpp"

using namespace billing;
using billing::test::usd;

namespace {

Account make_account(const std::string& id) {
  return {.id = AccountId(id),
          .currency = Currency("USD"),
          .name = "Name " + id,
          .normal_side = Side::credit,
          .status = AccountStatus::active,
          .debits_must_not_exceed_credits = true,
          .credits_must_not_exceed_debits = false,
          .limit = usd("500.00"),
          .metadata = {{"customer", "c-1"}, {"quote", "say \"hi\"\n\\"}},
          .created_at = Timestamp::parse("2026-01-01T00:00:00.000001Z"),
          .balances = {1, 2, 3, 4}};
}

Entry make_entry(std::uint64_t sequence, const std::string& id, const std::string& from, const std::string& to,
                 Timestamp at) {
  Entry entry{.id = EntryId(id), .sequence = sequence};
  entry.postings = {{AccountId(from), Side::debit, usd("1.25")}, {AccountId(to), Side::credit, usd("1.25")}};
  entry.description = "entry " + id;
  entry.metadata = {{"k", "v"}};
  entry.effective_at = at;
  entry.recorded_at = at;
  entry.previous_hash.fill(static_cast<std::uint8_t>(sequence - 1));
  entry.hash.fill(static_cast<std::uint8_t>(sequence));
  entry.balances_after = {{static_cast<std::int64_t>(125 * sequence), 0, 0, 0},
                          {0, static_cast<std::int64_t>(125 * sequence), 0, 0}};
  return entry;
}

}  // namespace

CONTRACT_TEST("an account round-trips through storage with every field") {
  auto store = Adapter::open();
  const Account account = make_account("acct-1");
  {
    UnitOfWork work(*store, Access::write);
    CHECK(work->accounts().insert(account));
    CHECK_FALSE(work->accounts().insert(account));
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  CHECK(work->accounts().find(AccountId("acct-1")) == account);
  CHECK_FALSE(work->accounts().find(AccountId("nobody")).has_value());
}

CONTRACT_TEST("a unit of work that does not commit leaves no trace") {
  auto store = Adapter::open();
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->accounts().insert(make_account("a")));
    REQUIRE(work->accounts().insert(make_account("b")));
    work.commit();
  }
  const auto at = Timestamp::parse("2026-01-01T00:00:00Z");
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->accounts().insert(make_account("c")));
    work->accounts().set_status(AccountId("a"), AccountStatus::inactive);
    work->accounts().set_balances(AccountId("b"), {9, 9, 9, 9});
    work->ledger().append(make_entry(1, "e1", "a", "b", at));
    CHECK(work->ledger().head().sequence == 1);  // a unit of work sees its own writes
  }                                              // dropped: rolled back
  UnitOfWork work(*store, Access::read);
  CHECK_FALSE(work->accounts().find(AccountId("c")).has_value());
  CHECK(work->accounts().find(AccountId("a"))->status == AccountStatus::active);
  CHECK(work->accounts().find(AccountId("b"))->balances == Balances{1, 2, 3, 4});
  CHECK(work->ledger().head().sequence == 0);
  CHECK_FALSE(work->ledger().find(EntryId("e1")).has_value());
}

CONTRACT_TEST("commit twice, or writing in a read unit of work, is misuse") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  work.commit();
  CHECK_THROWS_AS(work.commit(), Misuse);
  CHECK_THROWS_AS((void)work->accounts(), Misuse);
  UnitOfWork reader(*store, Access::read);
  CHECK_THROWS_AS((void)reader->accounts().insert(make_account("x")), Misuse);
}

CONTRACT_TEST("entries append in sequence and read back whole") {
  auto store = Adapter::open();
  const auto t0 = Timestamp::parse("2026-01-01T00:00:00Z");
  const auto minute = std::chrono::minutes(1);
  {
    UnitOfWork work(*store, Access::write);
    REQUIRE(work->accounts().insert(make_account("a")));
    REQUIRE(work->accounts().insert(make_account("b")));
    REQUIRE(work->accounts().insert(make_account("c")));
    work->ledger().append(make_entry(1, "e1", "a", "b", t0));
    work->ledger().append(make_entry(2, "e2", "b", "c", t0 + minute));
    work->ledger().append(make_entry(3, "e3", "a", "c", t0 + 2 * minute));
    CHECK_THROWS_AS(work->ledger().append(make_entry(5, "e5", "a", "c", t0)), InvariantViolation);
    work.commit();
  }
  UnitOfWork work(*store, Access::read);
  LedgerRepository& ledger = work->ledger();
  const Entry e2 = make_entry(2, "e2", "b", "c", t0 + minute);
  CHECK(ledger.find(EntryId("e2")) == e2);
  CHECK(ledger.head().sequence == 3);
  CHECK(ledger.head().hash == make_entry(3, "e3", "a", "c", t0).hash);
  CHECK(ledger.scan(0, 10).size() == 3);
  CHECK(ledger.scan(1, 1).front().id == EntryId("e2"));
  const auto of_a = ledger.for_account(AccountId("a"), 0, std::nullopt, std::nullopt, 10);
  REQUIRE(of_a.size() == 2);
  CHECK(of_a[0].id == EntryId("e1"));
  CHECK(of_a[1].id == EntryId("e3"));
  CHECK(ledger.for_account(AccountId("a"), 1, std::nullopt, std::nullopt, 10).size() == 1);
  CHECK(ledger.for_account(AccountId("c"), 0, t0 + 2 * minute, std::nullopt, 10).size() == 1);
  CHECK(ledger.for_account(AccountId("c"), 0, std::nullopt, t0 + 2 * minute, 10).size() == 1);
  CHECK(ledger.balances_at(AccountId("a"), 0) == Balances{});
  CHECK(ledger.balances_at(AccountId("a"), 2) == Balances{125, 0, 0, 0});
  CHECK(ledger.balances_at(AccountId("a"), 3) == Balances{375, 0, 0, 0});
  CHECK(ledger.sequence_at(t0 - minute) == 0);
  CHECK(ledger.sequence_at(t0 + minute) == 2);
  CHECK(ledger.sequence_at(t0 + 10 * minute) == 3);
}

CONTRACT_TEST("holds, resolutions and reversals are linked and indexed") {
  auto store = Adapter::open();
  const auto t0 = Timestamp::parse("2026-01-01T00:00:00Z");
  UnitOfWork work(*store, Access::write);
  REQUIRE(work->accounts().insert(make_account("a")));
  REQUIRE(work->accounts().insert(make_account("b")));
  Entry hold = make_entry(1, "hold", "a", "b", t0);
  hold.kind = EntryKind::pending;
  hold.expires_at = t0 + std::chrono::hours(1);
  work->ledger().append(hold);
  Entry open_hold = make_entry(2, "open-hold", "a", "b", t0);
  open_hold.kind = EntryKind::pending;
  open_hold.expires_at = t0 + std::chrono::hours(2);
  work->ledger().append(open_hold);
  CHECK(work->ledger().expired_holds(t0 + std::chrono::hours(3), 10).size() == 2);
  CHECK(work->ledger().count_expired_holds(t0 + std::chrono::hours(3)) == 2);
  CHECK(work->ledger().count_expired_holds(t0 + std::chrono::hours(1)) == 1);  // at its expiry, it has expired
  CHECK(work->ledger().count_expired_holds(t0 + std::chrono::minutes(59)) == 0);
  Entry capture = make_entry(3, "capture", "a", "b", t0);
  capture.kind = EntryKind::post_pending;
  capture.pending_id = EntryId("hold");
  work->ledger().append(capture);
  Entry reversal = make_entry(4, "undo", "b", "a", t0);
  reversal.kind = EntryKind::reversal;
  reversal.reverses = EntryId("capture");
  work->ledger().append(reversal);
  CHECK(work->ledger().resolution_of(EntryId("hold")) == EntryId("capture"));
  CHECK_FALSE(work->ledger().resolution_of(EntryId("open-hold")).has_value());
  CHECK(work->ledger().reversal_of(EntryId("capture")) == EntryId("undo"));
  CHECK(work->ledger().expired_holds(t0 + std::chrono::hours(3), 10) == std::vector<EntryId>{EntryId("open-hold")});
  CHECK(work->ledger().expired_holds(t0 + std::chrono::minutes(90), 10).empty());
  CHECK(work->ledger().count_expired_holds(t0 + std::chrono::hours(3)) == 1);  // a resolved hold is not counted
  CHECK(work->ledger().count_expired_holds(t0 + std::chrono::minutes(90)) == 0);
  CHECK(work->ledger().find(EntryId("capture"))->pending_id == EntryId("hold"));
}

CONTRACT_TEST("accounts list in id order, filtered by status, from a cursor") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  for (const char* id : {"d", "a", "c", "b", "e"}) REQUIRE(work->accounts().insert(make_account(id)));
  work->accounts().set_status(AccountId("c"), AccountStatus::inactive);
  const auto ids = [](const std::vector<Account>& accounts) {
    std::string out;
    for (const auto& a : accounts) out += a.id.str();
    return out;
  };
  CHECK(ids(work->accounts().list(std::nullopt, "", 10)) == "abcde");
  CHECK(ids(work->accounts().list(std::nullopt, "b", 2)) == "cd");
  CHECK(ids(work->accounts().list(AccountStatus::active, "", 10)) == "abde");
  CHECK(ids(work->accounts().list(AccountStatus::inactive, "", 10)) == "c");
}

// The integrity checks that every adapter repeats under the domain's rules (src/storage/integrity.cpp):
// the same refusals, with the same field, on every adapter.
CONTRACT_TEST("every adapter refuses the same malformed rows, naming the field") {
  auto store = Adapter::open();
  const auto t0 = Timestamp::parse("2026-01-01T00:00:00Z");
  const auto field_of = [](auto&& write) -> std::string {
    try {
      write();
    } catch (const InvariantViolation& e) {
      return e.field();
    }
    return "(accepted)";
  };
  UnitOfWork work(*store, Access::write);
  REQUIRE(work->accounts().insert(make_account("a")));
  REQUIRE(work->accounts().insert(make_account("b")));

  Account euro_limit = make_account("c");
  euro_limit.limit = Money(Decimal::parse("5.00"), Currency("EUR"));
  CHECK(field_of([&] { (void)work->accounts().insert(euro_limit); }) == "limit");
  CHECK_FALSE(work->accounts().find(AccountId("c")).has_value());

  CHECK(field_of([&] { work->accounts().set_status(AccountId("ghost"), AccountStatus::closed); }) == "account_id");
  CHECK(field_of([&] { work->accounts().set_balances(AccountId("ghost"), {1, 0, 0, 0}); }) == "account_id");

  CHECK(field_of([&] { work->ledger().append(make_entry(2, "e2", "a", "b", t0)); }) == "sequence");
  Entry short_balances = make_entry(1, "e1", "a", "b", t0);
  short_balances.balances_after.pop_back();
  CHECK(field_of([&] { work->ledger().append(short_balances); }) == "balances_after");

  Entry euros = make_entry(1, "e1", "a", "b", t0);
  for (Posting& posting : euros.postings) posting.amount = Money(Decimal::parse("1.25"), Currency("EUR"));
  CHECK(field_of([&] { work->ledger().append(euros); }) == "currency");  // the accounts are in USD

  work->ledger().append(make_entry(1, "e1", "a", "b", t0));
  CHECK(field_of([&] { work->ledger().append(make_entry(2, "e1", "a", "b", t0)); }) == "entry_id");
  CHECK(work->ledger().head().sequence == 1);
}

CONTRACT_TEST("an entry that names a missing account is refused on every adapter") {
  auto store = Adapter::open();
  UnitOfWork work(*store, Access::write);
  REQUIRE(work->accounts().insert(make_account("a")));
  CHECK_THROWS_AS(work->ledger().append(make_entry(1, "e1", "a", "ghost", Timestamp::parse("2026-01-01T00:00:00Z"))),
                  InvariantViolation);
}
