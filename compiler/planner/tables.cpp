// Tables as a whole: renames of tables and columns (renamed_from, keeping the
// data), new tables in foreign-key order with the locks their keys take on
// existing parents, and tables no file declares (listed, or dropped with
// undeclared_tables = "drop"). Columns of existing tables: columns.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/declared/sql_declared.hpp"
#include "compiler/planner/planner.hpp"
#include "schema/sql_syntax.hpp"

namespace schemac::planner {

// renamed_from on tables and columns: rename in place, keeping the data.
void Planner::renames() {
  if (!renamed_copy_) return;  // nothing to rename, already in order
  auto& renamed = *renamed_copy_;
  for (const auto& t : d_.catalog.tables) {
    if (t.renamed_from.empty() || renamed.table(t.name)) continue;
    Table* old = renamed.table({t.name.schema, t.renamed_from});
    if (!old) continue;
    add(Phase::Infrastructure, t.name.display(), "rename table " + t.renamed_from + " to " + t.name.name,
        fmt::format("ALTER TABLE {} RENAME TO {}", old->name.sql(), quote_ident(t.name.name)), kAccessExclusive,
        group(), t.origin);
    old->name = t.name;
  }
  for (const auto& t : d_.catalog.tables) {
    Table* live = renamed.table(t.name);
    if (!live) continue;
    for (const auto& c : t.columns) {
      if (c.renamed_from.empty() || live->column(c.name)) continue;
      Column* old = live->column(c.renamed_from);
      if (!old) continue;
      add(Phase::Infrastructure, t.name.display(), "rename column " + c.renamed_from + " to " + c.name,
          fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", t.name.sql(), quote_ident(c.renamed_from),
                      quote_ident(c.name)),
          kAccessExclusive, group(), c.origin);
      old->name = c.name;
      rename_column_in_definitions(t.name, c.renamed_from, c.name);
    }
  }
  std::sort(renamed.tables.begin(), renamed.tables.end(),
            [](const Table& a, const Table& b) { return a.name < b.name; });
  renamed.index_tables();
}

// After RENAME COLUMN, PostgreSQL prints the new name in every definition
// that used the old one: so must the live side we compare with, or every
// index and constraint on the column would look changed and be rebuilt.
void Planner::rename_column_in_definitions(const QualifiedName& table, const std::string& from, const std::string& to) {
  auto swap = [&](std::vector<std::string>& names) { std::replace(names.begin(), names.end(), from, to); };
  for (auto& lt : renamed_copy_->tables) {
    const bool own = lt.name == table;
    for (auto& c : lt.constraints) {
      if (c.kind != ConstraintKind::ForeignKey) {
        if (!own) continue;
        c.definition = rename_column(c.definition, from, to);
        swap(c.columns);
        continue;
      }
      // "FOREIGN KEY (a) REFERENCES s.t(b) ...": this table's columns before
      // REFERENCES, the referenced table's after.
      const auto at = c.definition.find(" REFERENCES ");
      if (at == std::string::npos) continue;
      auto local = c.definition.substr(0, at), remote = c.definition.substr(at);
      if (own) local = rename_column(local, from, to), swap(c.columns);
      if (c.ref_table == table) remote = rename_column(remote, from, to), swap(c.ref_columns);
      c.definition = local + remote;
    }
    if (own)
      for (auto& i : lt.indexes) i.definition = rename_column(i.definition, from, to);
  }
}

// Tables outside project.schemas that foreign keys reference (auth.users):
// they exist (read_live_dependencies checked), and schemac never creates them.
std::set<QualifiedName> Planner::external_tables(const Desired& d) {
  std::set<QualifiedName> out;
  for (const auto& t : d.catalog.tables)
    for (const auto& c : t.constraints)
      if (c.kind == ConstraintKind::ForeignKey && !d.catalog.table(c.ref_table) &&
          d.settings.outside_managed_schemas(c.ref_table))
        out.insert(c.ref_table);
  return out;
}

namespace {

// Whether the index is unique, whole (no WHERE) and on exactly these plain
// columns in any order: a key a foreign key may reference. Read from its
// printed definition, "CREATE UNIQUE INDEX i ON s.t USING btree (a, b)".
bool unique_index_on(const Index& i, const std::set<std::string>& wanted) {
  if (!i.unique || !i.valid || !i.where.empty()) return false;
  const auto& def = i.definition;
  const auto using_at = def.find(" USING ");
  const auto open = using_at == std::string::npos ? using_at : def.find('(', using_at);
  if (open == std::string::npos) return false;
  std::set<std::string> columns;
  std::size_t start = open + 1;
  bool quoted = false;
  for (std::size_t at = start; at < def.size(); ++at) {
    const char ch = def[at];
    if (ch == '"') quoted = !quoted;
    if (quoted) continue;
    if (ch == '(') return false;  // an expression
    if (ch != ',' && ch != ')') continue;
    auto column = plain_index_column(std::string_view(def).substr(start, at - start));
    if (!column) return false;  // an expression
    columns.insert(*column);
    if (ch == ')') break;
    start = at + 1;
  }
  return columns == wanted;
}

bool key_constraint_on(const Table& t, const std::set<std::string>& wanted) {
  return std::any_of(t.constraints.begin(), t.constraints.end(), [&](const Constraint& k) {
    return (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique) &&
           std::set<std::string>(k.columns.begin(), k.columns.end()) == wanted;
  });
}

}  // namespace

