#include "schema.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail::sqlite {
namespace {

// Version 1. Enums are stored as their underlying values (Side: debit 0, credit 1; AccountStatus:
// pending 0 .. closed 3; EntryKind: posted 0, pending 1, post_pending 2, void_pending 3, reversal 4),
// money as minor units of the row's currency, times as unix microseconds, metadata as a JSON object.
//
// The guards repeat the core invariants a second time, under the domain's own checks, so that neither a
// bug nor a hand-written statement can change history:
//  - accounts keep their identity (id, currency, places, normal side, creation time) and are never
//    deleted or replaced;
//  - entries and postings are append-only. UPDATE and DELETE abort; so does an INSERT whose key
//    exists, because INSERT OR REPLACE and upserts delete or update without firing the DELETE and
//    UPDATE triggers (REPLACE fires them only with recursive_triggers on);
//  - an entry's sequence follows the head, and postings are added only to the newest entry, leg by leg,
//    in their account's currency.
// STRICT makes SQLite refuse a value of the wrong type instead of storing it.
constexpr const char* k_schema_v1 = R"sql(
CREATE TABLE accounts (
  id              TEXT    NOT NULL PRIMARY KEY,
  currency        TEXT    NOT NULL CHECK (length(currency) BETWEEN 2 AND 16),
  currency_places INTEGER NOT NULL CHECK (currency_places BETWEEN 0 AND 18),
  name            TEXT    NOT NULL,
  normal_side     INTEGER NOT NULL CHECK (normal_side IN (0, 1)),
  status          INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
  flags           INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 3),
  limit_minor     INTEGER          CHECK (limit_minor >= 0),
  metadata        TEXT    NOT NULL CHECK (json_valid(metadata) AND substr(metadata, 1, 1) = '{'),
  created_at      INTEGER NOT NULL,
  debits_posted   INTEGER NOT NULL CHECK (debits_posted >= 0),
  credits_posted  INTEGER NOT NULL CHECK (credits_posted >= 0),
  debits_pending  INTEGER NOT NULL CHECK (debits_pending >= 0),
  credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER accounts_keep_identity
BEFORE UPDATE OF id, currency, currency_places, normal_side, created_at ON accounts
BEGIN
  SELECT RAISE(ABORT, 'an account''s id, currency, normal side and creation time never change');
END;

CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN
  SELECT RAISE(ABORT, 'accounts are never deleted');
END;

CREATE TRIGGER accounts_no_replace BEFORE INSERT ON accounts
WHEN EXISTS (SELECT 1 FROM accounts WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'an account with this id exists; accounts are never replaced');
END;

CREATE TABLE entries (
  sequence      INTEGER PRIMARY KEY CHECK (sequence > 0),
  id            TEXT    NOT NULL UNIQUE,
  kind          INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 4),
  description   TEXT    NOT NULL,
  metadata      TEXT    NOT NULL CHECK (json_valid(metadata) AND substr(metadata, 1, 1) = '{'),
  effective_at  INTEGER NOT NULL,
  recorded_at   INTEGER NOT NULL,
  pending_id    TEXT    REFERENCES entries(id),
  expires_at    INTEGER,
  reverses      TEXT    REFERENCES entries(id),
  previous_hash BLOB    NOT NULL CHECK (length(previous_hash) = 32),
  hash          BLOB    NOT NULL CHECK (length(hash) = 32),
  CHECK ((pending_id IS NOT NULL) = (kind IN (2, 3))),
  CHECK ((reverses IS NOT NULL) = (kind = 4)),
  CHECK (expires_at IS NULL OR kind = 1)
) STRICT;

-- A hold resolves once; an entry is reversed once.
CREATE UNIQUE INDEX entries_pending_id ON entries(pending_id) WHERE pending_id IS NOT NULL;
CREATE UNIQUE INDEX entries_reverses ON entries(reverses) WHERE reverses IS NOT NULL;
CREATE INDEX entries_recorded_at ON entries(recorded_at);
CREATE INDEX entries_expires_at ON entries(expires_at) WHERE expires_at IS NOT NULL;

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN
  SELECT RAISE(ABORT, 'ledger rows are append-only');
END;

CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN
  SELECT RAISE(ABORT, 'ledger rows are append-only');
END;

