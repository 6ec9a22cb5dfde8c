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
  std::vector<std::string> statements;  // CREATE TYPE / DOMAIN / FUNCTION, in that order
};

// Two catalog queries, however many declarations there are.
LiveDependencies read_live_dependencies(Db& live, const Desired& desired);

}  // namespace schemac
