// Constraints of existing tables: primary and unique keys built on an index
// made concurrently, then attached; the others (checks, foreign keys) added
// NOT VALID, then validated (hazard validation-may-fail), foreign keys after
// the unique keys they reference; equivalent ones renamed, not rebuilt;
// undeclared ones dropped (hazard drops-undeclared).
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

void Planner::constraints(const Table& t, const Table& norm, const Table& live) {
  const auto name = t.name.display();
  for (const auto& c : t.constraints) {
    const Constraint* lc = live.constraint(c.name);
    const Constraint* nc = norm.constraint(c.name);
    if (!lc && nc && rename_equivalent_constraint(t, live, *nc, c)) continue;
    if (!norm.partition_by.empty() && partitioned_constraint(t, norm, live, c)) continue;  // partitions.cpp
    if (c.kind == ConstraintKind::PrimaryKey || c.kind == ConstraintKind::Unique) {
      if (lc && nc && lc->definition == nc->definition) continue;
      // The shape of the index behind the declared constraint, to recognize
      // one an interrupted apply already built.
      const Index* backing = norm.index(c.name);
      const std::string shape = backing ? index_shape(backing->definition) : "";
      // The index as the scratch database built it (NULLS NOT DISTINCT
      // included), and the timing the constraint declares.
      auto unique_index = [&](const std::string& index_name) {
        Index idx;
        idx.name = index_name;
        idx.unique = true;
        if (!c.definition.empty() && backing && !backing->definition.empty())  // declared in SQL
          idx.definition = backing->definition;
        else
          for (const auto& col : c.columns) idx.keys.push_back(quote_ident(col));
        return idx;
      };
      const auto& def = nc ? nc->definition : c.definition;
      const std::string timing = def.find(" INITIALLY DEFERRED") != std::string::npos ? " DEFERRABLE INITIALLY DEFERRED"
                                 : def.find(" DEFERRABLE") != std::string::npos       ? " DEFERRABLE"
                                                                                      : "";
      if (lc) {
        // Changed: the new index built concurrently under a temporary name,
        // then the old constraint swapped for one using it, in one transaction.
        Index idx = unique_index(c.name.substr(0, 50) + "_schemac_new");
        if (!reuse_leftover(Phase::Constraints, t, live, idx.name, shape, c.origin))
          build_index(Phase::Constraints, t, "build the unique index for the new " + c.name, idx, c.origin);
        int g = group();
        const auto dependents = drop_foreign_keys_on(Phase::Constraints, t, *lc, g);
        add(Phase::Constraints, name, "drop the old " + to_string(c.kind) + " " + c.name,
            fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g,
            c.origin);
        add(Phase::Constraints, name,
            "attach the new " + to_string(c.kind) + " " + c.name + " (the index takes its name)",
            fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}{}", t.name.sql(), quote_ident(c.name),
                        c.kind == ConstraintKind::PrimaryKey ? "PRIMARY KEY" : "UNIQUE", quote_ident(idx.name), timing),
            kAccessExclusive, g, c.origin);
        add_foreign_keys_again(Phase::Constraints, dependents, g);
        continue;
      }
      // Built without blocking writes, then attached in a brief transaction.
      Index idx = unique_index(c.name);
      if (!reuse_leftover(Phase::Constraints, t, live, idx.name, shape, c.origin))
        build_index(Phase::Constraints, t, "build the unique index for " + c.name, idx, c.origin);
      add(Phase::Constraints, name, "attach " + to_string(c.kind) + " " + c.name,
          fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}{}", t.name.sql(), quote_ident(c.name),
                      c.kind == ConstraintKind::PrimaryKey ? "PRIMARY KEY" : "UNIQUE", quote_ident(c.name), timing),
          kAccessExclusive, group(), c.origin);
      continue;
    }
    if (c.kind == ConstraintKind::Exclusion) {
      // No NOT VALID and no USING INDEX for exclusion constraints: the index
      // is built under the lock, in one statement.
      if (lc && nc && lc->definition == nc->definition) continue;
      int g = group();
      if (lc)
        add(Phase::Constraints, name, "drop the old " + c.name + " to replace it",
            fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g,
            c.origin);
      add(Phase::Constraints, name, "add exclusion constraint " + c.name,
          fmt::format("ALTER TABLE {} ADD {}", t.name.sql(), ddl::constraint_clause(c)),
          "ACCESS EXCLUSIVE while its index is built over every row (blocks reads and writes)", g, c.origin,
          {"table-lock"});
      continue;
    }
    const bool same = lc && nc && lc->definition == nc->definition;
    const bool fk = c.kind == ConstraintKind::ForeignKey;
    // A foreign key after the key it references, which this plan may add.
    const Phase phase = fk ? referenced_key_phase(c) : Phase::Constraints;
    const std::string lock =
        fk ? fmt::format("SHARE ROW EXCLUSIVE on {} and {} (brief)", name, c.ref_table.display()) : kAccessExclusive;
    if (!same) {
      int g = group();
      if (lc)
        add(phase, name, "drop the old " + c.name + " to replace it",
            fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g,
            c.origin)
            .rank = fk;
      add(phase, name, fmt::format("add {} {} without checking existing rows", to_string(c.kind), c.name),
          ddl::add_constraint(t.name, c, true), lock, g, c.origin)
          .rank = fk;
    }
    // Declared NOT VALID (rows from before it may break it, on purpose): never
    // validated by a plan; a live one, validated or not, is what was asked for.
    const bool declared_not_valid = nc && !nc->validated;
    if (!declared_not_valid && (!same || !lc->validated)) {
      auto& v = add(phase, name, fmt::format("validate {} {} against existing rows", to_string(c.kind), c.name),
                    fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t.name.sql(), quote_ident(c.name)),
                    kShareUpdateExclusive, group(), c.origin, {"validation-may-fail"});
      v.validates = c.name;
      v.rank = fk;
    }
  }
}

