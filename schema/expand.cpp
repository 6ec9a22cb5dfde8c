// Flags -> ordinary objects. After this, nothing downstream knows about flags,
// except through Origin (which flag made an object, and where it was written).
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "schema/compile.hpp"
#include "schema/reference.hpp"
#include "schema/sql_syntax.hpp"

namespace schemac {

std::string tenant_claim_expression(const Settings& s) {
  // "app_metadata.org_id" -> ((select auth.jwt()) -> 'app_metadata' ->> 'org_id')
  std::vector<std::string> parts;
  std::stringstream in(s.tenancy.claim);
  std::string part;
  while (std::getline(in, part, '.')) parts.push_back(part);
  std::string expr = "(select auth.jwt())";
  for (std::size_t i = 0; i < parts.size(); ++i)
    expr += fmt::format(" {} {}", i + 1 == parts.size() ? "->>" : "->", quote_literal(parts[i]));
  return fmt::format("({})::{}", expr, s.tenancy.type);
}

std::string tenant_predicate(const Settings& s, const std::string& column_sql) {
  return fmt::format("{} = {}", column_sql, tenant_claim_expression(s));
}

namespace {

const std::set<std::string> kAllPrivileges = {"SELECT", "INSERT", "UPDATE", "DELETE"};

std::set<std::string> privileges_for(const std::string& command) {
  if (command == "ALL") return kAllPrivileges;
  return {command};
}

void add_column_if_missing(Table& t, Column c) {
  if (t.column(c.name)) return;
  t.columns.push_back(std::move(c));
}

template <class T>
void add_unless_declared(std::vector<T>& items, T item) {
  // A declared object with the same name overrides the generated one.
  if (std::any_of(items.begin(), items.end(), [&](const T& x) { return x.name == item.name; })) return;
  items.push_back(std::move(item));
}

struct Expander {
  const Settings& s;
  Diagnostics& d;
  std::set<std::string> api_roles;  // roles whose privileges on RLS tables schemac fixes exactly

  Origin flag_origin(const TableDecl& decl, const std::string& flag) const {
    auto it = decl.key_pos.find(flag);
    return {it == decl.key_pos.end() ? decl.table.origin.pos : it->second, flag};
  }

  QualifiedName runtime_fn(const std::string& name) const { return {s.runtime_schema, name}; }

  // A flag's column in an expression: the default one as it was always
  // written (the same text, so the same normalization cache keys); another quoted.
  static std::string column_ref(const std::string& column) {
    return column == "deleted_at" ? column : quote_ident(column);
  }

  void primary_key(const TableDecl& decl, Table& t) {
    if (decl.primary_key.empty()) return;
    Constraint pk;
    pk.kind = ConstraintKind::PrimaryKey;
    pk.name = t.name.name + "_pkey";
    pk.columns = decl.primary_key;
    pk.origin.pos = decl.primary_key_pos;
    t.constraints.insert(t.constraints.begin(), std::move(pk));
  }

  void touch_updated_at(const TableDecl& decl, Table& t) {
    auto origin = flag_origin(decl, "touch_updated_at");
    const auto& column = decl.flags.updated_at_column;
    add_column_if_missing(t, Column{column, "timestamptz", false, "now()", {}, {}, false, origin, {}, {}, {}});
    Trigger tr;
    tr.name = fmt::format("t_{}_touch", t.name.name);
    tr.timing = "BEFORE";
    tr.events = "UPDATE";
    tr.level = "ROW";
    tr.function = runtime_fn("touch_updated_at");
    if (column != "updated_at") tr.args = {column};  // none: the function's fast path for updated_at
    tr.origin = origin;
    add_unless_declared(t.triggers, std::move(tr));
  }

