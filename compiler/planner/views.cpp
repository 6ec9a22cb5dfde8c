// Views and materialized views. CREATE OR REPLACE VIEW keeps the view
// readable throughout, but only while the old columns stay, in order, with
// their types (new ones may follow); anything else is DROP and CREATE in one
// transaction. A materialized view with a new query is built beside the live
// one, indexed, and swapped in by renames at the end of the same transaction
// (swap_materialized_view), so it stays readable while the query runs.
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

// A name as PostgreSQL prints it ("Mixed""Case" or plain) back to the name itself.
std::string unquoted(const std::string& printed) {
  if (printed.empty() || printed[0] != '"') return printed;
  std::string out;
  for (std::size_t i = 1; i + 1 < printed.size(); ++i) {
    out += printed[i];
    if (printed[i] == '"') ++i;
  }
  return out;
}

// name + suffix, within PostgreSQL's 63-byte names (cut on a character boundary).
std::string with_suffix(std::string name, const std::string& suffix) {
  const std::size_t room = 63 - suffix.size();
  if (name.size() > room) {
    std::size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name.resize(cut);
  }
  return name + suffix;
}

const char* kSwapSuffix = "_schemac_new";
const char* kRefreshHazard = "refresh-concurrently-fails";
}  // namespace

bool refreshable_concurrently(const std::vector<std::string>& indexes) {
  return std::any_of(indexes.begin(), indexes.end(), [](const std::string& i) {
    return i.rfind("CREATE UNIQUE INDEX ", 0) == 0 && i.find(" WHERE ") == std::string::npos;
  });
}

void swap_materialized_view(const SchemaObject& want, const SchemaObject& live, StepBuilder& b, int group,
                            std::vector<Step>& out) {
  const QualifiedName fresh{want.name.schema, with_suffix(want.name.name, kSwapSuffix)};
  const std::string name = want.name.display();
  auto add = [&](std::string summary, std::string sql, std::string lock) -> Step& {
    auto& s = b.add(out, std::move(summary), std::move(sql), std::move(lock), false);
    s.group = group;
    return s;
  };
  const std::string created = "CREATE MATERIALIZED VIEW " + want.name.sql();
  auto& build =
      add(fmt::format("build materialized view {}'s new query beside it, as {}", name, fresh.name),
          "CREATE MATERIALIZED VIEW " + fresh.sql() + want.definition.substr(created.size()),
          fmt::format("ACCESS SHARE on the tables it reads (reads and writes go on; {} stays readable with its old "
                      "rows while the query runs)",
                      name));
  if (refreshable_concurrently(live.indexes) && !refreshable_concurrently(want.indexes))
    build.hazards.push_back(kRefreshHazard);
  std::vector<std::pair<std::string, std::string>> renames;  // fresh index name, printed final name
  for (const auto& i : want.indexes) {
    const auto printed = name_after(i, "INDEX ");
    const auto temporary = with_suffix(unquoted(printed), kSwapSuffix);
    const auto at = i.find("INDEX ") + 6;
    const auto using_at = i.find(" USING ", at);
    add(fmt::format("index the new {}", name),
        i.substr(0, at) + quote_ident(temporary) + " ON " + fresh.sql() + i.substr(using_at),
        "none on existing objects (nobody reads the new one yet)");
    renames.emplace_back(temporary, printed);
  }
  add(fmt::format("drop the old {}", name), drop_statement(live),
      fmt::format("ACCESS EXCLUSIVE on {} (brief: from here to commit, a moment; queries on it wait, then read the new "
                  "one)",
                  name));
  add(fmt::format("put the new {} in its place", name),
      fmt::format("ALTER MATERIALIZED VIEW {} RENAME TO {}", fresh.sql(), quote_ident(want.name.name)),
      "ACCESS EXCLUSIVE on the new one (nobody reads it yet)");
  for (const auto& [temporary, printed] : renames)
    add(fmt::format("give the new {}'s index its name", name),
        fmt::format("ALTER INDEX {}.{} RENAME TO {}", quote_ident(want.name.schema), quote_ident(temporary), printed),
        "none on existing objects");
}

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
    const bool loses_refresh = refreshable_concurrently(live.indexes) && !refreshable_concurrently(want.indexes);
    for (const auto& sql : drops) {
      auto& s = b.add(out.steps, "drop an index of materialized view " + want.name.display() + " no file declares", sql,
                      "SHARE UPDATE EXCLUSIVE (reads continue)", false);
      s.transactional = false;
      if (loses_refresh) s.hazards.push_back(kRefreshHazard);
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
