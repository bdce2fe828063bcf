// The whole public API of billing in one include. Each header it names documents one concept.
#pragma once

#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/error.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/rounding.hpp"
#include "billing/time.hpp"
#include "billing/version.hpp"
