#include "postings_blob.hpp"

#include <cstring>

namespace billing::detail::sqlite {
namespace {

constexpr std::uint8_t k_format = 1;
constexpr std::size_t k_max_text = 255;

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

  [[nodiscard]] std::uint8_t u8() { return take(1)[0]; }
  [[nodiscard]] std::uint16_t u16() {
    const auto b = take(2);
    return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
  }
  [[nodiscard]] std::int64_t i64() {
    const auto b = take(8);
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | b[static_cast<std::size_t>(i)];
    return static_cast<std::int64_t>(value);
  }
  [[nodiscard]] std::string_view text() {
    const std::size_t size = u8();
    const auto b = take(size);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  [[nodiscard]] bool done() const noexcept { return at_ == bytes_.size(); }

 private:
  std::span<const std::uint8_t> take(std::size_t size) {
    if (bytes_.size() - at_ < size) throw_corrupt("postings blob", "it ends in the middle of a leg");
    const auto out = bytes_.subspan(at_, size);
    at_ += size;
    return out;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

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

void decode_postings(std::span<const std::uint8_t> blob, Entry& entry, CurrencyLookup& currencies) {
  Reader in(blob);
  if (in.u8() != k_format) throw_corrupt("postings blob", "its format is not one this library writes");
  const std::size_t legs = in.u16();
  entry.postings.clear();
  entry.balances_after.clear();
  entry.postings.reserve(legs);
  entry.balances_after.reserve(legs);
  for (std::size_t leg = 0; leg < legs; ++leg) {
    const auto side = load_enum<Side>(in.u8(), 1, "posting side");
    const std::int64_t amount_minor = in.i64();
    Balances after{};
    after.debits_posted = in.i64();
    after.credits_posted = in.i64();
    after.debits_pending = in.i64();
    after.credits_pending = in.i64();
    const Currency currency = currencies(in.text());
    entry.postings.push_back(Posting{.account = load_id<AccountId>(in.text(), "posting account id"),
                                     .side = side,
                                     .amount = Money::from_minor(amount_minor, currency)});
    entry.balances_after.push_back(after);
  }
  if (!in.done()) throw_corrupt("postings blob", "bytes follow its last leg");
}

}  // namespace billing::detail::sqlite
