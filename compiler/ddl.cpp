#include "compiler/ddl.hpp"

#include <fmt/format.h>

#include "schema/sql_syntax.hpp"

namespace schemac::ddl {

namespace {
std::string join_idents(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + quote_ident(names[i]);
  return out;
}
std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}
}  // namespace

std::string default_expression(const std::string& expr) {
  // Bare where PostgreSQL's grammar allows it ("DEFAULT now()", which squawk
  // and readers recognise as non-volatile), parenthesized otherwise.
  return check_sql(SqlFragment::ColumnDefault, expr) ? fmt::format("({})", expr) : expr;
}

std::string column_definition(const Column& c) {
  std::string out = fmt::format("{} {}", quote_ident(c.name), c.type);
  if (!c.nullable) out += " NOT NULL";
  if (c.default_expr) out += " DEFAULT " + default_expression(*c.default_expr);
  if (!c.generated.empty()) out += fmt::format(" GENERATED ALWAYS AS ({}) STORED", c.generated);
  if (!c.identity.empty()) out += fmt::format(" GENERATED {} AS IDENTITY", c.identity);
  return out;
}

std::string constraint_clause(const Constraint& c) {
  // Declared in SQL: a check's expression as the statement wrote it
  // (schema/sql_written.hpp), which PostgreSQL normalizes in the live database
  // as it did in the scratch one; its printed text, parsed again, may print
  // otherwise. NO INHERIT is the one clause a check's definition adds.
  if (!c.definition.empty() && c.kind == ConstraintKind::Check && !c.expression.empty())
    return fmt::format("CONSTRAINT {} CHECK ({}){}", quote_ident(c.name), c.expression,
                       c.definition.ends_with(" NO INHERIT") ? " NO INHERIT" : "");
  // Otherwise PostgreSQL's own text, with everything it says (ON UPDATE,
  // DEFERRABLE, MATCH FULL, EXCLUDE ...).
  if (!c.definition.empty()) return fmt::format("CONSTRAINT {} {}", quote_ident(c.name), c.definition);
  switch (c.kind) {
    case ConstraintKind::PrimaryKey:
      return fmt::format("CONSTRAINT {} PRIMARY KEY ({})", quote_ident(c.name), join_idents(c.columns));
    case ConstraintKind::Unique:
      return fmt::format("CONSTRAINT {} UNIQUE ({})", quote_ident(c.name), join_idents(c.columns));
    case ConstraintKind::Check:
      return fmt::format("CONSTRAINT {} CHECK ({})", quote_ident(c.name), c.expression);
    case ConstraintKind::Exclusion:  // only read from a database: its definition above
      return {};
    case ConstraintKind::ForeignKey: {
      std::string out = fmt::format("CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}", quote_ident(c.name),
                                    join_idents(c.columns), c.ref_table.sql());
      if (!c.ref_columns.empty()) out += fmt::format(" ({})", join_idents(c.ref_columns));
      if (!c.on_delete.empty()) out += " ON DELETE " + c.on_delete;
      if (!c.on_update.empty()) out += " ON UPDATE " + c.on_update;
      return out;
    }
  }
  return {};
}

namespace {
std::vector<std::string> constraint_lines(const Table& t, const std::set<QualifiedName>& ready) {
  std::vector<std::string> lines;
  for (const auto& c : t.constraints) {
    if (c.kind == ConstraintKind::ForeignKey && !ready.count(c.ref_table)) continue;
    if (!c.validated) continue;  // declared NOT VALID: added after the table (create_table_statements)
    lines.push_back(constraint_clause(c));
  }
  return lines;
}
std::string partition_by(const Table& t) {
  return t.partition_by.empty() ? "" : " PARTITION BY " + t.partition_by;
}
}  // namespace

std::string create_table(const Table& t, const std::set<QualifiedName>& ready) {
  auto constraints = constraint_lines(t, ready);
  if (t.partition_of) return create_partition(t, constraints);  // the columns are the parent's
  std::vector<std::string> lines;
  for (const auto& c : t.columns) lines.push_back(column_definition(c));
  lines.insert(lines.end(), constraints.begin(), constraints.end());
  return fmt::format("CREATE {}TABLE {} (\n  {}\n){}", t.unlogged ? "UNLOGGED " : "", t.name.sql(),
                     join(lines, ",\n  "), partition_by(t));
}

