#pragma once
// The command pipeline, shared by the CLI and the tests: compile, read the
// live catalog, normalize in a scratch database, plan.
#include <optional>
#include <string>

#include "compiler/desired.hpp"
#include "compiler/planner/plan.hpp"
#include "compiler/recorded_declaration.hpp"
#include "compiler/scratch.hpp"

namespace schemac {

struct PlanRequest {
  std::string schema_path;
  std::string database_url;  // empty: libpq defaults
  std::optional<std::string> dev_url;
  std::string cache_dir;  // empty: no cache on this machine
  // Trust the normalized forms the database recorded at its last apply
  // (recorded_forms.hpp); --no-cache turns this off with the cache.
  bool use_recorded_forms = true;
  // When set, the declarations themselves (their names as if under a folder),
  // in place of schema_path: schemac import plans what it is about to write.
  std::vector<SourceFile> sources{};
  SqlText sql_text = SqlText::AsWritten;
  // The live catalog, already read with live_scope (schemac import plans what
  // it writes against the catalog it read): used when that scope is the
  // plan's but for the functions schemac owns, which are read here.
  const Catalog* live = nullptr;
  IntrospectScope live_scope{};
};

struct PlanOutcome {
  Desired desired;
  Catalog live;
  Catalog normalized;  // the declarations as PostgreSQL reads them back (what the live side will become)
  Plan plan;
  NormalizeStats normalize_stats;

  // Key -> TOML table's declaration as written: what apply records beside the
  // digests. Made when needed: a plan that records nothing holds no copy.
  std::map<std::string, DeclarationText> recorded_declarations() const;
};

// Compile-time errors and declarations PostgreSQL refuses land in diags (and
// give nullopt); connection and server errors throw.
std::optional<PlanOutcome> plan_against_database(const PlanRequest& request, Diagnostics& diags);

// The plan from the declarations at from_path to those at schema_path, offline.
std::optional<PlanOutcome> plan_between_declarations(const std::string& from_path, const std::string& schema_path,
                                                     Diagnostics& diags);

// "./schema" if it exists, else "./schemac.toml".
std::string default_schema_path();

}  // namespace schemac
