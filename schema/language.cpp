#include "schema/language.hpp"

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "schema/reference.hpp"

namespace schemac::language {

namespace {

using json = nlohmann::ordered_json;

struct Key {
  std::string name;
  json schema;  // of its value
  std::string description;
};

struct Section {
  std::string name;
  std::string description;
  std::vector<Key> keys;
  std::vector<std::string> required = {};
};

json text(const char* description = nullptr) {
  json j = {{"type", "string"}};
  if (description) j["description"] = description;
  return j;
}
json boolean() {
  return {{"type", "boolean"}};
}
json names() {
  return {{"type", "array"}, {"items", {{"type", "string"}}}};
}
json one_of(std::vector<std::string> values) {
  return {{"enum", std::move(values)}};
}
json ref(const char* definition) {
  return {{"$ref", std::string("#/definitions/") + definition}};
}
json map_of(json value) {
  return {{"type", "object"}, {"additionalProperties", std::move(value)}};
}

// A case-insensitive literal as an ECMA regex ("full" -> "[Ff][Uu][Ll][Ll]"):
// the loader reads replica_identity in any case.
std::string any_case(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c)))
      out += std::string("[") + static_cast<char>(std::toupper(static_cast<unsigned char>(c))) +
             static_cast<char>(std::tolower(static_cast<unsigned char>(c))) + "]";
    else
      out += c;
  }
  return out;
}

const std::vector<Section>& sections() {
  static const std::vector<Section> all = [] {
    const json actions = one_of(on_delete_actions());
    // A flag, or the name of the column it keeps; not a quoted "yes" meant as true.
    std::string meant_true;
    for (const auto* word : {"true", "false", "yes", "no", "on", "off", "1", "0"})
      meant_true += (meant_true.empty() ? "" : "|") + any_case(word);
    const json flag_column = {
        {"anyOf", {boolean(), {{"type", "string"}, {"not", {{"pattern", "^(" + meant_true + ")$"}}}}}}};
    // "all": select, insert, update and delete.
    auto with_all = [](std::vector<std::string> v) {
      v.push_back("all");
      return v;
    };
    std::vector<Section> s;
    s.push_back({"project",
                 "Where schemac works and what it may drop",
                 {{"target", one_of({"supabase", "postgres"}),
                   "supabase: Supabase's roles and auth functions exist; postgres: schemac creates stand-ins"},
                  {"postgres", {{"type", "integer"}, {"minimum", 13}, {"maximum", 17}}, "the server's major version"},
                  {"schemas",
                   {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}},
                   "the schemas schemac manages"},
                  {"extensions", names(), "extensions the declarations need"},
                  {"undeclared_tables", one_of({"keep", "drop"}), "keep (list them) or drop tables no file declares"},
                  {"undeclared_objects", one_of({"keep", "drop"}),
                   "keep (list them) or drop types, sequences, routines and views no file declares"}}});
    s.push_back({"tenancy",
                 "What tenant_scoped tables share: the tenancy column and the JWT claim that must match it",
                 {{"column", text(), "the tenancy column, e.g. organization_id"},
                  {"type", text(), "its SQL type, e.g. uuid"},
                  {"references", {{"type", "string"}, {"pattern", "^.+\\(.+\\)$"}}, "the tenants table: table(column)"},
                  {"on_delete", actions, "what deleting a tenant does to its rows"},
                  {"claim", text(), "the JWT claim path, e.g. app_metadata.organization_id"},
                  {"roles", names(), "the API roles the tenant policies apply to"}}});
    s.push_back({"audit",
                 "The audit trail audited tables write",
                 {{"table", text(), "the audit table, [schema.]name"},
                  {"tenant_readable", boolean(), "tenants may read their own organization's history"}}});
    s.push_back({"runtime", "Where schemac's trigger functions live", {{"schema", text(), "their schema"}}});
    s.push_back(
        {"apply",
         "How apply waits for locks",
         {{"lock_timeout",
           {{"type", "string"}, {"pattern", "^[0-9]+(ms|s|min)$"}},
           "how long a transaction waits for a lock before it is retried, e.g. 2s"},
          {"retries", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}, "retries after a lock timeout"}}});
    s.push_back(
        {"table",
         "A table, its columns and the intent flags",
         {{"comment", text(), "COMMENT ON TABLE"},
          {"tenant_scoped", boolean(), "the tenancy column, its foreign key and index, RLS and four tenant policies"},
          {"soft_delete", flag_column,
           "DELETE marks deleted_at (or the named column) and the API no longer sees the row"},
          {"audited", boolean(), "every insert, update and delete is recorded in the audit table"},
          {"touch_updated_at", flag_column, "a trigger keeps updated_at (or the named column) current"},
          {"rls",
           {{"anyOf", {boolean(), one_of({"enabled", "forced"})}}},
           "row level security: true or \"forced\" (the owner too), \"enabled\" (not the owner)"},
          {"schema", text(), "the table's schema, when not the first of project.schemas"},
          {"renamed_from", text(), "the table's earlier name: the plan renames instead of dropping"},
          {"columns", map_of({{"anyOf", {text("shorthand for { type = ... }"), ref("column")}}}),
           "the columns, in CREATE TABLE order"},
          {"indexes", map_of(ref("index")), "indexes by name"},
          {"checks", map_of(text("an SQL boolean expression")), "check constraints by name"},
          {"policies", map_of(ref("policy")), "row level security policies by name"},
          {"primary_key", names(), "a primary key of several columns"},
          {"unique", map_of(names()), "unique constraints by name"},
          {"foreign_keys", map_of(ref("foreign_key")), "foreign keys by name"},
          {"grants", map_of({{"type", "array"}, {"items", one_of(with_all(table_privileges()))}}),
           "privileges by role; the role gets exactly these"},
          {"replica_identity",
           {{"type", "string"},
            {"pattern", "^(" + any_case("default") + "|" + any_case("full") + "|" + any_case("nothing") + "|" +
                            any_case("using index ") + ".+)$"}},
           "what logical replication sends of a changed row: default, full, nothing or using index <name>"}},
         {"columns"}});
    s.push_back({"column",
                 "A column",
                 {{"type", text(), "one PostgreSQL type name, e.g. text, uuid, timestamptz"},
                  {"nullable", boolean(), "NULL allowed (default false: NOT NULL)"},
                  {"default",
                   {{"type", {"string", "boolean", "number"}}},
                   "a string is an SQL expression ('draft' in quotes for text); a bool or number a literal"},
                  {"primary_key", boolean(), "the primary key"},
                  {"unique", boolean(), "a unique constraint on this column"},
                  {"references", text(), "table(column) or table: a foreign key"},
                  {"on_delete", actions, "the foreign key's action"},
                  {"check", text(), "a check constraint on this column"},
                  {"comment", text(), "COMMENT ON COLUMN"},
                  {"renamed_from", text(), "the column's earlier name: the plan renames instead of dropping"},
                  {"grants", map_of({{"type", "array"}, {"items", one_of(with_all(column_privileges()))}}),
                   "column privileges by role"}},
                 {"type"}});
    s.push_back({"index",
                 "An index, built CONCURRENTLY",
                 {{"columns",
                   {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}},
                   "key columns or expressions, with DESC or an operator class"},
                  {"where", text(), "a partial index's predicate"},
                  {"unique", boolean(), "a unique index"},
                  {"using", one_of(index_methods()), "the access method"},
                  {"include", names(), "covering columns (INCLUDE)"},
                  {"include_deleted", boolean(), "soft_delete tables: index deleted rows too"}},
                 {"columns"}});
    s.push_back({"foreign_key",
                 "A foreign key of one or more columns",
                 {{"columns", names(), "the referencing columns"},
                  {"references", text(), "table(column, ...)"},
                  {"on_delete", actions, "ON DELETE"},
                  {"on_update", actions, "ON UPDATE"}},
                 {"columns", "references"}});
    s.push_back({"policy",
                 "A row level security policy",
                 {{"for", one_of(policy_commands()), "the command it applies to"},
                  {"to", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}}, "the roles"},
                  {"using", text(), "which existing rows the role reaches"},
                  {"with_check", text(), "which new rows the role may write"},
                  {"as", one_of({"permissive", "restrictive"}), "permissive (OR) or restrictive (AND)"}}});
    return s;
  }();
  return all;
}

