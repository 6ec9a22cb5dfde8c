#include "compiler/adopt/import.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "compiler/adopt/audit.hpp"
#include "compiler/adopt/hand_written_flags.hpp"
#include "compiler/adopt/recognize_flags.hpp"
#include "compiler/adopt/toml_table.hpp"
#include "compiler/catalog/introspect.hpp"
#include "compiler/ddl.hpp"
#include "compiler/normalize_cache.hpp"
#include "compiler/planner/object_changes.hpp"
#include "compiler/planner/plan.hpp"
#include "compiler/recorded_forms.hpp"
#include "compiler/temporary_database.hpp"
#include "compiler/workflow.hpp"
#include "runtime/runtime.hpp"
#include "schema/compile.hpp"
#include "schema/toml_text.hpp"

namespace schemac {

namespace fs = std::filesystem;

namespace {

std::string statement(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || sql.back() == '\n' || sql.back() == ' ')) sql.pop_back();
  return sql + ";\n";
}

std::string grantee(const std::string& role) {
  return role == "public" ? "PUBLIC" : quote_ident(role);
}

// A file name for a database name: letters, digits, '_', '-' and '.' kept.
std::string file_safe(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += std::isalnum(c) || c == '_' || c == '-' || c == '.' ? static_cast<char>(c) : '_';
  return out;
}

// The grantees of default privileges on `objects` ("TABLES", "FUNCTIONS", ...)
// created in `schema`: what a new object gets from them depends on who creates
// it, so the declarations state such a role's privileges whole (REVOKE ALL, then GRANT).
std::set<std::string> default_grantees(const Catalog& cat, const std::string& objects, const std::string& schema) {
  std::set<std::string> out;
  for (const auto& p : cat.default_privileges)
    if (p.objects == objects && (p.schema.empty() || p.schema == schema))
      for (const auto& item : p.items) out.insert(item.substr(1, item.find(' ') - 1));
  return out;
}

const char* default_privilege_objects(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Function:
    case ObjectKind::Procedure:
    case ObjectKind::Aggregate:
      return "FUNCTIONS";
    case ObjectKind::Sequence:
      return "SEQUENCES";
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return "TABLES";
    default:
      return "TYPES";
  }
}

// The GRANT and REVOKE statements that give a new object the ACL the live one
// has: PostgreSQL gives a new routine EXECUTE and a new type USAGE to PUBLIC.
std::string object_grants(const SchemaObject& o, const std::set<std::string>& whole) {
  Grants builtin;
  if (o.kind == ObjectKind::Function || o.kind == ObjectKind::Procedure || o.kind == ObjectKind::Aggregate)
    builtin["public"] = {"EXECUTE"};
  if (o.kind == ObjectKind::Enum || o.kind == ObjectKind::Domain || o.kind == ObjectKind::CompositeType)
    builtin["public"] = {"USAGE"};
  const std::string keyword = o.kind == ObjectKind::Aggregate                                        ? "FUNCTION"
                              : o.kind == ObjectKind::View || o.kind == ObjectKind::MaterializedView ? "TABLE"
                              : o.kind == ObjectKind::Enum || o.kind == ObjectKind::CompositeType
                                  ? "TYPE"
                                  : objects::sql_keyword(o.kind);
  std::set<std::string> roles;
  for (const auto& [r, p] : builtin) roles.insert(r);
  for (const auto& [r, p] : o.grants) roles.insert(r);
  roles.insert(whole.begin(), whole.end());
  std::string out;
  static const std::set<std::string> none;
  for (const auto& r : roles) {
    const auto& want = o.grants.count(r) ? o.grants.at(r) : none;
    const auto& have = builtin.count(r) ? builtin.at(r) : none;
    if (whole.count(r)) {
      out += statement(fmt::format("REVOKE ALL ON {} {} FROM {}", keyword, o.sql_name(), grantee(r)));
      if (!want.empty())
        out +=
            statement(fmt::format("GRANT {} ON {} {} TO {}", fmt::join(want, ", "), keyword, o.sql_name(), grantee(r)));
      continue;
    }
    std::vector<std::string> add, remove;
    for (const auto& p : want)
      if (!have.count(p)) add.push_back(p);
    for (const auto& p : have)
      if (!want.count(p)) remove.push_back(p);
    if (!remove.empty())
      out += statement(
          fmt::format("REVOKE {} ON {} {} FROM {}", fmt::join(remove, ", "), keyword, o.sql_name(), grantee(r)));
    if (!add.empty())
      out += statement(fmt::format("GRANT {} ON {} {} TO {}", fmt::join(add, ", "), keyword, o.sql_name(), grantee(r)));
  }
  return out;
}