std::string create_partition(const Table& t, const std::vector<std::string>& lines) {
  return fmt::format("CREATE TABLE {} PARTITION OF {}{} {}{}", t.name.sql(), t.partition_of->sql(),
                     lines.empty() ? "" : " (\n  " + join(lines, ",\n  ") + "\n)", t.partition_bound, partition_by(t));
}

std::string attach_partition(const Table& t) {
  return fmt::format("ALTER TABLE {} ATTACH PARTITION {} {}", t.partition_of->sql(), t.name.sql(), t.partition_bound);
}

std::string add_constraint(const QualifiedName& table, const Constraint& c, bool not_valid) {
  return fmt::format("ALTER TABLE {} ADD {}{}", table.sql(), constraint_clause(c), not_valid ? " NOT VALID" : "");
}

std::string index_key(const std::string& key) {
  // A plain column is quoted by us; an expression is the user's SQL, as written.
  auto col = plain_index_column(key);
  if (!col) return key;
  std::size_t i = key.find_first_not_of(" \t");
  std::size_t end = key[i] == '"' ? key.find('"', i + 1) + 1 : key.find_first_of(" \t", i);
  return quote_ident(*col) + (end == std::string::npos ? "" : key.substr(end));
}

namespace {
// pg_get_indexdef's "CREATE [UNIQUE] INDEX name ON ...", with CONCURRENTLY and another name if asked.
std::string from_definition(const Index& i, bool concurrently, const std::string& name_override) {
  const std::string& def = i.definition;
  auto at = def.find("INDEX ") + 6;
  auto end = at;
  if (def[at] == '"') {
    for (++end; end < def.size(); ++end)
      if (def[end] == '"' && (end + 1 == def.size() || def[end + 1] != '"'))
        break;
      else if (def[end] == '"')
        ++end;
    ++end;
  } else {
    end = def.find(' ', at);
  }
  return def.substr(0, at) + (concurrently ? "CONCURRENTLY " : "") +
         (name_override.empty() ? quote_ident(i.name) : quote_ident(name_override)) + def.substr(end);
}
}  // namespace

std::string create_index(const QualifiedName& table, const Index& i, bool concurrently,
                         const std::string& name_override) {
  if (i.keys.empty() && !i.definition.empty()) return from_definition(i, concurrently, name_override);
  std::vector<std::string> keys;
  for (const auto& k : i.keys) keys.push_back(index_key(k));
  std::string out =
      fmt::format("CREATE {}INDEX {}{} ON {}", i.unique ? "UNIQUE " : "", concurrently ? "CONCURRENTLY " : "",
                  quote_ident(name_override.empty() ? i.name : name_override), table.sql());
  if (i.method != "btree") out += " USING " + i.method;
  out += fmt::format(" ({})", join(keys, ", "));
  if (!i.include.empty()) out += fmt::format(" INCLUDE ({})", join_idents(i.include));
  if (!i.where.empty()) out += fmt::format(" WHERE ({})", i.where);
  return out;
}

std::string create_trigger(const QualifiedName& table, const Trigger& t, bool or_replace) {
  if (t.function.name.empty() && !t.definition.empty()) {
    // Declared in SQL: pg_get_triggerdef's text.
    if (!or_replace || t.definition.rfind("CREATE TRIGGER ", 0) != 0) return t.definition;
    return "CREATE OR REPLACE TRIGGER " + t.definition.substr(15);
  }
  std::string out = fmt::format("CREATE {}TRIGGER {} {} {} ON {}", or_replace ? "OR REPLACE " : "", quote_ident(t.name),
                                t.timing, t.events, table.sql());
  if (!t.referencing.empty()) out += " " + t.referencing;
  out += fmt::format(" FOR EACH {}", t.level);
  if (!t.when.empty()) out += fmt::format(" WHEN ({})", t.when);
  std::vector<std::string> args;
  for (const auto& a : t.args) args.push_back(quote_literal(a));
  out += fmt::format(" EXECUTE FUNCTION {}({})", t.function.sql(), join(args, ", "));
  return out;
}

std::string trigger_firing(const QualifiedName& table, const Trigger& t) {
  return fmt::format("ALTER TABLE {} {} TRIGGER {}", table.sql(), t.firing.empty() ? "ENABLE" : t.firing,
                     quote_ident(t.name));
}

