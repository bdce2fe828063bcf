// Payment validation (billing/payment_validation.hpp): card numbers by brand and range, Luhn, IBANs by
// country, expiry at month boundaries, every field's checks in order, every error at once, what is kept of a
// card, that no message holds card data, and that a valid request allocates nothing.
#include "billing/payment_validation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "billing/email.hpp"

using namespace billing;

namespace {

// The check digit that makes `body` pass Luhn, found by trying each, with a Luhn written again here.
bool luhn_here(const std::string& digits) {
  int sum = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    int d = digits[digits.size() - 1 - i] - '0';
    if (i % 2 == 1) d = d * 2 % 10 + d * 2 / 10;
    sum += d;
  }
  return sum % 10 == 0;
}

/// `prefix`, padded with 1s to `length` - 1 digits, then the Luhn check digit.
std::string card(const std::string& prefix, std::size_t length) {
  std::string body = prefix + std::string(length - 1 - prefix.size(), '1');
  for (char check = '0'; check <= '9'; ++check) {
    if (luhn_here(body + check)) return body + check;
  }
  FAIL("no check digit");
  return {};
}

/// The same number with its check digit changed, so that Luhn fails.
std::string broken(std::string number) {
  number.back() = number.back() == '9' ? '0' : static_cast<char>(number.back() + 1);
  return number;
}

const ManualClock may_2026(Timestamp::parse("2026-05-15T12:00:00Z"));

PaymentInput valid_card_payment() {
  return {.amount = "19.99",
          .currency = "USD",
          .customer_id = "cus_42",
          .email = "ada@example.com",
          .card_number = "4242 4242 4242 4242",
          .expiry_month = "12",
          .expiry_year = "2030",
          .cvc = "123"};
}

PaymentReport validate(const PaymentInput& input, const PaymentPolicy& policy = PaymentPolicy(),
                       const Clock& clock = may_2026) {
  return validate_payment(input, policy, clock);
}

/// "code: message" of the field's error, or "ok" when it passed.
std::string outcome(const PaymentReport& report, PaymentField field) {
  const FieldError* e = report.errors.find(field);
  return e ? std::string(to_string(e->code())) + ": " + std::string(e->message()) : std::string("ok");
}

std::optional<ValidationCode> code_of(const PaymentReport& report, PaymentField field) {
  const FieldError* error = report.errors.find(field);
  return error ? std::optional(error->code()) : std::nullopt;
}

}  // namespace

// ------------------------------------------------------------------------------------------ card brands

TEST_CASE("published test card numbers pass and are recognised by brand") {
  // Stripe ("Testing": card numbers by brand), Braintree (sandbox credit card numbers) and CyberSource
  // (test card numbers) publish these for tests; none is a real card.
  const std::vector<std::pair<std::string, CardBrand>> cards{
      {"4242424242424242", CardBrand::visa},        {"4000056655665556", CardBrand::visa},
      {"4012888888881881", CardBrand::visa},        {"4111111111111111", CardBrand::visa},
      {"4222222222222", CardBrand::visa},  // 13 digits
      {"5555555555554444", CardBrand::mastercard},  {"2223003122003222", CardBrand::mastercard},
      {"5200828282828210", CardBrand::mastercard},  {"5105105105105100", CardBrand::mastercard},
      {"378282246310005", CardBrand::amex},         {"371449635398431", CardBrand::amex},
      {"6011111111111117", CardBrand::discover},    {"6011000990139424", CardBrand::discover},
      {"6011981111111113", CardBrand::discover},    {"6555900000604105", CardBrand::discover},
      {"3566002020360505", CardBrand::jcb},         {"3530111333300000", CardBrand::jcb},
      {"3056930009020004", CardBrand::diners_club}, {"36227206271667", CardBrand::diners_club},
      {"30569309025904", CardBrand::diners_club},   {"38520000023237", CardBrand::diners_club},
      {"6200000000000005", CardBrand::unionpay},    {"6200000000000047", CardBrand::unionpay},
      {"6205500000000000004", CardBrand::unionpay},  // 19 digits
      {"6304000000000000", CardBrand::maestro},     {"6759411100000008", CardBrand::maestro},
      {"6759560045005727054", CardBrand::maestro},
  };
  for (const auto& card_and_brand : cards) {
    const std::string& number = card_and_brand.first;  // not a structured binding: clang 14 cannot capture one
    const CardBrand brand = card_and_brand.second;
    CAPTURE(number);
    const CardNumberCheck check = check_card_number(number);
    CHECK_FALSE(check.problem.has_value());
    CHECK(check.brand == brand);
    REQUIRE(check.number.has_value());
    CHECK(check.number->digits() == number);
    CHECK(check.number->brand() == brand);
    CHECK(check.number->last_four() == number.substr(number.size() - 4));
    CHECK(is_valid_card_number(number));
    CHECK(card_brand(number) == brand);
  }
}