std::string object_sql(const SchemaObject& o, const Catalog& cat) {
  std::string out = statement(o.definition);
  for (const auto& i : o.indexes) out += statement(i);
  for (const auto& t : o.triggers) out += statement(t);
  if (!o.owned_by.empty()) out += statement(fmt::format("ALTER SEQUENCE {} OWNED BY {}", o.name.sql(), o.owned_by));
  if (o.comment)
    out += statement(
        fmt::format("COMMENT ON {} {} IS {}", objects::sql_keyword(o.kind), o.sql_name(), quote_literal(*o.comment)));
  return out + object_grants(o, default_grantees(cat, default_privilege_objects(o.kind), o.name.schema));
}

const char* object_file(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Enum:
    case ObjectKind::Domain:
    case ObjectKind::CompositeType:
      return "types.sql";
    case ObjectKind::Sequence:
      return "sequences.sql";
    case ObjectKind::Function:
    case ObjectKind::Procedure:
    case ObjectKind::Aggregate:
      return "functions.sql";
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return "views.sql";
  }
  return "objects.sql";
}

// "+grantee PRIVILEGE[ WITH GRANT OPTION]" or "-grantee PRIVILEGE" as ALTER DEFAULT PRIVILEGES.
std::string default_privileges_sql(const DefaultPrivileges& p) {
  std::string out;
  const std::string head = fmt::format("ALTER DEFAULT PRIVILEGES FOR ROLE {}{}", quote_ident(p.role),
                                       p.schema.empty() ? "" : " IN SCHEMA " + quote_ident(p.schema));
  for (const auto& item : p.items) {
    const bool grant = item[0] == '+';
    const auto space = item.find(' ');
    const auto who = item.substr(1, space - 1);
    std::string privilege = item.substr(space + 1);
    const std::string option = " WITH GRANT OPTION";
    const bool with_option = privilege.size() > option.size() && privilege.ends_with(option);
    if (with_option) privilege.resize(privilege.size() - option.size());
    out += statement(grant ? fmt::format("{} GRANT {} ON {} TO {}{}", head, privilege, p.objects, grantee(who),
                                         with_option ? option : "")
                           : fmt::format("{} REVOKE {} ON {} FROM {}", head, privilege, p.objects, grantee(who)));
  }
  return out;
}

// A partition's own column defaults and NOT NULLs, where they differ from its parent's.
std::string partition_overrides(const Table& t, const Table& parent) {
  std::string out;
  for (const auto& c : t.columns) {
    const Column* pc = parent.column(c.name);
    if (!pc || !c.generated.empty()) continue;
    const auto column = fmt::format("ALTER TABLE {} ALTER COLUMN {}", t.name.sql(), quote_ident(c.name));
    if (c.default_expr != pc->default_expr)
      out += statement(c.default_expr ? column + " SET DEFAULT " + ddl::default_expression(*c.default_expr)
                                      : column + " DROP DEFAULT");
    if (!c.nullable && pc->nullable) out += statement(column + " SET NOT NULL");
  }
  return out;
}

// One table's file: CREATE TABLE with its own constraints, the foreign keys to
// other tables after it (so that files may run in any order, and cycles load),
// then its indexes, triggers, policies, comments and grants.
std::string table_sql(const Table& t, const Catalog& cat) {
  std::set<QualifiedName> ready;  // tables outside the imported ones (auth.users): there already
  std::vector<const Constraint*> later;
  for (const auto& c : t.constraints)
    if (c.kind == ConstraintKind::ForeignKey) {
      if (!cat.table(c.ref_table))
        ready.insert(c.ref_table);
      else if (c.ref_table != t.name)
        later.push_back(&c);
    }
  // Roles that default privileges give something on a new table: stated whole.
  // (an empty set: REVOKE ALL and no GRANT, before any column grants).
  Table shown = t;
  for (const auto& role : default_grantees(cat, "TABLES", t.name.schema)) {
    shown.grants[role];
    shown.exact_grant_roles.insert(role);
  }
  // A primary key, unique or exclusion constraint brings its own index.
  std::set<std::string> constraint_indexes;
  for (const auto& i : t.indexes)
    if (i.backs_constraint) constraint_indexes.insert("create index " + i.name);
  std::string out;
  for (const auto& s : create_table_statements(shown, ready, false)) {
    if (constraint_indexes.count(s.what)) continue;
    out += statement(s.sql);
    if (s.what == "create table") {
      if (t.partition_of)
        if (const Table* parent = cat.table(*t.partition_of)) out += partition_overrides(t, *parent);
      for (const auto* c : later) out += statement(ddl::add_constraint(t.name, *c, !c->validated));
    }
  }
  return out;
}

