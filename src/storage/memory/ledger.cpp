#include "ledger.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include "../integrity.hpp"

namespace billing::detail::memory {

void Ledger::check(const Entry& entry) const {
  integrity::check_appendable(entry, tables_.entries.size());
  if (entry.pending_id && tables_.resolution_by_hold.contains(entry.pending_id->str())) {
    integrity::already_linked(*entry.pending_id);
  }
  if (entry.reverses && tables_.reversal_by_entry.contains(entry.reverses->str())) {
    integrity::already_linked(*entry.reverses);
  }
  for (const Posting& posting : entry.postings) {
    const auto account = accounts_.find(posting.account.str());
    if (account == accounts_.end()) integrity::missing_account(posting.account);
    integrity::check_posting_currency(posting, account->second.currency.code());
  }
}

void Ledger::append(Entry entry) {
  session_.require_write();
  check(entry);
  if (!first_appended_) {
    // One undo for every entry this transaction appends: what each entry indexed follows from the entry.
    first_appended_ = tables_.entries.size();
    session_.on_rollback([this] {
      while (tables_.entries.size() > *first_appended_) drop_last();
    });
  }
  // The id's one lookup in a table of every id both refuses a taken one and indexes a new one.
  const auto [id, fresh] = tables_.sequence_by_id.try_emplace(entry.id.str(), entry.sequence);
  if (!fresh) integrity::duplicate_entry(entry.id);
  try {
    tables_.entries.emplace_back(std::move(entry));
  } catch (...) {
    tables_.sequence_by_id.erase(id);
    throw;
  }
  const Entry& stored = tables_.entries.back();
  for (std::size_t leg = 0; leg < stored.postings.size(); ++leg) {
    tables_.postings_by_account[stored.postings[leg].account.str()].push_back({stored.sequence, leg});
  }
  index_links(stored);
}

void Ledger::drop_last() noexcept {
  const Entry& last = tables_.entries.back();
  if (last.kind == EntryKind::pending && last.expires_at) {
    tables_.holds_by_expiry.erase({last.expires_at->unix_micros(), last.sequence});
  }
  if (last.pending_id) {
    tables_.resolution_by_hold.erase(last.pending_id->str());
    // A resolution took its hold off the expiry index; an open hold is back on it.
    const auto hold = tables_.sequence_by_id.find(last.pending_id->str());
    if (hold != tables_.sequence_by_id.end()) {
      const Entry& held = tables_.entries[hold->second - 1];
      if (held.expires_at) tables_.holds_by_expiry.insert({held.expires_at->unix_micros(), held.sequence});
    }
  }
  if (last.reverses) tables_.reversal_by_entry.erase(last.reverses->str());
  for (const Posting& posting : last.postings) tables_.postings_by_account[posting.account.str()].pop_back();
  tables_.sequence_by_id.erase(last.id.str());
  tables_.entries.pop_back();
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

std::uint64_t Ledger::count_expired_holds(Timestamp when) {
  session_.require_open();
  // The set holds only unresolved holds, ordered by expiry: the expired ones are its first elements.
  const auto end =
      tables_.holds_by_expiry.upper_bound({when.unix_micros(), std::numeric_limits<std::uint64_t>::max()});
  return static_cast<std::uint64_t>(std::distance(tables_.holds_by_expiry.begin(), end));
}

std::optional<EntryId> Ledger::link(const std::unordered_map<std::string, std::string>& links,
                                    const EntryId& id) const {
  session_.require_open();
  const auto it = links.find(id.str());
  if (it == links.end()) return std::nullopt;
  return EntryId(it->second);
}

// Keeps the hold, resolution and reversal indexes, which a relational store has as columns; drop_last()
// undoes them. The links are checked before anything is indexed, so a refused entry indexes nothing.
void Ledger::index_links(const Entry& entry) {
  if (entry.kind == EntryKind::pending && entry.expires_at) {
    tables_.holds_by_expiry.insert({entry.expires_at->unix_micros(), entry.sequence});
  }
  if (entry.pending_id) {
    tables_.resolution_by_hold.emplace(entry.pending_id->str(), entry.id.str());
    const auto hold = tables_.sequence_by_id.find(entry.pending_id->str());
    if (hold != tables_.sequence_by_id.end() && tables_.entries[hold->second - 1].expires_at) {
      tables_.holds_by_expiry.erase({tables_.entries[hold->second - 1].expires_at->unix_micros(), hold->second});
    }
  }
  if (entry.reverses) tables_.reversal_by_entry.emplace(entry.reverses->str(), entry.id.str());
}

}  // namespace billing::detail::memory
