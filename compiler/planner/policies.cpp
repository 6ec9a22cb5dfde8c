// Authorization on existing tables (hazard authz-change throughout): row
// level security switched on, off or forced, policies altered, recreated or
// dropped, and table grants brought to what the declarations say (column
// grants in column_grants.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool same_policy(const Policy& desired_roles_from, const Policy& norm, const Policy& live) {
  return norm.command == live.command && norm.permissive == live.permissive && norm.using_expr == live.using_expr &&
         norm.check_expr == live.check_expr && sorted(desired_roles_from.roles) == sorted(live.roles);
}

}  // namespace

void Planner::rls(const Table& t, const Table& norm, const Table& live) {
  const auto name = t.name.display();
  int g = 0;
  auto tx = [&] { return g ? g : (g = group()); };
  for (const auto& p : t.policies) {
    if (policies_done_.count({name, p.name})) continue;
    const Policy* lp = live.policy(p.name);
    const Policy* np = norm.policy(p.name);
    if (lp && np && same_policy(p, *np, *lp)) continue;
    // ALTER POLICY can change roles and expressions but not remove one:
    // a policy that loses its USING or WITH CHECK is dropped and created again.
    const bool loses_expression = lp && ((!lp->using_expr.empty() && np->using_expr.empty()) ||
                                         (!lp->check_expr.empty() && np->check_expr.empty()));
    if (lp && lp->command == np->command && lp->permissive == np->permissive && !loses_expression) {
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
  // Every role the declaration grants to, and every role whose grants it fixes
  // exactly (one that should now have none is in the second set only).
  std::set<std::string> roles;
  Grants revoked;
  for (const auto& [role, privs] : t.grants) roles.insert(role);
  for (const auto& role : t.exact_grant_roles)
    if (live.grants.count(role)) roles.insert(role);
  for (const auto& role : roles) {
    static const std::set<std::string> none;
    const auto& privs = t.grants.count(role) ? t.grants.at(role) : none;
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
    revoked[role] = std::move(extra);
  }
  column_grants(t, live, revoked, tx);
}

}  // namespace schemac::planner
