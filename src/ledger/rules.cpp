#include "rules.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "text.hpp"

namespace billing::detail {
namespace {

__extension__ using wide_int = __int128;  // sums of up to 1,024 amounts below 2^63 cannot overflow it

std::int64_t& total_for(Balances& totals, Side side, bool pending) {
  if (side == Side::debit) return pending ? totals.debits_pending : totals.debits_posted;
  return pending ? totals.credits_pending : totals.credits_posted;
}

// Whether every currency's debits equal its credits. Sums are 128-bit, so no total of up to 1,024 amounts
// overflows. An entry has one or two currencies, so a linear pass over each is cheaper than a map.
bool balanced(const std::vector<Posting>& postings) {
  for (std::size_t first = 0; first < postings.size(); ++first) {
    const Currency currency = postings[first].amount.currency();
    bool seen_before = false;
    for (std::size_t i = 0; i < first && !seen_before; ++i) seen_before = postings[i].amount.currency() == currency;
    if (seen_before) continue;
    wide_int net = 0;
    for (std::size_t i = first; i < postings.size(); ++i) {
      if (postings[i].amount.currency() != currency) continue;
      const wide_int amount = postings[i].amount.minor();
      net += postings[i].side == Side::debit ? amount : -amount;
    }
    if (net != 0) return false;
  }
  return true;
}

PostOutcome rejected(PostResult result, std::optional<AccountId> account = std::nullopt) {
  return {result, std::nullopt, std::move(account)};
}

// Same request as the stored entry? Used to tell a safe retry from an id collision.
bool same_request(const Entry& stored, const Operation& op) {
  if (stored.kind != op.kind) return false;
  switch (op.kind) {
    case EntryKind::posted:
    case EntryKind::pending:
      return stored.postings == op.request().postings && stored.description == op.request().description &&
             stored.metadata == op.request().metadata &&
             (!op.request().effective_at || *op.request().effective_at == stored.effective_at);
    case EntryKind::post_pending:
      return stored.pending_id == op.target &&
             (!op.amount || (!stored.postings.empty() && stored.postings.front().amount == *op.amount));
    case EntryKind::void_pending: return stored.pending_id == op.target;
    case EntryKind::reversal: return stored.reverses == op.target;
  }
  return false;
}

PostResult status_result(AccountStatus status) {
  switch (status) {
    case AccountStatus::pending: return PostResult::account_pending;
    case AccountStatus::inactive: return PostResult::account_inactive;
    case AccountStatus::closed: return PostResult::account_closed;
    case AccountStatus::active: break;
  }
  return PostResult::ok;
}

// Debits (posted + pending) beyond credits posted, or the reverse, for the balance constraints.
std::optional<PostResult> constraint_broken(const Account& account, const Balances& before, const Balances& after) {
  const std::int64_t allowance = account.limit ? account.limit->minor() : 0;
  const auto exposure = [](std::int64_t grows_a, std::int64_t grows_b, std::int64_t against) {
    return static_cast<wide_int>(grows_a) + grows_b - against;
  };
  if (account.debits_must_not_exceed_credits &&
      exposure(after.debits_posted, after.debits_pending, 0) >
          exposure(before.debits_posted, before.debits_pending, 0) &&
      exposure(after.debits_posted, after.debits_pending, after.credits_posted) > allowance) {
    return account.limit ? PostResult::exceeds_limit : PostResult::exceeds_credits;
  }
  if (account.credits_must_not_exceed_debits &&
      exposure(after.credits_posted, after.credits_pending, 0) >
          exposure(before.credits_posted, before.credits_pending, 0) &&
      exposure(after.credits_posted, after.credits_pending, after.debits_posted) > allowance) {
    return account.limit ? PostResult::exceeds_limit : PostResult::exceeds_debits;
  }
  return std::nullopt;
}

// The first posting that credits an account an earlier posting debits, or the reverse. Such an entry nets out
// on that account, yet it grows both of its running totals (and so what a balance constraint sees as
// exposure): one side with the net amount says the same thing. Two postings, the common case, cost one compare.
std::optional<std::size_t> both_sides_of_one_account(const std::vector<Posting>& postings) {
  for (std::size_t i = 1; i < postings.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (postings[j].side != postings[i].side && postings[j].account == postings[i].account) return i;
    }
  }
  return std::nullopt;
}

}  // namespace

