// Diff (normalized declarations vs live catalog) -> ordered steps in six phases.
#include "compiler/planner/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "compiler/ddl.hpp"
#include "compiler/planner/type_change.hpp"
#include "runtime/runtime.hpp"
#include "schema/sql_syntax.hpp"

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
  return code == "deletes-data" || code == "table-rewrite" || code == "backfill-required" || code == kDropsUndeclared;
}

std::set<std::string> Plan::hazards() const {
  std::set<std::string> out;
  for (const auto& s : steps) out.insert(s.hazards.begin(), s.hazards.end());
  return out;
}

namespace {

const char* kAccessExclusive = "ACCESS EXCLUSIVE (brief: blocks reads and writes while it waits and runs)";
const char* kShareUpdateExclusive = "SHARE UPDATE EXCLUSIVE (reads and writes continue)";
const char* kShareRowExclusive = "SHARE ROW EXCLUSIVE (brief: blocks writes, not reads)";

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool same_policy(const Policy& desired_roles_from, const Policy& norm, const Policy& live) {
  return norm.command == live.command && norm.permissive == live.permissive && norm.using_expr == live.using_expr &&
         norm.check_expr == live.check_expr && sorted(desired_roles_from.roles) == sorted(live.roles);
}

class Planner {
 public:
  Planner(const Desired& d, const Catalog& norm, const Catalog& live)
      : d_(d), norm_(norm), live_(live), renamed_(live), external_(external_tables(d)) {
    plan_.search_path = d.search_path;
    plan_.lock_timeout = d.settings.lock_timeout;
    plan_.retries = d.settings.retries;
    plan_.unmanaged_objects = live.unmanaged;
  }

  Plan run() {
    infrastructure();
    renames();
    new_tables();
    for (const auto& t : d_.catalog.tables) {
      const Table* live = renamed_.table(t.name);
      if (!live || created_.count(t.name)) continue;
      const Table& norm = *norm_.table(t.name);
      existing_table_phase1(t, norm, *live);
      triggers(t, norm, *live);
      constraints(t, norm, *live);
      indexes(t, norm, *live);
      rls(t, norm, *live);
      contract(t, norm, *live);
    }
    for (const auto& t : renamed_.tables) {
      if (d_.catalog.table(t.name) ||
          std::find(d_.settings.schemas.begin(), d_.settings.schemas.end(), t.name.schema) == d_.settings.schemas.end())
        continue;
      if (d_.settings.undeclared_tables != "drop") {
        plan_.unmanaged_tables.push_back(t.name.display());
        continue;
      }
      add(Phase::Contract, t.name.display(), "drop undeclared table " + t.name.display(),
          fmt::format("DROP TABLE {}", t.name.sql()),
          "ACCESS EXCLUSIVE on the table and on the tables its foreign keys reference (brief)", group(),
          {{}, "undeclared_tables"}, {"deletes-data"});
    }
    // Phases run in order; within a phase, the order steps were added (dependencies, then names).
    std::stable_sort(plan_.steps.begin(), plan_.steps.end(), [](const Step& a, const Step& b) {
      return std::tie(a.phase, a.rank) < std::tie(b.phase, b.rank);
    });
    return std::move(plan_);
  }

 private:
  const Desired& d_;
  const Catalog& norm_;
  const Catalog& live_;
  Plan plan_;
  int groups_ = 0;
  std::set<QualifiedName> created_;
  // The live catalog as it will be after renames: what the rest of the plan diffs against.
  Catalog renamed_;
  const std::set<QualifiedName> external_;
  // Live objects a step already took care of: (table, name).
  std::set<std::pair<std::string, std::string>> renamed_objects_;
  std::set<std::pair<std::string, std::string>> policies_done_;
  // Foreign keys of new tables that wait for a unique key this plan adds.
  std::vector<std::pair<const Table*, const Constraint*>> late_keys_;

