#include "compiler/deploy/violations.hpp"

#include <fmt/format.h>

#include "schema/ident.hpp"

namespace schemac {

namespace {

constexpr int kSampleKeys = 5;

std::string strip(std::string def, const std::string& prefix, const std::string& suffix) {
  if (def.size() >= suffix.size() && def.compare(def.size() - suffix.size(), suffix.size(), suffix) == 0)
    def.erase(def.size() - suffix.size());
  if (def.rfind(prefix, 0) == 0) def.erase(0, prefix.size());
  return def;
}

}  // namespace

std::string describe_violations(Db& db, const std::string& table, const std::string& constraint) {
  try {
    // The constraint (still NOT VALID), the table as regclass text (quoted),
    // its primary key as a text expression, and for a foreign key the pairs.
    auto rows = db.query(fmt::format(
        "SELECT c.contype, pg_catalog.pg_get_constraintdef(c.oid), c.conrelid::regclass::text, "
        "(SELECT string_agg(format('%I', a.attname), ' || '', '' || ' ORDER BY k.n) "
        "   FROM pg_catalog.pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n) "
        "   JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
        "   WHERE i.indrelid = c.conrelid AND i.indisprimary), "
        "c.confrelid::regclass::text, "
        "(SELECT string_agg(format('r.%I = p.%I', a.attname, b.attname), ' AND ') "
        "   FROM unnest(c.conkey, c.confkey) k(l, r) "
        "   JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.l "
        "   JOIN pg_catalog.pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = k.r), "
        "(SELECT string_agg(format('r.%I IS NOT NULL', a.attname), ' AND ') "
        "   FROM unnest(c.conkey) k(l) JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.l) "
        "FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class t ON t.oid = c.conrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname || '.' || t.relname = {} AND c.conname = {}",
        quote_literal(table), quote_literal(constraint)));
    if (rows.empty()) return {};
    const auto& r = rows[0];
    const std::string kind = r[0].c_str(), relation = r[2].c_str();
    const std::string key = r[3].is_null() ? "r.ctid::text" : "(" + std::string(r[3].c_str()) + ")::text";
    std::string where;
    if (kind == "c")
      // A check fails only where it is false; NULL passes.
      where = fmt::format("({}) IS FALSE", strip(r[1].c_str(), "CHECK ", " NOT VALID"));
    else if (kind == "f")
      where = fmt::format("{} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})", r[6].c_str(), r[4].c_str(), r[5].c_str());
    else
      return {};
    db.exec("BEGIN");
    // Counting is a scan of the table under ACCESS SHARE only; bounded all the same.
    db.exec("SET LOCAL statement_timeout = '60s'");
    auto count = db.scalar(fmt::format("SELECT count(*) FROM {} r WHERE {}", relation, where)).value_or("?");
    std::string keys;
    std::size_t shown = 0;
    for (const auto& k :
         db.query(fmt::format("SELECT {} FROM {} r WHERE {} ORDER BY 1 LIMIT {}", key, relation, where, kSampleKeys)))
      keys += (shown++ ? "; " : "") + std::string(k[0].c_str());
    db.exec("COMMIT");
    return fmt::format("{} row{} of {} violate {}{}{}", count, count == "1" ? "" : "s", table, constraint,
                       keys.empty() ? ""
                                    : fmt::format(" (key{} {}{})", shown > 1 ? "s" : "", keys,
                                                  count != std::to_string(shown) ? "; ..." : ""),
                       "; the constraint stays NOT VALID (new rows are checked, old ones are not): fix these rows, "
                       "or change the declaration, and run apply again");
  } catch (const std::exception&) {
    try {
      db.exec("ROLLBACK");
    } catch (const std::exception&) {
    }
    return {};
  }
}

}  // namespace schemac
