// The three moments of a two-phase idempotent run (Idempotency::run without an ambient transaction) at
// which the crash tests stop it, each named by the store call that comes next and how many times that
// call has come in the run. The contract suite checks that each falls where its name says
// (idempotency_contract_test.cpp), and the stress tests crash a child process at each of them.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace billing::test {

struct CrashPoint {
  std::string_view name;       ///< what has happened when the run stops
  std::string_view operation;  ///< the FaultStore operation about to run
  int occurrence = 1;          ///< which call of `operation` in the run, 1 = the first
};

/// A run is: begin, find, put (the claim), commit; begin, find (is the claim still ours?), the work's
/// own calls, put (the completion), commit. The work joins the second unit of work, so it begins and
/// commits nothing of its own, and it stores no idempotency record.
inline constexpr std::array<CrashPoint, 3> k_idempotency_crash_points{{
    {"claimed", "begin", 2},            // the claim committed; the work's unit of work is about to begin
    {"written", "idempotency.put", 2},  // the work wrote; its completion is about to be stored
    {"committing", "commit", 2},        // the writes and the completion are about to commit
}};

/// The crash point called `name`. Throws std::invalid_argument for any other name.
inline const CrashPoint& idempotency_crash_point(std::string_view name) {
  for (const CrashPoint& point : k_idempotency_crash_points) {
    if (point.name == name) return point;
  }
  throw std::invalid_argument("no idempotency crash point is called '" + std::string(name) + "'");
}

}  // namespace billing::test
