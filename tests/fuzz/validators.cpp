// The validators of codes and ids on any bytes: Currency's constructor and Currency::find agree, and what
// they accept is the code asked for; AccountId and EntryId accept exactly 1 to 128 printable ASCII
// characters without spaces (id.hpp), keep them byte for byte, and name their own field when refusing.
#include <optional>
#include <string>

#include "billing/account.hpp"
#include "billing/currency.hpp"
#include "billing/entry.hpp"
#include "harness.hpp"

using namespace billing;

namespace {

// id.hpp's rule, written again from the documentation.
bool valid_id(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (const char c : text) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void check_currency(std::string_view code) {
  const std::optional<Currency> found = Currency::find(code);
  std::optional<Currency> constructed;
  try {
    constructed = Currency(code);
  } catch (const UnknownCurrency& e) {
    BILLING_FUZZ_CHECK(e.field() == "currency");
  }
  BILLING_FUZZ_CHECK(found.has_value() == constructed.has_value());
  if (!found) return;
  BILLING_FUZZ_CHECK(*found == *constructed);
  BILLING_FUZZ_CHECK(found->code() == code);
  BILLING_FUZZ_CHECK(found->minor_units() >= 0 && found->minor_units() <= Currency::k_max_minor_units);
  BILLING_FUZZ_CHECK(found->is_iso() == (found->numeric() != 0));
}

template <class IdT>
void check_id(const std::string& text, std::string_view field) {
  try {
    const IdT id(text);
    BILLING_FUZZ_CHECK(valid_id(text));
    BILLING_FUZZ_CHECK(id.str() == text);
    BILLING_FUZZ_CHECK(IdT(id.str()) == id);
  } catch (const InvalidArgument& e) {
    BILLING_FUZZ_CHECK(!valid_id(text));
    BILLING_FUZZ_CHECK(e.field() == field);
  }
}

}  // namespace

BILLING_FUZZ_TARGET(validators) {
  if (input.empty()) return;
  const std::string text(fuzz::as_text(input.subspan(1)));
  const bool ran = fuzz::completes([&] {
    switch (input[0] % 3) {
      case 0: check_currency(text); break;
      case 1: check_id<AccountId>(text, "account_id"); break;
      default: check_id<EntryId>(text, "entry_id"); break;
    }
  });
  BILLING_FUZZ_CHECK(ran);  // each check catches the one error it expects; nothing else may escape
}
