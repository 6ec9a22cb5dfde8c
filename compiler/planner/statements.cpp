// The "create from nothing" statements of one table: used for new tables in a
// plan, and to materialize the declarations in the scratch database.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/plan.hpp"

namespace schemac {

bool references_exist(const Table& t, const std::function<bool(const QualifiedName&)>& exists) {
  if (t.partition_of && !exists(*t.partition_of)) return false;
  return std::all_of(t.constraints.begin(), t.constraints.end(), [&](const Constraint& c) {
    return c.kind != ConstraintKind::ForeignKey || c.ref_table == t.name || exists(c.ref_table);
  });
}

std::vector<Statement> create_table_statements(const Table& t, const std::set<QualifiedName>& ready, bool for_scratch) {
  std::vector<Statement> out;
  auto ready_with_self = ready;
  ready_with_self.insert(t.name);
  out.push_back({ddl::create_table(t, ready_with_self), t.origin, "create table"});
  // Declared NOT VALID: so it stays, as the declaration says (CREATE TABLE cannot say it).
  for (const auto& c : t.constraints)
    if (!c.validated && (c.kind != ConstraintKind::ForeignKey || ready_with_self.count(c.ref_table)))
      out.push_back({ddl::add_constraint(t.name, c, true), c.origin,
                     "add " + to_string(c.kind) + " " + c.name + " NOT VALID, as declared"});
  if (t.comment) out.push_back({ddl::comment_on_table(t), t.origin, "comment on table"});
  for (const auto& c : t.columns)
    if (c.comment) out.push_back({ddl::comment_on_column(t.name, c), c.origin, "comment on column " + c.name});
  for (const auto& i : t.indexes)
    if (i.attached_to.empty())  // a partition's copy of its parent's index comes with the partition
      out.push_back({ddl::create_index(t.name, i, false), i.origin, "create index " + i.name});
  if (!t.replica_identity.empty() && t.replica_identity != "DEFAULT")
    out.push_back({ddl::replica_identity(t.name, t.replica_identity), t.origin, "set the replica identity"});
  for (const auto& tr : t.triggers) {
    out.push_back({ddl::create_trigger(t.name, tr, false), tr.origin, "create trigger " + tr.name});
    if (!tr.firing.empty())
      out.push_back({ddl::trigger_firing(t.name, tr), tr.origin, "set when trigger " + tr.name + " fires"});
  }
  // The scratch database only normalizes expressions; roles are cluster-wide
  // and may not exist yet, so policies there apply to PUBLIC and grants are skipped.
  for (const auto& p : t.policies)
    out.push_back({ddl::create_policy(t.name, p, !for_scratch), p.origin, "create policy " + p.name, true, true});
  if (t.rls_enabled)
    out.push_back({fmt::format("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", t.name.sql()), t.origin,
                   "enable row level security", true, true});
  if (t.rls_forced)
    out.push_back({fmt::format("ALTER TABLE {} FORCE ROW LEVEL SECURITY", t.name.sql()), t.origin,
                   "force row level security", true, true});
  for (auto& st : object_comments(t, nullptr, true)) out.push_back(std::move(st));
  if (!for_scratch) {
    for (const auto& [role, privs] : t.grants) {
      // Default privileges (Supabase grants ALL on every new public table to
      // its API roles) would otherwise outlive a declaration that says less.
      if (t.exact_grant_roles.count(role))
        out.push_back({fmt::format("REVOKE ALL ON TABLE {} FROM {}", t.name.sql(), quote_ident(role)), t.origin,
                       "revoke default privileges from " + role, false, true});
      if (!privs.empty()) out.push_back({ddl::grant(t.name, privs, role), t.origin, "grant to " + role, false, true});
    }
    // Column privileges, after the REVOKE ALL above (it takes them too).
    std::map<std::string, ddl::ColumnPrivileges> by_role;
    for (const auto& c : t.columns)
      for (const auto& [role, privs] : c.grants)
        for (const auto& p : privs) by_role[role][p].push_back(c.name);
    for (const auto& [role, privileges] : by_role)
      out.push_back(
          {ddl::grant_columns(t.name, privileges, role), t.origin, "grant to " + role + " on columns", false, true});
  }
  return out;
}

}  // namespace schemac
