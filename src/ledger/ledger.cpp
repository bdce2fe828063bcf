#include "billing/ledger.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "context.hpp"
#include "rules.hpp"

namespace billing {
namespace {

detail::Operation entry_operation(EntryKind kind, const EntryRequest& request) {
  return {.kind = kind, .borrowed = &request};
}

detail::Operation target_operation(EntryKind kind, const EntryId& target, std::optional<EntryId> id) {
  detail::Operation op{.kind = kind, .target = target};
  op.own.id = std::move(id);
  return op;
}

// An atomic batch stands or falls together: one real rejection turns every other outcome into batch_failed.
bool rejects_batch(PostResult result) { return result != PostResult::ok && result != PostResult::exists; }

// A listing cursor: the sequence of the last entry of the page and a tag that binds it to the account
// listed, "<sequence>-<16 hex digits>". A cursor from another account's listing, or an edited one, fails the
// tag and is refused rather than read as a position in this account's entries.
constexpr std::size_t k_max_cursor = 20 + 1 + 16;

std::string cursor_tag(const AccountId& account, std::uint64_t sequence) {
  const std::string sequence_text = std::to_string(sequence);
  const Hash digest = detail::sha256(
      {"billing entries cursor", std::string_view("\0", 1), account.str(), std::string_view("\0", 1), sequence_text});
  return to_hex(digest).substr(0, 16);
}

std::string make_cursor(const AccountId& account, std::uint64_t sequence) {
  return fmt::format("{}-{}", sequence, cursor_tag(account, sequence));
}

std::uint64_t parse_cursor(const AccountId& account, const std::string& cursor) {
  if (cursor.empty()) return 0;
  const auto refuse = [] {
    return InvalidArgument("cursor", "is not a next_cursor that entries() returned for this account");
  };
  const auto dash = cursor.find('-');
  if (cursor.size() > k_max_cursor || dash == std::string::npos) throw refuse();
  std::uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(cursor.data(), cursor.data() + dash, sequence);
  if (error != std::errc() || end != cursor.data() + dash ||
      cursor.compare(dash + 1, std::string::npos, cursor_tag(account, sequence)) != 0) {
    throw refuse();
  }
  return sequence;
}

AccountBalance make_balance(const Account& account, const Balances& totals, std::uint64_t sequence, bool current) {
  const auto money = [&](std::int64_t minor) { return Money::from_minor(minor, account.currency); };
  Account as_of = account;
  as_of.balances = totals;
  return {.account = account.id,
          .currency = account.currency,
          .totals = totals,
          .debits_posted = money(totals.debits_posted),
          .credits_posted = money(totals.credits_posted),
          .debits_pending = money(totals.debits_pending),
          .credits_pending = money(totals.credits_pending),
          .net = as_of.net_balance(),
          .available = current ? as_of.available() : std::nullopt,
          .as_of_sequence = sequence};
}

static_assert(static_cast<std::size_t>(PostResult::batch_failed) < detail::Metrics::k_max_codes);

// Counts for the health report: entries appended once the unit commits, rejections as they are told (an
// `exists` replay is neither).
void count_outcomes(detail::Metrics& metrics, UnitOfWork& work, const std::vector<PostOutcome>& outcomes) {
  std::uint64_t appended = 0;
  for (const PostOutcome& outcome : outcomes) {
    if (outcome.result == PostResult::ok) {
      ++appended;
    } else if (outcome.result != PostResult::exists) {
      metrics.add_rejection(static_cast<std::size_t>(outcome.result));
    }
  }
  metrics.add_on_commit(work, detail::Counter::entries_posted, appended);
}

void check_batch(std::size_t size, std::string_view field) {
  if (size > k_max_batch) {
    throw InvalidArgument(std::string(field),
                          fmt::format("{} is more than the {} one call may hold", size, k_max_batch));
  }
}

}  // namespace

std::string_view to_string(PostResult result) noexcept {
  switch (result) {
    case PostResult::ok: return "ok";
    case PostResult::exists: return "exists";
    case PostResult::exists_with_different_fields: return "exists_with_different_fields";
    case PostResult::unbalanced: return "unbalanced";
    case PostResult::pending_not_found: return "pending_not_found";
    case PostResult::pending_already_posted: return "pending_already_posted";
    case PostResult::pending_already_voided: return "pending_already_voided";
    case PostResult::pending_expired: return "pending_expired";
    case PostResult::exceeds_pending_amount: return "exceeds_pending_amount";
    case PostResult::partial_needs_two_legs: return "partial_needs_two_legs";
    case PostResult::entry_not_found: return "entry_not_found";
    case PostResult::already_reversed: return "already_reversed";
    case PostResult::not_reversible: return "not_reversible";
    case PostResult::account_not_found: return "account_not_found";
    case PostResult::account_pending: return "account_pending";
    case PostResult::account_inactive: return "account_inactive";
    case PostResult::account_closed: return "account_closed";
    case PostResult::currency_mismatch: return "currency_mismatch";
    case PostResult::overflow: return "overflow";
    case PostResult::exceeds_credits: return "exceeds_credits";
    case PostResult::exceeds_debits: return "exceeds_debits";
    case PostResult::exceeds_limit: return "exceeds_limit";
    case PostResult::batch_failed: return "batch_failed";
  }
  return "?";
}

std::vector<PostOutcome> Ledger::run(const std::vector<detail::Operation>& operations, BatchMode mode) {
  for (std::size_t i = 0; i < operations.size(); ++i) {
    detail::validate(operations[i], operations.size() == 1 ? std::nullopt : std::optional<std::size_t>(i));
  }
  return context_.write([&](UnitOfWork& work) {
    detail::Planner planner(work, context_.clock(), context_.ids());
    std::vector<PostOutcome> outcomes;
    outcomes.reserve(operations.size());
    for (const detail::Operation& operation : operations) {
      outcomes.push_back(planner.plan(operation));
      if (mode == BatchMode::atomic && rejects_batch(outcomes.back().result)) {
        for (PostOutcome& other : outcomes) {
          if (&other != &outcomes.back()) other = {PostResult::batch_failed, std::nullopt, std::nullopt};
        }
        outcomes.resize(operations.size(), {PostResult::batch_failed, std::nullopt, std::nullopt});
        count_outcomes(context_.metrics(), work, outcomes);
        return outcomes;  // nothing staged is written
      }
    }
    planner.write();
    count_outcomes(context_.metrics(), work, outcomes);
    return outcomes;
  });
}

PostOutcome Ledger::post(const EntryRequest& request) {
  return std::move(run({entry_operation(EntryKind::posted, request)}, BatchMode::atomic).front());
}

PostOutcome Ledger::transfer(const TransferRequest& request) {
  // The rule validate() applies to every entry (no account on both sides), named after this door's field.
  if (request.debit == request.credit) throw InvalidArgument("credit", "must be another account than the debit");
  return post(
      {.id = request.id,
       .postings = {{request.debit, Side::debit, request.amount}, {request.credit, Side::credit, request.amount}},
       .description = request.description,
       .metadata = request.metadata,
       .effective_at = request.effective_at});
}

std::vector<PostOutcome> Ledger::post_batch(const std::vector<EntryRequest>& requests, BatchMode mode) {
  check_batch(requests.size(), "entries");
  std::vector<detail::Operation> operations;
  operations.reserve(requests.size());
  for (const EntryRequest& request : requests) operations.push_back(entry_operation(EntryKind::posted, request));
  return run(operations, mode);
}

PostOutcome Ledger::hold(const EntryRequest& request, std::optional<std::chrono::microseconds> timeout) {
  detail::Operation op = entry_operation(EntryKind::pending, request);
  op.timeout = timeout;
  return std::move(run({op}, BatchMode::atomic).front());
}

PostOutcome Ledger::post_pending(const EntryId& pending_id, std::optional<Money> amount, std::optional<EntryId> id) {
  detail::Operation op = target_operation(EntryKind::post_pending, pending_id, std::move(id));
  op.amount = std::move(amount);
  return std::move(run({op}, BatchMode::atomic).front());
}

PostOutcome Ledger::void_pending(const EntryId& pending_id, std::optional<EntryId> id) {
  return std::move(
      run({target_operation(EntryKind::void_pending, pending_id, std::move(id))}, BatchMode::atomic).front());
}

std::vector<PostOutcome> Ledger::post_pending_group(const std::vector<EntryId>& pending_ids, BatchMode mode) {
  check_batch(pending_ids.size(), "pending_ids");
  std::vector<detail::Operation> operations;
  operations.reserve(pending_ids.size());
  for (const EntryId& id : pending_ids)
    operations.push_back(target_operation(EntryKind::post_pending, id, std::nullopt));
  return run(operations, mode);
}

std::vector<PostOutcome> Ledger::void_pending_group(const std::vector<EntryId>& pending_ids, BatchMode mode) {
  check_batch(pending_ids.size(), "pending_ids");
  std::vector<detail::Operation> operations;
  operations.reserve(pending_ids.size());
  for (const EntryId& id : pending_ids)
    operations.push_back(target_operation(EntryKind::void_pending, id, std::nullopt));
  return run(operations, mode);
}

std::size_t Ledger::void_expired_holds() {
  const auto expired = context_.read(
      [&](UnitOfWork& work) { return work->ledger().expired_holds(context_.clock().now(), detail::k_max_page); });
  if (expired.empty()) return 0;
  const auto outcomes = void_pending_group(expired, BatchMode::independent);
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const PostOutcome& o) { return o.result == PostResult::ok; }));
}

