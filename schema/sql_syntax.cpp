#include "schema/sql_syntax.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "schema/sql_shape.hpp"
#include "schema/sql_tokens.hpp"

namespace schemac {

namespace {

struct Wrapped {
  std::string sql;
  int prefix = 0;
};

Wrapped wrap(const std::string& prefix, std::string_view text, const std::string& suffix) {
  return {prefix + std::string(text) + suffix, static_cast<int>(prefix.size())};
}

// Each fragment is parsed inside the smallest statement that gives it meaning.
Wrapped wrap(SqlFragment kind, std::string_view text) {
  switch (kind) {
    case SqlFragment::Expression:
      return wrap("SELECT (", text, ")");
    case SqlFragment::Type:
      return wrap("CREATE TABLE t (c ", text, ")");
    case SqlFragment::IndexKey:
      return wrap("CREATE INDEX i ON t (", text, ")");
    case SqlFragment::ColumnDefault:  // as written after DEFAULT, without parentheses
      return wrap("CREATE TABLE t (c int DEFAULT ", text, ")");
  }
  return {};
}

// The one place that admits exactly one fragment of the kind: an expression
// where CHECK takes one (like a policy's USING or an index's WHERE), a type
// where CAST takes one (no column clauses after it).
std::optional<Wrapped> exact_wrap(SqlFragment kind, std::string_view text) {
  if (kind == SqlFragment::Expression) return wrap("ALTER TABLE t ADD CHECK (", text, ")");
  if (kind == SqlFragment::Type) return wrap("SELECT CAST(NULL AS ", text, ")");
  return std::nullopt;
}

// Whether the wrapped fragment parses, and where in the fragment it stops if not.
std::optional<SqlSyntaxError> parse_error(const Wrapped& w, std::string_view text) {
  PgQueryParseResult r = pg_query_parse(w.sql.c_str());
  std::optional<SqlSyntaxError> out;
  if (r.error) {
    int offset = r.error->cursorpos > 0 ? r.error->cursorpos - 1 - w.prefix : 0;
    out = SqlSyntaxError{r.error->message, std::clamp(offset, 0, static_cast<int>(text.size())), {}};
  }
  pg_query_free_parse_result(r);
  return out;
}

// The parse tree of the one statement a fragment makes, or null when the
// fragment does not parse as exactly one, or nests too deeply to print.
nlohmann::json parse_tree(SqlFragment kind, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return nullptr;
  auto tokens = scan_sql(std::string(text));
  if (!tokens || too_deep(*tokens)) return nullptr;
  auto w = wrap(kind, text);
  PgQueryParseResult r = pg_query_parse(w.sql.c_str());
  nlohmann::json tree;
  if (!r.error) tree = nlohmann::json::parse(r.parse_tree, nullptr, false);
  pg_query_free_parse_result(r);
  if (!tree.is_object() || !tree.contains("stmts") || tree["stmts"].size() != 1) return nullptr;
  return tree["stmts"][0];
}

// Every key/value pair of every object in the tree, without recursion (a tree
// may be as deep as the fragment allows). `visit` returns whether to look
// inside the value; it may push other parts of it instead.
template <typename Visit>
void walk(const nlohmann::json& root, Visit visit) {
  std::vector<const nlohmann::json*> stack{&root};
  while (!stack.empty()) {
    const auto* node = stack.back();
    stack.pop_back();
    if (node->is_array()) {
      for (const auto& child : *node) stack.push_back(&child);
    } else if (node->is_object()) {
      for (auto it = node->begin(); it != node->end(); ++it)
        if (visit(it.key(), it.value(), stack)) stack.push_back(&it.value());
    }
  }
}

std::string string_node(const nlohmann::json& node) {
  const auto& s = node["String"];
  return s.value("sval", s.value("str", std::string{}));
}

void collect_columns(const nlohmann::json& tree, std::vector<std::string>& out) {
  walk(tree, [&](const std::string& key, const nlohmann::json& value, std::vector<const nlohmann::json*>& stack) {
    if (key == "RangeSubselect") return false;
    if (key == "SubLink") {
      // "b IN (SELECT c FROM t)": b is ours, c is t's.
      if (value.contains("testexpr")) stack.push_back(&value["testexpr"]);
      return false;
    }
    if (key == "ColumnRef") {
      const auto& fields = value.value("fields", nlohmann::json::array());
      if (fields.size() == 1 && fields[0].contains("String"))
        if (auto name = string_node(fields[0]); !name.empty()) out.push_back(name);
      return false;
    }
    return true;
  });
}

void collect_functions(const nlohmann::json& tree, std::vector<std::string>& out) {
  walk(tree, [&](const std::string& key, const nlohmann::json& value, std::vector<const nlohmann::json*>&) {
    if (key == "FuncCall") {
      const auto& name = value.value("funcname", nlohmann::json::array());
      if (!name.empty() && name.back().contains("String")) out.push_back(string_node(name.back()));
    }
    return true;
  });
}

bool first_token_is(const std::vector<SqlToken>& tokens, PgQuery__Token kind) {
  return !tokens.empty() && tokens.front().kind == kind;
}

// What the parser accepts in the wrapper but the fragment's kind does not:
// brackets reaching outside it, a second key or column, trailing clauses.
std::optional<SqlSyntaxError> shape_error(SqlFragment kind, std::string_view text,
                                          const std::vector<SqlToken>& tokens) {
  if (auto e = unbalanced(tokens)) return e;
  static const std::string type_help =
      "write the type alone, e.g. \"text\" or \"numeric(12,2)\"; a default, a check or another column has its own key";
  if (kind == SqlFragment::IndexKey)
    if (auto comma = top_level_comma(tokens))
      return SqlSyntaxError{"must be exactly one index key; a comma starts another", *comma,
                            "list each key as its own string: columns = [\"a\", \"b\"]"};
  if (kind == SqlFragment::Type) {
    if (auto comma = top_level_comma(tokens))
      return SqlSyntaxError{"must be exactly one type name; a comma starts another column", *comma, type_help};
    if (first_token_is(tokens, PG_QUERY__TOKEN__SETOF))
      return SqlSyntaxError{"must be exactly one type name; SETOF is for function results", 0, type_help};
  }
  auto exact = exact_wrap(kind, text);
  if (!exact) return std::nullopt;
  auto e = parse_error(*exact, text);
  if (!e) return std::nullopt;
  if (kind == SqlFragment::Type)
    return SqlSyntaxError{"must be exactly one type name, with no clauses after it", e->offset, type_help};
  return SqlSyntaxError{"must be exactly one SQL expression", e->offset,
                        "write one value or condition, e.g. \"length(name) > 0\"; a list, a query or a second "
                        "statement is not an expression"};
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
  if (trimmed.empty()) return SqlSyntaxError{"is empty", 0, {}};
  if (text.find('\0') != std::string_view::npos)
    return SqlSyntaxError{"is not valid SQL: contains a NUL byte", static_cast<int>(text.find('\0')), {}};
  // Before the parse: libpg_query prints its tree recursively, as deep as the
  // fragment nests. A fragment that does not scan alone is measured in its
  // statement (which fails to scan too, and then to parse, unless the suffix
  // closed what the fragment left open).
  auto w = wrap(kind, text);
  auto tokens = scan_sql(std::string(text));
  const bool alone = tokens.has_value();
  if (auto guard = alone ? tokens : scan_sql(w.sql))
    if (auto e = too_deep(*guard)) {
      if (!alone) e->offset = std::clamp(e->offset - w.prefix, 0, static_cast<int>(text.size()));
      return e;
    }
  // Only whether it parses, and as one statement: no parse tree to build (the
  // JSON tree costs more than the parse itself).
  if (auto e = parse_error(w, text)) {
    e->message = "is not valid SQL: " + e->message;
    return e;
  }
  std::optional<SqlSyntaxError> out;
  PgQuerySplitResult split = pg_query_split_with_scanner(w.sql.c_str());
  if (!split.error && split.n_stmts != 1)
    out = SqlSyntaxError{"is not valid SQL: must be a single SQL fragment, not several statements", 0, {}};
  pg_query_free_split_result(split);
  if (out) return out;
  if (!tokens) return SqlSyntaxError{"is not valid SQL: it does not scan on its own", 0, {}};
  return shape_error(kind, text, *tokens);
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
    auto tokens = scan_sql(std::string(name));
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
  auto tokens = scan_sql(text);
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
