#include "compiler/review/hazard_advice.hpp"

#include <map>

namespace schemac::review {

std::string hazard_advice(const std::string& code) {
  static const std::map<std::string, std::string> advice = {
      {"deletes-data",
       "data is dropped for good. Keep it by declaring the object again (or `renamed_from` for a rename); once "
       "intended, apply with `--allow-hazard deletes-data`."},
      {"table-rewrite",
       "the table is rewritten under ACCESS EXCLUSIVE: its reads and writes wait until every row is copied. Prefer "
       "an online path (a new column, backfilled, then swapped), or apply in a quiet window with `--allow-hazard "
       "table-rewrite`."},
      {"backfill-required",
       "existing rows have no value for a new NOT NULL column. Give it a default, or add it nullable, backfill it, "
       "then declare it NOT NULL."},
      {"drops-undeclared",
       "the database has objects that no file declares (the steps named *drop undeclared*). Declare them to keep "
       "them (`schemac import` writes them out), or allow their drop with `--allow-hazard drops-undeclared`."},
      {"enum-value-removed",
       "rows holding the removed or moved label would fail to convert: move them to another label first."},
      {"table-lock",
       "an exclusion constraint on an existing table builds its index under ACCESS EXCLUSIVE (PostgreSQL has no "
       "online path): apply in a quiet window with `--allow-hazard table-lock`."},
      {"replica-identity-missing",
       "a published table without a replica identity refuses every UPDATE and DELETE: declare a primary key or "
       "`replica_identity = \"full\"`."},
      {"validation-may-fail",
       "VALIDATE fails if existing rows break the rule; apply then names the rows, and the constraint stays NOT "
       "VALID (new rows are checked already)."},
      {"index-build",
       "a concurrent index build reads the whole table; reads and writes continue, but it takes time and I/O on a "
       "large table."},
      {"authz-change", "who may read or write changes: see *Who can do what* below."},
      {"refresh-concurrently-fails",
       "`REFRESH MATERIALIZED VIEW CONCURRENTLY` needs a unique index without WHERE on the view; the application's "
       "refresh would fail."},
  };
  auto it = advice.find(code);
  return it == advice.end() ? "" : it->second;
}

}  // namespace schemac::review
