// A table that a publication sends UPDATEs or DELETEs of needs a replica
// identity: without one (REPLICA IDENTITY NOTHING, or DEFAULT and no primary
// key) PostgreSQL refuses every UPDATE and DELETE on it ("cannot update table
// ... because it does not have a replica identity and publishes updates").
// A plan that brings a table there (adds it to such a publication, drops its
// identity) carries the blocking hazard replica-identity-missing on that step.
#include <fmt/format.h>

#include <map>
#include <set>

#include "compiler/planner/planner.hpp"

namespace schemac::planner {

namespace {

// Whether the publication sends UPDATE or DELETE: its publish option
// ("publish = 'insert, update, delete, truncate', ...") says, all by default.
bool publishes_changes(const Publication& p) {
  const std::string key = "publish = '";
  const auto at = p.options.find(key);
  if (at == std::string::npos) return true;
  const auto list = p.options.substr(at + key.size(), p.options.find('\'', at + key.size()) - at - key.size());
  return list.find("update") != std::string::npos || list.find("delete") != std::string::npos;
}

std::set<QualifiedName> sending_changes(const std::map<std::string, Publication>& publications,
                                        const std::vector<Table>& tables) {
  std::set<QualifiedName> out;
  for (const auto& [name, p] : publications) {
    if (!publishes_changes(p)) continue;
    for (const auto& t : p.tables) out.insert(t.table);
    for (const auto& t : tables)
      if (p.all_tables || std::find(p.schemas.begin(), p.schemas.end(), t.name.schema) != p.schemas.end())
        out.insert(t.name);
  }
  return out;
}

bool without_identity(const Table& t, const std::string& identity) {
  return identity == "NOTHING" || ((identity.empty() || identity == "DEFAULT") && !t.primary_key());
}

}  // namespace

void Planner::replicated_writes() {
  std::map<std::string, Publication> before, after;
  for (const auto& p : live_.publications) before[p.name] = after[p.name] = p;
  for (const auto& [name, whole] : declared_publications()) {
    const Publication* want = nullptr;
    for (const auto& p : norm_.publications)
      if (p.name == name) want = &p;
    if (!want) continue;
    if (whole || !after.count(name)) {
      after[name] = *want;
      continue;
    }
    // Only ALTER PUBLICATION ... ADD TABLE: its live tables stay too.
    for (const auto& t : want->tables)
      if (std::find(after[name].tables.begin(), after[name].tables.end(), t) == after[name].tables.end())
        after[name].tables.push_back(t);
  }
  const auto sent_before = sending_changes(before, live_.tables);
  const auto sent_after = sending_changes(after, d_.catalog.tables);
  for (const auto& t : d_.catalog.tables) {
    if (!sent_after.count(t.name)) continue;
    const Table* live = renamed_.table(t.name);
    auto identity = wanted_replica_identity(t);
    if (identity.empty()) identity = live ? live->replica_identity : "DEFAULT";
    if (!without_identity(t, identity)) continue;
    if (live && sent_before.count(t.name) && without_identity(*live, live->replica_identity)) continue;  // already so
    // The step that brings it there: the one adding it to a publication, the
    // one changing its identity, else the first step on the table.
    Step* cause = nullptr;
    for (auto& s : plan_.steps)
      if ((s.sql.rfind("ALTER PUBLICATION", 0) == 0 && s.sql.find(" ADD TABLE " + t.name.sql()) != std::string::npos) ||
          (s.sql.rfind("CREATE PUBLICATION", 0) == 0 && s.sql.find(t.name.sql()) != std::string::npos) ||
          (s.table == t.name.display() && s.sql.find("REPLICA IDENTITY") != std::string::npos)) {
        cause = &s;
        break;
      }
    for (auto it = plan_.steps.begin(); !cause && it != plan_.steps.end(); ++it)
      if (it->table == t.name.display()) cause = &*it;
    if (cause) cause->hazards.push_back("replica-identity-missing");
  }
}

}  // namespace schemac::planner
