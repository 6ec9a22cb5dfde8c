// Triggers of existing tables: created or replaced (dropped first before
// PostgreSQL 14), and undeclared ones dropped: the runtime's own quietly (its
// flag went), anyone else's with hazard drops-undeclared.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"
#include "runtime/runtime.hpp"

namespace schemac::planner {

void Planner::triggers(const Table& t, const Table& norm, const Table& live) {
  int g = 0;
  for (const auto& tr : t.triggers) {
    const Trigger* lt = live.trigger(tr.name);
    const Trigger* nt = norm.trigger(tr.name);
    if (lt && nt && lt->definition == nt->definition) {
      if (lt->firing != nt->firing)
        add(Phase::Triggers, t.name.display(),
            fmt::format("set trigger {} to {}", tr.name, nt->firing.empty() ? "ENABLE" : nt->firing),
            ddl::trigger_firing(t.name, *nt), kShareRowExclusive, g ? g : (g = group()), tr.origin);
      continue;
    }
    if (!g) g = group();
    if (lt && d_.settings.postgres < 14)
      add(Phase::Triggers, t.name.display(), "drop trigger " + tr.name + " to replace it",
          fmt::format("DROP TRIGGER {} ON {}", quote_ident(tr.name), t.name.sql()), kAccessExclusive, g, tr.origin);
    add(Phase::Triggers, t.name.display(), fmt::format("{} trigger {}", lt ? "replace" : "create", tr.name),
        ddl::create_trigger(t.name, tr, lt && d_.settings.postgres >= 14), kShareRowExclusive, g, tr.origin);
    if (nt && nt->firing != (lt ? lt->firing : std::string{}))
      add(Phase::Triggers, t.name.display(), "set when trigger " + tr.name + " fires", ddl::trigger_firing(t.name, *nt),
          kShareRowExclusive, g, tr.origin);
  }
}

bool Planner::calls_runtime(const Trigger& live) const {
  for (const char* fn : runtime::kTriggerFunctions) {
    const QualifiedName q{d_.settings.runtime_schema, fn};
    // pg_get_triggerdef quotes a schema only where it must.
    for (const auto& call : {"FUNCTION " + q.sql() + "(", "FUNCTION " + q.display() + "("})
      if (live.definition.find(call) != std::string::npos) return true;
  }
  return false;
}

void Planner::drop_undeclared_triggers(const Table& t, const Table& live) {
  const auto name = t.name.display();
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
}

// Triggers the .sql declarations put on tables outside project.schemas
// (on_auth_user_created on auth.users): created or replaced; the table's other
// triggers are not schemac's and are left alone, listed.
void Planner::external_triggers() {
  for (const auto& [table, triggers] : norm_.external_triggers) {
    static const std::vector<Trigger> none;
    auto it = live_.external_triggers.find(table);
    const auto& live = it == live_.external_triggers.end() ? none : it->second;
    auto live_trigger = [&](const std::string& n) -> const Trigger* {
      for (const auto& t : live)
        if (t.name == n) return &t;
      return nullptr;
    };
    for (const auto& tr : triggers) {
      if (!tr.origin.known()) continue;  // not a declared one (the scratch database has no others)
      const Trigger* lt = live_trigger(tr.name);
      if (lt && lt->definition == tr.definition) continue;
      int g = group();
      if (lt && d_.settings.postgres < 14)
        add(Phase::Triggers, table.display(), "drop trigger " + tr.name + " to replace it",
            fmt::format("DROP TRIGGER {} ON {}", quote_ident(tr.name), table.sql()), kShareRowExclusive, g, tr.origin);
      add(Phase::Triggers, table.display(), fmt::format("{} trigger {}", lt ? "replace" : "create", tr.name),
          ddl::create_trigger(table, tr, lt && d_.settings.postgres >= 14), kShareRowExclusive, g, tr.origin);
    }
    for (const auto& lt : live)
      if (std::none_of(triggers.begin(), triggers.end(), [&](const Trigger& t) { return t.name == lt.name; }))
        plan_.unmanaged_objects.push_back(fmt::format("trigger {} on {}", lt.name, table.display()));
  }
}

}  // namespace schemac::planner
