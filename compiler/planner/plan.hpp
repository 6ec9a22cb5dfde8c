#pragma once
// The ordered plan: steps in six phases, each with its SQL, lock, transaction
// group, hazards and the declaration that caused it. Pure: no database calls.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "compiler/desired.hpp"
#include "schema/model.hpp"

namespace schemac {

enum class Phase { Infrastructure = 1, Triggers, Constraints, Indexes, Rls, Contract };
const char* phase_name(Phase p);

struct Step {
  Phase phase = Phase::Infrastructure;
  std::string table;            // "schema.table", or "" for database-wide steps
  std::string summary;          // "create table", "add index idx_x", ...
  std::string sql;              // one statement, no trailing semicolon
  std::string lock;             // what it locks, in words a reviewer knows
  bool transactional = true;    // false: CONCURRENTLY, must run alone
  bool locks_existing = false;  // runs under lock_timeout, retried on 55P03
  int group = 0;                // consecutive transactional steps with one group share a transaction
  std::vector<std::string> hazards;
  std::string on_failure;    // run by apply when this step fails (e.g. drop the INVALID index a build left)
  std::string validates;     // VALIDATE CONSTRAINT steps: the constraint, to report the rows that violate it
  std::string creates_role;  // CREATE ROLE steps: the role (apply checks CREATEROLE first)
  // A drop of an object no file declares that carries behaviour or integrity
  // (trigger, policy, foreign key, check, unique or primary key, unique index,
  // row level security): its kind ("trigger", "foreign key", ...) and name.
  std::string drops_kind;
  std::string drops_name;
  // Within a phase, steps of rank 1 run after those of rank 0: foreign keys
  // after the unique keys they reference, whichever table comes first by name.
  int rank = 0;
  Origin origin;
};

// Who may do what on a table, where a plan changes it: one role, one command,
// the rows it reaches before and after ("rows of the caller's organization",
// "none"). Filled by review/access_matrix.cpp for tables whose policies,
// grants or row level security the plan changes.
struct AccessChange {
  std::string table;    // "schema.table"
  std::string role;     // "authenticated", "PUBLIC"
  std::string command;  // "select", "insert", "update", "delete"
  std::string before;   // "no table" when the plan creates it
  std::string after;
};

struct Plan {
  std::vector<Step> steps;
  std::vector<AccessChange> access_changes;
  std::vector<std::string> unmanaged_tables;
  std::vector<std::string> unmanaged_objects;  // "view public.active_users": no file declares it, left alone
  // .sql statements of kinds the planner cannot apply yet (an event trigger, a
  // rule): "rule r at schema/app.sql:144:1".
  std::vector<std::string> not_planned;
  std::vector<std::string> search_path;
  std::string lock_timeout = "2s";
  int retries = 5;

  bool empty() const { return steps.empty(); }
  std::set<std::string> hazards() const;
};

// Hazards that stop apply unless allowed with --allow-hazard.
bool hazard_blocks(const std::string& code);

// The hazard of a step that drops an undeclared trigger, policy, key, check,
// unique index or row level security: it blocks, since such an object is
// behaviour or integrity that nobody asked to remove.
inline constexpr const char* kDropsUndeclared = "drops-undeclared";

// A statement of the "create from nothing" script, with the object behind it.
struct Statement {
  std::string sql;
  Origin origin;
  std::string what;
  // Row level security and policies: run after every new table exists, since a
  // policy may read another table created in the same plan.
  bool after_all_tables = false;
  // Policies, row level security and grants: reviewers look (hazard authz-change).
  bool changes_authz = false;
  // In the scratch database, with .sql declarations: if it fails because
  // something it names does not exist yet, it runs again after the others.
  bool may_wait = false;
  // A copy of a live type: a --dev-url database may already have it (one
  // restored from production does); then the copy is not needed.
  bool may_exist = false;
};

// Everything needed to create a table that does not exist yet, empty, in one
// transaction: the table, its indexes, triggers, RLS, policies, comments, grants.
// Comments on a table's indexes, constraints, triggers and policies that
// differ from live (null: a new table); planner/comments.cpp.
std::vector<Statement> object_comments(const Table& t, const Table* live, bool new_table_policies);
std::vector<Statement> create_table_statements(const Table& t, const std::set<QualifiedName>& ready, bool for_scratch);
// Whether t's CREATE TABLE can run with everything its foreign keys reference in
// it (a key to t itself needs nothing) and its partition parent: what `exists`
// says of each. The order new tables are created in, by a plan and in the
// scratch database.
bool references_exist(const Table& t, const std::function<bool(const QualifiedName&)>& exists);

// declared: as written (the SQL to emit); normalized: the same objects read
// back from the scratch database (what to compare); live: the target database.
Plan make_plan(const Desired& desired, const Catalog& normalized, const Catalog& live);

}  // namespace schemac