void validate(const Operation& op, std::optional<std::size_t> index) {
  // Built only when a check fails: most operations pass, and formatting the prefix is not free.
  const auto field = [&](std::string_view name) {
    return index ? fmt::format("[{}].{}", *index, name) : std::string(name);
  };
  const EntryRequest& request = op.request();
  if (!request.description.empty()) {
    if (const auto problem = line_problem(request.description, k_max_description_bytes)) {
      throw InvalidArgument(field("description"), *problem);
    }
  }
  if (!request.metadata.empty()) validate_metadata(request.metadata, field("metadata"));
  if (request.effective_at &&
      (*request.effective_at < k_effective_at_min || !(*request.effective_at < k_effective_at_end))) {
    throw InvalidArgument(field("effective_at"),
                          "must be from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z");
  }
  if (op.kind == EntryKind::posted || op.kind == EntryKind::pending) {
    if (request.postings.size() < 2 || request.postings.size() > k_max_postings) {
      throw InvalidArgument(field("postings"), fmt::format("an entry needs 2 to {} postings, not {}", k_max_postings,
                                                           request.postings.size()));
    }
    for (std::size_t i = 0; i < request.postings.size(); ++i) {
      if (request.postings[i].amount.sign() <= 0) {
        throw InvalidArgument(
            field(fmt::format("postings[{}].amount", i)),
            fmt::format("{} is not positive; the side gives the direction", request.postings[i].amount.to_string()));
      }
    }
    if (const auto i = both_sides_of_one_account(request.postings)) {
      throw InvalidArgument(
          field(fmt::format("postings[{}].account", *i)),
          fmt::format("'{}' is both debited and credited in one entry; post the net amount on one side",
                      request.postings[*i].account.str()));
    }
  } else {
    if (!op.target) throw InvalidArgument(field("target"), "names no entry");
  }
  if (op.timeout && (op.timeout->count() <= 0 || *op.timeout > k_max_hold_timeout)) {
    throw InvalidArgument(field("timeout"), "must be more than zero and at most 366 days");
  }
  if (op.amount && op.amount->sign() <= 0) {
    throw InvalidArgument(field("amount"), fmt::format("{} is not positive", op.amount->to_string()));
  }
}

bool apply_leg(Balances& totals, EntryKind kind, const Posting& posting, const Posting* hold_leg) {
  Balances next = totals;
  if (hold_leg != nullptr) {
    std::int64_t& pending = total_for(next, hold_leg->side, true);
    if (pending < hold_leg->amount.minor()) return false;  // cannot release more than is held
    pending -= hold_leg->amount.minor();
  }
  if (kind != EntryKind::void_pending) {
    std::int64_t& total = total_for(next, posting.side, kind == EntryKind::pending);
    if (__builtin_add_overflow(total, posting.amount.minor(), &total)) return false;
  }
  totals = next;
  return true;
}

Planner::Planner(UnitOfWork& work, const Clock& clock, IdSource& ids)
    : work_(work), clock_(clock), ids_(ids), head_(work->ledger().head()) {}

std::optional<Entry> Planner::find_entry(const EntryId& id) {
  if (const auto it = staged_by_id_.find(id.str()); it != staged_by_id_.end()) return staged_[it->second];
  return work_->ledger().find(id);
}

std::optional<EntryKind> Planner::resolution_kind(const EntryId& hold_id) {
  if (const auto it = staged_resolutions_.find(hold_id.str()); it != staged_resolutions_.end()) return it->second;
  const auto resolution = work_->ledger().resolution_of(hold_id);
  if (!resolution) return std::nullopt;
  const auto entry = find_entry(*resolution);
  BILLING_ASSERT(entry.has_value());
  return entry->kind;
}

bool Planner::is_reversed(const EntryId& id) {
  return staged_reversals_.contains(id.str()) || work_->ledger().reversal_of(id).has_value();
}

Planner::Slot* Planner::slot(const AccountId& id) {
  auto it = accounts_.find(id.str());
  if (it == accounts_.end()) it = accounts_.emplace(id.str(), Slot{work_->accounts().find(id), false}).first;
  return &it->second;
}

Account* Planner::account(const AccountId& id) {
  Slot* found = slot(id);
  return found->account ? &*found->account : nullptr;
}

std::optional<PostOutcome> Planner::resolve_target(const Operation& op, Entry& draft, std::optional<Entry>& hold) {
  if (op.kind == EntryKind::post_pending || op.kind == EntryKind::void_pending) {
    hold = find_entry(*op.target);
    if (!hold || hold->kind != EntryKind::pending) return rejected(PostResult::pending_not_found);
    if (const auto done = resolution_kind(*op.target)) {
      return rejected(*done == EntryKind::post_pending ? PostResult::pending_already_posted
                                                       : PostResult::pending_already_voided);
    }
    if (op.kind == EntryKind::post_pending && hold->expires_at && !(clock_.now() < *hold->expires_at)) {
      return rejected(PostResult::pending_expired);
    }
    draft.pending_id = op.target;
    draft.postings = hold->postings;
    if (op.amount) {
      if (hold->postings.size() != 2) return rejected(PostResult::partial_needs_two_legs);
      if (op.amount->currency() != hold->postings.front().amount.currency()) {
        return rejected(PostResult::currency_mismatch);
      }
      if (*op.amount > hold->postings.front().amount) return rejected(PostResult::exceeds_pending_amount);
      for (Posting& posting : draft.postings) posting.amount = *op.amount;
    }
    return std::nullopt;
  }
  if (op.kind == EntryKind::reversal) {
    const auto original = find_entry(*op.target);
    if (!original) return rejected(PostResult::entry_not_found);
    if (original->kind != EntryKind::posted && original->kind != EntryKind::post_pending) {
      return rejected(PostResult::not_reversible);
    }
    if (is_reversed(*op.target)) return rejected(PostResult::already_reversed);
    draft.reverses = op.target;
    draft.postings = original->postings;
    for (Posting& posting : draft.postings) posting.side = posting.side == Side::debit ? Side::credit : Side::debit;
    if (draft.description.empty()) draft.description = fmt::format("Reversal of {}", op.target->str());
  }
  return std::nullopt;
}

