#include "schema/sql_written.hpp"

#include <pg_query.h>

#include <nlohmann/json.hpp>
#include <set>

#include "schema/parse_tree.hpp"
#include "schema/sql_declarations.hpp"
#include "schema/sql_tokens.hpp"

namespace schemac {

namespace {

using Json = nlohmann::json;

using parse_tree::member;
using parse_tree::text_of;

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The distinct columns an expression names (the last part of each ColumnRef).
void column_refs(const Json& node, std::set<std::string>& out) {
  if (node.is_array()) {
    for (const auto& n : node) column_refs(n, out);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (key == "ColumnRef") {
      const auto& fields = member(value, "fields");
      if (fields.is_array() && !fields.empty()) {
        const auto& last = member(fields.back(), "String");
        auto name = text_of(last, "sval");
        if (name.empty()) name = text_of(last, "str");
        if (!name.empty()) out.insert(name);
      }
      continue;
    }
    column_refs(value, out);
  }
}

class Reader {
 public:
  Reader(const SqlDeclaration& decl, const std::vector<SqlToken>& tokens, WrittenExpressions& out)
      : sql_(decl.sql), tokens_(tokens), out_(out) {}

  // ALTER TABLE: the names PostgreSQL would choose depend on what the table
  // has already, which one statement does not tell; unnamed checks are left.
  bool named_only = false;

  void table(const QualifiedName& name, const Json& elements) {
    // Names the statement gives, which PostgreSQL's own names for the others avoid.
    for (const auto& e : elements) {
      if (auto n = text_of(member(e, "Constraint"), "conname"); !n.empty()) used_.insert(n);
      for (const auto& c : member(member(e, "ColumnDef"), "constraints"))
        if (auto n = text_of(member(c, "Constraint"), "conname"); !n.empty()) used_.insert(n);
    }
    // In the order written, as PostgreSQL names them (a later one takes a suffix).
    for (const auto& e : elements)
      if (const auto& column = member(e, "ColumnDef"); column.is_object())
        this->column(name, column);
      else if (const auto& c = member(e, "Constraint"); c.is_object())
        constraint(name, c);
  }

  void column(const QualifiedName& table, const Json& column) {
    const auto colname = text_of(column, "colname");
    for (const auto& c : member(column, "constraints")) {
      const auto& con = member(c, "Constraint");
      if (text_of(con, "contype") == "CONSTR_DEFAULT") {
        if (auto expr = default_at(member(con, "location")); !expr.empty())
          out_.defaults[{table, colname}] = std::move(expr);
      } else {
        constraint(table, con);
      }
    }
  }

  void constraint(const QualifiedName& table, const Json& con) {
    if (text_of(con, "contype") != "CONSTR_CHECK") return;
    auto name = text_of(con, "conname");
    if (name.empty()) {
      if (named_only) return;
      // Named after the one column the expression reads, if it reads one
      // (a column's own check too: CHECK (true) on column a is <table>_check).
      std::set<std::string> refs;
      column_refs(member(con, "raw_expr"), refs);
      name = default_name(table.name, refs.size() == 1 ? *refs.begin() : "");
      if (name.empty()) return;
    }
    if (auto expr = check_at(member(con, "location")); !expr.empty()) out_.checks[{table, name}] = std::move(expr);
  }

 private:
  const std::string& sql_;
  const std::vector<SqlToken>& tokens_;
  WrittenExpressions& out_;
  std::set<std::string> used_;

  // PostgreSQL's ChooseConstraintName: "<table>_<column>_check", then
  // "..._check1", "..._check2" past names taken. Longer than 63 bytes it
  // truncates in ways not worth copying: then no name (the printed text is used).
  std::string default_name(const std::string& table, const std::string& column) {
    const std::string base = table + (column.empty() ? "" : "_" + column) + "_check";
    for (int pass = 0;; ++pass) {
      auto name = pass ? base + std::to_string(pass) : base;
      if (name.size() > kMaxIdentifierBytes) return {};
      if (used_.insert(name).second) return name;
    }
  }

  std::size_t token_at(const Json& location) const {
    if (!location.is_number_integer()) return tokens_.size();
    const int at = location.get<int>();
    std::size_t i = 0;
    while (i < tokens_.size() && tokens_[i].start < at) ++i;
    return i;
  }

