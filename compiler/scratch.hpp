#pragma once
// Normalization: the declarations are created in a scratch database and read
// back by the catalog reader, so both sides are compared in PostgreSQL's own
// deparsed form. The scratch database also catches SQL the parser accepts but
// PostgreSQL refuses (an unknown column or function), before anything is applied.
#include <map>
#include <optional>
#include <set>
#include <string>

#include "compiler/desired.hpp"
#include "compiler/live_dependencies.hpp"
#include "compiler/normalize_cache.hpp"
#include "compiler/planner/plan.hpp"

namespace schemac {

struct ScratchOptions {
  std::string server_url;              // where to create (and drop) a temporary database
  std::optional<std::string> dev_url;  // or: an existing database, used inside a rolled-back transaction
  int server_version = 0;              // part of the cache key: deparsed forms can change between versions
  // The live database's catalog, when planning against one: expressions that
  // differ from it only in how PostgreSQL prints them are equated (live_reprint.hpp).
  const Catalog* live = nullptr;
  // Only these declared tables are created (nullptr: all): the ones that
  // changed and what their foreign keys reference, without a copy of the rest.
  const std::set<QualifiedName>* only_tables = nullptr;
};

struct NormalizeStats {
  std::size_t tables_in_sync = 0;  // the live table matches the remembered normalized form: nothing read
  std::size_t tables_from_cache = 0;
  std::size_t tables_materialized = 0;
  bool scratch_database_used = false;
  int scratch_databases = 1;            // 2: many tables were materialized in two databases at once
  std::size_t recorded_forms_used = 0;  // of tables_in_sync: known from the database's record, not the cache
  // Every declared table's and function's key -> digest of its normalized
  // form: what apply records in the database (recorded_forms.hpp).
  std::map<std::string, std::string> digests;
  // The keys of TOML tables -> their table, whose declaration as written
  // (Desired::table_texts) apply records beside the digest.
  std::map<std::string, QualifiedName> declared_tables;
};

// nullopt when a declaration failed to create; diags names it.
std::optional<Catalog> normalize_in_scratch(const Desired& desired, const LiveDependencies& dependencies,
                                            const ScratchOptions& options, Diagnostics& diags);

// The same, materializing only what is not already known (and the tables
// those reference); everything when that is not enough. Known: a live table or
// function whose digest is the one remembered for its declaration's key, in
// the cache or in the database's record (recorded: key -> digest), or a cached
// normalized form.
std::optional<Catalog> normalize(const Desired& desired, const Catalog& live, const LiveDependencies& dependencies,
                                 const ScratchOptions& options, const NormalizeCache& cache,
                                 const std::map<std::string, std::string>& recorded, Diagnostics& diags,
                                 NormalizeStats& stats);

// The names the .sql declarations create (unqualified ones in the default schema).
std::set<QualifiedName> sql_declared_names(const Desired& desired);

// The whole "create from nothing" script of the desired state, in order.
std::vector<Statement> scratch_script(const Desired& desired, const LiveDependencies& dependencies,
                                      const std::set<QualifiedName>* only_tables = nullptr);

}  // namespace schemac
