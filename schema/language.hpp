#pragma once
// The keys of the TOML language, in one table: the loader takes its lists of
// allowed keys from it, and `schemac json-schema` prints the JSON Schema
// editors complete and check against (taplo, VS Code's Even Better TOML). One
// source of truth: a key added to the loader without an entry here is an
// "unknown key" error, so the two cannot drift apart.
#include <string>
#include <string_view>
#include <vector>

namespace schemac::language {

// Where keys live: "project", "tenancy", "audit", "runtime", "apply" (the
// settings sections), "table", "column", "index", "foreign_key", "policy".
// The names of the keys a section allows, in the order the docs list them.
const std::vector<std::string>& key_names(std::string_view section);

// The top-level sections: project, tenancy, audit, runtime, apply, tables.
const std::vector<std::string>& top_level_sections();

// Closed sets of values the loader checks and the JSON Schema lists.
const std::vector<std::string>& table_privileges();   // select, insert, ... trigger
const std::vector<std::string>& column_privileges();  // select, insert, update, references
const std::vector<std::string>& index_methods();      // btree, gin, ...
const std::vector<std::string>& policy_commands();    // select, insert, update, delete, all

// The JSON Schema (draft-07) of a declarations file, pretty-printed.
std::string json_schema();

}  // namespace schemac::language