// Array literal items: "a", "b c" (double-quoted, as text[] input reads them).
std::vector<std::string> quoted_array_items(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) {
    std::string q = "\"";
    for (char c : i) q += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
    out.push_back(q + "\"");
  }
  return out;
}

// Tables whose declaration the last apply recorded (recorded_forms.hpp) and
// that still are what it normalized to: written back as the team wrote them,
// flags and SQL text included, instead of as PostgreSQL prints them. The plan
// that checks the flags checks these too; one it would change is written from
// the live table instead. Their keys are the recorded ones, so that plan finds
// them in the record and needs no scratch database for them.
struct Restored {
  std::map<QualifiedName, std::string> texts;
  std::map<std::string, QualifiedName> files;  // where each was written
};

// The restored declaration, the suggestions as comments under its header.
std::string restored_toml(const std::string& text, const std::string& suggested) {
  const auto header_end = text.find('\n') + 1;
  return "# The declaration the last schemac apply recorded, as it was written (its comments aside).\n" +
         text.substr(0, header_end) + suggested + text.substr(header_end);
}

bool same_flags(const TableFlags& a, const TableFlags& b) {
  return a.tenant_scoped == b.tenant_scoped && a.soft_delete == b.soft_delete && a.audited == b.audited &&
         a.touch_updated_at == b.touch_updated_at && (!a.soft_delete || a.deleted_at_column == b.deleted_at_column) &&
         (!a.touch_updated_at || a.updated_at_column == b.updated_at_column);
}

// The recorded declarations of the live tables that still have the recorded
// digest and declare the flags their objects were recognized as.
Restored restorable_declarations(Db& db, const Catalog& cat, const FlagRecognition& flags) {
  Restored out;
  for (auto& r : read_recorded_declarations(db)) {
    const Table* live = cat.table(r.declaration.table);
    if (!live || NormalizeCache::comparable_digest(*live) != r.digest) continue;
    Diagnostics diags;
    const auto decls = load_declarations({{"recorded.toml", r.declaration.text}}, diags);
    if (!diags.empty() || decls.tables.size() != 1) continue;
    const TableFlags* recognized = flags.flags(live->name);
    if (!same_flags(decls.tables.front().flags, recognized ? *recognized : TableFlags{})) continue;
    out.texts[live->name] = std::move(r.declaration.text);
  }
  return out;
}

