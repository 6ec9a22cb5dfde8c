#include "compiler/live_dependencies.hpp"

#include <fmt/format.h>

#include <set>

#include "schema/sql_syntax.hpp"

namespace schemac {

LiveDependencies read_live_dependencies(Db& live, const Desired& d) {
  std::set<std::string> functions;
  std::set<std::pair<SqlFragment, std::string>> seen;  // generated policies repeat across tables
  auto collect = [&](SqlFragment kind, const std::string& text) {
    if (text.empty() || !seen.insert({kind, text}).second) return;
    for (auto& f : called_functions(kind, text)) functions.insert(f);
  };
  for (const auto& t : d.catalog.tables) {
    for (const auto& c : t.columns)
      if (c.default_expr) collect(SqlFragment::Expression, *c.default_expr);
    for (const auto& c : t.constraints) collect(SqlFragment::Expression, c.expression);
    for (const auto& i : t.indexes) {
      collect(SqlFragment::Expression, i.where);
      for (const auto& k : i.keys) collect(SqlFragment::IndexKey, k);
    }
    for (const auto& p : t.policies) {
      collect(SqlFragment::Expression, p.using_expr);
      collect(SqlFragment::Expression, p.check_expr);
    }
  }
  std::set<std::string> owned;
  for (const auto& f : d.catalog.functions) owned.insert(f.name.schema + "." + f.name.name);

  LiveDependencies out;
  std::set<std::string> schemas;
  const std::string user_objects =
      "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.objid = {}.oid AND e.deptype = 'e')";
  for (const auto& r : live.query(fmt::format(
           "SELECT n.nspname, CASE t.typtype WHEN 'e' THEN format('CREATE TYPE %I.%I AS ENUM (%s)', n.nspname, "
           "t.typname, "
           "(SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e "
           "WHERE e.enumtypid = t.oid)) ELSE format('CREATE DOMAIN %I.%I AS %s%s%s', n.nspname, t.typname, "
           "pg_catalog.format_type(t.typbasetype, t.typtypmod), CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END, "
           "COALESCE((SELECT ' ' || string_agg(pg_catalog.pg_get_constraintdef(c.oid), ' ') FROM "
           "pg_catalog.pg_constraint c "
           "WHERE c.contypid = t.oid), '')) END "
           "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
           "WHERE t.typtype IN ('e', 'd') AND {} ORDER BY t.typtype DESC, 1, t.typname",
           fmt::format(fmt::runtime(user_objects), "t")))) {
    schemas.insert(r[0].as<std::string>());
    out.statements.push_back(r[1].as<std::string>());
  }
  std::string names;
  for (const auto& f : functions) names += (names.empty() ? "" : ", ") + quote_literal(f);
  if (names.empty()) names = "NULL";
  for (const auto& r : live.query(
           fmt::format("SELECT n.nspname, p.proname, pg_catalog.pg_get_functiondef(p.oid) FROM pg_catalog.pg_proc p "
                       "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                       "WHERE p.prokind = 'f' AND p.proname IN ({}) AND {} ORDER BY 1, 2, p.oid",
                       names, fmt::format(fmt::runtime(user_objects), "p")))) {
    if (owned.count(r[0].as<std::string>() + "." + r[1].as<std::string>())) continue;
    schemas.insert(r[0].as<std::string>());
    out.statements.push_back(r[2].as<std::string>());
  }
  out.schemas.assign(schemas.begin(), schemas.end());
  return out;
}

}  // namespace schemac
