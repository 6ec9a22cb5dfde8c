// Sequences: every option changes in place with ALTER SEQUENCE; the current
// value is never reset (a declaration's START WITH only sets where RESTART goes).
#include <fmt/format.h>

#include <algorithm>

#include "compiler/planner/object_changes.hpp"

namespace schemac::objects {

Change change_sequence(const SchemaObject& want, const SchemaObject& live, StepBuilder& b) {
  Change out;
  std::vector<std::string> clauses;
  for (const auto& c : want.values)
    if (std::find(live.values.begin(), live.values.end(), c) == live.values.end()) clauses.push_back(c);
  if (!clauses.empty())
    b.add(out.steps, "change sequence " + want.name.display(),
          fmt::format("ALTER SEQUENCE {} {}", want.name.sql(), fmt::join(clauses, " ")),
          "brief lock on the sequence (nextval waits)");
  return out;
}

}  // namespace schemac::objects
