#include "fault_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace billing::test {
namespace {

// A file of ours is this header followed, in the same allocation, by the wrapped VFS's own file.
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_shim{};
FaultVfs* g_faults = nullptr;

sqlite3_file* real(sqlite3_file* file) { return reinterpret_cast<ShimFile*>(file)->real; }

int shim_close(sqlite3_file* file) { return real(file)->pMethods->xClose(real(file)); }
int shim_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  return real(file)->pMethods->xRead(real(file), out, amount, offset);
}
int shim_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (const int rc = g_faults->before_write(); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xWrite(real(file), data, amount, offset);
}
int shim_truncate(sqlite3_file* file, sqlite3_int64 size) { return real(file)->pMethods->xTruncate(real(file), size); }
int shim_sync(sqlite3_file* file, int flags) {
  if (const int rc = g_faults->before_sync(); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}
int shim_file_size(sqlite3_file* file, sqlite3_int64* size) {
  return real(file)->pMethods->xFileSize(real(file), size);
}
int shim_lock(sqlite3_file* file, int lock) { return real(file)->pMethods->xLock(real(file), lock); }
int shim_unlock(sqlite3_file* file, int lock) { return real(file)->pMethods->xUnlock(real(file), lock); }
int shim_check_reserved_lock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}
int shim_file_control(sqlite3_file* file, int op, void* arg) {
  return real(file)->pMethods->xFileControl(real(file), op, arg);
}
int shim_sector_size(sqlite3_file* file) { return real(file)->pMethods->xSectorSize(real(file)); }
int shim_device_characteristics(sqlite3_file* file) { return real(file)->pMethods->xDeviceCharacteristics(real(file)); }
int shim_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return real(file)->pMethods->xShmMap(real(file), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* file) { real(file)->pMethods->xShmBarrier(real(file)); }
int shim_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real(file)->pMethods->xShmUnmap(real(file), delete_flag);
}
int shim_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}
int shim_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

// One table per version of the wrapped file's methods, so that SQLite never calls a method the wrapped
// file lacks (it checks iVersion before using xShm* and xFetch).
sqlite3_io_methods make_methods(int version) {
  sqlite3_io_methods methods{};
  methods.iVersion = version;
  methods.xClose = shim_close;
  methods.xRead = shim_read;
  methods.xWrite = shim_write;
  methods.xTruncate = shim_truncate;
  methods.xSync = shim_sync;
  methods.xFileSize = shim_file_size;
  methods.xLock = shim_lock;
  methods.xUnlock = shim_unlock;
  methods.xCheckReservedLock = shim_check_reserved_lock;
  methods.xFileControl = shim_file_control;
  methods.xSectorSize = shim_sector_size;
  methods.xDeviceCharacteristics = shim_device_characteristics;
  if (version >= 2) {
    methods.xShmMap = shim_shm_map;
    methods.xShmLock = shim_shm_lock;
    methods.xShmBarrier = shim_shm_barrier;
    methods.xShmUnmap = shim_shm_unmap;
  }
  if (version >= 3) {
    methods.xFetch = shim_fetch;
    methods.xUnfetch = shim_unfetch;
  }
  return methods;
}

const sqlite3_io_methods g_methods[] = {make_methods(1), make_methods(2), make_methods(3)};

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* shim = reinterpret_cast<ShimFile*>(file);
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  std::memset(shim->real, 0, static_cast<std::size_t>(g_real->szOsFile));
  const int rc = g_real->xOpen(g_real, name, shim->real, flags, out_flags);
  // SQLite calls xClose exactly when pMethods is set, so ours mirrors the wrapped file's.
  const sqlite3_io_methods* inner = shim->real->pMethods;
  shim->base.pMethods = inner == nullptr ? nullptr : &g_methods[std::clamp(inner->iVersion, 1, 3) - 1];
  return rc;
}

// Everything else goes straight to the wrapped VFS.
int shim_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_real->xDelete(g_real, name, sync_dir); }
int shim_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return g_real->xFullPathname(g_real, name, size, out);
}
void* shim_dl_open(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void shim_dl_error(sqlite3_vfs*, int size, char* out) { g_real->xDlError(g_real, size, out); }
void (*shim_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_real->xDlSym(g_real, handle, symbol);
}
void shim_dl_close(sqlite3_vfs*, void* handle) { g_real->xDlClose(g_real, handle); }
int shim_randomness(sqlite3_vfs*, int size, char* out) { return g_real->xRandomness(g_real, size, out); }
int shim_sleep(sqlite3_vfs*, int micros) { return g_real->xSleep(g_real, micros); }
int shim_current_time(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int shim_get_last_error(sqlite3_vfs*, int size, char* out) { return g_real->xGetLastError(g_real, size, out); }
int shim_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_real->xCurrentTimeInt64(g_real, out); }

}  // namespace

FaultVfs& FaultVfs::install() {
  static FaultVfs* const vfs = [] {
    if (sqlite3_initialize() != SQLITE_OK) throw std::runtime_error("FaultVfs: sqlite3_initialize failed");
    g_real = sqlite3_vfs_find(nullptr);
    if (g_real == nullptr || g_real->iVersion < 2) throw std::runtime_error("FaultVfs: no default VFS to wrap");
    g_faults = new FaultVfs();  // NOLINT(cppcoreguidelines-owning-memory): lives as long as SQLite may call it
    g_shim = *g_real;
    g_shim.iVersion = 2;
    g_shim.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_real->szOsFile;
    g_shim.zName = "billing-fault";
    g_shim.pNext = nullptr;
    g_shim.pAppData = nullptr;
    g_shim.xOpen = shim_open;
    g_shim.xDelete = shim_delete;
    g_shim.xAccess = shim_access;
    g_shim.xFullPathname = shim_full_pathname;
    g_shim.xDlOpen = shim_dl_open;
    g_shim.xDlError = shim_dl_error;
    g_shim.xDlSym = shim_dl_sym;
    g_shim.xDlClose = shim_dl_close;
    g_shim.xRandomness = shim_randomness;
    g_shim.xSleep = shim_sleep;
    g_shim.xCurrentTime = shim_current_time;
    g_shim.xGetLastError = shim_get_last_error;
    g_shim.xCurrentTimeInt64 = shim_current_time_int64;
    if (sqlite3_vfs_register(&g_shim, 1) != SQLITE_OK) throw std::runtime_error("FaultVfs: cannot register");
    return g_faults;
  }();
  return *vfs;
}

void FaultVfs::arm(Fault fault, int nth) noexcept {
  fault_.store(Fault::none);
  writes_.store(0);
  syncs_.store(0);
  fired_.store(false);
  nth_.store(nth);
  fault_.store(fault);
}

int FaultVfs::before_write() noexcept {
  const int count = writes_.fetch_add(1) + 1;
  const Fault fault = fault_.load();
  if ((fault != Fault::write && fault != Fault::disk_full) || count != nth_.load()) return SQLITE_OK;
  fired_.store(true);
  return fault == Fault::write ? SQLITE_IOERR_WRITE : SQLITE_FULL;
}

int FaultVfs::before_sync() noexcept {
  const int count = syncs_.fetch_add(1) + 1;
  if (fault_.load() != Fault::sync || count != nth_.load()) return SQLITE_OK;
  fired_.store(true);
  return SQLITE_IOERR_FSYNC;
}

std::string_view FaultVfs::to_string(Fault fault) noexcept {
  switch (fault) {
    case Fault::none: return "none";
    case Fault::write: return "write";
    case Fault::sync: return "sync";
    case Fault::disk_full: return "disk full";
  }
  return "?";
}

}  // namespace billing::test