const Section& section(std::string_view name) {
  for (const auto& s : sections())
    if (s.name == name) return s;
  throw std::logic_error("no such section of the language: " + std::string(name));
}

json object_schema(const Section& s) {
  json properties = json::object();
  for (const auto& k : s.keys) {
    json v = k.schema;
    v["description"] = k.description;
    properties[k.name] = std::move(v);
  }
  json out = {{"type", "object"},
              {"description", s.description},
              {"properties", std::move(properties)},
              {"additionalProperties", false}};
  if (!s.required.empty()) out["required"] = s.required;
  return out;
}

}  // namespace

const std::vector<std::string>& key_names(std::string_view name) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> by_section = [] {
    std::map<std::string, std::vector<std::string>, std::less<>> out;
    for (const auto& s : sections())
      for (const auto& k : s.keys) out[s.name].push_back(k.name);
    return out;
  }();
  auto it = by_section.find(name);
  if (it == by_section.end()) throw std::logic_error("no such section of the language: " + std::string(name));
  return it->second;
}

const std::vector<std::string>& table_privileges() {
  static const std::vector<std::string> v = {"select",   "insert",     "update", "delete",
                                             "truncate", "references", "trigger"};
  return v;
}

const std::vector<std::string>& column_privileges() {
  static const std::vector<std::string> v = {"select", "insert", "update", "references"};
  return v;
}

const std::vector<std::string>& index_methods() {
  static const std::vector<std::string> v = {"btree", "gin", "gist", "brin", "hash", "spgist"};
  return v;
}

const std::vector<std::string>& policy_commands() {
  static const std::vector<std::string> v = {"select", "insert", "update", "delete", "all"};
  return v;
}

const std::vector<std::string>& top_level_sections() {
  static const std::vector<std::string> names = {"project", "tenancy", "audit", "runtime", "apply", "tables"};
  return names;
}

std::string json_schema() {
  json properties = json::object();
  for (const auto* name : {"project", "tenancy", "audit", "runtime", "apply"})
    properties[name] = object_schema(section(name));
  properties["tables"] = {{"type", "object"},
                          {"description", "Tables by name: [tables.<name>]"},
                          {"additionalProperties", {{"$ref", "#/definitions/table"}}}};
  json definitions = json::object();
  for (const auto* name : {"table", "column", "index", "foreign_key", "policy"})
    definitions[name] = object_schema(section(name));
  json out = {{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "schemac declarations"},
              {"description",
               "A schemac declarations file (TOML). Generated by `schemac json-schema` from the table of keys the "
               "loader reads (schema/language.cpp)."},
              {"type", "object"},
              {"properties", std::move(properties)},
              {"additionalProperties", false},
              {"definitions", std::move(definitions)}};
  return out.dump(2) + "\n";
}

}  // namespace schemac::language
