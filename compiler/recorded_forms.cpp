#include "compiler/recorded_forms.hpp"

#include <fmt/format.h>

#include "schema/ident.hpp"

namespace schemac {

std::map<std::string, std::string> read_recorded_forms(Db& db) {
  std::map<std::string, std::string> out;
  try {
    if (db.scalar("SELECT to_regclass('schemac.normalized_forms') IS NOT NULL") != "t") return out;
    for (const auto& r : db.query("SELECT declaration_key, digest FROM schemac.normalized_forms"))
      out[r[0].as<std::string>()] = r[1].as<std::string>();
  } catch (const pqxx::sql_error&) {
    out.clear();  // a role that may not read it plans as if there were none
  }
  return out;
}

std::vector<RecordedDeclaration> read_recorded_declarations(Db& db) {
  std::vector<RecordedDeclaration> out;
  try {
    if (db.scalar("SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = "
                  "pg_catalog.to_regclass('schemac.normalized_forms') AND attname = 'declaration'") != "1")
      return out;
    for (const auto& r : db.query("SELECT table_schema, table_name, declaration, digest FROM schemac.normalized_forms "
                                  "WHERE declaration IS NOT NULL ORDER BY table_schema, table_name"))
      out.push_back(
          {{{r[0].as<std::string>(), r[1].as<std::string>()}, r[2].as<std::string>()}, r[3].as<std::string>()});
  } catch (const pqxx::sql_error&) {
    out.clear();
  }
  return out;
}

void record_forms(Db& db, const std::map<std::string, std::string>& forms,
                  const std::map<std::string, DeclarationText>& declarations) {
  if (forms.empty()) return;
  std::string keys, digests, schemas, tables, texts;
  const auto add = [](std::string& list, const std::string& item) { list += (list.empty() ? "" : ", ") + item; };
  for (const auto& [k, d] : forms) {
    add(keys, quote_literal(k));
    add(digests, quote_literal(d));
    const auto it = declarations.find(k);
    const bool declared = it != declarations.end();
    add(schemas, declared ? quote_literal(it->second.table.schema) : "NULL");
    add(tables, declared ? quote_literal(it->second.table.name) : "NULL");
    add(texts, declared ? quote_literal(it->second.text) : "NULL");
  }
  // One transaction: a plan never reads half a record. Only the current
  // declarations' keys are kept, so the table does not grow with every change.
  const auto sql = fmt::format(R"sql(
BEGIN;
CREATE SCHEMA IF NOT EXISTS schemac;
CREATE TABLE IF NOT EXISTS schemac.normalized_forms (
  declaration_key text PRIMARY KEY,
  digest text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE schemac.normalized_forms ADD COLUMN IF NOT EXISTS table_schema text,
  ADD COLUMN IF NOT EXISTS table_name text, ADD COLUMN IF NOT EXISTS declaration text;
REVOKE ALL ON schemac.normalized_forms FROM PUBLIC;
COMMENT ON TABLE schemac.normalized_forms IS
  'what schemac apply last normalized the declarations to: lets a plan with no cache skip the scratch database';
DELETE FROM schemac.normalized_forms;
INSERT INTO schemac.normalized_forms (declaration_key, digest, table_schema, table_name, declaration)
  SELECT * FROM unnest(ARRAY[{}]::text[], ARRAY[{}]::text[], ARRAY[{}]::text[], ARRAY[{}]::text[], ARRAY[{}]::text[]);
COMMIT)sql",
                               keys, digests, schemas, tables, texts);
  try {
    db.exec(sql);
  } catch (const std::exception&) {
    try {
      db.exec("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
}

}  // namespace schemac
