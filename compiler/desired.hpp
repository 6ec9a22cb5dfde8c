#pragma once
// The whole desired state: the compiled tables plus the support objects they
// need (schemas, roles, runtime functions, auth stand-ins, extensions).
#include <map>
#include <string>
#include <vector>

#include "compiler/catalog/introspect.hpp"
#include "schema/compile.hpp"
#include "schema/sql_declarations.hpp"

namespace schemac {

struct Desired {
  Settings settings;
  Catalog catalog;
  std::map<std::string, std::string> role_attributes;  // roles schemac creates (target postgres)
  std::vector<std::string> required_roles;             // roles the plan needs to exist
  std::vector<std::string> search_path;                // for DDL: user expressions resolve as in the scratch database
  std::vector<std::string> files;
  std::vector<SqlDeclaration> sql;                   // the .sql declarations, in file order
  std::map<QualifiedName, std::string> table_texts;  // each TOML table's declaration as written, for the record

  // Something calls auth.jwt() or auth.uid(): a policy (the tenant ones do) or
  // the audit trail (changed_by).
  bool uses_auth = false;

  IntrospectScope scope() const;
  // Tables outside project.schemas that .sql declarations put a trigger on
  // (CREATE TRIGGER on_auth_user_created ... ON auth.users).
  std::vector<QualifiedName> external_trigger_tables() const;
  // target = "postgres": schemac creates Supabase's API roles, and the auth
  // schema with its functions where something calls them.
  bool creates_api_roles() const { return settings.target == "postgres"; }
  bool creates_auth_standins() const { return creates_api_roles() && uses_auth; }
};

Desired desired_state(const CompiledSchema& schema);
// The same, taking the compiled catalog over instead of copying it.
Desired desired_state(CompiledSchema&& schema);

}  // namespace schemac