  // Whether the live table has a primary key or unique constraint on exactly these columns.
  static bool live_key_exists(const Table& live, const std::vector<std::string>& columns) {
    if (columns.empty()) return live.primary_key() != nullptr;
    const std::set<std::string> wanted(columns.begin(), columns.end());
    return std::any_of(live.constraints.begin(), live.constraints.end(), [&](const Constraint& k) {
      return (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique) &&
             std::set<std::string>(k.columns.begin(), k.columns.end()) == wanted;
    });
  }

  int group() { return ++groups_; }

  bool calls_runtime(const Trigger& live) const {
    for (const char* fn : runtime::kTriggerFunctions) {
      const QualifiedName q{d_.settings.runtime_schema, fn};
      // pg_get_triggerdef quotes a schema only where it must.
      for (const auto& call : {"FUNCTION " + q.sql() + "(", "FUNCTION " + q.display() + "("})
        if (live.definition.find(call) != std::string::npos) return true;
    }
    return false;
  }

  // A drop of behaviour or integrity that no file declares: marked, and blocking.
  static Step& undeclared(Step& s, std::string kind, std::string name) {
    s.drops_kind = std::move(kind);
    s.drops_name = std::move(name);
    s.origin.flag = "undeclared";
    s.hazards.push_back(kDropsUndeclared);
    return s;
  }

  Step& add(Phase phase, const std::string& table, std::string summary, std::string sql, std::string lock, int group_id,
            const Origin& origin, std::vector<std::string> hazards = {}) {
    Step s;
    s.phase = phase;
    s.table = table;
    s.summary = std::move(summary);
    s.sql = std::move(sql);
    s.lock = std::move(lock);
    s.group = group_id;
    s.transactional = group_id != 0;
    s.locks_existing = s.lock != "none";
    s.hazards = std::move(hazards);
    s.origin = origin;
    plan_.steps.push_back(std::move(s));
    return plan_.steps.back();
  }

  // CREATE INDEX CONCURRENTLY, alone. If it fails it leaves an INVALID index
  // behind (still maintained on every write): apply drops it, so a later run
  // builds it again instead of finding a broken one.
  void build_index(Phase phase, const Table& t, std::string summary, const Index& i, const Origin& origin) {
    auto& s = add(phase, t.name.display(), std::move(summary), ddl::create_index(t.name, i, true),
                  kShareUpdateExclusive, 0, origin, {"index-build"});
    s.on_failure = fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QualifiedName{t.name.schema, i.name}.sql());
  }