CREATE TRIGGER entries_append_only BEFORE INSERT ON entries
BEGIN
  SELECT RAISE(ABORT, 'ledger rows are append-only: an entry with this sequence or id exists')
  WHERE EXISTS (SELECT 1 FROM entries WHERE sequence = NEW.sequence)
     OR EXISTS (SELECT 1 FROM entries WHERE id = NEW.id);
  SELECT RAISE(ABORT, 'an entry''s sequence must be the head''s plus one')
  WHERE NEW.sequence IS NOT (SELECT coalesce(max(sequence), 0) + 1 FROM entries);
END;

CREATE TABLE postings (
  sequence        INTEGER NOT NULL REFERENCES entries(sequence),
  leg             INTEGER NOT NULL CHECK (leg >= 0),
  account_id      TEXT    NOT NULL REFERENCES accounts(id),
  side            INTEGER NOT NULL CHECK (side IN (0, 1)),
  amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
  currency        TEXT    NOT NULL,
  debits_posted   INTEGER NOT NULL CHECK (debits_posted >= 0),
  credits_posted  INTEGER NOT NULL CHECK (credits_posted >= 0),
  debits_pending  INTEGER NOT NULL CHECK (debits_pending >= 0),
  credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0),
  PRIMARY KEY (sequence, leg)
) STRICT, WITHOUT ROWID;

CREATE INDEX postings_account ON postings(account_id, sequence);

CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN
  SELECT RAISE(ABORT, 'ledger rows are append-only');
END;

CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN
  SELECT RAISE(ABORT, 'ledger rows are append-only');
END;

CREATE TRIGGER postings_append_only BEFORE INSERT ON postings
BEGIN
  SELECT RAISE(ABORT, 'ledger rows are append-only: this posting exists')
  WHERE EXISTS (SELECT 1 FROM postings WHERE sequence = NEW.sequence AND leg = NEW.leg);
  SELECT RAISE(ABORT, 'postings are added to the newest entry only, one leg after another')
  WHERE NEW.sequence IS NOT (SELECT max(sequence) FROM entries)
     OR NEW.leg IS NOT (SELECT count(*) FROM postings WHERE sequence = NEW.sequence);
  SELECT RAISE(ABORT, 'a posting is in its account''s currency')
  WHERE EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND currency IS NOT NEW.currency);
END;
)sql";

// Version 2: idempotency keys. Unlike ledger rows these are mutable by design (claimed, completed,
// released, purged), so they have no guards; the state is in_flight 0, completed 1.
constexpr const char* k_schema_v2 = R"sql(
CREATE TABLE idempotency_keys (
  scope       TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  fingerprint BLOB    NOT NULL CHECK (length(fingerprint) = 32),
  state       INTEGER NOT NULL CHECK (state IN (0, 1)),
  outcome     TEXT    NOT NULL,
  owner       TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  lease_until INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys(expires_at);
)sql";

struct Migration {
  int version;  // the user_version the file has after the script
  const char* script;
};

// Append only: a released script never changes, a file at version N runs the scripts after N.
constexpr Migration k_migrations[] = {
    {1, k_schema_v1},
    {2, k_schema_v2},
};
static_assert(std::size(k_migrations) == k_schema_version);

std::int64_t read_integer(Connection& connection, std::string_view sql, std::string_view operation) {
  StatementLease query = connection.statement(sql);
  return query->step(operation) ? query->int64(0) : 0;
}

// Inside the migration's transaction, so the verdict and the changes see the same file.
void migrate_locked(Connection& connection) {
  const std::int64_t application_id = read_integer(connection, "PRAGMA application_id", "read the application id");
  const std::int64_t version = read_integer(connection, "PRAGMA user_version", "read the schema version");
  const bool fresh = application_id == 0 && version == 0 &&
                     read_integer(connection, "SELECT count(*) FROM sqlite_schema", "read the schema") == 0;
  if (application_id != k_application_id && !fresh) {
    throw StorageError("", fmt::format("the file is not a billing database (application_id {}, user_version {})",
                                       application_id, version));
  }
  if (version > k_schema_version) {
    throw StorageError("", fmt::format("the file has schema version {}, newer than the {} this library knows; "
                                       "open it with a newer version of billing",
                                       version, k_schema_version));
  }
  for (const Migration& migration : k_migrations) {
    if (migration.version <= version) continue;
    const std::string operation = fmt::format("migrate the schema to version {}", migration.version);
    connection.run_script(migration.script, operation);
    connection.run_script(fmt::format("PRAGMA user_version = {}", migration.version).c_str(), operation);
  }
  if (fresh) {
    connection.run_script(fmt::format("PRAGMA application_id = {}", k_application_id).c_str(),
                          "set the application id");
  }
}

// ------------------------------------------------------------------------------------------ metadata