  void soft_delete(const TableDecl& decl, Table& t) {
    auto origin = flag_origin(decl, "soft_delete");
    const auto& column = decl.flags.deleted_at_column;
    add_column_if_missing(t, Column{column, "timestamptz", true, {}, {}, {}, false, origin, {}, {}, {}});
    const std::string live_rows = column_ref(column) + " IS NULL";
    // Live rows only: deleted rows neither collide nor bloat the hot indexes.
    for (auto& idx : t.indexes) {
      if (idx.include_deleted) continue;
      idx.where = idx.where.empty() ? live_rows : fmt::format("({}) AND {}", idx.where, live_rows);
    }
    // A unique constraint becomes a partial unique index with the constraint's name.
    std::vector<Constraint> kept;
    for (auto& c : t.constraints) {
      if (c.kind != ConstraintKind::Unique) {
        kept.push_back(std::move(c));
        continue;
      }
      Index idx;
      idx.name = c.name;
      idx.unique = true;
      for (const auto& col : c.columns) idx.keys.push_back(quote_ident(col));
      idx.where = live_rows;
      idx.origin = c.origin;
      t.indexes.push_back(std::move(idx));
    }
    t.constraints = std::move(kept);

    // The primary key columns; before them, for another column than
    // deleted_at, '' (no column has an empty name) and the column.
    std::vector<std::string> pk_args;
    if (column != "deleted_at") pk_args = {"", column};
    if (auto* pk = t.primary_key()) pk_args.insert(pk_args.end(), pk->columns.begin(), pk->columns.end());
    const std::string rls_active = fmt::format("row_security_active({}::regclass)", quote_literal(t.name.sql()));
    // DELETE by a role under RLS becomes "mark deleted"; roles that bypass RLS
    // (service_role, the owner when superuser) still delete for good.
    Trigger on_delete;
    on_delete.name = fmt::format("t_{}_soft_delete", t.name.name);
    on_delete.timing = "BEFORE";
    on_delete.events = "DELETE";
    on_delete.level = "ROW";
    on_delete.when = rls_active;
    on_delete.function = runtime_fn("soft_delete");
    on_delete.args = pk_args;
    on_delete.origin = origin;
    add_unless_declared(t.triggers, on_delete);
    // UPDATE ... SET deleted_at = now() WHERE ... would fail the SELECT policy's
    // check on the new row (postgres-facts 4.4); the trigger performs it instead.
    Trigger on_update = on_delete;
    on_update.name = fmt::format("t_{}_soft_delete_on_update", t.name.name);
    on_update.events = "UPDATE OF " + quote_ident(column);
    on_update.when = fmt::format("old.{0} IS NULL AND new.{0} IS NOT NULL AND {1}", column_ref(column), rls_active);
    add_unless_declared(t.triggers, on_update);
    // The DELETE's rows are queued by the row trigger and marked in one
    // UPDATE at the end of the statement, not one UPDATE per row.
    Trigger mark = on_delete;
    mark.name = fmt::format("t_{}_soft_delete_mark", t.name.name);
    mark.timing = "AFTER";
    mark.level = "STATEMENT";
    mark.function = runtime_fn("soft_delete_mark");
    add_unless_declared(t.triggers, std::move(mark));
  }

  // The runtime's own tables: no API role holds any privilege on them (the
  // Supabase default privileges would grant them ALL).
  void no_api_privileges(Table& t) const {
    std::set<std::string> roles = {"anon", "authenticated", "service_role"};
    roles.insert(s.tenancy.roles.begin(), s.tenancy.roles.end());
    for (const auto& role : roles) {
      t.exact_grant_roles.insert(role);
      t.grants[role];
    }
  }

  // Where soft_delete() queues a DELETE's rows for soft_delete_mark(): a
  // session's rows live for one statement, so nothing needs crash safety
  // (UNLOGGED). Only the runtime's definer functions read or write it.
  Table soft_delete_queue(const Origin& origin) {
    Table t;
    t.name = runtime_fn("soft_delete_queue");
    t.origin = origin;
    t.unlogged = true;
    t.comment = "Rows a DELETE soft-deletes, queued for one statement by schemac's soft_delete() triggers";
    t.columns.push_back(Column{"backend", "integer", false, {}, {}, {}, false, origin, {}, {}, {}});
    t.columns.push_back(Column{"relid", "oid", false, {}, {}, {}, false, origin, {}, {}, {}});
    t.columns.push_back(Column{"row_data", "jsonb", false, {}, {}, {}, false, origin, {}, {}, {}});
    Index by_statement;
    by_statement.name = t.name.name + "_backend_idx";
    by_statement.keys = {"backend", "relid"};
    by_statement.origin = origin;
    t.indexes.push_back(std::move(by_statement));
    // No API role may touch it (no privilege at all: row level security
    // would add nothing, and its owner's functions must not be subject to it).
    no_api_privileges(t);
    return t;
  }

