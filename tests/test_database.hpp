#pragma once
// A fresh database per test on the server the PG* variables name, dropped after.
#include <map>
#include <optional>
#include <string>

#include "compiler/db.hpp"
#include "compiler/workflow.hpp"
#include "tests/run_command.hpp"

namespace schemac::test {

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  Db connect() const { return Db(url_, "schemac test"); }

 private:
  std::string name_;
  std::string url_;
};

// Settings of a project on plain PostgreSQL whose tenants are organizations(id),
// matched with the JWT claim organization_id for authenticated: a file of its own
// in the schema folders tests make.
inline constexpr const char* kOrganizationTenancy = R"toml(
[project]
target = "postgres"
[tenancy]
column     = "organization_id"
type       = "uuid"
references = "organizations(id)"
claim      = "organization_id"
roles      = ["authenticated"]
)toml";

// Plans the declarations at schema_path against url and applies the plan; fails the test on errors.
PlanOutcome plan_for(const std::string& schema_path, const std::string& url);
void apply_schema(const std::string& schema_path, const std::string& url);
// Applies a plan already made, as apply would.
void apply_outcome(const PlanOutcome& outcome, const std::string& url);
// The first step whose SQL starts with (or contains) the text; nullptr if none.
const Step* step_starting(const Plan& plan, const std::string& sql_start);
const Step* step_containing(const Plan& plan, const std::string& text);

// examples/saas applied, with a change pending on api_keys (its check dropped)
// and another session holding ACCESS SHARE on api_keys in an open
// transaction: apply's next step there waits for the lock.
struct PendingChangeBehindLock {
  explicit PendingChangeBehindLock(const TestDatabase& tdb);
  Db blocker;
};

// Runs sql as an API request would: its own transaction, SET LOCAL ROLE, request.jwt.claims.
pqxx::result as_role(Db& db, const std::string& role, const std::string& claims_json, const std::string& sql);

// The schemac binary run as a job runs it, against url; stdout and stderr together.
struct CliRun {
  int code;
  std::string out;
};
CliRun run_schemac(const std::string& args, const std::string& url, const std::string& env = "");

// examples/seed-audit/before.sql, plus per_org bulk rows in api_keys and
// outbox for each organization (so builds and validations take a moment).
void load_seed_audit(Db& db, long per_org = 0);

std::string source_path(const std::string& relative);

// A path in the temporary directory, unique to this test process; and a file written there.
std::string temp_path(const std::string& name);
std::string write_temp(const std::string& name, const std::string& text);
std::string read_file(const std::string& path);
// A schema folder holding the given files (name -> text), made afresh in the temporary directory.
std::string schema_folder(const std::string& name, const std::map<std::string, std::string>& files);

}  // namespace schemac::test
