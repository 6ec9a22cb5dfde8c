#pragma once
// "schema.table(col, col)" references and ON DELETE actions, as the language
// writes them (columns' references, foreign_keys, [tenancy] references).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/ident.hpp"

namespace schemac {

struct TableReference {
  QualifiedName table;               // schema empty when not written: the caller's default applies
  std::vector<std::string> columns;  // empty: the referenced table's primary key
};

// nullopt when the text is not of the form "table", "table(col, ...)" or "schema.table(...)".
std::optional<TableReference> parse_table_reference(std::string_view text);

// The actions on_delete accepts, as written in TOML.
const std::vector<std::string>& on_delete_actions();
// "set null" -> "SET NULL"; "no action" (PostgreSQL's default) -> "".
std::string on_delete_sql(const std::string& action);

}  // namespace schemac
