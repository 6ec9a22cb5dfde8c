#pragma once
// When VALIDATE CONSTRAINT fails, the rows that made it fail: how many, and a
// few of their keys, so the fix (clean the rows, or change the declaration)
// starts from facts.
#include <string>

#include "compiler/db.hpp"

namespace schemac {

// table: "schema.table" as in Step::table. Returns "" when it cannot tell.
std::string describe_violations(Db& db, const std::string& table, const std::string& constraint);

}  // namespace schemac