TEST_CASE("the boundaries of each brand's ranges") {
  struct Case {
    std::string prefix;
    std::size_t length;
    std::optional<CardBrand> brand;
  };
  const std::vector<Case> cases{
      {"2220", 16, std::nullopt},
      {"2221", 16, CardBrand::mastercard},
      {"2720", 16, CardBrand::mastercard},
      {"2721", 16, std::nullopt},
      {"50", 16, std::nullopt},
      {"51", 16, CardBrand::mastercard},
      {"55", 16, CardBrand::mastercard},
      {"56", 16, std::nullopt},
      {"33", 15, std::nullopt},
      {"34", 15, CardBrand::amex},
      {"35", 15, std::nullopt},
      {"37", 15, CardBrand::amex},
      {"6010", 16, std::nullopt},
      {"6011", 16, CardBrand::discover},
      {"6012", 16, std::nullopt},
      {"643", 16, std::nullopt},
      {"644", 16, CardBrand::discover},
      {"649", 16, CardBrand::discover},
      {"65", 16, CardBrand::discover},
      {"66", 16, std::nullopt},
      {"622125", 16, CardBrand::unionpay},
      {"622126", 16, CardBrand::discover},
      {"622925", 16, CardBrand::discover},
      {"622926", 16, CardBrand::unionpay},
      {"62", 16, CardBrand::unionpay},
      {"81", 16, CardBrand::unionpay},
      {"80", 16, std::nullopt},
      {"82", 16, std::nullopt},
      {"3527", 16, std::nullopt},
      {"3528", 16, CardBrand::jcb},
      {"3589", 16, CardBrand::jcb},
      {"3590", 16, std::nullopt},
      {"299", 14, std::nullopt},
      {"300", 14, CardBrand::diners_club},
      {"305", 14, CardBrand::diners_club},
      {"306", 14, std::nullopt},
      {"3094", 14, std::nullopt},
      {"3095", 14, CardBrand::diners_club},
      {"3096", 14, std::nullopt},
      {"36", 14, CardBrand::diners_club},
      {"38", 16, CardBrand::diners_club},
      {"39", 16, CardBrand::diners_club},
      {"5017", 16, std::nullopt},
      {"5018", 16, CardBrand::maestro},
      {"5019", 16, std::nullopt},
      {"5020", 12, CardBrand::maestro},
      {"5038", 19, CardBrand::maestro},
      {"5893", 16, CardBrand::maestro},
      {"6304", 16, CardBrand::maestro},
      {"6759", 16, CardBrand::maestro},
      {"6760", 16, std::nullopt},
      {"6761", 16, CardBrand::maestro},
      {"6763", 16, CardBrand::maestro},
      {"6764", 16, std::nullopt},
      {"4", 16, CardBrand::visa},
      {"1", 16, std::nullopt},
      {"9", 16, std::nullopt},
  };
  for (const Case& c : cases) {
    const std::string number = card(c.prefix, c.length);
    CAPTURE(number);
    CHECK(card_brand(number) == c.brand);
    const CardNumberCheck check = check_card_number(number);
    CHECK(check.brand == c.brand);
    if (c.brand) {
      CHECK_FALSE(check.problem.has_value());
    } else {
      CHECK(check.problem == ValidationCode::unknown_brand);
    }
  }
}

TEST_CASE("each brand's lengths: valid ones pass, others are invalid_length") {
  const std::map<std::string, std::pair<CardBrand, std::vector<std::size_t>>> brands{
      {"4", {CardBrand::visa, {13, 16, 19}}},
      {"51", {CardBrand::mastercard, {16}}},
      {"34", {CardBrand::amex, {15}}},
      {"6011", {CardBrand::discover, {16, 17, 18, 19}}},
      {"3528", {CardBrand::jcb, {16, 17, 18, 19}}},
      {"36", {CardBrand::diners_club, {14, 15, 16, 17, 18, 19}}},
      {"62", {CardBrand::unionpay, {16, 17, 18, 19}}},
      {"6304", {CardBrand::maestro, {12, 13, 14, 15, 16, 17, 18, 19}}},
  };
  for (const auto& [prefix, expected] : brands) {
    for (std::size_t length = 12; length <= 19; ++length) {
      const std::string number = card(prefix, length);
      CAPTURE(number);
      const bool valid = std::find(expected.second.begin(), expected.second.end(), length) != expected.second.end();
      const CardNumberCheck check = check_card_number(number);
      CHECK(check.brand == expected.first);
      CHECK(check.problem == (valid ? std::nullopt : std::optional(ValidationCode::invalid_length)));
      CHECK(is_valid_card_number(number) == valid);
    }
  }
}

TEST_CASE("12 to 19 digits, whatever the brand") {
  CHECK(check_card_number(card("4", 11)).problem == ValidationCode::invalid_length);
  CHECK(check_card_number(card("4", 11)).digit_count == 11);
  CHECK(check_card_number(card("4", 20)).problem == ValidationCode::invalid_length);
  CHECK(check_card_number(card("6304", 12)).problem == std::nullopt);
  CHECK(check_card_number(std::string(64, '4')).problem == ValidationCode::invalid_length);
  CHECK(check_card_number("- - -").problem == ValidationCode::invalid_length);  // separators only: 0 digits
}

TEST_CASE("a number that fails Luhn is a checksum error, before its brand is looked at") {
  for (const char* number : {"4242424242424242", "378282246310005", "6011111111111117", "6304000000000000",
                             "36227206271667", "6205500000000000004"}) {
    CAPTURE(number);
    CHECK(check_card_number(broken(number)).problem == ValidationCode::checksum);
    CHECK_FALSE(check_card_number(broken(number)).brand.has_value());
    CHECK_FALSE(is_valid_card_number(broken(number)));
  }
  CHECK(check_card_number(broken(card("9", 16))).problem == ValidationCode::checksum);  // not unknown_brand
  CHECK(passes_luhn("79927398713"));  // the example of ISO/IEC 7812-1 and of Luhn's patent
  CHECK_FALSE(passes_luhn("79927398710"));
  CHECK_FALSE(passes_luhn(""));
  CHECK_FALSE(passes_luhn("1a"));
}

TEST_CASE("spaces and dashes are removed; anything else is invalid_format; the text is bounded") {
  for (const char* number : {"4242 4242 4242 4242", "4242-4242-4242-4242", " 4242424242424242 ",
                             "4-2-4-2 4242 4242 4242", "3782 822463 10005"}) {
    CAPTURE(number);
    CHECK(is_valid_card_number(number));
  }
  for (const char* number : {"4242.4242.4242.4242", "4242\t4242424242424", "4242424242424242x", "４２４２424242424242",
                             "+4242424242424242", "4242_4242_4242_4242"}) {
    CAPTURE(number);
    CHECK(check_card_number(number).problem == ValidationCode::invalid_format);
    CHECK_FALSE(card_brand(number).has_value());
  }
  CHECK(check_card_number("").problem == ValidationCode::empty);
  const std::string spaced = "4242424242424242" + std::string(48, ' ');  // 64 bytes: within the limit
  CHECK(is_valid_card_number(spaced));
  CHECK(check_card_number(spaced + " ").problem == ValidationCode::too_long);
  CHECK(check_card_number(std::string(100000, 'x')).problem == ValidationCode::too_long);
}