std::string policy_roles(const std::vector<std::string>& roles) {
  std::vector<std::string> out;
  for (const auto& r : roles) out.push_back(r == "public" ? "PUBLIC" : quote_ident(r));
  return join(out, ", ");
}

std::string create_policy(const QualifiedName& table, const Policy& p, bool with_roles) {
  std::string out = fmt::format("CREATE POLICY {} ON {} AS {} FOR {}", quote_ident(p.name), table.sql(),
                                p.permissive ? "PERMISSIVE" : "RESTRICTIVE", p.command);
  if (with_roles) out += " TO " + policy_roles(p.roles);
  if (!p.using_expr.empty()) out += fmt::format(" USING ({})", p.using_expr);
  if (!p.check_expr.empty()) out += fmt::format(" WITH CHECK ({})", p.check_expr);
  return out;
}

std::string comment_on_table(const Table& t) {
  return fmt::format("COMMENT ON TABLE {} IS {}", t.name.sql(), t.comment ? quote_literal(*t.comment) : "NULL");
}

std::string comment_on_column(const QualifiedName& table, const Column& c) {
  return fmt::format("COMMENT ON COLUMN {}.{} IS {}", table.sql(), quote_ident(c.name),
                     c.comment ? quote_literal(*c.comment) : "NULL");
}

std::string comment_on(const std::string& target, const std::optional<std::string>& comment) {
  return fmt::format("COMMENT ON {} IS {}", target, comment ? quote_literal(*comment) : "NULL");
}

std::string grant(const QualifiedName& table, const std::set<std::string>& privileges, const std::string& role) {
  return fmt::format("GRANT {} ON TABLE {} TO {}", join({privileges.begin(), privileges.end()}, ", "), table.sql(),
                     quote_ident(role));
}

std::string revoke(const QualifiedName& table, const std::set<std::string>& privileges, const std::string& role) {
  return fmt::format("REVOKE {} ON TABLE {} FROM {}", join({privileges.begin(), privileges.end()}, ", "), table.sql(),
                     quote_ident(role));
}

namespace {
std::string column_privileges(const ColumnPrivileges& privileges) {
  std::vector<std::string> items;
  for (const auto& [privilege, columns] : privileges)
    items.push_back(fmt::format("{} ({})", privilege, join_idents(columns)));
  return join(items, ", ");
}
}  // namespace

std::string grant_columns(const QualifiedName& table, const ColumnPrivileges& privileges, const std::string& role) {
  return fmt::format("GRANT {} ON TABLE {} TO {}", column_privileges(privileges), table.sql(), quote_ident(role));
}

std::string revoke_columns(const QualifiedName& table, const ColumnPrivileges& privileges, const std::string& role) {
  return fmt::format("REVOKE {} ON TABLE {} FROM {}", column_privileges(privileges), table.sql(), quote_ident(role));
}

std::string replica_identity(const QualifiedName& table, const std::string& identity) {
  const std::string index = "USING INDEX ";
  return fmt::format("ALTER TABLE {} REPLICA IDENTITY {}", table.sql(),
                     identity.starts_with(index) ? index + quote_ident(identity.substr(index.size())) : identity);
}

std::string search_path(const std::vector<std::string>& schemas) {
  return fmt::format("SET search_path = {}", join_idents(schemas));
}

std::string published_table(const PublishedTable& t) {
  std::string out = t.table.sql();
  if (!t.columns.empty()) out += " (" + join_idents(t.columns) + ")";
  if (!t.where.empty()) out += " WHERE (" + t.where + ")";
  return out;
}

std::string create_publication(const Publication& p) {
  std::string what;
  if (p.all_tables) what = " FOR ALL TABLES";
  std::vector<std::string> objects;
  for (const auto& t : p.tables) objects.push_back("TABLE " + published_table(t));
  for (const auto& s : p.schemas) objects.push_back("TABLES IN SCHEMA " + quote_ident(s));
  for (std::size_t i = 0; i < objects.size(); ++i) what += (i ? ", " : " FOR ") + objects[i];
  return fmt::format("CREATE PUBLICATION {}{} WITH ({})", quote_ident(p.name), what, p.options);
}

std::string create_extension(const std::string& name, const std::string& schema) {
  return fmt::format("CREATE EXTENSION IF NOT EXISTS {}{}", quote_ident(name),
                     schema.empty() ? "" : " WITH SCHEMA " + quote_ident(schema));
}

}  // namespace schemac::ddl