// One file per table: TOML where the language says everything the table has,
// else SQL. What the TOML files say is then compiled with the rest; a table
// whose TOML the compiler refuses (a reference the language cannot follow)
// is written as SQL instead, until everything compiles.
void write_tables(const Catalog& cat, const std::string& default_schema,
                  const std::map<QualifiedName, std::string>& preambles, FlagRecognition& flags, Restored& restored,
                  std::map<std::string, std::string>& files) {
  std::set<QualifiedName> as_sql;
  for (int round = 0;; ++round) {
    std::map<std::string, std::string> out = files;
    std::map<std::string, QualifiedName> toml_files;
    flags.table_files.clear();
    restored.files.clear();
    for (const auto& live : cat.tables) {
      // The flag makes the audit table, unless it differs from the one it would make.
      if (flags.audit && !flags.write_audit_table && live.name == flags.settings.audit_table()) continue;
      if (flags.any_soft_delete() && !flags.write_soft_delete_queue && live.name == flags.soft_delete_queue) continue;
      const TableFlags* f = as_sql.count(live.name) ? nullptr : flags.flags(live.name);
      const Table t = without_flag_objects(live, flags);
      const auto base = t.name.schema == default_schema ? t.name.name : t.name.schema + "." + t.name.name;
      std::optional<std::string> toml;
      const auto recorded = as_sql.count(t.name) ? restored.texts.end() : restored.texts.find(t.name);
      if (recorded != restored.texts.end()) {
        const auto preamble = preambles.find(t.name);
        toml = restored_toml(recorded->second, preamble == preambles.end() ? "" : preamble->second);
      } else if (!as_sql.count(t.name)) {
        auto whole = default_grantees(cat, "TABLES", t.name.schema);
        // Under tenant_scoped, the API roles hold what the flag grants them.
        if (f && f->tenant_scoped) {
          for (const char* role : {"anon", "authenticated"})
            if (!t.grants.count(role)) whole.erase(role);
          for (const auto& role : flags.settings.tenancy.roles)
            if (!t.grants.count(role)) whole.erase(role);
        }
        const auto preamble = preambles.find(t.name);
        const std::string suggested = preamble == preambles.end() ? "" : preamble->second;
        toml = table_toml(t, default_schema, whole, (f ? flag_lines(*f) : "") + suggested);
        // RLS as it is (the owner not subject to it) would keep tenant_scoped from forcing it.
        const std::string unforced = "\nrls = \"enabled\"\n";
        if (toml && suggested.find("# tenant_scoped") != std::string::npos)
          if (auto at = toml->find(unforced); at != std::string::npos)
            toml->replace(
                at, unforced.size(),
                "\nrls = \"enabled\"  # delete this line with tenant_scoped, which forces RLS on the owner too\n");
      }
      const std::string ext = toml ? ".toml" : ".sql";
      auto path = "tables/" + file_safe(base) + ext;
      for (int n = 2; out.count(path); ++n) path = fmt::format("tables/{}_{}{}", file_safe(base), n, ext);
      out[path] = toml ? *toml : table_sql(live, cat);
      if (f) flags.table_files[path] = t.name;
      if (recorded != restored.texts.end()) restored.files[path] = t.name;
      if (toml) {
        toml_files[path] = t.name;
        // The language has no key for a trigger: a TOML table's are SQL, in triggers.sql.
        for (const auto& tr : t.triggers) out["triggers.sql"] += statement(ddl::create_trigger(t.name, tr, false));
      }
    }
    // A table written as SQL says its objects, not flags.
    for (const auto& name : as_sql) flags.tables.erase(name);
    if (toml_files.empty() || round == 3) {
      files = std::move(out);
      return;
    }
    // The settings and the tables are what a TOML table's check needs (a SQL
    // table it references); the other .sql files (thousands of triggers) are not.
    std::vector<SourceFile> sources;
    for (const auto& [path, text] : out)
      if (path == "schemac.toml" || path.starts_with("tables/")) sources.push_back({path, text});
    Diagnostics diags;
    check_printed_declarations(sources, diags);
    std::size_t before = as_sql.size();
    bool unrestored = false;
    for (const auto& d : diags.sorted())
      if (auto r = restored.files.find(d.pos.file); r != restored.files.end())
        unrestored = restored.texts.erase(r->second) > 0 || unrestored;  // written from the live table next round
      else if (auto it = toml_files.find(d.pos.file); it != toml_files.end())
        as_sql.insert(it->second);
    if (as_sql.size() == before && !unrestored) {
      files = std::move(out);
      return;
    }
  }
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// Supabase when its API roles and auth schema are there, unless the auth
// functions are the stand-ins schemac creates for target = "postgres".
bool supabase_database(Db& db, const Catalog& cat, const ImportRequest& request) {
  if (!cat.roles.count("anon") || !cat.roles.count("authenticated") || !cat.roles.count("service_role") ||
      !cat.schemas.count("auth"))
    return false;
  if (request.made_auth_standins) return true;
  const auto live = db.query(
      "SELECT pg_catalog.pg_get_functiondef(p.oid) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = "
      "p.pronamespace WHERE n.nspname = 'auth' AND p.proname = 'jwt' AND p.pronargs = 0");
  return live.empty() || trimmed(live[0][0].as<std::string>()) != trimmed(runtime::render("auth_jwt.sql", {}));
}

std::string settings_toml(const ImportRequest& r, bool supabase) {
  std::string schemas;
  for (const auto& s : r.schemas) schemas += (schemas.empty() ? "" : ", ") + toml_string(s);
  return fmt::format(
      "# Written by schemac import: the tables are in tables/ (TOML where the language says all\n"
      "# they have, else SQL), the other objects in the .sql files beside this one.\n"
      "[project]\ntarget = \"{}\"\nschemas = [{}]\n",
      supabase ? "supabase" : "postgres", schemas);
}

// The [tenancy] settings tenant_scoped needs, commented out, when the audit
// suggests the flag: the shared tenant column and what its foreign keys reference.
std::string tenancy_suggestion(const Catalog& cat, const std::string& column, const std::string& claim,
                               const std::string& type) {
  std::string references;
  for (const auto& t : cat.tables)
    for (const auto& c : t.constraints)
      if (references.empty() && c.kind == ConstraintKind::ForeignKey && c.columns == std::vector<std::string>{column})
        references = fmt::format("{}({})", c.ref_table.name, fmt::join(c.ref_columns, ", "));
  return fmt::format(
      "\n# tenant_scoped is suggested for some tables (see their files); it needs these settings:\n"
      "# [tenancy]\n# column     = {}\n# type       = {}\n# references = {}\n# claim      = {}   # the JWT claim "
      "holding the tenant\n",
      toml_string(column), toml_string(type), toml_string(references), toml_string(claim));
}

}  // namespace

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ImportError(fmt::format("{}: cannot read it", path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What Supabase gives every database and SQL schema files take for granted:
// the auth schema with auth.uid() and auth.jwt() (schemac's stand-ins) and
// auth.users, made in the temporary database when the files name them.
bool supabase_standins(Db& db, const std::string& sql) {
  if (sql.find("auth.") == std::string::npos) return false;
  db.exec("CREATE SCHEMA IF NOT EXISTS auth");
  for (const char* name : {"auth_jwt.sql", "auth_uid.sql"}) db.exec(runtime::render(name, {}));
  if (sql.find("auth.users") != std::string::npos) db.exec("CREATE TABLE auth.users (id uuid PRIMARY KEY)");
  return true;
}

ImportReport import_from_sql(const ImportRequest& request) {
  std::string all;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : request.from_sql) {
    files.push_back({f, read_whole(f)});
    all += files.back().second;
  }
  std::optional<TemporaryDatabase> scratch;
  try {
    scratch.emplace(request.database_url, "import");
  } catch (const pqxx::sql_error& e) {
    throw ImportError(
        fmt::format("could not create the temporary database the SQL files run in: {}(--database-url "
                    "names the server; its role needs CREATEDB)",
                    e.what()));
  }
  ImportRequest from_database = request;
  from_database.from_sql.clear();
  from_database.database_url = scratch->url();
  {
    Db db(from_database.database_url, "schemac import");
    from_database.made_auth_standins = supabase_standins(db, all);
    for (const auto& [path, sql] : files) try {
        db.exec(sql);
      } catch (const pqxx::sql_error& e) {
        std::string message = e.what();
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        throw ImportError(
            fmt::format("{}: PostgreSQL refused it: {}\nfix the file; nothing was written", path, message));
      }
  }
  return import_database(from_database);
}

}  // namespace