// Whether the live table has a primary key, a unique constraint or a whole
// unique index on exactly these columns (what PostgreSQL accepts as a
// foreign key's referenced key).
bool Planner::live_key_exists(const Table& live, const std::vector<std::string>& columns) {
  if (columns.empty()) return live.primary_key() != nullptr;
  const std::set<std::string> wanted(columns.begin(), columns.end());
  return key_constraint_on(live, wanted) || std::any_of(live.indexes.begin(), live.indexes.end(),
                                                        [&](const Index& i) { return unique_index_on(i, wanted); });
}

// The phase after which the key a foreign key references exists: phase 3 for
// a key that exists or a primary key or unique constraint (constraints.cpp,
// rank 0), phase 4 for a unique index this plan builds on an existing table
// (indexes.cpp). A foreign key is added at rank 1 of that phase.
Phase Planner::referenced_key_phase(const Constraint& fk) const {
  const Table* live = renamed_.table(fk.ref_table);
  const Table* norm = norm_.table(fk.ref_table);
  if (!live || !norm || created_.count(fk.ref_table) || fk.ref_columns.empty() ||
      live_key_exists(*live, fk.ref_columns))
    return Phase::Constraints;
  const std::set<std::string> wanted(fk.ref_columns.begin(), fk.ref_columns.end());
  if (key_constraint_on(*norm, wanted)) return Phase::Constraints;
  return std::any_of(norm->indexes.begin(), norm->indexes.end(),
                     [&](const Index& i) { return unique_index_on(i, wanted); })
             ? Phase::Indexes
             : Phase::Constraints;
}

std::string Planner::fk_parents_lock(const Table& t, const std::set<QualifiedName>& ready) {
  std::set<std::string> parents;
  for (const auto& c : t.constraints)
    if (c.kind == ConstraintKind::ForeignKey && c.ref_table != t.name && ready.count(c.ref_table) &&
        (renamed_.table(c.ref_table) || external_.count(c.ref_table)))
      parents.insert(c.ref_table.display());
  if (parents.empty()) return "none";
  std::string list;
  for (const auto& p : parents) list += (list.empty() ? "" : ", ") + p;
  return fmt::format("SHARE ROW EXCLUSIVE on {} (brief: blocks their writes while the foreign keys are added)", list);
}

