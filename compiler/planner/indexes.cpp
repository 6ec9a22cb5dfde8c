// Indexes of existing tables: built CONCURRENTLY (hazard index-build), a
// changed one beside the old and swapped by rename, leftovers of an
// interrupted apply reused or dropped, an equivalent one renamed, undeclared
// ones dropped (a unique one is integrity: hazard drops-undeclared).
// build_index and reuse_leftover also serve constraints.cpp's keys.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

void Planner::indexes(const Table& t, const Table& norm, const Table& live) {
  const auto name = t.name.display();
  for (const auto& i : t.indexes) {
    if (!norm.partition_by.empty()) {
      partitioned_index(t, norm, live, i);  // partitions.cpp
      continue;
    }
    const Index* li = live.index(i.name);
    const Index* ni = norm.index(i.name);
    if (li && ni && index_shape(li->definition) == index_shape(ni->definition) && li->valid) continue;
    if (!li && ni) {
      // The same index under another (undeclared) name: rename it instead of building it again.
      auto same = std::find_if(live.indexes.begin(), live.indexes.end(), [&](const Index& x) {
        return x.valid && !x.backs_constraint && !t.index(x.name) && !renamed_objects_.count({name, x.name}) &&
               index_shape(x.definition) == index_shape(ni->definition);
      });
      if (same != live.indexes.end()) {
        renamed_objects_.insert({name, same->name});
        add(Phase::Indexes, name, fmt::format("rename index {} to {}", same->name, i.name),
            fmt::format("ALTER INDEX {} RENAME TO {}", QualifiedName{t.name.schema, same->name}.sql(),
                        quote_ident(i.name)),
            kAccessExclusive, group(), i.origin);
        continue;
      }
    }
    if (li && !li->valid) {
      add(Phase::Indexes, name, "drop invalid index " + i.name + " (a failed earlier build)",
          fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QualifiedName{t.name.schema, i.name}.sql()),
          kShareUpdateExclusive, 0, i.origin);
      build_index(Phase::Indexes, t, "rebuild index " + i.name, i, i.origin);
    } else if (li) {
      // Build the new definition beside the old one, so queries always have an index.
      auto temp = (i.name.substr(0, 50) + "_schemac_new");
      Index beside = i;
      beside.name = temp;
      if (!reuse_leftover(Phase::Indexes, t, live, temp, ni ? index_shape(ni->definition) : "", i.origin))
        build_index(Phase::Indexes, t, "build the new definition of " + i.name + " beside the old one", beside,
                    i.origin);
      if (li->backs_constraint) {
        // A unique constraint becoming a partial unique index (soft_delete):
        // drop the constraint and take its name in one transaction, so
        // uniqueness is enforced throughout.
        int g = group();
        add(Phase::Indexes, name, "drop the unique constraint " + i.name + " (the new partial index replaces it)",
            fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(i.name)), kAccessExclusive, g,
            i.origin);
        add(Phase::Indexes, name, "rename the new index to " + i.name,
            fmt::format("ALTER INDEX {} RENAME TO {}", QualifiedName{t.name.schema, temp}.sql(), quote_ident(i.name)),
            kAccessExclusive, g, i.origin);
        continue;
      }
      add(Phase::Indexes, name, "drop the old " + i.name,
          fmt::format("DROP INDEX CONCURRENTLY {}", QualifiedName{t.name.schema, i.name}.sql()), kShareUpdateExclusive,
          0, i.origin);
      add(Phase::Indexes, name, "rename the new index to " + i.name,
          fmt::format("ALTER INDEX {} RENAME TO {}", QualifiedName{t.name.schema, temp}.sql(), quote_ident(i.name)),
          kAccessExclusive, group(), i.origin);
    } else {
      build_index(Phase::Indexes, t, "create index " + i.name, i, i.origin);
    }
  }
}

// CREATE INDEX CONCURRENTLY, alone. If it fails it leaves an INVALID index
// behind (still maintained on every write): apply drops it, so a later run
// builds it again instead of finding a broken one.
void Planner::build_index(Phase phase, const Table& t, std::string summary, const Index& i, const Origin& origin) {
  auto& s = add(phase, t.name.display(), std::move(summary), ddl::create_index(t.name, i, true), kShareUpdateExclusive,
                0, origin, {"index-build"});
  s.on_failure = fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QualifiedName{t.name.schema, i.name}.sql());
}

// An index under a temporary name that an interrupted apply left between
// its concurrent build and the swap. Marked handled (never dropped as
// undeclared); kept when it is valid and has the shape wanted, otherwise
// dropped concurrently so that it can be built again.
bool Planner::reuse_leftover(Phase phase, const Table& t, const Table& live, const std::string& temp,
                             const std::string& shape, const Origin& origin) {
  const Index* leftover = live.index(temp);
  if (!leftover) return false;
  renamed_objects_.insert({t.name.display(), temp});
  if (leftover->valid && !shape.empty() && index_shape(leftover->definition) == shape) return true;
  add(phase, t.name.display(), "drop " + temp + ", left by an interrupted apply",
      fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QualifiedName{t.name.schema, temp}.sql()),
      kShareUpdateExclusive, 0, origin);
  return false;
}

void Planner::drop_undeclared_indexes(const Table& t, const Table& live) {
  const auto name = t.name.display();
  for (const auto& li : live.indexes) {
    if (li.backs_constraint || t.index(li.name) || renamed_objects_.count({name, li.name})) continue;
    // An index of a partitioned table cannot be dropped concurrently; its
    // partitions' copies go with it.
    const bool partitioned = !live.partition_by.empty();
    auto& s = add(Phase::Contract, name, "drop undeclared index " + li.name,
                  fmt::format("DROP INDEX {}IF EXISTS {}", partitioned ? "" : "CONCURRENTLY ",
                              QualifiedName{t.name.schema, li.name}.sql()),
                  partitioned ? "ACCESS EXCLUSIVE on the table and each partition (brief: nothing is scanned)"
                              : kShareUpdateExclusive,
                  partitioned ? group() : 0, t.origin);
    // A unique index is integrity; any other only speed.
    if (li.unique)
      undeclared(s, "unique index", li.name);
    else
      s.origin.flag = "undeclared";
  }
}

}  // namespace schemac::planner