namespace {

// The files that do not depend on which flags are declared: the schemas and
// extensions, the triggers on tables outside the imported schemas, default
// privileges and publications. Read once, whatever rounds the flags' check takes.
std::map<std::string, std::string> database_wide_files(Db& db, const Catalog& cat, const ImportRequest& request) {
  std::map<std::string, std::string> files;  // path relative to schema_dir -> text
  std::string schemas_sql;
  for (const auto& s : request.schemas)
    if (s != "public") schemas_sql += statement("CREATE SCHEMA " + quote_ident(s));
  for (const auto& r : db.query("SELECT e.extname::text, n.nspname::text FROM pg_catalog.pg_extension e "
                                "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
                                "WHERE e.extname <> 'plpgsql' ORDER BY 1"))
    schemas_sql += statement(ddl::create_extension(r[0].as<std::string>(), r[1].as<std::string>()));
  if (!schemas_sql.empty()) files["schemas.sql"] = schemas_sql;
  // Triggers on tables outside the imported schemas that call an imported
  // function (Supabase's on_auth_user_created on auth.users).
  std::string external_triggers;
  for (const auto& r : db.query(fmt::format(
           "SELECT pg_catalog.pg_get_triggerdef(tg.oid) FROM pg_catalog.pg_trigger tg "
           "JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
           "JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace "
           "WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND NOT n.nspname = ANY({0}) AND pn.nspname = ANY({0}) "
           "ORDER BY n.nspname, c.relname, tg.tgname",
           quote_literal("{" + fmt::format("{}", fmt::join(quoted_array_items(request.schemas), ",")) + "}"))))
    external_triggers += statement(r[0].as<std::string>());
  if (!external_triggers.empty()) files["triggers.sql"] = external_triggers;
  std::string privileges;
  for (const auto& p : cat.default_privileges) privileges += default_privileges_sql(p);
  if (!privileges.empty()) files["privileges.sql"] = privileges;
  std::string publications;
  for (const auto& p : cat.publications) publications += statement(ddl::create_publication(p));
  if (!publications.empty()) files["publications.sql"] = publications;
  if (!files.count("schemas.sql")) files["schemas.sql"] = "";  // the folder is a schema even when the database is empty
  return files;
}

// Every file of the declarations, with the flags `flags` recognized (their
// objects left out, the flags written instead), on top of database_wide_files.
std::map<std::string, std::string> declaration_files(const Catalog& cat, const ImportRequest& request, bool supabase,
                                                     FlagRecognition& flags, Restored& restored, ImportReport& report,
                                                     std::map<std::string, std::string> files) {
  files["schemac.toml"] = settings_toml(request, supabase) + flag_settings_toml(flags);
  // The flags bring the runtime's trigger functions with them.
  const auto flags_runtime = [&](const SchemaObject& o) {
    if (flags.tables.empty() || o.kind != ObjectKind::Function || o.name.schema != flags.settings.runtime_schema)
      return false;
    return std::any_of(std::begin(runtime::kTriggerFunctions), std::end(runtime::kTriggerFunctions),
                       [&](const char* name) { return o.name.name == name; });
  };
  for (const auto& o : cat.objects)
    if (!flags_runtime(o)) files[object_file(o.kind)] += object_sql(o, cat) + "\n";
  // The intent flags the audit's findings and the hand-written forms point
  // to: suggested, never switched on (each changes what the database does);
  // in the table's TOML as comments, with what the plan will do, and in the report.
  report.suggestions.clear();
  std::vector<FlagSuggestion> suggestions = hand_written_flags(cat, flags);
  const auto tenant = tenant_column(cat);
  for (const auto& f : audit_catalog(cat)) {
    auto flag = flag_of(f);
    // Row level security without policies, or none, on a table with the tenancy column.
    if ((f.code == "rls-without-policies" || f.code == "rls-disabled") && !tenant.empty())
      for (const auto& x : cat.tables)
        if (x.name.display() == f.subject && x.column(tenant)) flag = "tenant_scoped = true";
    const Table* t = nullptr;
    for (const auto& x : cat.tables)
      if (!flag.empty() && x.name.display() == f.subject) t = &x;
    if (t && !flags.flags(t->name)) suggestions.push_back({t->name, flag, f.evidence, flag_consequence(flag, *t)});
  }
  std::map<QualifiedName, std::string> preambles;
  std::set<std::pair<QualifiedName, std::string>> suggested;
  bool tenancy = false;
  for (const auto& s : suggestions) {
    const auto key = s.flag.substr(0, s.flag.find(' '));
    if (!suggested.insert({s.table, key}).second) continue;
    auto& lines = preambles[s.table];
    if (lines.empty()) lines = "# Suggested by schemac import; uncomment to adopt, and schemac plan shows each step:\n";
    lines += fmt::format("# {:<25} # {}\n# {:<25} #   declared, {}\n", s.flag, s.evidence, "", s.consequence);
    report.suggestions.push_back(
        fmt::format("{}: {} ({}; declared, {})", s.table.display(), s.flag, s.evidence, s.consequence));
    tenancy = tenancy || key == "tenant_scoped";
  }
  if (tenancy && !flags.tenancy) {
    if (auto hand = hand_written_tenancy(cat))
      files["schemac.toml"] += tenancy_suggestion(cat, hand->column, hand->claim, hand->type);
    else if (!tenant.empty())
      files["schemac.toml"] += tenancy_suggestion(cat, tenant, tenant, "uuid");
  }
  write_tables(cat, request.schemas.front(), preambles, flags, restored, files);
  return files;
}

void write_files(const std::string& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [path, text] : files) {
    const auto full = fs::path(dir) / path;
    fs::create_directories(full.parent_path());
    std::ofstream out(full, std::ios::binary);
    out << text;
    if (!out) throw ImportError(fmt::format("cannot write {}", full.string()));
  }
}

