#include "compiler/live_dependencies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/catalog/extension_member.hpp"
#include "compiler/ddl.hpp"
#include "schema/sql_syntax.hpp"

namespace schemac {

namespace {

std::vector<QualifiedName> named_external_tables(Db& live, const Desired& d);

// Tables outside project.schemas that foreign keys reference (auth.users):
// they must exist live with the referenced columns; the scratch database gets
// a stand-in holding just those columns and a unique key on them, so the keys
// can be created and normalized there.
void external_tables(Db& live, const Desired& d, LiveDependencies& out, std::set<std::string>& schemas) {
  struct Wanted {
    std::set<std::string> columns;
    std::set<std::vector<std::string>> keys;  // each referenced column list needs a unique key
    const Constraint* fk = nullptr;           // the first key that references it, for errors
    SourcePos trigger_pos;                    // a .sql trigger on it: every column is wanted
    bool whole = false;                       // named by a .sql declaration: every column and key
  };
  std::map<QualifiedName, Wanted> wanted;
  for (const auto& t : d.catalog.tables)
    for (const auto& c : t.constraints)
      if (c.kind == ConstraintKind::ForeignKey && !d.catalog.table(c.ref_table) &&
          d.settings.outside_managed_schemas(c.ref_table)) {
        auto& w = wanted[c.ref_table];
        w.columns.insert(c.ref_columns.begin(), c.ref_columns.end());
        w.keys.insert(c.ref_columns);
        if (!w.fk) w.fk = &c;
      }
  for (const auto& table : d.external_trigger_tables()) {
    auto& w = wanted[table];
    for (const auto& decl : d.sql)
      if (decl.kind == "trigger" && decl.table == table && w.trigger_pos.file.empty()) w.trigger_pos = decl.pos;
  }
  // Tables outside project.schemas that .sql declarations name (a foreign key
  // to auth.users, a view joining it): whole stand-ins, keys included.
  for (const auto& table : named_external_tables(live, d)) wanted[table].whole = true;
  for (const auto& [table, want] : wanted) {
    const auto& columns = want.columns;
    const auto* fk = want.fk;
    std::string names;
    for (const auto& c : columns) names += (names.empty() ? "" : ", ") + quote_literal(c);
    const bool every_column = !want.trigger_pos.file.empty() || want.whole;
    std::map<std::string, std::string> found;
    for (const auto& r : live.query(fmt::format(
             "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
             "WHERE a.attrelid = pg_catalog.to_regclass({}) AND a.attnum > 0 AND NOT a.attisdropped {}",
             quote_literal(table.sql()), every_column ? "" : fmt::format("AND a.attname IN ({})", names))))
      found[r[0].as<std::string>()] = r[1].as<std::string>();
    if (every_column && found.empty()) {
      out.problems.push_back({want.trigger_pos,
                              fmt::format("the trigger is on {}, which the database does not have", table.display()),
                              "schemac puts triggers on tables outside project.schemas but never creates those "
                              "tables: create it first (Supabase's auth.users exists in every project)"});
      continue;
    }
    std::vector<std::string> missing;
    for (const auto& c : columns)
      if (!found.count(c)) missing.push_back(c);
    if (!missing.empty()) {
      out.problems.push_back(
          {fk->origin.pos,
           found.empty() ? fmt::format("foreign key {} references {}, which the database does not have", fk->name,
                                       table.display())
                         : fmt::format("foreign key {} references column {} of {}, which the database does not have",
                                       fk->name, missing.front(), table.display()),
           "schemac does not create tables outside project.schemas: create it first (Supabase's auth.users exists "
           "in every project), or fix the reference"});
      continue;
    }
    std::string defs;
    for (const auto& [name, type] : found)
      defs += fmt::format("{}{} {}", defs.empty() ? "" : ", ", quote_ident(name), type);
    for (const auto& key : want.keys) {
      std::string list;
      for (const auto& c : key) list += (list.empty() ? "" : ", ") + quote_ident(c);
      defs += fmt::format(", UNIQUE ({})", list);
    }
    if (every_column)  // its own primary key and unique constraints, for foreign keys declared in SQL
      for (const auto& r : live.query(fmt::format(
               "SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k "
               "WHERE k.conrelid = pg_catalog.to_regclass({}) AND k.contype IN ('p', 'u') ORDER BY k.conname",
               quote_literal(table.sql()))))
        defs += ", " + r[0].as<std::string>();
    schemas.insert(table.schema);
    out.statements.push_back(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", table.sql(), defs));
    out.copies.push_back({});
  }
}

// Qualified names in the .sql declarations' text whose schema is not managed
// and which the live database has as tables: a cheap scan, checked live.
std::vector<QualifiedName> named_external_tables(Db& live, const Desired& d) {
  std::set<QualifiedName> candidates;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (const auto& decl : d.sql) {
    const auto& t = decl.sql;
    for (std::size_t dot = t.find('.'); dot != std::string::npos; dot = t.find('.', dot + 1)) {
      std::size_t a = dot, b = dot + 1;
      while (a > 0 && ident_char(t[a - 1])) --a;
      while (b < t.size() && ident_char(t[b])) ++b;
      if (a == dot || b == dot + 1) continue;
      QualifiedName n{t.substr(a, dot - a), t.substr(dot + 1, b - dot - 1)};
      for (auto* part : {&n.schema, &n.name})
        for (auto& c : *part) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (d.settings.outside_managed_schemas(n) && n.schema != "pg_catalog") candidates.insert(n);
    }
  }
  if (candidates.empty()) return {};
  const std::string list = name_rows(candidates);
  std::vector<QualifiedName> out;
  for (const auto& r : live.query(fmt::format(
           "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
           "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND (n.nspname::text, c.relname::text) IN "
           "(VALUES {}) ORDER BY 1, 2",
           list)))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>()});
  return out;
}

}  // namespace

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
  // The live extensions, in their schemas (Supabase keeps them in
  // `extensions`): declarations call their functions and use their types.
  for (const auto& r : live.query("SELECT e.extname, n.nspname FROM pg_catalog.pg_extension e "
                                  "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
                                  "WHERE e.extname <> 'plpgsql' ORDER BY 1")) {
    if (std::find(d.catalog.extensions.begin(), d.catalog.extensions.end(), r[0].as<std::string>()) !=
        d.catalog.extensions.end())
      continue;  // declared: created by the declarations themselves
    schemas.insert(r[1].as<std::string>());
    out.statements.push_back(ddl::create_extension(r[0].as<std::string>(), r[1].as<std::string>()));
    out.copies.push_back({});
  }
  auto user_objects = [](const char* catalog, const char* oid) {
    return "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND " +
           catalog::not_extension_member(catalog, oid);
  };
  for (const auto& r : live.query(fmt::format(
           "SELECT n.nspname, CASE t.typtype WHEN 'e' THEN format('CREATE TYPE %I.%I AS ENUM (%s)', n.nspname, "
           "t.typname, "
           "(SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e "
           "WHERE e.enumtypid = t.oid)) ELSE format('CREATE DOMAIN %I.%I AS %s%s%s', n.nspname, t.typname, "
           "pg_catalog.format_type(t.typbasetype, t.typtypmod), CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END, "
           "COALESCE((SELECT ' ' || string_agg(pg_catalog.pg_get_constraintdef(c.oid), ' ') FROM "
           "pg_catalog.pg_constraint c "
           "WHERE c.contypid = t.oid), '')) END, t.typname "
           "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
           "WHERE t.typtype IN ('e', 'd') AND {} ORDER BY t.typtype DESC, 1, t.typname",
           user_objects("pg_catalog.pg_type", "t.oid")))) {
    schemas.insert(r[0].as<std::string>());
    out.statements.push_back(r[1].as<std::string>());
    out.copies.push_back({r[0].as<std::string>(), r[2].as<std::string>()});
  }
  std::string names;
  for (const auto& f : functions) names += (names.empty() ? "" : ", ") + quote_literal(f);
  if (names.empty()) names = "NULL";
  for (const auto& r : live.query(
           fmt::format("SELECT n.nspname, p.proname, pg_catalog.pg_get_functiondef(p.oid) FROM pg_catalog.pg_proc p "
                       "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                       "WHERE p.prokind = 'f' AND p.proname IN ({}) AND {} ORDER BY 1, 2, p.oid",
                       names, user_objects("pg_catalog.pg_proc", "p.oid")))) {
    if (owned.count(r[0].as<std::string>() + "." + r[1].as<std::string>())) continue;
    schemas.insert(r[0].as<std::string>());
    out.statements.push_back(r[2].as<std::string>());
    out.copies.push_back({r[0].as<std::string>(), r[1].as<std::string>()});
  }
  external_tables(live, d, out, schemas);
  out.schemas.assign(schemas.begin(), schemas.end());
  return out;
}

}  // namespace schemac
