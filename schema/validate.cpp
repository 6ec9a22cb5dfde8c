// Checks that need the whole schema, and the front end's entry point.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "schema/compile.hpp"
#include "schema/reference.hpp"
#include "schema/sql_syntax.hpp"

namespace schemac {

namespace {

// Looked up by name once per object: a linear search each time made 60,000
// tables that reference one another take 20 s.
template <typename Key, typename T>
const T* find_in(const std::map<Key, const T*>& index, const Key& key) {
  auto it = index.find(key);
  return it == index.end() ? nullptr : it->second;
}

SourcePos value_pos(const TableDecl* decl, const std::string& key, const SourcePos& fallback) {
  if (!decl) return fallback;
  auto it = decl->value_pos.find(key);
  return it == decl->value_pos.end() ? fallback : it->second;
}

std::string help_or_default(std::string help, std::string fallback) {
  return help.empty() ? fallback : help;
}

// Text quoted in a message: one line, and short (a hostile key may be megabytes).
std::string excerpt(const std::string& text) {
  constexpr std::size_t kMax = 60;
  std::size_t cut = text.size() <= kMax ? text.size() : kMax - 3;
  while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out = text.substr(0, cut);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return cut < text.size() ? out + "..." : out;
}

SourcePos at_offset(SourcePos p, int offset) {
  p.column += offset;
  return p;
}

void check_fragment(Diagnostics& d, SqlFragment kind, const std::string& text, const SourcePos& pos,
                    const std::string& what, const std::string& help = {}) {
  if (auto err = check_sql(kind, text))
    d.error(at_offset(pos, err->offset), fmt::format("{} {}", what, err->message),
            !err->help.empty() ? err->help
            : help.empty()     ? "write it as you would inside the SQL statement, e.g. \"length(name) > 0\""
                               : help);
}

// A quick look before the parse: when every bare word of an expression is a
// column of the table, a function name (followed by "("), a type (after
// "::") or an everyday SQL keyword, no column can be unknown and the parse
// tree need not be built. Anything else goes through libpg_query.
bool only_known_words(const std::string& text, const std::set<std::string>& columns) {
  static const std::set<std::string> keywords = {
      "and",  "or",    "not",   "null", "is",   "true",    "false",    "in",       "like", "ilike",   "between",
      "case", "when",  "then",  "else", "end",  "any",     "all",      "distinct", "from", "as",      "desc",
      "asc",  "nulls", "first", "last", "both", "leading", "trailing", "array",    "some", "similar", "to"};
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\'' || c == '"') {  // literals and quoted identifiers: leave those to the parser
      if (c == '"') return false;
      auto end = text.find('\'', i + 1);
      if (end == std::string::npos) return false;
      i = end + 1;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t start = i;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '$'))
        ++i;
      std::string word = text.substr(start, i - start);
      std::transform(word.begin(), word.end(), word.begin(), ::tolower);
      std::size_t next = text.find_first_not_of(" \t\n", i);
      bool call = next != std::string::npos && text[next] == '(';
      bool type = start >= 2 && text.compare(start - 2, 2, "::") == 0;
      bool qualified = (next != std::string::npos && text[next] == '.') || (start >= 1 && text[start - 1] == '.');
      if (!call && !type && !qualified && !keywords.count(word) && !columns.count(word)) return false;
      continue;
    }
    ++i;
  }
  return true;
}

void check_length(Diagnostics& d, const std::string& name, const SourcePos& pos, const std::string& what) {
  if (name.size() > kMaxIdentifierBytes)
    d.error(pos, fmt::format("{} name '{}' is {} bytes long; PostgreSQL would cut it to 63", what, name, name.size()),
            "choose a name of at most 63 bytes");
  else if (name.empty())
    d.error(pos, fmt::format("{} name is empty", what), "give it a name");
}

