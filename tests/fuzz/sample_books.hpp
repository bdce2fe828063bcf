// A small set of books that the fuzz harnesses read: a few accounts in two currencies, transfers an hour
// apart, a three-leg entry, holds posted and voided, a reversal and an idempotency key. Deterministic: a
// manual clock and sequential ids, so that the same build writes the same file.
#pragma once

#include <memory>
#include <vector>

#include "billing/books.hpp"

namespace billing::fuzz {

/// The accounts fill_sample_books opens, in id order: two in EUR, three in USD.
[[nodiscard]] const std::vector<AccountId>& sample_accounts();

struct SampleBooks {
  std::shared_ptr<ManualClock> clock;
  std::unique_ptr<Books> books;
};

/// Books on `store` with the sample's clock (2026-01-01, moved by hand) and ids ("e-000000000001", ...).
[[nodiscard]] SampleBooks sample_books(std::shared_ptr<Store> store);

/// Opens the sample accounts and posts `transfers` transfers among them an hour apart, then one entry of
/// every other kind. Throws InvariantViolation if the library refuses any of it.
void fill_sample_books(SampleBooks& sample, int transfers);

}  // namespace billing::fuzz
