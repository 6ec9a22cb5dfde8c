// Reads publications (pg_publication, pg_publication_rel and, on PostgreSQL
// 15, column lists, row filters and pg_publication_namespace) into the
// catalog model, one query. Publications belong to the database, not to a
// schema: every one is read.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "compiler/catalog/fields.hpp"
#include "compiler/catalog/objects.hpp"

namespace schemac {

void read_publications(Db& db, Catalog& cat) {
  const bool v15 = db.server_major_version() >= 15;
  // Each table as a JSON object: schema, name, columns, row filter.
  const std::string tables = fmt::format(
      "(SELECT json_agg(json_build_object('schema', n.nspname, 'name', c.relname, 'columns', {}, 'where', {}) "
      "ORDER BY n.nspname, c.relname) FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_class c "
      "ON c.oid = r.prrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE r.prpubid = p.oid)::text",
      v15 ? "(SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(r.prattrs) WITH ORDINALITY k(num, ord) "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = r.prrelid AND a.attnum = k.num)"
          : "NULL::json",
      v15 ? "pg_catalog.pg_get_expr(r.prqual, r.prrelid)" : "NULL::text");
  const std::string schemas =
      v15 ? "to_json(ARRAY(SELECT n.nspname::text FROM pg_catalog.pg_publication_namespace s "
            "JOIN pg_catalog.pg_namespace n ON n.oid = s.pnnspid WHERE s.pnpubid = p.oid ORDER BY 1))::text"
          : "'[]'";
  for (const auto& r : db.query(fmt::format(
           "SELECT p.pubname::text, p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, "
           "p.pubviaroot, {}, {}, pg_catalog.pg_has_role(p.pubowner, 'MEMBER') FROM pg_catalog.pg_publication p "
           "ORDER BY 1",
           tables, schemas))) {
    Publication p;
    p.name = catalog::str(r[0]);
    p.all_tables = r[1].as<bool>();
    std::vector<std::string> publish;
    const char* actions[] = {"insert", "update", "delete", "truncate"};
    for (int i = 0; i < 4; ++i)
      if (r[2 + i].as<bool>()) publish.push_back(actions[i]);
    std::string list;
    for (const auto& a : publish) list += (list.empty() ? "" : ", ") + a;
    p.options = fmt::format("publish = {}, publish_via_partition_root = {}", quote_literal(list),
                            r[6].as<bool>() ? "true" : "false");
    if (!r[7].is_null())
      for (const auto& t : nlohmann::json::parse(catalog::str(r[7]))) {
        PublishedTable pt;
        pt.table = {t.at("schema").get<std::string>(), t.at("name").get<std::string>()};
        if (t.at("columns").is_array())
          for (const auto& c : t.at("columns")) pt.columns.push_back(c.get<std::string>());
        if (t.at("where").is_string()) pt.where = t.at("where").get<std::string>();
        p.tables.push_back(std::move(pt));
      }
    std::sort(p.tables.begin(), p.tables.end());
    p.schemas = catalog::json_strings(r[8]);
    p.owned = r[9].as<bool>();
    cat.publications.push_back(std::move(p));
  }
}

}  // namespace schemac