// A live constraint of another name that says the same thing is renamed, not rebuilt.
bool Planner::rename_equivalent_constraint(const Table& t, const Table& live, const Constraint& normalized,
                                           const Constraint& c) {
  for (const auto& lc : live.constraints) {
    if (lc.kind != normalized.kind || lc.definition != normalized.definition || t.constraint(lc.name) ||
        renamed_objects_.count({t.name.display(), lc.name}))
      continue;
    renamed_objects_.insert({t.name.display(), lc.name});
    add(Phase::Constraints, t.name.display(), fmt::format("rename {} {} to {}", to_string(c.kind), lc.name, c.name),
        fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", t.name.sql(), quote_ident(lc.name),
                    quote_ident(c.name)),
        kAccessExclusive, group(), c.origin);
    return true;
  }
  return false;
}

void Planner::drop_undeclared_constraints(const Table& t, const Table& live) {
  const auto name = t.name.display();
  for (const auto& lc : live.constraints) {
    if (t.constraint(lc.name) || renamed_objects_.count({name, lc.name})) continue;
    // A unique constraint that soft_delete turned into a partial unique index.
    bool becomes_index = lc.kind == ConstraintKind::Unique && t.index(lc.name);
    std::string lock = lc.kind == ConstraintKind::ForeignKey
                           ? fmt::format("ACCESS EXCLUSIVE on {} and {} (brief)", name, lc.ref_table.display())
                           : kAccessExclusive;
    if (becomes_index) continue;  // dropped in phase 4, when its partial index takes over
    const int g = group();
    const auto dependents = drop_foreign_keys_on(Phase::Contract, t, lc, g);
    undeclared(
        add(Phase::Contract, name, fmt::format("drop undeclared {} {}", to_string(lc.kind), lc.name),
            fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(lc.name)), lock, g, t.origin),
        to_string(lc.kind), lc.name);
    add_foreign_keys_again(Phase::Contract, dependents, g);
  }
}

// PostgreSQL ties a foreign key to the unique index it found when the key
// was added, and refuses to drop that index's constraint while the key
// exists, even when another key on the same columns (a new primary key)
// would do. So the foreign keys that may use a key being dropped are dropped
// just before it and added again just after, in the same transaction (never
// a moment without them), NOT VALID, then validated on their own. They are
// the ones the plan leaves: every declared one, and those of tables no file
// declares that are kept, referencing the key's columns.
std::vector<std::pair<QualifiedName, Constraint>> Planner::drop_foreign_keys_on(Phase phase, const Table& t,
                                                                                const Constraint& key, int g) {
  std::vector<std::pair<QualifiedName, Constraint>> out;
  if (key.kind != ConstraintKind::PrimaryKey && key.kind != ConstraintKind::Unique) return out;
  const std::set<std::string> columns(key.columns.begin(), key.columns.end());
  auto uses = [&](const Constraint& c) {
    if (c.kind != ConstraintKind::ForeignKey || c.ref_table != t.name) return false;
    if (c.ref_columns.empty()) return key.kind == ConstraintKind::PrimaryKey;
    return std::set<std::string>(c.ref_columns.begin(), c.ref_columns.end()) == columns;
  };
  for (const auto& dt : d_.catalog.tables)
    for (const auto& c : dt.constraints)
      if (uses(c)) out.emplace_back(dt.name, c);
  const auto& managed = d_.settings.schemas;
  for (const auto& lt : renamed_.tables) {
    const bool dropped = d_.settings.undeclared_tables == "drop" &&
                         std::find(managed.begin(), managed.end(), lt.name.schema) != managed.end();
    if (d_.catalog.table(lt.name) || dropped) continue;
    for (auto c : lt.constraints)
      if (uses(c)) {
        c.origin = t.origin;
        out.emplace_back(lt.name, std::move(c));
      }
  }
  for (const auto& [table, fk] : out)
    add(phase, table.display(),
        fmt::format("drop foreign key {} while {} is dropped (it uses that key's index)", fk.name, key.name),
        fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", table.sql(), quote_ident(fk.name)),
        fmt::format("ACCESS EXCLUSIVE on {} and {} (brief)", table.display(), t.name.display()), g, fk.origin);
  return out;
}

void Planner::add_foreign_keys_again(Phase phase, const std::vector<std::pair<QualifiedName, Constraint>>& foreign_keys,
                                     int g) {
  for (const auto& [table, fk] : foreign_keys)
    add(phase, table.display(), fmt::format("add foreign key {} again without checking existing rows", fk.name),
        ddl::add_constraint(table, fk, true),
        fmt::format("SHARE ROW EXCLUSIVE on {} and {} (brief)", table.display(), fk.ref_table.display()), g, fk.origin);
  for (const auto& [table, fk] : foreign_keys) {
    if (!fk.validated) continue;  // it was NOT VALID, and stays so
    auto& v = add(phase, table.display(), fmt::format("validate foreign key {} against existing rows", fk.name),
                  fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", table.sql(), quote_ident(fk.name)),
                  kShareUpdateExclusive, group(), fk.origin, {"validation-may-fail"});
    v.validates = fk.name;
  }
}

}  // namespace schemac::planner