TEST_CASE("card_brand reads the leading digits alone, as a form does while digits are typed") {
  CHECK(card_brand("4") == CardBrand::visa);
  CHECK(card_brand("2221") == CardBrand::mastercard);
  CHECK(card_brand("222") == std::nullopt);  // not yet: 222x could be 2221-2229
  CHECK(card_brand("37") == CardBrand::amex);
  CHECK(card_brand("6221") == CardBrand::unionpay);  // 62, until 622126-622925 is typed
  CHECK(card_brand("622126") == CardBrand::discover);
  CHECK(card_brand("4242 4242 4242 4241") == CardBrand::visa);  // Luhn and length play no part
  CHECK(card_brand(std::string(30, '5')) == CardBrand::mastercard);
  CHECK(card_brand("") == std::nullopt);
  CHECK(card_brand(" - ") == std::nullopt);
  CHECK(card_brand("x4") == std::nullopt);
  CHECK(card_brand(std::string(65, '4')) == std::nullopt);
}

TEST_CASE("names, display names and CVC lengths of the brands") {
  CHECK(to_string(CardBrand::amex) == "amex");
  CHECK(to_string(CardBrand::diners_club) == "diners_club");
  CHECK(display_name(CardBrand::amex) == "American Express");
  for (std::size_t i = 0; i < k_card_brand_count; ++i) {
    const auto brand = static_cast<CardBrand>(i);
    CHECK(cvc_digits(brand) == (brand == CardBrand::amex ? 4 : 3));
    CHECK_FALSE(to_string(brand).empty());
  }
}

// ------------------------------------------------------------------------------------------ IBAN

