#pragma once
// What the declarations use from the live database without declaring it: user
// functions called in defaults, checks, predicates and policies, and enum and
// domain types. The scratch database gets copies, so the declarations can be
// created there (and a function a default calls exists before the table).
#include <string>
#include <vector>

#include "compiler/db.hpp"
#include "compiler/desired.hpp"

namespace schemac {

struct LiveDependencies {
  std::vector<std::string> schemas;
  std::vector<std::string> statements;  // CREATE TYPE / DOMAIN / FUNCTION, then stand-ins of external tables
  // The type or function each statement copies (empty for a stand-in table):
  // skipped when a .sql file declares it, and never read back as declared.
  std::vector<QualifiedName> copies;
  // A foreign key to a table outside project.schemas (auth.users) that the
  // database does not have, or without the referenced columns.
  std::vector<Diagnostic> problems;
};

// Two catalog queries, however many declarations there are, and one per
// table outside project.schemas that a foreign key references.
LiveDependencies read_live_dependencies(Db& live, const Desired& desired);

}  // namespace schemac
