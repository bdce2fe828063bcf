// verify(): trust nothing that is stored. Re-derive every hash from the entries' content and every
// running total from the postings, and compare with what the store says.
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "billing/ledger.hpp"
#include "context.hpp"
#include "rules.hpp"
#include "walk.hpp"

namespace billing {
namespace {

struct Walk {
  VerifyReport report;
  Hash previous{};
  std::unordered_map<std::string, Balances> totals;             // re-derived, per account
  std::unordered_map<std::string, std::vector<Posting>> holds;  // pending entries' postings, by id
  std::unordered_map<std::string, Currency> currencies;         // every stored account's currency

  void fail(std::uint64_t sequence, std::string problem) {
    if (!report.ok) return;  // keep the first
    report.ok = false;
    report.first_bad_sequence = sequence;
    report.problem = std::move(problem);
  }

  bool balanced(const Entry& entry) const {
    std::map<std::string_view, std::int64_t> net;
    for (const Posting& p : entry.postings) {
      if (p.amount.sign() <= 0) return false;
      std::int64_t& sum = net[p.amount.currency().code()];
      if (__builtin_add_overflow(sum, p.side == Side::debit ? p.amount.minor() : -p.amount.minor(), &sum)) return false;
    }
    for (const auto& [currency, sum] : net) {
      if (sum != 0) return false;
    }
    return entry.postings.size() >= 2;
  }

  void check(const Entry& entry) {
    const std::uint64_t expected = report.entries_checked + 1;
    ++report.entries_checked;
    if (entry.sequence != expected) {
      return fail(entry.sequence, fmt::format("sequence {} follows {}", entry.sequence, expected - 1));
    }
    if (entry.previous_hash != previous) return fail(entry.sequence, "previous_hash does not match the entry before");
    if (detail::chain_hash(entry) != entry.hash) {
      return fail(entry.sequence, fmt::format("hash does not match the content of entry '{}'", entry.id.str()));
    }
    previous = entry.hash;
    if (!balanced(entry)) return fail(entry.sequence, fmt::format("entry '{}' does not balance", entry.id.str()));
    if (entry.balances_after.size() != entry.postings.size()) return fail(entry.sequence, "postings lack totals");
    const std::vector<Posting>* hold = nullptr;
    if (entry.pending_id) {
      const auto it = holds.find(entry.pending_id->str());
      if (it == holds.end() || it->second.size() != entry.postings.size()) {
        return fail(entry.sequence, fmt::format("resolves unknown hold '{}'", entry.pending_id->str()));
      }
      hold = &it->second;
    }
    for (std::size_t i = 0; i < entry.postings.size(); ++i) {
      ++report.postings_checked;
      const Posting& posting = entry.postings[i];
      const auto currency = currencies.find(posting.account.str());
      if (currency == currencies.end()) {
        return fail(entry.sequence, fmt::format("posting {} names account '{}', which is not stored", i,
                                                posting.account.str()));
      }
      if (currency->second != posting.amount.currency()) {
        return fail(entry.sequence, fmt::format("posting {} on '{}' is in {}, the account in {}", i,
                                                posting.account.str(), posting.amount.currency().code(),
                                                currency->second.code()));
      }
      Balances& account = totals[entry.postings[i].account.str()];
      if (!detail::apply_leg(account, entry.kind, entry.postings[i], hold ? &(*hold)[i] : nullptr)) {
        return fail(entry.sequence, fmt::format("posting {} overflows or over-releases its account", i));
      }
      if (account != entry.balances_after[i]) {
        return fail(entry.sequence, fmt::format("posting {} on '{}' stores totals that its postings do not add up to",
                                                i, entry.postings[i].account.str()));
      }
    }
    if (entry.kind == EntryKind::pending) holds.emplace(entry.id.str(), entry.postings);
  }
};

}  // namespace

VerifyReport Ledger::verify() {
  return context_.read([&](UnitOfWork& work) {
    Walk walk;
    detail::for_each_account(work->accounts(),
                             [&](const Account& account) { walk.currencies.emplace(account.id.str(), account.currency); });
    detail::for_each_entry(work->ledger(), std::nullopt, [&](const Entry& entry) { walk.check(entry); });
    walk.report.head_hash = walk.previous;
    detail::for_each_account(work->accounts(), [&](const Account& account) {
      ++walk.report.accounts_checked;
      const auto it = walk.totals.find(account.id.str());
      const Balances derived = it == walk.totals.end() ? Balances{} : it->second;
      if (account.balances != derived && walk.report.ok) {
        walk.report.ok = false;
        walk.report.problem = fmt::format("running totals of account '{}' differ from its postings", account.id.str());
      }
    });
    return walk.report;
  });
}

}  // namespace billing
