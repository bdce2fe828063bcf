#include "postings_blob.hpp"

namespace billing::detail::sqlite {
namespace {

constexpr std::uint8_t k_format = 1;
constexpr std::size_t k_max_text = 255;

}  // namespace

PostingsWriter::PostingsWriter(std::string& out, std::size_t legs) : out_(out) {
  out_.clear();
  out_.push_back(static_cast<char>(k_format));
  out_.push_back(static_cast<char>(legs & 0xff));
  out_.push_back(static_cast<char>((legs >> 8) & 0xff));
}

void PostingsWriter::put_i64(std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  char bytes[8];
  for (char& byte : bytes) {
    byte = static_cast<char>(bits & 0xff);
    bits >>= 8;
  }
  out_.append(bytes, sizeof bytes);
}

void PostingsWriter::put_text(std::string_view text) {
  BILLING_ASSERT(text.size() <= k_max_text);  // ids are at most 128 bytes, currency codes 16
  out_.push_back(static_cast<char>(text.size()));
  out_.append(text);
}

void PostingsWriter::add(std::string_view account, Side side, std::int64_t amount_minor, std::string_view currency,
                         const Balances& after) {
  out_.push_back(static_cast<char>(side));
  put_i64(amount_minor);
  put_i64(after.debits_posted);
  put_i64(after.credits_posted);
  put_i64(after.debits_pending);
  put_i64(after.credits_pending);
  put_text(currency);
  put_text(account);
}

void encode_postings(const Entry& entry, std::string& out) {
  PostingsWriter writer(out, entry.postings.size());
  for (std::size_t leg = 0; leg < entry.postings.size(); ++leg) {
    const Posting& posting = entry.postings[leg];
    writer.add(posting.account.str(), posting.side, posting.amount.minor(), posting.amount.currency().code(),
               entry.balances_after[leg]);
  }
}

PostingsReader::PostingsReader(std::span<const std::uint8_t> blob) : bytes_(blob) {
  if (take(1)[0] != k_format) throw_corrupt("postings blob", "its format is not one this library writes");
  const auto count = take(2);
  legs_ = static_cast<std::size_t>(count[0] | (count[1] << 8));
}

std::span<const std::uint8_t> PostingsReader::take(std::size_t size) {
  if (bytes_.size() - at_ < size) throw_corrupt("postings blob", "it ends in the middle of a leg");
  const auto out = bytes_.subspan(at_, size);
  at_ += size;
  return out;
}

std::int64_t PostingsReader::i64() {
  const auto b = take(8);
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | b[static_cast<std::size_t>(i)];
  return static_cast<std::int64_t>(value);
}

std::string_view PostingsReader::text() {
  const std::size_t size = take(1)[0];
  const auto b = take(size);
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

bool PostingsReader::next(BlobLeg& leg) {
  if (read_ == legs_) {
    if (at_ != bytes_.size()) throw_corrupt("postings blob", "bytes follow its last leg");
    return false;
  }
  ++read_;
  leg.side = load_enum<Side>(take(1)[0], 1, "posting side");
  // The same ranges as account_postings' CHECKs, which a blob has no column for.
  leg.amount_minor = load_minor(i64(), 1, "posting amount");
  leg.after.debits_posted = load_minor(i64(), 0, "posting total");
  leg.after.credits_posted = load_minor(i64(), 0, "posting total");
  leg.after.debits_pending = load_minor(i64(), 0, "posting total");
  leg.after.credits_pending = load_minor(i64(), 0, "posting total");
  leg.currency = text();
  leg.account = text();
  return true;
}

void decode_postings(std::span<const std::uint8_t> blob, Entry& entry, CurrencyLookup& currencies) {
  PostingsReader in(blob);
  entry.postings.clear();
  entry.balances_after.clear();
  entry.postings.reserve(in.legs());
  entry.balances_after.reserve(in.legs());
  for (BlobLeg leg; in.next(leg);) {
    entry.postings.push_back(Posting{.account = load_id<AccountId>(leg.account, "posting account id"),
                                     .side = leg.side,
                                     .amount = Money::from_minor(leg.amount_minor, currencies(leg.currency))});
    entry.balances_after.push_back(leg.after);
  }
}

}  // namespace billing::detail::sqlite
