// Default privileges (ALTER DEFAULT PRIVILEGES): what a role's new tables,
// sequences, functions, types and schemas get. Compared item by item (a
// grantee's privilege, beyond or taken from PostgreSQL's built-in default) for
// each (role, schema, kind of object) pg_default_acl has on either side.
//
// Never destroyed by omission: a live item is changed only when a declaration
// speaks of that role, schema, kind and grantee, or project.undeclared_objects
// = "drop" (then a drops-undeclared step) and who plans may alter that role's
// (Supabase's supabase_admin's are not the project's). Others are kept and listed.
#include <fmt/format.h>

#include <map>
#include <set>
#include <tuple>

#include "compiler/declared/sql_declared.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

namespace {

struct Item {
  bool granted = true;  // '+': beyond the built-in default; '-': taken from it
  std::string grantee, privilege;
  bool grant_option = false;
};

Item parse_item(const std::string& text) {
  Item i;
  i.granted = text.front() == '+';
  std::string rest = text.substr(1);
  const std::string option = " WITH GRANT OPTION";
  if (rest.ends_with(option)) {
    i.grant_option = true;
    rest.erase(rest.size() - option.size());
  }
  const auto space = rest.rfind(' ');
  i.grantee = rest.substr(0, space);
  i.privilege = rest.substr(space + 1);
  return i;
}

std::string grantee_sql(const std::string& role) {
  return role == "public" ? "PUBLIC" : quote_ident(role);
}

}  // namespace

void Planner::default_privileges() {
  using Key = std::tuple<std::string, std::string, std::string>;  // role, schema, objects
  const std::string me = norm_.current_user;
  auto resolve = [&](const std::string& role) { return role.empty() ? me : role; };
  // What the declarations speak of: (role, schema, objects, grantee), and where.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Origin> named;
  std::map<Key, Origin> declared_at;
  for (const auto& decl : d_.sql) {
    if (decl.kind != "default privileges") continue;
    const auto& scope = decl.default_privileges;
    const std::vector<std::string> every_schema = {""};
    for (const auto& role : scope.roles)
      for (const auto& schema : scope.schemas.empty() ? every_schema : scope.schemas) {
        declared_at.try_emplace({resolve(role), schema, scope.objects}, Origin{decl.pos, ""});
        for (const auto& grantee : scope.grantees)
          named.try_emplace({resolve(role), schema, scope.objects, resolve(grantee)}, Origin{decl.pos, ""});
      }
  }
  std::map<Key, const DefaultPrivileges*> want, have;
  for (const auto& p : norm_.default_privileges) want[{p.role, p.schema, p.objects}] = &p;
  for (const auto& p : live_.default_privileges) have[{p.role, p.schema, p.objects}] = &p;
  std::set<Key> keys;
  for (const auto& [k, p] : want) keys.insert(k);
  for (const auto& [k, p] : have) keys.insert(k);
  const bool drop = d_.settings.undeclared_objects == "drop";

  for (const auto& key : keys) {
    const auto& [role, schema, objects] = key;
    const std::set<std::string> none;
    const auto& w = want.count(key) ? want.at(key)->items : none;
    const auto& h = have.count(key) ? have.at(key)->items : none;
    DefaultPrivileges described;
    described.role = role;
    described.schema = schema;
    described.objects = objects;
    const auto what = described.describe();
    auto& after = defaults_after_[key];
    // (REVOKE?, grantee, grant option, declared?) -> privileges
    std::map<std::tuple<bool, std::string, bool, bool>, std::set<std::string>> statements;
    std::set<std::string> kept;
    for (const auto& text : w) {
      after.insert(text);
      if (h.count(text)) continue;
      const auto i = parse_item(text);
      statements[{!i.granted, i.grantee, i.grant_option && i.granted, true}].insert(i.privilege);
    }
    for (const auto& text : h) {
      if (w.count(text)) continue;
      const auto i = parse_item(text);
      const bool spoken_of = named.count({role, schema, objects, i.grantee}) > 0;
      if (!spoken_of && !(drop && have.at(key)->alterable)) {
        after.insert(text);
        kept.insert(i.grantee);
        continue;
      }
      statements[{i.granted, i.grantee, i.grant_option && !i.granted, spoken_of}].insert(i.privilege);
    }
    for (const auto& grantee : kept) plan_.unmanaged_objects.push_back(what + " to " + grantee);
    if (statements.empty()) continue;
    const int g = group();
    const auto prefix = fmt::format("ALTER DEFAULT PRIVILEGES FOR ROLE {}{}", quote_ident(role),
                                    schema.empty() ? "" : " IN SCHEMA " + quote_ident(schema));
    const auto origin = declared_at.count(key) ? declared_at.at(key) : Origin{};
    // Revokes first: a grant option changed is a revoke of the privilege, then its grant.
    for (const bool revoke : {true, false})
      for (const auto& [k, privileges] : statements) {
        const auto& [is_revoke, grantee, grant_option, declared] = k;
        if (is_revoke != revoke) continue;
        std::string list;
        for (const auto& p : privileges) list += (list.empty() ? "" : ", ") + p;
        const auto sql = revoke ? fmt::format("{} REVOKE {} ON {} FROM {}", prefix, list, objects, grantee_sql(grantee))
                                : fmt::format("{} GRANT {} ON {} TO {}{}", prefix, list, objects, grantee_sql(grantee),
                                              grant_option ? " WITH GRANT OPTION" : "");
        auto& s = add(
            Phase::Infrastructure, "",
            fmt::format("{} {} {} {}: {}", revoke ? "revoke" : "grant", list, revoke ? "from" : "to", grantee, what),
            sql, "none (only objects created later are affected)", g,
            declared ? named.at({role, schema, objects, grantee}) : origin, {"authz-change"});
        s.locks_existing = false;
        if (!declared && revoke) undeclared(s, "default privilege grant", what + " to " + grantee);
      }
  }
}

Grants Planner::inherited_grants(const std::string& schema, const std::string& objects) const {
  // Who applies creates the table: live's current user.
  const std::string& owner = live_.current_user;
  Grants out;
  for (const auto& where : {std::string{}, schema}) {
    auto it = defaults_after_.find({owner, where, objects});
    if (it == defaults_after_.end()) continue;
    for (const auto& text : it->second) {
      const auto i = parse_item(text);
      if (i.granted && i.grantee != owner) out[i.grantee].insert(i.privilege);
    }
  }
  return out;
}

}  // namespace schemac::planner
