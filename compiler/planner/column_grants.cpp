// Column privileges (GRANT UPDATE (name) ON t TO r) brought to what the
// declarations say, after the table's own grants: a REVOKE on the table
// takes the column privileges of the same kind with it, so for a role that
// loses a table privilege in this plan its column privileges of that kind
// count as gone, and the ones declared are granted again.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

void Planner::column_grants(const Table& t, const Table& live, const Grants& revoked_on_table,
                            const std::function<int()>& tx) {
  static const std::set<std::string> none;
  auto of = [](const Column* c, const std::string& role) -> const std::set<std::string>& {
    if (!c) return none;
    auto it = c->grants.find(role);
    return it == c->grants.end() ? none : it->second;
  };
  // Every role a declared column grants to, and every role whose grants the
  // declaration fixes exactly that holds a column privilege now.
  std::set<std::string> roles;
  for (const auto& c : t.columns)
    for (const auto& [role, privileges] : c.grants) roles.insert(role);
  for (const auto& c : live.columns)
    for (const auto& [role, privileges] : c.grants)
      if (t.exact_grant_roles.count(role)) roles.insert(role);
  for (const auto& role : roles) {
    const auto& revoked = revoked_on_table.count(role) ? revoked_on_table.at(role) : none;
    ddl::ColumnPrivileges missing, extra;
    const Origin* origin = nullptr;
    for (const auto& c : t.columns) {
      const auto& want = of(&c, role);
      std::set<std::string> have;
      for (const auto& p : of(live.column(c.name), role))
        if (!revoked.count(p)) have.insert(p);
      for (const auto& p : want)
        if (!have.count(p)) missing[p].push_back(c.name), origin = origin ? origin : &c.origin;
      if (t.exact_grant_roles.count(role))
        for (const auto& p : have)
          if (!want.count(p)) extra[p].push_back(c.name), origin = origin ? origin : &c.origin;
    }
    if (!extra.empty())
      add(Phase::Rls, t.name.display(), "revoke from " + role + " the column privileges the declaration does not grant",
          ddl::revoke_columns(t.name, extra, role), "none", tx(), origin ? *origin : t.origin, {"authz-change"});
    if (!missing.empty())
      add(Phase::Rls, t.name.display(), "grant " + role + " the column privileges the declaration gives it",
          ddl::grant_columns(t.name, missing, role), "none", tx(), origin ? *origin : t.origin, {"authz-change"});
  }
}

}  // namespace schemac::planner
