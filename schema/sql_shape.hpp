#pragma once
// What a fragment's tokens say before any parse tree is built: how deeply it
// would nest.
#include <optional>
#include <vector>

#include "schema/sql_syntax.hpp"
#include "schema/sql_tokens.hpp"

namespace schemac {

// The first token at which the estimated depth of the parse tree passes
// kMaxSqlNesting. Each parenthesis, bracket and CASE opens a level, and so
// does each operator or keyword in a chain (a + b + c nests three deep);
// commas, AND, OR, WHEN, THEN and ELSE separate siblings, which do not nest.
std::optional<SqlSyntaxError> too_deep(const std::vector<SqlToken>& tokens);

}  // namespace schemac