  void audited(const TableDecl& decl, Table& t) {
    auto origin = flag_origin(decl, "audited");
    std::string pk;
    if (auto* c = t.primary_key(); c && c->columns.size() == 1) pk = c->columns.front();
    const std::string tenant = decl.flags.tenant_scoped ? s.tenancy.column : "";
    const std::string soft = decl.flags.soft_delete ? "soft_delete" : "";
    // Statement-level triggers with transition tables: one audit INSERT per
    // statement instead of one per row (the spec's measured 1.5x/2.3x vs 3.2x/4.2x).
    struct Event {
      const char* suffix;
      const char* event;
      const char* referencing;
    };
    for (auto e : {Event{"insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"},
                   Event{"update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"},
                   Event{"delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"}}) {
      Trigger tr;
      tr.name = fmt::format("t_{}_audit_{}", t.name.name, e.suffix);
      tr.timing = "AFTER";
      tr.events = e.event;
      tr.level = "STATEMENT";
      tr.referencing = e.referencing;
      tr.function = runtime_fn("audit_changes");
      // The audit table travels as arguments: audit_changes() is never
      // rewritten from declarations, and names reach it only through format('%I').
      tr.args = {pk, tenant, soft, s.audit_table().schema, s.audit_table().name};
      // Soft deletes marked in another column than deleted_at: its name last.
      if (decl.flags.soft_delete && decl.flags.deleted_at_column != "deleted_at")
        tr.args.push_back(decl.flags.deleted_at_column);
      tr.origin = origin;
      add_unless_declared(t.triggers, std::move(tr));
    }
    // The update trigger pairs old and new rows by the key: an UPDATE that
    // changed the key would leave no record. Refused for every role.
    if (!pk.empty()) {
      Trigger key;
      key.name = fmt::format("t_{}_audit_key", t.name.name);
      key.timing = "BEFORE";
      key.events = "UPDATE OF " + quote_ident(pk);
      key.level = "ROW";
      key.when = fmt::format("old.{0} IS DISTINCT FROM new.{0}", quote_ident(pk));
      key.function = runtime_fn("refuse_key_change");
      key.origin = origin;
      add_unless_declared(t.triggers, std::move(key));
    }
  }

