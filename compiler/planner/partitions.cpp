// Partitioned tables and their partitions. A partition's columns, inherited
// constraints, cloned triggers and attached indexes are its parent's: planned
// with the parent (PostgreSQL carries them to every partition), while what is
// the partition's own (a column default or NOT NULL of its own, its own
// constraints, indexes and policies) is planned like any table's.
//
// Online, the way PostgreSQL allows it:
// - a new partition of an existing parent is made beside it, LIKE the parent,
//   then attached (SHARE UPDATE EXCLUSIVE on the parent) instead of CREATE
//   TABLE ... PARTITION OF, which holds ACCESS EXCLUSIVE on the parent;
// - an index of a partitioned table is created ON ONLY the parent (nothing is
//   built), then CONCURRENTLY on each partition and attached; the parent's
//   becomes valid when the last partition's is attached. A run interrupted in
//   between resumes: what is attached stays, the rest is built.
// A change of partition key or bound is not planned: said in the plan.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

namespace {

// PostgreSQL's partition names its copy of a parent's index itself; the
// scratch database made the declared one, so the name is read from there.
const Index* index_for(const Table& partition, const std::string& parent_index) {
  auto it = std::find_if(partition.indexes.begin(), partition.indexes.end(),
                         [&](const Index& i) { return i.attached_to == parent_index; });
  return it == partition.indexes.end() ? nullptr : &*it;
}

std::string with_only(const std::string& create_index) {
  // "CREATE [UNIQUE] INDEX name ON [ONLY] table USING ...": ONLY after the first " ON ".
  auto at = create_index.find(" ON ");
  if (at == std::string::npos || create_index.compare(at, 9, " ON ONLY ") == 0) return create_index;
  return create_index.substr(0, at) + " ON ONLY " + create_index.substr(at + 4);
}

void drop_attached_indexes(Table& t) {
  std::erase_if(t.indexes, [](const Index& i) { return !i.attached_to.empty(); });
}

}  // namespace

bool Planner::parent_exists(const Table& partition) const {
  return renamed_.table(*partition.partition_of) && !created_.count(*partition.partition_of);
}

void Planner::partition_statements(const Table& t, const std::set<QualifiedName>& ready,
                                   std::vector<Statement>& statements) {
  const Table* parent = d_.catalog.table(*t.partition_of);
  auto ready_with_self = ready;
  ready_with_self.insert(t.name);
  std::vector<std::string> lines;
  std::vector<Statement> after;
  const Table* live_parent = parent_exists(t) ? renamed_.table(*t.partition_of) : nullptr;
  if (live_parent) {
    // Beside the parent, to attach: the parent's columns as they are now (its
    // steps in this plan reach the partition once attached) with the
    // partition's own defaults and NOT NULL, and the parent's checks, which
    // ATTACH requires.
    for (const auto& pc : live_parent->columns) {
      Column c = pc;
      if (const Column* own = t.column(pc.name)) {
        const Column* declared = parent ? parent->column(pc.name) : nullptr;
        if (declared && own->default_expr != declared->default_expr) c.default_expr = own->default_expr;
        if (!own->nullable) c.nullable = false;
      }
      lines.push_back(ddl::column_definition(c));
    }
    for (const auto& k : live_parent->constraints)
      if (k.kind == ConstraintKind::Check) lines.push_back(ddl::constraint_clause(k));
  } else if (parent) {
    // PARTITION OF a parent this plan makes: the partition's own defaults and NOT NULL as column options.
    for (const auto& c : t.columns) {
      const Column* pc = parent->column(c.name);
      if (!pc) continue;
      std::string options;
      if (c.default_expr && c.default_expr != pc->default_expr)
        options += " DEFAULT " + ddl::default_expression(*c.default_expr);
      if (!c.nullable && pc->nullable) options += " NOT NULL";
      if (!options.empty()) lines.push_back(quote_ident(c.name) + " WITH OPTIONS" + options);
      if (!c.default_expr && pc->default_expr)
        after.push_back({fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t.name.sql(), quote_ident(c.name)),
                         t.origin, "the partition's own default of " + c.name + ": none"});
    }
  }
  for (const auto& k : t.constraints)
    if (k.kind != ConstraintKind::ForeignKey || ready_with_self.count(k.ref_table))
      lines.push_back(ddl::constraint_clause(k));
  auto& create = statements.front();
  if (live_parent) {
    std::string body;
    for (const auto& l : lines) body += (body.empty() ? "" : ",\n  ") + l;
    create.sql = fmt::format("CREATE TABLE {} (\n  {}\n){}", t.name.sql(), body,
                             t.partition_by.empty() ? "" : " PARTITION BY " + t.partition_by);
    create.what = "create table, to attach as a partition of " + t.partition_of->display();
  } else {
    create.sql = ddl::create_partition(t, lines);
    create.what = "create partition of " + t.partition_of->display();
  }
  statements.insert(statements.begin() + 1, after.begin(), after.end());
}

