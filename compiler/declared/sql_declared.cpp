#include "compiler/declared/sql_declared.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "schema/sql_written.hpp"

namespace schemac {

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

bool grants_exactly(const Desired& d, const std::string& role) {
  // Supabase's default privileges grant every new table and function to its
  // API roles; a declaration that does not name them leaves those grants be.
  static const std::set<std::string> supabase_api = {"anon", "authenticated", "service_role"};
  return d.settings.target != "supabase" || !supabase_api.count(role) || names_role(d, role);
}

bool names_role(const Desired& d, const std::string& role) {
  const auto w = lower(role);
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (const auto& decl : d.sql) {
    if (decl.kind != "grant" && decl.kind != "revoke" && decl.kind != "default privileges") continue;
    const auto t = lower(decl.sql);
    for (auto at = t.find(w); at != std::string::npos; at = t.find(w, at + 1))
      if ((at == 0 || !is_word(t[at - 1])) && (at + w.size() == t.size() || !is_word(t[at + w.size()]))) return true;
  }
  return false;
}

namespace {

const char* decl_kind(ObjectKind kind) {
  return object_kind_name(kind);  // the parser names kinds the same way
}

class Origins {
 public:
  explicit Origins(const Desired& d) : default_schema_(d.settings.default_schema()) {
    for (const auto& decl : d.sql) {
      if (decl.name.name.empty()) continue;
      // The first statement that names it is where it is declared.
      by_name_.try_emplace({decl.kind, qualify(decl.name), qualify(decl.table)}, decl.pos);
    }
  }
  Origin find(const std::string& kind, const QualifiedName& name, const QualifiedName& table = {}) const {
    auto it = by_name_.find({kind, qualify(name), qualify(table)});
    return it == by_name_.end() ? Origin{} : Origin{it->second, ""};
  }
  QualifiedName qualify(const QualifiedName& n) const {
    if (n.name.empty()) return {};
    return {n.schema.empty() ? default_schema_ : n.schema, n.name};
  }

 private:
  std::string default_schema_;
  std::map<std::tuple<std::string, QualifiedName, QualifiedName>, SourcePos> by_name_;
};

}  // namespace

void refuse_unpinned_definers(const Catalog& normalized, Diagnostics& diags) {
  for (const auto& o : normalized.objects) {
    if ((o.kind != ObjectKind::Function && o.kind != ObjectKind::Procedure) || !o.origin.known()) continue;
    // pg_get_functiondef's header, one clause a line, before the body.
    const auto header = o.definition.substr(0, o.definition.find("\nAS ") + 1);
    if (header.find("\n SECURITY DEFINER\n") != std::string::npos &&
        header.find("\n SET search_path TO ") == std::string::npos)
      diags.error(o.origin.pos, fmt::format("{}: {}", o.key(), kUnpinnedDefinerMessage), kUnpinnedDefinerHelp);
  }
}

void adopt_sql_declarations(Desired& d, Catalog& normalized, const Catalog& live) {
  if (d.sql.empty()) return;
  const Origins origins(d);
  const auto written = written_expressions(d.sql, d.settings.default_schema());
  for (auto& o : normalized.objects)
    if (!o.origin.known()) o.origin = origins.find(decl_kind(o.kind), o.name);
  for (auto& [table, triggers] : normalized.external_triggers)
    for (auto& tr : triggers) tr.origin = origins.find("trigger", {"", tr.name}, table);
  for (const auto& nt : normalized.tables) {
    if (Table* toml = d.catalog.table(nt.name)) {
      // A TOML table's triggers may be declared in SQL (the language has no
      // trigger key): they are the table's, declared where the statement is.
      for (const auto& tr : nt.triggers) {
        if (toml->trigger(tr.name)) continue;
        Trigger declared = tr;
        declared.origin = origins.find("trigger", {"", tr.name}, nt.name);
        if (declared.origin.known()) toml->triggers.push_back(std::move(declared));
      }
      continue;
    }
    Table t = nt;
    t.origin = origins.find("table", t.name);
    if (!t.origin.known()) continue;  // made by something else (a stand-in, the runtime)
    // Checks and defaults as written, for apply to send (schema/sql_written.hpp);
    // the normalized table keeps what the catalog printed, for comparing.
    for (auto& c : t.columns) {
      c.origin = t.origin;
      if (auto it = written.defaults.find({t.name, c.name}); it != written.defaults.end() && c.default_expr)
        c.default_expr = it->second;
    }
    for (auto& c : t.constraints) {
      c.origin = t.origin;
      if (auto it = written.checks.find({t.name, c.name});
          it != written.checks.end() && c.kind == ConstraintKind::Check)
        c.expression = it->second;
    }
    // A primary key's or unique constraint's index comes with the constraint.
    std::erase_if(t.indexes, [](const Index& i) { return i.backs_constraint; });
    for (auto& i : t.indexes) {
      i.origin = origins.find("index", {"", i.name}, t.name);
      if (!i.origin.known()) i.origin = t.origin;
    }
    for (auto& tr : t.triggers) {
      tr.origin = origins.find("trigger", {"", tr.name}, t.name);
      if (!tr.origin.known()) tr.origin = t.origin;
    }
    for (auto& p : t.policies) {
      p.origin = origins.find("policy", {"", p.name}, t.name);
      if (!p.origin.known()) p.origin = t.origin;
    }
    // Grants: exactly those the declarations make, for every role (see grants_exactly).
    // A column's grants count as the role's: REVOKE on the table takes them too.
    for (const auto& [role, privileges] : t.grants) t.exact_grant_roles.insert(role);
    for (const auto& c : t.columns)
      for (const auto& [role, privileges] : c.grants) t.exact_grant_roles.insert(role);
    if (const Table* lt = live.table(t.name)) {
      for (const auto& [role, privileges] : lt->grants)
        if (grants_exactly(d, role)) t.exact_grant_roles.insert(role);
      for (const auto& c : lt->columns)
        for (const auto& [role, privileges] : c.grants)
          if (grants_exactly(d, role)) t.exact_grant_roles.insert(role);
    }
    // The stand-in for normalized forms is the table itself: declared and normalized are the same text.
    d.catalog.tables.push_back(std::move(t));
  }
  std::sort(d.catalog.tables.begin(), d.catalog.tables.end(),
            [](const Table& a, const Table& b) { return a.name < b.name; });
}

}  // namespace schemac
