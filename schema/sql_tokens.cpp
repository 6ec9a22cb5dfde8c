#include "schema/sql_tokens.hpp"

#include <pg_query.h>

namespace schemac {

std::optional<std::vector<SqlToken>> scan_sql(const std::string& text) {
  PgQueryScanResult result = pg_query_scan(text.c_str());
  std::optional<std::vector<SqlToken>> out;
  if (!result.error) {
    auto* message =
        pg_query__scan_result__unpack(nullptr, result.pbuf.len, reinterpret_cast<const uint8_t*>(result.pbuf.data));
    if (message) {
      out.emplace();
      out->reserve(message->n_tokens);
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

}  // namespace schemac