  void tenant_scoped(const TableDecl& decl, Table& t) {
    auto origin = flag_origin(decl, "tenant_scoped");
    const auto& col = s.tenancy.column;
    add_column_if_missing(t, Column{col, s.tenancy.type, false, {}, {}, {}, false, origin, {}, {}, {}});
    bool has_fk = std::any_of(t.constraints.begin(), t.constraints.end(), [&](const Constraint& c) {
      return c.kind == ConstraintKind::ForeignKey && c.columns == std::vector<std::string>{col};
    });
    if (!has_fk) {
      Constraint fk;
      fk.kind = ConstraintKind::ForeignKey;
      fk.name = fmt::format("{}_{}_fkey", t.name.name, col);
      fk.columns = {col};
      // The loader refused a malformed tenancy.references, so it parses here.
      auto ref = parse_table_reference(s.tenancy.references).value_or(TableReference{});
      fk.ref_table = ref.table;
      fk.ref_columns = ref.columns;
      fk.on_delete = on_delete_sql(s.tenancy.on_delete);
      fk.origin = origin;
      add_unless_declared(t.constraints, std::move(fk));
    }
    bool leads = std::any_of(t.indexes.begin(), t.indexes.end(), [&](const Index& i) {
      auto first = i.keys.empty() ? std::nullopt : plain_index_column(i.keys.front());
      return first && *first == col;
    });
    if (!leads) {
      Index idx;
      idx.name = fmt::format("idx_{}_tenant", t.name.name);
      idx.keys = {quote_ident(col)};
      // Whole, not live-only: the cascade from the tenancy table's ON DELETE
      // reaches deleted rows too, and needs this index to find them.
      idx.include_deleted = true;
      idx.origin = origin;
      add_unless_declared(t.indexes, std::move(idx));
    }
    t.rls_enabled = t.rls_forced = true;

    const std::string is_tenant = tenant_predicate(s, quote_ident(col));
    const std::string visible = decl.flags.soft_delete
                                    ? is_tenant + " AND " + column_ref(decl.flags.deleted_at_column) + " IS NULL"
                                    : is_tenant;
    auto policy = [&](const char* suffix, const char* command, std::string using_expr, std::string check_expr) {
      Policy p;
      p.name = fmt::format("{}_tenant_{}", t.name.name, suffix);
      p.command = command;
      p.roles = s.tenancy.roles;
      std::sort(p.roles.begin(), p.roles.end());
      p.using_expr = std::move(using_expr);
      p.check_expr = std::move(check_expr);
      p.origin = origin;
      add_unless_declared(t.policies, std::move(p));
    };
    policy("select", "SELECT", visible, "");
    policy("insert", "INSERT", "", is_tenant);
    policy("update", "UPDATE", visible, is_tenant);
    policy("delete", "DELETE", visible, "");
    for (const auto& role : s.tenancy.roles)
      if (!t.exact_grant_roles.count(role)) t.grants[role].insert(kAllPrivileges.begin(), kAllPrivileges.end());
  }

  Table table(const TableDecl& decl) {
    Table t = decl.table;
    if (t.name.schema.empty()) t.name.schema = s.default_schema();
    for (auto& c : t.constraints)
      if (c.kind == ConstraintKind::ForeignKey && c.ref_table.schema.empty()) c.ref_table.schema = s.default_schema();
    primary_key(decl, t);
    // PostgreSQL keeps no unique constraint beside a primary key on the same
    // columns (CREATE TABLE drops it): declaring both must not plan it forever.
    if (const auto* pk = t.primary_key()) {
      const auto pk_columns = pk->columns;
      std::erase_if(t.constraints,
                    [&](const Constraint& c) { return c.kind == ConstraintKind::Unique && c.columns == pk_columns; });
    }
    // Order matters: tenant_scoped adds the tenancy column before soft_delete
    // rewrites index predicates, and its generated index stays whole (FK cascades use it).
    if (decl.flags.tenant_scoped) tenant_scoped(decl, t);
    if (decl.flags.soft_delete) soft_delete(decl, t);
    if (decl.flags.touch_updated_at) touch_updated_at(decl, t);
    if (decl.flags.audited) audited(decl, t);
    if (decl.flags.rls) t.rls_enabled = t.rls_forced = true;
    if (decl.flags.rls_unforced) t.rls_forced = false;
    for (const auto& p : t.policies) {
      if (p.origin.flag.empty())
        for (const auto& role : p.roles)
          if (role != "public" && !t.exact_grant_roles.count(role)) {
            auto privs = privileges_for(p.command);
            t.grants[role].insert(privs.begin(), privs.end());
          }
    }
    // Under RLS, the API roles hold exactly what the flags, policies and
    // grants give them: nothing left from defaults (Supabase grants them ALL,
    // TRUNCATE and TRIGGER included, on every new table) or from a policy
    // that went away.
    if (t.rls_enabled)
      for (const auto& role : api_roles) {
        t.exact_grant_roles.insert(role);
        t.grants[role];
      }
    for (auto& c : t.constraints)
      if (c.kind == ConstraintKind::ForeignKey && c.ref_table.schema.empty()) c.ref_table.schema = s.default_schema();
    return t;
  }

