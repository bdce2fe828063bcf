// The whole public API of billing in one include. Each header it names documents one concept.
#pragma once

#include "billing/account.hpp"
#include "billing/accounts.hpp"
#include "billing/books.hpp"
#include "billing/canonical.hpp"
#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/entry.hpp"
#include "billing/error.hpp"
#include "billing/format.hpp"
#include "billing/id.hpp"
#include "billing/ledger.hpp"
#include "billing/money.hpp"
#include "billing/order.hpp"
#include "billing/orders.hpp"
#include "billing/page.hpp"
#include "billing/rounding.hpp"
#include "billing/storage/account_repository.hpp"
#include "billing/storage/idempotency_repository.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "billing/storage/memory.hpp"
#include "billing/storage/order_repository.hpp"
#include "billing/storage/store.hpp"
#include "billing/time.hpp"
#include "billing/version.hpp"

// The SQLite adapter is its own library (billing::sqlite): include "billing/storage/sqlite.hpp" to use it.
