#include "schema/sql_syntax.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace schemac {

namespace {

struct Wrapped {
  std::string sql;
  int prefix = 0;
};

// Each fragment is parsed inside the smallest statement that gives it meaning.
Wrapped wrap(SqlFragment kind, std::string_view text) {
  std::string prefix;
  std::string suffix;
  switch (kind) {
    case SqlFragment::Expression:
      prefix = "SELECT (";
      suffix = ")";
      break;
    case SqlFragment::Type:
      prefix = "CREATE TABLE t (c ";
      suffix = ")";
      break;
    case SqlFragment::IndexKey:
      prefix = "CREATE INDEX i ON t (";
      suffix = ")";
      break;
    case SqlFragment::ColumnDefault:  // as written after DEFAULT, without parentheses
      prefix = "CREATE TABLE t (c int DEFAULT ";
      suffix = ")";
      break;
  }
  return {prefix + std::string(text) + suffix, static_cast<int>(prefix.size())};
}

// The parse tree of the one statement a fragment makes, or null when the
// fragment does not parse as exactly one (check_sql says why).
nlohmann::json parse_tree(SqlFragment kind, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return nullptr;
  auto w = wrap(kind, text);
  PgQueryParseResult r = pg_query_parse(w.sql.c_str());
  nlohmann::json tree;
  if (!r.error) tree = nlohmann::json::parse(r.parse_tree, nullptr, false);
  pg_query_free_parse_result(r);
  if (!tree.is_object() || !tree.contains("stmts") || tree["stmts"].size() != 1) return nullptr;
  return tree["stmts"][0];
}

void collect_columns(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& child : node) collect_columns(child, out);
    return;
  }
  if (!node.is_object()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.key() == "RangeSubselect") continue;
    if (it.key() == "SubLink") {
      // "b IN (SELECT c FROM t)": b is ours, c is t's.
      if (it.value().contains("testexpr")) collect_columns(it.value()["testexpr"], out);
      continue;
    }
    if (it.key() == "ColumnRef") {
      const auto& fields = it.value().value("fields", nlohmann::json::array());
      if (fields.size() == 1 && fields[0].contains("String")) {
        const auto& s = fields[0]["String"];
        auto name = s.value("sval", s.value("str", std::string{}));
        if (!name.empty()) out.push_back(name);
      }
      continue;
    }
    collect_columns(it.value(), out);
  }
}

void collect_functions(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& child : node) collect_functions(child, out);
    return;
  }
  if (!node.is_object()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.key() == "FuncCall") {
      const auto& name = it.value().value("funcname", nlohmann::json::array());
      if (!name.empty() && name.back().contains("String")) {
        const auto& s = name.back()["String"];
        out.push_back(s.value("sval", s.value("str", std::string{})));
      }
    }
    collect_functions(it.value(), out);
  }
}

}  // namespace

std::vector<std::string> called_functions(SqlFragment kind, std::string_view text) {
  std::vector<std::string> out;
  if (text.find('(') == std::string_view::npos) return out;  // no call without parentheses
  auto tree = parse_tree(kind, text);
  if (tree.is_null()) return out;
  collect_functions(tree, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<SqlSyntaxError> check_sql(SqlFragment kind, std::string_view text) {
  auto trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) trimmed.remove_prefix(1);
  if (trimmed.empty()) return SqlSyntaxError{"is empty", 0};
  if (text.find('\0') != std::string_view::npos)
    return SqlSyntaxError{"contains a NUL byte", static_cast<int>(text.find('\0'))};
  // Only whether it parses, and as one statement: no parse tree to build (the
  // JSON tree costs more than the parse itself).
  auto w = wrap(kind, text);
  PgQueryParseResult r = pg_query_parse(w.sql.c_str());
  std::optional<SqlSyntaxError> out;
  if (r.error) {
    int offset = r.error->cursorpos > 0 ? r.error->cursorpos - 1 - w.prefix : 0;
    out = SqlSyntaxError{r.error->message, std::clamp(offset, 0, static_cast<int>(text.size()))};
  }
  pg_query_free_parse_result(r);
  if (out) return out;
  PgQuerySplitResult split = pg_query_split_with_scanner(w.sql.c_str());
  if (!split.error && split.n_stmts != 1)
    out = SqlSyntaxError{"must be a single SQL fragment, not several statements", 0};
  pg_query_free_split_result(split);
  return out;
}

std::vector<std::string> referenced_columns(SqlFragment kind, std::string_view text) {
  std::vector<std::string> out;
  auto tree = parse_tree(kind, text);
  if (tree.is_null()) return out;
  collect_columns(tree, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> plain_index_column(std::string_view key) {
  std::string word;
  std::size_t i = 0;
  while (i < key.size() && std::isspace(static_cast<unsigned char>(key[i]))) ++i;
  if (i < key.size() && key[i] == '"') {
    auto end = key.find('"', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    word = std::string(key.substr(i + 1, end - i - 1));
    i = end + 1;
  } else {
    while (i < key.size() && (std::isalnum(static_cast<unsigned char>(key[i])) || key[i] == '_' || key[i] == '$'))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(key[i++])));
  }
  if (word.empty()) return std::nullopt;
  // What follows a plain column may only be ordering words.
  auto rest = std::string(key.substr(i));
  std::string upper;
  for (char c : rest) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string words;
  for (char c : upper)
    if (!std::isspace(static_cast<unsigned char>(c))) words += c;
  static const std::vector<std::string> allowed = {
      "", "ASC", "DESC", "NULLSFIRST", "NULLSLAST", "ASCNULLSFIRST", "ASCNULLSLAST", "DESCNULLSFIRST", "DESCNULLSLAST"};
  if (std::find(allowed.begin(), allowed.end(), words) == allowed.end()) return std::nullopt;
  return word;
}

}  // namespace schemac
