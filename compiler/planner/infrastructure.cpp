// Phase 1, database-wide: extensions, roles (created where missing), schemas
// with USAGE for the API roles, and the functions the schema calls (runtime/),
// created or replaced; EXECUTE on the runtime's trigger functions is revoked
// from all but their owner.
#include <fmt/format.h>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

void Planner::infrastructure() {
  for (const auto& ext : d_.catalog.extensions) {
    if (live_.extensions.count(ext)) continue;
    const auto in = d_.catalog.extension_schemas.find(ext);
    const std::string schema = in == d_.catalog.extension_schemas.end() ? "" : in->second;
    // Its schema first when nothing else creates it (Supabase's `extensions`).
    if (!schema.empty() && !live_.schemas.count(schema) && !d_.catalog.schemas.count(schema))
      add(Phase::Infrastructure, "", "create schema " + schema + " for extension " + ext,
          fmt::format("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema)), "none", group(), {});
    add(Phase::Infrastructure, "", "create extension " + ext, ddl::create_extension(ext, schema), "none", group(), {});
  }
  for (const auto& [role, attrs] : d_.role_attributes)
    if (!live_.roles.count(role))
      add(Phase::Infrastructure, "", "create role " + role,
          // Roles are cluster-wide: another database's apply may create it first.
          "DO " + quote_dollar(fmt::format(" BEGIN CREATE ROLE {} {}; EXCEPTION WHEN duplicate_object OR "
                                           "unique_violation THEN NULL; END ",
                                           quote_ident(role), attrs),
                               "role"),
          "none", group(), {{}, "target"}, {"authz-change"})
          .creates_role = role;
  for (const auto& schema : d_.catalog.schemas) {
    if (live_.schemas.count(schema)) continue;
    int g = group();
    add(Phase::Infrastructure, "", "create schema " + schema,
        fmt::format("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema)), "none", g, {});
    // API roles must be able to reach the schema's tables (and auth's functions).
    std::vector<std::string> roles;
    for (const auto& r : d_.required_roles) roles.push_back(quote_ident(r));
    if (!roles.empty()) {
      std::string list;
      for (std::size_t i = 0; i < roles.size(); ++i) list += (i ? ", " : "") + roles[i];
      add(Phase::Infrastructure, "", "let the API roles use schema " + schema,
          fmt::format("GRANT USAGE ON SCHEMA {} TO {}", quote_ident(schema), list), "none", g, {}, {"authz-change"});
    }
  }
  for (const auto& f : d_.catalog.functions) {
    const Function* live = live_.function(f.name);
    const Function* norm = norm_.function(f.name);
    const bool same = live && norm && live->definition == norm->definition;
    int g = 0;
    if (!same)
      add(Phase::Infrastructure, "", fmt::format("{} function {}()", live ? "replace" : "create", f.name.display()),
          f.create_sql, "none", g = group(), f.origin);
    if (f.owner_only) revoke_execute(f, live, g);
  }
}

// EXECUTE on a runtime function is the owner's alone. A new function gets
// PUBLIC's default EXECUTE and whatever default privileges say (Supabase's
// grant EXECUTE on new functions to anon, authenticated and service_role):
// revoked in the transaction that creates it. An existing one loses what
// anyone granted since.
void Planner::revoke_execute(const Function& f, const Function* live, int g) {
  std::set<std::string> from = live ? live->executors : std::set<std::string>{};
  if (!live) {
    from.insert("public");
    for (const char* api : {"anon", "authenticated", "service_role"})
      if (live_.roles.count(api) || d_.role_attributes.count(api)) from.insert(api);
    for (const auto& r : d_.settings.tenancy.roles)
      if (live_.roles.count(r) || d_.role_attributes.count(r)) from.insert(r);
  }
  if (from.empty()) return;
  add(Phase::Infrastructure, "", fmt::format("only the owner may execute {}()", f.name.display()),
      fmt::format("REVOKE ALL ON FUNCTION {}() FROM {}", f.name.sql(), ddl::policy_roles({from.begin(), from.end()})),
      "none", g ? g : group(), f.origin, {"authz-change"});
}

}  // namespace schemac::planner
