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

// Why a SECURITY DEFINER routine without a pinned search_path is refused, and the fix.
inline constexpr const char* kUnpinnedDefinerMessage =
    "a SECURITY DEFINER function without a pinned search_path runs with its owner's rights and resolves "
    "names through the caller's search_path: a caller who creates a table, type or function of the same "
    "name in pg_temp or a schema they own runs their code as the owner";
inline constexpr const char* kUnpinnedDefinerHelp =
    "pin it: add SET search_path = pg_catalog, pg_temp (or the schemas it needs, none a caller can write "
    "to) and qualify the names in its body, or make it SECURITY INVOKER";

struct SourceFile;

struct SqlDeclaration {
  std::string sql;        // the statement's text, as written, without its semicolon
  SourcePos pos;          // where the statement starts (1-based line and column)
  std::string statement;  // libpg_query's node name: "CreateStmt", "ViewStmt", ...
  // What it declares: "table" (partitions too), "foreign table", "view",
  // "materialized view", "function", "procedure", "aggregate", "operator",
  // "type" (base and shell types), "collation", "text search ...", "enum",
  // "domain", "composite type", "range type", "sequence", "index", "trigger",
  // "policy", "rule", "statistics", "schema", "extension", "language",
  // "publication", "alter publication" (ALTER PUBLICATION ... ADD TABLE), "event trigger", "cast", "operator class",
  // "operator family", "conversion", "transform", "access method", "foreign-data wrapper", "server", "user mapping";
  // what completes a declaration: "comment", "security label", "grant",
  // "revoke", "default privileges", "owner" (ALTER ... OWNER TO), "alter
  // table" (any ALTER TABLE, VIEW, SEQUENCE ... that is not only OWNER TO, nor
  // drops a column or constraint), "alter sequence", "alter type" (ALTER TYPE
  // ... ADD VALUE, ... SET), "alter domain", "alter function", "alter policy";
  // "setting" (SET, RESET, and SELECT pg_catalog.set_config(...) as pg_dump
  // writes it: they apply to the statements after them, in file order);
  // "do" (a DO block that only creates roles, as scripts guard CREATE ROLE:
  // roles are the cluster's; the block is skipped and they must exist);
  // "transaction" (BEGIN, START TRANSACTION, COMMIT, END, as files written for
  // psql carry them: they declare nothing, and whoever runs the declarations
  // runs them in its own transaction and skips these).
  std::string kind;
  // The object it creates or alters; schema empty when unqualified (always for
  // an index, trigger, policy or rule, named within its table). A setting's
  // variable; the first object of a GRANT or REVOKE; the first schema of
  // ALTER DEFAULT PRIVILEGES (or none); none for a cast, a transform or a
  // transaction, nor for an index CREATE INDEX leaves PostgreSQL to name.
  QualifiedName name;
  // The table an index, trigger, policy, rule or statistics object is on; the
  // relation of ALTER TABLE (and of its OWNER TO); for a comment or security
  // label on a column, policy, trigger, rule or table constraint, its table
  // (and name is the column's or object's own). Empty otherwise.
  QualifiedName table;
  // ALTER DEFAULT PRIVILEGES: the roles whose new objects it is about (FOR
  // ROLE, else the role a SET ROLE before it in the file set; empty: the user
  // who plans), its schemas (none: every schema), the kind of object (TABLES,
  // SEQUENCES, FUNCTIONS, TYPES, SCHEMAS) and the grantees ("public" for PUBLIC).
  struct DefaultPrivilegeScope {
    std::vector<std::string> roles, schemas, grantees;
    std::string objects;
    bool for_role = false;  // the statement says FOR ROLE itself
  } default_privileges;
};

// The statements of one .sql file, in order. A statement that is not a
// declaration (INSERT, DROP, DO, ...) or does not parse is an error at its
// file:line:col, with what to write instead: data (INSERT, UPDATE, DELETE,
// MERGE, COPY, TRUNCATE, setval), DROP and ALTER ... DROP COLUMN/CONSTRAINT,
// DO, renames and SET SCHEMA, other SELECTs, SELECT INTO and CREATE TABLE AS,
// ROLLBACK and savepoints, roles, databases and tablespaces, and anything else
// that is not a declaration. A statement nested more than kMaxSqlNesting deep
// is refused before libpg_query prints its tree; a NUL byte before anything.
std::vector<SqlDeclaration> parse_sql_declarations(const SourceFile& file, Diagnostics& diags);

}  // namespace schemac
