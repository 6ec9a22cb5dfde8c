// Publications (logical replication; Supabase Realtime's supabase_realtime):
// CREATE PUBLICATION, ALTER PUBLICATION ... ADD / DROP TABLE and SET (...).
// A publication declared with CREATE PUBLICATION is declared whole: its
// tables and options follow the declaration. One only declared by ALTER
// PUBLICATION ... ADD TABLE (the platform creates supabase_realtime) gets the
// tables the declarations add; its other tables and options are left alone
// (unless project.undeclared_objects = "drop"), and it is never dropped.
// A publication no declaration names is kept and listed, or dropped with
// undeclared_objects = "drop".
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

namespace {

const PublishedTable* published(const Publication& p, const QualifiedName& table) {
  for (const auto& t : p.tables)
    if (t.table == table) return &t;
  return nullptr;
}

}  // namespace

std::map<std::string, bool> Planner::declared_publications() const {
  std::map<std::string, bool> out;
  for (const auto& decl : d_.sql) {
    if (decl.kind == "publication") out[decl.name.name] = true;
    if (decl.kind == "alter publication") out.try_emplace(decl.name.name, false);
  }
  return out;
}

void Planner::publications() {
  std::map<std::string, Origin> created, altered;  // by name: the first statement that names it
  for (const auto& decl : d_.sql) {
    if (decl.kind == "publication") created.try_emplace(decl.name.name, Origin{decl.pos, ""});
    if (decl.kind == "alter publication") altered.try_emplace(decl.name.name, Origin{decl.pos, ""});
  }
  const bool drop = d_.settings.undeclared_objects == "drop";
  std::map<std::string, const Publication*> live;
  for (const auto& p : live_.publications) live[p.name] = &p;
  const auto lock_tables = kShareUpdateExclusive;

  for (const auto& want : norm_.publications) {
    const bool whole = created.count(want.name) > 0;
    if (!whole && !altered.count(want.name)) continue;  // not declared (a --dev-url database's own)
    const Origin origin = whole ? created.at(want.name) : altered.at(want.name);
    const auto name = quote_ident(want.name);
    auto it = live.find(want.name);
    const Publication* have = it == live.end() ? nullptr : it->second;
    if (!have) {
      add(Phase::Infrastructure, "", "create publication " + want.name, ddl::create_publication(want), lock_tables,
          group(), origin);
      continue;
    }
    live.erase(it);
    if (have->all_tables || want.all_tables) {
      if (whole && have->all_tables != want.all_tables) {
        const int g = group();
        add(Phase::Infrastructure, "", "drop publication " + want.name + " to create it again",
            "DROP PUBLICATION " + name, "none (subscribers see the publication go and come back)", g, origin);
        add(Phase::Infrastructure, "", "create publication " + want.name, ddl::create_publication(want), lock_tables, g,
            origin);
      }
      continue;
    }
    const int g = group();
    for (const auto& t : want.tables) {
      const auto* h = published(*have, t.table);
      if (h && *h == t) continue;
      if (h)
        add(Phase::Infrastructure, "",
            fmt::format("drop {} from publication {} (to add it with its new columns or "
                        "row filter)",
                        t.table.display(), want.name),
            fmt::format("ALTER PUBLICATION {} DROP TABLE {}", name, t.table.sql()), lock_tables, g, origin);
      add(Phase::Infrastructure, "", fmt::format("add {} to publication {}", t.table.display(), want.name),
          fmt::format("ALTER PUBLICATION {} ADD TABLE {}", name, ddl::published_table(t)), lock_tables, g, origin);
    }
    for (const auto& s : want.schemas)
      if (std::find(have->schemas.begin(), have->schemas.end(), s) == have->schemas.end())
        add(Phase::Infrastructure, "", fmt::format("add the tables of schema {} to publication {}", s, want.name),
            fmt::format("ALTER PUBLICATION {} ADD TABLES IN SCHEMA {}", name, quote_ident(s)), lock_tables, g, origin);
    // What the publication has that the declarations do not: dropped when it is declared whole.
    for (const auto& t : have->tables)
      if (!published(want, t.table)) {
        if (!whole && !drop) {
          plan_.unmanaged_objects.push_back(fmt::format("publication {} table {}", want.name, t.table.display()));
          continue;
        }
        auto& s =
            add(Phase::Infrastructure, "", fmt::format("drop {} from publication {}", t.table.display(), want.name),
                fmt::format("ALTER PUBLICATION {} DROP TABLE {}", name, t.table.sql()), lock_tables, g, origin);
        if (!whole) undeclared(s, "publication table", want.name + " " + t.table.display());
      }
    for (const auto& sc : have->schemas)
      if (std::find(want.schemas.begin(), want.schemas.end(), sc) == want.schemas.end() && (whole || drop)) {
        auto& s = add(Phase::Infrastructure, "", fmt::format("drop schema {} from publication {}", sc, want.name),
                      fmt::format("ALTER PUBLICATION {} DROP TABLES IN SCHEMA {}", name, quote_ident(sc)), lock_tables,
                      g, origin);
        if (!whole) undeclared(s, "publication table", want.name + " schema " + sc);
      }
    if (whole && want.options != have->options)
      add(Phase::Infrastructure, "", "set the options of publication " + want.name,
          fmt::format("ALTER PUBLICATION {} SET ({})", name, want.options), "none", g, origin);
  }
  // Publications no declaration names.
  for (const auto& [n, p] : live) {
    if (!drop || !p->owned) {  // one whose owner who plans is not (the platform's) could not be dropped anyway
      plan_.unmanaged_objects.push_back("publication " + n);
      continue;
    }
    auto& s = add(Phase::Contract, "", "drop publication " + n + " (no file declares it)",
                  "DROP PUBLICATION " + quote_ident(n), "none (subscribers stop receiving its changes)", group(), {});
    undeclared(s, "publication", n);
  }
}

}  // namespace schemac::planner
