#include "schema/sql_syntax.hpp"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

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

namespace {

struct Token {
  int start, end;
  PgQuery__Token kind;
  PgQuery__KeywordKind keyword;
};

// libpg_query's scanner (PostgreSQL's own lexer), tokens in order.
std::optional<std::vector<Token>> scan(const std::string& text) {
  PgQueryScanResult result = pg_query_scan(text.c_str());
  std::optional<std::vector<Token>> out;
  if (!result.error) {
    auto* message =
        pg_query__scan_result__unpack(nullptr, result.pbuf.len, reinterpret_cast<const uint8_t*>(result.pbuf.data));
    if (message) {
      out.emplace();
      for (std::size_t i = 0; i < message->n_tokens; ++i) {
        const auto* t = message->tokens[i];
        out->push_back({t->start, t->end, t->token, t->keyword_kind});
      }
      pg_query__scan_result__free_unpacked(message, nullptr);
    }
  }
  pg_query_free_scan_result(result);
  return out;
}

// An identifier token's name: "Quoted" as written, bare ones folded to lower case.
std::string identifier_name(std::string_view token) {
  if (token.size() >= 2 && token.front() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < token.size(); ++i) {
      out += token[i];
      if (token[i] == '"') ++i;  // "" inside quotes is one "
    }
    return out;
  }
  std::string out(token);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// PostgreSQL's quote_identifier(): bare when lower case, digits, _ and $, not
// starting with a digit, and not a keyword other than an unreserved one.
std::string identifier_as_postgres_prints(std::string_view name) {
  bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    plain = plain && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                      c == '_' || c == '$');
  if (plain) {
    auto tokens = scan(std::string(name));
    plain = tokens && tokens->size() == 1 &&
            ((*tokens)[0].keyword == PG_QUERY__KEYWORD_KIND__NO_KEYWORD ||
             (*tokens)[0].keyword == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD);
  }
  if (plain) return std::string(name);
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string rename_column(std::string_view definition, std::string_view from, std::string_view to) {
  const std::string text(definition);
  auto tokens = scan(text);
  if (!tokens) return text;
  const std::string replacement = identifier_as_postgres_prints(to);
  std::string out;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    const auto& t = (*tokens)[i];
    // Column names scan as identifiers, or as keywords PostgreSQL leaves bare
    // (unreserved ones, such as "name" or "position").
    const bool identifier = t.kind == PG_QUERY__TOKEN__IDENT || t.keyword == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD;
    if (!identifier) continue;
    const auto word =
        std::string_view(text).substr(static_cast<std::size_t>(t.start), static_cast<std::size_t>(t.end - t.start));
    if (identifier_name(word) != from) continue;
    // Not a function name (followed by "("), a type (after "::"), or a
    // qualified name's last part other than the column (after ".").
    const bool call = i + 1 < tokens->size() && text[static_cast<std::size_t>((*tokens)[i + 1].start)] == '(';
    const bool after_cast = i > 0 && (*tokens)[i - 1].kind == PG_QUERY__TOKEN__TYPECAST;
    const bool qualified = i > 0 && text[static_cast<std::size_t>((*tokens)[i - 1].start)] == '.';
    if (call || after_cast || qualified) continue;
    out += text.substr(copied, static_cast<std::size_t>(t.start) - copied) + replacement;
    copied = static_cast<std::size_t>(t.end);
  }
  return out + text.substr(copied);
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
