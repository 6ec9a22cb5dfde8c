// Triggers of existing tables: created or replaced (dropped first before
// PostgreSQL 14), and undeclared ones dropped: the runtime's own quietly (its
// flag went), anyone else's with hazard drops-undeclared.
#include <fmt/format.h>

#include <cctype>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"
#include "runtime/runtime.hpp"

namespace schemac::planner {

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

void Planner::triggers(const Table& t, const Table& norm, const Table& live) {
  int g = 0;
  for (const auto& tr : t.triggers) {
    const Trigger* lt = live.trigger(tr.name);
    const Trigger* nt = norm.trigger(tr.name);
    if (lt && nt && lt->definition == nt->definition) {
      if (lt->firing != nt->firing)
        add(Phase::Triggers, t.name.display(),
            fmt::format("{} trigger {}", nt->firing.empty() ? "enable" : lower(nt->firing), tr.name),
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

}  // namespace schemac::planner
