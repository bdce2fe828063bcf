// Journals for independent tools: ledger-cli/hledger and beancount. Only posted movements become
// transactions (posted, captured and reversal entries), so a tool's balances equal the posted balances;
// holds and voids are kept as comments for the reader.
#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "billing/ledger.hpp"
#include "context.hpp"
#include "walk.hpp"

namespace billing {
namespace {

std::string date_of(Timestamp when) { return when.to_string().substr(0, 10); }

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out.empty() ? "(no description)" : out;
}

bool moves_posted(EntryKind kind) {
  return kind == EntryKind::posted || kind == EntryKind::post_pending || kind == EntryKind::reversal;
}

// Account names in the two formats. Each mapping is injective, so that two accounts never merge into one
// name: every character outside a small safe set is escaped, the escape character included, and the
// escaped text decodes back to the id (docs/ledger.md, "Export", gives both rules).

std::string hex_byte(char c) { return fmt::format("{:02X}", static_cast<unsigned char>(c)); }

bool ascii_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ledger-cli and hledger: letters, digits and "-_./@" stay; ':' stays where it separates two non-empty
// components; anything else becomes %XX. So '(' and '[' (virtual accounts), ';' (a comment), a leading
// '!' or '*' (a posting's state) and an empty component can never change what a name means.
std::string ledger_account(const AccountId& id) {
  const std::string& text = id.str();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool separator = c == ':' && i > 0 && i + 1 < text.size() && text[i - 1] != ':' && text[i + 1] != ':';
    const bool safe = ascii_alnum(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == '@';
    if (safe || separator) {
      out += c;
    } else {
      out += '%';
      out += hex_byte(c);
    }
  }
  return out;
}

// beancount: Root:Component:..., each component [A-Z0-9][A-Za-z0-9-]*. An id's ':'-separated parts become
// components. Within one, letters and digits stay and any other character becomes -XX ('-' included),
// so '-' always starts an escape. A component that starts with a lower-case letter has it capitalised;
// any other component (upper-case or digit first, an escape first, or empty) is prefixed with '0'. So a
// component starting with an upper-case letter was capitalised, one starting with '0' was prefixed, and
// the id comes back unchanged: cash -> Cash, Cash -> 0Cash, 42 -> 042, (cash) -> 0-28cash-29.
std::string bean_component(std::string_view part) {
  std::string escaped;
  for (const char c : part) {
    if (ascii_alnum(c)) {
      escaped += c;
    } else {
      escaped += '-';
      escaped += hex_byte(c);
    }
  }
  if (!escaped.empty() && escaped[0] >= 'a' && escaped[0] <= 'z') {
    escaped[0] = static_cast<char>(escaped[0] - 'a' + 'A');
    return escaped;
  }
  return '0' + escaped;
}

std::string bean_account(const Account& account) {
  std::string out = account.normal_side == Side::debit ? "Assets" : "Liabilities";
  const std::string_view id = account.id.str();
  for (std::size_t start = 0;;) {
    const std::size_t colon = id.find(':', start);
    out += ':';
    out += bean_component(id.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) return out;
    start = colon + 1;
  }
}

std::string ledger_amount(const Posting& posting) {
  const Money signed_amount = posting.side == Side::debit ? posting.amount : -posting.amount;
  const std::string_view code = signed_amount.currency().code();
  const bool plain = std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return fmt::format("{} {}", signed_amount.amount().to_string(),
                     plain ? std::string(code) : fmt::format("\"{}\"", code));
}

std::string bean_string(std::string_view text) {
  std::string out = "\"";
  for (char c : one_line(text)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

void write_ledger_entry(std::string& out, const Entry& entry) {
  if (!moves_posted(entry.kind)) {
    fmt::format_to(std::back_inserter(out), "; {} {} {} (sequence {}): {}\n\n", date_of(entry.effective_at),
                   to_string(entry.kind), entry.id.str(), entry.sequence, one_line(entry.description));
    return;
  }
  fmt::format_to(std::back_inserter(out), "{} * {}\n    ; entry: {} (sequence {}, {})\n", date_of(entry.effective_at),
                 one_line(entry.description), entry.id.str(), entry.sequence, to_string(entry.kind));
  for (const Posting& posting : entry.postings) {
    fmt::format_to(std::back_inserter(out), "    {}  {}\n", ledger_account(posting.account), ledger_amount(posting));
  }
  out += '\n';
}

void write_bean_entry(std::string& out, const Entry& entry, const std::unordered_map<std::string, std::string>& names) {
  if (!moves_posted(entry.kind)) {
    fmt::format_to(std::back_inserter(out), "; {} {} {} (sequence {})\n\n", date_of(entry.effective_at),
                   to_string(entry.kind), entry.id.str(), entry.sequence);
    return;
  }
  fmt::format_to(std::back_inserter(out), "{} * {}\n  entry_id: {}\n  sequence: \"{}\"\n", date_of(entry.effective_at),
                 bean_string(entry.description), bean_string(entry.id.str()), entry.sequence);
  for (const Posting& posting : entry.postings) {
    const Money signed_amount = posting.side == Side::debit ? posting.amount : -posting.amount;
    fmt::format_to(std::back_inserter(out), "  {}  {} {}\n", names.at(posting.account.str()),
                   signed_amount.amount().to_string(), signed_amount.currency().code());
  }
  out += '\n';
}

}  // namespace

std::string Ledger::export_journal(ExportFormat format, std::optional<AccountId> account) {
  return context_.read([&](UnitOfWork& work) {
    std::string out =
        fmt::format("; billing journal export ({}){}\n\n", format == ExportFormat::ledger ? "ledger-cli" : "beancount",
                    account ? fmt::format(" of account {}", account->str()) : std::string());
    std::unordered_map<std::string, std::string> bean_names;
    if (format == ExportFormat::beancount) {
      detail::for_each_account(work->accounts(), [&](const Account& a) {
        bean_names.emplace(a.id.str(), bean_account(a));
        fmt::format_to(std::back_inserter(out), "1970-01-01 open {} {}\n", bean_account(a), a.currency.code());
      });
      out += '\n';
    }
    detail::for_each_entry(work->ledger(), account, [&](const Entry& entry) {
      if (format == ExportFormat::ledger) {
        write_ledger_entry(out, entry);
      } else {
        write_bean_entry(out, entry, bean_names);
      }
    });
    return out;
  });
}

}  // namespace billing