  // "[CONSTRAINT name] CHECK ( expr ) ...": the text between the parentheses.
  std::string check_at(const Json& location) const {
    std::size_t i = token_at(location);
    while (i < tokens_.size() && tokens_[i].kind != PG_QUERY__TOKEN__CHECK) ++i;
    if (++i >= tokens_.size() || tokens_[i].kind != PG_QUERY__TOKEN__ASCII_40) return {};
    const std::size_t open = i;
    for (int depth = 0; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == PG_QUERY__TOKEN__ASCII_40) ++depth;
      if (tokens_[i].kind == PG_QUERY__TOKEN__ASCII_41 && --depth == 0)
        return trim(sql_.substr(tokens_[open].end, tokens_[i].start - tokens_[open].end));
    }
    return {};
  }

  // "DEFAULT expr": to the end of the column (a comma or the closing
  // parenthesis of the table) or its next constraint. A DEFAULT expression
  // (b_expr) holds none of those words outside parentheses.
  std::string default_at(const Json& location) const {
    std::size_t i = token_at(location);
    if (i >= tokens_.size() || tokens_[i].kind != PG_QUERY__TOKEN__DEFAULT) return {};
    const std::size_t first = ++i;
    int depth = 0;
    for (; i < tokens_.size(); ++i) {
      const auto kind = tokens_[i].kind;
      if (kind == PG_QUERY__TOKEN__ASCII_40) ++depth;
      if (kind == PG_QUERY__TOKEN__ASCII_41 && depth-- == 0) break;
      if (depth > 0) continue;
      if (kind == PG_QUERY__TOKEN__ASCII_44 || kind == PG_QUERY__TOKEN__ASCII_59 || kind == PG_QUERY__TOKEN__NOT ||
          kind == PG_QUERY__TOKEN__NOT_LA || kind == PG_QUERY__TOKEN__CONSTRAINT || kind == PG_QUERY__TOKEN__CHECK ||
          kind == PG_QUERY__TOKEN__DEFAULT || kind == PG_QUERY__TOKEN__UNIQUE || kind == PG_QUERY__TOKEN__PRIMARY ||
          kind == PG_QUERY__TOKEN__REFERENCES || kind == PG_QUERY__TOKEN__GENERATED ||
          kind == PG_QUERY__TOKEN__COLLATE || kind == PG_QUERY__TOKEN__DEFERRABLE ||
          kind == PG_QUERY__TOKEN__INITIALLY || (kind == PG_QUERY__TOKEN__NULL_P && i > first))
        break;
    }
    if (i == first) return {};
    const int end = i < tokens_.size() ? tokens_[i].start : static_cast<int>(sql_.size());
    return trim(sql_.substr(tokens_[first].start, end - tokens_[first].start));
  }
};

QualifiedName relation(const Json& stmt, const std::string& default_schema) {
  const auto& rel = member(stmt, "relation");
  auto schema = text_of(rel, "schemaname");
  return {schema.empty() ? default_schema : schema, text_of(rel, "relname")};
}

}  // namespace

WrittenExpressions written_expressions(const std::vector<SqlDeclaration>& declarations,
                                       const std::string& default_schema) {
  WrittenExpressions out;
  for (const auto& decl : declarations) {
    if (decl.statement != "CreateStmt" && decl.statement != "AlterTableStmt") continue;
    const auto tokens = scan_sql(decl.sql);
    if (!tokens) continue;
    PgQueryParseResult parsed = pg_query_parse(decl.sql.c_str());
    Json tree;
    if (!parsed.error) tree = Json::parse(parsed.parse_tree, nullptr, false);
    pg_query_free_parse_result(parsed);
    const auto& stmts = member(tree, "stmts");
    if (!stmts.is_array() || stmts.size() != 1) continue;
    const auto& stmt = member(stmts[0], "stmt");
    Reader reader(decl, *tokens, out);
    if (const auto& create = member(stmt, "CreateStmt"); create.is_object()) {
      reader.table(relation(create, default_schema), member(create, "tableElts"));
      continue;
    }
    const auto& alter = member(stmt, "AlterTableStmt");
    const auto table = relation(alter, default_schema);
    reader.named_only = true;
    for (const auto& c : member(alter, "cmds")) {
      const auto& cmd = member(c, "AlterTableCmd");
      const auto subtype = text_of(cmd, "subtype");
      const auto& def = member(cmd, "def");
      if (subtype == "AT_AddConstraint")
        reader.constraint(table, member(def, "Constraint"));
      else if (subtype == "AT_AddColumn" && member(def, "ColumnDef").is_object())
        reader.column(table, member(def, "ColumnDef"));
    }
  }
  return out;
}

}  // namespace schemac
