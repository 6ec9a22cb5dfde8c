#pragma once
// What a fragment's tokens say before any parse tree is built: how deeply it
// would nest, and whether its brackets and commas stay inside it.
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

// A ')' or ']' the fragment did not open, or a '(' or '[' it does not close:
// pasted into SQL, it would reach outside its own clause.
std::optional<SqlSyntaxError> unbalanced(const std::vector<SqlToken>& tokens);

// The offset of the first comma outside any parenthesis or bracket.
std::optional<int> top_level_comma(const std::vector<SqlToken>& tokens);

}  // namespace schemac
