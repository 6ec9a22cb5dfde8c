// Diff (normalized declarations vs live catalog) -> ordered steps in six phases.
// This file is the driver: the one walk over every object kind (each kind's
// steps are planned in the file of its name: tables.cpp, columns.cpp,
// constraints.cpp, indexes.cpp, triggers.cpp, policies.cpp, partitions.cpp,
// infrastructure.cpp),
// and the plan's hazards.
#include "compiler/planner/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "compiler/planner/objects.hpp"
#include "compiler/planner/planner.hpp"
#include "compiler/review/access_matrix.hpp"

namespace schemac {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Infrastructure:
      return "infrastructure";
    case Phase::Triggers:
      return "triggers";
    case Phase::Constraints:
      return "constraints";
    case Phase::Indexes:
      return "indexes";
    case Phase::Rls:
      return "row level security";
    case Phase::Contract:
      return "contract";
  }
  return "";
}

bool hazard_blocks(const std::string& code) {
  return code == "deletes-data" || code == "table-rewrite" || code == "backfill-required" || code == kDropsUndeclared ||
         code == "enum-value-removed" || code == "table-lock" || code == "replica-identity-missing";
}

std::set<std::string> Plan::hazards() const {
  std::set<std::string> out;
  for (const auto& s : steps) out.insert(s.hazards.begin(), s.hazards.end());
  return out;
}

namespace planner {

namespace {

// Whether the live side must be changed before it is compared: a declared
// rename to do, or tables not yet in name order.
bool must_rename(const Desired& d, const Catalog& live) {
  for (const auto& t : d.catalog.tables) {
    if (!t.renamed_from.empty()) return true;
    for (const auto& c : t.columns)
      if (!c.renamed_from.empty()) return true;
  }
  return !std::is_sorted(live.tables.begin(), live.tables.end(),
                         [](const Table& a, const Table& b) { return a.name < b.name; });
}

}  // namespace

Planner::Planner(const Desired& d, const Catalog& norm, const Catalog& live)
    : d_(d),
      norm_(norm),
      live_(live),
      renamed_copy_(must_rename(d, live) ? std::optional<Catalog>(live) : std::nullopt),
      renamed_(renamed_copy_ ? *renamed_copy_ : live),
      external_(external_tables(d)) {
  plan_.search_path = d.search_path;
  plan_.lock_timeout = d.settings.lock_timeout;
  plan_.retries = d.settings.retries;
  plan_.unmanaged_objects = live.unmanaged;
}

Plan Planner::run() {
  infrastructure();  // infrastructure.cpp
  // Types, sequences, routines and views (objects.cpp, one file per kind).
  auto objects = objects::plan_objects(d_, norm_, live_, [this] { return group(); });
  plan_.unmanaged_objects.insert(plan_.unmanaged_objects.end(), objects.unmanaged.begin(), objects.unmanaged.end());
  default_privileges();  // privileges.cpp: before new types, routines and tables, which get them
  append(objects.before_tables);
  append(objects.contract_first);
  renames();                         // tables.cpp
  new_tables(objects.among_tables);  // tables.cpp
  for (const auto& t : d_.catalog.tables) {
    const Table* live = renamed_.table(t.name);
    if (!live || created_.count(t.name)) continue;
    if (partitioning_changes(t, *live)) continue;  // partitions.cpp
    // A partition: what is its parent's left out (partitions.cpp).
    const bool partition = t.partition_of.has_value();
    const Table declared_copy = partition ? without_attached_indexes(t) : Table{};
    const Table norm_copy = partition ? without_attached_indexes(*norm_.table(t.name)) : Table{};
    const Table live_copy = partition ? partition_as_planned(t, *live) : Table{};
    const Table& declared = partition ? declared_copy : t;
    const Table& norm = partition ? norm_copy : *norm_.table(t.name);
    const Table& current = partition ? live_copy : *live;
    existing_table_phase1(declared, norm, current);  // columns.cpp
    triggers(declared, norm, current);               // triggers.cpp
    constraints(declared, norm, current);            // constraints.cpp
    set_not_null_existing(declared, norm, current);  // columns.cpp
    indexes(declared, norm, current);                // indexes.cpp
    rls(declared, norm, current);                    // policies.cpp
    comments(declared, current);                     // comments.cpp
    replica_identity(declared, current);             // replica_identity.cpp
    // Contract: what no file declares any more, in the file of its kind.
    drop_undeclared_indexes(declared, current);
    drop_undeclared_constraints(declared, current);
    drop_undeclared_triggers(declared, current);
    drop_undeclared_columns(declared, current);
  }
  drop_undeclared_tables();  // tables.cpp
  external_triggers();       // triggers.cpp
  publications();            // publications.cpp: after the tables and columns they publish
  // What .sql files declare that no step can make yet: said, not silently dropped.
  static const std::set<std::string> planned = {"table",
                                                "view",
                                                "materialized view",
                                                "function",
                                                "procedure",
                                                "aggregate",
                                                "enum",
                                                "domain",
                                                "composite type",
                                                "sequence",
                                                "index",
                                                "trigger",
                                                "policy",
                                                "schema",
                                                "extension",
                                                "comment",
                                                "grant",
                                                "revoke",
                                                "alter table",
                                                "alter sequence",
                                                "alter type",
                                                "alter domain",
                                                "alter function",
                                                "alter policy",
                                                "owner",
                                                "default privileges",
                                                "publication",
                                                "alter publication",
                                                "setting",
                                                "transaction",
                                                "do"};
  for (const auto& decl : d_.sql)
    if (!planned.count(decl.kind))
      plan_.not_planned.push_back(
          fmt::format("{}{} at {}", decl.kind, decl.name.name.empty() ? "" : " " + decl.name.name, decl.pos.str()));
  append(objects.after_tables);
  append(objects.contract_last);
  replicated_writes();  // replicated_writes.cpp: once every step is known
  std::sort(plan_.unmanaged_objects.begin(), plan_.unmanaged_objects.end());
  // Phases run in order; within a phase, the order steps were added (dependencies, then names).
  std::stable_sort(plan_.steps.begin(), plan_.steps.end(),
                   [](const Step& a, const Step& b) { return std::tie(a.phase, a.rank) < std::tie(b.phase, b.rank); });
  // Who can do what, before and after, where authorization changes (review/access_matrix.cpp).
  plan_.access_changes =
      review::access_changes(plan_, d_.catalog, norm_, renamed_, d_.settings.tenancy.column,
                             [this](const std::string& schema) { return inherited_grants(schema, "TABLES"); });
  return std::move(plan_);
}

}  // namespace planner

Plan make_plan(const Desired& desired, const Catalog& normalized, const Catalog& live) {
  return planner::Planner(desired, normalized, live).run();
}

}  // namespace schemac
