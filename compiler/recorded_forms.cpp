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

void record_forms(Db& db, const std::map<std::string, std::string>& forms) {
  if (forms.empty()) return;
  std::string keys, digests;
  for (const auto& [k, d] : forms) {
    keys += (keys.empty() ? "" : ", ") + quote_literal(k);
    digests += (digests.empty() ? "" : ", ") + quote_literal(d);
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
REVOKE ALL ON schemac.normalized_forms FROM PUBLIC;
COMMENT ON TABLE schemac.normalized_forms IS
  'what schemac apply last normalized the declarations to: lets a plan with no cache skip the scratch database';
DELETE FROM schemac.normalized_forms;
INSERT INTO schemac.normalized_forms (declaration_key, digest)
  SELECT * FROM unnest(ARRAY[{}]::text[], ARRAY[{}]::text[]);
COMMIT)sql",
                               keys, digests);
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
