// Views and materialized views. CREATE OR REPLACE VIEW keeps the view
// readable throughout, but only while the old columns stay, in order, with
// their types (new ones may follow). Anything else, and every change to a
// materialized view's query, is DROP and CREATE in one transaction.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/planner/object_changes.hpp"

namespace schemac::objects {

namespace {
// "CREATE UNIQUE INDEX name ON ..." -> "name" as printed (quoted when needed);
// the same for "CREATE TRIGGER name ...".
std::string name_after(const std::string& def, const char* word) {
  auto at = def.find(word) + std::string(word).size();
  if (def[at] == '"') {
    auto end = at + 1;
    while (end < def.size() && !(def[end] == '"' && (end + 1 == def.size() || def[end + 1] != '"')))
      end += def[end] == '"' ? 2 : 1;
    return def.substr(at, end + 1 - at);
  }
  return def.substr(at, def.find(' ', at) - at);
}
}  // namespace

std::string concurrent_index(const std::string& definition) {
  auto at = definition.find("INDEX ");
  return definition.substr(0, at) + "INDEX CONCURRENTLY " + definition.substr(at + 6);
}

std::vector<std::string> index_steps_sql(const SchemaObject& want, const SchemaObject* live, bool concurrently,
                                         std::vector<std::string>* drops) {
  std::vector<std::string> out;
  for (const auto& i : want.indexes)
    if (!live || std::find(live->indexes.begin(), live->indexes.end(), i) == live->indexes.end())
      out.push_back(concurrently ? concurrent_index(i) : i);
  if (live && drops)
    for (const auto& i : live->indexes)
      if (std::find(want.indexes.begin(), want.indexes.end(), i) == want.indexes.end())
        drops->push_back(
            fmt::format("DROP INDEX CONCURRENTLY {}.{}", quote_ident(want.name.schema), name_after(i, "INDEX ")));
  return out;
}

std::vector<std::string> trigger_steps_sql(const SchemaObject& want, const SchemaObject* live) {
  std::vector<std::string> out;
  if (live)
    for (const auto& t : live->triggers)
      if (std::find(want.triggers.begin(), want.triggers.end(), t) == want.triggers.end())
        out.push_back(fmt::format("DROP TRIGGER {} ON {}", name_after(t, "TRIGGER "), want.name.sql()));
  for (const auto& t : want.triggers)
    if (!live || std::find(live->triggers.begin(), live->triggers.end(), t) == live->triggers.end()) out.push_back(t);
  return out;
}

Change change_view(const SchemaObject& want, const SchemaObject& live, StepBuilder& b) {
  Change out;
  auto triggers = [&] {
    for (const auto& sql : trigger_steps_sql(want, &live))
      b.add(out.steps, "change the triggers of " + want.key(), sql, "ACCESS EXCLUSIVE on the view (brief)");
  };
  if (want.kind == ObjectKind::MaterializedView) {
    if (want.definition != live.definition) {
      out.recreate = true;
      return out;
    }
    std::vector<std::string> drops;
    const auto creates = index_steps_sql(want, &live, true, &drops);
    // Drops first: a changed index keeps its name.
    for (const auto& sql : drops) {
      auto& s = b.add(out.steps, "drop an index of materialized view " + want.name.display() + " no file declares", sql,
                      "SHARE UPDATE EXCLUSIVE (reads continue)", false);
      s.transactional = false;
    }
    for (const auto& sql : creates) {
      auto& s = b.add(out.steps, "add an index to materialized view " + want.name.display(), sql,
                      "SHARE UPDATE EXCLUSIVE (reads continue; REFRESH waits)", false);
      s.transactional = false;
    }
    return out;
  }
  const bool columns_kept = live.values.size() <= want.values.size() &&
                            std::equal(live.values.begin(), live.values.end(), want.values.begin());
  if (!columns_kept) {
    out.recreate = true;
    return out;
  }
  if (want.definition != live.definition)
    b.add(out.steps, "replace view " + want.name.display(), want.definition,
          "ACCESS EXCLUSIVE on the view (brief: queries on it wait)");
  triggers();
  return out;
}

}  // namespace schemac::objects
