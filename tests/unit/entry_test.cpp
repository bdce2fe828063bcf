#include "billing/entry.hpp"

#include <doctest/doctest.h>

using namespace billing;

namespace {
Entry sample() {
  Entry entry{.id = EntryId("e1"), .sequence = 7};
  entry.postings = {{AccountId("a"), Side::debit, Money::parse("1.00 USD")},
                    {AccountId("b"), Side::credit, Money::parse("1.00 USD")}};
  entry.description = "d";
  entry.metadata = {{"k", "v"}};
  entry.effective_at = Timestamp::parse("2026-01-01T00:00:00Z");
  entry.recorded_at = Timestamp::parse("2026-01-01T00:00:01Z");
  return entry;
}
}  // namespace

TEST_CASE("the hash covers every field of an entry's content, and the previous hash") {
  const Entry base = sample();
  const Hash original = detail::chain_hash(base);
  CHECK(to_hex(original).size() == 64);
  CHECK(detail::chain_hash(base) == original);  // deterministic
  const std::vector<void (*)(Entry&)> edits = {
      [](Entry& e) { e.sequence = 8; },
      [](Entry& e) { e.id = EntryId("e2"); },
      [](Entry& e) { e.kind = EntryKind::pending; },
      [](Entry& e) { e.postings[0].amount = Money::parse("1.01 USD"); },
      [](Entry& e) { e.postings[0].side = Side::credit; },
      [](Entry& e) { e.postings[1].account = AccountId("c"); },
      [](Entry& e) { e.postings[1].amount = Money::parse("1.00 EUR"); },
      [](Entry& e) { e.description = "D"; },
      [](Entry& e) { e.metadata["k"] = "w"; },
      [](Entry& e) { e.effective_at = e.effective_at + std::chrono::microseconds(1); },
      [](Entry& e) { e.recorded_at = e.recorded_at + std::chrono::microseconds(1); },
      [](Entry& e) { e.pending_id = EntryId("h"); },
      [](Entry& e) { e.expires_at = Timestamp(); },
      [](Entry& e) { e.reverses = EntryId("r"); },
      [](Entry& e) { e.previous_hash[0] = 1; },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    CAPTURE(i);
    Entry edited = base;
    edits[i](edited);
    CHECK(detail::chain_hash(edited) != original);
  }
}

TEST_CASE("the canonical encoding is unambiguous where plain joining would not be") {
  Entry a = sample();
  Entry b = sample();
  a.description = "ab";
  a.metadata = {{"c", ""}};
  b.description = "a";
  b.metadata = {{"bc", ""}};
  CHECK(detail::canonical_encoding(a) != detail::canonical_encoding(b));
  CHECK(to_string(EntryKind::post_pending) == "POST_PENDING");
}