// The plan of `files` against the database: a flag is kept only where this is
// empty. Compile errors: the files they name (relative to the folder) instead.
struct PlanCheck {
  std::vector<Step> steps;
  std::set<std::string> files_in_error;
};

PlanCheck plan_of(const ImportRequest& request, const Catalog& live, const IntrospectScope& scope,
                  const std::map<std::string, std::string>& files) {
  Diagnostics diags;
  PlanRequest plan;
  // From memory: at 2,000 tables, writing them to a folder first cost seconds on ext4.
  for (const auto& [path, text] : files) plan.sources.push_back({path, text});
  plan.sql_text = SqlText::PrintedByPostgres;
  plan.database_url = request.database_url;
  plan.cache_dir = request.cache_dir;
  plan.use_recorded_forms = !request.cache_dir.empty();  // --no-cache: nothing remembered is trusted
  plan.live = &live;  // read once: at 2,000 tables a catalog read costs more than the rest of the check
  plan.live_scope = scope;
  auto outcome = plan_against_database(plan, diags);
  PlanCheck check;
  for (const auto& d : diags.sorted()) check.files_in_error.insert(d.pos.file);
  if (outcome && diags.empty()) check.steps = std::move(outcome->plan.steps);
  if (!outcome && check.files_in_error.empty()) check.files_in_error.insert("");
  return check;
}

