#pragma once
// The normalized forms a database was last applied with, recorded in the
// database itself (schemac.normalized_forms): declaration key -> digest of what
// PostgreSQL made of it (normalize_cache.hpp). A plan on a runner with no cache
// reads it in one query and takes every live table whose digest is its
// declaration's recorded digest as normalized already, so a no-op plan needs no
// scratch database. A record can only cost time, never make a plan wrong: the
// key hashes the declaration and the server version (a changed declaration
// misses), and a live table that drifted no longer has the recorded digest.
// Only apply writes it, and only the roles that own the schemac schema can.
#include <map>
#include <string>
#include <vector>

#include "compiler/db.hpp"
#include "compiler/recorded_declaration.hpp"

namespace schemac {

// Empty when the database has no record (never applied by this schemac) or it cannot be read.
std::map<std::string, std::string> read_recorded_forms(Db& db);

// The recorded declarations of TOML tables; empty as read_recorded_forms is.
std::vector<RecordedDeclaration> read_recorded_declarations(Db& db);

// Replaces the record with these keys and digests, and the declarations of
// those keys that are TOML tables. Best effort: the record only saves time,
// so a failure to write it never fails an apply.
void record_forms(Db& db, const std::map<std::string, std::string>& forms,
                  const std::map<std::string, DeclarationText>& declarations);

}  // namespace schemac