namespace {

// The SWIFT IBAN registry's length of each country, written again here from the registry.
const std::map<std::string, std::size_t> k_registry_lengths{
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28},
    {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22},
    {"MK", 19}, {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23},
    {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

// The IBAN's remainder mod 97, nine digits at a time (ISO 7064's piece-wise method), unlike the library's
// digit-at-a-time loop.
int mod97_piecewise(const std::string& iban) {
  std::string digits;
  for (const char c : iban.substr(4) + iban.substr(0, 4)) {
    digits += std::isdigit(static_cast<unsigned char>(c)) ? std::string(1, c) : std::to_string(c - 'A' + 10);
  }
  long long remainder = 0;
  for (std::size_t at = 0; at < digits.size(); at += 7) {
    remainder = std::stoll(std::to_string(remainder) + digits.substr(at, 7)) % 97;
  }
  return static_cast<int>(remainder);
}

/// An IBAN of `country` with `length` characters and the check digits that make it valid.
std::string iban(const std::string& country, std::size_t length) {
  std::string bban;
  for (std::size_t i = 0; bban.size() < length - 4; ++i) bban += static_cast<char>('0' + (i * 7 + 3) % 10);
  const int check = 98 - mod97_piecewise(country + "00" + bban);
  return country + (check < 10 ? "0" : "") + std::to_string(check) + bban;
}

}  // namespace

TEST_CASE("published example IBANs pass") {
  // The examples of the SWIFT IBAN registry, in print form (groups of four).
  for (const char* example : {
           "GB82 WEST 1234 5698 7654 32",
           "DE89 3704 0044 0532 0130 00",
           "FR14 2004 1010 0505 0001 3M02 606",
           "NL91 ABNA 0417 1643 00",
           "BE68 5390 0754 7034",
           "ES91 2100 0418 4502 0005 1332",
           "IT60 X054 2811 1010 0000 0123 456",
           "AT61 1904 3002 3457 3201",
           "CH93 0076 2011 6238 5295 7",
           "NO93 8601 1117 947",
           "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
           "PL61 1090 1014 0000 0712 1981 2874",
           "PT50 0002 0123 1234 5678 9015 4",
           "SE45 5000 0000 0583 9825 7466",
           "DK50 0040 0440 1162 43",
           "FI21 1234 5600 0007 85",
           "IE29 AIBK 9311 5212 3456 78",
           "LU28 0019 4006 4475 0000",
           "SA03 8000 0000 6080 1016 7519",
           "TR33 0006 1005 1978 6457 8413 26",
       }) {
    CAPTURE(example);
    CHECK(iban_problem(example) == std::nullopt);
    CHECK(is_valid_iban(example));
    std::string compact;
    for (const char* c = example; *c != '\0'; ++c) {
      if (*c != ' ') compact += *c;
    }
    CHECK(is_valid_iban(compact));
    CHECK(mod97_piecewise(compact) == 1);
    CHECK(iban_length(compact.substr(0, 2)) == compact.size());
  }
}

TEST_CASE("every registry country: its length, a valid IBAN of it, and one character more or less") {
  for (const auto& row : k_registry_lengths) {
    const std::string& country = row.first;
    const std::size_t length = row.second;
    CAPTURE(country);
    CHECK(iban_length(country) == length);
    const std::string valid = iban(country, length);
    CHECK(iban_problem(valid) == std::nullopt);
    CHECK(iban_problem(iban(country, length + 1)) == ValidationCode::invalid_length);
    CHECK(iban_problem(iban(country, length - 1)) == ValidationCode::invalid_length);
  }
  CHECK(k_registry_lengths.size() == 89);
  for (const char* not_in_registry : {"US", "CA", "AU", "CN", "JP", "IN", "AX", "JE", "ZZ", "de", "D", "DEU", ""}) {
    CAPTURE(not_in_registry);
    CHECK_FALSE(iban_length(not_in_registry).has_value());
  }
}

TEST_CASE("an IBAN's checks, in order") {
  CHECK(iban_problem("gb82 west 1234 5698 7654 32") == std::nullopt);  // letters of either case
  CHECK(iban_problem("GB82WEST12345698765432") == std::nullopt);
  CHECK(iban_problem("  GB82  WEST 12345698765432 ") == std::nullopt);
  CHECK(iban_problem("GB83 WEST 1234 5698 7654 32") == ValidationCode::checksum);
  CHECK(iban_problem("GB82 WEST 1234 5698 7654 33") == ValidationCode::checksum);
  CHECK(iban_problem("GB82 WETS 1234 5698 7654 32") == ValidationCode::checksum);  // two characters swapped
  CHECK(iban_problem("GB82 WEST 1234 5698 7654 3") == ValidationCode::invalid_length);
  CHECK(iban_problem("US64 SVBK US6S 3300 9673 86") == ValidationCode::unknown_country);
  CHECK(iban_problem("G182 WEST 1234 5698 7654 32") == ValidationCode::invalid_format);
  CHECK(iban_problem("GBX2 WEST 1234 5698 7654 32") == ValidationCode::invalid_format);
  CHECK(iban_problem("GB82-WEST-1234-5698-7654-32") == ValidationCode::invalid_format);
  CHECK(iban_problem("GB82 WEST 1234 5698 7654 3Ä") == ValidationCode::invalid_format);
  CHECK(iban_problem("GB8") == ValidationCode::invalid_format);
  CHECK(iban_problem("    ") == ValidationCode::invalid_format);
  CHECK(iban_problem("") == ValidationCode::empty);
  CHECK(iban_problem(std::string(65, ' ')) == ValidationCode::too_long);
  CHECK(iban_problem(std::string(64, ' ')) == ValidationCode::invalid_format);
}

TEST_CASE("check digits 00, 01 and 99 are refused though mod 97 alone would pass them") {
  // 97 + 2 = 99 and 2 leave the same remainder, so an IBAN whose check digits are 02 passes mod 97 with 99 too;
  // ISO 13616 allows only 02 to 98.
  int twins = 0;
  for (const std::string& country : {std::string("DE"), std::string("GB"), std::string("NO"), std::string("MT")}) {
    for (std::size_t i = 0; i < 400; ++i) {
      std::string valid = iban(country, *iban_length(country));
      valid.back() = static_cast<char>('0' + i % 10);
      valid[valid.size() - 2] = static_cast<char>('0' + i / 10 % 10);
      valid[valid.size() - 3] = static_cast<char>('0' + i / 100 % 10);
      const std::string body = valid.substr(4);
      const int check = 98 - mod97_piecewise(country + "00" + body);
      if (check != 2 && check < 97) continue;  // only 02, 97 and 98 have a twin within 00-99: 99, 00, 01
      CAPTURE(valid);
      const std::string right = country + (check < 10 ? "0" : "") + std::to_string(check) + body;
      CHECK(is_valid_iban(right));
      const int twin = check + 97 <= 99 ? check + 97 : check - 97;
      const std::string wrong = country + (twin < 10 ? "0" : "") + std::to_string(twin) + body;
      CHECK(mod97_piecewise(wrong) == 1);
      CHECK(iban_problem(wrong) == ValidationCode::checksum);
      ++twins;
    }
  }
  CHECK(twins >= 10);
}

// ------------------------------------------------------------------------------------------ email

TEST_CASE("the email grammar") {
  for (const char* good : {"ada@example.com", "a.b.c@example.co.uk", "o'brien+tag@mail.example", "x@a.io",
                           "!#$%&'*+-/=?^_`{|}~@example.com", "user@xn--bcher-kva.example", "u@sub-domain.example.org",
                           "UPPER@EXAMPLE.COM", "1234@123.example"}) {
    CAPTURE(good);
    CHECK(email_problem(good).empty());
    CHECK(is_valid_email(good));
  }
  const std::vector<std::pair<std::string, std::string>> bad{
      {"", "is empty"},
      {"ada.example.com", "has no @"},
      {"@example.com", "has nothing before the @"},
      {"ada@", "has nothing after the @"},
      {"ada@localhost", "has no dot in its domain"},
      {".ada@example.com", "has a dot first, last or twice in a row before the @"},
      {"ada.@example.com", "has a dot first, last or twice in a row before the @"},
      {"a..da@example.com", "has a dot first, last or twice in a row before the @"},
      {"a da@example.com", "has a character before the @ that an unquoted address cannot hold"},
      {"\"ada\"@example.com", "has a character before the @ that an unquoted address cannot hold"},
      {"a@b@example.com", "has a character before the @ that an unquoted address cannot hold"},
      {"ada@example..com", "has an empty label in its domain (a dot first, last or twice in a row)"},
      {"ada@example.com.", "has an empty label in its domain (a dot first, last or twice in a row)"},
      {"ada@.example.com", "has an empty label in its domain (a dot first, last or twice in a row)"},
      {"ada@-example.com", "has a domain label that starts or ends with a hyphen"},
      {"ada@example-.com", "has a domain label that starts or ends with a hyphen"},
      {"ada@exa_mple.com", "has a character in its domain other than A-Z, a-z, 0-9, - and ."},
      {"ada@[192.0.2.1]", "has a character in its domain other than A-Z, a-z, 0-9, - and ."},
      {"ada@192.0.2.1", "has a last domain label that does not begin with a letter"},
      {"ada@bücher.example", "has a character in its domain other than A-Z, a-z, 0-9, - and ."},
      {"adä@example.com", "has a character before the @ that an unquoted address cannot hold"},
      {std::string(65, 'a') + "@example.com", "has more than 64 bytes before the @"},
      {"ada@" + std::string(64, 'a') + ".com", "has a domain label longer than 63 bytes"},
      {std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(62, 'd'),
       "is longer than 254 bytes"},
  };
  for (const auto& case_ : bad) {
    const std::string& text = case_.first;
    const std::string& why = case_.second;
    CAPTURE(text);
    CHECK(email_problem(text) == why);
    CHECK_FALSE(is_valid_email(text));
  }
  const std::string longest =
      std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(61, 'd');
  CHECK(longest.size() == k_max_email_bytes);
  CHECK(is_valid_email(longest));
}

// ------------------------------------------------------------------------------------------ validate_payment

TEST_CASE("a valid card payment: no errors, the amount as Money, and only brand, last four and expiry kept") {
  const PaymentReport report = validate(valid_card_payment());
  CHECK(report.ok());
  CHECK(report.errors.empty());
  REQUIRE(report.amount.has_value());
  CHECK(*report.amount == Money::parse("19.99 USD"));
  REQUIRE(report.card.has_value());
  CHECK(report.card->brand() == CardBrand::visa);
  CHECK(report.card->last_four() == "4242");
  CHECK(report.card->expiry_month() == 12);
  CHECK(report.card->expiry_year() == 2030);
  static_assert(sizeof(CardDetails) <= 16, "CardDetails holds a brand, four digits and an expiry, nothing more");
}

TEST_CASE("a valid IBAN payment, and one with neither card nor IBAN") {
  PaymentInput input{.amount = "250", .currency = "EUR", .customer_id = "cus_7", .iban = "DE89 3704 0044 0532 0130 00"};
  PaymentReport report = validate(input);
  CHECK(report.ok());
  CHECK_FALSE(report.card.has_value());
  input.iban.reset();
  report = validate(input);
  CHECK(report.ok());
  CHECK(*report.amount == Money::parse("250.00 EUR"));
}

TEST_CASE("every broken field at once, in field order, one error each") {
  const PaymentInput input{.amount = "-5",
                           .currency = "usd",
                           .customer_id = "",
                           .email = "not-an-email",
                           .card_number = "4242 4242 4242 4241",
                           .expiry_month = "13",
                           .expiry_year = "2019",
                           .cvc = "12",
                           .iban = "GB00 WEST 1234 5698 7654 32"};
  const PaymentReport report = validate(input);
  CHECK_FALSE(report.ok());
  std::vector<std::string> seen;
  for (const FieldError& e : report.errors) {
    seen.push_back(std::string(e.field_name()) + " " + std::string(to_string(e.code())));
    CHECK(e.message().substr(0, e.field_name().size() + 2) == std::string(e.field_name()) + ": ");
  }
  CHECK(seen == std::vector<std::string>{"amount not_positive", "currency unknown_currency", "customer_id empty",
                                         "email invalid_format", "card_number checksum", "expiry_month out_of_range",
                                         "expiry_year expired", "cvc invalid_length", "iban checksum"});
  CHECK(report.errors.size() == FieldErrors::k_capacity);
  CHECK(report.errors.find(PaymentField::cvc)->message() == "cvc: has 2 digits; a CVC has 3 or 4");
  CHECK(report.errors.find(PaymentField::currency)->message() == "currency: 'usd' is not a known currency code");
  CHECK_FALSE(report.card.has_value());
  CHECK_FALSE(report.amount.has_value());
}

TEST_CASE("the amount's checks, in order") {
  const auto amount = [](std::string_view text, std::string_view currency = "USD",
                         const PaymentPolicy& policy = PaymentPolicy()) {
    const PaymentReport report = validate({.amount = text, .currency = currency, .customer_id = "c"}, policy);
    return outcome(report, PaymentField::amount);
  };
  CHECK(amount("19.99") == "ok");
  CHECK(amount("19.990") == "ok");  // trailing zeros are no extra places, as for Money
  CHECK(amount("+7") == "ok");
  CHECK(amount(".5") == "ok");
  CHECK(amount("1E+3") == "ok");
  CHECK(amount("0.01") == "ok");
  CHECK(amount(std::string(65, '1')) == "too_long: amount: is 65 bytes, longer than any amount (64 at most)");
  CHECK(amount("") == "empty: amount: is empty");
  for (const char* bad : {"abc", "5.", "1,000.00", "12 .5", " 12", "0x10", "NaN", "Infinity", "1e", "--1", "€5"}) {
    CAPTURE(bad);
    CHECK(amount(bad) == "invalid_format: amount: is not a decimal number such as 12.34");
  }
  CHECK(amount("0") == "not_positive: amount: must be more than zero");
  CHECK(amount("-0.00") == "not_positive: amount: must be more than zero");
  CHECK(amount("-5") == "not_positive: amount: must be more than zero");
  CHECK(amount("12.345") == "too_many_places: amount: has 3 places; USD has 2");
  CHECK(amount("1.5", "JPY") == "too_many_places: amount: has 1 places; JPY has 0");
  CHECK(amount("1.234", "BHD") == "ok");
  CHECK(amount("1e-40") == "too_many_places: amount: has more than 30 places");
  CHECK(amount("0." + std::string(40, '0') + "1") == "too_many_places: amount: has more than 30 places");
  CHECK(amount("1e100") == "too_large: amount: is beyond the range of any amount");
  CHECK(amount(std::string(40, '9')) == "too_large: amount: is beyond the range of any amount");
  CHECK(amount("92233720368547758.07") == "ok");  // the largest Money in a 2-place currency
  CHECK(amount("92233720368547758.08") == "too_large: amount: is beyond the largest amount of USD a Money holds");
  const PaymentPolicy capped(Decimal::parse("1000.00"), std::nullopt, std::nullopt);
  CHECK(amount("1000", "USD", capped) == "ok");
  CHECK(amount("1000.01", "USD", capped) == "too_large: amount: is more than 1000.00 USD, the most this host accepts");
  CHECK(amount("12.345", "USD", capped) == "too_many_places: amount: has 3 places; USD has 2");  // places first
  // The currency at fault: the amount's own checks still run, those that need the currency do not.
  CHECK(amount("12.345", "XXX1") == "ok");
  CHECK(amount("-1", "XXX1") == "not_positive: amount: must be more than zero");
}

TEST_CASE("the currency's checks, in order") {
  const auto currency = [](std::string_view code, const PaymentPolicy& policy = PaymentPolicy()) {
    const PaymentReport report = validate({.amount = "1", .currency = code, .customer_id = "c"}, policy);
    return outcome(report, PaymentField::currency);
  };
  CHECK(currency("EUR") == "ok");
  CHECK(currency(std::string(17, 'A')) == "too_long: currency: is 17 bytes; a currency code has at most 16");
  CHECK(currency("") == "empty: currency: is empty");
  CHECK(currency("XYZ") == "unknown_currency: currency: 'XYZ' is not a known currency code");
  CHECK(currency("eur") == "unknown_currency: currency: 'eur' is not a known currency code");
  CHECK(currency("US D") == "unknown_currency: currency: is not a known currency code");  // not quoted
  CHECK(currency("US\nD") == "unknown_currency: currency: is not a known currency code");
  CHECK(currency("X1") == "unknown_currency: currency: is not a known currency code");
  const PaymentPolicy euro_only(std::nullopt, std::vector<Currency>{Currency("EUR"), Currency("GBP")}, std::nullopt);
  CHECK(currency("EUR", euro_only) == "ok");
  CHECK(currency("USD", euro_only) == "currency_not_accepted: currency: USD is not a currency this host accepts");
  CHECK(currency("XYZ", euro_only) == "unknown_currency: currency: 'XYZ' is not a known currency code");
  // A known currency that is not accepted still judges the amount's places, and no Money is reported.
  const PaymentReport report = validate({.amount = "1.234", .currency = "USD", .customer_id = "c"}, euro_only);
  CHECK(code_of(report, PaymentField::amount) == ValidationCode::too_many_places);
  CHECK(code_of(report, PaymentField::currency) == ValidationCode::currency_not_accepted);
  CHECK_FALSE(validate({.amount = "1", .currency = "USD", .customer_id = "c"}, euro_only).amount.has_value());
}

TEST_CASE("the customer id's checks, in order") {
  const auto customer = [](std::string_view id) {
    const PaymentReport report = validate({.amount = "1", .currency = "USD", .customer_id = id});
    return outcome(report, PaymentField::customer_id);
  };
  CHECK(customer("cus_42") == "ok");
  CHECK(customer("Ada Lovelace (London)") == "ok");
  CHECK(customer(std::string(128, 'a')) == "ok");
  std::string wide;
  for (int i = 0; i < 128; ++i) wide += "\xF0\x9F\x92\xB3";  // 128 four-byte characters: 512 bytes
  CHECK(customer(wide) == "ok");
  CHECK(customer(std::string(129, 'a')) == "too_long: customer_id: is longer than 128 characters");
  CHECK(customer(wide + "a") == "too_long: customer_id: is longer than 128 characters");  // 513 bytes
  CHECK(customer(std::string(100000, 'a')) == "too_long: customer_id: is longer than 128 characters");
  CHECK(customer("") == "empty: customer_id: is empty");
  CHECK(customer("cus\xFF") == "invalid_format: customer_id: byte 3 is not valid UTF-8");
  CHECK(customer("cus\xED\xA0\x80") == "invalid_format: customer_id: byte 3 is not valid UTF-8");  // a surrogate
  CHECK(customer("cus\n42") == "control_character: customer_id: the character at byte 3 is a control character");
  CHECK(customer(std::string("cus\0", 4)) ==
        "control_character: customer_id: the character at byte 3 is a control character");
  CHECK(customer("a\xE2\x80\xA8"
                 "b") == "control_character: customer_id: the character at byte 1 is a control character");
  CHECK(customer(std::string(129, '\n')) == "too_long: customer_id: is longer than 128 characters");  // length first
}

TEST_CASE("the email's checks") {
  const auto email = [](std::optional<std::string_view> text) {
    const PaymentReport report = validate({.amount = "1", .currency = "USD", .customer_id = "c", .email = text});
    return outcome(report, PaymentField::email);
  };
  CHECK(email(std::nullopt) == "ok");
  CHECK(email("ada@example.com") == "ok");
  CHECK(email("") == "empty: email: is empty");
  CHECK(email("ada@localhost") == "invalid_format: email: has no dot in its domain");
  CHECK(email(std::string(255, 'a')) == "too_long: email: is longer than 254 bytes");
}

TEST_CASE("a card's fields depend on one another") {
  PaymentInput input = valid_card_payment();
  input.expiry_month.reset();
  input.expiry_year.reset();
  input.cvc.reset();
  PaymentReport report = validate(input);
  CHECK(code_of(report, PaymentField::expiry_month) == ValidationCode::missing);
  CHECK(code_of(report, PaymentField::expiry_year) == ValidationCode::missing);
  CHECK(code_of(report, PaymentField::cvc) == ValidationCode::missing);
  CHECK(report.errors.find(PaymentField::cvc)->message() == "cvc: is required with a card number");
  CHECK_FALSE(report.card.has_value());

  input = valid_card_payment();
  input.card_number.reset();
  report = validate(input);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].message() == "card_number: is required with an expiry or a CVC");
  CHECK(report.errors[0].code() == ValidationCode::missing);

  input = valid_card_payment();
  input.iban = "DE89 3704 0044 0532 0130 00";
  report = validate(input);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].code() == ValidationCode::conflict);
  CHECK(report.errors[0].message() == "iban: a payment takes a card or an IBAN, not both");
  CHECK(report.card.has_value());  // the card itself passed
}

