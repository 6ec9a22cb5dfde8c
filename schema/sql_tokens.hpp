#pragma once
// PostgreSQL's own lexer (libpg_query's scanner): a fragment's tokens, in
// order, without parsing. Internal to schema/: it names libpg_query's kinds.
#include <pg_query/pg_query.pb-c.h>

#include <optional>
#include <string>
#include <vector>

namespace schemac {

struct SqlToken {
  int start = 0, end = 0;  // byte offsets into the text
  PgQuery__Token kind = PG_QUERY__TOKEN__NUL;
  PgQuery__KeywordKind keyword = PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
};

// nullopt when the text does not scan (an unterminated string or comment).
std::optional<std::vector<SqlToken>> scan_sql(const std::string& text);

}  // namespace schemac
