#pragma once
// The schema front end: TOML files -> validated, flag-expanded Catalog; .sql
// files -> their statements, each parsed and named (sql_declarations.hpp).
#include <map>
#include <optional>
#include <string>

#include "schema/declarations.hpp"
#include "schema/model.hpp"
#include "schema/settings.hpp"

namespace schemac {

struct CompiledSchema {
  Settings settings;
  Catalog catalog;  // tables only; support objects are added by the compiler
  std::vector<std::string> files;
  std::vector<SqlDeclaration> sql;                   // the .sql files' statements, checked one by one, in file order
  std::map<QualifiedName, std::string> table_texts;  // each TOML table's declaration as text (declaration_text.hpp)
};

// Whose SQL the declarations hold: a person's (each fragment parsed, errors
// pointing into it), or PostgreSQL's own printing (schemac import), which parses.
enum class SqlText { AsWritten, PrintedByPostgres };

// Syntax and shape checks that need no other table (SQL parsed with libpg_query).
void validate_declarations(Declarations& decls, Diagnostics& diags, SqlText sql_text = SqlText::AsWritten);
// Flags -> ordinary columns, constraints, indexes, triggers, policies, grants.
Catalog expand(const Declarations& decls, Diagnostics& diags);
// Checks across tables on the expanded catalog: references, names, lengths.
void validate_catalog(const Catalog& catalog, const Declarations& decls, Diagnostics& diags);

// All of the above, from --schema PATH; nullopt when any error was reported.
std::optional<CompiledSchema> compile_schema(const std::string& path, Diagnostics& diags);
// For declarations written from PostgreSQL's own printing (schemac import): the
// loader, the flags and the checks across tables, without parsing each SQL
// fragment again (PostgreSQL printed them; at 2,000 tables that parse is a second).
void check_printed_declarations(const std::vector<SourceFile>& files, Diagnostics& diags);
// The same from text already in memory (tests, the fuzzer).
std::optional<CompiledSchema> compile_schema(const std::vector<SourceFile>& files, Diagnostics& diags,
                                             SqlText sql_text = SqlText::AsWritten);

// "(select auth.jwt()) ->> 'organization_id'" -> "((select auth.jwt()) ->> 'organization_id')::uuid = ..."
std::string tenant_predicate(const Settings& settings, const std::string& column_sql);
std::string tenant_claim_expression(const Settings& settings);

}  // namespace schemac
