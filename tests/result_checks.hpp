#pragma once
// The judges the harnesses share (tests/acceptance_test.cpp, tests/peer/): is
// an applied database the same as one built directly from the declarations (by
// schemac's catalog reader and by migra), and does squawk find a zero-downtime
// violation the plan does not flag. Each returns what it found, one line per
// finding, empty when all is well.
#include <set>
#include <string>
#include <vector>

#include "compiler/db.hpp"
#include "compiler/planner/plan.hpp"
#include "schema/model.hpp"

namespace schemac::test {

// A harness's verdict: each failed check printed as "FAIL: ..." on stdout and counted.
void fail(const std::string& what);
int failure_count();
// A file's whole text ("" when it cannot be read).
std::string read_text(const std::string& path);

// A database for one run of a harness (dropped first if a crashed run left it),
// dropped WITH (FORCE) when it goes out of scope. options: e.g. "TEMPLATE template0".
class ScratchDatabase {
 public:
  explicit ScratchDatabase(std::string name, const std::string& options = "");
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string name_, url_;
};

// The schema-level differences between two catalogs' tables (column order aside):
// columns, constraints, indexes, triggers, policies, row level security, comments, grants.
std::vector<std::string> catalog_differences(const Catalog& applied, const Catalog& reference);

// migra (the @pgkit/migra port) as an independent judge of "same schema": the
// lines of SQL it prints to turn one database into the other, except those that
// mention one of ignored ("schema.table" or "table"). extra_options: more migra
// flags after --unsafe (e.g. "--exclude-schema schemac").
std::vector<std::string> migra_differences(const std::string& migra, const std::string& applied_db,
                                           const std::string& reference_db, const std::vector<std::string>& ignored,
                                           const std::string& extra_options = "");

// Zero-downtime rules a plan must never break (../shared/reference/toolchain.md).
extern const std::set<std::string> kZeroDowntimeRules;

// squawk's findings on render_sql(plan) under kZeroDowntimeRules, except those
// on a step that carries the hazard saying so (ban-drop-table on a step with
// deletes-data, ...).
std::vector<std::string> squawk_violations(const std::string& squawk, const Plan& plan);

}  // namespace schemac::test