  Table audit_table(const Origin& origin) {
    Table t;
    t.name = s.audit_table();
    t.origin = origin;
    t.comment = "Append-only audit trail written by schemac's audit_changes() triggers";
    auto col = [&](const char* name, const char* type, bool nullable, std::optional<std::string> def = {}) {
      t.columns.push_back(Column{name, type, nullable, std::move(def), {}, {}, false, origin, {}, {}, {}});
    };
    // Numbered, not a uuid: appending to a bigint key's index touches its
    // last page, where a random uuid's lands anywhere in it (issue 11). An
    // audit table made with a uuid key keeps it (compiler/live_audit_key.cpp).
    col("id", "bigint", false);
    t.columns.back().identity = "ALWAYS";
    col("table_schema", "text", false);
    col("table_name", "text", false);
    col("record_id", "uuid", false);
    col("action", "text", false);
    col("old_data", "jsonb", true);
    col("new_data", "jsonb", true);
    col("changed_by", "uuid", true);
    col("changed_at", "timestamptz", false, "now()");
    t.columns.push_back(Column{"tenant_id", s.tenancy.type, true, {}, {}, {}, false, origin, {}, {}, {}});
    t.constraints.push_back(Constraint{
        t.name.name + "_pkey", ConstraintKind::PrimaryKey, {"id"}, "", {}, {}, "", "", true, origin, {}, ""});
    t.constraints.push_back(Constraint{t.name.name + "_action_check",
                                       ConstraintKind::Check,
                                       {"action"},
                                       "action IN ('INSERT', 'UPDATE', 'DELETE')",
                                       {},
                                       {},
                                       "",
                                       "",
                                       true,
                                       origin,
                                       {},
                                       ""});
    auto index = [&](std::string name, std::vector<std::string> keys, std::string method) {
      Index i;
      i.name = std::move(name);
      i.keys = std::move(keys);
      i.method = std::move(method);
      i.origin = origin;
      t.indexes.push_back(std::move(i));
    };
    // One record's history: a uuid is as good as unique across tables, and
    // leaving table_name (text, compared by collation) out halves the index.
    index(t.name.name + "_record_id_idx", {"record_id"}, "btree");
    // Append-only and time-ordered: BRIN is hundreds of times smaller than a btree.
    index(t.name.name + "_changed_at_idx", {"changed_at"}, "brin");
    // Every index slows each audited write; this one only serves tenants reading their history.
    if (s.audit.tenant_readable) index(t.name.name + "_tenant_idx", {"tenant_id", "changed_at"}, "btree");
    t.rls_enabled = t.rls_forced = true;
    // No API role may write it; by default none may read it either.
    no_api_privileges(t);
    if (s.audit.tenant_readable) {
      Policy p;
      p.name = t.name.name + "_tenant_select";
      p.command = "SELECT";
      p.roles = s.tenancy.roles;
      std::sort(p.roles.begin(), p.roles.end());
      p.using_expr = tenant_predicate(s, "tenant_id");
      p.origin = origin;
      t.policies.push_back(std::move(p));
      for (const auto& role : s.tenancy.roles) t.grants[role] = {"SELECT"};
    }
    return t;
  }
};

// anon and authenticated (what PostgREST switches to), the tenancy roles, and
// every role a declared policy names. Not service_role: it bypasses RLS and
// is trusted like the owner (its privileges are exact only where a table's
// grants key names it), and not PUBLIC.
std::set<std::string> api_roles(const Declarations& decls) {
  std::set<std::string> roles = {"anon", "authenticated"};
  roles.insert(decls.settings.tenancy.roles.begin(), decls.settings.tenancy.roles.end());
  for (const auto& decl : decls.tables)
    for (const auto& p : decl.table.policies) roles.insert(p.roles.begin(), p.roles.end());
  roles.erase("public");
  roles.erase("service_role");
  return roles;
}

// A foreign key from one tenant_scoped table to another carries the tenancy
// column on both sides: (organization_id, project_id) REFERENCES projects
// (organization_id, id). A row can then only point at a row of its own
// organization, and the key's error is no oracle for another tenant's ids.
// The referenced table gets the unique key this needs (its tenancy column and
// the referenced columns) unless it has one.
void tenant_consistent_keys(Catalog& out, const Declarations& decls) {
  const auto& s = decls.settings;
  const std::string& col = s.tenancy.column;
  std::set<QualifiedName> tenant_tables;
  for (const auto& d : decls.tables)
    if (d.flags.tenant_scoped)
      tenant_tables.insert({d.table.name.schema.empty() ? s.default_schema() : d.table.name.schema, d.table.name.name});
  for (auto& t : out.tables) {
    if (!tenant_tables.count(t.name)) continue;
    for (auto& c : t.constraints) {
      if (c.kind != ConstraintKind::ForeignKey || !c.origin.flag.empty() || !tenant_tables.count(c.ref_table)) continue;
      if (std::find(c.columns.begin(), c.columns.end(), col) != c.columns.end()) continue;
      Table* parent = out.table(c.ref_table);
      if (!parent) continue;
      auto refs = c.ref_columns;
      if (refs.empty())
        if (const auto* pk = parent->primary_key()) refs = pk->columns;
      if (refs.empty() || refs.size() != c.columns.size()) continue;  // validate_catalog reports it
      const bool sets_columns = c.on_delete == "SET NULL" || c.on_delete == "SET DEFAULT";
      // SET NULL on the pair would null the tenancy column too; PostgreSQL 15
      // can name the columns to set. Before 15 the key stays as declared.
      if (sets_columns && s.postgres < 15) continue;
      if (sets_columns) {
        std::string cols;
        for (const auto& x : c.columns) cols += (cols.empty() ? "" : ", ") + quote_ident(x);
        c.on_delete += " (" + cols + ")";
      }
      c.columns.insert(c.columns.begin(), col);
      refs.insert(refs.begin(), col);
      c.ref_columns = refs;
      const std::set<std::string> wanted(refs.begin(), refs.end());
      const bool has_key =
          std::any_of(parent->constraints.begin(), parent->constraints.end(), [&](const Constraint& k) {
            return (k.kind == ConstraintKind::PrimaryKey || k.kind == ConstraintKind::Unique) &&
                   std::set<std::string>(k.columns.begin(), k.columns.end()) == wanted;
          });
      if (has_key) continue;
      Constraint key;
      key.kind = ConstraintKind::Unique;
      key.name = parent->name.name;
      for (const auto& x : refs) key.name += "_" + x;
      key.name += "_key";
      key.columns = refs;
      key.origin = {c.origin.pos, "tenant_scoped"};
      parent->constraints.push_back(std::move(key));
    }
  }
}

}  // namespace

Catalog expand(const Declarations& decls, Diagnostics& diags) {
  Catalog out;
  Expander ex{decls.settings, diags, api_roles(decls)};
  const TableDecl* first_audited = nullptr;
  const TableDecl* first_soft_delete = nullptr;
  for (const auto& decl : decls.tables) {
    out.tables.push_back(ex.table(decl));
    if (decl.flags.audited && !first_audited) first_audited = &decl;
    if (decl.flags.soft_delete && !first_soft_delete) first_soft_delete = &decl;
  }
  if (first_soft_delete) {
    Origin origin{first_soft_delete->key_pos.at("soft_delete"), "soft_delete"};
    auto queue = ex.soft_delete_queue(origin);
    if (!out.table(queue.name)) out.tables.push_back(std::move(queue));
  }
  if (first_audited) {
    Origin origin{decls.settings.audit.pos.line ? decls.settings.audit.pos : first_audited->key_pos.at("audited"),
                  "audit"};
    if (!out.table(decls.settings.audit_table())) out.tables.push_back(ex.audit_table(origin));
  }
  std::sort(out.tables.begin(), out.tables.end(), [](const Table& a, const Table& b) { return a.name < b.name; });
  tenant_consistent_keys(out, decls);
  for (const auto& t : out.tables) out.schemas.insert(t.name.schema);
  out.extensions.insert(decls.settings.extensions.begin(), decls.settings.extensions.end());
  out.index_tables();
  return out;
}

}  // namespace schemac
