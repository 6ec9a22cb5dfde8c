#pragma once
// The lock a step takes, as a reviewer compares them: which mode is stronger,
// and for how long it is held. Steps describe their lock in words that start
// with PostgreSQL's mode name ("ACCESS EXCLUSIVE (brief: ...)"); this reads
// that name back rather than keeping a second field in every planner file.
#include <string>

#include "compiler/planner/plan.hpp"

namespace schemac::review {

struct LockSummary {
  int strength = 0;  // 0 none, 1 ACCESS SHARE ... 8 ACCESS EXCLUSIVE
  std::string mode;  // "ACCESS EXCLUSIVE", or "none"
  std::string held;  // "brief", "while every row is rewritten", ... ("" when not said)
  // "ACCESS EXCLUSIVE, brief": what fits in a table cell.
  std::string short_text() const;
};

LockSummary summarize_lock(const Step& step);

// What a mode does to the table's readers and writers: "blocks reads and writes".
std::string mode_effect(const std::string& mode);

}  // namespace schemac::review
