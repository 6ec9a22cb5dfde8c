#pragma once
// schemac import: the declarations of a live database, written as files that
// plan to "No changes" against it: a TOML file per table the language can say
// (else SQL), the intent flags where the tables are what the flags generate
// (checked by planning against the database), SQL files for the other objects.
#include <ostream>
#include <string>
#include <vector>

#include "compiler/db.hpp"

namespace schemac {

struct ImportRequest {
  std::string database_url;
  std::string schema_dir = "schema";
  std::vector<std::string> schemas = {"public"};
  bool force = false;  // write into a folder that already holds files
  // --from-sql: SQL schema files (supabase/schemas/*.sql, a folder of
  // migrations), run in this order in a temporary database on the server
  // database_url names, which is imported instead and dropped.
  std::vector<std::string> from_sql;
  // Set by --from-sql when it made auth's stand-ins in the temporary database
  // itself: then they do not say that schemac made the database for target = "postgres".
  bool made_auth_standins = false;
  // The normalization cache of the plan that checks recognized flags (the one
  // `plan` uses, so that the plan after import starts warm); empty: none.
  std::string cache_dir;
};

// What was written: the files, relative to schema_dir, and one line per table and object kind.
struct ImportReport {
  std::vector<std::string> files;
  std::size_t tables = 0, objects = 0;
  // What the declarations will not plan the way the database has it (a
  // SECURITY DEFINER function without a pinned search_path, which check refuses
  // until it says SET search_path = pg_catalog, pg_temp).
  std::vector<std::string> warnings;
  // Intent flags schemac audit's findings point to, one line per table and
  // flag: "public.api_keys: soft_delete = true (...)". Suggested, not written.
  std::vector<std::string> suggestions;
  // Tables whose objects are what intent flags generate, declared with the
  // flags: "public.api_keys: tenant_scoped, soft_delete (...)".
  std::vector<std::string> recognized;
  // Tables that have a flag's objects but would change if the flag were
  // declared (a runtime function of another version, an edited policy):
  // declared with their objects, and the reason.
  std::vector<std::string> not_recognized;
  // Tables written back as the last apply recorded their declarations (flags,
  // SQL as written), because they still are what it made: "public.people: tables/people.toml".
  std::vector<std::string> restored;
};

class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

ImportReport import_database(const ImportRequest& request);

}  // namespace schemac
