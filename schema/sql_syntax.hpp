#pragma once
// Checks the SQL fragments people write (types, defaults, checks, predicates,
// index keys, policy expressions) with PostgreSQL's own parser (libpg_query),
// before any database is contacted.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schemac {

struct SqlSyntaxError {
  std::string message;  // follows the fragment's name: "is not valid SQL: ...", "nests more than ..."
  int offset = 0;       // 0-based byte offset into the fragment
  std::string help;     // what to write instead, when the caller's general advice does not fit
};

enum class SqlFragment { Expression, Type, IndexKey, ColumnDefault };

// How deeply a fragment may nest (see sql_shape.hpp for how it is counted):
// deeper ones are refused before libpg_query builds and prints a tree that deep.
inline constexpr int kMaxSqlNesting = 256;

// Whether `text` is exactly one fragment of its kind: one expression (that
// could stand inside CHECK (...)), one type name, one index key. Nothing it
// contains can close the brackets of the statement it is pasted into.
std::optional<SqlSyntaxError> check_sql(SqlFragment kind, std::string_view text);

// Unqualified column names an expression reads, outside sub-queries (those
// name other tables' columns). Empty if the text does not parse.
std::vector<std::string> referenced_columns(SqlFragment kind, std::string_view text);

// Names of the functions an expression calls (lower case, without schema).
std::vector<std::string> called_functions(SqlFragment kind, std::string_view text);

// A definition PostgreSQL printed (pg_get_indexdef, pg_get_constraintdef)
// with column `from` renamed to `to`, the way PostgreSQL would print it after
// ALTER TABLE ... RENAME COLUMN: identifier tokens only, never inside string
// literals, function names or type names. Only for definitions that name the
// columns of one table (indexes, checks, unique keys); text that does not
// scan comes back unchanged.
std::string rename_column(std::string_view definition, std::string_view from, std::string_view to);

// "created_at DESC NULLS LAST" -> "created_at"; an expression -> nullopt.
std::optional<std::string> plain_index_column(std::string_view key);

}  // namespace schemac
