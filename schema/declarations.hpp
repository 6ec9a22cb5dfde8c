#pragma once
// What the TOML files say, before flags are expanded, and the statements of the .sql files.
#include <map>
#include <string>
#include <vector>

#include "schema/model.hpp"
#include "schema/settings.hpp"
#include "schema/sql_declarations.hpp"

namespace schemac {

struct TableFlags {
  bool tenant_scoped = false;
  bool soft_delete = false;
  bool audited = false;
  bool touch_updated_at = false;
  // The columns the flags keep: touch_updated_at = "last_update" and
  // soft_delete = "removed_at" name another than the default.
  std::string updated_at_column = "updated_at";
  std::string deleted_at_column = "deleted_at";
  bool rls = false;
  bool rls_unforced = false;  // rls = "enabled": row level security without FORCE (the owner is not subject to it)
};

struct TableDecl {
  Table table;  // declared objects only
  TableFlags flags;
  std::map<std::string, SourcePos> key_pos;  // where each table-level key (and "columns.x.grants") was written
  std::vector<std::string> primary_key;      // in column order (column keys or primary_key = [...])
  SourcePos primary_key_pos;
  std::map<std::string, SourcePos> value_pos;  // "columns.x.default", "checks.y", ...: where SQL text starts
  std::string text;                            // the declaration as TOML (declaration_text.hpp)
};

struct Declarations {
  Settings settings;
  std::map<std::string, SourcePos> setting_pos;       // "tenancy.claim" -> where it was written
  std::map<std::string, SourcePos> setting_text_pos;  // "tenancy.type" -> where its string's text starts
  std::vector<TableDecl> tables;                      // in file order
  std::vector<SqlDeclaration> sql;                    // the statements of the .sql files, in file order
  std::vector<std::string> files;
};

struct SourceFile {
  std::string name;  // as it appears in diagnostics
  std::string text;
};

// Reads --schema PATH (a file, or every *.toml and *.sql below a folder, in
// sorted path order). A file whose name ends in .sql holds SQL declarations;
// any other, TOML.
std::vector<SourceFile> read_schema_files(const std::string& path, Diagnostics& diags);
// The declarations in files already read, in order.
Declarations load_declarations(const std::vector<SourceFile>& files, Diagnostics& diags);

}  // namespace schemac