TEST_CASE("the card number's messages name the rule, the brand and the digit count, never a digit") {
  const std::map<std::string, std::string> messages{
      {std::string(65, '4'), "too_long: card_number: is longer than 64 bytes"},
      {"", "empty: card_number: is empty"},
      {"4242 4242 4242 424x", "invalid_format: card_number: may hold only digits, spaces and dashes"},
      {"4242 4242 424", "invalid_length: card_number: has 11 digits; a card number has 12 to 19"},
      {"4242 4242 4242 4241", "checksum: card_number: fails the Luhn check"},
      {card("9", 16), "unknown_brand: card_number: is of no card brand this library knows"},
      {card("4", 15), "invalid_length: card_number: has 15 digits; Visa numbers have 13, 16 or 19"},
      {card("34", 16), "invalid_length: card_number: has 16 digits; American Express numbers have 15"},
  };
  for (const auto& message : messages) {
    const std::string& number = message.first;
    const std::string& expected = message.second;
    CAPTURE(number);
    PaymentInput input = valid_card_payment();
    input.card_number = number;
    CHECK(outcome(validate(input), PaymentField::card_number) == expected);
  }
}

TEST_CASE("the host may restrict brands") {
  const PaymentPolicy visa_and_mastercard(std::nullopt, std::nullopt,
                                          std::vector<CardBrand>{CardBrand::visa, CardBrand::mastercard});
  PaymentInput input = valid_card_payment();
  CHECK(validate(input, visa_and_mastercard).ok());
  input.card_number = "3782 822463 10005";
  input.cvc = "1234";
  const PaymentReport report = validate(input, visa_and_mastercard);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].code() == ValidationCode::brand_not_accepted);
  CHECK(report.errors[0].message() == "card_number: American Express cards are not accepted here");
  CHECK_FALSE(report.card.has_value());
  CHECK(check_card_number("378282246310005", visa_and_mastercard.accepted_brands()).brand == CardBrand::amex);
}

