// open_sqlite on a damaged file, then verify() and reads and one write through Books. The file is either
// the input's bytes as they are, or a valid billing file (the sample books, 512-byte pages) with the
// input's patches applied and perhaps cut short. Only StorageError and InvariantViolation may escape:
// every other exception, a crash or a sanitizer report is a finding.
//
// Input: byte 0 even = patches: byte 1 bit 0 cuts the file to (bytes 2-3) % size, then 4-byte patches
// (a 24-bit offset taken modulo the size, and the byte written there); odd = the rest is the file.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "billing/storage/sqlite.hpp"
#include "harness.hpp"
#include "sample_books.hpp"

using namespace billing;

namespace {

class Scratch {
 public:
  Scratch() : dir_(std::filesystem::temp_directory_path() / ("billing-fuzz-sqlite-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    template_ = make_template();
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  [[nodiscard]] const std::string& valid_file() const noexcept { return template_; }

  /// Writes `bytes` as the file to open, with no -wal, -shm or -journal left from the last input.
  std::string write(const std::string& bytes) const {
    const std::string path = (dir_ / "input.sqlite").string();
    for (const char* suffix : {"-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
  }

 private:
  // The sample books, rewritten with 512-byte pages and a rollback journal so that the file is small
  // and holds everything itself (no -wal beside it).
  std::string make_template() const {
    const std::string path = (dir_ / "template.sqlite").string();
    {
      fuzz::SampleBooks sample = fuzz::sample_books(open_sqlite(path, {.durability = Durability::normal}));
      fuzz::fill_sample_books(sample, 12);
    }
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;", nullptr, nullptr, nullptr) !=
            SQLITE_OK) {
      fuzz::finding("cannot rewrite the template", sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  std::filesystem::path dir_;
  std::string template_;
};

const Scratch& scratch() {
  static const Scratch instance;
  return instance;
}

std::string file_from(fuzz::Input input) {
  fuzz::Reader in(input);
  if ((in.byte() & 1U) != 0) return in.rest();
  std::string file = scratch().valid_file();
  const bool cut = in.flag();
  const std::size_t cut_at = (static_cast<std::size_t>(in.byte()) << 8U | in.byte()) % file.size();
  if (cut) file.resize(cut_at);
  while (!in.empty() && !file.empty()) {
    const std::size_t offset =
        (static_cast<std::size_t>(in.byte()) << 16U | static_cast<std::size_t>(in.byte()) << 8U | in.byte()) %
        file.size();
    file[offset] = static_cast<char>(in.byte());
  }
  return file;
}

void use(const std::string& path) {
  fuzz::SampleBooks sample =
      fuzz::sample_books(open_sqlite(path, {.durability = Durability::normal, .busy_timeout = {}}));
  Books& books = *sample.books;
  (void)books.ledger().verify();
  const Page<Account> accounts = books.accounts().list(std::nullopt, "", 50);
  for (const Account& account : accounts.items) {
    (void)books.ledger().balance(account.id);
    (void)books.ledger().balance_at_sequence(account.id, 3);
    (void)books.ledger().entries(account.id, {.limit = 20});
  }
  (void)books.ledger().entry(EntryId("hold-1"));
  (void)books.idempotency().find({.scope = "tenant", .key = "k-1"});
  (void)books.ledger().export_journal(ExportFormat::ledger);
  // One write: the sample's accounts, if the file still has them.
  (void)books.ledger().transfer(
      {.debit = AccountId("cash"), .credit = AccountId("revenue"), .amount = Money::parse("0.01 USD")});
  (void)books.ledger().verify();
}

}  // namespace

BILLING_FUZZ_TARGET(sqlite_open) {
  const std::string path = scratch().write(file_from(input));
  (void)fuzz::completes<StorageError, InvariantViolation>([&] { use(path); });
}
