#include "schema/sql_shape.hpp"

#include <fmt/format.h>

namespace schemac {

namespace {

enum class Role { Open, Close, Separator, Operator, Operand };

Role role(const SqlToken& t) {
  switch (t.kind) {
    case PG_QUERY__TOKEN__ASCII_40:  // (
    case PG_QUERY__TOKEN__ASCII_91:  // [
    case PG_QUERY__TOKEN__CASE:
      return Role::Open;
    case PG_QUERY__TOKEN__ASCII_41:  // )
    case PG_QUERY__TOKEN__ASCII_93:  // ]
    case PG_QUERY__TOKEN__END_P:
      return Role::Close;
    case PG_QUERY__TOKEN__ASCII_44:  // ,
    case PG_QUERY__TOKEN__AND:
    case PG_QUERY__TOKEN__OR:
    case PG_QUERY__TOKEN__WHEN:
    case PG_QUERY__TOKEN__THEN:
    case PG_QUERY__TOKEN__ELSE:
      return Role::Separator;
    case PG_QUERY__TOKEN__IDENT:
    case PG_QUERY__TOKEN__UIDENT:
    case PG_QUERY__TOKEN__FCONST:
    case PG_QUERY__TOKEN__SCONST:
    case PG_QUERY__TOKEN__USCONST:
    case PG_QUERY__TOKEN__BCONST:
    case PG_QUERY__TOKEN__XCONST:
    case PG_QUERY__TOKEN__ICONST:
    case PG_QUERY__TOKEN__PARAM:
    case PG_QUERY__TOKEN__ASCII_46:  // . of a qualified name: a flat list
    case PG_QUERY__TOKEN__SQL_COMMENT:
    case PG_QUERY__TOKEN__C_COMMENT:
      return Role::Operand;
    default:
      return Role::Operator;  // operators, casts and keywords (unreserved ones used as names overcount)
  }
}

bool is_open(const SqlToken& t) {
  return t.kind == PG_QUERY__TOKEN__ASCII_40 || t.kind == PG_QUERY__TOKEN__ASCII_91;
}
bool is_close(const SqlToken& t) {
  return t.kind == PG_QUERY__TOKEN__ASCII_41 || t.kind == PG_QUERY__TOKEN__ASCII_93;
}
const char* bracket_name(const SqlToken& t) {
  return t.kind == PG_QUERY__TOKEN__ASCII_40 || t.kind == PG_QUERY__TOKEN__ASCII_41 ? "parenthesis" : "bracket";
}

}  // namespace

std::optional<SqlSyntaxError> too_deep(const std::vector<SqlToken>& tokens) {
  std::vector<int> chains{0};  // per open level: operators since its last separator
  int depth = 0;               // open levels beyond the first, plus every level's chain
  for (const auto& t : tokens) {
    switch (role(t)) {
      case Role::Open:
        chains.push_back(0);
        ++depth;
        break;
      case Role::Close:
        if (chains.size() > 1) {
          depth -= chains.back() + 1;
          chains.pop_back();
        }
        break;
      case Role::Separator:
        depth -= chains.back();
        chains.back() = 0;
        break;
      case Role::Operator:
        ++chains.back();
        ++depth;
        break;
      case Role::Operand:
        break;
    }
    if (depth > kMaxSqlNesting)
      return SqlSyntaxError{fmt::format("nests more than {} levels deep", kMaxSqlNesting), t.start,
                            "parentheses, CASE and chained operators (a + b + c ...) nest; AND/OR lists and IN (...) "
                            "lists do not: write it as such a list, or split it"};
  }
  return std::nullopt;
}

std::optional<SqlSyntaxError> unbalanced(const std::vector<SqlToken>& tokens) {
  std::vector<const SqlToken*> open;
  for (const auto& t : tokens) {
    if (is_open(t)) {
      open.push_back(&t);
    } else if (is_close(t)) {
      if (open.empty() || bracket_name(*open.back()) != bracket_name(t))
        return SqlSyntaxError{fmt::format("closes a {} it did not open", bracket_name(t)), t.start,
                              "a fragment is one complete piece of SQL: it cannot close brackets of the statement it "
                              "is written into"};
      open.pop_back();
    }
  }
  if (!open.empty())
    return SqlSyntaxError{fmt::format("opens a {} it does not close", bracket_name(*open.back())), open.back()->start,
                          "close every parenthesis and bracket inside the fragment"};
  return std::nullopt;
}

std::optional<int> top_level_comma(const std::vector<SqlToken>& tokens) {
  int depth = 0;
  for (const auto& t : tokens) {
    if (is_open(t))
      ++depth;
    else if (is_close(t))
      --depth;
    else if (t.kind == PG_QUERY__TOKEN__ASCII_44 && depth == 0)
      return t.start;
  }
  return std::nullopt;
}

}  // namespace schemac
