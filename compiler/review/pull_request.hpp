#pragma once
// The plan as a pull-request comment (`plan --format markdown`): what a
// reviewer reads in a minute. The summary line; blocking hazards in a caution
// box with what to do; a table of the tables touched (changes, strongest lock
// and how long it is held, hazards); who can do what, before and after, where
// access changes; then per table a folded <details> with its steps and SQL.
// It always fits in one GitHub comment: past `limit` characters the SQL is
// left out, then the steps of the last tables, and the comment says where the
// whole plan is.
#include <cstddef>
#include <string>

#include "compiler/planner/plan.hpp"

namespace schemac::review {

struct MarkdownOptions {
  // GitHub refuses a comment over 65,536 characters; leave room for what a
  // workflow adds around it (a marker to find and update its own comment).
  std::size_t limit = 65000;
  // Where the whole plan is: the --out file (a CI artifact), when saved.
  std::string saved_plan_path;
};

std::string render_markdown(const Plan& plan, const MarkdownOptions& options = {});

}  // namespace schemac::review