std::optional<PostOutcome> Planner::check_accounts(const Operation& op, const Entry& draft) {
  for (const Posting& posting : draft.postings) {
    const Account* found = account(posting.account);
    if (found == nullptr) return rejected(PostResult::account_not_found, posting.account);
    // Releasing a hold only gives back what was held, so it is allowed whatever the status.
    if (op.kind != EntryKind::void_pending && found->status != AccountStatus::active) {
      return rejected(status_result(found->status), posting.account);
    }
    if (posting.amount.currency() != found->currency) return rejected(PostResult::currency_mismatch, posting.account);
  }
  return std::nullopt;
}

std::optional<PostOutcome> Planner::apply(Entry& draft, const std::optional<Entry>& hold) {
  pending_.clear();  // the totals this entry would leave, per account, in the order first posted to
  draft.balances_after.clear();
  draft.balances_after.reserve(draft.postings.size());
  for (std::size_t i = 0; i < draft.postings.size(); ++i) {
    const Posting& posting = draft.postings[i];
    Slot* account_slot = slot(posting.account);
    auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.slot == account_slot; });
    if (it == pending_.end()) it = pending_.insert(pending_.end(), {account_slot, account_slot->account->balances});
    if (!apply_leg(it->after, draft.kind, posting, hold ? &hold->postings[i] : nullptr)) {
      return rejected(PostResult::overflow, posting.account);
    }
    draft.balances_after.push_back(it->after);
  }
  for (const Pending& p : pending_) {
    const Account& acct = *p.slot->account;
    if (const auto broken = constraint_broken(acct, acct.balances, p.after)) return rejected(*broken, acct.id);
  }
  for (const Pending& p : pending_) {
    p.slot->account->balances = p.after;
    if (!p.slot->touched) {
      p.slot->touched = true;
      touched_.push_back(p.slot);
    }
  }
  return std::nullopt;
}

PostOutcome Planner::plan(const Operation& op) {
  Entry draft{.id = op.request().id ? *op.request().id : EntryId(ids_.next()), .kind = op.kind};
  if (auto existing = find_entry(draft.id)) {
    const bool same = same_request(*existing, op);
    return {same ? PostResult::exists : PostResult::exists_with_different_fields, std::move(existing), std::nullopt};
  }
  draft.postings = op.request().postings;
  draft.description = op.request().description;
  draft.metadata = op.request().metadata;
  if (!balanced(draft.postings)) return rejected(PostResult::unbalanced);

  std::optional<Entry> hold;
  if (auto refused = resolve_target(op, draft, hold)) return *refused;
  if (auto refused = check_accounts(op, draft)) return *refused;

  const Timestamp now = clock_.now();
  draft.recorded_at = std::max(now, head_.recorded_at);  // never decreases along the chain
  draft.effective_at = op.request().effective_at.value_or(draft.recorded_at);
  if (op.timeout) draft.expires_at = draft.recorded_at + *op.timeout;
  if (auto refused = apply(draft, hold)) return *refused;

  draft.sequence = head_.sequence + 1;
  draft.previous_hash = head_.hash;
  draft.hash = chain_hash(draft);
  head_ = {draft.sequence, draft.hash, draft.recorded_at};
  PostOutcome outcome{PostResult::ok, draft, std::nullopt};
  stage(std::move(draft));
  return outcome;
}

void Planner::stage(Entry entry) {
  if (entry.pending_id) staged_resolutions_.emplace(entry.pending_id->str(), entry.kind);
  if (entry.reverses) staged_reversals_.insert(entry.reverses->str());
  staged_by_id_.emplace(entry.id.str(), staged_.size());
  staged_.push_back(std::move(entry));
}

void Planner::write() {
  for (Entry& entry : staged_) work_->ledger().append(std::move(entry));  // the outcomes hold their own copies
  staged_.clear();
  staged_by_id_.clear();
  for (Slot* touched : touched_) work_->accounts().set_balances(touched->account->id, touched->account->balances);
  touched_.clear();
}

}  // namespace billing::detail