PostOutcome Ledger::reverse(const EntryId& entry_id, std::optional<EntryId> id, std::string description) {
  detail::Operation op = target_operation(EntryKind::reversal, entry_id, std::move(id));
  op.own.description = std::move(description);
  return std::move(run({op}, BatchMode::atomic).front());
}

std::optional<Entry> Ledger::entry(const EntryId& id) {
  return context_.read([&](UnitOfWork& work) { return work->ledger().find(id); });
}

std::optional<AccountBalance> Ledger::balance(const AccountId& account) {
  return context_.read([&](UnitOfWork& work) -> std::optional<AccountBalance> {
    const auto found = work->accounts().find(account);
    if (!found) return std::nullopt;
    return make_balance(*found, found->balances, work->ledger().head().sequence, true);
  });
}

std::optional<AccountBalance> Ledger::balance_at_sequence(const AccountId& account, std::uint64_t sequence) {
  return context_.read([&](UnitOfWork& work) -> std::optional<AccountBalance> {
    const auto found = work->accounts().find(account);
    if (!found) return std::nullopt;
    const std::uint64_t last = std::min(sequence, work->ledger().head().sequence);
    return make_balance(*found, work->ledger().balances_at(account, last), last, false);
  });
}

std::optional<AccountBalance> Ledger::balance_at(const AccountId& account, Timestamp when) {
  const std::uint64_t sequence = context_.read([&](UnitOfWork& work) { return work->ledger().sequence_at(when); });
  return balance_at_sequence(account, sequence);
}

Page<Entry> Ledger::entries(const AccountId& account, const EntryQuery& query) {
  detail::check_page_limit(query.limit);
  if (query.start && query.end && *query.end < *query.start) throw InvalidArgument("end", "is before start");
  const std::uint64_t after = parse_cursor(account, query.cursor);
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->ledger().for_account(account, after, query.start, query.end, query.limit + 1),
                             query.limit, [&](const Entry& entry) { return make_cursor(account, entry.sequence); });
  });
}

}  // namespace billing
