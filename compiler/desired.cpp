#include "compiler/desired.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "runtime/runtime.hpp"

namespace schemac {

namespace {
void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}
}  // namespace

IntrospectScope Desired::scope() const {
  IntrospectScope s;
  s.schemas = settings.schemas;
  add_unique(s.schemas, settings.runtime_schema);
  add_unique(s.schemas, settings.audit_table().schema);
  std::sort(s.schemas.begin(), s.schemas.end());
  for (const auto& f : catalog.functions) s.functions.push_back(f.name);
  s.trigger_tables = external_trigger_tables();
  return s;
}

std::vector<QualifiedName> Desired::external_trigger_tables() const {
  std::set<QualifiedName> out;
  for (const auto& decl : sql)
    if (decl.kind == "trigger" && !decl.table.schema.empty() && settings.outside_managed_schemas(decl.table))
      out.insert(decl.table);
  return {out.begin(), out.end()};
}

Desired desired_state(const CompiledSchema& schema) {
  return desired_state(CompiledSchema(schema));
}

Desired desired_state(CompiledSchema&& schema) {
  Desired d;
  d.settings = std::move(schema.settings);
  d.catalog = std::move(schema.catalog);
  d.files = std::move(schema.files);
  d.sql = std::move(schema.sql);
  d.table_texts = std::move(schema.table_texts);
  // A schema a .sql file creates is managed: created by the plan, its objects
  // read and compared. An extension is created like project.extensions.
  for (const auto& decl : d.sql) {
    if (decl.kind == "schema" && !decl.name.name.empty()) {
      add_unique(d.settings.schemas, decl.name.name);
      d.catalog.schemas.insert(decl.name.name);
    }
    if (decl.kind == "extension" && !decl.name.name.empty()) {
      d.catalog.extensions.insert(decl.name.name);
      if (!decl.name.schema.empty()) d.catalog.extension_schemas[decl.name.name] = decl.name.schema;
    }
  }
  const auto& s = d.settings;
  // What the runtime's bodies are built with: the project's settings, each
  // identifier through quote_ident and each name compared as text through
  // quote_literal. Nothing from a table's declaration is pasted into a body.
  // audit_changes() writes to the audit table in static SQL (planned once per
  // session, where a dynamic INSERT was planned on every statement).
  const auto audit = s.audit_table();
  const std::map<std::string, std::string> vars = {
      {"runtime", quote_ident(s.runtime_schema)},       {"audit_table", audit.sql()},
      {"audit_schema", quote_literal(audit.schema)},    {"audit_name", quote_literal(audit.name)},
      {"tenant_column", quote_ident(s.tenancy.column)}, {"tenant_column_name", quote_literal(s.tenancy.column)}};

  std::set<std::string> used;
  for (const auto& t : d.catalog.tables)
    for (const auto& tr : t.triggers)
      if (tr.function.schema == s.runtime_schema) used.insert(tr.function.name);
  for (const char* name : runtime::kTriggerFunctions) {
    if (!used.count(name)) continue;
    Function f;
    f.name = {s.runtime_schema, name};
    f.create_sql = runtime::render(std::string(name) + ".sql", vars);
    // Triggers run their functions without EXECUTE checks; whoever may
    // execute one may attach it to a table of their own (a temporary one),
    // with arguments of their choosing, and run it as its owner.
    f.owner_only = true;
    const std::string fn = name;
    f.origin.flag = fn == "audit_changes" || fn == "refuse_key_change" ? "audited"
                    : fn == "soft_delete_mark"                         ? "soft_delete"
                                                                       : fn;
    d.catalog.functions.push_back(std::move(f));
  }
  auto calls_auth = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text.find("auth.") != std::string::npos || text.find("\"auth\".") != std::string::npos;
  };
  for (const auto& t : d.catalog.tables) {
    for (const auto& p : t.policies) d.uses_auth |= calls_auth(p.using_expr) || calls_auth(p.check_expr);
    for (const auto& c : t.columns) d.uses_auth |= c.default_expr && calls_auth(*c.default_expr);
    for (const auto& c : t.constraints) d.uses_auth |= calls_auth(c.expression);
    for (const auto& i : t.indexes) d.uses_auth |= calls_auth(i.where);
    for (const auto& tr : t.triggers)
      d.uses_auth |= tr.function.schema == s.runtime_schema && tr.function.name == "audit_changes";
  }
  if (d.creates_auth_standins()) {
    std::vector<Function> standins;
    for (const char* name : {"jwt", "uid"}) {
      Function f;
      f.name = {"auth", name};
      f.create_sql = runtime::render(fmt::format("auth_{}.sql", name), vars);
      f.origin.flag = "target";
      standins.push_back(std::move(f));
    }
    d.catalog.functions.insert(d.catalog.functions.begin(), standins.begin(), standins.end());
  }

  for (const auto& t : d.catalog.tables) {
    d.catalog.schemas.insert(t.name.schema);
    for (const auto& p : t.policies)
      for (const auto& r : p.roles)
        if (r != "public") add_unique(d.required_roles, r);
    // A role that is to hold nothing need not exist (RLS makes anon's and
    // authenticated's privileges exact: none, where nothing grants them any).
    for (const auto& [role, privs] : t.grants)
      if (role != "public" && !privs.empty()) add_unique(d.required_roles, role);
    for (const auto& c : t.columns)
      for (const auto& [role, privs] : c.grants)
        if (role != "public" && !privs.empty()) add_unique(d.required_roles, role);
  }
  d.catalog.schemas.insert(s.runtime_schema);
  if (d.creates_auth_standins()) d.catalog.schemas.insert("auth");
  if (d.creates_api_roles()) {
    // Supabase's API roles, as Supabase defines them (postgres-facts 3.3), when
    // the declarations are Supabase-shaped: they name one of them or call
    // auth.jwt()/auth.uid(). A plain PostgreSQL schema (an imported one) that
    // does neither gets only the roles it names.
    const std::map<std::string, std::string> supabase = {{"anon", "NOLOGIN NOINHERIT"},
                                                         {"authenticated", "NOLOGIN NOINHERIT"},
                                                         {"service_role", "NOLOGIN NOINHERIT BYPASSRLS"}};
    bool api_shaped = d.uses_auth;
    for (const auto& r : d.required_roles) api_shaped = api_shaped || supabase.count(r);
    if (api_shaped) d.role_attributes = supabase;
    for (const auto& r : d.required_roles)
      if (!d.role_attributes.count(r)) d.role_attributes[r] = "NOLOGIN NOINHERIT";
    for (const auto& [r, attrs] : d.role_attributes) add_unique(d.required_roles, r);
  }
  std::sort(d.required_roles.begin(), d.required_roles.end());
  d.search_path = s.schemas;
  add_unique(d.search_path, s.runtime_schema);
  return d;
}

}  // namespace schemac
