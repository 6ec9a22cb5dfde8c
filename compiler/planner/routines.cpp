// Functions, procedures and aggregates: CREATE OR REPLACE while the result
// and the argument names stay; otherwise PostgreSQL needs DROP and CREATE.
#include "compiler/planner/object_changes.hpp"

namespace schemac::objects {

Change change_routine(const SchemaObject& want, const SchemaObject& live, StepBuilder& b) {
  Change out;
  if (want.shape != live.shape) {
    out.recreate = true;
    return out;
  }
  // pg_get_functiondef prints CREATE OR REPLACE; aggregates are rebuilt the same way.
  b.add(out.steps, "replace " + want.key(), want.definition, "none (callers see the old or the new body)");
  return out;
}

}  // namespace schemac::objects
