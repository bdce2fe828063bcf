// What the in-memory adapter does that another adapter may do differently: a thread that holds a unit
// of work and begins a second one on the same store would wait for itself, so it is Misuse at once.
#include <doctest/doctest.h>

#include <thread>

#include "billing/error.hpp"
#include "billing/storage/memory.hpp"
#include "billing/storage/store.hpp"

using namespace billing;

TEST_CASE("memory: a second unit of work on one thread is misuse, never a deadlock") {
  auto store = open_memory();
  const Access kinds[] = {Access::read, Access::write};
  for (const Access first : kinds) {
    for (const Access second : kinds) {
      CAPTURE(static_cast<int>(first));
      CAPTURE(static_cast<int>(second));
      UnitOfWork outer(*store, first);
      CHECK_THROWS_AS(UnitOfWork(*store, second), Misuse);
    }
  }
}

TEST_CASE("memory: after commit or rollback the thread may begin again") {
  auto store = open_memory();
  {
    UnitOfWork reader(*store, Access::read);
    reader.commit();
    UnitOfWork writer(*store, Access::write);  // the read lock is gone with the commit
    writer.commit();
  }
  { UnitOfWork dropped(*store, Access::write); }
  UnitOfWork again(*store, Access::write);
  CHECK(again.access() == Access::write);
}

TEST_CASE("memory: units of work on two stores, or on two threads, do not interfere") {
  auto one = open_memory();
  auto two = open_memory();
  UnitOfWork first(*one, Access::write);
  UnitOfWork second(*two, Access::write);  // another store: no wait
  bool other_thread_read = false;
  std::thread other([&] {
    UnitOfWork reader(*one, Access::read);  // another thread waits for the writer instead of failing
    other_thread_read = true;
  });
  first.commit();
  other.join();
  CHECK(other_thread_read);
}
