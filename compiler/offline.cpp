#include "compiler/offline.hpp"

#include <fmt/format.h>

#include "compiler/ddl.hpp"
#include "schema/sql_syntax.hpp"

namespace schemac {

Catalog as_if_live(const Desired& d) {
  Catalog out = d.catalog;
  for (auto& t : out.tables) {
    t.row_estimate = -1;  // unknown: hazards that depend on rows are shown
    for (auto& c : t.constraints) {
      auto clause = ddl::constraint_clause(c);
      c.definition = clause.substr(clause.find(' ', clause.find(' ') + 1) + 1);  // without "CONSTRAINT name"
    }
    for (auto& i : t.indexes) i.definition = ddl::create_index(t.name, i, false);
    for (auto& tr : t.triggers) tr.definition = ddl::create_trigger(t.name, tr, false);
    for (auto& p : t.policies) {
      std::set<std::string> used;
      for (const auto* e : {&p.using_expr, &p.check_expr})
        for (auto& c : referenced_columns(SqlFragment::Expression, *e)) used.insert(c);
      p.columns_used.assign(used.begin(), used.end());
    }
  }
  for (auto& f : out.functions) f.definition = f.create_sql;
  for (const auto& [role, attrs] : d.role_attributes) out.roles.insert(role);
  for (const auto& r : d.required_roles) out.roles.insert(r);
  out.schemas.insert("auth");
  return out;
}

}  // namespace schemac