TEST_CASE("a CVC has 4 digits for American Express and 3 for every other brand") {
  const auto cvc = [](std::string_view number, std::optional<std::string_view> code) {
    PaymentInput input = valid_card_payment();
    input.card_number = number;
    input.cvc = code;
    const PaymentReport report = validate(input);
    return outcome(report, PaymentField::cvc);
  };
  CHECK(cvc("378282246310005", "1234") == "ok");
  CHECK(cvc("378282246310005", "123") == "invalid_length: cvc: has 3 digits; American Express cards have 4");
  CHECK(cvc("4242424242424242", "123") == "ok");
  CHECK(cvc("4242424242424242", "1234") == "invalid_length: cvc: has 4 digits; Visa cards have 3");
  CHECK(cvc("6304000000000000", "000") == "ok");
  CHECK(cvc("4242424242424241", "1234") == "ok");  // the brand unknown (Luhn failed): 3 or 4 digits
  CHECK(cvc("4242424242424241", "12") == "invalid_length: cvc: has 2 digits; a CVC has 3 or 4");
  CHECK(cvc("4242424242424242", "12345") == "too_long: cvc: is longer than 4 characters");
  CHECK(cvc("4242424242424242", "") == "empty: cvc: is empty");
  CHECK(cvc("4242424242424242", "12a") == "invalid_format: cvc: may hold only digits");
  CHECK(cvc("4242424242424242", " 123") == "invalid_format: cvc: may hold only digits");
}

