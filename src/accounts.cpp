#include "billing/accounts.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/storage/account_repository.hpp"
#include "context.hpp"
#include "text.hpp"

namespace billing {
namespace {

void validate(const AccountRequest& request) {
  detail::validate_name(request.name, "name", k_max_account_name_bytes);
  if (request.status != AccountStatus::pending && request.status != AccountStatus::active) {
    throw InvalidArgument("status",
                          fmt::format("a new account is PENDING or ACTIVE, not {}", to_string(request.status)));
  }
  if (request.debits_must_not_exceed_credits && request.credits_must_not_exceed_debits) {
    throw InvalidArgument("flags",
                          "debits_must_not_exceed_credits and credits_must_not_exceed_debits exclude each other");
  }
  if (request.limit) {
    if (request.limit->currency() != request.currency) {
      throw CurrencyMismatch("limit", fmt::format("is in {}, the account in {}", request.limit->currency().code(),
                                                  request.currency.code()));
    }
    if (request.limit->sign() < 0) throw InvalidArgument("limit", "must not be negative");
    if (!request.debits_must_not_exceed_credits && !request.credits_must_not_exceed_debits) {
      throw InvalidArgument("limit", "needs debits_must_not_exceed_credits or credits_must_not_exceed_debits");
    }
  }
  detail::validate_metadata(request.metadata, "metadata");
}

bool same_fields(const Account& stored, const AccountRequest& request) {
  return stored.currency == request.currency && stored.name == request.name &&
         stored.normal_side == request.normal_side &&
         stored.debits_must_not_exceed_credits == request.debits_must_not_exceed_credits &&
         stored.credits_must_not_exceed_debits == request.credits_must_not_exceed_debits &&
         stored.limit == request.limit && stored.metadata == request.metadata;
}

bool settled(const Balances& b) {
  return b.debits_posted == b.credits_posted && b.debits_pending == 0 && b.credits_pending == 0;
}

}  // namespace

std::string_view to_string(AccountResult result) noexcept {
  switch (result) {
    case AccountResult::ok: return "ok";
    case AccountResult::exists: return "exists";
    case AccountResult::exists_with_different_fields: return "exists_with_different_fields";
  }
  return "?";
}

std::string_view to_string(StatusResult result) noexcept {
  switch (result) {
    case StatusResult::ok: return "ok";
    case StatusResult::account_not_found: return "account_not_found";
    case StatusResult::transition_forbidden: return "transition_forbidden";
    case StatusResult::balance_not_zero: return "balance_not_zero";
  }
  return "?";
}

AccountOutcome Accounts::create(const AccountRequest& request) {
  validate(request);
  return context_.write([&](UnitOfWork& work) -> AccountOutcome {
    const AccountId id = request.id ? *request.id : AccountId(context_.ids().next());
    if (auto existing = work->accounts().find(id)) {
      const bool same = same_fields(*existing, request);
      return {same ? AccountResult::exists : AccountResult::exists_with_different_fields, std::move(existing)};
    }
    Account account{.id = id,
                    .currency = request.currency,
                    .name = request.name,
                    .normal_side = request.normal_side,
                    .status = request.status,
                    .debits_must_not_exceed_credits = request.debits_must_not_exceed_credits,
                    .credits_must_not_exceed_debits = request.credits_must_not_exceed_debits,
                    .limit = request.limit,
                    .metadata = request.metadata,
                    .created_at = context_.clock().now(),
                    .balances = {}};
    const bool inserted = work->accounts().insert(account);
    BILLING_ASSERT(inserted);  // find() just saw no account with this id, in the same unit of work
    return {AccountResult::ok, std::move(account)};
  });
}

std::optional<Account> Accounts::get(const AccountId& id) {
  return context_.read([&](UnitOfWork& work) { return work->accounts().find(id); });
}

Page<Account> Accounts::list(std::optional<AccountStatus> status, const std::string& cursor, std::size_t limit) {
  detail::check_page_limit(limit);
  if (!cursor.empty()) detail::validate_id(cursor, "cursor");  // a cursor is the last id of the page before
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->accounts().list(status, cursor, limit + 1), limit,
                             [](const Account& account) { return account.id.str(); });
  });
}

StatusOutcome Accounts::set_status(const AccountId& id, AccountStatus status) {
  return context_.write([&](UnitOfWork& work) -> StatusOutcome {
    auto account = work->accounts().find(id);
    if (!account) return {StatusResult::account_not_found, std::nullopt};
    if (account->status == status) return {StatusResult::ok, std::move(account)};
    if (!account_transition_allowed(account->status, status)) {
      return {StatusResult::transition_forbidden, std::move(account)};
    }
    if (status == AccountStatus::closed && !settled(account->balances)) {
      return {StatusResult::balance_not_zero, std::move(account)};
    }
    work->accounts().set_status(id, status);
    account->status = status;
    return {StatusResult::ok, std::move(account)};
  });
}

}  // namespace billing
