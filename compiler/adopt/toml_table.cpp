#include "compiler/adopt/toml_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "schema/toml_text.hpp"

namespace schemac {

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// SQL text: a multi-line literal string when it spans lines (as PostgreSQL
// prints a policy with a subquery), else a basic string.
std::string toml_sql(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.find("'''") != std::string::npos || s.ends_with("'"))
    return toml_string(s);
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return toml_string(s);
  return "'''\n" + s + "'''";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// { role = ["select", ...], ... }, roles sorted (Grants is ordered).
std::string toml_grants(const Grants& grants) {
  std::string out = "{ ";
  bool first = true;
  for (const auto& [role, privileges] : grants) {
    std::vector<std::string> p;
    for (const auto& x : privileges) p.push_back(lower(x));
    out += (first ? "" : ", ") + toml_key(role) + " = " + toml_list(p);
    first = false;
  }
  return out + " }";
}

// Calls on(at, depth, quoted) for each character of text from `from`: depth is
// the parentheses open after it (a '(' counts itself, a ')' is already closed),
// quoted whether it lies in '...' or "..." (the quote characters included).
// Stops when on returns false.
template <class On>
void walk(const std::string& text, std::size_t from, On on) {
  int depth = 0;
  char quote = 0;
  for (auto at = from; at < text.size(); ++at) {
    const char c = text[at];
    const bool quoted = quote || c == '\'' || c == '"';
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (!on(at, depth, quoted)) return;
  }
}

// Splits "a, lower(b), c DESC" at the commas outside parentheses and quotes.
std::vector<std::string> split_top_level(const std::string& text) {
  std::vector<std::string> out(1);
  walk(text, 0, [&](std::size_t at, int depth, bool quoted) {
    if (!quoted && depth == 0 && text[at] == ',')
      out.emplace_back();
    else
      out.back() += text[at];
    return true;
  });
  for (auto& s : out) {
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
    while (!s.empty() && s.back() == ' ') s.pop_back();
  }
  return out;
}

// The text inside the parenthesis that opens at `open`, and where it ends; nullopt when it does not close.
std::optional<std::pair<std::string, std::size_t>> parenthesized(const std::string& text, std::size_t open) {
  if (open >= text.size() || text[open] != '(') return std::nullopt;
  std::optional<std::pair<std::string, std::size_t>> out;
  walk(text, open, [&](std::size_t at, int depth, bool quoted) {
    if (quoted || depth != 0 || text[at] != ')') return true;
    out = std::make_pair(text.substr(open + 1, at - open - 1), at + 1);
    return false;
  });
  return out;
}

// pg_get_indexdef: CREATE [UNIQUE] INDEX n ON s.t USING m (keys) [INCLUDE (cols)] [WHERE (pred)].
// The method, and the keys' text with where it ends.
std::optional<std::pair<std::string, std::pair<std::string, std::size_t>>> method_and_keys(const Index& i) {
  const auto using_at = i.definition.find(" USING ");
  if (using_at == std::string::npos) return std::nullopt;
  const auto method_end = i.definition.find(' ', using_at + 7);
  if (method_end == std::string::npos) return std::nullopt;
  auto keys = parenthesized(i.definition, method_end + 1);
  if (!keys) return std::nullopt;
  return std::make_pair(i.definition.substr(using_at + 7, method_end - using_at - 7), *keys);
}

// An index as TOML.
std::optional<std::string> index_toml(const Index& i) {
  if (i.comment || !i.valid) return std::nullopt;
  const auto parsed = method_and_keys(i);
  if (!parsed) return std::nullopt;
  const auto& method = parsed->first;
  const auto* keys = &parsed->second;
  std::string rest = i.definition.substr(keys->second);
  std::vector<std::string> include;
  if (rest.starts_with(" INCLUDE ")) {
    const auto cols = parenthesized(rest, 9);
    if (!cols) return std::nullopt;
    include = split_top_level(cols->first);
    rest = rest.substr(cols->second);
  }
  // Storage parameters, a tablespace, NULLS NOT DISTINCT, operator classes and
  // collations have no TOML key.
  if (!(rest.empty() || rest.starts_with(" WHERE ")) || contains(keys->first, " COLLATE ") ||
      contains(keys->first, "_ops"))
    return std::nullopt;
  std::string out = "{ columns = " + toml_list(split_top_level(keys->first));
  if (i.unique) out += ", unique = true";
  if (method != "btree") out += ", using = " + toml_string(method);
  if (!include.empty()) out += ", include = " + toml_list(include);
  if (!i.where.empty()) out += ", where = " + toml_string(i.where);
  if (i.include_deleted) out += ", include_deleted = true";
  return out + " }";
}

// "s.t(a, b)", the schema left out when it is the default one.
std::string reference(const Constraint& c, const std::string& default_schema) {
  const auto table = c.ref_table.schema == default_schema ? c.ref_table.name : c.ref_table.display();
  return fmt::format("{}({})", table, fmt::join(c.ref_columns, ", "));
}

bool plain(const std::string& name) {
  return !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_'; });
}

// PostgreSQL prints a cast array literal, `(ARRAY['a'::character varying])::text[]`
// (what `status IN ('a', 'b')` on a varchar column becomes), in a form that
// prints differently once run again: the language would compare the two as
// different. Such a table is written as SQL, where the plan equates them.
bool reprints_differently(const std::string& expression) {
  return contains(expression, "(ARRAY[") && contains(expression, "])::");
}

}  // namespace

std::vector<std::string> live_index_keys(const Index& i) {
  const auto parsed = method_and_keys(i);
  return parsed ? split_top_level(parsed->second.first) : std::vector<std::string>{};
}