// ------------------------------------------------------------------------------------------ expiry

namespace {

std::string expiry(std::string_view month, std::string_view year, const char* now) {
  const ManualClock clock(Timestamp::parse(now));
  PaymentInput input = valid_card_payment();
  input.expiry_month = month;
  input.expiry_year = year;
  const PaymentReport report = validate(input, PaymentPolicy(), clock);
  std::string out;
  for (const FieldError& e : report.errors) out += std::string(to_string(e.code())) + ": " + std::string(e.message());
  return out.empty() ? "ok" : out;
}

}  // namespace

TEST_CASE("a card is valid through the last instant of its expiry month, by the injected clock (UTC)") {
  CHECK(expiry("03", "2026", "2026-03-31T23:59:59.999999Z") == "ok");
  CHECK(expiry("3", "26", "2026-03-31T23:59:59.999999Z") == "ok");
  CHECK(expiry("03", "2026", "2026-04-01T00:00:00Z") ==
        "expired: expiry_month: the card expired at the end of 03/2026");
  CHECK(expiry("03", "2026", "2026-04-01T00:30:00+01:00") == "ok");  // 23:30 UTC on 31 March
  CHECK(expiry("02", "2026", "2026-03-01T00:00:00Z") ==
        "expired: expiry_month: the card expired at the end of 02/2026");
  CHECK(expiry("12", "2025", "2025-12-31T23:59:59Z") == "ok");
  CHECK(expiry("12", "2025", "2026-01-01T00:00:00Z") == "expired: expiry_year: the card expired at the end of 2025");
  CHECK(expiry("01", "2026", "2026-01-01T00:00:00Z") == "ok");
  CHECK(expiry("12", "2026", "2026-12-31T23:59:59Z") == "ok");
  CHECK(expiry("02", "2028", "2028-02-29T23:59:59Z") == "ok");  // a leap day, the last of its month
  CHECK(expiry("02", "2028", "2028-03-01T00:00:00Z") ==
        "expired: expiry_month: the card expired at the end of 02/2028");
}

TEST_CASE("the expiry's checks, in order") {
  const char* now = "2026-05-15T12:00:00Z";
  CHECK(expiry("05", "2026", now) == "ok");
  CHECK(expiry("12", "99", now) == "out_of_range: expiry_year: is more than 50 years ahead");  // 2099
  CHECK(expiry("12", "2076", now) == "ok");
  CHECK(expiry("12", "2077", now) == "out_of_range: expiry_year: is more than 50 years ahead");
  CHECK(expiry("0", "2030", now) == "out_of_range: expiry_month: is not a month from 1 to 12");
  CHECK(expiry("00", "2030", now) == "out_of_range: expiry_month: is not a month from 1 to 12");
  CHECK(expiry("13", "2030", now) == "out_of_range: expiry_month: is not a month from 1 to 12");
  CHECK(expiry("012", "2030", now) == "too_long: expiry_month: is longer than 2 characters");
  CHECK(expiry("", "2030", now) == "empty: expiry_month: is empty");
  CHECK(expiry("1a", "2030", now) == "invalid_format: expiry_month: may hold only digits");
  CHECK(expiry("-1", "2030", now) == "invalid_format: expiry_month: may hold only digits");
  CHECK(expiry("12", "20301", now) == "too_long: expiry_year: is longer than 4 characters");
  CHECK(expiry("12", "", now) == "empty: expiry_year: is empty");
  CHECK(expiry("12", "203", now) == "invalid_format: expiry_year: is not a year of 2 or 4 digits");
  CHECK(expiry("12", "3", now) == "invalid_format: expiry_year: is not a year of 2 or 4 digits");
  CHECK(expiry("12", "20 3", now) == "invalid_format: expiry_year: may hold only digits");
  CHECK(expiry("13", "2025", now) ==
        "out_of_range: expiry_month: is not a month from 1 to 12expired: expiry_year: the card expired at the end of "
        "2025");
}

TEST_CASE("the card is reported when its number passed and its expiry reads as a month and a year") {
  PaymentInput input = valid_card_payment();
  input.expiry_year = "2025";  // expired: still the card, so that a host can say which card expired
  PaymentReport report = validate(input);
  REQUIRE(report.card.has_value());
  CHECK(report.card->expiry_year() == 2025);
  input.expiry_month = "13";
  CHECK_FALSE(validate(input).card.has_value());
  input = valid_card_payment();
  input.cvc = "12";  // the CVC plays no part
  CHECK(validate(input).card.has_value());
  input.card_number = "4242 4242 4242 4241";
  CHECK_FALSE(validate(input).card.has_value());
  input = valid_card_payment();
  input.expiry_year = "30";
  CHECK(validate(input).card->expiry_year() == 2030);
}

// ------------------------------------------------------------------------------------------ the policy

