#include "ledger.hpp"

#include <algorithm>

#include "../integrity.hpp"

namespace billing::detail::memory {

void Ledger::check(const Entry& entry) const {
  integrity::check_appendable(entry, tables_.entries.size());
  if (tables_.sequence_by_id.contains(entry.id.str())) integrity::duplicate_entry(entry.id);
  for (const Posting& posting : entry.postings) {
    const auto account = accounts_.find(posting.account.str());
    if (account == accounts_.end()) integrity::missing_account(posting.account);
    integrity::check_posting_currency(posting, account->second.currency.code());
  }
}

void Ledger::append(Entry entry) {
  session_.require_write();
  check(entry);
  const Entry& stored = tables_.entries.emplace_back(std::move(entry));
  tables_.sequence_by_id.emplace(stored.id.str(), stored.sequence);
  for (std::size_t leg = 0; leg < stored.postings.size(); ++leg) {
    tables_.postings_by_account[stored.postings[leg].account.str()].push_back({stored.sequence, leg});
  }
  // One small closure per entry (no captured strings, so std::function does not allocate).
  session_.on_rollback([this] {
    const Entry& last = tables_.entries.back();
    for (const Posting& posting : last.postings) tables_.postings_by_account[posting.account.str()].pop_back();
    tables_.sequence_by_id.erase(last.id.str());
    tables_.entries.pop_back();
  });
  index_links(stored);
}

std::optional<Entry> Ledger::find(const EntryId& id) {
  session_.require_open();
  const auto it = tables_.sequence_by_id.find(id.str());
  if (it == tables_.sequence_by_id.end()) return std::nullopt;
  return tables_.entries[it->second - 1];
}

ChainHead Ledger::head() {
  session_.require_open();
  if (tables_.entries.empty()) return {};
  const Entry& last = tables_.entries.back();
  return {last.sequence, last.hash, last.recorded_at};
}

std::optional<EntryId> Ledger::resolution_of(const EntryId& pending_id) {
  return link(tables_.resolution_by_hold, pending_id);
}

std::optional<EntryId> Ledger::reversal_of(const EntryId& id) { return link(tables_.reversal_by_entry, id); }

std::vector<Entry> Ledger::scan(std::uint64_t after_sequence, std::size_t limit) {
  session_.require_open();
  std::vector<Entry> out;
  for (std::uint64_t seq = after_sequence + 1; seq <= tables_.entries.size() && out.size() < limit; ++seq) {
    out.push_back(tables_.entries[seq - 1]);
  }
  return out;
}

std::vector<Entry> Ledger::for_account(const AccountId& account, std::uint64_t after_sequence,
                                       std::optional<Timestamp> from, std::optional<Timestamp> to, std::size_t limit) {
  session_.require_open();
  std::vector<Entry> out;
  const auto it = tables_.postings_by_account.find(account.str());
  if (it == tables_.postings_by_account.end()) return out;
  const auto& refs = it->second;
  auto ref = std::upper_bound(refs.begin(), refs.end(), after_sequence,
                              [](std::uint64_t seq, const PostingRef& r) { return seq < r.sequence; });
  std::uint64_t last_added = 0;
  for (; ref != refs.end() && out.size() < limit; ++ref) {
    if (ref->sequence == last_added) continue;  // two legs of one entry on this account
    const Entry& entry = tables_.entries[ref->sequence - 1];
    if ((from && entry.recorded_at < *from) || (to && !(entry.recorded_at < *to))) continue;
    out.push_back(entry);
    last_added = ref->sequence;
  }
  return out;
}

Balances Ledger::balances_at(const AccountId& account, std::uint64_t sequence) {
  session_.require_open();
  const auto it = tables_.postings_by_account.find(account.str());
  if (it == tables_.postings_by_account.end()) return {};
  const auto& refs = it->second;
  auto ref = std::upper_bound(refs.begin(), refs.end(), sequence,
                              [](std::uint64_t seq, const PostingRef& r) { return seq < r.sequence; });
  if (ref == refs.begin()) return {};
  --ref;
  return tables_.entries[ref->sequence - 1].balances_after[ref->leg];
}

std::uint64_t Ledger::sequence_at(Timestamp when) {
  session_.require_open();
  // recorded_at never decreases along the sequence, so the entries are sorted by it.
  const auto it = std::upper_bound(tables_.entries.begin(), tables_.entries.end(), when,
                                   [](Timestamp t, const Entry& e) { return t < e.recorded_at; });
  return static_cast<std::uint64_t>(it - tables_.entries.begin());
}

std::vector<EntryId> Ledger::expired_holds(Timestamp when, std::size_t limit) {
  session_.require_open();
  std::vector<std::uint64_t> sequences;
  for (const auto& [expires, sequence] : tables_.holds_by_expiry) {
    if (expires > when.unix_micros()) break;
    sequences.push_back(sequence);
  }
  std::sort(sequences.begin(), sequences.end());
  if (sequences.size() > limit) sequences.resize(limit);
  std::vector<EntryId> out;
  for (std::uint64_t sequence : sequences) out.push_back(tables_.entries[sequence - 1].id);
  return out;
}

std::optional<EntryId> Ledger::link(const std::unordered_map<std::string, std::string>& links,
                                    const EntryId& id) const {
  session_.require_open();
  const auto it = links.find(id.str());
  if (it == links.end()) return std::nullopt;
  return EntryId(it->second);
}

// Keeps the hold, resolution and reversal indexes, which a relational store has as columns.
void Ledger::index_links(const Entry& entry) {
  if (entry.kind == EntryKind::pending && entry.expires_at) {
    const auto key = std::make_pair(entry.expires_at->unix_micros(), entry.sequence);
    tables_.holds_by_expiry.insert(key);
    session_.on_rollback([this, key] { tables_.holds_by_expiry.erase(key); });
  }
  if (entry.pending_id) {
    add_link(tables_.resolution_by_hold, *entry.pending_id, entry.id);
    const auto hold = tables_.sequence_by_id.find(entry.pending_id->str());
    if (hold != tables_.sequence_by_id.end() && tables_.entries[hold->second - 1].expires_at) {
      const auto key = std::make_pair(tables_.entries[hold->second - 1].expires_at->unix_micros(), hold->second);
      if (tables_.holds_by_expiry.erase(key) == 1) {
        session_.on_rollback([this, key] { tables_.holds_by_expiry.insert(key); });
      }
    }
  }
  if (entry.reverses) add_link(tables_.reversal_by_entry, *entry.reverses, entry.id);
}

void Ledger::add_link(std::unordered_map<std::string, std::string>& links, const EntryId& from, const EntryId& to) {
  if (!links.emplace(from.str(), to.str()).second) integrity::already_linked(from);
  session_.on_rollback([&links, key = from.str()] { links.erase(key); });
}

}  // namespace billing::detail::memory