// In the new partition's transaction, after its own indexes and triggers.
void Planner::attach_new_partition(const Table& t, int group_id) {
  if (!parent_exists(t)) return;
  auto lock = fmt::format("SHARE UPDATE EXCLUSIVE on {} (reads and writes continue)", t.partition_of->display());
  for (const auto& lt : renamed_.tables)
    if (lt.partition_of == t.partition_of && lt.partition_bound == "DEFAULT")
      lock +=
          fmt::format(", ACCESS EXCLUSIVE on its default partition {} while it is scanned for rows of the new bound",
                      lt.name.display());
  add(Phase::Infrastructure, t.name.display(), "attach as a partition of " + t.partition_of->display(),
      ddl::attach_partition(t), lock, group_id, t.origin);
}

// The partition as it will be once its parent's steps ran: the declared
// columns, each with the live partition's default and nullability unless the
// parent's step changes them (which PostgreSQL carries to every partition).
Table Planner::partition_as_planned(const Table& declared, const Table& live) const {
  Table out = live;
  drop_attached_indexes(out);
  // One the parent's index step attaches (built before an interrupted apply stopped) is the parent's too.
  std::erase_if(out.indexes, [&](const Index& i) {
    const Index* wanted = declared.index(i.name);
    return wanted && !wanted->attached_to.empty();
  });
  if (!declared.partition_of || !live.partition_of) return out;
  const Table* declared_parent = d_.catalog.table(*declared.partition_of);
  const Table* live_parent = renamed_.table(*live.partition_of);
  out.columns.clear();
  for (const auto& dc : declared.columns) {
    Column c = dc;
    const Column* lc = live.column(dc.name);
    const Column* dp = declared_parent ? declared_parent->column(dc.name) : nullptr;
    const Column* lp = live_parent ? live_parent->column(dc.name) : nullptr;
    const bool parent_default_changes = dp && (!lp || dp->default_expr != lp->default_expr);
    const bool parent_nullability_changes = dp && (!lp || dp->nullable != lp->nullable);
    if (parent_default_changes)
      c.default_expr = dp->default_expr;
    else if (lc)
      c.default_expr = lc->default_expr;
    if (parent_nullability_changes)
      c.nullable = dp->nullable;
    else if (lc)
      c.nullable = lc->nullable;
    c.comment = lc ? lc->comment : std::nullopt;
    out.columns.push_back(std::move(c));
  }
  return out;
}

Table Planner::without_attached_indexes(const Table& t) {
  Table out = t;
  drop_attached_indexes(out);
  return out;
}

bool Planner::partitioning_changes(const Table& t, const Table& live) {
  std::string change;
  if (t.partition_by != live.partition_by)
    change = live.partition_by.empty() ? "partitioned by " + t.partition_by
             : t.partition_by.empty()  ? "no longer partitioned"
                                       : "partitioned by " + t.partition_by + " instead of " + live.partition_by;
  else if (t.partition_of != live.partition_of)
    change = t.partition_of ? "a partition of " + t.partition_of->display() : "no longer a partition";
  else if (t.partition_bound != live.partition_bound)
    change = "partition bound " + t.partition_bound + " instead of " + live.partition_bound;
  if (change.empty()) return false;
  plan_.not_planned.push_back(
      fmt::format("table {} {} at {}: not planned (PostgreSQL cannot change it in place; "
                  "make a new table and move the rows, or detach and attach by hand)",
                  t.name.display(), change, t.origin.pos.str()));
  return true;
}

