// Replica identity (ALTER TABLE ... REPLICA IDENTITY): what logical
// replication and Supabase Realtime send of an updated or deleted row's old
// version. A TOML table that does not say (`replica_identity`) keeps the live
// one; a .sql declaration's ALTER TABLE says it, and a table declared in SQL
// without one has PostgreSQL's default.
#include <fmt/format.h>

#include <cctype>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"

namespace schemac::planner {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool Planner::says_replica_identity(const QualifiedName& table) const {
  for (const auto& decl : d_.sql)
    if (decl.kind == "alter table" && decl.table.name == table.name &&
        (decl.table.schema.empty() ? d_.settings.default_schema() : decl.table.schema) == table.schema &&
        upper(decl.sql).find("REPLICA IDENTITY") != std::string::npos)
      return true;
  return false;
}

std::string Planner::wanted_replica_identity(const Table& t) const {
  // Declared in TOML, or by an ALTER TABLE ... REPLICA IDENTITY of a .sql file
  // (what the scratch database read back); a table declared in SQL always says.
  if (!t.replica_identity.empty() || !says_replica_identity(t.name)) return t.replica_identity;
  const Table* norm = norm_.table(t.name);
  return norm ? norm->replica_identity : std::string{};
}

void Planner::replica_identity(const Table& t, const Table& live) {
  const auto want = wanted_replica_identity(t);
  if (want.empty() || want == live.replica_identity) return;
  // After the indexes phase's builds: USING INDEX may name an index this plan creates.
  add(Phase::Indexes, t.name.display(), fmt::format("set the replica identity to {}", want),
      ddl::replica_identity(t.name, want), kAccessExclusive, group(), t.origin);
}

}  // namespace schemac::planner
