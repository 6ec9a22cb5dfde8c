#pragma once
// The condition that keeps what an extension created out of a catalog read.
// It names the catalog as well as the object: pg_depend's index leads with
// classid, and without it the lookup scans the whole index for every row. In a
// scratch database, whose statistics are still template0's, the planner picks
// that scan for each of 8,000 triggers (4.5 s of a 2,000-table --no-cache plan).
#include <fmt/format.h>

#include <string>

namespace schemac::catalog {

// catalog: 'pg_catalog.pg_class', 'pg_catalog.pg_type', ...; oid: the column to test ("c.oid").
inline std::string not_extension_member(const char* catalog, const char* oid) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '{}'::regclass AND e.objid = {} "
      "AND e.deptype = 'e')",
      catalog, oid);
}

}  // namespace schemac::catalog
