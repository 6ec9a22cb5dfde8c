#pragma once
// Planning the objects PostgreSQL prints whole (types, sequences, routines,
// views): compared by definition, ordered by pg_depend.
#include <functional>
#include <string>
#include <vector>

#include "compiler/desired.hpp"
#include "compiler/planner/plan.hpp"

namespace schemac::objects {

// A new object that reads a table and that a table needs in turn (a domain
// over a table's row type, used by another table's column): created in the
// walk over new tables (tables.cpp), after what it depends on and before the
// tables that use it.
struct ObjectAmongTables {
  std::string key;
  std::vector<std::string> depends_on;  // keys of tables and objects (pg_depend, scratch database)
  std::vector<Step> steps;
};

struct ObjectSteps {
  // Phase 1, before any table step: types, sequences and routines the tables
  // may need; drops of views over columns that are about to change type.
  std::vector<Step> before_tables;
  // Phase 1, ordered with the new tables by their dependencies.
  std::vector<ObjectAmongTables> among_tables;
  // Phase 1, after every table's columns: views, routines that name tables,
  // recreated objects, OWNED BY, comments, grants.
  std::vector<Step> after_tables;
  // Phase 6: undeclared objects (project.undeclared_objects = "drop"),
  // dependents first; those a live table still uses go after the tables' drops.
  std::vector<Step> contract_first;
  std::vector<Step> contract_last;
  std::vector<std::string> unmanaged;  // keys of undeclared objects that are kept
};

// group() hands out the plan's transaction group numbers.
ObjectSteps plan_objects(const Desired& desired, const Catalog& normalized, const Catalog& live,
                         std::function<int()> group);

}  // namespace schemac::objects
