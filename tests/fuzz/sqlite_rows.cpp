// The SQLite adapter's decoders of the values a file holds, on any bytes: a journal row's postings blob
// (postings_blob.hpp) and a metadata column (src/storage/rows.hpp). A file another program wrote, or a damaged one,
// may hold anything there. Only StorageError may escape; what decodes encodes back to the same bytes
// (postings) or to a text that decodes to the same value (metadata).
#include <string>

#include "../../src/storage/sqlite/postings_blob.hpp"
#include "../../src/storage/rows.hpp"
#include "harness.hpp"

using namespace billing;
using namespace billing::detail;
using namespace billing::detail::sqlite;

namespace {

void check_postings(fuzz::Input blob) {
  Entry entry{.id = EntryId("fuzzed")};
  CurrencyLookup currencies;
  if (!fuzz::completes<StorageError>([&] { decode_postings(blob, entry, currencies); })) return;
  BILLING_FUZZ_CHECK(entry.postings.size() == entry.balances_after.size());
  std::string again;
  encode_postings(entry, again);
  BILLING_FUZZ_CHECK(again == fuzz::as_text(blob));
}

void check_metadata(std::string_view json) {
  Metadata metadata;
  if (!fuzz::completes<StorageError>([&] { metadata = decode_metadata(json, "fuzzed metadata"); })) return;
  std::string encoded;
  encode_metadata(metadata, encoded);
  const Metadata again = decode_metadata(encoded, "re-encoded metadata");  // refusing its own text: a finding
  BILLING_FUZZ_CHECK(again == metadata);
  std::string twice;
  encode_metadata(again, twice);
  BILLING_FUZZ_CHECK(twice == encoded);
}

}  // namespace

BILLING_FUZZ_TARGET(sqlite_rows) {
  if (input.empty()) return;
  if (input[0] % 2 == 0) {
    check_postings(input.subspan(1));
  } else {
    check_metadata(fuzz::as_text(input.subspan(1)));
  }
}
