#pragma once
// Executes a plan: one transaction per group under lock_timeout, retried with
// backoff on lock timeouts; CONCURRENTLY statements alone; one apply at a time.
#include <ostream>
#include <stdexcept>
#include <string>

#include "compiler/db.hpp"
#include "compiler/planner/plan.hpp"

namespace schemac {

class History;
class ApplyEvents;

struct ApplyOptions {
  std::string lock_timeout;  // overrides the plan's when not empty
  int retries = -1;          // overrides the plan's when >= 0
  bool wait = false;         // wait for another apply instead of failing
  bool quiet = false;
  bool lock_held = false;      // the caller holds the apply lock (ApplyLock) already
  History* history = nullptr;  // records steps run and the outcome
  bool terminal = false;       // progress as a live line (stderr is a terminal)
  ApplyEvents* events = nullptr;  // --format json: an event per step on stdout
};

struct ApplyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Returns the number of statements executed.
std::size_t apply_plan(Db& db, const Plan& plan, const ApplyOptions& options, std::ostream& log);

// The advisory lock key every schemac apply takes (one apply per database).
constexpr long long kApplyLockKey = 0x5343484D4143;  // "SCHMAC"

}  // namespace schemac