std::optional<std::string> table_toml(const Table& t, const std::string& default_schema,
                                      const std::set<std::string>& whole_roles, const std::string& preamble) {
  // Triggers are written as SQL beside the TOML (the caller does): unless they
  // carry what CREATE TRIGGER cannot say, a comment or a firing mode.
  const bool plain_triggers = std::all_of(t.triggers.begin(), t.triggers.end(), [](const Trigger& tr) {
    return !tr.comment && (tr.firing.empty() || tr.firing == "ENABLE");
  });
  if (t.name.schema != default_schema || !plain_triggers || !t.partition_by.empty() || t.partition_of || t.unlogged ||
      (t.rls_forced && !t.rls_enabled))
    return std::nullopt;
  const std::string head = "tables." + toml_key(t.name.name);
  std::string out = "[" + head + "]\n" + preamble;
  if (t.comment) out += "comment = " + toml_string(*t.comment) + "\n";
  if (t.rls_enabled) out += t.rls_forced ? "rls = true\n" : "rls = \"enabled\"\n";
  if (!t.replica_identity.empty() && t.replica_identity != "DEFAULT") {
    const std::string by_index = "USING INDEX ";
    out += "replica_identity = " +
           toml_string(t.replica_identity.starts_with(by_index)
                           ? "using index " + t.replica_identity.substr(by_index.size())
                           : lower(t.replica_identity)) +
           "\n";
  }
  std::vector<std::pair<std::string, std::string>> unique, checks, foreign_keys;
  for (const auto& c : t.constraints) {
    if (c.comment || !c.validated || contains(c.definition, "DEFERRABLE") || contains(c.definition, "NO INHERIT"))
      return std::nullopt;
    switch (c.kind) {
      case ConstraintKind::PrimaryKey:
        if (c.name != t.name.name + "_pkey" || contains(c.definition, "INCLUDE")) return std::nullopt;
        out += "primary_key = " + toml_list(c.columns) + "\n";
        break;
      case ConstraintKind::Unique:
        if (contains(c.definition, "NULLS NOT DISTINCT") || contains(c.definition, "INCLUDE")) return std::nullopt;
        unique.push_back({toml_key(c.name), toml_list(c.columns)});
        break;
      case ConstraintKind::Check:
        if (reprints_differently(c.expression)) return std::nullopt;
        checks.push_back({toml_key(c.name), toml_sql(c.expression)});
        break;
      case ConstraintKind::ForeignKey: {
        // ON DELETE SET NULL (column, ...) has no TOML key (tenant_scoped makes it from on_delete = "set null").
        if (contains(c.definition, "MATCH ") || contains(c.definition, "SET NULL (") ||
            contains(c.definition, "SET DEFAULT (") || !plain(c.ref_table.schema) || !plain(c.ref_table.name) ||
            !std::all_of(c.ref_columns.begin(), c.ref_columns.end(), plain))
          return std::nullopt;
        std::string fk =
            "{ columns = " + toml_list(c.columns) + ", references = " + toml_string(reference(c, default_schema));
        if (!c.on_delete.empty()) fk += ", on_delete = " + toml_string(lower(c.on_delete));
        if (!c.on_update.empty()) fk += ", on_update = " + toml_string(lower(c.on_update));
        foreign_keys.push_back({toml_key(c.name), fk + " }"});
        break;
      }
      case ConstraintKind::Exclusion:
        return std::nullopt;
    }
  }
  // Every role the table's ACL names is stated whole (a role TOML names holds
  // exactly what it lists), and so is a role a policy names: the language
  // would otherwise grant it what its policy needs.
  Grants all = t.grants;
  for (const auto& r : whole_roles) all[r];
  for (const auto& p : t.policies)
    for (const auto& r : p.roles)
      if (r != "public") all[r];
  if (!all.empty()) {
    out += "grants = " + toml_grants(all) + "\n";
  }

  out += "\n[" + head + ".columns]\n";
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& c : t.columns) {
    if (!c.identity.empty() || !c.generated.empty() || (c.default_expr && reprints_differently(*c.default_expr)))
      return std::nullopt;
    std::string col = "{ type = " + toml_string(c.type);
    if (c.nullable) col += ", nullable = true";
    if (c.default_expr) col += ", default = " + toml_string(*c.default_expr);
    if (c.comment) col += ", comment = " + toml_string(*c.comment);
    if (!c.grants.empty()) col += ", grants = " + toml_grants(c.grants);
    columns.push_back({toml_key(c.name), col + " }"});
  }
  out += toml_lines(columns);
  auto section = [&](const std::string& name, const std::vector<std::pair<std::string, std::string>>& lines) {
    if (lines.empty()) return;
    out += "\n[" + head + "." + name + "]\n" + toml_lines(lines);
  };
  section("unique", unique);
  section("checks", checks);
  section("foreign_keys", foreign_keys);
  std::vector<std::pair<std::string, std::string>> indexes;
  for (const auto& i : t.indexes) {
    if (i.backs_constraint) continue;
    auto text = index_toml(i);
    if (!text) return std::nullopt;
    indexes.push_back({toml_key(i.name), *text});
  }
  section("indexes", indexes);
  for (const auto& p : t.policies) {
    if (p.comment || reprints_differently(p.using_expr) || reprints_differently(p.check_expr)) return std::nullopt;
    out += "\n[" + head + ".policies." + toml_key(p.name) + "]\n";
    out += "for = " + toml_string(lower(p.command)) + "\n";
    out += "to = " + toml_list(p.roles) + "\n";
    if (!p.permissive) out += "as = \"restrictive\"\n";
    if (!p.using_expr.empty()) out += "using = " + toml_sql(p.using_expr) + "\n";
    if (!p.check_expr.empty()) out += "with_check = " + toml_sql(p.check_expr) + "\n";
  }
  return out;
}

}  // namespace schemac