void Planner::new_tables(std::vector<objects::ObjectAmongTables>& among) {
  // New tables, and the new objects a table needs that read a table in turn
  // (a domain over a table's row type): one walk in dependency order.
  struct Pending {
    std::string key;
    const Table* table = nullptr;
    objects::ObjectAmongTables* object = nullptr;
  };
  std::vector<Pending> pending;
  for (auto& o : among) pending.push_back({o.key, nullptr, &o});
  for (const auto& t : d_.catalog.tables)
    if (!renamed_.table(t.name)) pending.push_back({table_key(t.name), &t, nullptr});
  std::set<std::string> waiting;
  for (const auto& p : pending) waiting.insert(p.key);
  std::set<QualifiedName> ready = external_;
  for (const auto& t : renamed_.tables) ready.insert(t.name);
  auto can_go = [&](const Pending& p) {
    if (p.object)
      return std::none_of(p.object->depends_on.begin(), p.object->depends_on.end(),
                          [&](const std::string& k) { return k != p.key && waiting.count(k); });
    // A table after the objects among these that it uses (pg_depend in the
    // scratch database), and after the tables its foreign keys reference.
    if (auto it = norm_.table_dependencies.find(p.key); it != norm_.table_dependencies.end())
      for (const auto& dep : it->second)
        if (dep.rfind("table ", 0) != 0 && waiting.count(dep)) return false;
    return references_exist(*p.table, [&](const QualifiedName& n) { return ready.count(n) > 0; });
  };
  // Ties by name, objects first (as soon as they can be made); what is left in
  // a cycle of foreign keys goes by name too, and gets its keys afterwards.
  std::vector<Pending> order;
  while (!pending.empty()) {
    auto it = std::find_if(pending.begin(), pending.end(), can_go);
    if (it == pending.end())
      it = std::find_if(pending.begin(), pending.end(), [](const Pending& p) { return p.table; });
    if (it == pending.end()) it = pending.begin();
    order.push_back(*it);
    waiting.erase(it->key);
    if (it->table) ready.insert(it->table->name);
    pending.erase(it);
  }
  std::set<QualifiedName> created_so_far = external_;
  for (const auto& t : renamed_.tables) created_so_far.insert(t.name);
  std::vector<std::pair<const Table*, const Constraint*>> deferred;
  std::vector<std::pair<const Table*, std::vector<Statement>>> security;
  for (const auto& p : order) {
    if (p.object) {
      append(p.object->steps);
      continue;
    }
    const Table* t = p.table;
    int g = group();
    created_so_far.insert(t->name);
    // A key to an existing table whose referenced unique key this plan
    // adds (a tenant-consistent key): added after that key, in phase 3.
    Table without_late_keys = *t;
    std::erase_if(without_late_keys.constraints, [&](const Constraint& c) {
      if (c.kind != ConstraintKind::ForeignKey || created_.count(c.ref_table) || c.ref_table == t->name) return false;
      const Table* parent = renamed_.table(c.ref_table);
      if (!parent || live_key_exists(*parent, c.ref_columns)) return false;
      // The declared table's own constraint: this copy goes away.
      late_keys_.emplace_back(t, t->constraint(c.name));
      return true;
    });
    // What the default privileges give a new table beyond its declaration (the
    // scratch database's tables got the declared ones only; live may hold more):
    // revoked with the rest in its transaction, for the roles whose grants the
    // declarations fix. A table declared in SQL fixes every role's (see grants_exactly).
    const bool declared_in_sql = t->origin.pos.file.ends_with(".sql");
    for (const auto& [role, privileges] : inherited_grants(t->name.schema, "TABLES")) {
      if (role == "public" || (!t->exact_grant_roles.count(role) && !(declared_in_sql && grants_exactly(d_, role))))
        continue;
      without_late_keys.grants[role];  // none, unless declared: REVOKE ALL, then the declared GRANT
      without_late_keys.exact_grant_roles.insert(role);
    }
    without_late_keys.replica_identity = wanted_replica_identity(*t);  // an ALTER TABLE in a .sql file may say
    auto lock = fk_parents_lock(without_late_keys, created_so_far);
    bool first = true;
    auto statements = create_table_statements(without_late_keys, created_so_far, false);
    if (t->partition_of) partition_statements(*t, created_so_far, statements);  // partitions.cpp
    security.emplace_back(t, std::vector<Statement>{});
    for (auto& st : statements) {
      if (st.after_all_tables) {
        security.back().second.push_back(st);
        continue;
      }
      auto hazards = st.changes_authz ? std::vector<std::string>{"authz-change"} : std::vector<std::string>{};
      add(Phase::Infrastructure, t->name.display(), st.what, st.sql, first ? lock : "none", g, st.origin, hazards);
      first = false;
    }
    if (t->partition_of) attach_new_partition(*t, g);  // partitions.cpp
    for (const auto& c : t->constraints)
      if (c.kind == ConstraintKind::ForeignKey && !created_so_far.count(c.ref_table)) deferred.emplace_back(t, &c);
    created_.insert(t->name);
  }
  for (auto [t, c] : deferred)
    add(Phase::Infrastructure, t->name.display(), "add foreign key " + c->name,
        ddl::add_constraint(t->name, *c, !c->validated),
        fmt::format("SHARE ROW EXCLUSIVE on {} and {} (both new and empty)", t->name.display(), c->ref_table.display()),
        group(), c->origin);
  for (auto [t, c] : late_keys_)
    add(referenced_key_phase(*c), t->name.display(), "add foreign key " + c->name + " (the new table is empty)",
        ddl::add_constraint(t->name, *c, !c->validated),
        fmt::format("SHARE ROW EXCLUSIVE on {} (new, empty) and {} (brief: blocks its writes)", t->name.display(),
                    c->ref_table.display()),
        group(), c->origin)
        .rank = 1;
  // Policies last: one may read a table created after its own (a membership
  // lookup). The tables are new and empty, so nobody waits in between.
  for (const auto& [t, statements] : security) {
    int g = statements.empty() ? 0 : group();
    for (const auto& st : statements)
      add(Phase::Infrastructure, t->name.display(), st.what, st.sql, "none", g, st.origin,
          st.changes_authz ? std::vector<std::string>{"authz-change"} : std::vector<std::string>{});
  }
}

void Planner::drop_undeclared_tables() {
  for (const auto& t : renamed_.tables) {
    if (d_.catalog.table(t.name) ||
        std::find(d_.settings.schemas.begin(), d_.settings.schemas.end(), t.name.schema) == d_.settings.schemas.end())
      continue;
    if (d_.settings.undeclared_tables != "drop") {
      plan_.unmanaged_tables.push_back(t.name.display());
      continue;
    }
    // A partition goes with its parent when that is dropped too.
    if (t.partition_of && !d_.catalog.table(*t.partition_of) && renamed_.table(*t.partition_of)) continue;
    add(Phase::Contract, t.name.display(), "drop undeclared table " + t.name.display(),
        fmt::format("DROP TABLE {}", t.name.sql()),
        "ACCESS EXCLUSIVE on the table and on the tables its foreign keys reference (brief)", group(),
        {{}, "undeclared_tables"}, {"deletes-data"});
  }
}

}  // namespace schemac::planner
