// Comments on a table's indexes, constraints, triggers and policies, each in
// its object's phase (after the object exists). TOML cannot write them, so on
// a TOML table a live comment is left alone unless a .sql file declares one;
// on a table declared in SQL the declarations say all, and one no file
// writes is removed. Tables and columns: columns.cpp.
#include <fmt/format.h>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac {

namespace {
bool declared_in_sql(const Table& t) {
  const auto& file = t.origin.pos.file;
  return file.size() > 4 && file.compare(file.size() - 4, 4, ".sql") == 0;
}
}  // namespace

std::vector<Statement> object_comments(const Table& t, const Table* live, bool new_table_policies) {
  std::vector<Statement> out;
  const bool whole = declared_in_sql(t);
  auto compare = [&](const std::optional<std::string>& wanted, const std::optional<std::string>* current,
                     const std::string& target, const std::string& what, const Origin& origin) {
    const std::optional<std::string> none;
    const auto& now = current ? *current : none;
    if (wanted == now || (!wanted && !whole)) return;
    out.push_back({ddl::comment_on(target, wanted), origin, "comment on " + what});
  };
  const auto on_table = " ON " + t.name.sql();
  for (const auto& i : t.indexes) {
    const Index* li = live ? live->index(i.name) : nullptr;
    compare(i.comment, li ? &li->comment : nullptr, "INDEX " + QualifiedName{t.name.schema, i.name}.sql(),
            "index " + i.name, i.origin);
  }
  for (const auto& c : t.constraints) {
    const Constraint* lc = live ? live->constraint(c.name) : nullptr;
    compare(c.comment, lc ? &lc->comment : nullptr, "CONSTRAINT " + quote_ident(c.name) + on_table,
            "constraint " + c.name, c.origin);
  }
  for (const auto& tr : t.triggers) {
    const Trigger* lt = live ? live->trigger(tr.name) : nullptr;
    compare(tr.comment, lt ? &lt->comment : nullptr, "TRIGGER " + quote_ident(tr.name) + on_table, "trigger " + tr.name,
            tr.origin);
  }
  for (const auto& p : t.policies) {
    const Policy* lp = live ? live->policy(p.name) : nullptr;
    compare(p.comment, lp ? &lp->comment : nullptr, "POLICY " + quote_ident(p.name) + on_table, "policy " + p.name,
            p.origin);
    if (new_table_policies && !out.empty() && out.back().what == "comment on policy " + p.name)
      out.back().after_all_tables = true;  // with the policy it describes
  }
  return out;
}

namespace planner {

void Planner::comments(const Table& t, const Table& live) {
  const auto name = t.name.display();
  // Each comment in the phase of the object it describes, after that object's steps.
  auto phase_of = [](const std::string& sql) {
    auto starts = [&](const char* prefix) { return sql.rfind(prefix, 0) == 0; };
    return starts("COMMENT ON INDEX ")        ? Phase::Indexes
           : starts("COMMENT ON CONSTRAINT ") ? Phase::Constraints
           : starts("COMMENT ON TRIGGER ")    ? Phase::Triggers
                                              : Phase::Rls;  // COMMENT ON POLICY
  };
  for (auto& st : object_comments(t, &live, false))
    add(phase_of(st.sql), name, st.what, st.sql, kShareUpdateExclusive, group(), st.origin);
}

}  // namespace planner
}  // namespace schemac
