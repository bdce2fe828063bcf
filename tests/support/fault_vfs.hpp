// FaultVfs: an SQLite VFS that wraps the process's default one and fails the Nth write or sync of any
// file SQLite opens through it (the database, its -wal, its -journal), so that a test can run a write
// with the disk failing at each step. The SQLite counterpart of FaultStore: FaultStore fails the
// adapter's calls, FaultVfs fails the I/O underneath them.
//
// install() registers it as the default VFS once per process, so every connection that open_sqlite
// makes afterwards goes through it. Until arm() it only passes calls on (and counts them). Counters
// are atomic: a FaultVfs may be used while other threads run SQLite, though tests arm it from one.
//
//   test::FaultVfs& vfs = test::FaultVfs::install();
//   vfs.arm(test::FaultVfs::Fault::sync, 1);   // the next sync of any file fails with SQLITE_IOERR_FSYNC
//   ... // the write under test gets StorageError
//   vfs.disarm();
#pragma once

#include <atomic>
#include <string_view>

namespace billing::test {

class FaultVfs {
 public:
  enum class Fault {
    none,       ///< count only
    write,      ///< the Nth xWrite returns SQLITE_IOERR_WRITE and writes nothing
    sync,       ///< the Nth xSync returns SQLITE_IOERR_FSYNC (after the data may or may not be on disk)
    disk_full,  ///< the Nth xWrite returns SQLITE_FULL and writes nothing
  };

  /// The VFS, registered as SQLite's default on first call.
  static FaultVfs& install();

  /// Zeroes the counters; from now on the `nth` (1 = the first) call of the kind `fault` names fails,
  /// once. Fault::none only counts.
  void arm(Fault fault, int nth = 1) noexcept;
  /// Stops failing; the counters keep counting.
  void disarm() noexcept { fault_.store(Fault::none); }

  [[nodiscard]] int writes() const noexcept { return writes_.load(); }
  [[nodiscard]] int syncs() const noexcept { return syncs_.load(); }
  /// Whether the armed fault has happened since arm().
  [[nodiscard]] bool fired() const noexcept { return fired_.load(); }

  [[nodiscard]] static std::string_view to_string(Fault fault) noexcept;

  // For the shim in fault_vfs.cpp: whether this write or sync is the one to fail, and with what code
  // (0: let it through).
  [[nodiscard]] int before_write() noexcept;
  [[nodiscard]] int before_sync() noexcept;

 private:
  FaultVfs() = default;

  std::atomic<Fault> fault_{Fault::none};
  std::atomic<int> nth_{0};
  std::atomic<int> writes_{0};
  std::atomic<int> syncs_{0};
  std::atomic<bool> fired_{false};
};

}  // namespace billing::test
