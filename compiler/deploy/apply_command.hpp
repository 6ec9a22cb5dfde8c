#pragma once
// `schemac apply`, from declarations or from a saved plan: the guards, the
// confirmation, the history, then apply_plan. Returns the process exit code.
#include <string>
#include <vector>

#include "compiler/workflow.hpp"

namespace schemac {

enum Exit { kOk = 0, kError = 1, kChanges = 2, kHazards = 3 };

struct ApplyCommand {
  PlanRequest request;    // declarations, database, cache
  std::string plan_file;  // non-empty: apply this saved plan instead of planning
  std::vector<std::string> allowed_hazards;
  std::string lock_timeout;
  int retries = -1;
  bool wait = false, quiet = false, dry_run = false, auto_approve = false;
  bool color = false;
  bool json_events = false;  // --format json: one JSON event per line on stdout (apply_events.hpp)
};

int run_apply(const ApplyCommand& command);

// `plan --out FILE`: the outcome saved with what apply FILE checks.
void save_plan(const PlanOutcome& outcome, const PlanRequest& request, const std::string& path);

}  // namespace schemac
