#pragma once
// The attacker, connected the way PostgREST connects: a non-superuser login
// role "authenticator" that is a member of anon and authenticated, switching
// with SET ROLE and passing request.jwt.claims. Every attack in this suite
// runs through it; the test's superuser connection only sets up and looks.
#include <string>

#include "tests/test_database.hpp"

namespace schemac::test {

inline const std::string kOrgA = "00000000-0000-0000-0000-00000000000a";
inline const std::string kOrgB = "00000000-0000-0000-0000-00000000000b";
inline const std::string kUserA = "11111111-1111-1111-1111-11111111111a";
inline const std::string kUserB = "11111111-1111-1111-1111-11111111111b";

// The JWT claims of a member of org.
std::string claims_for(const std::string& user, const std::string& org);

class Attacker {
 public:
  // Creates the authenticator role if needed (roles are cluster-wide) and connects to tdb.
  explicit Attacker(const TestDatabase& tdb);

  // One API request: its own transaction, SET LOCAL ROLE role, the claims.
  pqxx::result request(const std::string& role, const std::string& claims, const std::string& sql);
  // Statements in the session itself, as role (SET ROLE for the session):
  // temporary objects created here outlive the transaction, as they would
  // for anyone holding a direct SQL connection.
  void session(const std::string& role, const std::string& claims, const std::string& sql);
  // The SQLSTATE a request fails with, or "no error".
  std::string refused(const std::string& role, const std::string& claims, const std::string& sql);

  Db& db() { return db_; }

 private:
  Db db_;
};

// A fresh database with examples/saas applied (target as given: "postgres",
// or "supabase" on a database prepared like Supabase's, default privileges
// included) and two organizations with a few rows each.
struct SaasUnderAttack {
  TestDatabase tdb;
  Db admin;  // the test's superuser: sets up, and looks behind RLS

  explicit SaasUnderAttack(const std::string& target = "postgres");
  std::string scalar(const std::string& sql) { return admin.scalar(sql).value_or("NULL"); }
};

// examples/saas/schema copied to a temporary folder with its target replaced.
std::string saas_schema_with_target(const std::string& target, const std::string& tag);

// Supabase's default privileges (ALL on new tables and EXECUTE on new
// functions for anon, authenticated and service_role), on top of tests/supabase_like.sql.
void prepare_like_supabase(Db& db);

}  // namespace schemac::test
