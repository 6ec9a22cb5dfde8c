#pragma once
// What kind of object a step changes ("index", "policy", "column", ...), read
// from its statement, for the per-table overview a reviewer scans first.
#include <string>

#include "compiler/planner/plan.hpp"

namespace schemac::review {

// One noun, singular: "trigger", "policy", "index", "constraint", "column",
// "row level security", "privileges", "comment", "function", "table", ...
std::string change_kind(const Step& step);

}  // namespace schemac::review