std::string flag_names(const TableFlags& f) {
  std::vector<std::string> names;
  if (f.tenant_scoped) names.push_back("tenant_scoped");
  if (f.soft_delete) names.push_back("soft_delete");
  if (f.audited) names.push_back("audited");
  if (f.touch_updated_at) names.push_back("touch_updated_at");
  return fmt::format("{}", fmt::join(names, ", "));
}

// Declares the recognized flags where the plan that follows changes nothing:
// each round plans the files against the database and takes the flags off
// the tables its steps touch (a step on no table: off everywhere).
std::map<std::string, std::string> files_with_checked_flags(Db& db, const Catalog& cat, const IntrospectScope& scope,
                                                            const ImportRequest& request, ImportReport& report) {
  FlagRecognition flags = recognize_flags(cat, request.schemas.front());
  const FlagRecognition found = flags;
  Restored restored = restorable_declarations(db, cat, flags);
  const bool supabase = supabase_database(db, cat, request);
  const auto database_wide = database_wide_files(db, cat, request);
  for (int round = 0;; ++round) {
    auto files = declaration_files(cat, request, supabase, flags, restored, report, database_wide);
    if (flags.tables.empty() && restored.texts.empty()) return files;
    std::optional<PlanCheck> check;
    std::string why_everywhere;  // set: take every flag off, for this reason
    try {
      check = plan_of(request, cat, scope, files);
    } catch (const std::exception& e) {
      // The scratch database's error says --dev-url, which plan has and import does not.
      std::string message = e.what();
      message = message.substr(0, message.find("\npass --dev-url"));
      report.warnings.push_back(fmt::format(
          "the intent flags were not checked, so their objects are declared instead: the plan that checks them "
          "failed: {} (it needs what plan needs: a role with CREATEDB for its scratch database)",
          message));
      why_everywhere = "the plan that checks them could not run";
    }
    // A database an earlier schemac built has that version's runtime
    // functions: replacing them with this version's is what any plan of the
    // flags does after an upgrade, and is said, not a reason to refuse the flags.
    std::vector<std::string> upgrades;
    if (check)
      std::erase_if(check->steps, [&](const Step& step) {
        if (!step.table.empty() || step.phase != Phase::Infrastructure) return false;
        for (const char* name : runtime::kTriggerFunctions) {
          const auto function = QualifiedName{flags.settings.runtime_schema, name}.display() + "()";
          if (step.summary == "replace function " + function) {
            upgrades.push_back(function);
            return true;
          }
        }
        return false;
      });
    if (check && check->steps.empty() && check->files_in_error.empty()) {
      for (const auto& [path, table] : restored.files)
        report.restored.push_back(fmt::format("{}: {}", table.display(), path));
      for (const auto& [table, f] : flags.tables)
        report.recognized.push_back(fmt::format("{}: {} (the plan against the database is empty{})", table.display(),
                                                flag_names(f),
                                                upgrades.empty() ? "" : " but for the runtime functions"));
      if (!upgrades.empty())
        report.recognized.push_back(
            fmt::format("and the plan replaces {} with this schemac's version: the database has an earlier one's",
                        fmt::join(upgrades, ", ")));
      return files;
    }
    std::map<QualifiedName, std::string> changed;  // table -> why its flags are taken off
    std::set<QualifiedName> unrestored;
    if (check) {
      for (const auto& step : check->steps) {
        const auto dot = step.table.find('.');
        const QualifiedName table = dot == std::string::npos
                                        ? QualifiedName{}
                                        : QualifiedName{step.table.substr(0, dot), step.table.substr(dot + 1)};
        // A recorded declaration the plan would change, or that does not compile
        // here: written from the live table next round, its flags left as they are.
        if (unrestored.count(table) || restored.texts.erase(table)) {
          unrestored.insert(table);
          continue;
        }
        if (flags.audit && table == flags.settings.audit_table())
          flags.write_audit_table = true;
        else if (table == flags.soft_delete_queue)
          flags.write_soft_delete_queue = true;
        else if (flags.tables.count(table))
          changed.emplace(table, "the plan would " + step.summary);
        else if (why_everywhere.empty())
          why_everywhere =
              fmt::format("the plan would {}{}", step.summary, table.name.empty() ? "" : " on " + table.display());
      }
      for (const auto& path : check->files_in_error) {
        auto it = flags.table_files.find(path);
        if (auto r = restored.files.find(path); r != restored.files.end() && restored.texts.erase(r->second))
          continue;
        else if (it != flags.table_files.end())
          changed.emplace(it->second, "its declaration with the flags does not compile");
        else if (why_everywhere.empty())
          why_everywhere = "the declarations with the flags do not compile";
      }
    }
    if (why_everywhere.empty() && round >= 3) why_everywhere = "the plan is still not empty after three rounds";
    if (!why_everywhere.empty() && !restored.texts.empty()) {
      restored.texts.clear();  // first again without any recorded declaration
      continue;
    }
    if (!why_everywhere.empty()) {
      changed.clear();
      for (const auto& [table, f] : flags.tables) changed.emplace(table, why_everywhere);
    }
    for (const auto& [table, reason] : changed) {
      report.not_recognized.push_back(fmt::format("{}: has the objects of {}, declared as they are, not as flags: {}",
                                                  table.display(), flag_names(flags.tables.at(table)), reason));
      flags.tables.erase(table);
    }
    if (flags.tables.empty()) flags = FlagRecognition{};
  }
}

}  // namespace

