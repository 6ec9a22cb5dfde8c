#pragma once
// The checks and column defaults of tables declared in SQL, as the statements
// wrote them. PostgreSQL prints an expression back in a form that does not
// always print the same again once parsed (`status IN ('a', 'b')` on a varchar
// column gains casts that print differently the second time), so apply sends
// the text as written, which PostgreSQL normalizes in the live database the
// way it did in the scratch one; the plan compares what the catalog prints.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "schema/ident.hpp"

namespace schemac {

struct SqlDeclaration;

struct WrittenExpressions {
  // (table, constraint name) -> the check's boolean expression. An unnamed
  // check by the name PostgreSQL gives it (<table>_<column>_check when it
  // reads one column, else <table>_check; a suffix 1, 2 ... past names taken),
  // when that can be told from the statement alone.
  std::map<std::pair<QualifiedName, std::string>, std::string> checks;
  // (table, column) -> the column's default expression.
  std::map<std::pair<QualifiedName, std::string>, std::string> defaults;
};

// From CREATE TABLE and ALTER TABLE ... ADD (CONSTRAINT | COLUMN) statements;
// a table named without a schema gets `default_schema`. Later statements win.
WrittenExpressions written_expressions(const std::vector<SqlDeclaration>& declarations,
                                       const std::string& default_schema);

}  // namespace schemac
