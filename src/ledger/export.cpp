// Journals for independent tools: ledger-cli/hledger and beancount. Only posted movements become
// transactions (posted, captured and reversal entries), so a tool's balances equal the posted balances;
// holds and voids are kept as comments for the reader.
#include <set>
#include <unordered_map>

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

// ledger-cli: names end at two spaces and must not look like virtual accounts.
std::string ledger_account(const AccountId& id) {
  std::string name = id.str();
  for (char& c : name) {
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ';') c = '_';
  }
  return name;
}

std::string ledger_amount(const Posting& posting) {
  const Money signed_amount = posting.side == Side::debit ? posting.amount : -posting.amount;
  const std::string_view code = signed_amount.currency().code();
  const bool plain = std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return fmt::format("{} {}", signed_amount.amount().to_string(),
                     plain ? std::string(code) : fmt::format("\"{}\"", code));
}

// beancount: Root:Component, components start with a capital or digit and hold letters, digits, '-'.
std::string bean_account(const Account& account) {
  std::string out = account.normal_side == Side::debit ? "Assets" : "Liabilities";
  std::string component;
  const auto flush = [&] {
    if (component.empty()) component = "X";
    if (component[0] >= 'a' && component[0] <= 'z') component[0] = static_cast<char>(component[0] - 'a' + 'A');
    if (!((component[0] >= 'A' && component[0] <= 'Z') || (component[0] >= '0' && component[0] <= '9'))) {
      component.insert(0, "X");
    }
    out += ':' + component;
    component.clear();
  };
  for (char c : account.id.str()) {
    if (c == ':') {
      flush();
      continue;
    }
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    component += ok ? c : '-';
  }
  flush();
  return out;
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