ImportReport import_database(const ImportRequest& request) {
  std::error_code ec;
  if (!request.force && fs::exists(request.schema_dir, ec) && !fs::is_empty(request.schema_dir, ec))
    throw ImportError(
        fmt::format("{} already holds files; name an empty folder with --schema-dir, or pass --force to "
                    "write over them",
                    request.schema_dir));
  if (!request.from_sql.empty()) return import_from_sql(request);
  Db db(request.database_url, "schemac import");
  IntrospectScope scope;
  scope.schemas = request.schemas;
  const Catalog cat = read_catalog(db, scope);

  ImportReport report;
  const auto files = files_with_checked_flags(db, cat, scope, request, report);
  for (const auto& o : cat.objects)
    if (o.definition.find("SECURITY DEFINER") != std::string::npos &&
        o.definition.find("SET search_path") == std::string::npos)
      report.warnings.push_back(fmt::format(
          "{} {} is SECURITY DEFINER without a pinned search_path: schemac check refuses it until its declaration in "
          "functions.sql says SET search_path = pg_catalog, pg_temp (and qualifies every name it uses)",
          objects::sql_keyword(o.kind), o.name.display()));
  report.tables = cat.tables.size();
  report.objects = cat.objects.size();
  write_files(request.schema_dir, files);
  for (const auto& [path, text] : files) report.files.push_back(path);
  return report;
}

}  // namespace schemac