// Settings and role names become identifiers in generated SQL: each one is a
// plain name, refused here with its position if not.
void check_identifier(Diagnostics& d, const std::string& name, const SourcePos& pos, const std::string& what) {
  if (is_plain_identifier(name)) return;
  if (name.size() > kMaxIdentifierBytes)
    d.error(pos, fmt::format("{} '{}' is {} bytes long; PostgreSQL names are at most 63", what, name, name.size()),
            "choose a name of at most 63 bytes");
  else
    d.error(pos, fmt::format("{} '{}' is not a plain name", what, name),
            "a name starts with a letter or '_' and has only letters, digits, '_' and '$' (schemac quotes it)");
}

void check_settings_names(const Declarations& decls, Diagnostics& d) {
  const auto& s = decls.settings;
  auto at = [&](const std::string& key, const SourcePos& fallback) {
    auto it = decls.setting_pos.find(key);
    return it == decls.setting_pos.end() ? fallback : it->second;
  };
  const SourcePos none{decls.files.empty() ? std::string() : decls.files.front(), 0, 0};
  check_identifier(d, s.tenancy.column, at("tenancy.column", none), "tenancy.column");
  if (auto ref = parse_table_reference(s.tenancy.references)) {
    const auto pos = at("tenancy.references", none);
    if (!ref->table.schema.empty()) check_identifier(d, ref->table.schema, pos, "the schema of tenancy.references");
    check_identifier(d, ref->table.name, pos, "the table of tenancy.references");
    for (const auto& c : ref->columns) check_identifier(d, c, pos, "a column of tenancy.references");
  }
  for (const auto& r : s.tenancy.roles) check_identifier(d, r, at("tenancy.roles", none), "role");
  if (!s.audit.table.schema.empty())
    check_identifier(d, s.audit.table.schema, at("audit.table", none), "the schema of audit.table");
  check_identifier(d, s.audit.table.name, at("audit.table", none), "audit.table");
  check_identifier(d, s.runtime_schema, at("runtime.schema", none), "runtime.schema");
  for (const auto& schema : s.schemas) check_identifier(d, schema, at("project.schemas", none), "schema");
  for (const auto& ext : s.extensions)
    if (ext.empty() || ext.size() > kMaxIdentifierBytes ||
        std::any_of(ext.begin(), ext.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
      d.error(at("project.extensions", none), fmt::format("extension name '{}' is not a name", ext),
              "write the extension's name as CREATE EXTENSION knows it, e.g. \"pgcrypto\"");
}

}  // namespace

void validate_declarations(Declarations& decls, Diagnostics& d, SqlText sql_text) {
  // PostgreSQL's own printing parses: checking it again is a second at 2,000 tables.
  const auto fragment = [&](SqlFragment kind, const std::string& text, const SourcePos& pos, const std::string& what,
                            const std::string& help = {}) {
    if (sql_text == SqlText::AsWritten) check_fragment(d, kind, text, pos, what, help);
  };
  const auto& s = decls.settings;
  check_settings_names(decls, d);
  // Settings that generated SQL is built from.
  auto type_pos = decls.setting_text_pos.find("tenancy.type");
  fragment(SqlFragment::Type, s.tenancy.type,
           type_pos == decls.setting_text_pos.end() ? s.tenancy.pos : type_pos->second, "tenancy.type",
           "write a PostgreSQL type, e.g. \"uuid\" or \"bigint\"");
  for (const auto& part : [&] {
         std::vector<std::string> parts;
         std::string cur;
         for (char c : s.tenancy.claim + ".") {
           if (c == '.')
             parts.push_back(std::exchange(cur, {}));
           else
             cur += c;
         }
         return parts;
       }())
    if (part.empty())
      d.error(s.tenancy.pos, fmt::format("tenancy.claim '{}' is not a claim path", s.tenancy.claim),
              "write a claim name, or a dotted path such as \"app_metadata.org_id\"");
  if (std::find(s.schemas.begin(), s.schemas.end(), s.runtime_schema) == s.schemas.end() && s.runtime_schema.empty())
    d.error(s.tenancy.pos, "runtime.schema is empty", "name a schema, e.g. \"public\"");

  std::map<QualifiedName, SourcePos> seen;
  for (auto& decl : decls.tables) {
    auto& t = decl.table;
    const std::string tname = t.name.name;
    if (!t.name.schema.empty() && std::find(s.schemas.begin(), s.schemas.end(), t.name.schema) == s.schemas.end())
      d.error(decl.key_pos["schema"],
              fmt::format("table {} is in schema '{}', which project.schemas does not list", tname, t.name.schema),
              fmt::format("add \"{}\" to project.schemas, or remove schema from the table", t.name.schema));
    QualifiedName qn{t.name.schema.empty() ? s.default_schema() : t.name.schema, tname};
    if (auto [it, fresh] = seen.emplace(qn, t.origin.pos); !fresh)
      d.error(t.origin.pos, fmt::format("table {} is declared twice", qn.display()),
              fmt::format("it is also declared at {}; merge the two", it->second.str()));
    check_length(d, tname, t.origin.pos, "table");

    for (const auto& c : t.columns) {
      check_length(d, c.name, c.origin.pos, "column");
      const auto key = "columns." + c.name;
      if (!c.type.empty())
        fragment(SqlFragment::Type, c.type, value_pos(&decl, key + ".type", c.origin.pos),
                 fmt::format("the type of column {}.{}", tname, c.name),
                 "write a PostgreSQL type, e.g. \"text\" or \"numeric(12,2)\"");
      if (c.default_expr)
        fragment(SqlFragment::Expression, *c.default_expr, value_pos(&decl, key + ".default", c.origin.pos),
                 fmt::format("the default of column {}.{}", tname, c.name),
                 "a string default is SQL: write \"'draft'\" for a text literal, \"now()\" for a call");
    }
    for (const auto& c : t.constraints) {
      check_length(d, c.name, c.origin.pos, to_string(c.kind));
      if (c.kind == ConstraintKind::Check)
        fragment(SqlFragment::Expression, c.expression, value_pos(&decl, "checks." + c.name, c.origin.pos),
                 fmt::format("check {}", c.name));
    }
    for (const auto& i : t.indexes) {
      check_length(d, i.name, i.origin.pos, "index");
      for (std::size_t n = 0; n < i.keys.size(); ++n)
        fragment(SqlFragment::IndexKey, i.keys[n],
                 value_pos(&decl, fmt::format("indexes.{}.columns.{}", i.name, n),
                           value_pos(&decl, "indexes." + i.name + ".columns", i.origin.pos)),
                 fmt::format("index {} key '{}'", i.name, excerpt(i.keys[n])),
                 "a key is a column, optionally with ASC/DESC/NULLS FIRST|LAST, or an expression in parentheses");
      if (!i.where.empty())
        fragment(SqlFragment::Expression, i.where, value_pos(&decl, "indexes." + i.name + ".where", i.origin.pos),
                 fmt::format("the predicate of index {}", i.name));
    }
    for (const auto& p : t.policies) {
      check_length(d, p.name, p.origin.pos, "policy");
      for (const auto& r : p.roles)
        if (r != "public") {
          auto it = decl.key_pos.find("policies." + p.name + ".to");
          check_identifier(d, r, it == decl.key_pos.end() ? p.origin.pos : it->second, "role");
        }
      const auto base = "policies." + p.name;
      if (!p.using_expr.empty())
        fragment(SqlFragment::Expression, p.using_expr, value_pos(&decl, base + ".using", p.origin.pos),
                 fmt::format("using of policy {}", p.name));
      if (!p.check_expr.empty())
        fragment(SqlFragment::Expression, p.check_expr, value_pos(&decl, base + ".with_check", p.origin.pos),
                 fmt::format("with_check of policy {}", p.name));
      auto key_pos = [&](const std::string& k) {
        auto it = decl.key_pos.find(base + "." + k);
        return it == decl.key_pos.end() ? p.origin.pos : it->second;
      };
      if (!p.check_expr.empty() && (p.command == "SELECT" || p.command == "DELETE"))
        d.error(key_pos("with_check"), fmt::format("policy {} is for {} and cannot have with_check", p.name, p.command),
                "with_check applies to new rows: use using for select and delete policies");
      if (!p.using_expr.empty() && p.command == "INSERT")
        d.error(key_pos("using"), fmt::format("policy {} is for INSERT and cannot have using", p.name),
                "an insert policy checks new rows: write with_check instead");
      if (p.using_expr.empty() && p.check_expr.empty())
        d.error(p.origin.pos, fmt::format("policy {} has neither using nor with_check", p.name),
                "write using = \"...\" (rows it may see) or with_check = \"...\" (rows it may write)");
    }
    for (const auto& [role, privs] : t.grants) check_identifier(d, role, decl.key_pos["grants"], "role");
    for (const auto& c : t.columns)
      for (const auto& [role, privs] : c.grants)
        check_identifier(d, role, decl.key_pos["columns." + c.name + ".grants"], "role");
    if (!t.name.schema.empty()) check_identifier(d, t.name.schema, decl.key_pos["schema"], "schema");

    // Flag preconditions.
    // A timestamp without time zone is accepted too: real schemas have them
    // (pagila's last_update), and the flag should not force a rewrite.
    auto timestamp = [](const std::string& type) {
      return type == "timestamptz" || type == "timestamp with time zone" || type == "timestamp" ||
             type == "timestamp without time zone";
    };
    if (decl.flags.touch_updated_at) {
      const auto& name = decl.flags.updated_at_column;
      check_identifier(d, name, decl.key_pos["touch_updated_at"], "column");
      if (const auto* c = t.column(name); c && !timestamp(c->type))
        d.error(c->origin.pos,
                fmt::format("{} of table {} is {}, but touch_updated_at needs timestamptz", name, tname, c->type),
                fmt::format("declare {} = {{ type = \"timestamptz\", default = \"now()\" }}, or leave it out and let "
                            "the flag add it",
                            name));
    }
    if (decl.flags.soft_delete) {
      const auto& name = decl.flags.deleted_at_column;
      check_identifier(d, name, decl.key_pos["soft_delete"], "column");
      if (const auto* c = t.column(name); c && (!timestamp(c->type) || !c->nullable))
        d.error(c->origin.pos,
                fmt::format("{} of table {} must be a nullable timestamptz for soft_delete", name, tname),
                fmt::format("declare {} = {{ type = \"timestamptz\", nullable = true }}, or leave it out", name));
    }
    if (decl.flags.audited) {
      const auto& pk = decl.primary_key;
      const Column* col = pk.size() == 1 ? t.column(pk.front()) : nullptr;
      if (pk.size() != 1)
        d.error(decl.key_pos["audited"], fmt::format("audited table {} needs a single-column primary key", tname),
                "the audit trail records each row by its primary key: declare one uuid column with primary_key = true");
      else if (col && col->type != "uuid")
        d.error(
            decl.key_pos["audited"],
            fmt::format("audited table {} has a {} primary key; the audit trail records uuid keys", tname, col->type),
            "use a uuid primary key, e.g. id = { type = \"uuid\", primary_key = true, default = \"gen_random_uuid()\" "
            "}");
    }
    if ((decl.flags.soft_delete) && decl.primary_key.empty())
      d.error(decl.key_pos["soft_delete"], fmt::format("soft_delete table {} needs a primary key", tname),
              "soft delete marks the row it finds by its primary key: declare one");
    // The soft-delete triggers turn the DELETE of a role under row level
    // security into a mark; without RLS no role is under it, and every
    // DELETE would purge the row while the declaration promised otherwise.
    if (decl.flags.soft_delete && !decl.flags.tenant_scoped && !decl.flags.rls)
      d.error(decl.key_pos["soft_delete"],
              fmt::format("soft_delete table {} has no row level security, so every DELETE would still purge its rows",
                          tname),
              "add tenant_scoped = true, or rls = true with policies for the roles that delete: their DELETE then "
              "marks the row deleted (roles that bypass row level security, like the owner, still purge)");
  }
}

void validate_catalog(const Catalog& catalog, const Declarations& decls, Diagnostics& d) {
  const auto& s = decls.settings;
  std::vector<std::string> table_names;
  std::map<QualifiedName, const Table*> table_of;  // the first of each name, as Catalog::table finds it
  for (const auto& t : catalog.tables) {
    table_names.push_back(t.name.name);
    table_of.emplace(t.name, &t);
  }
  std::map<std::string, const TableDecl*> decl_of;
  for (const auto& decl : decls.tables) decl_of.emplace(decl.table.name.name, &decl);
  // A suggestion compares the word with every candidate: only for errors that
  // will be printed (5,000 unknown columns of a 5,000-column table took 2.6 s).
  auto suggest = [&](const std::string& word, const std::vector<std::string>& candidates) {
    return d.size() < kMaxPrintedErrors ? did_you_mean(word, candidates) : std::string{};
  };

  // Tenancy: the referenced table is declared, and is not itself tenant_scoped.
  bool any_tenant =
      std::any_of(decls.tables.begin(), decls.tables.end(), [](const TableDecl& t) { return t.flags.tenant_scoped; });
  if (any_tenant) {
    QualifiedName qn = parse_table_reference(s.tenancy.references).value_or(TableReference{}).table;
    if (qn.schema.empty()) qn.schema = s.default_schema();
    if (!find_in(table_of, qn)) {
      auto pos = s.tenancy.pos.line ? s.tenancy.pos : decls.tables.front().table.origin.pos;
      d.error(pos, fmt::format("tenancy.references names table {}, which is not declared", qn.display()),
              help_or_default(suggest(qn.name, table_names),
                              "declare it, or set [tenancy] references = \"table(column)\""));
    }
    for (const auto& decl : decls.tables)
      if (decl.flags.tenant_scoped && decl.table.name.name == qn.name)
        d.error(decl.key_pos.at("tenant_scoped"),
                fmt::format("table {} is the tenancy table itself and cannot be tenant_scoped", qn.name),
                "use rls = true and declare policies on its key, e.g. using = \"id = ((select auth.jwt()) ->> "
                "'organization_id')::uuid\"");
  }

  // Tables the folder's .sql files declare: a TOML foreign key may reference them.
  std::set<QualifiedName> sql_tables;
  for (const auto& decl : decls.sql)
    if (decl.kind == "table")
      sql_tables.insert({decl.name.schema.empty() ? s.default_schema() : decl.name.schema, decl.name.name});
  std::map<std::pair<std::string, std::string>, SourcePos> relation_names;  // (schema, name) -> where
  for (const auto& t : catalog.tables) relation_names[{t.name.schema, t.name.name}] = t.origin.pos;
  for (const auto& t : catalog.tables) {
    const auto* decl = find_in(decl_of, t.name.name);
    std::vector<std::string> column_names;
    for (const auto& c : t.columns) column_names.push_back(c.name);
    const std::set<std::string> columns(column_names.begin(), column_names.end());
    auto require_column = [&](const std::string& col, const SourcePos& pos, const std::string& what) {
      if (columns.count(col)) return;
      d.error(pos, fmt::format("{} names column '{}', which table {} does not have", what, col, t.name.name),
              suggest(col, column_names));
    };
    auto require_columns_in = [&](SqlFragment kind, const std::string& text, const SourcePos& pos,
                                  const std::string& what) {
      if (only_known_words(text, columns)) return;
      for (const auto& col : referenced_columns(kind, text)) require_column(col, pos, what);
    };

    for (const auto& c : t.constraints) {
      for (const auto& col : c.columns)
        if (c.kind != ConstraintKind::Check) require_column(col, c.origin.pos, to_string(c.kind) + " " + c.name);
      if (c.kind == ConstraintKind::Check)
        require_columns_in(SqlFragment::Expression, c.expression, value_pos(decl, "checks." + c.name, c.origin.pos),
                           "check " + c.name);
      // The tenancy check above reports a missing tenancy table once, not per table.
      if (c.kind != ConstraintKind::ForeignKey || c.origin.flag == "tenant_scoped") continue;
      const auto* target = find_in(table_of, c.ref_table);
      if (!target && s.outside_managed_schemas(c.ref_table)) {
        // A table schemac does not manage (auth.users): plan checks that it
        // exists in the database; its columns must be named here.
        if (c.ref_columns.empty())
          d.error(c.origin.pos,
                  fmt::format("foreign key {} references {}, outside project.schemas, without naming its columns",
                              c.name, c.ref_table.display()),
                  fmt::format("write references = \"{}(id)\" with the referenced column", c.ref_table.display()));
        else if (c.ref_columns.size() != c.columns.size())
          d.error(c.origin.pos,
                  fmt::format("foreign key {} has {} column(s) but references {}", c.name, c.columns.size(),
                              c.ref_columns.size()),
                  "list as many referenced columns as local ones");
        continue;
      }
      if (!target && sql_tables.count(c.ref_table)) {
        // Declared in a .sql file: the scratch database checks the reference;
        // its columns must be named here (its primary key is not known yet).
        if (c.ref_columns.empty())
          d.error(c.origin.pos,
                  fmt::format("foreign key {} references {}, declared in SQL, without naming its columns", c.name,
                              c.ref_table.display()),
                  fmt::format("write references = \"{}(id)\" with the referenced column", c.ref_table.name));
        continue;
      }
      if (!target) {
        d.error(c.origin.pos,
                fmt::format("foreign key {} references table {}, which is not declared", c.name, c.ref_table.display()),
                help_or_default(suggest(c.ref_table.name, table_names), "declare that table, or fix the name"));
        continue;
      }
      std::vector<std::string> target_columns;
      for (const auto& col : target->columns) target_columns.push_back(col.name);
      auto refs = c.ref_columns;
      if (refs.empty()) {
        if (const auto* pk = target->primary_key())
          refs = pk->columns;
        else
          d.error(
              c.origin.pos,
              fmt::format("foreign key {} references table {}, which has no primary key", c.name, target->name.name),
              "name the referenced columns: \"table(column)\"");
      }
      for (const auto& col : refs)
        if (!target->column(col))
          d.error(c.origin.pos,
                  fmt::format("foreign key {} references column {}.{}, which does not exist", c.name, target->name.name,
                              col),
                  suggest(col, target_columns));
      if (!refs.empty() && refs.size() != c.columns.size())
        d.error(c.origin.pos,
                fmt::format("foreign key {} has {} column(s) but references {}", c.name, c.columns.size(), refs.size()),
                "list as many referenced columns as local ones");
    }
    for (const auto& i : t.indexes) {
      if (i.origin.flag.empty() || i.origin.flag == "soft_delete") {
        for (const auto& k : i.keys) {
          if (auto col = plain_index_column(k))
            require_column(*col, value_pos(decl, "indexes." + i.name + ".columns", i.origin.pos), "index " + i.name);
          else
            require_columns_in(SqlFragment::IndexKey, k,
                               value_pos(decl, "indexes." + i.name + ".columns", i.origin.pos), "index " + i.name);
        }
        for (const auto& col : i.include) require_column(col, i.origin.pos, "index " + i.name);
        if (!i.where.empty())
          require_columns_in(SqlFragment::Expression, i.where,
                             value_pos(decl, "indexes." + i.name + ".where", i.origin.pos),
                             "the predicate of index " + i.name);
      }
      std::pair<std::string, std::string> key{t.name.schema, i.name};
      if (auto [it, fresh] = relation_names.emplace(key, i.origin.pos); !fresh)
        d.error(
            i.origin.pos,
            fmt::format("index {} has the same name as another table or index in schema {}", i.name, t.name.schema),
            fmt::format("the other is at {}; index and table names share one namespace per schema", it->second.str()));
    }
    for (const auto& c : t.constraints) {
      if (c.kind != ConstraintKind::PrimaryKey && c.kind != ConstraintKind::Unique) continue;
      std::pair<std::string, std::string> key{t.name.schema, c.name};
      if (auto [it, fresh] = relation_names.emplace(key, c.origin.pos); !fresh)
        d.error(c.origin.pos,
                fmt::format("{} {} needs an index of that name, which another table or index in schema {} has",
                            to_string(c.kind), c.name, t.name.schema),
                fmt::format("the other is at {}; rename one", it->second.str()));
    }
    for (const auto& p : t.policies) {
      if (!p.origin.flag.empty()) continue;
      if (!p.using_expr.empty())
        require_columns_in(SqlFragment::Expression, p.using_expr,
                           value_pos(decl, "policies." + p.name + ".using", p.origin.pos), "policy " + p.name);
      if (!p.check_expr.empty())
        require_columns_in(SqlFragment::Expression, p.check_expr,
                           value_pos(decl, "policies." + p.name + ".with_check", p.origin.pos), "policy " + p.name);
    }
    // Generated names grow with the table name: report the longest once per table.
    std::vector<std::pair<std::string, Origin>> generated;
    for (const auto& tr : t.triggers) generated.emplace_back(tr.name, tr.origin);
    for (const auto& p : t.policies) generated.emplace_back(p.name, p.origin);
    for (const auto& i : t.indexes) generated.emplace_back(i.name, i.origin);
    for (const auto& c : t.constraints) generated.emplace_back(c.name, c.origin);
    const std::pair<std::string, Origin>* longest = nullptr;
    for (const auto& g : generated)
      if (!g.second.flag.empty() ||
          (!g.first.empty() && g.first.size() > kMaxIdentifierBytes && g.second.pos == t.origin.pos))
        if (!longest || g.first.size() > longest->first.size()) longest = &g;
    if (longest && longest->first.size() > kMaxIdentifierBytes)
      d.error(
          longest->second.pos,
          fmt::format("table name {} is too long for the names {} generates: '{}' is {} bytes, PostgreSQL allows 63",
                      t.name.name, longest->second.flag.empty() ? "schemac" : longest->second.flag, longest->first,
                      longest->first.size()),
          fmt::format("shorten the table name by {} bytes", longest->first.size() - kMaxIdentifierBytes));
  }
}

namespace {
// `where` names the schema in the one error that has no declaration to point at.
std::optional<CompiledSchema> compile(Declarations decls, const std::string& where, Diagnostics& diags,
                                      SqlText sql_text = SqlText::AsWritten) {
  if (!diags.empty()) return std::nullopt;
  // .sql files alone are a schema, even an empty one (everything undeclared dropped, if the project says so).
  const bool sql_files =
      std::any_of(decls.files.begin(), decls.files.end(), [](const std::string& f) { return f.ends_with(".sql"); });
  if (decls.tables.empty() && decls.sql.empty() && !sql_files) {
    diags.error({decls.files.empty() ? where : decls.files.front(), 1, 1}, "no tables are declared",
                "declare at least one table: [tables.name.columns] id = { type = \"uuid\", primary_key = true }");
    return std::nullopt;
  }
  validate_declarations(decls, diags, sql_text);
  if (!diags.empty()) return std::nullopt;
  auto catalog = expand(decls, diags);
  validate_catalog(catalog, decls, diags);
  if (!diags.empty()) return std::nullopt;
  std::map<QualifiedName, std::string> texts;
  for (auto& t : decls.tables)
    texts[{t.table.name.schema.empty() ? decls.settings.default_schema() : t.table.name.schema, t.table.name.name}] =
        std::move(t.text);
  return CompiledSchema{decls.settings, std::move(catalog), decls.files, std::move(decls.sql), std::move(texts)};
}
}  // namespace

std::optional<CompiledSchema> compile_schema(const std::string& path, Diagnostics& diags) {
  auto files = read_schema_files(path, diags);
  return compile(load_declarations(files, diags), path, diags);
}

void check_printed_declarations(const std::vector<SourceFile>& files, Diagnostics& diags) {
  auto decls = load_declarations(files, diags);
  if (!diags.empty()) return;
  auto catalog = expand(decls, diags);
  validate_catalog(catalog, decls, diags);
}

std::optional<CompiledSchema> compile_schema(const std::vector<SourceFile>& files, Diagnostics& diags,
                                             SqlText sql_text) {
  return compile(load_declarations(files, diags), "schema", diags, sql_text);
}

}  // namespace schemac