  // An index under a temporary name that an interrupted apply left between
  // its concurrent build and the swap. Marked handled (never dropped as
  // undeclared); kept when it is valid and has the shape wanted, otherwise
  // dropped concurrently so that it can be built again.
  bool reuse_leftover(Phase phase, const Table& t, const Table& live, const std::string& temp, const std::string& shape,
                      const Origin& origin) {
    const Index* leftover = live.index(temp);
    if (!leftover) return false;
    renamed_objects_.insert({t.name.display(), temp});
    if (leftover->valid && !shape.empty() && index_shape(leftover->definition) == shape) return true;
    add(phase, t.name.display(), "drop " + temp + ", left by an interrupted apply",
        fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QualifiedName{t.name.schema, temp}.sql()),
        kShareUpdateExclusive, 0, origin);
    return false;
  }

  // --- phase 1: infrastructure ----------------------------------------------------------

  void infrastructure() {
    for (const auto& ext : d_.catalog.extensions)
      if (!live_.extensions.count(ext))
        add(Phase::Infrastructure, "", "create extension " + ext,
            fmt::format("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(ext)), "none", group(), {});
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
  void revoke_execute(const Function& f, const Function* live, int g) {
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

  // After RENAME COLUMN, PostgreSQL prints the new name in every definition
  // that used the old one: so must the live side we compare with, or every
  // index and constraint on the column would look changed and be rebuilt.
  void rename_column_in_definitions(const QualifiedName& table, const std::string& from, const std::string& to) {
    auto swap = [&](std::vector<std::string>& names) { std::replace(names.begin(), names.end(), from, to); };
    for (auto& lt : renamed_.tables) {
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

  // renamed_from on tables and columns: rename in place, keeping the data.
  void renames() {
    for (const auto& t : d_.catalog.tables) {
      if (t.renamed_from.empty() || renamed_.table(t.name)) continue;
      Table* old = renamed_.table({t.name.schema, t.renamed_from});
      if (!old) continue;
      add(Phase::Infrastructure, t.name.display(), "rename table " + t.renamed_from + " to " + t.name.name,
          fmt::format("ALTER TABLE {} RENAME TO {}", old->name.sql(), quote_ident(t.name.name)), kAccessExclusive,
          group(), t.origin);
      old->name = t.name;
    }
    for (const auto& t : d_.catalog.tables) {
      Table* live = renamed_.table(t.name);
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
    std::sort(renamed_.tables.begin(), renamed_.tables.end(),
              [](const Table& a, const Table& b) { return a.name < b.name; });
  }

  // Tables outside project.schemas that foreign keys reference (auth.users):
  // they exist (read_live_dependencies checked), and schemac never creates them.
  static std::set<QualifiedName> external_tables(const Desired& d) {
    std::set<QualifiedName> out;
    for (const auto& t : d.catalog.tables)
      for (const auto& c : t.constraints)
        if (c.kind == ConstraintKind::ForeignKey && !d.catalog.table(c.ref_table) &&
            d.settings.outside_managed_schemas(c.ref_table))
          out.insert(c.ref_table);
    return out;
  }

  std::string fk_parents_lock(const Table& t, const std::set<QualifiedName>& ready) {
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

  void new_tables() {
    std::vector<const Table*> pending;
    for (const auto& t : d_.catalog.tables)
      if (!renamed_.table(t.name)) pending.push_back(&t);
    std::set<QualifiedName> ready = external_;
    for (const auto& t : renamed_.tables) ready.insert(t.name);
    // Tables in dependency order (a table after the tables its foreign keys
    // reference), ties by name; what is left in a cycle gets its keys afterwards.
    std::vector<const Table*> order;
    while (!pending.empty()) {
      auto it = std::find_if(pending.begin(), pending.end(), [&](const Table* t) {
        return std::all_of(t->constraints.begin(), t->constraints.end(), [&](const Constraint& c) {
          return c.kind != ConstraintKind::ForeignKey || c.ref_table == t->name || ready.count(c.ref_table);
        });
      });
      if (it == pending.end()) it = pending.begin();
      order.push_back(*it);
      ready.insert((*it)->name);
      pending.erase(it);
    }
    std::set<QualifiedName> created_so_far = external_;
    for (const auto& t : renamed_.tables) created_so_far.insert(t.name);
    std::vector<std::pair<const Table*, const Constraint*>> deferred;
    std::vector<std::pair<const Table*, std::vector<Statement>>> security;
    for (const Table* t : order) {
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
      auto lock = fk_parents_lock(without_late_keys, created_so_far);
      bool first = true;
      auto statements = create_table_statements(without_late_keys, created_so_far, false);
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
      for (const auto& c : t->constraints)
        if (c.kind == ConstraintKind::ForeignKey && !created_so_far.count(c.ref_table)) deferred.emplace_back(t, &c);
      created_.insert(t->name);
    }
    for (auto [t, c] : deferred)
      add(Phase::Infrastructure, t->name.display(), "add foreign key " + c->name,
          ddl::add_constraint(t->name, *c, false),
          fmt::format("SHARE ROW EXCLUSIVE on {} and {} (both new and empty)", t->name.display(),
                      c->ref_table.display()),
          group(), c->origin);
    for (auto [t, c] : late_keys_)
      add(Phase::Constraints, t->name.display(), "add foreign key " + c->name + " (the new table is empty)",
          ddl::add_constraint(t->name, *c, false),
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

  // --- existing tables ----------------------------------------------------------------

  void existing_table_phase1(const Table& t, const Table& norm, const Table& live) {
    const auto name = t.name.display();
    int g = 0;
    auto tx = [&] { return g ? g : (g = group()); };
    for (const auto& c : t.columns) {
      const Column* lc = live.column(c.name);
      const Column* nc = norm.column(c.name);
      if (!lc && nc && nc->volatile_default) {
        add_column_with_volatile_default(t, c, tx());
        continue;
      }
      if (!lc) {
        std::vector<std::string> hazards;
        if (!c.nullable && !c.default_expr && live.row_estimate != 0) hazards.push_back("backfill-required");
        add(Phase::Infrastructure, name, "add column " + c.name,
            fmt::format("ALTER TABLE {} ADD COLUMN {}", t.name.sql(), ddl::column_definition(c)), kAccessExclusive,
            tx(), c.origin, hazards);
        if (c.comment)
          add(Phase::Infrastructure, name, "comment on column " + c.name, ddl::comment_on_column(t.name, c),
              kShareUpdateExclusive, tx(), c.origin);
        continue;
      }
      if (nc->type != lc->type) change_type(t, live, c, *lc, *nc, tx());
      if (nc->default_expr != lc->default_expr)
        add(Phase::Infrastructure, name, nc->default_expr ? "set default of " + c.name : "drop default of " + c.name,
            nc->default_expr
                ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(), quote_ident(c.name),
                              ddl::default_expression(*c.default_expr))
                : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t.name.sql(), quote_ident(c.name)),
            kAccessExclusive, tx(), c.origin);
      if (nc->nullable && !lc->nullable)
        add(Phase::Infrastructure, name, "allow NULL in " + c.name,
            fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t.name.sql(), quote_ident(c.name)),
            kAccessExclusive, tx(), c.origin);
      if (nc->comment != lc->comment)
        add(Phase::Infrastructure, name, "comment on column " + c.name, ddl::comment_on_column(t.name, c),
            kShareUpdateExclusive, tx(), c.origin);
    }
    if (norm.comment != live.comment)
      add(Phase::Infrastructure, name, "comment on table", ddl::comment_on_table(t), kShareUpdateExclusive, tx(),
          t.origin);
  }

  // ADD COLUMN with a volatile default rewrites the table under ACCESS
  // EXCLUSIVE. Instead: add it without the default, set the default for new
  // rows, fill existing rows in small committed batches (row locks only), and
  // for NOT NULL take the online route of phase 3 after the backfill.
  // Existing rows get the column's (volatile) default in committed batches.
  void backfill(const Table& t, const Column& c) {
    const auto name = t.name.display();
    add(Phase::Constraints, name, "fill " + c.name + " in existing rows, 5,000 rows per transaction",
        // schemac.backfill: the touch_updated_at and audit triggers leave these
        // updates alone (runtime/); it lasts one transaction, so it is set in each.
        "DO " +
            quote_dollar(fmt::format("\nDECLARE\n  filled bigint;\nBEGIN\n  LOOP\n"
                                     "    PERFORM set_config('schemac.backfill', 'on', true);\n"
                                     "    UPDATE {0} SET {1} = DEFAULT WHERE ctid = ANY (ARRAY(SELECT ctid FROM {0} "
                                     "WHERE {1} IS NULL LIMIT 5000));\n"
                                     "    GET DIAGNOSTICS filled = ROW_COUNT;\n    EXIT WHEN filled = 0;\n    "
                                     "COMMIT;\n  END LOOP;\nEND\n",
                                     t.name.sql(), quote_ident(c.name)),
                         "backfill"),
        "ROW EXCLUSIVE (row locks on 5,000 rows at a time; reads and writes continue)", 0, c.origin);
  }

  void add_column_with_volatile_default(const Table& t, const Column& c, int g) {
    const auto name = t.name.display();
    Column bare = c;
    bare.nullable = true;
    bare.default_expr.reset();
    add(Phase::Infrastructure, name, "add column " + c.name + " without its volatile default (no rewrite)",
        fmt::format("ALTER TABLE {} ADD COLUMN {}", t.name.sql(), ddl::column_definition(bare)), kAccessExclusive, g,
        c.origin);
    add(Phase::Infrastructure, name, "set the default of " + c.name + " for new rows",
        fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(), quote_ident(c.name),
                    ddl::default_expression(*c.default_expr)),
        kAccessExclusive, g, c.origin);
    backfill(t, c);
    if (!c.nullable) set_not_null_online(t, c);
  }

  // PostgreSQL refuses to change the type of a column a policy uses (and
  // CASCADE would drop the policy): drop those policies, change the type and
  // recreate them, in one transaction, so the table is never without them.
  void change_type(const Table& t, const Table& live, const Column& c, const Column& lc, const Column& nc, int g) {
    const auto name = t.name.display();
    std::vector<const Policy*> dependent;
    for (const auto& p : live.policies)
      if (std::find(p.columns_used.begin(), p.columns_used.end(), c.name) != p.columns_used.end())
        dependent.push_back(&p);
    for (const auto* p : dependent)
      add(Phase::Infrastructure, name, fmt::format("drop policy {} while {} changes type", p->name, c.name),
          fmt::format("DROP POLICY {} ON {}", quote_ident(p->name), t.name.sql()), kAccessExclusive, g, c.origin,
          {"authz-change"});
    const bool rewrites = type_change_rewrites(lc.type, nc.type);
    std::string sql = fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", t.name.sql(), quote_ident(c.name), c.type);
    if (rewrites) sql += fmt::format(" USING {}::{}", quote_ident(c.name), c.type);
    add(Phase::Infrastructure, name, fmt::format("change type of {} from {} to {}", c.name, lc.type, nc.type), sql,
        rewrites ? "ACCESS EXCLUSIVE for as long as the table is rewritten" : kAccessExclusive, g, c.origin,
        rewrites ? std::vector<std::string>{"table-rewrite"} : std::vector<std::string>{});
    for (const auto* p : dependent) {
      policies_done_.insert({name, p->name});
      if (const Policy* declared = t.policy(p->name))
        add(Phase::Infrastructure, name, "recreate policy " + p->name, ddl::create_policy(t.name, *declared),
            kAccessExclusive, g, declared->origin, {"authz-change"});
    }
  }

  void triggers(const Table& t, const Table& norm, const Table& live) {
    int g = 0;
    for (const auto& tr : t.triggers) {
      const Trigger* lt = live.trigger(tr.name);
      const Trigger* nt = norm.trigger(tr.name);
      if (lt && nt && lt->definition == nt->definition) continue;
      if (!g) g = group();
      if (lt && d_.settings.postgres < 14)
        add(Phase::Triggers, t.name.display(), "drop trigger " + tr.name + " to replace it",
            fmt::format("DROP TRIGGER {} ON {}", quote_ident(tr.name), t.name.sql()), kAccessExclusive, g, tr.origin);
      add(Phase::Triggers, t.name.display(), fmt::format("{} trigger {}", lt ? "replace" : "create", tr.name),
          ddl::create_trigger(t.name, tr, lt && d_.settings.postgres >= 14), kShareRowExclusive, g, tr.origin);
    }
  }

  void constraints(const Table& t, const Table& norm, const Table& live) {
    const auto name = t.name.display();
    for (const auto& c : t.constraints) {
      const Constraint* lc = live.constraint(c.name);
      const Constraint* nc = norm.constraint(c.name);
      if (!lc && nc && rename_equivalent_constraint(t, live, *nc, c)) continue;
      if (c.kind == ConstraintKind::PrimaryKey || c.kind == ConstraintKind::Unique) {
        if (lc && nc && lc->definition == nc->definition) continue;
        // The shape of the index behind the declared constraint, to recognize
        // one an interrupted apply already built.
        const Index* backing = norm.index(c.name);
        const std::string shape = backing ? index_shape(backing->definition) : "";
        if (lc) {
          // Changed: the new index built concurrently under a temporary name,
          // then the old constraint swapped for one using it, in one transaction.
          Index idx;
          idx.name = c.name.substr(0, 50) + "_schemac_new";
          idx.unique = true;
          for (const auto& col : c.columns) idx.keys.push_back(quote_ident(col));
          if (!reuse_leftover(Phase::Constraints, t, live, idx.name, shape, c.origin))
            build_index(Phase::Constraints, t, "build the unique index for the new " + c.name, idx, c.origin);
          int g = group();
          add(Phase::Constraints, name, "drop the old " + to_string(c.kind) + " " + c.name,
              fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g,
              c.origin);
          add(Phase::Constraints, name,
              "attach the new " + to_string(c.kind) + " " + c.name + " (the index takes its name)",
              fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}", t.name.sql(), quote_ident(c.name),
                          c.kind == ConstraintKind::PrimaryKey ? "PRIMARY KEY" : "UNIQUE", quote_ident(idx.name)),
              kAccessExclusive, g, c.origin);
          continue;
        }
        // Built without blocking writes, then attached in a brief transaction.
        Index idx;
        idx.name = c.name;
        idx.unique = true;
        for (const auto& col : c.columns) idx.keys.push_back(quote_ident(col));
        if (!reuse_leftover(Phase::Constraints, t, live, idx.name, shape, c.origin))
          build_index(Phase::Constraints, t, "build the unique index for " + c.name, idx, c.origin);
        add(Phase::Constraints, name, "attach " + to_string(c.kind) + " " + c.name,
            fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}", t.name.sql(), quote_ident(c.name),
                        c.kind == ConstraintKind::PrimaryKey ? "PRIMARY KEY" : "UNIQUE", quote_ident(c.name)),
            kAccessExclusive, group(), c.origin);
        continue;
      }
      const bool same = lc && nc && lc->definition == nc->definition;
      const bool fk = c.kind == ConstraintKind::ForeignKey;
      const std::string lock =
          fk ? fmt::format("SHARE ROW EXCLUSIVE on {} and {} (brief)", name, c.ref_table.display()) : kAccessExclusive;
      if (!same) {
        int g = group();
        if (lc)
          add(Phase::Constraints, name, "drop the old " + c.name + " to replace it",
              fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g,
              c.origin)
              .rank = fk;
        add(Phase::Constraints, name,
            fmt::format("add {} {} without checking existing rows", to_string(c.kind), c.name),
            ddl::add_constraint(t.name, c, true), lock, g, c.origin)
            .rank = fk;
      }
      if (!same || !lc->validated) {
        auto& v = add(Phase::Constraints, name,
                      fmt::format("validate {} {} against existing rows", to_string(c.kind), c.name),
                      fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t.name.sql(), quote_ident(c.name)),
                      kShareUpdateExclusive, group(), c.origin, {"validation-may-fail"});
        v.validates = c.name;
        v.rank = fk;
      }
    }
    // NOT NULL on an existing column without a scan under ACCESS EXCLUSIVE:
    // a validated CHECK lets SET NOT NULL skip its scan (PostgreSQL 12+).
    for (const auto& c : t.columns) {
      const Column* lc = live.column(c.name);
      const Column* nc = norm.column(c.name);
      if (!lc || !nc || nc->nullable || !lc->nullable) continue;
      // A volatile default already in place on a nullable column: an
      // interrupted apply added the column and stopped during its backfill.
      if (nc->volatile_default && lc->default_expr && nc->default_expr && *lc->default_expr == *nc->default_expr)
        backfill(t, c);
      set_not_null_online(t, c, &live);
    }
  }

  // NOT NULL on an existing column without a scan under ACCESS EXCLUSIVE:
  // a validated CHECK lets SET NOT NULL skip its scan (PostgreSQL 12+); the
  // helper is dropped in a statement of its own (dropping it in the same
  // ALTER TABLE as SET NOT NULL would scan anyway).
  // An interrupted apply may have left the helper (NOT VALID, or validated):
  // the conversion resumes from there instead of failing on "already exists".
  void set_not_null_online(const Table& t, const Column& c, const Table* live = nullptr) {
    const auto name = t.name.display();
    const auto helper_name = fmt::format("{}_{}_not_null", t.name.name, c.name).substr(0, kMaxIdentifierBytes);
    const auto helper = quote_ident(helper_name);
    const Constraint* left = live ? live->constraint(helper_name) : nullptr;
    if (left) renamed_objects_.insert({name, helper_name});  // not an undeclared check to drop
    if (!left)
      add(Phase::Constraints, name, "check that " + c.name + " has no NULLs, without a scan under lock",
          fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID", t.name.sql(), helper,
                      quote_ident(c.name)),
          kAccessExclusive, group(), c.origin);
    if (!left || !left->validated)
      add(Phase::Constraints, name, "validate that " + c.name + " has no NULLs",
          fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t.name.sql(), helper), kShareUpdateExclusive, group(),
          c.origin, {"validation-may-fail"})
          .validates = helper_name;
    add(Phase::Constraints, name, "set NOT NULL on " + c.name + " (instant: the check proves it)",
        fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t.name.sql(), quote_ident(c.name)), kAccessExclusive,
        group(), c.origin);
    add(Phase::Constraints, name, "drop the helper check",
        fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), helper), kAccessExclusive, group(), c.origin);
  }

  // A live constraint of another name that says the same thing is renamed, not rebuilt.
  bool rename_equivalent_constraint(const Table& t, const Table& live, const Constraint& normalized,
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

  void indexes(const Table& t, const Table& norm, const Table& live) {
    const auto name = t.name.display();
    for (const auto& i : t.indexes) {
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
            fmt::format("DROP INDEX CONCURRENTLY {}", QualifiedName{t.name.schema, i.name}.sql()),
            kShareUpdateExclusive, 0, i.origin);
        add(Phase::Indexes, name, "rename the new index to " + i.name,
            fmt::format("ALTER INDEX {} RENAME TO {}", QualifiedName{t.name.schema, temp}.sql(), quote_ident(i.name)),
            kAccessExclusive, group(), i.origin);
      } else {
        build_index(Phase::Indexes, t, "create index " + i.name, i, i.origin);
      }
    }
  }

  void rls(const Table& t, const Table& norm, const Table& live) {
    const auto name = t.name.display();
    int g = 0;
    auto tx = [&] { return g ? g : (g = group()); };
    for (const auto& p : t.policies) {
      if (policies_done_.count({name, p.name})) continue;
      const Policy* lp = live.policy(p.name);
      const Policy* np = norm.policy(p.name);
      if (lp && np && same_policy(p, *np, *lp)) continue;
      if (lp && lp->command == np->command && lp->permissive == np->permissive) {
        std::string sql =
            fmt::format("ALTER POLICY {} ON {} TO {}", quote_ident(p.name), t.name.sql(), ddl::policy_roles(p.roles));
        if (!p.using_expr.empty()) sql += fmt::format(" USING ({})", p.using_expr);
        if (!p.check_expr.empty()) sql += fmt::format(" WITH CHECK ({})", p.check_expr);
        add(Phase::Rls, name, "alter policy " + p.name, sql, kAccessExclusive, tx(), p.origin, {"authz-change"});
        continue;
      }
      if (lp)
        add(Phase::Rls, name, "drop policy " + p.name + " to recreate it",
            fmt::format("DROP POLICY {} ON {}", quote_ident(p.name), t.name.sql()), kAccessExclusive, tx(), p.origin,
            {"authz-change"});
      add(Phase::Rls, name, "create policy " + p.name, ddl::create_policy(t.name, p), kAccessExclusive, tx(), p.origin,
          {"authz-change"});
    }
    for (const auto& lp : live.policies)
      if (!t.policy(lp.name) && !policies_done_.count({name, lp.name}))
        undeclared(add(Phase::Rls, name, "drop undeclared policy " + lp.name,
                       fmt::format("DROP POLICY {} ON {}", quote_ident(lp.name), t.name.sql()), kAccessExclusive, tx(),
                       t.origin, {"authz-change"}),
                   "policy", lp.name);
    if (t.rls_enabled != live.rls_enabled) {
      auto& s =
          add(Phase::Rls, name, t.rls_enabled ? "enable row level security" : "disable row level security",
              fmt::format("ALTER TABLE {} {} ROW LEVEL SECURITY", t.name.sql(), t.rls_enabled ? "ENABLE" : "DISABLE"),
              kAccessExclusive, tx(), t.origin, {"authz-change"});
      if (!t.rls_enabled) undeclared(s, "row level security", t.name.display());
    }
    if (t.rls_forced != live.rls_forced) {
      auto& s =
          add(Phase::Rls, name,
              t.rls_forced ? "force row level security on the owner too" : "stop forcing row level security",
              fmt::format("ALTER TABLE {} {} ROW LEVEL SECURITY", t.name.sql(), t.rls_forced ? "FORCE" : "NO FORCE"),
              kAccessExclusive, tx(), t.origin, {"authz-change"});
      // rls = "enabled" declares RLS without FORCE; only a table that declares
      // no RLS at all loses it by omission.
      if (!t.rls_enabled) undeclared(s, "forced row level security", t.name.display());
    }
    for (const auto& [role, privs] : t.grants) {
      auto it = live.grants.find(role);
      std::set<std::string> have = it == live.grants.end() ? std::set<std::string>{} : it->second;
      std::set<std::string> missing, extra;
      std::set_difference(privs.begin(), privs.end(), have.begin(), have.end(), std::inserter(missing, missing.end()));
      if (t.exact_grant_roles.count(role))
        std::set_difference(have.begin(), have.end(), privs.begin(), privs.end(), std::inserter(extra, extra.end()));
      if (!missing.empty())
        add(Phase::Rls, name, "grant " + role + " what its policies need", ddl::grant(t.name, missing, role), "none",
            tx(), t.origin, {"authz-change"});
      if (!extra.empty())
        add(Phase::Rls, name, "revoke from " + role + " what the declaration does not grant",
            ddl::revoke(t.name, extra, role), "none", tx(), t.origin, {"authz-change"});
    }
  }

  void contract(const Table& t, const Table&, const Table& live) {
    const auto name = t.name.display();
    for (const auto& li : live.indexes) {
      if (li.backs_constraint || t.index(li.name) || renamed_objects_.count({name, li.name})) continue;
      auto& s = add(Phase::Contract, name, "drop undeclared index " + li.name,
                    fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QualifiedName{t.name.schema, li.name}.sql()),
                    kShareUpdateExclusive, 0, t.origin);
      // A unique index is integrity; any other only speed.
      if (li.unique)
        undeclared(s, "unique index", li.name);
      else
        s.origin.flag = "undeclared";
    }
    for (const auto& lc : live.constraints) {
      if (t.constraint(lc.name) || renamed_objects_.count({name, lc.name})) continue;
      // A unique constraint that soft_delete turned into a partial unique index.
      bool becomes_index = lc.kind == ConstraintKind::Unique && t.index(lc.name);
      std::string lock = lc.kind == ConstraintKind::ForeignKey
                             ? fmt::format("ACCESS EXCLUSIVE on {} and {} (brief)", name, lc.ref_table.display())
                             : kAccessExclusive;
      if (becomes_index) continue;  // dropped in phase 4, when its partial index takes over
      undeclared(add(Phase::Contract, name, fmt::format("drop undeclared {} {}", to_string(lc.kind), lc.name),
                     fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), quote_ident(lc.name)), lock,
                     group(), t.origin),
                 to_string(lc.kind), lc.name);
    }
    for (const auto& lt : live.triggers) {
      if (t.trigger(lt.name)) continue;
      auto& s = add(Phase::Contract, name, "drop undeclared trigger " + lt.name,
                    fmt::format("DROP TRIGGER {} ON {}", quote_ident(lt.name), t.name.sql()), kAccessExclusive, group(),
                    t.origin);
      // A trigger of schemac's own runtime is what a flag made: the flag
      // went, and its trigger goes with it. Any other is someone's behaviour.
      if (calls_runtime(lt))
        s.origin.flag = "undeclared";
      else
        undeclared(s, "trigger", lt.name);
    }
    for (const auto& lc : live.columns)
      if (!t.column(lc.name))
        add(Phase::Contract, name, "drop undeclared column " + lc.name,
            fmt::format("ALTER TABLE {} DROP COLUMN {}", t.name.sql(), quote_ident(lc.name)), kAccessExclusive, group(),
            t.origin, {"deletes-data"})
            .origin.flag = "undeclared";
  }
};

}  // namespace

Plan make_plan(const Desired& desired, const Catalog& normalized, const Catalog& live) {
  return Planner(desired, normalized, live).run();
}

}  // namespace schemac