constexpr char k_hex_digits[] = "0123456789abcdef";

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied; copied in runs, not one by one
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.data() + run, i - run);
    if (byte == '"' || byte == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(byte));
    } else {
      out.append("\\u00");
      out.push_back(k_hex_digits[byte >> 4]);
      out.push_back(k_hex_digits[byte & 0xf]);
    }
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

class MetadataReader {
 public:
  MetadataReader(std::string_view json, std::string_view what) : json_(json), what_(what) {}

  Metadata read() {
    Metadata out;
    skip_space();
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
    } else {
      for (;;) {
        skip_space();
        std::string key = read_string();
        skip_space();
        expect(':');
        skip_space();
        std::string value = read_string();
        if (!out.emplace(std::move(key), std::move(value)).second) fail("a key appears twice");
        skip_space();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != json_.size()) fail("text after the object");
    return out;
  }

 private:
  [[noreturn]] void fail(std::string_view why) const {
    throw StorageError("", fmt::format("{} has malformed metadata at byte {}: {}", what_, pos_, why));
  }

  [[nodiscard]] char peek() const noexcept { return pos_ < json_.size() ? json_[pos_] : '\0'; }

  void expect(char wanted) {
    if (peek() != wanted || pos_ >= json_.size()) fail(fmt::format("expected '{}'", wanted));
    ++pos_;
  }

  void skip_space() noexcept {
    while (pos_ < json_.size() &&
           (json_[pos_] == ' ' || json_[pos_] == '\t' || json_[pos_] == '\n' || json_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::string read_string() {
    if (peek() != '"') fail("expected a string (metadata keys and values are strings)");
    ++pos_;
    std::string out;
    for (;;) {
      const std::size_t run = pos_;
      while (pos_ < json_.size() && json_[pos_] != '"' && json_[pos_] != '\\' &&
             static_cast<unsigned char>(json_[pos_]) >= 0x20) {
        ++pos_;
      }
      out.append(json_.data() + run, pos_ - run);
      if (pos_ >= json_.size()) fail("unterminated string");
      const char c = json_[pos_++];
      if (c == '"') return out;
      if (c != '\\') fail("a control character inside a string");
      read_escape(out);
    }
  }

  void read_escape(std::string& out) {
    if (pos_ >= json_.size()) fail("unterminated escape");
    const char c = json_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/': out.push_back(c); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': append_utf8(out, read_code_point()); return;
      default: fail("an unknown escape");
    }
  }

  // After "\u": one code point, joining a surrogate pair written as two escapes.
  std::uint32_t read_code_point() {
    const std::uint32_t unit = read_hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) fail("a low surrogate without a high one");
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    if (json_.substr(pos_, 2) != "\\u") fail("a high surrogate without a low one");
    pos_ += 2;
    const std::uint32_t low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail("a high surrogate without a low one");
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  std::uint32_t read_hex4() {
    if (pos_ + 4 > json_.size()) fail("a \\u escape needs four hex digits");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = json_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("a \\u escape needs four hex digits");
      }
    }
    return value;
  }

  static void append_utf8(std::string& out, std::uint32_t code_point) {
    const auto put = [&out](std::uint32_t byte) { out.push_back(static_cast<char>(byte)); };
    if (code_point < 0x80) {
      put(code_point);
    } else if (code_point < 0x800) {
      put(0xC0 | (code_point >> 6));
      put(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
      put(0xE0 | (code_point >> 12));
      put(0x80 | ((code_point >> 6) & 0x3F));
      put(0x80 | (code_point & 0x3F));
    } else {
      put(0xF0 | (code_point >> 18));
      put(0x80 | ((code_point >> 12) & 0x3F));
      put(0x80 | ((code_point >> 6) & 0x3F));
      put(0x80 | (code_point & 0x3F));
    }
  }

  std::string_view json_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

}  // namespace

void migrate(Connection& connection) {
  connection.run("BEGIN IMMEDIATE", "begin the schema migration");
  try {
    migrate_locked(connection);
    connection.run("COMMIT", "commit the schema migration");
  } catch (...) {
    // Leaves the file as it was; a failed ROLLBACK can only mean the transaction is already gone.
    if (connection.in_transaction()) sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void encode_metadata(const Metadata& metadata, std::string& out) {
  out.clear();
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : metadata) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, value);
  }
  out.push_back('}');
}

Metadata decode_metadata(std::string_view json, std::string_view what) { return MetadataReader(json, what).read(); }

}  // namespace billing::detail::sqlite