void Planner::partitioned_index(const Table& t, const Table& norm, const Table& live, const Index& i) {
  const auto name = t.name.display();
  const Index* li = live.index(i.name);
  const Index* ni = norm.index(i.name);
  const QualifiedName qualified{t.name.schema, i.name};
  if (li && li->valid && ni && index_shape(li->definition) == index_shape(ni->definition)) return;
  if (li && ni && index_shape(li->definition) != index_shape(ni->definition)) {
    add(Phase::Indexes, name,
        "drop the old " + i.name + " (an index of a partitioned table cannot be dropped concurrently)",
        fmt::format("DROP INDEX {}", qualified.sql()),
        "ACCESS EXCLUSIVE on the table and each partition (brief: nothing is scanned)", group(), i.origin,
        {"index-build"});
    li = nullptr;
  }
  if (!li)
    add(Phase::Indexes, name,
        "create index " + i.name + " on the partitioned table only (valid once every partition's is attached)",
        with_only(ddl::create_index(t.name, ni ? *ni : i, false)),
        fmt::format("SHARE on {} (brief: blocks writes; nothing is built)", name), group(), i.origin);
  for (const auto& p : d_.catalog.tables) {
    if (p.partition_of != t.name) continue;
    // A partition this plan makes after an existing parent index gets its copy when attached.
    if (li && created_.count(p.name)) continue;
    const Index* wanted = index_for(p, i.name);
    if (!wanted) continue;
    const Table* lp = created_.count(p.name) ? nullptr : renamed_.table(p.name);
    if (lp && index_for(*lp, i.name)) continue;  // attached before an interruption
    const Index* same = lp ? lp->index(wanted->name) : nullptr;
    const QualifiedName partition_index{p.name.schema, wanted->name};
    if (same && !(same->valid && index_shape(same->definition) == index_shape(wanted->definition))) {
      add(Phase::Indexes, p.name.display(), "drop " + wanted->name + ", left invalid by an interrupted apply",
          fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", partition_index.sql()), kShareUpdateExclusive, 0,
          i.origin);
      same = nullptr;
    }
    if (!same) {
      if (!p.partition_by.empty()) {
        // A partition partitioned in turn cannot build concurrently either.
        add(Phase::Indexes, p.name.display(), "create index " + wanted->name + " on the sub-partitioned partition",
            ddl::create_index(p.name, *wanted, false),
            "SHARE on the partition and each of its partitions while the index is built (blocks their writes)", group(),
            i.origin, {"index-build"});
      } else {
        auto& s = add(Phase::Indexes, p.name.display(), "create index " + wanted->name + " for " + i.name,
                      ddl::create_index(p.name, *wanted, true), kShareUpdateExclusive, 0, i.origin, {"index-build"});
        s.on_failure = fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", partition_index.sql());
      }
    }
    add(Phase::Indexes, p.name.display(), "attach index " + wanted->name + " to " + i.name,
        fmt::format("ALTER INDEX {} ATTACH PARTITION {}", qualified.sql(), partition_index.sql()),
        "brief (nothing is scanned)", group(), i.origin);
  }
}

// Keys and foreign keys of a live partitioned table: PostgreSQL has no
// online way (no USING INDEX, no NOT VALID foreign key on a partitioned
// table), so they are added the plain way, under lock on every partition,
// and block apply (table-lock) until allowed. Checks go the usual way: NOT
// VALID, then VALIDATE, both of which PostgreSQL carries to each partition.
bool Planner::partitioned_constraint(const Table& t, const Table& norm, const Table& live, const Constraint& c) {
  if (c.kind == ConstraintKind::Check) return false;
  const Constraint* lc = live.constraint(c.name);
  const Constraint* nc = norm.constraint(c.name);
  if (lc && nc && lc->definition == nc->definition && lc->validated) return true;
  const auto name = t.name.display();
  int g = group();
  if (lc)
    add(Phase::Constraints, name, "drop the old " + c.name + " to replace it",
        fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g,
        c.origin);
  const std::string lock =
      c.kind == ConstraintKind::ForeignKey
          ? fmt::format(
                "SHARE ROW EXCLUSIVE on every partition of {} and on {} while each row is checked (blocks "
                "their writes)",
                name, c.ref_table.display())
          : fmt::format(
                "ACCESS EXCLUSIVE on {} and its partitions while the index is built on each (blocks reads and writes)",
                name);
  add(Phase::Constraints, name,
      fmt::format("add {} {} to the partitioned table (no online way: built under lock)", to_string(c.kind), c.name),
      fmt::format("ALTER TABLE {} ADD {}", t.name.sql(), ddl::constraint_clause(nc ? *nc : c)), lock, g, c.origin,
      {"table-lock"})
      .rank = c.kind == ConstraintKind::ForeignKey;
  return true;
}

}  // namespace schemac::planner