TEST_CASE("a policy refuses what would make it meaningless, naming the field") {
  const auto refused = [](auto make, std::string_view field) {
    try {
      make();
      FAIL("accepted");
    } catch (const InvalidArgument& e) {
      CHECK(e.field() == field);
      CHECK(std::string_view(e.what()).substr(0, field.size()) == field);
    }
  };
  refused([] { return PaymentPolicy(Decimal(0), std::nullopt, std::nullopt); }, "max_amount");
  refused([] { return PaymentPolicy(Decimal::parse("-1"), std::nullopt, std::nullopt); }, "max_amount");
  refused([] { return PaymentPolicy(std::nullopt, std::vector<Currency>{}, std::nullopt); }, "currencies");
  refused(
      [] {
        return PaymentPolicy(std::nullopt, std::vector<Currency>{Currency("USD"), Currency("USD")}, std::nullopt);
      },
      "currencies");
  refused([] { return PaymentPolicy(std::nullopt, std::vector<Currency>(257, Currency("USD")), std::nullopt); },
          "currencies");
  refused([] { return PaymentPolicy(std::nullopt, std::nullopt, std::vector<CardBrand>{}); }, "brands");
  refused(
      [] {
        return PaymentPolicy(std::nullopt, std::nullopt, std::vector<CardBrand>{CardBrand::visa, CardBrand::visa});
      },
      "brands");
  const PaymentPolicy all;
  CHECK(all.accepted_brands() == CardBrands::all());
  CHECK(all.accepts(Currency("JPY")));
  CHECK_FALSE(all.max_amount().has_value());
}

// ------------------------------------------------------------------------------------------ card data

TEST_CASE("no message holds a card number, a CVC or an IBAN, however they are broken") {
  const std::string pan = "4111111111111111";
  const std::string cvc = "737";
  const std::string iban_text = "GB82WEST12345698765432";
  const std::vector<std::string> numbers{pan,
                                         broken(pan),
                                         pan + "1",
                                         pan.substr(0, 11),
                                         pan + "x",
                                         pan + std::string(60, ' '),
                                         "4111-1111-1111-1111",
                                         "3700 0000 0000 002" /* Amex, one too few */};
  const std::vector<std::string> cvcs{cvc, cvc + "73", "7x7", "73"};
  const std::vector<std::string> accounts{iban_text,
                                          iban_text + "1",
                                          broken(iban_text),
                                          "XX" + iban_text.substr(2),
                                          iban_text + std::string(50, ' '),
                                          iban_text.substr(0, 20) + "!!"};
  const std::string long_id = pan + std::string(600, '1');
  std::vector<PaymentInput> inputs;
  for (const std::string& number : numbers) {
    for (const std::string& code : cvcs) {
      PaymentInput input = valid_card_payment();
      input.card_number = number;
      input.cvc = code;
      inputs.push_back(input);
    }
  }
  for (const std::string& account : accounts) {
    inputs.push_back({.amount = "1", .currency = "EUR", .customer_id = "c", .iban = account});
    inputs.push_back({.amount = "1", .currency = "EUR", .customer_id = "c", .card_number = pan, .iban = account});
  }
  // A card number given where another field is expected is not quoted there either.
  inputs.push_back({.amount = pan, .currency = pan, .customer_id = long_id, .email = pan});
  for (const PaymentInput& input : inputs) {
    for (const FieldError& e : validate(input).errors) {
      const std::string message(e.message());
      CAPTURE(message);
      CHECK(message.find("4111") == std::string::npos);
      CHECK(message.find("1111") == std::string::npos);
      CHECK(message.find("737") == std::string::npos);
      CHECK(message.find("WEST") == std::string::npos);
      CHECK(message.find("GB82") == std::string::npos);
      CHECK(message.find("5698") == std::string::npos);
    }
  }
}

// ------------------------------------------------------------------------------------------ allocations

TEST_CASE("validating a valid request allocates nothing") {
  const PaymentPolicy policy(Decimal::parse("5000"), std::vector<Currency>{Currency("USD"), Currency("EUR")},
                             std::vector<CardBrand>{CardBrand::visa, CardBrand::mastercard, CardBrand::amex});
  const std::vector<PaymentInput> inputs{
      valid_card_payment(),
      {.amount = "250.00",
       .currency = "EUR",
       .customer_id = "cus_7",
       .email = "a.b@example.co.uk",
       .iban = "DE89 3704 0044 0532 0130 00"},
      {.amount = "1",
       .currency = "USD",
       .customer_id = std::string_view("customer with a long name: 012345678901234567"),
       .card_number = "3782-822463-10005",
       .expiry_month = "1",
       .expiry_year = "31",
       .cvc = "1234"},
  };
  for (const PaymentInput& input : inputs) REQUIRE(validate(input, policy).ok());  // warm: tables built once
  const std::size_t before = test::allocations_on_this_thread();
  std::size_t ok = 0;
  for (int round = 0; round < 100; ++round) {
    for (const PaymentInput& input : inputs) ok += validate_payment(input, policy, may_2026).ok() ? 1 : 0;
  }
  CHECK(test::allocations_on_this_thread() - before == 0);
  CHECK(ok == 300);
  const std::size_t checks_before = test::allocations_on_this_thread();
  CHECK(is_valid_card_number("4242 4242 4242 4242"));
  CHECK(is_valid_iban("GB82 WEST 1234 5698 7654 32"));
  CHECK(card_brand("2221 00") == CardBrand::mastercard);
  CHECK(is_valid_email("ada@example.com"));
  CHECK(test::allocations_on_this_thread() - checks_before == 0);
}

TEST_CASE("FieldErrors keeps field order and one error per field") {
  FieldErrors errors;
  errors.add(FieldError(PaymentField::currency, ValidationCode::empty, "currency: is empty"));
  CHECK_THROWS_AS(errors.add(FieldError(PaymentField::currency, ValidationCode::empty, "again")), InvariantViolation);
  CHECK_THROWS_AS(errors.add(FieldError(PaymentField::amount, ValidationCode::empty, "before")), InvariantViolation);
  errors.add(FieldError(PaymentField::iban, ValidationCode::empty, std::string(500, 'x')));
  CHECK(errors.size() == 2);
  CHECK(errors[1].message().size() == FieldError::k_max_message_bytes);
  CHECK(errors.find(PaymentField::cvc) == nullptr);
  CHECK(errors.find(PaymentField::iban) == &errors[1]);
}

TEST_CASE("names of fields and codes") {
  CHECK(to_string(PaymentField::card_number) == "card_number");
  CHECK(to_string(PaymentField::iban) == "iban");
  CHECK(to_string(ValidationCode::missing) == "missing");
  CHECK(to_string(ValidationCode::conflict) == "conflict");
  CHECK(to_string(ValidationCode::checksum) == "checksum");
}
