#include "compiler/workflow.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "compiler/catalog/introspect.hpp"
#include "compiler/declared/sql_declared.hpp"
#include "compiler/live_audit_key.hpp"
#include "compiler/live_dependencies.hpp"
#include "compiler/offline.hpp"
#include "compiler/recorded_forms.hpp"
#include "compiler/scratch.hpp"

namespace schemac {

std::string default_schema_path() {
  return std::filesystem::exists("schema") ? "schema" : "schemac.toml";
}

std::map<std::string, DeclarationText> PlanOutcome::recorded_declarations() const {
  std::map<std::string, DeclarationText> out;
  for (const auto& [key, table] : normalize_stats.declared_tables)
    if (auto text = desired.table_texts.find(table); text != desired.table_texts.end())
      out[key] = {table, text->second};
  return out;
}

std::optional<PlanOutcome> plan_against_database(const PlanRequest& request, Diagnostics& diags) {
  // Nothing touches the database while declaration errors remain.
  auto compiled = request.sources.empty() ? compile_schema(request.schema_path, diags)
                                          : compile_schema(request.sources, diags, request.sql_text);
  if (!compiled) return std::nullopt;
  PlanOutcome out{desired_state(std::move(*compiled)), {}, {}, {}, {}};
  const auto& d = out.desired;

  Db live_db(request.database_url);
  const auto scope = d.scope();
  auto read_schemas = request.live_scope.schemas;
  std::sort(read_schemas.begin(), read_schemas.end());
  if (request.live && read_schemas == scope.schemas && request.live_scope.trigger_tables == scope.trigger_tables &&
      request.live_scope.functions.empty()) {
    out.live = *request.live;
    take_owned_functions(live_db, scope.functions, out.live);
  } else {
    out.live = read_catalog(live_db, scope);
  }
  const SourcePos anywhere{d.files.front(), 0, 0};
  if (d.settings.target == "supabase") {
    for (const auto& role : d.required_roles)
      if (!out.live.roles.count(role))
        diags.error(anywhere, fmt::format("role {} does not exist in the database", role),
                    "with target = \"supabase\" schemac expects Supabase's roles; create the role, or set "
                    "[project] target = \"postgres\" to have schemac create anon, authenticated and service_role");
    if (!out.live.schemas.count("auth"))
      diags.error(anywhere, "the database has no auth schema, so policies cannot call auth.jwt()",
                  "with target = \"supabase\" the database must be a Supabase one; set [project] target = \"postgres\" "
                  "to have schemac create auth.jwt() and auth.uid() stand-ins");
    if (!diags.empty()) return std::nullopt;
  }
  auto dependencies = read_live_dependencies(live_db, d);
  for (const auto& p : dependencies.problems) diags.error(p.pos, p.message, p.help);
  if (!diags.empty()) return std::nullopt;
  NormalizeCache cache(request.cache_dir);
  const auto recorded =
      request.use_recorded_forms ? read_recorded_forms(live_db) : std::map<std::string, std::string>{};
  auto normalized =
      normalize(d, out.live, dependencies, {request.database_url, request.dev_url, live_db.server_major_version()},
                cache, recorded, diags, out.normalize_stats);
  if (!normalized) return std::nullopt;
  adopt_sql_declarations(out.desired, *normalized, out.live);
  keep_live_audit_key(out.desired, *normalized, out.live);
  refuse_unpinned_definers(*normalized, diags);
  if (!diags.empty()) return std::nullopt;
  out.plan = make_plan(d, *normalized, out.live);
  out.normalized = std::move(*normalized);
  return out;
}

std::optional<PlanOutcome> plan_between_declarations(const std::string& from_path, const std::string& schema_path,
                                                     Diagnostics& diags) {
  auto base = compile_schema(from_path, diags);
  auto target = compile_schema(schema_path, diags);
  if (!base || !target) return std::nullopt;
  PlanOutcome out{desired_state(*target), as_if_live(desired_state(*base)), {}, {}, {}};
  // Both sides in the same (schemac's own) rendering.
  out.normalized = as_if_live(out.desired);
  out.plan = make_plan(out.desired, out.normalized, out.live);
  return out;
}

}  // namespace schemac
