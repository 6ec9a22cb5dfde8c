#pragma once
// Saved plans (`plan --out FILE`, `apply FILE`): the plan reviewed in a pull
// request is the plan that runs, or nothing runs.
#include <map>
#include <stdexcept>
#include <string>

#include "compiler/catalog/introspect.hpp"
#include "compiler/deploy/fingerprint.hpp"
#include "compiler/planner/plan.hpp"
#include "compiler/recorded_declaration.hpp"

namespace schemac {

constexpr int kPlanFormatVersion = 1;

struct SavedPlan {
  Plan plan;
  std::string schemac_version;
  std::string database;           // current_database() it was made against
  std::string system_identifier;  // pg_control_system(), empty when not readable
  IntrospectScope scope;          // what to read back at apply time
  ObjectHashes before;            // the touched objects as the plan found them
  ObjectHashes after;             // and as they will be once it has run
  // The declarations' normalized digests, recorded by apply (recorded_forms.hpp).
  std::map<std::string, std::string> normalized_forms;
  std::map<std::string, DeclarationText> declarations;  // and the TOML tables' declarations as written
};

struct PlanFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The tables a plan's steps touch (display names).
std::set<std::string> touched_tables(const Plan& plan);

// What a plan does to which starting point: the same steps against the same
// objects give the same fingerprint, however the plan was made.
std::string plan_fingerprint(const Plan& plan, const ObjectHashes& before);

// With a non-empty key (SCHEMAC_PLAN_KEY) the file also carries an
// HMAC-SHA256 signature of the body the checksum covers.
std::string write_saved_plan(const SavedPlan& saved, const std::string& key);

// Refuses (PlanFileError, naming path) files that are not JSON, were cut
// short or edited after they were written, or come from another format version;
// with a non-empty key, also files that are unsigned or signed otherwise.
SavedPlan read_saved_plan(const std::string& path, const std::string& key);

// current_database() and the cluster's system identifier (empty if the role may not read it).
std::pair<std::string, std::string> database_identity(Db& db);

}  // namespace schemac
