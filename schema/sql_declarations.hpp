#pragma once
// Declarations written in SQL: a schema folder may hold .sql files of CREATE
// statements beside the TOML (Supabase's supabase/schemas/*.sql as they are).
// Each statement is parsed with libpg_query and kept with its position; the
// scratch database runs them, and the catalog reader reads back what they made.
#include <string>
#include <vector>

#include "schema/diagnostics.hpp"
#include "schema/ident.hpp"

namespace schemac {

struct SourceFile;

struct SqlDeclaration {
  std::string sql;        // the statement's text, as written, without its semicolon
  SourcePos pos;          // where the statement starts (1-based line and column)
  std::string statement;  // libpg_query's node name: "CreateStmt", "ViewStmt", ...
  // What it declares: "table", "view", "materialized view", "function",
  // "procedure", "aggregate", "enum", "domain", "composite type", "range type",
  // "sequence", "index", "trigger", "policy", "schema", "extension", "comment",
  // "grant", "default privileges", "alter table", "alter sequence", "alter type",
  // "setting" (SET, set_config), "owner" (ALTER ... OWNER TO).
  std::string kind;
  QualifiedName name;   // the object it creates or alters; schema empty when unqualified
  QualifiedName table;  // index, trigger, policy, alter table, comment on a column: its table
};

// The statements of one .sql file, in order. A statement that is not a
// declaration (INSERT, DROP, DO, ...) or does not parse is an error at its
// file:line:col, with what to write instead.
std::vector<SqlDeclaration> parse_sql_declarations(const SourceFile& file, Diagnostics& diags);

}  // namespace schemac
